"""An ICB's inequality datapack on the web: the pack in a page, and its PDF and HTML files.

* ``/icbs/{code}/datapack?year=2022/23``: the pack inside the site's frame, with links to
  download it;
* ``/icbs/{code}/datapack.pdf``: the A4 PDF (``application/pdf``, as a download);
* ``/icbs/{code}/datapack.html``: the self-contained HTML file (as a download).

The pack is the one ``gpequity datapack`` writes (:mod:`gpequity.reports`). Making one takes a
few seconds, so the last few are kept per version of the warehouse file (a rebuilt warehouse
is a new file, so a pack is never stale). An ICB or a year the warehouse does not have is the
site's 404 page; no warehouse at all is the "no data loaded yet" page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpequity.analysis.icb import UnknownIcb
from gpequity.analysis.payments import NoPaymentYears, UnknownYear, resolve_year
from gpequity.reports.datapack import DatapackView, build_datapack, present_datapack
from gpequity.reports.render import Format, file_name, render_body, render_html, render_pdf
from gpequity.reports.render import stylesheet as datapack_stylesheet
from gpequity.warehouse.cache import VersionedCache
from gpequity.web.rendering import render
from gpequity.web.warehouse import PageReading, Reading

router = APIRouter(include_in_schema=False)

#: What an ICB code in a URL may look like (anything else is a 404 without a query).
CODE = re.compile(r"^[A-Za-z0-9]{3,10}$")
#: Packs kept in memory (each a few hundred kilobytes), as views and as PDFs.
CACHED_PACKS = 8
_views = VersionedCache(CACHED_PACKS)
_pdfs = VersionedCache(CACHED_PACKS)
EMPTY = Markup("")


@dataclass(frozen=True)
class DatapackPage:
    """The datapack page: the pack's body and stylesheet, and where to download it."""

    title: str
    has_data: bool
    icb_code: str = ""
    year: str = ""
    body: Markup = EMPTY
    css: Markup = EMPTY
    pdf_href: str = ""
    html_href: str = ""


def _view(reading: Reading, code: str, year: str) -> DatapackView:
    """The pack of ICB ``code`` for ``year`` (the latest loaded when blank), or the 404 page
    for an ICB or a year the warehouse does not have."""
    if not CODE.match(code):
        raise StarletteHTTPException(status_code=404)
    code, chosen = code.upper(), year.strip()

    def make() -> DatapackView:
        con = reading.con
        return present_datapack(build_datapack(con, code, resolve_year(con, chosen)))

    try:
        return _views.get(reading.version, (code, chosen), make)
    except (UnknownIcb, UnknownYear, NoPaymentYears) as exc:
        raise StarletteHTTPException(status_code=404) from exc


def _no_data(request: Request) -> HTMLResponse:
    return render(
        request,
        "datapack.html",
        DatapackPage(title="ICB datapack", has_data=False),
        status_code=503,
    )


def _href(code: str, suffix: str, year: str) -> str:
    return f"/icbs/{code}/datapack{suffix}?{urlencode({'year': year})}"


@router.get("/icbs/{code}/datapack", response_class=HTMLResponse, name="icb_datapack")
def datapack_page(request: Request, reading: PageReading, code: str, year: str = "") -> Response:
    if reading is None:
        return _no_data(request)
    view = _view(reading, code, year)
    page = DatapackPage(
        title=f"Inequality datapack: {view.icb_name}, {view.year}",
        has_data=True,
        icb_code=view.icb_code,
        year=view.year,
        body=render_body(view),
        css=Markup(datapack_stylesheet()),
        pdf_href=_href(view.icb_code, ".pdf", view.year),
        html_href=_href(view.icb_code, ".html", view.year),
    )
    return render(request, "datapack.html", page)


@router.get("/icbs/{code}/datapack.pdf", name="icb_datapack_pdf")
def datapack_pdf(request: Request, reading: PageReading, code: str, year: str = "") -> Response:
    if reading is None:
        return _no_data(request)
    view = _view(reading, code, year)
    content = _pdfs.get(
        reading.version, (view.icb_code, view.year), lambda: render_pdf(render_html(view))
    )
    name = file_name(view.icb_code, view.year, Format.pdf)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/icbs/{code}/datapack.html", name="icb_datapack_html")
def datapack_html(request: Request, reading: PageReading, code: str, year: str = "") -> Response:
    if reading is None:
        return _no_data(request)
    view = _view(reading, code, year)
    name = file_name(view.icb_code, view.year, Format.html)
    return Response(
        render_html(view),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
