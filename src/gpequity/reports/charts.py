"""The charts of an ICB datapack: Vega-Lite specs built from :mod:`gpequity.analysis.icb`.

They are :class:`gpequity.charts.Chart` objects like the payments charts (same configuration,
same offline renderer, same one-sentence reading and data table), so a pack inlines them with
:func:`gpequity.charts.render_svg`. Each function takes the analysis result and the reading the
pack prints under it; the data table is the chart's own data, which the pack prints beside it.
"""

from __future__ import annotations

from typing import Any

from gpequity.analysis.icb import (
    IcbOverview,
    IcbPaymentLines,
    IndicatorComparison,
    PaymentsComparison,
)
from gpequity.analysis.payments import QUINTILES, rank_label
from gpequity.charts import CONFIG, SCHEMA, Chart

#: ICB against England in every chart: NHS blue against NHS mid grey.
SERIES_COLOURS = {"This ICB": "#005eb8", "England": "#768692"}
#: Charts fill the width of an A4 page between its margins (in CSS pixels).
WIDTH = 500
HEIGHT = 200
SMALL_WIDTH = 300
SMALL_HEIGHT = 150
#: Bars of payment-line differences: above England, below England.
ABOVE, BELOW = "#005eb8", "#ed8b00"
POUNDS_AXIS = "$,.0f"
PERCENT_AXIS = ".0%"


def _spec(reading: str, values: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    # No title: the pack prints the figure's title above the chart, and its reading.
    return {
        "$schema": SCHEMA,
        "description": reading,
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": values},
        "config": CONFIG,
        **body,
    }


def _labels() -> list[str]:
    return [rank_label(q) for q in range(1, QUINTILES + 1)]


def _series_colour() -> dict[str, Any]:
    return {
        "field": "series",
        "type": "nominal",
        "title": None,
        "sort": list(SERIES_COLOURS),
        "scale": {"domain": list(SERIES_COLOURS), "range": list(SERIES_COLOURS.values())},
    }


def _quintile_axis() -> dict[str, Any]:
    return {
        "field": "quintile",
        "type": "ordinal",
        "sort": _labels(),
        "title": "Practices by deprivation (national fifths)",
        "axis": {"labelAngle": 0},
    }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def patients_chart(overview: IcbOverview, reading: str) -> Chart:
    """Share of registered patients in each national IMD quintile: the ICB against England."""
    header = ("quintile", "series", "share_of_patients")
    rows: list[tuple[Any, ...]] = []
    for g in overview.groups:
        rows.append((g.label, "This ICB", _round(g.share_of_patients, 4)))
        rows.append((g.label, "England", _round(g.england_share_of_patients, 4)))
    title = "Registered patients by deprivation"
    spec = _spec(
        reading,
        [dict(zip(header, r, strict=True)) for r in rows],
        mark={"type": "bar"},
        encoding={
            "x": _quintile_axis(),
            "xOffset": {"field": "series", "sort": list(SERIES_COLOURS)},
            "y": {
                "field": "share_of_patients",
                "type": "quantitative",
                "title": "Share of registered patients",
                "axis": {"format": PERCENT_AXIS},
            },
            "color": _series_colour(),
        },
    )
    return Chart("icb-patients", title, reading, spec, header, tuple(rows))


def payments_chart(comparison: PaymentsComparison, title: str, reading: str) -> Chart:
    """Payments per weighted patient by national quintile: the ICB against England."""
    header = ("quintile", "series", "per_weighted_patient")
    rows: list[tuple[Any, ...]] = []
    for r in comparison.rows:
        icb = r.icb.per_weighted_patient if r.icb else None
        england = r.england.per_weighted_patient if r.england else None
        rows.append((r.label, "This ICB", _round(icb, 2)))
        rows.append((r.label, "England", _round(england, 2)))
    spec = _spec(
        reading,
        [dict(zip(header, r, strict=True)) for r in rows],
        mark={"type": "bar"},
        encoding={
            "x": _quintile_axis(),
            "xOffset": {"field": "series", "sort": list(SERIES_COLOURS)},
            "y": {
                "field": "per_weighted_patient",
                "type": "quantitative",
                "title": "£ per weighted patient",
                "axis": {"format": POUNDS_AXIS},
            },
            "color": _series_colour(),
        },
    )
    name = "icb-payments-without-dispensing" if comparison.exclude_prescribing else "icb-payments"
    return Chart(name, title, reading, spec, header, tuple(rows))


def payment_lines_chart(lines: IcbPaymentLines, top: int, reading: str) -> Chart:
    """The payment lines whose figure per weighted patient differs most from England's."""
    header = ("payment_line", "difference", "direction")
    rows = tuple(
        (
            line.label,
            _round(line.difference, 2),
            "above England" if (line.difference or 0) >= 0 else "below England",
        )
        for line in lines.top(top)
    )
    title = "Payment lines that differ most from England"
    spec = _spec(
        reading,
        [dict(zip(header, r, strict=True)) for r in rows],
        height=24 * max(len(rows), 1),
        mark={"type": "bar"},
        encoding={
            "y": {
                "field": "payment_line",
                "type": "nominal",
                "sort": [r[0] for r in rows],
                "title": None,
                "axis": {"labelLimit": 230},
            },
            "x": {
                "field": "difference",
                "type": "quantitative",
                "title": "This ICB minus England, £ per weighted patient",
                "axis": {"format": POUNDS_AXIS},
            },
            "color": {
                "field": "direction",
                "type": "nominal",
                "title": None,
                "scale": {"domain": ["above England", "below England"], "range": [ABOVE, BELOW]},
            },
        },
    )
    return Chart("icb-payment-lines", title, reading, spec, header, rows)


def indicator_chart(indicator: IndicatorComparison, reading: str) -> Chart:
    """An indicator's value by national quintile: the ICB against England (a small chart)."""
    header = ("quintile", "series", "value")
    rows: list[tuple[Any, ...]] = []
    for q, (icb, england) in enumerate(zip(indicator.icb, indicator.england, strict=True), 1):
        rows.append((rank_label(q), "This ICB", _round(icb.value, 3)))
        rows.append((rank_label(q), "England", _round(england.value, 3)))
    title = indicator.name
    spec = _spec(
        reading,
        [dict(zip(header, r, strict=True)) for r in rows if r[2] is not None],
        width=SMALL_WIDTH,
        height=SMALL_HEIGHT,
        mark={"type": "line", "point": True},
        encoding={
            "x": {
                "field": "quintile",
                "type": "ordinal",
                "sort": _labels(),
                "scale": {"domain": _labels()},
                "title": None,
                "axis": {"labelAngle": 0, "labelExpr": "split(datum.label, ' ')[0]"},
            },
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": None,
                "scale": {"zero": False},
            },
            "color": _series_colour(),
        },
    )
    spec["title"] = {"text": "Q1 = least deprived, Q5 = most deprived", "fontSize": 11}
    return Chart(f"indicator-{indicator.indicator_id}", title, reading, spec, header, tuple(rows))
