"""The charts of the practice and ICB profiles: Vega-Lite specs built from
:mod:`gpequity.analysis.profiles` and :mod:`gpequity.analysis.profile_figures`.

They are :class:`gpequity.charts.Chart` objects like every other chart (same configuration, same
offline renderer, one spec for the web page and a PDF), each with its one-sentence reading and
its data as a table. They are drawn to read on a phone: :data:`WIDTH` CSS pixels wide in all
(axes and labels included, so a 390 px screen shows them at full size, never shrunk), with no
text under 12 px, long labels wrapped over lines rather than cut, and axis labels that would
collide dropped by the renderer (``labelOverlap``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from gpequity.analysis.profile_figures import (
    ENGLAND_PUBLISHED,
    PeerGroup,
    PracticePeers,
    SpineRow,
    TrendPoint,
    spine_counts,
)
from gpequity.analysis.profiles import PaymentYear, PracticeProfile
from gpequity.chart_layouts import FITS_PHONE
from gpequity.charts import POUNDS_AXIS, Chart, records, vega_spec
from gpequity.formats import compare_amounts, format_count, format_pounds

#: The whole chart's width in CSS pixels, axes included: a 390 px phone's page column is 358.
WIDTH = 340
HEIGHT = 220
#: The width of a row of a faceted chart: :data:`WIDTH` less the renderer's padding.
INNER_WIDTH = WIDTH - 10
#: Pixels between the lines of a wrapped label.
LINE_HEIGHT = 15
#: Characters of a wrapped label's line (12 px Arial is about 6.5 px a character).
LABEL_CHARS = 44
#: The practice: NHS warm yellow diamonds with a black edge, labelled; the rest grey circles.
PRACTICE_COLOUR = "#ffb81c"
PEER_COLOUR = "#768692"
#: Lines of the trend charts: the practice (or ICB) solid blue, comparators dashed grey/black.
SERIES_STYLE = {
    "This practice": ("#005eb8", [1, 0], "circle"),
    "This ICB": ("#005eb8", [1, 0], "circle"),
    "ICB median": ("#ed8b00", [6, 3], "square"),
    "England median": ("#425563", [2, 2], "triangle-up"),
    "England": ("#425563", [2, 2], "triangle-up"),
}
#: The spine: England's full range, its middle half, England's value, the practice.
RANGE_COLOUR, MIDDLE_COLOUR, ENGLAND_COLOUR, MARKER_COLOUR = (
    "#d8dde0",
    "#aeb7bd",
    "#212b32",
    "#005eb8",
)


def wrap(text: str, width: int = LABEL_CHARS) -> str:
    """``text`` over lines of at most ``width`` characters, joined by "|" (split by the spec)."""
    return "|".join(textwrap.wrap(text, width)) or text


def _round2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def against(value: float, other: float | None, whose: str) -> str:
    """ "£94.01 more than the median of its ICB's practices (£148.16)", or "the same as ..."."""
    if other is None:
        return ""
    word = compare_amounts(value, other)
    if word == "the same":
        return f"the same as {whose} ({format_pounds(other)})"
    return f"{format_pounds(abs(value - other))} {word} than {whose} ({format_pounds(other)})"


def _header(**more: Any) -> dict[str, Any]:
    """A facet's row header above its row, left-aligned, its "|"-separated lines wrapped."""
    return {
        "labelExpr": "split(datum.value, '|')",
        "labelAngle": 0,
        "labelOrient": "top",
        "labelAnchor": "start",
        "labelAlign": "left",
        "labelBaseline": "top",
        "labelFontSize": 12,
        "labelLineHeight": 15,
        "labelLimit": 0,
        **more,
    }


def _fit(reading: str, values: list[dict[str, Any]], height: int, **body: Any) -> dict[str, Any]:
    """A spec :data:`WIDTH` pixels wide in all (axes and legend inside it)."""
    spec = vega_spec(reading, values, size=(WIDTH, height), **body)
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec["usermeta"] = {FITS_PHONE: True}
    return spec


