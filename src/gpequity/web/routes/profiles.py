"""Practice and ICB profiles, and the search that finds them.

* ``/practices?q=...``: find a practice by code, postcode (full, sector or outward code), name
  (misspelt too) or PCN, an ICB by name or code (:mod:`gpequity.analysis.directory`);
* ``/practices/{code}``: a practice beside its ICB, its quintile and England, with charts of
  its payments over the years, of where it sits among its ICB's and its IMD decile's practices
  and a spine of its indicators against England's range (``/practices/{code}/payments.csv``,
  ``/practices/{code}/indicators.csv``, ``/practices/{code}/peers.csv``);
* ``/icbs/{code}?year=&icb_map=&sort=&order=&filter=&quintile=&page=``: an ICB's summary
  (practices, patients, payments per weighted patient and by quintile, the gap, dispensing
  practices) and a chart of its payments over the years against England's, then its practices
  (sortable, filterable and paged without JavaScript, 50 a page; htmx swaps just the table when
  it runs; the CSV has every page), their spread across the national quintiles and the gradient
  by quintile against England's
  (``/icbs/{code}/practices.csv`` with the same parameters, ``quintiles.csv``, ``gradient.csv``).
  A year's practices are grouped by today's ICBs (``icb_map=current``, the default) or by the
  year's own (``historic``).

The figures come from :mod:`gpequity.analysis.profiles`; the code of an ICB abolished on 1 April
2026 redirects to its successor (or, split, names every successor: :mod:`gpequity.web.successors`);
a code the warehouse does not know is the site's 404 page.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpequity.analysis.directory import search_directory
from gpequity.analysis.payments import parse_year
from gpequity.analysis.profile_figures import (
    icb_summary,
    icb_trend,
    indicator_spine,
    practice_peers,
)
from gpequity.analysis.profiles import (
    IcbProfile,
    PracticeProfile,
    has_payments,
    icb_profile,
)
from gpequity.warehouse.icbs import IcbMap, superseded
from gpequity.web.downloads import csv_response
from gpequity.web.presenters_library import CsvTable
from gpequity.web.presenters_profile_charts import peers_csv
from gpequity.web.presenters_profiles import (
    TableQuery,
    icb_gradient_csv,
    icb_practices_csv,
    icb_spread_csv,
    practice_indicators_csv,
    practice_payments_csv,
    present_directory,
    present_icb,
    present_practice,
    read_table_query,
)
from gpequity.web.rendering import render, render_kept
from gpequity.web.results import find_practice
from gpequity.web.state import datapack_href
from gpequity.web.successors import successor_response
from gpequity.web.warehouse import PageReading, Reading

router = APIRouter(include_in_schema=False)

#: What a code in a URL may look like (anything else is a 404 without a query).
CODE = re.compile(r"^[A-Za-z0-9]{3,10}$")


def _download(table: CsvTable) -> Response:
    return csv_response(table.rows, table.header, table.filename)


@router.get("/practices", response_class=HTMLResponse, name="directory")
def directory(request: Request, reading: PageReading, q: str | None = None) -> HTMLResponse:
    con = None if reading is None else reading.con
    text = q or ""
    results = search_directory(con, text) if con is not None and has_payments(con) else None
    return render(request, "profiles/search.html", present_directory(results, text, q is not None))


def load_practice(request: Request, reading: Reading | None, code: str) -> PracticeProfile:
    """The practice's profile, or the 404 page (no such practice, or no warehouse)."""
    profile = None
    if reading is not None and CODE.match(code):
        profile = find_practice(request, reading, code)
    if profile is None:
        raise StarletteHTTPException(status_code=404)
    return profile


@router.get("/practices/{code}", response_class=HTMLResponse, name="practice")
def practice(request: Request, reading: PageReading, code: str) -> Response:
    profile = load_practice(request, reading, code)
    if profile.details.code != code:
        # One address per practice: /practices/f81004 goes to /practices/F81004.
        return RedirectResponse(f"/practices/{profile.details.code}", status_code=301)
    assert reading is not None  # load_practice found the practice in it
    page = present_practice(
        profile, practice_peers(reading.con, profile), indicator_spine(reading.con, profile)
    )
    return render(request, "profiles/practice.html", page)


