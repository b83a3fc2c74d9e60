"""The home page: what the service offers, the latest resources, headline figures."""

from __future__ import annotations

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gpequity.analysis.payments import (
    DeprivationMissing,
    DeprivationResult,
    NationalSummary,
    loaded_years,
    national_summary,
    payments_by_deprivation,
)
from gpequity.analysis.profiles import has_payments
from gpequity.web.presenters_home import present_home_page
from gpequity.web.rendering import render
from gpequity.web.routes.library import cached, library_of, open_warehouse
from gpequity.web.routes.profiles import serves_datapacks
from gpequity.web.warehouse import warehouse_status

router = APIRouter(include_in_schema=False)


def headline_results(
    con: duckdb.DuckDBPyConnection,
) -> tuple[NationalSummary | None, DeprivationResult | None]:
    """The national summary and the by-deprivation analysis of the latest payments year."""
    if not has_payments(con):
        return None, None
    years = loaded_years(con)
    if not years:
        return None, None
    summary = national_summary(con, years[-1])
    try:
        deprivation = payments_by_deprivation(con, years[-1])
    except DeprivationMissing:
        deprivation = None
    return summary, deprivation


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request) -> HTMLResponse:
    status = warehouse_status(request)
    summary: NationalSummary | None = None
    deprivation: DeprivationResult | None = None
    if status is not None:

        def compute() -> tuple[NationalSummary | None, DeprivationResult | None]:
            with open_warehouse(request) as con:
                return headline_results(con) if con is not None else (None, None)

        summary, deprivation = cached(request, ("home headlines",), compute)
    page = present_home_page(
        has_data=status is not None,
        latest=library_of(request).resources,
        summary=summary,
        deprivation=deprivation,
        datapacks=serves_datapacks(request),
    )
    return render(request, "home.html", page)