def _rows(reading: str, values: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    """A spec of facet rows, each :data:`INNER_WIDTH` wide (a facet cannot be fitted to a
    width: its rows are drawn at their own size inside the padding)."""
    spec = vega_spec(reading, values, **body)
    del spec["width"], spec["height"]
    spec["usermeta"] = {FITS_PHONE: True}
    return spec


# ---------------------------------------------------------------------------------------------
# Lines over the years


def _trend_spec(
    reading: str, header: tuple[str, ...], rows: list[tuple[Any, ...]], series: Sequence[str]
) -> dict[str, Any]:
    colours = [SERIES_STYLE[s][0] for s in series]
    encoding = {
        "x": {
            "field": "year",
            "type": "ordinal",
            "title": None,
            # Inset by a step each side, so that the first and last years' labels fit in the
            # chart in a browser's own fonts (often wider than the renderer's).
            "scale": {"type": "point", "padding": 1},
            "axis": {"labelAngle": 0, "labelOverlap": "parity", "labelPadding": 6},
        },
        "y": {
            "field": "per_weighted_patient",
            "type": "quantitative",
            "title": "£ per weighted patient",
            "scale": {"zero": False},
            "axis": {"format": POUNDS_AXIS, "tickCount": 5},
        },
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            "sort": list(series),
            "scale": {"domain": list(series), "range": colours},
            "legend": {"direction": "vertical", "symbolStrokeWidth": 2},
        },
        "strokeDash": {
            "field": "series",
            "type": "nominal",
            "sort": list(series),
            "scale": {"domain": list(series), "range": [SERIES_STYLE[s][1] for s in series]},
            "legend": None,
        },
        "shape": {
            "field": "series",
            "type": "nominal",
            "sort": list(series),
            "scale": {"domain": list(series), "range": [SERIES_STYLE[s][2] for s in series]},
            "legend": None,
        },
    }
    return _fit(
        reading,
        records(header, rows),
        HEIGHT,
        mark={"type": "line", "point": {"size": 50, "filled": True}, "strokeWidth": 2.5},
        encoding=encoding,
    )


def practice_trend_chart(profile: PracticeProfile) -> Chart:
    """The practice's payments per weighted patient in every loaded year, against the medians
    of its ICB's practices and England's."""
    series = ("This practice", "ICB median", "England median")
    header = ("year", "series", "per_weighted_patient")
    rows: list[tuple[Any, ...]] = []
    for y in profile.payments:
        for name, value in zip(
            series, (y.per_weighted_patient, y.icb_median, y.england_median), strict=True
        ):
            if value is not None:
                rows.append((y.year, name, _round2(value)))
    reading = practice_trend_reading(profile.payments)
    return Chart(
        "practice-trend",
        "Payments per weighted patient over the years",
        reading,
        _trend_spec(reading, header, rows, series),
        header,
        tuple(rows),
    )


def practice_trend_reading(payments: Sequence[PaymentYear]) -> str:
    latest = next((y for y in reversed(payments) if y.per_weighted_patient is not None), None)
    if latest is None or latest.per_weighted_patient is None:
        return "No year has a figure per weighted patient for this practice."
    value = latest.per_weighted_patient
    parts = [
        p
        for p in (
            against(value, latest.icb_median, "the median of its ICB's practices"),
            against(value, latest.england_median, "England's median"),
        )
        if p
    ]
    first = payments[0]
    since = (
        f"; in {first.year} it received {format_pounds(first.per_weighted_patient)}"
        if first is not latest and first.per_weighted_patient is not None
        else ""
    )
    return (
        f"{format_pounds(value)} per weighted patient in {latest.year}"
        + (f", {' and '.join(parts)}" if parts else "")
        + since
        + "."
    )


