"""An ICB's inequality datapack on the web: the pack in a page, and its PDF and HTML files.

* ``/icbs/{code}/datapack?year=2022/23``: the pack inside the site's frame, with links to
  download it;
* ``/icbs/{code}/datapack.pdf``: the A4 PDF (``application/pdf``, as a download) when it has
  been made, else a page saying it is being made, which reloads itself (no JavaScript) until it
  is;
* ``/icbs/{code}/datapack.html``: the self-contained HTML file (as a download);
* ``/icbs/{code}/datapack/figure-N.svg``: a chart of the page, which links its charts as
  images (thirty inline SVGs would make it a page of over half a megabyte); ``?layout=narrow``
  is its phone layout (:mod:`gpequity.chart_layouts`), which a phone's browser asks for
  instead (``<picture>``).

The pack is the one ``gpequity datapack`` writes (:mod:`gpequity.reports`). Its figures and view
are computed once per version of the warehouse file (:mod:`gpequity.warehouse.cache`); its PDF
is printed once per version, in the background, and kept on disk beside the warehouse
(:class:`~gpequity.reports.batch.BackgroundPacks`). A rebuilt warehouse is a new file, so a
pack is never stale. The code of an ICB abolished on 1 April 2026 redirects to its successor's
pack (a split one names every successor); an ICB or a year the warehouse does not have is the
site's 404 page; no warehouse at all is the "no data loaded yet" page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.routing import APIRoute
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpequity.analysis.icb import UnknownIcb
from gpequity.analysis.payments import NoPaymentYears, UnknownYear, resolve_year
from gpequity.chart_layouts import Layout
from gpequity.reports.batch import BackgroundPacks
from gpequity.reports.datapack import (
    DatapackView,
    FigureView,
    SectionView,
    datapack_chart_svg,
    datapack_figures_view,
    datapack_view,
)
from gpequity.reports.render import Format, file_name, render_body, render_html
from gpequity.reports.render import stylesheet as datapack_stylesheet
from gpequity.warehouse.icbs import superseded
from gpequity.web.rendering import render
from gpequity.web.successors import successor_response
from gpequity.web.warehouse import PageReading, Reading, remember, shared_warehouse

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: What an ICB code in a URL may look like (anything else is a 404 without a query).
CODE = re.compile(r"^[A-Za-z0-9]{3,10}$")
#: What a figure of a pack is called in its chart's URL (anything else is a 404 at once).
FIGURE = re.compile(r"^figure-[0-9]{1,3}$")
#: Seconds between two looks of the page saying a PDF is being made.
PROGRESS_REFRESH_SECONDS = 3
EMPTY = Markup("")
#: Below this width a browser shows a chart's narrow layout (as app.css does for inline ones).
NARROW_MEDIA = "(max-width: 47.9375em)"


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


@dataclass(frozen=True)
class PdfProgress:
    """The page saying an ICB's PDF is being made: it reloads itself every ``refresh`` seconds
    (``<meta http-equiv="refresh">``, no JavaScript) and then downloads the file."""

    title: str
    icb_name: str
    year: str
    again_href: str
    page_href: str
    refresh: int = PROGRESS_REFRESH_SECONDS


def packs_of(request: Request) -> BackgroundPacks:
    """The app's PDF packs (``create_app`` makes them and stops them with the app)."""
    packs: BackgroundPacks = request.app.state.datapack_pdfs
    return packs


def _view(reading: Reading, code: str, year: str) -> DatapackView:
    """The pack of ICB ``code`` for ``year`` (the latest loaded when blank), or the 404 page
    for an ICB or a year the warehouse does not have."""
    if not CODE.match(code):
        raise StarletteHTTPException(status_code=404)
    code, chosen = code.upper(), year.strip()
    try:
        return datapack_figures_view(reading.con, code, resolve_year(reading.con, chosen))
    except (UnknownIcb, UnknownYear, NoPaymentYears) as exc:
        raise StarletteHTTPException(status_code=404) from exc


def _successor(
    request: Request, reading: Reading, code: str, suffix: str, year: str
) -> Response | None:
    """The successor's pack (or the page naming every successor) for an abolished ICB's code."""
    resolution = superseded(reading.con, code) if CODE.match(code) else None
    if resolution is None:
        return None
    return successor_response(request, resolution, suffix, year.strip())


def _pack(
    request: Request, reading: PageReading, code: str, year: str = ""
) -> tuple[Reading, DatapackView] | Response:
    """Dependency of the pack's routes: the warehouse and the pack the route serves; else what
    it answers instead: the page saying no data is loaded, or the same route of the successor's
    pack for an abolished ICB's code."""
    if reading is None:
        return _no_data(request)
    route: APIRoute = request.scope["route"]
    moved = _successor(request, reading, code, route.path.removeprefix("/icbs/{code}"), year)
    if moved is not None:
        return moved
    return reading, _view(reading, code, year)


