"""The library: ``/resources`` (listing, filters, search) and ``/resources/{slug}`` (an article).

``/resources?q=allocate&type=tool&tag=deprivation&page=2``: every choice lives in the URL, so a
search can be shared. Whatever the parameters hold, the page is results or an empty page, never
an error: an unknown type is ignored, a page that is not a number is page 1, and the query only
ever reaches the index as quoted words (``gpequity.library.search``).

A resource's live figures (shortcodes) are computed from the warehouse when the page is shown;
each figure's table is also ``/resources/{slug}/tables/{n}.csv``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpequity.library import Resource, ResourceType, ShortcodeCall
from gpequity.library.figures import figure_result
from gpequity.web.downloads import csv_response
from gpequity.web.presenters_library import (
    FigureMessage,
    FigureResult,
    FigureTable,
    figure_csv,
    present_article,
    present_figure,
    present_library,
)
from gpequity.web.rendering import render
from gpequity.web.state import library_of
from gpequity.web.warehouse import PageReading, Reading, remember

router = APIRouter(include_in_schema=False)

#: Highest page number read from a URL (anything larger is simply an empty page).
MAX_PAGE = 100_000


def parse_page(text: str) -> int:
    """A page number from the URL: a positive whole number, else 1."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return 1
    return min(max(int(text), 1), MAX_PAGE)


@router.get("/resources", response_class=HTMLResponse, name="library")
def resources(
    request: Request, q: str = "", type: str = "", tag: str = "", page: str = "1"
) -> HTMLResponse:
    library = library_of(request)
    type_ = ResourceType.from_slug(type.strip())
    tag_value = tag.strip() or None
    results = library.find(q, type_=type_, tag=tag_value, page=parse_page(page))
    return render(
        request,
        "library/index.html",
        present_library(library, results, query=q, type_=type_, tag=tag_value),
    )


def shortcode_result(
    request: Request, reading: Reading | None, call: ShortcodeCall
) -> FigureResult | str | None:
    """What the shortcode shows from this request's warehouse (kept while the file is
    unchanged): a reason (text) when it cannot be shown, ``None`` when no warehouse is loaded.
    """
    if reading is None:
        return None
    return remember(
        request,
        reading,
        ("figure", call.name, call.params),
        lambda: figure_result(reading.con, call),
    )


def find_resource(request: Request, slug: str) -> Resource:
    resource = library_of(request).get(slug)
    if resource is None:
        raise StarletteHTTPException(status_code=404)
    return resource


@router.get("/resources/{slug}", response_class=HTMLResponse, name="resource")
def resource_page(request: Request, reading: PageReading, slug: str) -> HTMLResponse:
    resource = find_resource(request, slug)
    figures: list[FigureTable | FigureMessage] = [
        present_figure(shortcode_result(request, reading, call), resource.slug, call)
        for call in resource.shortcodes
    ]
    related = library_of(request).related(resource)
    return render(request, "library/resource.html", present_article(resource, figures, related))


@router.get("/resources/{slug}/tables/{number}.csv", name="resource_table_csv")
def resource_table_csv(request: Request, reading: PageReading, slug: str, number: int) -> Response:
    """The CSV of a resource's ``number``-th live table (1 = the first)."""
    resource = find_resource(request, slug)
    calls = resource.shortcodes
    if not 1 <= number <= len(calls):
        raise StarletteHTTPException(status_code=404)
    call = calls[number - 1]
    result = shortcode_result(request, reading, call)
    if result is None or isinstance(result, str):
        raise StarletteHTTPException(status_code=404)
    table = figure_csv(result, resource.slug, call)
    return csv_response(table.rows, table.header, table.filename)
