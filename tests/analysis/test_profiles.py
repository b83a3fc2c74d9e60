"""Practice and ICB profiles: a hand-written warehouse with every expected figure worked out
by hand, then the demo warehouse (built by the real loaders) against a slow, obvious twin."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from gpequity.analysis.payments import By, payments_by_deprivation
from gpequity.analysis.profiles import (
    icb_profile,
    practice_profile,
    practice_rows,
    quintile_spread,
)

# --- a warehouse written by hand --------------------------------------------------------------
#
# Two ICBs, two years. Payments per weighted patient (total / weighted), 2022/23:
#   AAA  A00001 Oak Surgery     Q1  100000 / 1000 = 100
#        A00002 Elm Practice    Q5  160000 / 2000 =  80
#        A00003 Oak House       --   50000 /    0 = none (no weighted patients, no IMD score)
#   BBB  A00004 Birch Centre    Q1  120000 / 1000 = 120
#        A00005 Birch Oaks      Q5   90000 / 1000 =  90
# 2021/22: A00001 90, A00002 70 (both AAA), A00004 110, A00005 100 (500 weighted), and
# A00006 Ash Lodge (AAA, Q5, 60000 / 1000 = 60), which is not in 2022/23 (closed).

PAYMENTS_COLUMNS = (
    "year, practice_code, icb_code, icb_name, practice_name, postcode, pcn_code, pcn_name, "
    "registered_patients, weighted_patients, dispensing, rurality, contract_type, "
    "total_payments, total_incl_covid, total_incl_pcn, total_incl_covid_pcn, "
    "total_minus_deductions, prescribing_fee, dispensing_fee, drug_reimbursement"
)
ALPHA = ("AAA", "NHS Alpha Integrated Care Board")
BETA = ("BBB", "NHS Beta Integrated Care Board")
PRACTICES = [
    # year, code, icb, name, postcode, registered, weighted, total, quintile, score
    ("2022/23", "A00001", ALPHA, "OAK SURGERY", "AB1  2CD", 1100, 1000, 100000, 1, 5.0),
    ("2022/23", "A00002", ALPHA, "ELM PRACTICE", "AB12 3EF", 2100, 2000, 160000, 5, 40.0),
    ("2022/23", "A00003", ALPHA, "OAK HOUSE", "ZZ9  9ZZ", 10, 0, 50000, None, None),
    ("2022/23", "A00004", BETA, "BIRCH CENTRE", "CD1  1AA", 900, 1000, 120000, 1, 6.0),
    ("2022/23", "A00005", BETA, "BIRCH OAKS", "CD2  2BB", 1000, 1000, 90000, 5, 35.0),
    ("2021/22", "A00001", ALPHA, "OAK SURGERY", "AB1  2CD", 1000, 1000, 90000, 1, 5.0),
    ("2021/22", "A00002", ALPHA, "ELM PRACTICE", "AB12 3EF", 1000, 1000, 70000, 5, 40.0),
    ("2021/22", "A00004", BETA, "BIRCH CENTRE", "CD1  1AA", 1000, 1000, 110000, 1, 6.0),
    ("2021/22", "A00005", BETA, "BIRCH OAKS", "CD2  2BB", 500, 500, 50000, 5, 35.0),
    ("2021/22", "A00006", ALPHA, "ASH LODGE", "AB3  4GH", 1000, 1000, 60000, 5, 38.0),
]
INDICATORS = [
    # source, id, name, period, practice, sex, age, value
    ("fingertips", "219", "Hypertension", "2022/23", "A00001", "Persons", "All ages", 10.0),
    ("fingertips", "219", "Hypertension", "2022/23", "A00002", "Persons", "All ages", 20.0),
    ("fingertips", "219", "Hypertension", "2022/23", "A00004", "Persons", "All ages", 30.0),
    ("fingertips", "219", "Hypertension", "2022/23", "A00005", "Persons", "All ages", 40.0),
    ("fingertips", "219", "Hypertension", "2021/22", "A00001", "Persons", "All ages", 5.0),
    ("fingertips", "219", "Hypertension", "2022/23", "A00001", "Male", "All ages", 99.0),
    ("efit", "efit:x", "An eFIT indicator", "2025/26", "A00001", None, None, 1.0),
    ("efit", "efit:x", "An eFIT indicator", "2025/26", "A00004", None, None, 3.0),
]


def write_small_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE payments (year VARCHAR, practice_code VARCHAR, icb_code VARCHAR, "
            "icb_name VARCHAR, practice_name VARCHAR, postcode VARCHAR, pcn_code VARCHAR, "
            "pcn_name VARCHAR, registered_patients DOUBLE, weighted_patients DOUBLE, "
            "dispensing VARCHAR, rurality VARCHAR, contract_type VARCHAR, "
            "total_payments DECIMAL(18, 2), total_incl_covid DECIMAL(18, 2), "
            "total_incl_pcn DECIMAL(18, 2), total_incl_covid_pcn DECIMAL(18, 2), "
            "total_minus_deductions DECIMAL(18, 2), prescribing_fee DECIMAL(18, 2), "
            "dispensing_fee DECIMAL(18, 2), drug_reimbursement DECIMAL(18, 2))"
        )
        con.execute(
            "CREATE TABLE practice_imd_year (year VARCHAR, practice_code VARCHAR, score DOUBLE, "
            "method VARCHAR, quintile INTEGER, decile INTEGER)"
        )
        for year, code, (icb, icb_name), name, postcode, reg, wtd, total, q, score in PRACTICES:
            con.execute(
                f"INSERT INTO payments ({PAYMENTS_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, 'U1', 'ONE PCN', ?, ?, 'No', 'Urban', 'GMS', ?, NULL, NULL, "
                "NULL, NULL, 0, 0, 0)",
                [year, code, icb, icb_name, name, postcode, reg, wtd, total],
            )
            con.execute(
                "INSERT INTO practice_imd_year VALUES (?, ?, ?, 'carried forward from IMD 2019', "
                "?, ?)",
                [year, code, score, q, None if q is None else 2 * q],
            )
        con.execute(
            "CREATE TABLE practice_indicators (source VARCHAR, indicator_id VARCHAR, "
            "indicator_name VARCHAR, period VARCHAR, practice_code VARCHAR, sex VARCHAR, "
            "age VARCHAR, value DOUBLE, count DOUBLE, denominator DOUBLE, lower_ci95 DOUBLE, "
            "upper_ci95 DOUBLE)"
        )
        con.executemany(
            "INSERT INTO practice_indicators VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, "
            "NULL)",
            INDICATORS,
        )
        con.execute(
            "CREATE TABLE area_indicators (source VARCHAR, indicator_id VARCHAR, "
            "indicator_name VARCHAR, period VARCHAR, area_code VARCHAR, area_name VARCHAR, "
            "area_type VARCHAR, parent_code VARCHAR, sex VARCHAR, age VARCHAR, "
            "category_type VARCHAR, category VARCHAR, value DOUBLE, count DOUBLE, "
            "denominator DOUBLE, lower_ci95 DOUBLE, upper_ci95 DOUBLE)"
        )
        con.execute(
            "INSERT INTO area_indicators VALUES "
            "('fingertips', '219', 'Hypertension', '2022/23', 'E92000001', 'England', 'England', "
            "NULL, 'Persons', 'All ages', NULL, NULL, 25.0, NULL, NULL, NULL, NULL), "
            "('fingertips', '219', 'Hypertension', '2022/23', 'E92000001', 'England', 'England', "
            "NULL, 'Persons', 'All ages', 'Deprivation deciles', 'Most deprived', 77.0, NULL, "
            "NULL, NULL, NULL)"
        )
    return path


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = write_small_warehouse(tmp_path / "small.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def test_a_practice_beside_its_icb_england_and_quintile(con: duckdb.DuckDBPyConnection) -> None:
    profile = practice_profile(con, "a00001")

    assert profile is not None
    d = profile.details
    assert (d.code, d.name, d.year, d.latest_year, d.in_latest_year) == (
        "A00001",
        "OAK SURGERY",
        "2022/23",
        "2022/23",
        True,
    )
    assert (d.icb_code, d.registered_patients, d.imd_score, d.imd_quintile) == (
        "AAA",
        1100,
        5.0,
        1,
    )
    rows = [
        (
            y.year,
            y.per_weighted_patient,
            y.icb_median,
            y.icb_practices,
            y.england_median,
            y.england_practices,
            y.quintile,
            y.quintile_median,
            y.quintile_practices,
        )
        for y in profile.payments
    ]
    assert rows == [
        # 2021/22: AAA has 90, 70, 60 (Ash Lodge); England 90, 70, 110, 100, 60; Q1 90, 110.
        ("2021/22", 90.0, 70.0, 3, 90.0, 5, 1, 100.0, 2),
        # 2022/23: AAA 100, 80 (Oak House has no weighted patients); England 100, 80, 120, 90.
        ("2022/23", 100.0, 90.0, 2, 95.0, 4, 1, 110.0, 2),
    ]
    assert profile.payments[-1].total_payments == Decimal("100000.00")


def test_indicators_are_the_latest_period_beside_icb_and_england(
    con: duckdb.DuckDBPyConnection,
) -> None:
    profile = practice_profile(con, "A00001")

    assert profile is not None
    rows = [
        (
            i.indicator_id,
            i.period,
            i.value,
            i.icb_median,
            i.icb_practices,
            i.england_median,
            i.england_practices,
            i.england_value,
        )
        for i in profile.indicators
    ]
    assert rows == [
        # Persons only (the Male row is left out); England's value without categories.
        ("219", "2022/23", 10.0, 15.0, 2, 25.0, 4, 25.0),
        # No sex (eFIT): only A00001 of AAA has a value; England has no published value.
        ("efit:x", "2025/26", 1.0, 1.0, 1, 2.0, 2, None),
    ]


def test_a_closed_practice_keeps_its_last_year(con: duckdb.DuckDBPyConnection) -> None:
    profile = practice_profile(con, "A00006")

    assert profile is not None
    assert (profile.details.year, profile.details.in_latest_year) == ("2021/22", False)
    assert [y.year for y in profile.payments] == ["2021/22"]


def test_an_unknown_practice_has_no_profile(con: duckdb.DuckDBPyConnection) -> None:
    assert practice_profile(con, "Z99999") is None


def test_an_icbs_practices_spread_and_gradient(con: duckdb.DuckDBPyConnection) -> None:
    profile = icb_profile(con, "aaa")

    assert profile is not None
    assert (profile.code, profile.name, profile.year, profile.years) == (
        "AAA",
        "NHS Alpha Integrated Care Board",
        "2022/23",
        ("2021/22", "2022/23"),
    )
    assert [(p.code, p.quintile, p.per_weighted_patient) for p in profile.practices] == [
        ("A00001", 1, 100.0),
        ("A00002", 5, 80.0),
        ("A00003", None, None),
    ]
    spread = [(s.quintile, s.practices, s.registered_patients) for s in profile.spread]
    assert spread == [(1, 1, 1100), (2, 0, 0), (3, 0, 0), (4, 0, 0), (5, 1, 2100), (None, 1, 10)]
    assert profile.spread[0].share_of_practices == pytest.approx(1 / 3)
    assert profile.spread[4].share_of_patients == pytest.approx(2100 / 3210)
    gradient = {
        g.quintile: (g.icb_per_weighted_patient, g.england_per_weighted_patient)
        for g in profile.gradient
    }
    # Ratios of sums: England Q5 is (160,000 + 90,000) / (2,000 + 1,000).
    assert gradient[1] == pytest.approx((100.0, 110.0))
    assert gradient[5] == pytest.approx((80.0, 250_000 / 3_000))
    assert gradient[3] == (None, None)
    assert profile.icb_gap_q1_minus_q5 == pytest.approx(20.0)
    assert profile.england_gap_q1_minus_q5 == pytest.approx(110.0 - 250_000 / 3_000)


def test_an_icb_in_an_earlier_year(con: duckdb.DuckDBPyConnection) -> None:
    profile = icb_profile(con, "AAA", "2021/22")

    assert profile is not None
    assert [p.code for p in profile.practices] == ["A00001", "A00002", "A00006"]
    assert icb_profile(con, "AAA", "2019/20") is None
    assert icb_profile(con, "ZZZ") is None


def test_the_spread_counts_practices_without_a_score_only_when_there_are_some() -> None:
    assert [s.label for s in quintile_spread([])] == [
        "Q1 (least deprived)",
        "Q2",
        "Q3",
        "Q4",
        "Q5 (most deprived)",
    ]


def test_without_payments_there_is_nothing_to_profile(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        assert practice_profile(con, "A00001") is None
        assert icb_profile(con, "AAA") is None


# --- the demo warehouse, against a slow twin ---------------------------------------------------


@pytest.fixture(scope="module")
def demo_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    from gpequity.sources.demo import generate_demo
    from gpequity.warehouse.build import build_warehouse

    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder, seed=11, practices=150)
    db = tmp_path_factory.mktemp("warehouse") / "gpequity.duckdb"
    build_warehouse(db, [folder])
    with duckdb.connect(str(db), read_only=True) as connection:
        yield connection


def slow_medians(
    con: duckdb.DuckDBPyConnection,
) -> tuple[
    dict[tuple[str, str], float], dict[tuple[str, str], float], dict[tuple[str, int], float]
]:
    """Medians of payments per weighted patient by (year, ICB), year and (year, quintile),
    computed row by row in Python."""
    rows = con.execute(
        "SELECT p.year, p.icb_code, i.quintile, p.total_payments, p.weighted_patients "
        "FROM payments p LEFT JOIN practice_imd_year i USING (year, practice_code)"
    ).fetchall()
    by_icb: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_year: dict[str, list[float]] = defaultdict(list)
    by_quintile: dict[tuple[str, int], list[float]] = defaultdict(list)
    for year, icb, quintile, total, weighted in rows:
        if not weighted or weighted <= 0 or total is None:
            continue
        value = float(total) / weighted
        by_icb[(year, icb)].append(value)
        by_year[year].append(value)
        if quintile is not None:
            by_quintile[(year, quintile)].append(value)
    return (
        {k: statistics.median(v) for k, v in by_icb.items()},
        {(k, k): statistics.median(v) for k, v in by_year.items()},
        {k: statistics.median(v) for k, v in by_quintile.items()},
    )


def test_practice_medians_match_a_slow_twin(demo_con: duckdb.DuckDBPyConnection) -> None:
    icb_medians, england_medians, quintile_medians = slow_medians(demo_con)
    codes = [
        r[0]
        for r in demo_con.execute(
            "SELECT DISTINCT practice_code FROM payments ORDER BY 1 LIMIT 25"
        ).fetchall()
    ]

    for code in codes:
        profile = practice_profile(demo_con, code)
        assert profile is not None
        for y in profile.payments:
            assert y.icb_median == pytest.approx(icb_medians[(y.year, y.icb_code)])
            assert y.england_median == pytest.approx(england_medians[(y.year, y.year)])
            if y.quintile is not None:
                assert y.quintile_median == pytest.approx(quintile_medians[(y.year, y.quintile)])


def test_every_practices_rows_read_at_once_are_its_own_rows(
    demo_con: duckdb.DuckDBPyConnection,
) -> None:
    """The rows read once for every practice (``practice_rows``) are those of each practice
    read on its own: its latest payments row, every year's payments, each indicator's latest
    value (all persons), in the profile's order."""
    rows = practice_rows(demo_con)
    codes = [
        r[0] for r in demo_con.execute("SELECT DISTINCT practice_code FROM payments").fetchall()
    ]
    assert sorted(rows.details) == sorted(codes)

    for code in codes[:30]:
        latest = demo_con.execute(
            "SELECT year, practice_name, icb_code, weighted_patients FROM payments "
            "WHERE practice_code = ? ORDER BY year DESC LIMIT 1",
            [code],
        ).fetchone()
        assert latest is not None
        details = rows.details[code]
        assert (details[0], details[2], details[4], details[9]) == latest
        years = demo_con.execute(
            "SELECT year, total_payments FROM payments WHERE practice_code = ? ORDER BY year",
            [code],
        ).fetchall()
        assert [(r[0], r[1]) for r in rows.payments[code]] == years
        own = demo_con.execute(
            """
            SELECT source, indicator_id, period, sex, age, indicator_name, value
            FROM practice_indicators
            WHERE practice_code = ? AND coalesce(sex, 'Persons') = 'Persons'
            QUALIFY period = max(period) OVER (PARTITION BY source, indicator_id, age)
            ORDER BY source DESC, lower(indicator_name), age, indicator_id
            """,
            [code],
        ).fetchall()
        assert own, code
        assert [(*about, value) for about, value in rows.indicators[code]] == own


def test_the_icb_gradient_is_the_national_analysis_figure(
    demo_con: duckdb.DuckDBPyConnection,
) -> None:
    year = "2022/23"
    by_icb = payments_by_deprivation(demo_con, year, by=By.icb)
    england = payments_by_deprivation(demo_con, year)
    icbs = sorted({g.group for g in by_icb.groups if g.group})

    for code in icbs[:10]:
        profile = icb_profile(demo_con, code, year)
        assert profile is not None
        for row in profile.gradient:
            expected = next(
                (
                    g.per_weighted_patient
                    for g in by_icb.groups
                    if g.group == code and g.rank == row.quintile
                ),
                None,
            )
            assert row.icb_per_weighted_patient == expected
            assert row.england_per_weighted_patient == next(
                g.per_weighted_patient for g in england.groups if g.rank == row.quintile
            )
        # Every practice of the ICB is counted once in the spread.
        assert sum(s.practices for s in profile.spread) == len(profile.practices)
