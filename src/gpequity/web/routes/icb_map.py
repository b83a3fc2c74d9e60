"""The England map of ICBs: ``/icbs`` and its table as CSV, ``/icbs.csv``.

``/icbs?measure=gap|per-weighted|imd&sort=name|gap|per-weighted|imd&order=asc|desc``: the 36 ICBs
of April 2026 as a tile map coloured by the measure chosen (a plain GET form: no JavaScript
needed), with the table of every ICB's three measures; a measure that is not one of the three is
the page with an error naming the choices (status 400). The figures are
:func:`gpequity.analysis.icb_measures.icb_measures`, computed once per build of the warehouse.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gpequity.web.downloads import csv_response
from gpequity.web.presenters_icb_map import (
    CSV_HEADER,
    icb_measures_csv,
    present_icb_map_page,
    read_map_sort,
    read_measure,
)
from gpequity.web.rendering import render
from gpequity.web.results import measures_or_reason
from gpequity.web.warehouse import PageReading

router = APIRouter(include_in_schema=False)


@router.get("/icbs", response_class=HTMLResponse, name="icb_map")
def icb_map(
    request: Request, reading: PageReading, measure: str = "", sort: str = "", order: str = ""
) -> HTMLResponse:
    measures, reason = measures_or_reason(reading)
    chosen = read_measure(measure)
    page = present_icb_map_page(
        measures, chosen, read_map_sort(sort, order), asked=measure, no_data_reason=reason
    )
    return render(request, "icbs/map.html", page, status_code=400 if chosen is None else 200)


@router.get("/icbs.csv", name="icb_map_csv")
def icb_map_download(reading: PageReading) -> Response:
    measures, reason = measures_or_reason(reading)
    if measures is None:
        return Response(f"{reason}\n", status_code=404, media_type="text/plain; charset=utf-8")
    filename = f"gpequity-icb-measures-{measures.year.replace('/', '-')}.csv"
    return csv_response(icb_measures_csv(measures), CSV_HEADER, filename)
