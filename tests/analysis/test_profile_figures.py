"""The figures behind the profiles' charts, on the hand-written warehouse of
``test_profiles.py`` (every expected figure worked out by hand there and here), and properties
of the spine's scale and the peers' ranks."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.analysis.profile_figures import (
    DECILE_PEERS,
    ENGLAND_MEDIAN,
    ENGLAND_PUBLISHED,
    ICB_PEERS,
    IndicatorRange,
    Peer,
    SpineRow,
    icb_summary,
    icb_trend,
    indicator_spine,
    is_dispensing,
    peer_group,
    practice_peers,
    spine_counts,
)
from gpequity.analysis.profiles import IndicatorComparison, icb_profile, practice_profile
from gpequity.warehouse.icbs import IcbMap

from .test_profiles import write_small_warehouse


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = write_small_warehouse(tmp_path / "small.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def test_a_practice_among_its_icb_and_its_decile(con: duckdb.DuckDBPyConnection) -> None:
    profile = practice_profile(con, "A00001")
    assert profile is not None

    peers = practice_peers(con, profile)

    # 2022/23: AAA has Oak Surgery 100 and Elm Practice 80 (Oak House has no weighted
    # patients); decile 2 has Oak Surgery 100 and Birch Centre 120.
    assert (peers.year, peers.decile) == ("2022/23", 2)
    icb, decile = peers.groups
    assert (icb.kind, [p.code for p in icb.peers], icb.rank, icb.median, icb.value) == (
        ICB_PEERS,
        ["A00001", "A00002"],
        1,
        90.0,
        100.0,
    )
    assert icb.label == "Practices of NHS Alpha Integrated Care Board"
    assert (decile.kind, [p.code for p in decile.peers], decile.rank, decile.median) == (
        DECILE_PEERS,
        ["A00004", "A00001"],
        2,
        110.0,
    )
    assert decile.label == "Practices in national IMD decile 2 (of 10)"
    # The median of the ICB's peers is the profile's own ICB median that year.
    assert icb.median == profile.payments[-1].icb_median


def test_a_practice_without_weighted_patients_has_no_peer_group(
    con: duckdb.DuckDBPyConnection,
) -> None:
    profile = practice_profile(con, "A00003")
    assert profile is not None

    peers = practice_peers(con, profile)

    assert (peers.groups, peers.decile) == ((), None)


def test_the_spine_places_each_indicator_on_englands_range(
    con: duckdb.DuckDBPyConnection,
) -> None:
    profile = practice_profile(con, "A00001")
    assert profile is not None

    rows = indicator_spine(con, profile)

    by_source = {r.indicator.source: r for r in rows}
    assert set(by_source) == {"fingertips", "efit"}
    # Hypertension 2022/23: practices 10, 20, 30, 40; England's published value 25.
    h = by_source["fingertips"]
    assert (h.range.minimum, h.range.p25, h.range.p75, h.range.maximum) == (
        10.0,
        17.5,
        32.5,
        40.0,
    )
    assert (h.england, h.england_source, h.value, h.half_width) == (
        25.0,
        ENGLAND_PUBLISHED,
        10.0,
        15.0,
    )
    assert [h.position(v) for v in (10.0, 17.5, 25.0, 40.0, None)] == [
        -1.0,
        -0.5,
        0.0,
        1.0,
        None,
    ]
    # The eFIT indicator: practices 1 and 3, no published value: England is their median, 2.
    e = by_source["efit"]
    assert (e.england, e.england_source, e.range.p25, e.range.p75) == (
        2.0,
        ENGLAND_MEDIAN,
        1.5,
        2.5,
    )
    # Below England on both, in England's lowest quarter on both.
    assert spine_counts(rows) == (0, 2, 2, 0)


def test_an_icb_over_the_years_against_england(con: duckdb.DuckDBPyConnection) -> None:
    points = icb_trend(con, "aaa", IcbMap.historic)

    # 2021/22: AAA 220,000 / 3,000; England 380,000 / 4,500. 2022/23: AAA 260,000 / 3,000
    # (Oak House has no weighted patients); England 470,000 / 5,000.
    assert [
        (p.year, p.icb_practices, p.icb_per_weighted_patient, p.england_practices) for p in points
    ] == [
        ("2021/22", 3, pytest.approx(220000 / 3000), 5),
        ("2022/23", 2, pytest.approx(260000 / 3000), 4),
    ]
    assert [p.england_per_weighted_patient for p in points] == [
        pytest.approx(380000 / 4500),
        pytest.approx(94.0),
    ]
    assert icb_trend(con, "ZZZ", IcbMap.historic) == ()


def test_an_icb_summary(con: duckdb.DuckDBPyConnection) -> None:
    profile = icb_profile(con, "AAA", "2022/23", IcbMap.historic)
    assert profile is not None

    summary = icb_summary(profile)

    assert (summary.practices, summary.registered_patients) == (3, 3210)
    assert (summary.dispensing_practices, summary.dispensing_known) == (0, 3)
    assert (summary.dispensing_share, summary.dispensing_patients_share) == (0.0, 0.0)
    assert summary.total_payments == Decimal("260000.00")
    assert summary.weighted_patients == 3000
    assert summary.per_weighted_patient == pytest.approx(260000 / 3000)
    # The summary's figure is the trend's for the same year.
    latest = icb_trend(con, "AAA", IcbMap.historic)[-1]
    assert summary.per_weighted_patient == latest.icb_per_weighted_patient


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Yes", True), ("no", False), (" YES ", True), ("Unknown", None), (None, None)],
)
def test_dispensing_flags(text: str | None, expected: bool | None) -> None:
    assert is_dispensing(text) is expected


# --- properties -------------------------------------------------------------------------------

figures = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(figures, min_size=1, max_size=30), england=figures, pick=st.integers(0))
def test_the_spine_scale_is_centred_on_england_and_holds_the_range(
    values: list[float], england: float, pick: int
) -> None:
    ordered = sorted(values)
    spread = IndicatorRange(ordered[0], ordered[0], ordered[-1], ordered[-1], len(values))
    indicator = IndicatorComparison(
        source="s",
        indicator_id="i",
        name="n",
        period="p",
        sex=None,
        age=None,
        value=None,
        icb_median=None,
        icb_practices=0,
        england_median=None,
        england_practices=0,
        england_value=england,
    )
    england = min(max(england, ordered[0]), ordered[-1])  # England within its practices' range
    row = SpineRow(indicator, spread, england, ENGLAND_PUBLISHED, None)

    positions = [row.position(v) for v in ordered]

    assert row.position(england) == 0.0
    assert all(p is not None and -1.0 - 1e-9 <= p <= 1.0 + 1e-9 for p in positions)
    assert positions == sorted(positions, key=lambda p: p or 0.0)
    value = ordered[pick % len(ordered)]
    assert (row.position(value) or 0.0) * (value - england) >= 0


@settings(max_examples=60, deadline=None)
@given(values=st.lists(figures, min_size=1, max_size=30), pick=st.integers(0))
def test_a_rank_counts_the_peers_above(values: list[float], pick: int) -> None:
    rows = [Peer(f"P{i:03d}", f"Practice {i}", "AAA", None, v) for i, v in enumerate(values)]
    code = rows[pick % len(rows)][0]

    group = peer_group(ICB_PEERS, "Peers", code, rows)

    assert group is not None
    mine = next(r for r in rows if r[0] == code)
    above = sum(1 for r in rows if (-r[4], r[0]) < (-mine[4], mine[0]))
    assert group.rank == above + 1
    assert group.peers[group.rank - 1].code == code
    assert [p.per_weighted_patient for p in group.peers] == sorted(values, reverse=True)
    assert peer_group(ICB_PEERS, "Peers", "NOPE", rows) is None
