"""Charts: Vega-Lite specs built from analysis results, their readings and data, and the
offline rendering to SVG and PNG.

The results here are written by hand, so every figure a chart shows is known.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.dom.minidom
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from gpequity.allocation import Unit
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.allocation.sensitivity import most_deprived_move, run_sensitivity
from gpequity.analysis.payments import (
    By,
    DeprivationGroup,
    DeprivationResult,
    Dispensing,
    PaymentLineByDeprivation,
    PaymentLinesResult,
    Total,
    TrendResult,
    TrendYear,
    rank_label,
)
from gpequity.chart_layouts import Layout, layout_spec
from gpequity.charts import (
    CHART_NAMES,
    SCHEMA,
    VEGA_LITE_VERSION,
    Chart,
    UnknownChart,
    UnsupportedChartFile,
    allocation_bars_chart,
    build_chart,
    compile_vega,
    dispensing_distribution_chart,
    dispensing_split_chart,
    format_indicator_value,
    payment_lines_chart,
    render_png,
    render_svg,
    sensitivity_chart,
    trend_chart,
    write_chart,
)
from gpequity.formats import format_share
from gpequity.intervals import EquityIntervals, Interval
from gpequity.warehouse.build import connect

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def g(
    rank: int, per_weighted: float, practices: int = 10, group: str | None = None
) -> DeprivationGroup:
    weighted = 1000.0 * practices
    return DeprivationGroup(
        rank=rank,
        label=rank_label(rank),
        group=group,
        practices=practices,
        registered_patients=weighted,
        weighted_patients=weighted,
        payments=Decimal(str(round(per_weighted * weighted, 2))),
        per_registered_patient=per_weighted,
        per_weighted_patient=per_weighted,
    )


def result(
    groups: list[DeprivationGroup], gaps: dict[str, float | None], by: By | None = None
) -> DeprivationResult:
    return DeprivationResult(
        year="2022/23",
        total=Total.core,
        exclude_prescribing=False,
        groups_of=5,
        by=by,
        groups=tuple(groups),
        gap_q1_minus_q5=gaps,
        gap_first_minus_last=gaps,
        slope_index=dict.fromkeys(gaps, -1.0),
        concentration_index=dict.fromkeys(gaps, 0.01),
        excluded=(),
    )


ALL = result([g(1, 170.0), g(2, 172.0), g(3, 161.0), g(4, 155.5), g(5, 154.0)], {"all": 16.0})
SPLIT = result(
    [
        g(1, 154.0, 9, "No"),
        g(2, 157.0, 9, "No"),
        g(3, 153.0, 9, "No"),
        g(4, 152.0, 10, "No"),
        g(5, 154.25, 12, "No"),
        g(1, 205.0, 4, "Yes"),
        g(2, 222.0, 3, "Yes"),
        g(3, 214.0, 2, "Yes"),
        g(4, 199.5, 1, "Yes"),
    ],
    {"No": -0.25, "Yes": None},
    by=By.dispensing,
)


def test_dispensing_split_chart_reads_and_tabulates_the_results() -> None:
    chart = dispensing_split_chart(ALL, SPLIT)
    assert chart.reading == (
        "In 2022/23 the least deprived fifth of practices received £170.00 per weighted "
        "patient and the most deprived fifth £154.00, a gap of £16.00; among non-dispensing "
        "practices the gap is \u2212£0.25."
    )
    assert chart.header == (
        "quintile",
        "series",
        "practices",
        "per_weighted_patient",
        "ci_lower",
        "ci_upper",
    )
    # Results without intervals: no error bars.
    assert chart.rows[:3] == (
        ("Q1 (least deprived)", "All practices", 10, 170.0, None, None),
        ("Q1 (least deprived)", "Dispensing", 4, 205.0, None, None),
        ("Q1 (least deprived)", "Non-dispensing", 9, 154.0, None, None),
    )
    # No dispensing practice in Q5: shown as none, not as £0.
    assert chart.rows[-2] == ("Q5 (most deprived)", "Dispensing", 0, None, None, None)
    assert chart.spec["data"]["values"] == chart.records()
    assert chart.spec["$schema"] == SCHEMA
    assert chart.spec["description"] == chart.reading
    json.dumps(chart.spec)  # the web page embeds it as it is


def test_dispensing_split_chart_draws_the_intervals_as_error_bars() -> None:
    with_intervals = replace(
        ALL,
        intervals={
            "all": EquityIntervals(
                per_patient={1: Interval(168.123, 172.5), 5: Interval(152.0, 156.004)},
                gap=Interval(13.2, 18.96),
            )
        },
    )
    chart = dispensing_split_chart(with_intervals, SPLIT)
    assert "a gap of £16.00 (95% CI £13.20 to £18.96);" in chart.reading
    assert chart.reading.endswith("The black lines on the bars are 95% confidence intervals.")
    assert chart.rows[0] == ("Q1 (least deprived)", "All practices", 10, 170.0, 168.12, 172.5)
    assert chart.rows[3] == ("Q2", "All practices", 10, 172.0, None, None)
    bars, error_bars = chart.spec["layer"]
    assert bars["mark"]["type"] == "bar"
    assert error_bars["mark"]["type"] == "errorbar"
    assert error_bars["encoding"]["y"]["field"] == "ci_lower"
    assert error_bars["encoding"]["y2"]["field"] == "ci_upper"
    svg = render_svg(chart)
    assert svg.count("<path") > 0


def test_dispensing_split_needs_the_right_results() -> None:
    with pytest.raises(ValueError, match="split by dispensing"):
        dispensing_split_chart(ALL, ALL)


def test_dispensing_distribution_chart() -> None:
    chart = dispensing_distribution_chart(SPLIT)
    assert chart.rows == (
        ("Q1 (least deprived)", 4, 40.0, 30.8),
        ("Q2", 3, 30.0, 25.0),
        ("Q3", 2, 20.0, 18.2),
        ("Q4", 1, 10.0, 9.1),
        ("Q5 (most deprived)", 0, 0.0, 0.0),
    )
    assert chart.reading == (
        "In 2022/23, 40.0% of the 10 dispensing practices were in the least deprived fifth and "
        "0.0% in the most deprived fifth."
    )


def test_trend_chart() -> None:
    years = tuple(
        TrendYear(
            year=year,
            groups=(g(1, q1), g(2, 150.0), g(3, 148.0), g(4, 146.0), g(5, q5)),
            gap_q1_minus_q5=q1 - q5,
            imd_methods=("IMD 2019 as published",),
            excluded=(),
        )
        for year, q1, q5 in (("2014/15", 150.0, 133.0), ("2022/23", 170.75, 154.75))
    )
    chart = trend_chart(TrendResult(Total.core, False, Dispensing.all, years))
    assert chart.reading == (
        "From 2014/15 to 2022/23 the gap in payments per weighted patient between the least and "
        "the most deprived fifths of practices went from £17.00 to £16.00."
    )
    assert len(chart.rows) == 10
    assert chart.rows[0] == ("2014/15", "Q1 (least deprived)", 10, 150.0)
    empty = trend_chart(TrendResult(Total.incl_covid, False, Dispensing.all, ()))
    assert empty.rows == () and "no trend" in empty.reading


def line(name: str, per_quintile: tuple[float, ...], favours: str) -> PaymentLineByDeprivation:
    national = sum(per_quintile) / len(per_quintile)
    return PaymentLineByDeprivation(
        line=name,
        label=name.replace("_", " ").title(),
        line_group="core",
        payments=Decimal(str(round(national * 50000, 2))),
        per_weighted_patient=national,
        by_quintile=per_quintile,
        gap_q1_minus_q5=per_quintile[0] - per_quintile[-1],
        tilt=(per_quintile[-1] - per_quintile[0]) / national,
        favours=favours,
    )


def test_payment_lines_chart_indexes_each_line_to_its_national_figure() -> None:
    lines = PaymentLinesResult(
        year="2022/23",
        lines=(
            line("global_sum", (76.0, 71.0, 70.0, 65.0, 68.0), "less deprived"),
            line("balance_of_pms", (20.0, 25.0, 26.0, 33.0, 29.0), "more deprived"),
            line("drug_reimbursement", (18.0, 17.0, 10.0, 5.0, 3.0), "less deprived"),
            line("pcn_participation", (1.7, 1.7, 1.7, 1.7, 1.7), "neither"),
        ),
        weighted_patients=(1.0, 1.0, 1.0, 1.0, 1.0),
        excluded=(),
    )
    chart = payment_lines_chart(lines, top=3)
    assert chart.reading == (
        "In 2022/23, of the 3 largest payment lines 2 went further per weighted patient to the "
        "least deprived fifth of practices (largest: Global Sum) and 1 to the most deprived "
        "fifth (largest: Balance Of Pms)."
    )
    assert len(chart.rows) == 15
    # Drug reimbursement: £18 in Q1 against £10.60 nationally.
    assert chart.rows[10] == (
        "Drug Reimbursement",
        "Q1 (least deprived)",
        18.0,
        169.8,
        "less deprived",
    )
    assert chart.spec["height"] == 3 * 26


@pytest.mark.parametrize(
    "chart", [dispensing_split_chart(ALL, SPLIT), dispensing_distribution_chart(SPLIT)]
)
def test_rendering_offline_to_svg_and_png(chart: Chart, tmp_path: Path) -> None:
    svg = render_svg(chart)
    document = xml.dom.minidom.parseString(svg)
    root = document.documentElement
    assert root.tagName == "svg" and root.getAttribute("role") == "img"
    assert root.getElementsByTagName("title")[0].firstChild.data == chart.title  # type: ignore[union-attr]
    assert root.getElementsByTagName("desc")[0].firstChild.data == chart.reading  # type: ignore[union-attr]
    assert "Q5 (most deprived)" in svg
    assert render_png(chart, scale=1)[:8] == PNG_SIGNATURE
    write_chart(chart, tmp_path / "chart.SVG")
    assert (tmp_path / "chart.SVG").read_text().startswith("<svg")
    write_chart(chart, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize(
    "chart",
    [
        dispensing_split_chart(ALL, SPLIT),
        dispensing_distribution_chart(SPLIT),
    ],
    ids=lambda chart: chart.name,
)
def test_a_chart_compiled_by_its_shape_draws_as_its_whole_spec_compiled(
    chart: Chart, layout: Layout
) -> None:
    import vl_convert

    spec = layout_spec(chart.spec, layout)
    whole = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION, format_locale="en-GB")
    by_shape = vl_convert.vega_to_svg(compile_vega(spec), format_locale="en-GB")
    assert by_shape == whole
    assert compile_vega(spec)["description"] == chart.reading


def test_charts_of_one_shape_share_a_compilation_and_keep_their_own_values() -> None:
    chart = dispensing_split_chart(ALL, SPLIT)
    params = [{"name": "top", "value": 1}]
    one = {**chart.spec, "params": params, "description": "one"}
    values = [{**v, "practices": 1} for v in chart.spec["data"]["values"]]
    other = {**one, "data": {"values": values}, "params": [{"name": "top", "value": 2}]}
    other["description"] = "other"

    first, second = compile_vega(one), compile_vega(other)

    assert first["marks"] is second["marks"]  # one compilation, kept
    assert [first["description"], second["description"]] == ["one", "other"]
    assert [s["value"] for s in first["signals"] if s["name"] == "top"] == [1]
    assert [s["value"] for s in second["signals"] if s["name"] == "top"] == [2]
    data = [[d.get("values") for d in v["data"] if "values" in d] for v in (first, second)]
    assert data == [[chart.spec["data"]["values"]], [values]]
    assert compile_vega(one)["signals"] == first["signals"]  # the kept one is unchanged


#: Six threads drawing charts of new shapes at once, while every garbage collection runs Python
#: code (as a profiler's or test tool's hook does): without one renderer call at a time, two
#: threads waited for each other for ever within seconds (a datapack page whose chart images a
#: browser asks for at once hung this way).
MANY_THREADS = """
import gc, threading
from gpequity.charts import Chart, render_svg, vega_spec

