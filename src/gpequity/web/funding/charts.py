"""The page's charts: inline SVG, with their data as a table."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from gpequity.charts import Chart, render_layouts
from gpequity.formats import (
    NOT_AVAILABLE,
    format_count,
    format_number,
    format_percent,
    format_pounds,
)
from gpequity.web.funding.query import FundingQuery, csv_href
from gpequity.web.funding.results import CHARTS_WITH_OWN_TABLE
from gpequity.web.views import Cell, ChartView, Column, TableView

_ChartColumn = tuple[str, Callable[[Any], str], bool]


def _text(value: Any) -> str:
    return NOT_AVAILABLE if value is None else str(value)


#: How the columns of the charts' data (``Chart.header``) are named and formatted.
CHART_COLUMNS: dict[str, _ChartColumn] = {
    "quintile": ("Deprivation fifth", _text, False),
    "series": ("Practices", _text, False),
    "year": ("Financial year", _text, False),
    "payment_line": ("Payment line", _text, False),
    "practices": ("Number of practices", format_count, True),
    "per_weighted_patient": ("Per weighted patient", format_pounds, True),
    "dispensing_practices": ("Dispensing practices", format_count, True),
    "share_of_dispensing_pct": ("Share of all dispensing practices", format_percent, True),
    "share_of_quintile_pct": ("Share of the fifth's practices", format_percent, True),
    "index_national_100": ("Index (England = 100)", format_number, True),
    "favours": ("Line favours", _text, False),
}
#: Rendered charts kept in memory (an SVG is 10-60 kB; rendering one takes 0.1-1 s).
SVG_CACHE_SIZE = 64
#: How many leading columns of each chart's data name its row (row headers).
CHART_ROW_HEADERS = {
    "dispensing-split": 2,
    "dispensing-distribution": 1,
    "trend": 2,
    "payment-lines": 2,
}


def present_chart(chart: Chart, query: FundingQuery) -> ChartView:
    """A chart as inline SVG (``role="img"``, its title and reading as the accessible name and
    description), with its data as a table unless the page shows that table right after it."""
    # Trusted markup: rendered by vl-convert from our spec, its text escaped there.
    svg = Markup(chart_svg(chart))
    if chart.name in CHARTS_WITH_OWN_TABLE:
        return ChartView(f"chart-{chart.name}", chart.title, chart.reading, svg, None)
    row_headers = CHART_ROW_HEADERS.get(chart.name, 1)
    columns = [CHART_COLUMNS.get(key, (key, _text, False)) for key in chart.header]
    table = TableView(
        id=f"chart-{chart.name}-data",
        caption=f"Data of the chart: {chart.title}, {query.year}",
        columns=tuple(Column(label, numeric) for label, _, numeric in columns),
        rows=tuple(
            tuple(
                Cell(fmt(value), header=i < row_headers, numeric=numeric and i >= row_headers)
                for i, (value, (_, fmt, numeric)) in enumerate(zip(row, columns, strict=True))
            )
            for row in chart.rows
        ),
        csv_href=csv_href(f"chart-{chart.name}", query),
        small=True,
    )
    return ChartView(
        id=f"chart-{chart.name}",
        heading=chart.title,
        reading=chart.reading,
        svg=svg,
        table=table,
    )


def chart_svg(chart: Chart) -> str:
    """The chart's SVGs, wide and narrow (:func:`gpequity.charts.render_layouts`), their
    ``id``s prefixed by its name; the same chart is rendered once while it stays in the
    cache."""
    try:
        spec = json.dumps(chart.spec, sort_keys=True)
    except TypeError:  # a value JSON cannot hold: render it uncached
        return render_layouts(chart)
    return _cached_svg(chart.name, chart.title, chart.reading, spec)


@functools.lru_cache(maxsize=SVG_CACHE_SIZE)
def _cached_svg(name: str, title: str, reading: str, spec: str) -> str:
    return render_layouts(Chart(name, title, reading, json.loads(spec), (), ()))
