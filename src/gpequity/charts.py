"""Charts of the payments analysis and the allocation tool: Vega-Lite specs built from results.

One spec per chart, used everywhere: the web page inlines its SVG, reports embed its SVG or
PNG, and ``gpequity payments chart`` writes either. Rendering is offline: ``vl-convert-python``
(BSD-3-Clause) bundles the Vega-Lite compiler and a renderer, and is told to fetch nothing
(``allowed_base_urls=[]``); the data is inline in the spec.

Every chart carries a one-sentence reading in plain English (also the SVG's accessible
description) and its data as a table, so that nothing is only shown as a picture.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import duckdb

from gpequity.allocation import Baseline, Unit
from gpequity.allocation.measures import baseline_per_patient
from gpequity.allocation.scenario import ScenarioOutcome
from gpequity.allocation.sensitivity import Sensitivity, most_deprived_move
from gpequity.analysis.payments import (
    QUINTILES,
    By,
    DeprivationResult,
    PaymentLinesResult,
    Total,
    TrendResult,
    payment_lines_by_deprivation,
    payments_by_deprivation,
    payments_trend,
    rank_label,
)
from gpequity.chart_layouts import Layout, fits_phone, layout_spec, prefix_svg_ids
from gpequity.errors import GpequityError
from gpequity.formats import (
    format_count,
    format_number,
    format_per_patient,
    format_percent,
    format_pounds,
    format_share,
    format_with_interval,
)

#: The Vega-Lite version the specs are written for (and rendered with).
VEGA_LITE_VERSION = "5.20"
SCHEMA = f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION}.json"
WIDTH = 560
HEIGHT = 320
#: PNG pixels per SVG pixel: sharp on high-density screens and in print.
PNG_SCALE = 2.0
#: The payment lines chart shows this many of the largest lines.
TOP_PAYMENT_LINES = 15
#: Quintile colours, least to most deprived: steps of the colour-blind-safe "plasma" ramp,
#: none so light that a line is lost on white.
QUINTILE_COLOURS = ("#fca636", "#e16462", "#b12a90", "#6a00a8", "#0d0887")
SERIES_COLOURS = {"All practices": "#425563", "Dispensing": "#ed8b00", "Non-dispensing": "#005eb8"}
FONT = "Arial, Helvetica, sans-serif"
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "grid": True, "gridColor": "#e8edee"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
    "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 12},
}
POUNDS = "$,.2f"
POUNDS_AXIS = "$,.0f"
#: In the payment lines heat map, cells this far from 100 are dark: their label is white.
DARK_CELL_DISTANCE = 45


class UnknownChart(GpequityError):
    """A chart name that is not one of :data:`CHART_NAMES`."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no chart named '{name}'; charts: {', '.join(CHART_NAMES)}")


