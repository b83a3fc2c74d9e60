"""The England map of ICBs: ``/icbs`` and its table as CSV, ``/icbs.csv``.

``/icbs?measure=gap|per-weighted|imd&view=tiles|boundaries&sort=name|gap|per-weighted|imd&order=asc|desc``:
the 36 ICBs of April 2026 as a tile map (or, with ``view=boundaries`` and ONS's boundaries
loaded, their outlines) coloured by the measure chosen (a plain GET form: no JavaScript needed),
with the table of every ICB's three measures; a measure or view that is not one is the page with
an error naming the choices (status 400). The figures are
:func:`gpequity.analysis.icb_measures.icb_measures`, computed once per build of the warehouse.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gpequity.analysis.icb_boundaries import icb_boundary_map
from gpequity.web.downloads import csv_response
from gpequity.web.presenters_icb_map import (
    CSV_HEADER,
    MapKind,
    icb_measures_csv,
    present_icb_map_page,
    read_map_sort,
    read_measure,
    read_view,
)
from gpequity.web.rendering import render
from gpequity.web.results import measures_or_reason
from gpequity.web.warehouse import PageReading

router = APIRouter(include_in_schema=False)


@router.get("/icbs", response_class=HTMLResponse, name="icb_map")
def icb_map(
    request: Request,
    reading: PageReading,
    measure: str = "",
    view: str = "",
    sort: str = "",
    order: str = "",
) -> HTMLResponse:
    measures, reason = measures_or_reason(reading)
    chosen, drawn = read_measure(measure), read_view(view)
    boundaries = None
    if reading is not None and measures is not None and drawn is MapKind.boundaries:
        boundaries = icb_boundary_map(reading.con)
    page = present_icb_map_page(
        measures,
        chosen,
        read_map_sort(sort, order),
        view=drawn,
        asked=(measure, view),
        boundaries=boundaries,
        no_data_reason=reason,
    )
    return render(request, "icbs/map.html", page, status_code=400 if page.form.errors else 200)


@router.get("/icbs.csv", name="icb_map_csv")
def icb_map_download(reading: PageReading) -> Response:
    measures, reason = measures_or_reason(reading)
    if measures is None:
        return Response(f"{reason}\n", status_code=404, media_type="text/plain; charset=utf-8")
    filename = f"gpequity-icb-measures-{measures.year.replace('/', '-')}.csv"
    return csv_response(icb_measures_csv(measures), CSV_HEADER, filename)