@router.get("/practices/{code}/peers.csv", name="practice_peers_csv")
def practice_peers_download(request: Request, reading: PageReading, code: str) -> Response:
    profile = load_practice(request, reading, code)
    assert reading is not None
    return _download(peers_csv(profile, practice_peers(reading.con, profile)))


@router.get("/practices/{code}/payments.csv", name="practice_payments_csv")
def practice_payments_download(request: Request, reading: PageReading, code: str) -> Response:
    return _download(practice_payments_csv(load_practice(request, reading, code)))


@router.get("/practices/{code}/indicators.csv", name="practice_indicators_csv")
def practice_indicators_download(request: Request, reading: PageReading, code: str) -> Response:
    return _download(practice_indicators_csv(load_practice(request, reading, code)))


def read_icb_map(icb_map: str) -> IcbMap:
    """``?icb_map=``: ``current`` (blank) or ``historic``; anything else is the 404 page."""
    try:
        return IcbMap(icb_map.strip().lower() or IcbMap.current.value)
    except ValueError:
        raise StarletteHTTPException(status_code=404) from None


def load_icb(reading: Reading | None, code: str, year: str, icb_map: str = "") -> IcbProfile:
    if not CODE.match(code):
        raise StarletteHTTPException(status_code=404)
    chosen = parse_year(year) if year.strip() else None
    if year.strip() and chosen is None:
        raise StarletteHTTPException(status_code=404)
    grouping = read_icb_map(icb_map)
    con = None if reading is None else reading.con
    profile = (
        icb_profile(con, code, chosen, grouping) if con is not None and has_payments(con) else None
    )
    if profile is None:
        raise StarletteHTTPException(status_code=404)
    return profile


def table_query(
    sort: str = "", order: str = "", filter: str = "", quintile: str = "", page: str = ""
) -> TableQuery:
    """Dependency: how the ICB's table of practices is sorted, filtered and paged (its URL's
    query)."""
    return read_table_query(sort, order, filter, quintile, page)


#: A route's parameter: the table query of the request's URL.
TableQueryParam = Annotated[TableQuery, Depends(table_query)]


@router.get("/icbs/{code}", response_class=HTMLResponse, name="icb")
def icb(
    request: Request,
    reading: PageReading,
    query: TableQueryParam,
    code: str,
    year: str = "",
    icb_map: str = "",
    came_from: Annotated[str, Query(alias="from")] = "",
) -> Response:
    grouping = read_icb_map(icb_map)
    if reading is not None and grouping is IcbMap.current and CODE.match(code):
        resolution = superseded(reading.con, code)
        if resolution is not None:
            return successor_response(request, resolution, year=year.strip())
    profile = load_icb(reading, code, year, icb_map)
    if profile.code != code:
        return RedirectResponse(f"/icbs/{profile.code}", status_code=301)
    previous = superseded(reading.con, came_from) if reading and CODE.match(came_from) else None
    assert reading is not None  # load_icb found the ICB in it
    con = reading.con
    arrived_from = previous.message if previous else None
    return render_kept(
        request,
        reading,
        "profiles/icb.html",
        (profile.code, profile.year, profile.icb_map, query, arrived_from),
        lambda: present_icb(
            profile,
            query,
            datapack_href=datapack_href(request, profile.code),
            arrived_from=arrived_from,
            summary=icb_summary(profile),
            trend=icb_trend(con, profile.code, profile.icb_map),
        ),
    )


@router.get("/icbs/{code}/practices.csv", name="icb_practices_csv")
def icb_practices_download(
    reading: PageReading, query: TableQueryParam, code: str, year: str = "", icb_map: str = ""
) -> Response:
    return _download(icb_practices_csv(load_icb(reading, code, year, icb_map), query))


@router.get("/icbs/{code}/quintiles.csv", name="icb_quintiles_csv")
def icb_quintiles_download(
    reading: PageReading, code: str, year: str = "", icb_map: str = ""
) -> Response:
    return _download(icb_spread_csv(load_icb(reading, code, year, icb_map)))


@router.get("/icbs/{code}/gradient.csv", name="icb_gradient_csv")
def icb_gradient_download(
    reading: PageReading, code: str, year: str = "", icb_map: str = ""
) -> Response:
    return _download(icb_gradient_csv(load_icb(reading, code, year, icb_map)))
