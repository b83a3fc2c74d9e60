"""The library: ``/resources`` (listing, filters, search) and ``/resources/{slug}`` (an article).

``/resources?q=allocate&type=tool&tag=deprivation&page=2``: every choice lives in the URL, so a
search can be shared. Whatever the parameters hold, the page is results or an empty page, never
an error: an unknown type is ignored, a page that is not a number is page 1, and the query only
ever reaches the index as quoted words (``gpequity.library.search``).

A resource's live figures (shortcodes) are computed from the warehouse when the page is shown;
each figure's table is also ``/resources/{slug}/tables/{n}.csv``.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpequity.analysis.payments import (
    DeprivationMissing,
    Total,
    TotalUnavailable,
    UnknownYear,
    loaded_years,
    national_summary,
    payments_by_deprivation,
    payments_trend,
    resolve_year,
)
from gpequity.analysis.profiles import has_payments
from gpequity.errors import WarehouseMissing
from gpequity.library import Library, Resource, ResourceType, ShortcodeCall
from gpequity.library.shortcodes import LATEST
from gpequity.warehouse.build import connect
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
from gpequity.web.warehouse import warehouse_path

router = APIRouter(include_in_schema=False)

T = TypeVar("T")

NO_PAYMENTS = "The payments files are not loaded yet, so this figure cannot be shown."
#: Highest page number read from a URL (anything larger is simply an empty page).
MAX_PAGE = 100_000


def library_of(request: Request) -> Library:
    """The app's library (loaded by ``create_app``)."""
    library: Library = request.app.state.library
    return library


def parse_page(text: str) -> int:
    """A page number from the URL: a positive whole number, else 1."""
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return 1
    return min(max(int(text), 1), MAX_PAGE)


@contextlib.contextmanager
def open_warehouse(request: Request) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the warehouse, or ``None`` when none is loaded yet."""
    try:
        con = connect(warehouse_path(request))
    except WarehouseMissing:
        yield None
        return
    try:
        yield con
    finally:
        con.close()


#: Analysis results kept per version of the warehouse file (see :func:`cached`).
CACHE_SIZE = 256
_cache: OrderedDict[tuple[Hashable, ...], object] = OrderedDict()
_cache_lock = threading.Lock()


def cached(request: Request, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``, kept while the warehouse file stays the same version.

    The live figures of the library and the home page's headline figures are the same for
    every reader until the warehouse is rebuilt, which gives the file a new inode (an atomic
    rename), so a result is kept under the file's inode, modification time and size. Without a
    warehouse nothing is kept. At most :data:`CACHE_SIZE` results, the least used dropped.
    """
    path = warehouse_path(request)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return compute()
    full_key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size, *key)
    with _cache_lock:
        if full_key in _cache:
            _cache.move_to_end(full_key)
            found: T = _cache[full_key]  # type: ignore[assignment]
            return found
    value = compute()
    with _cache_lock:
        _cache[full_key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


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


def figure_result(
    con: duckdb.DuckDBPyConnection | None, call: ShortcodeCall
) -> FigureResult | str | None:
    """What a shortcode shows, from the analysis modules; a reason (text) when it cannot be
    shown, ``None`` when no warehouse is loaded."""
    if con is None:
        return None
    if not has_payments(con):
        return NO_PAYMENTS
    total = Total(call.param("total", "core"))
    try:
        if call.name == "trend-table":
            return payments_trend(con, total=total)
        year_text = call.param("year", LATEST)
        year = loaded_years(con)[-1] if year_text == LATEST else resolve_year(con, year_text)
        if call.name == "national-summary":
            return national_summary(con, year)
        return payments_by_deprivation(
            con,
            year,
            total=total,
            exclude_prescribing=call.param("exclude-prescribing", "no") == "yes",
        )
    except (UnknownYear, TotalUnavailable, DeprivationMissing) as exc:
        return f"This figure cannot be shown: {exc}."


def shortcode_result(request: Request, call: ShortcodeCall) -> FigureResult | str | None:
    """:func:`figure_result` for this request's warehouse, kept while the file is unchanged."""

    def compute() -> FigureResult | str | None:
        with open_warehouse(request) as con:
            return figure_result(con, call)

    return cached(request, ("figure", call.name, call.params), compute)


def find_resource(request: Request, slug: str) -> Resource:
    resource = library_of(request).get(slug)
    if resource is None:
        raise StarletteHTTPException(status_code=404)
    return resource


@router.get("/resources/{slug}", response_class=HTMLResponse, name="resource")
def resource_page(request: Request, slug: str) -> HTMLResponse:
    resource = find_resource(request, slug)
    figures: list[FigureTable | FigureMessage] = [
        present_figure(shortcode_result(request, call), resource.slug, call)
        for call in resource.shortcodes
    ]
    related = library_of(request).related(resource)
    return render(request, "library/resource.html", present_article(resource, figures, related))


@router.get("/resources/{slug}/tables/{number}.csv", name="resource_table_csv")
def resource_table_csv(request: Request, slug: str, number: int) -> Response:
    """The CSV of a resource's ``number``-th live table (1 = the first)."""
    resource = find_resource(request, slug)
    calls = resource.shortcodes
    if not 1 <= number <= len(calls):
        raise StarletteHTTPException(status_code=404)
    call = calls[number - 1]
    result = shortcode_result(request, call)
    if result is None or isinstance(result, str):
        raise StarletteHTTPException(status_code=404)
    table = figure_csv(result, resource.slug, call)
    return csv_response(table.rows, table.header, table.filename)
