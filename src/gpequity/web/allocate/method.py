"""The method page (``/allocate/method``): how the allocation tool splits money, for users.

The text is the package's own ``gpequity/allocation/method.md`` (package data, so an installed
copy shows it too), rendered by the project's Markdown renderer, each section heading with an
id to link to (the results page links to the worked example).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib.resources import files

from markupsafe import Markup

from gpequity.library.markdown import level_one_headings, render_markdown

METHOD_HEADING = "How the allocation tool splits money"
LIBRARY_ARTICLE = "/resources/how-the-allocation-tool-splits-money"
#: The package and file name of the method text.
METHOD_PACKAGE = "gpequity.allocation"
METHOD_FILE = "method.md"


@dataclass(frozen=True)
class MethodPage:
    title: str
    heading: str
    body: Markup | None
    fallback_href: str


def method_text() -> str:
    """The method in plain English, with its worked example, as Markdown."""
    return files(METHOD_PACKAGE).joinpath(METHOD_FILE).read_text(encoding="utf-8")


def _heading_id(text: str) -> str:
    plain = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def method_html(text: str) -> str:
    """The method as sanitised HTML without its title, each section heading with an id."""
    lines = text.splitlines()
    headings = level_one_headings(text)
    kept = [line for index, line in enumerate(lines) if index not in headings]
    rendered = render_markdown("\n".join(kept), [])
    html = "".join(part for part in rendered.parts if isinstance(part, str))
    # Sanitising drops ids; the headings get theirs back, from their own text.
    return re.sub(
        r"<h2>(.*?)</h2>",
        lambda m: f'<h2 id="{_heading_id(m.group(1))}">{m.group(1)}</h2>',
        html,
    )


@functools.cache
def packaged_method_html() -> str:
    """:func:`method_html` of the packaged text (it cannot change while the site runs)."""
    return method_html(method_text())


def present_method(body_html: str | None) -> MethodPage:
    """The method page; ``body_html`` ``None``: the text cannot be read (the library's
    article is offered instead)."""
    return MethodPage(
        title=METHOD_HEADING,
        heading=METHOD_HEADING,
        # Sanitised HTML from the project's Markdown renderer (gpequity.library.markdown).
        body=None if body_html is None else Markup(body_html),
        fallback_href=LIBRARY_ARTICLE,
    )