class UnsupportedChartFile(GpequityError):
    """A chart output file that is neither ``.svg`` nor ``.png``."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: a chart is written as .svg or .png")


@dataclass(frozen=True)
class Chart:
    """A chart: its Vega-Lite spec, a one-sentence reading and its data as a table."""

    name: str
    title: str
    reading: str
    spec: dict[str, Any]
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        """The data table as a list of objects (header -> value)."""
        return records(self.header, self.rows)


def vega_spec(
    reading: str,
    values: list[dict[str, Any]],
    *,
    title: str | None = None,
    subtitle: str = "",
    size: tuple[int, int] = (WIDTH, HEIGHT),
    **body: Any,
) -> dict[str, Any]:
    """A Vega-Lite spec in the project's look (:data:`CONFIG`): ``reading`` as its
    description, ``values`` inline, ``size`` (width, height) unless ``body`` says otherwise.
    Without ``title`` it has none (a datapack prints the figure's title above the chart)."""
    spec: dict[str, Any] = {"$schema": SCHEMA}
    if title is not None:
        spec["title"] = {"text": title, "subtitle": subtitle}
    return spec | {
        "description": reading,
        "width": size[0],
        "height": size[1],
        "data": {"values": values},
        "config": CONFIG,
        **body,
    }


def _spec(
    title: str, subtitle: str, reading: str, values: list[dict[str, Any]], **body: Any
) -> dict[str, Any]:
    return vega_spec(reading, values, title=title, subtitle=subtitle, **body)


def records(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """A chart's data values: one object per row, keyed by the header (the chart's table)."""
    return [dict(zip(header, r, strict=True)) for r in rows]


def quintile_labels() -> list[str]:
    """The five national deprivation fifths' labels, least deprived first."""
    return [rank_label(q) for q in range(1, QUINTILES + 1)]


def quintile_x_axis() -> dict[str, Any]:
    """The x axis of a chart by deprivation quintile: the five fifths in order, least first."""
    return {
        "field": "quintile",
        "type": "ordinal",
        "sort": quintile_labels(),
        "title": "Practices by deprivation (national fifths)",
        "axis": {"labelAngle": 0},
    }


def pounds_axis(field: str, title: str, **more: Any) -> dict[str, Any]:
    """A quantitative axis of pounds (``field``), labelled in whole pounds."""
    return {
        "field": field,
        "type": "quantitative",
        "title": title,
        **more,
        "axis": {"format": POUNDS_AXIS},
    }


#: The colour of a chart's error bars (the NHS design system's text colour).
ERROR_BAR_COLOUR = "#212b32"


def error_bar_layer(lower: str = "ci_lower", upper: str = "ci_upper") -> dict[str, Any]:
    """A layer of error bars: a vertical line from ``lower`` to ``upper`` of each row (its
    confidence interval), on the axes of the layers beside it."""
    return {
        "mark": {"type": "errorbar", "ticks": True, "color": ERROR_BAR_COLOUR},
        "encoding": {
            "y": {"field": lower, "type": "quantitative", "title": "£ per weighted patient"},
            "y2": {"field": upper},
        },
    }


# ---------------------------------------------------------------------------------------------
# The charts, each from analysis results


def dispensing_split_chart(
    all_practices: DeprivationResult, by_dispensing: DeprivationResult
) -> Chart:
    """Payments per weighted patient by quintile: all practices, dispensing, non-dispensing."""
    if all_practices.by is not None or by_dispensing.by is not By.dispensing:
        raise ValueError("needs a result for all practices and one split by dispensing status")
    series = [("All practices", None), ("Dispensing", "Yes"), ("Non-dispensing", "No")]
    rows: list[tuple[Any, ...]] = []
    for q in range(1, QUINTILES + 1):
        for name, status in series:
            result = all_practices if status is None else by_dispensing
            group = result.group(q, status)
            interval = None if group is None else result.group_interval(group)
            rows.append(
                (
                    rank_label(q),
                    name,
                    group.practices if group else 0,
                    None if group is None else _round2(group.per_weighted_patient),
                    None if interval is None else _round2(interval.lower),
                    None if interval is None else _round2(interval.upper),
                )
            )
    gap_all = all_practices.gap_q1_minus_q5.get("all")
    gap_no = by_dispensing.gap_q1_minus_q5.get("No")
    q1, q5 = all_practices.group(1), all_practices.group(QUINTILES)
    level = all_practices.interval_settings.level
    reading = (
        f"In {all_practices.year} the least deprived fifth of practices received "
        f"{format_pounds(q1.per_weighted_patient if q1 else None)} per weighted patient and "
        f"the most deprived fifth {format_pounds(q5.per_weighted_patient if q5 else None)}, a "
        f"gap of {format_with_interval(gap_all, all_practices.interval_of().gap, level=level)};"
        " among non-dispensing practices the gap is "
        f"{format_with_interval(gap_no, by_dispensing.interval_of('No').gap, level=level)}."
    )
    if any(row[-1] is not None for row in rows):
        reading += (
            f" The black lines on the bars are {format_number(level * 100, places=0)}% "
            "confidence intervals."
        )
    header = ("quintile", "series", "practices", "per_weighted_patient", "ci_lower", "ci_upper")
    values = records(header, rows)
    title = "Payments per weighted patient by deprivation"
    offset = {"field": "series", "sort": [s for s, _ in series]}
    spec = _spec(
        title,
        f"{all_practices.year}, {_total_words(all_practices)}; Q1 least deprived, Q5 most deprived",
        reading,
        values,
        encoding={"x": quintile_x_axis(), "xOffset": offset},
        layer=[
            {
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "y": pounds_axis("per_weighted_patient", "£ per weighted patient"),
                    "color": {
                        "field": "series",
                        "type": "nominal",
                        "title": None,
                        "sort": [s for s, _ in series],
                        "scale": {
                            "domain": list(SERIES_COLOURS),
                            "range": list(SERIES_COLOURS.values()),
                        },
                    },
                },
            },
            error_bar_layer(),
        ],
    )
    return Chart("dispensing-split", title, reading, spec, header, tuple(rows))


def dispensing_distribution_chart(by_dispensing: DeprivationResult) -> Chart:
    """How the dispensing practices are spread across the deprivation quintiles."""
    if by_dispensing.by is not By.dispensing:
        raise ValueError("needs a result split by dispensing status")
    counts = []
    for q in range(1, QUINTILES + 1):
        yes, no = by_dispensing.group(q, "Yes"), by_dispensing.group(q, "No")
        counts.append((q, yes.practices if yes else 0, no.practices if no else 0))
    total_yes = sum(c[1] for c in counts)
    rows = tuple(
        (
            rank_label(q),
            yes,
            round(100 * yes / total_yes, 1) if total_yes else None,
            round(100 * yes / (yes + no), 1) if yes + no else None,
        )
        for q, yes, no in counts
    )
    first, last = rows[0], rows[-1]
    reading = (
        f"In {by_dispensing.year}, {format_percent(first[2])} of the "
        f"{format_count(total_yes)} dispensing practices were in the least deprived fifth and "
        f"{format_percent(last[2])} in the most deprived fifth."
    )
    header = (
        "quintile",
        "dispensing_practices",
        "share_of_dispensing_pct",
        "share_of_quintile_pct",
    )
    title = "Where the dispensing practices are"
    spec = _spec(
        title,
        f"{by_dispensing.year}: dispensing practices (with patients and an IMD score) by "
        "deprivation fifth",
        reading,
        records(header, rows),
        layer=[
            {
                "mark": {"type": "bar", "color": "#ed8b00", "tooltip": True},
            },
            {
                "mark": {"type": "text", "dy": -8, "fontSize": 12},
                "encoding": {"text": {"field": "dispensing_practices", "format": ","}},
            },
        ],
        encoding={
            "x": quintile_x_axis(),
            "y": {
                "field": "dispensing_practices",
                "type": "quantitative",
                "title": "Dispensing practices",
            },
        },
    )
    return Chart("dispensing-distribution", title, reading, spec, header, rows)


def trend_chart(trend: TrendResult) -> Chart:
    """Payments per weighted patient by quintile, year by year."""
    rows = tuple(
        (y.year, g.label, g.practices, _round2(g.per_weighted_patient))
        for y in trend.years
        for g in y.groups
    )
    if trend.years:
        first, last = trend.years[0], trend.years[-1]
        reading = (
            f"From {first.year} to {last.year} the gap in payments per weighted patient between "
            "the least and the most deprived fifths of practices went from "
            f"{format_pounds(first.gap_q1_minus_q5)} to {format_pounds(last.gap_q1_minus_q5)}."
        )
        span = f"{first.year} to {last.year}"
    else:
        reading = "No year of the warehouse can give this total, so there is no trend to show."
        span = "no years"
    header = ("year", "quintile", "practices", "per_weighted_patient")
    title = "Payments per weighted patient by deprivation, year by year"
    spec = _spec(
        title,
        f"{span}, {_total_words(trend)}; each year ranked by that year's IMD score",
        reading,
        records(header, rows),
        mark={"type": "line", "point": True, "tooltip": True},
        encoding={
            "x": {
                "field": "year",
                "type": "ordinal",
                "title": "Financial year",
                "axis": {"labelAngle": 0},
            },
            "y": pounds_axis(
                "per_weighted_patient", "£ per weighted patient", scale={"zero": False}
            ),
            "color": {
                "field": "quintile",
                "type": "ordinal",
                "title": None,
                "sort": quintile_labels(),
                "scale": {"domain": quintile_labels(), "range": list(QUINTILE_COLOURS)},
            },
        },
    )
    return Chart("trend", title, reading, spec, header, rows)


def payment_lines_chart(result: PaymentLinesResult, top: int = TOP_PAYMENT_LINES) -> Chart:
    """The largest payment lines per weighted patient in each quintile, against their national
    figure (100 = the line's national amount per weighted patient)."""
    shown = [line for line in result.lines if line.per_weighted_patient][:top]
    labels = quintile_labels()
    rows: list[tuple[Any, ...]] = []
    for line in shown:
        national = line.per_weighted_patient or 0.0
        for q, value in enumerate(line.by_quintile, start=1):
            index = None if value is None else round(100 * value / abs(national), 1)
            rows.append((line.label, labels[q - 1], _round2(value), index, line.favours))
    favour_less = [line for line in shown if line.favours == "less deprived"]
    favour_more = [line for line in shown if line.favours == "more deprived"]

    def largest(lines: Sequence[Any]) -> str:
        return f" (largest: {lines[0].label})" if lines else ""

    reading = (
        f"In {result.year}, of the {len(shown)} largest payment lines {len(favour_less)} went "
        f"further per weighted patient to the least deprived fifth of practices"
        f"{largest(favour_less)} and {len(favour_more)} to the most deprived fifth"
        f"{largest(favour_more)}."
    )
    header = ("payment_line", "quintile", "per_weighted_patient", "index_national_100", "favours")
    title = "Payment lines by deprivation"
    spec = _spec(
        title,
        f"{result.year}: £ per weighted patient; colour against the line's national figure "
        "(100 = national)",
        reading,
        records(header, rows),
        height=26 * max(len(shown), 1),
        encoding={
            "x": {
                "field": "quintile",
                "type": "ordinal",
                "sort": labels,
                "title": "Practices by deprivation (national fifths)",
                "axis": {"labelAngle": 0, "orient": "top", "grid": False},
            },
            "y": {
                "field": "payment_line",
                "type": "nominal",
                "sort": [line.label for line in shown],
                "title": None,
                "axis": {"labelLimit": 260, "grid": False},
            },
        },
        layer=[
            {
                "mark": {"type": "rect", "tooltip": True},
                "encoding": {
                    "color": {
                        "field": "index_national_100",
                        "type": "quantitative",
                        "title": "Index (100 = national)",
                        "scale": {"scheme": "blueorange", "domainMid": 100, "reverse": True},
                    }
                },
            },
            {
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "text": {"field": "per_weighted_patient", "format": POUNDS},
                    "color": {
                        "condition": {
                            "test": f"abs(datum.index_national_100 - 100) > {DARK_CELL_DISTANCE}",
                            "value": "white",
                        },
                        "value": "black",
                    },
                },
            },
        ],
    )
    return Chart("payment-lines", title, reading, spec, header, tuple(rows))