def icb_trend_chart(name: str, points: Sequence[TrendPoint]) -> Chart:
    """The ICB's payments per weighted patient in every loaded year against England's."""
    series = ("This ICB", "England")
    header = ("year", "series", "per_weighted_patient")
    rows: list[tuple[Any, ...]] = []
    for p in points:
        for label, value in zip(
            series, (p.icb_per_weighted_patient, p.england_per_weighted_patient), strict=True
        ):
            if value is not None:
                rows.append((p.year, label, _round2(value)))
    reading = icb_trend_reading(name, points)
    return Chart(
        "icb-trend",
        "Payments per weighted patient over the years",
        reading,
        _trend_spec(reading, header, rows, series),
        header,
        tuple(rows),
    )


def icb_trend_reading(name: str, points: Sequence[TrendPoint]) -> str:
    known = [p for p in points if p.icb_per_weighted_patient is not None]
    if not known:
        return f"No year has a figure per weighted patient for {name}."
    last = known[-1]
    value = last.icb_per_weighted_patient or 0.0
    comparison = against(value, last.england_per_weighted_patient, "England")
    first = known[0]
    since = (
        f"; in {first.year}, {format_pounds(first.icb_per_weighted_patient)} against "
        f"England's {format_pounds(first.england_per_weighted_patient)}"
        if first is not last
        else ""
    )
    return (
        f"{name}'s practices received {format_pounds(value)} per weighted patient in "
        f"{last.year}" + (f", {comparison}" if comparison else "") + since + "."
    )


# ---------------------------------------------------------------------------------------------
# The practice among its peers


#: The share of peers at each end drawn at the chart's edge rather than to scale.
CLIP_SHARE = 0.02
PEERS_NOTE = (
    "Each dot is a practice; the practice is the labelled diamond. The few practices beyond "
    "the 2nd and 98th percentiles of these figures are drawn at the chart's edges (the table "
    "has every figure)."
)


def _jitter(index: int) -> float:
    """A fixed spread of the dots across their row (0 to 1), so that equal figures show."""
    return ((index * 37) % 17) / 16


