"""The profiles' charts: their readings say the figures (written as everywhere else), their
specs fit a phone's column with 12 px text, and they render offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gpequity.analysis.profile_figures import (
    Peer,
    PeerGroup,
    PracticePeers,
    icb_trend,
    indicator_spine,
    practice_peers,
)
from gpequity.analysis.profiles import practice_profile
from gpequity.chart_layouts import Layout, layout_spec
from gpequity.charts import VEGA_LITE_VERSION, compile_vega, render_svg
from gpequity.reports.profile_charts import (
    PRACTICE_COLOUR,
    WIDTH,
    against,
    icb_trend_chart,
    peers_chart,
    peers_reading,
    practice_trend_chart,
    spine_chart,
    wrap,
)
from gpequity.warehouse.icbs import IcbMap

from ..analysis.test_profiles import write_small_warehouse


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = write_small_warehouse(tmp_path / "small.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def font_sizes(spec: Any) -> list[float]:
    """Every font size a spec sets, at any depth."""
    if isinstance(spec, dict):
        return [float(v) for k, v in spec.items() if k.endswith("FontSize") or k == "fontSize"] + [
            s for v in spec.values() for s in font_sizes(v)
        ]
    if isinstance(spec, list):
        return [s for v in spec for s in font_sizes(v)]
    return []


def test_the_practice_charts_read_their_figures_and_fit_a_phone(
    con: duckdb.DuckDBPyConnection,
) -> None:
    profile = practice_profile(con, "A00001")
    assert profile is not None

    trend = practice_trend_chart(profile)
    peers = peers_chart(practice_peers(con, profile), "Oak Surgery")
    spine = spine_chart(indicator_spine(con, profile))

    # 2022/23: 100 against its ICB's median 90 and England's 95; 2021/22: 90.
    assert trend.reading == (
        "£100.00 per weighted patient in 2022/23, £10.00 more than the median of its ICB's "
        "practices (£90.00) and £5.00 more than England's median (£95.00); in 2021/22 it "
        "received £90.00."
    )
    assert peers is not None and spine is not None
    assert peers.reading == (
        "In 2022/23 the practice's £100.00 per weighted patient was the 1st highest of 2 "
        "practices of NHS Alpha Integrated Care Board (median £90.00) and the 2nd highest of 2 "
        "practices in national IMD decile 2 (of 10) (median £110.00)."
    )
    assert spine.reading == (
        "Of 2 indicators, the practice's value is above England's on 0 and below it on 2; it "
        "is in the lowest quarter of England's practices on 2 and the highest quarter on 0."
    )
    # The practice is marked once per group, and the chart's table says which row it is.
    assert [r for r in peers.rows if r[-1]] == [
        ("Practices of NHS Alpha Integrated Care Board", "A00001", "OAK SURGERY", 100.0, True),
        ("Practices in national IMD decile 2 (of 10)", "A00001", "OAK SURGERY", 100.0, True),
    ]
    for chart in (trend, peers, spine):
        assert min(font_sizes(chart.spec)) >= 12, chart.name
        svg = render_svg(chart)
        width = float(re.search(r'<svg[^>]* width="([\d.]+)"', svg)[1])  # type: ignore[index]
        assert width <= WIDTH + 1, chart.name
    assert render_svg(peers).count(f'fill="{PRACTICE_COLOUR}"') == 2


def test_the_practice_charts_compiled_by_shape_draw_as_compiled_whole(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Two practices' trend and peers charts share one compilation (the peers' axis ends and
    row labels are parameters; a spine's height is its indicators'), and every chart draws
    exactly as its whole spec compiled would."""
    import vl_convert

    charts = []
    for code in ("A00001", "A00002"):
        profile = practice_profile(con, code)
        assert profile is not None
        peers = peers_chart(practice_peers(con, profile), profile.details.name)
        spine = spine_chart(indicator_spine(con, profile))
        assert peers is not None and spine is not None
        charts.append((practice_trend_chart(profile), peers, spine))
    for mine, theirs in zip(*charts, strict=True):
        spec = layout_spec(mine.spec, Layout.WIDE)
        shared = (
            compile_vega(spec)["marks"]
            is compile_vega(layout_spec(theirs.spec, Layout.WIDE))["marks"]
        )
        assert shared or mine.name == "practice-spine", mine.name
        whole = vl_convert.vegalite_to_svg(
            spec, vl_version=VEGA_LITE_VERSION, format_locale="en-GB"
        )
        assert vl_convert.vega_to_svg(compile_vega(spec), format_locale="en-GB") == whole


def test_the_icb_trend_reads_its_first_and_last_years(con: duckdb.DuckDBPyConnection) -> None:
    chart = icb_trend_chart("Alpha ICB", icb_trend(con, "AAA", IcbMap.historic))

    assert chart.reading == (
        "Alpha ICB's practices received £86.67 per weighted patient in 2022/23, £7.33 less "
        "than England (£94.00); in 2021/22, £73.33 against England's £84.44."
    )
    assert chart.rows == (
        ("2021/22", "This ICB", 73.33),
        ("2021/22", "England", 84.44),
        ("2022/23", "This ICB", 86.67),
        ("2022/23", "England", 94.0),
    )


def test_no_peers_and_no_spine_have_no_chart() -> None:
    empty = PracticePeers(code="A", year="2022/23", groups=(), decile=None)

    assert peers_chart(empty, "Oak") is None
    assert peers_reading(empty, "Oak") == "Oak has no figure per weighted patient in 2022/23."
    assert spine_chart(()) is None


def test_readings_say_the_same_and_the_difference() -> None:
    assert against(10.004, 10.0, "England") == "the same as England (£10.00)"
    assert against(8.0, 10.0, "England") == "£2.00 less than England (£10.00)"
    assert against(8.0, None, "England") == ""
    assert wrap("a " * 40, 10).count("|") == 7
    peers = tuple(Peer(f"P{i}", "P", "X", None, 100.0 - i) for i in range(12))
    group = PeerGroup("icb", "Practices of X", peers, 11)
    assert "£90.00 per weighted patient was the 11th highest of 12" in peers_reading(
        PracticePeers("A", "2022/23", (group,), None), "A"
    )