def _round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _total_words(result: DeprivationResult | TrendResult) -> str:
    words = {
        Total.core: "core total payments",
        Total.incl_covid: "total payments including COVID",
        Total.incl_covid_pcn: "total payments including COVID and PCN",
    }[result.total]
    if result.exclude_prescribing:
        words += " less prescribing and dispensing"
    return words


# ---------------------------------------------------------------------------------------------
# The allocation tool's charts, from an allocation (or a sweep of them)


def format_indicator_value(value: float | None, unit: Unit) -> str:
    """An indicator value as the allocation tool writes it: ``72.5%``, ``13.98``, ``1,234.57``
    (at most two decimals, no trailing zeros); ``missing`` when the practice has none."""
    if value is None:
        return "missing"
    text = format_number(value, places=2).rstrip("0").rstrip(".")
    return f"{text}%" if unit == Unit.PERCENTAGE else text


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


#: The bars of the per-practice chart: above the baseline, below it, level with it.
GAIN_COLOURS = {
    "More than the baseline": "#007f3b",
    "Less than the baseline": "#d5281b",
    "Same as the baseline": "#768692",
}


def allocation_bars_chart(outcome: ScenarioOutcome) -> Chart | None:
    """Each practice's allocation per target patient, highest first, against its baseline.

    One bar per practice with patients (coloured by whether it gets more or less than the
    baseline), and the baseline per patient as a line (per head: the same for all) or a tick
    per practice (weighted list). The marks carry no per-bar labels, so that the SVG of an ICB
    of 500 practices stays small; the practice table is the chart's data.
    """
    result = outcome.result
    weighted = result.request.baseline == Baseline.WEIGHTED_POPULATION
    shown = [p for p in result.practices if p.allocation_per_patient is not None]
    if not shown:
        return None
    shown.sort(key=lambda p: (-(p.allocation_per_patient or 0), p.code))
    words = list(GAIN_COLOURS)
    rows: list[tuple[Any, ...]] = []
    values: list[dict[str, Any]] = []
    for rank, p in enumerate(shown, start=1):
        base = baseline_per_patient(p)
        per_patient = float(p.allocation_per_patient or 0)
        side = words[0] if p.difference > 0 else words[1] if p.difference < 0 else words[2]
        rows.append((p.code, p.name, per_patient, _float(base), float(p.difference)))
        values.append(
            {
                "rank": rank,
                "start": rank - 0.5,
                "end": rank + 0.5,
                "per_patient": per_patient,
                "baseline": _float(base),
                "side": side,
            }
        )
    gaining = sum(1 for p in shown if p.difference > 0)
    present = {v["side"] for v in values}
    top, bottom = shown[0], shown[-1]
    highest = format_per_patient(top.allocation_per_patient)
    lowest = format_per_patient(bottom.allocation_per_patient)
    reading = (
        f"Allocation per target patient ranges from {highest} ({top.name}) down to {lowest} "
        f"({bottom.name}); {format_count(gaining)} of {format_count(len(shown))} practices get "
        "more than the baseline"
    )
    if not weighted:
        reading += f" of {format_per_patient(baseline_per_patient(top))} per head"
    reading += "."
    if len(shown) < len(result.practices):
        missing = len(result.practices) - len(shown)
        reading += f" {format_count(missing)} without target patients not shown."
    x = {
        "field": "start",
        "type": "quantitative",
        "title": "Practices, from most to least per target patient",
        "scale": {"domain": [0.5, len(shown) + 0.5], "nice": False},
        "axis": {"labels": False, "ticks": False, "grid": False},
    }
    y = {
        "field": "per_patient",
        "type": "quantitative",
        "title": "£ per target patient",
        "axis": {"format": POUNDS},
    }
    bars = {
        "mark": {"type": "bar", "aria": False, "tooltip": False, "binSpacing": 0},
        "encoding": {
            "x": x,
            "x2": {"field": "end"},
            "y": y,
            "y2": {"datum": 0},
            "color": {
                "field": "side",
                "type": "nominal",
                "title": None,
                "legend": {"columnPadding": 32},
                "scale": {
                    "domain": [w for w in words if w in present],
                    "range": [GAIN_COLOURS[w] for w in words if w in present],
                },
            },
        },
    }
    baseline_y = {"field": "baseline", "type": "quantitative"}
    if weighted:
        baseline_layer: dict[str, Any] = {
            "mark": {"type": "tick", "aria": False, "color": "#212b32", "thickness": 1},
            "encoding": {"x": {"field": "rank", "type": "quantitative"}, "y": baseline_y},
        }
    else:
        baseline_layer = {
            "mark": {
                "type": "rule",
                "aria": False,
                "color": "#212b32",
                "strokeDash": [6, 4],
                "strokeWidth": 2,
            },
            "encoding": {"y": {"aggregate": "max", **baseline_y}},
        }
    title = "Allocation per target patient, practice by practice"
    label = (
        "Ticks: the baseline by weighted list" if weighted else "Dashed line: the baseline per head"
    )
    spec = _spec(
        title,
        f"{outcome.icb.code}, {result.method_label}. {label}",
        reading,
        values,
        layer=[bars, baseline_layer],
    )
    header = ("practice_code", "practice_name", "per_patient", "baseline_per_patient", "difference")
    return Chart("allocation-bars", title, reading, spec, header, tuple(rows))


