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
from gpequity.analysis.payments import rank_label
from gpequity.charts import (
    POUNDS_AXIS,
    Chart,
    pounds_axis,
    quintile_labels,
    quintile_x_axis,
    records,
    vega_spec,
)

#: ICB against England in every chart: NHS blue against NHS mid grey.
SERIES_COLOURS = {"This ICB": "#005eb8", "England": "#768692"}
#: Charts fill the width of an A4 page between its margins (in CSS pixels).
WIDTH = 500
HEIGHT = 200
SMALL_WIDTH = 300
SMALL_HEIGHT = 150
#: Bars of payment-line differences: above England, below England.
ABOVE, BELOW = "#005eb8", "#ed8b00"
PERCENT_AXIS = ".0%"


def _spec(reading: str, values: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    # No title: the pack prints the figure's title above the chart, and its reading.
    return vega_spec(reading, values, size=(WIDTH, HEIGHT), **body)


def _series_colour() -> dict[str, Any]:
    return {
        "field": "series",
        "type": "nominal",
        "title": None,
        "sort": list(SERIES_COLOURS),
        "scale": {"domain": list(SERIES_COLOURS), "range": list(SERIES_COLOURS.values())},
    }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def _icb_against_england(
    name: str,
    title: str,
    reading: str,
    field: str,
    pairs: list[tuple[str, float | None, float | None]],
    axis: tuple[str, str],
) -> Chart:
    """Bars of a figure by national quintile, the ICB's beside England's.

    ``pairs`` are (quintile label, the ICB's value, England's value); ``axis`` is the y axis's
    title and number format.
    """
    header = ("quintile", "series", field)
    rows: list[tuple[Any, ...]] = []
    for label, icb, england in pairs:
        rows.append((label, "This ICB", icb))
        rows.append((label, "England", england))
    axis_title, axis_format = axis
    spec = _spec(
        reading,
        records(header, rows),
        mark={"type": "bar"},
        encoding={
            "x": quintile_x_axis(),
            "xOffset": {"field": "series", "sort": list(SERIES_COLOURS)},
            "y": {
                "field": field,
                "type": "quantitative",
                "title": axis_title,
                "axis": {"format": axis_format},
            },
            "color": _series_colour(),
        },
    )
    return Chart(name, title, reading, spec, header, tuple(rows))


def patients_chart(overview: IcbOverview, reading: str) -> Chart:
    """Share of registered patients in each national IMD quintile: the ICB against England."""
    pairs = [
        (g.label, _round(g.share_of_patients, 4), _round(g.england_share_of_patients, 4))
        for g in overview.groups
    ]
    return _icb_against_england(
        "icb-patients",
        "Registered patients by deprivation",
        reading,
        "share_of_patients",
        pairs,
        ("Share of registered patients", PERCENT_AXIS),
    )


def payments_chart(comparison: PaymentsComparison, title: str, reading: str) -> Chart:
    """Payments per weighted patient by national quintile: the ICB against England."""
    pairs = [
        (
            r.label,
            _round(r.icb.per_weighted_patient if r.icb else None, 2),
            _round(r.england.per_weighted_patient if r.england else None, 2),
        )
        for r in comparison.rows
    ]
    name = "icb-payments-without-dispensing" if comparison.exclude_prescribing else "icb-payments"
    return _icb_against_england(
        name,
        title,
        reading,
        "per_weighted_patient",
        pairs,
        ("£ per weighted patient", POUNDS_AXIS),
    )


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
        records(header, rows),
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
            "x": pounds_axis("difference", "This ICB minus England, £ per weighted patient"),
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
        records(header, (r for r in rows if r[2] is not None)),
        width=SMALL_WIDTH,
        height=SMALL_HEIGHT,
        mark={"type": "line", "point": True},
        encoding={
            "x": {
                "field": "quintile",
                "type": "ordinal",
                "sort": quintile_labels(),
                "scale": {"domain": quintile_labels()},
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
