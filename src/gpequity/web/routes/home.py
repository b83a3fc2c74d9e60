"""The home page: what the service offers, the latest resources, headline figures."""

from __future__ import annotations

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gpequity.analysis.payments import (
    DeprivationMissing,
    DeprivationResult,
    NationalSummary,
    NoPaymentYears,
    latest_year,
    national_summary,
    payments_by_deprivation,
)
from gpequity.web.presenters_home import present_home_page
from gpequity.web.presenters_icb_map import present_home_map
from gpequity.web.rendering import render
from gpequity.web.results import measures_or_reason
from gpequity.web.state import library_of, serves_datapacks
from gpequity.web.warehouse import PageReading, remember

router = APIRouter(include_in_schema=False)


def headline_results(
    con: duckdb.DuckDBPyConnection,
) -> tuple[NationalSummary | None, DeprivationResult | None]:
    """The national summary and the by-deprivation analysis of the latest payments year."""
    try:
        year = latest_year(con)
    except NoPaymentYears:
        return None, None
    summary = national_summary(con, year)
    try:
        deprivation = payments_by_deprivation(con, year)
    except DeprivationMissing:
        deprivation = None
    return summary, deprivation


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, reading: PageReading) -> HTMLResponse:
    summary: NationalSummary | None = None
    deprivation: DeprivationResult | None = None
    if reading is not None:
        summary, deprivation = remember(
            request, reading, ("home headlines",), lambda: headline_results(reading.con)
        )
    measures, _ = measures_or_reason(reading)
    page = present_home_page(
        has_data=reading is not None,
        latest=library_of(request).resources,
        summary=summary,
        deprivation=deprivation,
        datapacks=serves_datapacks(request),
        icb_map=present_home_map(measures) if measures is not None else None,
    )
    return render(request, "home.html", page)