def sensitivity_chart(sensitivity: Sensitivity, other_name: str) -> Chart:
    """Each quintile's share of the money against the deprivation weight (the sweep of
    :mod:`gpequity.allocation.sensitivity`), the rest on ``other_name``."""
    first = sensitivity.outcome(0).result
    labels = [q.label for q in first.quintiles if q.practices > 0]
    values = []
    rows = []
    for weight, outcome in sensitivity.outcomes.items():
        shares = {q.label: q.money_share for q in outcome.result.quintiles}
        rows.append((int(weight), *(float(shares.get(label, 0)) for label in labels)))
        for label in labels:
            values.append(
                {
                    "weight": int(weight),
                    "quintile": label,
                    "money_share": float(shares.get(label, Decimal(0))),
                }
            )
    move = most_deprived_move(sensitivity)
    reading = "No practice has an IMD score."
    if move is not None:
        reading = (
            f"As the deprivation weight goes from 0% to 100% (the rest on {other_name}), the "
            f"share of the ICB's most deprived practices, in {move.label}, goes from "
            f"{format_share(move.money_share_first)} to "
            f"{format_share(move.money_share_last)} of the money; their share of the patients is "
            f"{format_share(move.population_share)}."
        )
    colours = dict(
        zip([q.label for q in first.quintiles if q.quintile], QUINTILE_COLOURS, strict=False)
    )
    domain = labels
    spec = vega_spec(
        reading,
        values,
        title="Share of the money by IMD quintile",
        subtitle=f"Deprivation weight from 0% to 100%, the rest on {other_name}",
        mark={"type": "line", "point": True, "strokeWidth": 2},
        encoding={
            "x": {
                "field": "weight",
                "type": "quantitative",
                "title": "Weight on deprivation (%)",
                "scale": {"domain": [0, 100]},
            },
            "y": {
                "field": "money_share",
                "type": "quantitative",
                "title": "Share of the money",
                "axis": {"format": ".0%"},
            },
            "color": {
                "field": "quintile",
                "type": "nominal",
                "title": None,
                "sort": domain,
                "scale": {
                    "domain": domain,
                    "range": [colours.get(label, "#768692") for label in domain],
                },
                # Under the plot, three to a row: beside it, a browser's own font (wider than
                # the renderer's) cut the longest label ("Q5 (most deprived)") at the edge.
                "legend": {"orient": "bottom", "columns": 3, "columnPadding": 16},
            },
            "tooltip": [
                {"field": "quintile", "title": "Quintile"},
                {"field": "weight", "title": "Deprivation weight (%)"},
                {"field": "money_share", "title": "Share of money", "format": ".1%"},
            ],
        },
    )
    header = ("deprivation_weight", *labels)
    return Chart(
        "sensitivity", "Share of the money by IMD quintile", reading, spec, header, tuple(rows)
    )