def peers_chart(peers: PracticePeers, name: str) -> Chart | None:
    """A strip of dots for each peer group: every practice's payments per weighted patient,
    the practice a labelled diamond of its own colour. ``None`` without a group.

    A peer's point carries only what draws it (its row, figure and place across the row); the
    rows' labels and the axis's ends are parameters. So every practice's chart has one shape,
    compiled once (:func:`gpequity.charts.compile_vega`), and a thousand peers are a sixth of
    the data they were.
    """
    if not peers.groups:
        return None
    header = ("group", "practice_code", "practice_name", "per_weighted_patient", "this_practice")
    rows: list[tuple[Any, ...]] = []
    values: list[dict[str, Any]] = []
    low, high = peer_domain(peers)
    middle = (low + high) / 2
    for order, group in enumerate(peers.groups):
        for i, peer in enumerate(group.peers):
            mine = peer.code == peers.code
            value = _round2(peer.per_weighted_patient)
            rows.append((group.label, peer.code, peer.name, value, mine))
            point: dict[str, Any] = {"row": order, "value": value, "jitter": _jitter(i)}
            if mine:
                point |= {
                    "jitter": 0.5,
                    "mine": True,
                    "side": "left" if peer.per_weighted_patient > middle else "right",
                    "tag": f"This practice {format_pounds(peer.per_weighted_patient)}",
                }
            values.append(point)
    labels = [wrap(f"{g.label}: {format_count(g.size)}") for g in peers.groups]
    reading = peers_reading(peers, name)
    x = {
        "field": "value",
        "type": "quantitative",
        "title": "£ per weighted patient",
        "scale": {
            "zero": False,
            "nice": False,
            "domain": [{"expr": "x_low"}, {"expr": "x_high"}],
            "clamp": True,
        },
        "axis": {"format": POUNDS_AXIS, "labelOverlap": True, "tickCount": 4},
    }
    y = {"field": "jitter", "type": "quantitative", "axis": None, "scale": {"domain": [-0.3, 1.3]}}

    def label_layer(side: str) -> dict[str, Any]:
        return {
            "name": f"practice_label_{side}",
            "transform": [{"filter": f"datum.mine && datum.side == '{side}'"}],
            "mark": {
                "type": "text",
                "align": "right" if side == "left" else "left",
                "dx": -10 if side == "left" else 10,
                "dy": -14,
                "fontSize": 12,
                "fontWeight": "bold",
                "aria": False,
            },
            "encoding": {"x": x, "y": y, "text": {"field": "tag"}},
        }

    spec = _rows(
        reading,
        values,
        params=[
            {"name": "x_low", "value": low},
            {"name": "x_high", "value": high},
            {"name": "row_labels", "value": labels},
        ],
        facet={
            "row": {
                "field": "row",
                "type": "ordinal",
                "title": None,
                "header": _header(labelExpr="split(row_labels[datum.value], '|')"),
            }
        },
        spec={
            "width": INNER_WIDTH,
            "height": 60,
            "layer": [
                {
                    "name": "peer_marks",
                    "transform": [{"filter": "!datum.mine"}],
                    "mark": {
                        "type": "circle",
                        "size": 22,
                        "opacity": 0.45,
                        "color": PEER_COLOUR,
                        "aria": False,
                    },
                    "encoding": {"x": x, "y": y},
                },
                {
                    "name": "practice_marker",
                    "transform": [{"filter": "datum.mine"}],
                    "mark": {
                        "type": "point",
                        "shape": "diamond",
                        "size": 220,
                        "filled": True,
                        "fill": PRACTICE_COLOUR,
                        "stroke": "#212b32",
                        "strokeWidth": 1.5,
                        "opacity": 1,
                    },
                    "encoding": {"x": x, "y": y},
                },
                label_layer("left"),
                label_layer("right"),
            ],
        },
        resolve={"scale": {"x": "shared"}},
        spacing=10,
    )
    return Chart(
        "practice-peers",
        "Where the practice sits among its peers",
        reading,
        spec,
        header,
        tuple(rows),
    )


def peer_domain(peers: PracticePeers) -> tuple[float, float]:
    """The x axis of the peers chart: from the 2nd to the 98th percentile of all the peers'
    figures, widened to the practice's own (a few far-off practices would squeeze the rest into
    a sliver; they are drawn at the edge, :data:`PEERS_NOTE`)."""
    values = sorted(p.per_weighted_patient for g in peers.groups for p in g.peers)
    own = peers.groups[0].value
    low = values[int(len(values) * CLIP_SHARE)]
    high = values[min(len(values) - 1, int(len(values) * (1 - CLIP_SHARE)))]
    return round(min(low, own) * 0.98, 2), round(max(high, own) * 1.02, 2)


def _group_words(group: PeerGroup) -> str:
    return (
        f"{_ordinal(group.rank)} highest of {format_count(group.size)} "
        f"{group.label[0].lower()}{group.label[1:]} (median {format_pounds(group.median)})"
    )


def peers_reading(peers: PracticePeers, name: str) -> str:
    if not peers.groups:
        return f"{name} has no figure per weighted patient in {peers.year}."
    value = peers.groups[0].value
    return (
        f"In {peers.year} the practice's {format_pounds(value)} per weighted patient was the "
        + " and the ".join(_group_words(g) for g in peers.groups)
        + "."
    )


# ---------------------------------------------------------------------------------------------
# The spine of indicators


def spine_label(row: SpineRow) -> str:
    ind = row.indicator
    age = f", {ind.age}" if ind.age and ind.age.lower() not in ind.name.lower() else ""
    return f"{ind.name}{age}, {ind.period}"