gc.callbacks.append(lambda phase, info: sum(range(50)))
gc.set_threshold(50, 5, 5)

def draw(i):
    for j in range(15):
        values = [{"x": k, "y": (k * 7 + i) % 11} for k in range(20)]
        x, y = {"field": "x", "type": "ordinal"}, {"field": "y", "type": "quantitative"}
        encoding = {"x": x, "y": y}
        size = (300, 100 + (i * 37 + j) % 400)  # a new shape: compiled, then drawn
        spec = vega_spec("", values, mark="bar", encoding=encoding, size=size)
        render_svg(Chart("c", "C", "", spec, (), ()))

threads = [threading.Thread(target=draw, args=(i,)) for i in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("all drawn")
"""


def test_charts_drawn_by_many_threads_at_once_are_all_drawn() -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", MANY_THREADS], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("drawing charts from several threads at once never finished")
    assert done.stdout.strip() == "all drawn", done.stderr[-2000:]


def test_the_renderer_fetches_nothing() -> None:
    chart = dispensing_split_chart(ALL, SPLIT)
    remote = replace(chart, spec={**chart.spec, "data": {"url": "https://example.org/x.csv"}})
    with pytest.raises(Exception, match=r"example\.org"):
        render_svg(remote)


def test_unknown_chart_and_file_type() -> None:
    con = duckdb.connect()
    with pytest.raises(UnknownChart, match="charts: dispensing-split"):
        build_chart(con, "pie", "2022/23")
    with pytest.raises(UnsupportedChartFile, match=r"\.svg or \.png"):
        write_chart(dispensing_split_chart(ALL, SPLIT), Path("chart.pdf"))
    assert CHART_NAMES == ("dispensing-split", "dispensing-distribution", "trend", "payment-lines")


# --- the allocation tool's charts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (72.5, Unit.PERCENTAGE, "72.5%"),
        (13.98, Unit.SCORE, "13.98"),
        (1234.567, Unit.SCORE, "1,234.57"),
        (40.0, Unit.SCORE, "40"),
        (-3.5, Unit.SCORE, "\u22123.5"),
        (None, Unit.SCORE, "missing"),
    ],
)
def test_indicator_values_are_written_to_at_most_two_decimals(
    value: float | None, unit: Unit, expected: str
) -> None:
    assert format_indicator_value(value, unit) == expected


def small_scenario(*components: tuple[str, int]) -> Scenario:
    return Scenario(
        "QZZ", Decimal(10000), tuple(ComponentChoice(i, Decimal(w)) for i, w in components)
    )


def test_the_bars_rank_the_practices_by_money_per_patient(small_efit_db: Path) -> None:
    with connect(small_efit_db) as con:
        outcome = allocate_scenario(con, small_scenario(("imd", 50), ("population", 50)))
    chart = allocation_bars_chart(outcome)
    assert chart is not None
    practices = outcome.result.practices
    ranked = sorted(practices, key=lambda p: (-(p.allocation_per_patient or 0), p.code))
    assert [row[0] for row in chart.rows] == [p.code for p in ranked]
    assert [row[4] for row in chart.rows] == [float(p.difference) for p in ranked]
    gaining = sum(1 for p in practices if p.difference > 0)
    assert f"{gaining} of {len(practices)} practices get more than the baseline" in chart.reading
    assert "of £1.0000 per head" in chart.reading  # £10,000 over 10,000 patients
    sides = [v["side"] for v in chart.spec["data"]["values"]]
    assert sides == [
        "More than the baseline" if p.difference > 0 else "Less than the baseline" for p in ranked
    ]
    svg = render_svg(chart)
    # No label per bar (the table is the data), and coordinates to a hundredth of a pixel.
    assert 'aria-roledescription="bar"' not in svg
    assert not re.search(r' d="[^"]*\d\.\d{3}', svg)
    assert f"<desc>{chart.reading}</desc>" in svg


def test_sensitivity_chart_has_a_line_per_quintile_over_the_weights(small_efit_db: Path) -> None:
    with connect(small_efit_db) as con:
        sensitivity = run_sensitivity(con, small_scenario(("imd", 50), ("population", 50)))
    chart = sensitivity_chart(sensitivity, "Population only")
    assert [row[0] for row in chart.rows] == list(range(0, 101, 10))
    labels = chart.header[1:]
    assert len(chart.spec["data"]["values"]) == 11 * len(labels)
    move = most_deprived_move(sensitivity)
    assert move is not None
    assert f"in {move.label}, goes from {format_share(move.money_share_first)}" in chart.reading
    assert "the rest on Population only" in chart.reading