# ---------------------------------------------------------------------------------------------
# Building by name, and rendering


def _build_dispensing_split(con: duckdb.DuckDBPyConnection, year: str, total: Total) -> Chart:
    return dispensing_split_chart(
        payments_by_deprivation(con, year, total=total),
        payments_by_deprivation(con, year, total=total, by=By.dispensing),
    )


def _build_dispensing_distribution(
    con: duckdb.DuckDBPyConnection, year: str, total: Total
) -> Chart:
    return dispensing_distribution_chart(
        payments_by_deprivation(con, year, total=total, by=By.dispensing)
    )


def _build_trend(con: duckdb.DuckDBPyConnection, year: str, total: Total) -> Chart:
    return trend_chart(payments_trend(con, total=total))


def _build_payment_lines(con: duckdb.DuckDBPyConnection, year: str, total: Total) -> Chart:
    return payment_lines_chart(payment_lines_by_deprivation(con, year))


#: Every chart by name: what it shows, and how to build it from the warehouse.
CHARTS: dict[str, tuple[str, Callable[[duckdb.DuckDBPyConnection, str, Total], Chart]]] = {
    "dispensing-split": (
        "payments per weighted patient by quintile: all, dispensing and non-dispensing practices",
        _build_dispensing_split,
    ),
    "dispensing-distribution": (
        "how the dispensing practices are spread across the quintiles",
        _build_dispensing_distribution,
    ),
    "trend": ("payments per weighted patient by quintile, every loaded year", _build_trend),
    "payment-lines": ("the largest payment lines by quintile", _build_payment_lines),
}
CHART_NAMES = tuple(CHARTS)


