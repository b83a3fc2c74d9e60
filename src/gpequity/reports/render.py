"""Rendering a datapack: one self-contained HTML file, and the PDF made from that same HTML.

The HTML inlines its stylesheet and its charts (SVG) and links only to places in itself, so it
opens anywhere, offline, and can be mailed as one file. The PDF is that HTML printed by
WeasyPrint (BSD-3-Clause) on A4 with page numbers and a table of contents whose page numbers
come from CSS (``target-counter``). WeasyPrint needs Pango and HarfBuzz from the system
(Debian: libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b, and fonts-dejavu-core), see
``docs/datapacks.md``; it is told to fetch nothing.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from gpequity.errors import GpequityError
from gpequity.reports.datapack import DatapackView

TEMPLATES_DIR = Path(__file__).parent / "templates"
STYLESHEET = TEMPLATES_DIR / "datapack.css"
#: ``src`` and ``href`` values: a pack must have none that leaves the file.
_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


class ExternalResource(GpequityError):
    """A pack that asks for a file or URL from outside itself (a bug: packs are whole)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"a datapack must be self-contained, but it asked for {detail}")


class Format(StrEnum):
    """What a datapack is written as."""

    html = "html"
    pdf = "pdf"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def stylesheet() -> str:
    """The pack's CSS (inlined in every pack)."""
    return STYLESHEET.read_text(encoding="utf-8")


def render_body(view: DatapackView) -> Markup:
    """The pack's body (``<div class="gpq-datapack">``), for a page that has its own frame."""
    return Markup(_environment().get_template("datapack_body.html").render(pack=view))


def render_html(view: DatapackView) -> str:
    """The pack as one self-contained HTML document."""
    return _environment().get_template("datapack.html").render(pack=view, css=Markup(stylesheet()))


def render_document(template: str, **context: object) -> str:
    """A self-contained report document (``template`` of ``reports/templates``), with the
    datapacks' stylesheet inlined as ``css``."""
    return _environment().get_template(template).render(css=Markup(stylesheet()), **context)


def external_links(html: str) -> list[str]:
    """Every ``src`` or ``href`` of the HTML that points outside the document itself."""
    return [url for url in _LINK.findall(html) if not url.startswith("#")]


def render_pdf(html: str) -> bytes:
    """The PDF of a pack's HTML: A4, page numbers, contents with page numbers."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    # A pack has nothing to fetch: no protocol is allowed, and a refused fetch stops the
    # rendering instead of leaving a hole in the PDF.
    fetcher = URLFetcher(allowed_protocols=(), fail_on_errors=True)
    try:
        pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    except FatalURLFetchingError as exc:  # a BaseException: turned into the user's error
        raise ExternalResource(str(exc).removeprefix("Error fetching ")) from None
    return pdf


def file_name(icb_code: str, year: str, fmt: Format) -> str:
    """``gpequity-datapack-QHM-2022-23.pdf``."""
    return f"gpequity-datapack-{icb_code}-{year.replace('/', '-')}.{fmt.value}"
