"""The profiles over the real files: the largest ICB's profile is under 400 KB of HTML, and a
real practice's chart figures agree with the payments themselves and with its profile."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.analysis.profile_figures import icb_summary, icb_trend, practice_peers
from gpequity.analysis.profiles import icb_profile, practice_profile
from gpequity.formats import format_pounds
from gpequity.warehouse.icbs import IcbMap, payments_sql
from gpequity.web.app import create_app

MAX_PAGE_BYTES = 400 * 1024


@pytest.fixture(scope="module")
def con(real_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(real_warehouse), read_only=True) as connection:
        yield connection


def test_the_largest_icbs_profile_is_under_400_kb(
    real_warehouse: Path, con: duckdb.DuckDBPyConnection
) -> None:
    row = con.execute(
        f"SELECT icb_code FROM {payments_sql(con, IcbMap.current)} p "
        "WHERE year = (SELECT max(year) FROM payments) "
        "GROUP BY icb_code ORDER BY count(*) DESC, icb_code LIMIT 1"
    ).fetchone()
    assert row is not None
    code = str(row[0])
    profile = icb_profile(con, code)
    assert profile is not None and len(profile.practices) > 400

    with TestClient(create_app(real_warehouse)) as client:
        pages = [f"/icbs/{code}", f"/icbs/{code}?sort=imd&order=desc&page=2"]
        sizes = {path: len(client.get(path).content) for path in pages}
        practice = client.get(f"/practices/{profile.practices[0].code}")

    assert {p: s for p, s in sizes.items() if s > MAX_PAGE_BYTES} == {}
    assert practice.status_code == 200 and len(practice.content) < MAX_PAGE_BYTES
    # The summary's figure is the trend's for the year shown.
    summary = icb_summary(profile)
    latest = icb_trend(con, code)[-1]
    assert latest.year == profile.year
    assert summary.per_weighted_patient == pytest.approx(latest.icb_per_weighted_patient)


def test_a_real_practices_figures_agree_with_its_payments(
    con: duckdb.DuckDBPyConnection,
) -> None:
    row = con.execute(
        "SELECT practice_code, total_payments, weighted_patients, icb_code FROM payments "
        "WHERE year = (SELECT max(year) FROM payments) AND weighted_patients > 0 "
        "ORDER BY practice_code LIMIT 1 OFFSET 100"
    ).fetchone()
    assert row is not None
    code, total, weighted, icb = str(row[0]), Decimal(row[1]), float(row[2]), str(row[3])
    profile = practice_profile(con, code)
    assert profile is not None

    peers = practice_peers(con, profile)

    own = float(total) / weighted
    latest = profile.payments[-1]
    assert latest.per_weighted_patient == pytest.approx(own)
    by_kind = {g.kind: g for g in peers.groups}
    assert set(by_kind) == {"icb", "decile"}
    for group in peers.groups:
        assert group.value == pytest.approx(own)
        assert format_pounds(group.value) == format_pounds(latest.per_weighted_patient)
    # Its ICB's peers are the practices the payments file places in that ICB, their median
    # the profile's own.
    in_icb = con.execute(
        "SELECT count(*) FROM payments WHERE year = ? AND icb_code = ? AND weighted_patients > 0",
        [latest.year, icb],
    ).fetchone()
    assert in_icb is not None and by_kind["icb"].size == in_icb[0] == latest.icb_practices
    assert by_kind["icb"].median == pytest.approx(latest.icb_median)
    in_decile = con.execute(
        "SELECT count(*) FROM payments p JOIN practice_imd_year i USING (year, practice_code) "
        "WHERE p.year = ? AND i.decile = ? AND p.weighted_patients > 0",
        [latest.year, peers.decile],
    ).fetchone()
    assert in_decile is not None and by_kind["decile"].size == in_decile[0]