def build_chart(
    con: duckdb.DuckDBPyConnection, name: str, year: str, *, total: Total = Total.core
) -> Chart:
    """Run the analysis behind chart ``name`` for ``year`` and return the chart.

    ``year`` is ignored by the trend chart (it covers every loaded year); ``total`` by the
    payment lines chart (its lines are the file's own).
    """
    if name not in CHARTS:
        raise UnknownChart(name)
    return CHARTS[name][1](con, year, total)


#: The drawing commands of an SVG path or a mark's translation, and a coordinate written to
#: more than two decimals:
#: the renderer writes 16 digits, a hundredth of a pixel is enough (the bars of 500 practices
#: take half the bytes).
PATH_DATA = re.compile(r' d="[^"]*"|translate\([^)]*\)')
#: The digits past the second decimal (matched by what precedes them, so that they are removed
#: without a Python call per number: a thousand dots have four thousand).
LONG_DECIMAL = re.compile(r"(?<=\d\.\d\d)\d+")


#: Chart shapes kept compiled to Vega (:func:`compile_vega`): a few per kind of chart and layout.
COMPILED_SHAPES = 256
#: Held by the thread calling the renderer: one call at a time in a process. The renderer can
#: hold its engine while it waits for the interpreter's lock (to build a compiled Vega's Python
#: objects, during which a garbage collection may run Python code and let another thread in),
#: and a thread entering it meanwhile waits for the engine while holding the interpreter's lock:
#: the two waited for each other for ever (a page whose 37 chart images a browser asks for at
#: once). The engine draws one chart at a time anyway.
_RENDERER = threading.Lock()
#: The name of a spec's inline data in its compiled Vega.
DATA_NAME = "chart_values"


