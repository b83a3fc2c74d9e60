"""A chart's wide and narrow layouts (gpequity.chart_layouts), derived from its one spec by
rules: text never under 12 px, long category labels wrapped instead of truncated, the narrow
layout 340 px wide with its legend below, its titles wrapped and fewer ticks. What the layouts
look like in a browser is measured by tests/e2e/test_chart_text.py."""

from __future__ import annotations

import copy
import json
import re
import xml.dom.minidom
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.chart_layouts import (
    FITS_PHONE,
    LABEL_CHARS,
    LINE_PX,
    MIN_FONT_PX,
    NARROW_WIDTH,
    Layout,
    layout_spec,
)
from gpequity.charts import (
    Chart,
    dispensing_split_chart,
    payment_lines_chart,
    render_layouts,
    render_svg,
)

from .test_charts import ALL, SPLIT, line


def lines_chart(*labels: str) -> Chart:
    from gpequity.analysis.payments import PaymentLinesResult

    result = PaymentLinesResult(
        year="2022/23",
        lines=tuple(line(label, (5.0, 4.0, 3.0, 2.0, 1.0), "less deprived") for label in labels),
        weighted_patients=(1.0, 1.0, 1.0, 1.0, 1.0),
        excluded=(),
    )
    return payment_lines_chart(result)


def font_sizes(node: Any) -> list[float]:
    """Every font size a spec sets, at any depth."""
    if isinstance(node, dict):
        own = [v for k, v in node.items() if k.lower().endswith("fontsize")]
        return own + [s for v in node.values() for s in font_sizes(v)]
    if isinstance(node, list):
        return [s for v in node for s in font_sizes(v)]
    return []


def y_axis(spec: dict[str, Any]) -> dict[str, Any]:
    axis: dict[str, Any] = spec["encoding"]["y"]["axis"]
    return axis


def test_neither_layout_changes_the_spec_or_has_text_under_12_px() -> None:
    chart = lines_chart("global_sum", "balance_of_pms")
    before = copy.deepcopy(chart.spec)
    assert min(font_sizes(before)) < MIN_FONT_PX  # the heat map's cells are written at 11 px
    for layout in Layout:
        spec = layout_spec(chart.spec, layout)
        assert min(font_sizes(spec)) >= MIN_FONT_PX
    assert chart.spec == before


def test_a_long_label_is_wrapped_into_lines_not_truncated() -> None:
    chart = lines_chart("influenza_and_pneumococcal_immunisations", "global_sum")
    label = chart.rows[0][0]
    assert len(label) > LABEL_CHARS[Layout.WIDE]
    for layout in Layout:
        spec = layout_spec(chart.spec, layout)
        axis = y_axis(spec)
        assert axis["labelLimit"] in (0, NARROW_WIDTH)  # no ellipsis
        assert axis["labelLineHeight"] == LINE_PX
        # Rows as tall as their tallest label.
        assert spec["height"] >= 2 * (2 * LINE_PX)
        svg = render_svg(chart, layout)
        assert "\u2026" not in svg
        assert re.search(r"<tspan[^>]*>Immunisations</tspan>", svg), label


def test_the_narrow_layout_is_340_px_wide_with_its_legend_below() -> None:
    chart = dispensing_split_chart(ALL, SPLIT)
    spec = layout_spec(chart.spec, Layout.NARROW)
    assert spec["width"] == NARROW_WIDTH
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["config"]["legend"]["orient"] == "bottom"
    assert spec["config"]["legend"]["columns"] == 1
    assert all(len(text) <= 36 for text in spec["title"]["text"])
    # The bars and their error bars are layers: each layer's y axis has the narrow ticks.
    assert [layer["encoding"]["y"]["axis"]["tickCount"] for layer in spec["layer"]] == [4, 4]
    svg = render_svg(chart, Layout.NARROW)
    root = xml.dom.minidom.parseString(svg).documentElement
    assert root.getAttribute("width") == str(NARROW_WIDTH)
    assert root.getAttribute("data-layout") == "narrow"
    assert layout_spec(chart.spec, Layout.WIDE)["width"] == chart.spec["width"]


def test_both_layouts_are_drawn_with_ids_of_their_own() -> None:
    chart = lines_chart("global_sum", "balance_of_pms")
    both = render_layouts(chart)
    assert both.count("<svg ") == 2
    assert re.findall(r'data-layout="(\w+)"', both) == ["wide", "narrow"]
    ids = re.findall(r'\bid="([^"]+)"', both)
    assert ids and len(ids) == len(set(ids))
    assert all(
        i.startswith(("chart-payment-lines-wide-", "chart-payment-lines-narrow-")) for i in ids
    )


def test_a_chart_that_fits_a_phone_is_drawn_once_for_every_screen() -> None:
    chart = lines_chart("global_sum", "balance_of_pms")
    spec = copy.deepcopy(chart.spec)
    spec["usermeta"] = {FITS_PHONE: True}
    once = render_layouts(Chart(chart.name, chart.title, chart.reading, spec, (), ()))
    assert once.count("<svg ") == 1
    assert "data-layout" not in once
    assert 'data-chart="payment-lines"' in once


def test_usermeta_narrow_is_merged_into_the_narrow_spec_only() -> None:
    chart = dispensing_split_chart(ALL, SPLIT)
    spec = {
        **chart.spec,
        "usermeta": {"narrow": {"height": 180, "config": {"axis": {"grid": False}}}},
    }
    narrow = layout_spec(spec, Layout.NARROW)
    wide = layout_spec(spec, Layout.WIDE)
    assert narrow["height"] == 180 and narrow["config"]["axis"]["grid"] is False
    assert narrow["config"]["axis"]["labelFontSize"] == 12  # the rest of the config kept
    assert wide["height"] == chart.spec["height"] and "usermeta" not in wide


WORDS = st.text(alphabet="abcdefghij", min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(WORDS, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=6, unique=True
    )
)
def test_wrapped_labels_keep_every_word_in_order(labels: list[str]) -> None:
    values = [{"name": label, "v": i} for i, label in enumerate(labels)]
    spec = {
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "name", "type": "nominal"},
            "x": {"field": "v", "type": "quantitative"},
        },
    }
    for layout in Layout:
        axis = layout_spec(spec, layout)["encoding"]["y"]["axis"]
        expr = axis.get("labelExpr")
        if expr is None:  # nothing to wrap
            assert all(len(label) <= LABEL_CHARS[layout] for label in labels)
            continue
        found = re.match(r"indexof\((\[.*?\]), datum.value\) < 0 \? datum.label : (\[.*\])\[", expr)
        assert found is not None
        keys, lines = found.groups()
        assert json.loads(keys) == labels
        for label, wrapped in zip(labels, json.loads(lines), strict=True):
            assert " ".join(wrapped) == label
            assert all(len(w) <= LABEL_CHARS[layout] or " " not in w for w in wrapped)