#: The pack of a route, or the route's answer without one (:func:`_pack`).
FoundPack = Annotated[tuple[Reading, DatapackView] | Response, Depends(_pack)]


def _no_data(request: Request) -> HTMLResponse:
    return render(
        request,
        "datapack.html",
        DatapackPage(title="ICB datapack", has_data=False),
        status_code=503,
    )


def _href(code: str, suffix: str, year: str) -> str:
    return f"/icbs/{code}/datapack{suffix}?{urlencode({'year': year})}"


def _chart_img(view: DatapackView, figure: FigureView) -> Markup:
    """The figure's chart as an image the page links to (its SVG is served apart, so that the
    page of a pack with thirty charts stays small, and each chart is drawn only when asked)."""
    src = _href(view.icb_code, f"/{figure.id}.svg", view.year)
    narrow = f"{src}&{urlencode({'layout': Layout.NARROW.value})}"
    name = figure.chart.name if figure.chart else figure.id
    return Markup(
        '<picture><source media="{}" srcset="{}">'
        '<img src="{}" alt="{}" aria-describedby="{}-reading" class="gpq-chart__image"'
        ' data-chart="{}"></picture>'
    ).format(NARROW_MEDIA, narrow, src, figure.title, figure.id, name)


def _with_linked_charts(view: DatapackView) -> DatapackView:
    """The pack with each chart linked as an image rather than inlined (for the web page;
    the HTML and PDF files keep theirs inline, to be whole)."""

    def linked(section: SectionView) -> SectionView:
        return replace(
            section,
            figures=tuple(
                replace(figure, svg=_chart_img(view, figure)) if figure.chart else figure
                for figure in section.figures
            ),
            subsections=tuple(linked(s) for s in section.subsections),
        )

    return replace(view, sections=tuple(linked(s) for s in view.sections))


@router.get("/icbs/{code}/datapack", response_class=HTMLResponse, name="icb_datapack")
def datapack_page(request: Request, found: FoundPack) -> Response:
    if isinstance(found, Response):
        return found
    opened, view = found
    body = remember(
        request,
        opened,
        ("datapack page body", view.icb_code, view.year),
        lambda: render_body(_with_linked_charts(view)),
    )
    page = DatapackPage(
        title=f"Inequality datapack: {view.icb_name}, {view.year}",
        has_data=True,
        icb_code=view.icb_code,
        year=view.year,
        body=body,
        css=Markup(datapack_stylesheet()),
        pdf_href=_href(view.icb_code, ".pdf", view.year),
        html_href=_href(view.icb_code, ".html", view.year),
    )
    return render(request, "datapack.html", page)


@router.get("/icbs/{code}/datapack.pdf", name="icb_datapack_pdf")
def datapack_pdf(request: Request, found: FoundPack) -> Response:
    if isinstance(found, Response):
        return found
    opened, view = found
    db_path = shared_warehouse(request).db_path
    state = packs_of(request).request(db_path, opened.version, view.icb_code, view.year)
    name = file_name(view.icb_code, view.year, Format.pdf)
    if state.ready:
        return FileResponse(state.path, media_type="application/pdf", filename=name)
    if state.error is not None:
        logger.error("the datapack %s could not be made: %s", name, state.error)
        raise StarletteHTTPException(status_code=500)
    page = PdfProgress(
        title=f"Making the datapack PDF: {view.icb_name}, {view.year}",
        icb_name=view.icb_name,
        year=view.year,
        again_href=_href(view.icb_code, ".pdf", view.year),
        page_href=_href(view.icb_code, "", view.year),
    )
    response = render(request, "datapack_progress.html", page, status_code=202)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/icbs/{code}/datapack/{figure}.svg", name="icb_datapack_chart")
def datapack_chart(
    request: Request,
    reading: PageReading,
    code: str,
    figure: str,
    year: str = "",
    layout: str = Layout.WIDE.value,
) -> Response:
    if reading is None:
        return _no_data(request)
    view = _view(reading, code, year)
    if not FIGURE.match(figure) or layout not in tuple(Layout):
        raise StarletteHTTPException(status_code=404)
    svg = datapack_chart_svg(reading.con, view.icb_code, view.year, figure, Layout(layout))
    if svg is None:
        raise StarletteHTTPException(status_code=404)
    return Response(svg, media_type="image/svg+xml")


@router.get("/icbs/{code}/datapack.html", name="icb_datapack_html")
def datapack_html(request: Request, found: FoundPack) -> Response:
    if isinstance(found, Response):
        return found
    opened, view = found
    name = file_name(view.icb_code, view.year, Format.html)
    drawn = datapack_view(opened.con, view.icb_code, view.year)  # the file carries its charts
    return Response(
        render_html(drawn),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