def compile_vega(spec: dict[str, Any]) -> dict[str, Any]:
    """The Vega that the Vega-Lite ``spec`` compiles to, compiled once per shape.

    A chart's shape is its spec less what differs between charts of one kind (one practice's
    and another's): its inline data's values, its description and its parameters' values
    (``params`` without a selection or binding). The shape is compiled once and kept; each
    chart's own values are set into a copy (the kept Vega is never changed). Compiling the
    spec as it is gives the same Vega but for the data's name, which nothing draws (a test
    renders both); the compiler runs in the renderer's JavaScript engine, and sending it a
    thousand data points and taking them back cost a practice page a fifth of its time.
    """
    data = spec.get("data")
    if not isinstance(data, dict) or set(data) != {"values"}:
        return _compiled(json.dumps(spec, sort_keys=True))
    params = spec.get("params", [])
    settable = {p["name"]: p["value"] for p in params if set(p) == {"name", "value"}}
    shape = {k: v for k, v in spec.items() if k != "description"}
    shape["data"] = {"name": DATA_NAME}
    if settable:
        shape["params"] = [
            {"name": p["name"], "value": None} if p["name"] in settable else p for p in params
        ]
    compiled = _compiled(json.dumps(shape, sort_keys=True))
    vega = {
        **compiled,
        "data": [
            {**d, "values": data["values"]} if d.get("name") == DATA_NAME else d
            for d in compiled.get("data", [])
        ],
    }
    if "description" in spec:
        vega["description"] = spec["description"]
    if settable:
        vega["signals"] = [
            {**s, "value": settable[s["name"]]} if s.get("name") in settable else s
            for s in compiled.get("signals", [])
        ]
    return vega