def spine_chart(rows: Sequence[SpineRow]) -> Chart | None:
    """A Fingertips-style spine: each indicator's range over England's practices (lowest to
    highest, the middle half darker), England's value a line at the centre, the practice a
    dot. ``None`` when no indicator has a range."""
    if not rows:
        return None
    header = (
        "indicator",
        "period",
        "practice",
        "england",
        "england_is",
        "lowest",
        "p25",
        "p75",
        "highest",
    )
    table: list[tuple[Any, ...]] = []
    values: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        table.append(
            (
                r.indicator.name,
                r.indicator.period,
                r.value,
                r.england,
                "England's published value"
                if r.england_source == ENGLAND_PUBLISHED
                else "Median of England's practices",
                r.range.minimum,
                r.range.p25,
                r.range.p75,
                r.range.maximum,
            )
        )
        values.append(
            {
                "key": f"{i:03d}",
                "label": wrap(spine_label(r)).split("|"),
                "lo": r.position(r.range.minimum),
                "q1": r.position(r.range.p25),
                "q3": r.position(r.range.p75),
                "hi": r.position(r.range.maximum),
                "me": r.position(r.value),
            }
        )
    reading = spine_reading(rows)
    # Each indicator's label's lines, then its bars under them, laid out here in pixels (one view,
    # not a facet of rows: a facet of 30 rows takes the renderer several times as long).
    top = 0
    for v in values:
        v["label_y"] = top
        v["bar_y"] = top + len(v["label"]) * LINE_HEIGHT + 10
        top = v["bar_y"] + 18
    x = {"field": "lo", "type": "quantitative", "axis": None, "scale": {"domain": [-1.05, 1.05]}}
    pixels = {
        "type": "quantitative",
        "axis": None,
        "scale": {"domain": [0, top], "range": [0, top]},
    }
    y = {"field": "bar_y", **pixels}
    bar = {"type": "bar", "height": 14, "aria": False}
    spec = vega_spec(
        reading,
        values,
        size=(INNER_WIDTH, top),
        layer=[
            {
                "name": "spine_label",
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "fontSize": 12,
                    "lineHeight": LINE_HEIGHT,
                    "aria": False,
                },
                "encoding": {
                    "y": {"field": "label_y", **pixels},
                    "x": {**x, "field": None, "datum": -1.05},
                    "text": {"field": "label"},
                },
            },
            {
                "name": "spine_range",
                "mark": {**bar, "color": RANGE_COLOUR},
                "encoding": {"x": x, "x2": {"field": "hi"}, "y": y},
            },
            {
                "name": "spine_middle",
                "mark": {**bar, "color": MIDDLE_COLOUR},
                "encoding": {"x": {**x, "field": "q1"}, "x2": {"field": "q3"}, "y": y},
            },
            {
                "name": "spine_england",
                "mark": {
                    "type": "tick",
                    "color": ENGLAND_COLOUR,
                    "thickness": 2,
                    "size": 20,
                    "aria": False,
                },
                "encoding": {"x": {**x, "field": None, "datum": 0}, "y": y},
            },
            {
                "name": "spine_practice",
                "transform": [{"filter": "isValid(datum.me)"}],
                "mark": {
                    "type": "point",
                    "shape": "circle",
                    "filled": True,
                    "size": 90,
                    "color": MARKER_COLOUR,
                    "stroke": "#ffffff",
                    "strokeWidth": 1,
                    "opacity": 1,
                    "aria": False,
                },
                "encoding": {"x": {**x, "field": "me"}, "y": y},
            },
        ],
    )
    spec["usermeta"] = {FITS_PHONE: True}
    return Chart(
        "practice-spine", "Indicators against England's range", reading, spec, header, tuple(table)
    )


def spine_reading(rows: Sequence[SpineRow]) -> str:
    """How many indicators the practice is above, below and level with England on, and in
    the lowest or highest quarter of England's practices."""
    above, below, lowest, highest = spine_counts(rows)
    return (
        f"Of {format_count(len(rows))} indicators, the practice's value is above England's on "
        f"{format_count(above)} and below it on {format_count(below)}; it is in the lowest "
        f"quarter of England's practices on {format_count(lowest)} and the highest quarter on "
        f"{format_count(highest)}."
    )
