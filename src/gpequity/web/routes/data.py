"""The Data page: what the warehouse holds, file by file, and its CSV download."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from gpequity.web.downloads import csv_response
from gpequity.web.presenters import present_data_page, sources_csv
from gpequity.web.rendering import render
from gpequity.web.warehouse import warehouse_status

router = APIRouter(include_in_schema=False)

#: The CSV download's file name.
SOURCES_CSV_FILENAME = "gpequity-sources.csv"


@router.get("/data", response_class=HTMLResponse, name="data")
def data_page(request: Request) -> HTMLResponse:
    return render(request, "data.html", present_data_page(warehouse_status(request)))


@router.get("/data/sources.csv", name="data_sources_csv")
def data_sources_csv(request: Request) -> Response:
    status = warehouse_status(request)
    if status is None:
        # Nothing to download: the page says why, with the status of a resource not ready.
        return render(request, "data.html", present_data_page(None), status_code=503)
    header, rows = sources_csv(status)
    return csv_response(rows, header, SOURCES_CSV_FILENAME)