@functools.lru_cache(maxsize=COMPILED_SHAPES)
def _compiled(spec: str) -> dict[str, Any]:
    import vl_convert

    with _RENDERER:
        vega: dict[str, Any] = vl_convert.vegalite_to_vega(
            json.loads(spec), vl_version=VEGA_LITE_VERSION
        )
    return vega


def _draw(draw: Callable[..., Any], chart: Chart, layout: Layout, **options: Any) -> Any:
    """``draw`` (the renderer's Vega to SVG or PNG) of the chart in ``layout``: compiled by its
    shape, drawn offline (nothing fetched) with British number formats, one call at a time."""
    vega = compile_vega(layout_spec(chart.spec, layout))
    with _RENDERER:
        return draw(vega, allowed_base_urls=[], format_locale="en-GB", **options)


def render_svg(chart: Chart, layout: Layout = Layout.WIDE, *, marked: bool = True) -> str:
    """The chart as an SVG document in ``layout`` (:mod:`gpequity.chart_layouts`), rendered
    offline; ``marked``, its ``data-layout`` says which (a chart drawn in one layout only, for
    every screen, has none)."""
    import vl_convert

    svg: str = _draw(vl_convert.vega_to_svg, chart, layout)
    svg = PATH_DATA.sub(lambda m: LONG_DECIMAL.sub("", m.group(0)), svg)
    # Inside one image (role="img") every mark is presentational: 17 bytes a bar say so again.
    svg = svg.replace('<path aria-hidden="true" ', "<path ")
    # The renderer drops the spec's description; a screen reader gets the title and reading.
    start = svg.index(">", svg.index("<svg")) + 1
    accessible = f"<title>{escape(chart.title)}</title><desc>{escape(chart.reading)}</desc>"
    which = f' data-layout="{layout}"' if marked else ""
    opening = f'<svg role="img" data-chart="{escape(chart.name)}"{which} '
    return svg[:start].replace("<svg ", opening, 1) + accessible + svg[start:]


def render_layouts(chart: Chart, id_prefix: str | None = None) -> str:
    """Both layouts of the chart, wide then narrow, for a page whose CSS shows one at a time
    (``svg[data-layout]``, by the screen's width: ``display: none`` hides the other from screen
    readers too). Their ``id``s are prefixed by ``id_prefix`` (the chart's name) and the
    layout, so that a page may inline several charts. A chart whose spec fits a phone as it
    is (:func:`~gpequity.chart_layouts.fits_phone`) is drawn once, for every screen."""
    prefix = id_prefix or f"chart-{chart.name}"
    if fits_phone(chart.spec):
        return prefix_svg_ids(render_svg(chart, Layout.WIDE, marked=False), prefix)
    return "".join(
        prefix_svg_ids(render_svg(chart, layout), f"{prefix}-{layout}") for layout in Layout
    )


def render_png(chart: Chart, scale: float = PNG_SCALE) -> bytes:
    """The chart as a PNG image, rendered offline."""
    import vl_convert

    png: bytes = _draw(vl_convert.vega_to_png, chart, Layout.WIDE, scale=scale)
    return png


def write_chart(chart: Chart, path: Path) -> None:
    """Write the chart to ``path``: SVG or PNG by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(render_svg(chart), encoding="utf-8")
    elif suffix == ".png":
        path.write_bytes(render_png(chart))
    else:
        raise UnsupportedChartFile(path)
