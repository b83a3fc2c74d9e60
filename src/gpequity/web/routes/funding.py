"""The Funding and deprivation page: NHS payments to general practice by deprivation, per year.

``/funding?year=2022/23[&total=core|incl_covid|incl_covid_pcn][&exclude_prescribing=1]`` runs
the payments analysis (:mod:`gpequity.analysis.payments`) for the year and shows it; every
table of the page is also ``/funding/<table>.csv`` with the same query. One route and one
template serve the plain form and its htmx enhancement (which swaps the page's content).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpequity.analysis.payments import (
    By,
    DeprivationMissing,
    Total,
    TotalUnavailable,
    loaded_years,
    national_summary,
    payment_lines_by_deprivation,
    payments_by_deprivation,
    payments_trend,
)
from gpequity.web.downloads import csv_response
from gpequity.web.funding.page import (
    present_funding,
    present_funding_problem,
    present_funding_without_payments,
)
from gpequity.web.funding.query import (
    CSV_TABLES,
    FundingQuery,
    csv_filename,
    query_status,
    read_funding_query,
    total_unavailable,
)
from gpequity.web.funding.results import FundingAnalysis, funding_tables
from gpequity.web.rendering import render, render_kept
from gpequity.web.warehouse import PageReading, Reading

router = APIRouter(include_in_schema=False)

TEMPLATE = "funding.html"


def analyse_funding(con: duckdb.DuckDBPyConnection, query: FundingQuery) -> FundingAnalysis:
    """Run every analysis the page shows for ``query``.

    Raises :class:`TotalUnavailable` when the year's file cannot give the chosen total.
    """
    summary = national_summary(con, query.year)
    try:
        deprivation = payments_by_deprivation(
            con, query.year, total=query.total, exclude_prescribing=query.exclude_prescribing
        )
    except DeprivationMissing as exc:
        return FundingAnalysis(query, summary, deprivation_missing=str(exc))
    by_dispensing = payments_by_deprivation(
        con,
        query.year,
        total=query.total,
        exclude_prescribing=query.exclude_prescribing,
        by=By.dispensing,
    )
    trend = payments_trend(con, total=query.total, exclude_prescribing=query.exclude_prescribing)
    year_of_trend = next((y for y in trend.years if y.year == query.year), None)
    if year_of_trend is None:
        # The chosen total leaves the year out of the series; the core total never does.
        year_of_trend = next(
            (y for y in payments_trend(con, total=Total.core).years if y.year == query.year),
            None,
        )
    return FundingAnalysis(
        query=query,
        summary=summary,
        deprivation=deprivation,
        by_dispensing=by_dispensing,
        lines=payment_lines_by_deprivation(con, query.year),
        trend=trend,
        imd_methods=year_of_trend.imd_methods if year_of_trend else (),
    )


def _funding(
    request: Request,
    reading: Reading | None,
    choice: FundingChoice,
    table: str | None = None,
) -> Response:
    """The page (or, with ``table``, that table's CSV) for the request's choice."""
    if table is not None and table not in CSV_TABLES:
        raise StarletteHTTPException(status_code=404)
    if reading is None:
        # Nothing to show or download yet: the page says why (a download, with the status of
        # a resource not ready, as on the Data page).
        page = present_funding_without_payments(has_data=False)
        return render(request, TEMPLATE, page, status_code=503 if table else 200)
    con = reading.con
    years = loaded_years(con)
    if not years:
        page = present_funding_without_payments(has_data=True)
        return render(request, TEMPLATE, page, status_code=404 if table else 200)
    query, errors = read_funding_query(years, choice.year, choice.total, choice.exclude_prescribing)
    if errors:
        return render(
            request,
            TEMPLATE,
            present_funding_problem(years, query, errors),
            status_code=query_status(errors),
        )
    try:
        analysis = analyse_funding(con, query)
    except TotalUnavailable as exc:
        # A choice the form offers, so the page answers it (htmx swaps only a success).
        problem = [total_unavailable(exc.year, exc.reason)]
        return render(
            request,
            TEMPLATE,
            present_funding_problem(years, query, problem),
            status_code=404 if table else 200,
        )
    if table is not None:
        tables = funding_tables(analysis)
        if table not in tables:
            raise StarletteHTTPException(status_code=404)
        return csv_response(tables[table].rows, tables[table].header, csv_filename(table, query))
    return render_kept(request, reading, TEMPLATE, query, lambda: present_funding(years, analysis))


@dataclass(frozen=True)
class FundingChoice:
    """The page's query as sent (``?year=&total=&exclude_prescribing=``), for the page and its
    CSV downloads alike; :func:`read_funding_query` checks it."""

    year: str | None = None
    total: str | None = None
    exclude_prescribing: str | None = None


Choice = Annotated[FundingChoice, Depends()]


@router.get("/funding", response_class=HTMLResponse, name="funding")
def funding(request: Request, reading: PageReading, choice: Choice) -> Response:
    return _funding(request, reading, choice)


@router.get("/funding/{table}.csv", name="funding_csv")
def funding_csv(request: Request, reading: PageReading, table: str, choice: Choice) -> Response:
    return _funding(request, reading, choice, table=table)
