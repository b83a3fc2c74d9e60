"""One ICB against England (``gpequity.analysis.icb``), on a small synthetic warehouse.

Every figure is checked against either the payments analysis itself (the pack must show the
same numbers as ``gpequity payments by-deprivation``) or a deliberately simple Python twin
computed here from the warehouse's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest

from gpequity.analysis.icb import (
    LOOK_AT_QUINTILES,
    PLAIN_MEAN,
    WEIGHTED_BY_DENOMINATOR,
    UnknownIcb,
    choose_period,
    icb_indicators,
    icb_overview,
    icb_payment_lines,
    icb_payments,
    icbs_in_year,
    practices_to_look_at,
    resolve_icb,
    warehouse_provenance,
)
from gpequity.analysis.payments import (
    QUINTILES,
    By,
    UnknownYear,
    payment_lines_by_deprivation,
    payments_by_deprivation,
)
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.warehouse.icbs import IcbMap

YEAR = "2022/23"
ICB = "QHM"
CLOSE = 1e-9


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    tmp = tmp_path_factory.mktemp("icb-analysis")
    generate_demo(tmp / "demo", seed=11, practices=300)
    db = tmp / "demo.duckdb"
    build_warehouse(db, [tmp / "demo"])
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple[object, ...]]:
    return con.execute(sql, list(params)).fetchall()


# ---------------------------------------------------------------------------------------------
# ICBs


def test_every_icb_of_the_year_is_listed_with_its_practices(con: duckdb.DuckDBPyConnection) -> None:
    # The year's own ICBs (its file's codes: the 42 of 2022); by today's map, the 36 of April
    # 2026 (the demo's ONS list), which the payments file's codes do not count.
    assert len(icbs_in_year(con, YEAR)) == 36
    icbs = icbs_in_year(con, YEAR, IcbMap.historic)
    assert len(icbs) == 42
    counts = dict(
        _rows(con, "SELECT icb_code, count(*) FROM payments WHERE year = ? GROUP BY 1", YEAR)
    )
    assert {i.code: i.practices for i in icbs} == counts


def test_an_icb_is_found_in_any_case_and_an_unknown_one_is_refused(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert resolve_icb(con, YEAR, " qhm ").code == ICB
    with pytest.raises(UnknownIcb, match=r"no ICB 'QZZ' in the 2022/23 payments file; ICBs: "):
        resolve_icb(con, YEAR, "QZZ")
    with pytest.raises(UnknownYear):
        resolve_icb(con, "1999/00", ICB)


# ---------------------------------------------------------------------------------------------
# Overview


def test_overview_counts_practices_and_patients_like_a_simple_loop(
    con: duckdb.DuckDBPyConnection,
) -> None:
    icb = resolve_icb(con, YEAR, ICB)
    overview = icb_overview(con, YEAR, icb)
    practices: dict[tuple[bool, int | None], int] = defaultdict(int)
    patients: dict[tuple[bool, int | None], float] = defaultdict(float)
    for _code, icb_code, registered, quintile in _rows(
        con,
        "SELECT p.practice_code, p.icb_code, p.registered_patients, i.quintile FROM payments p "
        "LEFT JOIN practice_imd_year i USING (year, practice_code) WHERE p.year = ?",
        YEAR,
    ):
        key = (icb_code == ICB, quintile)  # type: ignore[assignment]
        practices[key] += 1
        patients[key] += float(registered or 0)  # type: ignore[arg-type]
    scored = sum(patients[(True, q)] for q in range(1, QUINTILES + 1))
    for g in overview.groups:
        assert g.practices == practices[(True, g.rank)]
        assert g.registered_patients == pytest.approx(patients[(True, g.rank)])
        assert g.share_of_patients == pytest.approx(patients[(True, g.rank)] / scored)
        assert g.england_practices == practices[(True, g.rank)] + practices[(False, g.rank)]
    assert overview.practices == icb.practices
    assert overview.no_score_practices == practices[(True, None)]
    assert sum(g.share_of_patients or 0 for g in overview.groups) == pytest.approx(1)
    assert sum(g.england_share_of_patients or 0 for g in overview.groups) == pytest.approx(1)


# ---------------------------------------------------------------------------------------------
# Payments: the payments analysis's own figures


@pytest.mark.parametrize("exclude", [False, True])
def test_payments_are_those_of_payments_by_deprivation(
    con: duckdb.DuckDBPyConnection, exclude: bool
) -> None:
    icb = resolve_icb(con, YEAR, ICB)
    result = icb_payments(con, YEAR, icb)
    comparison = result.without_dispensing if exclude else result.all_payments
    by_icb = payments_by_deprivation(con, YEAR, exclude_prescribing=exclude, by=By.icb)
    england = payments_by_deprivation(con, YEAR, exclude_prescribing=exclude)
    for row in comparison.rows:
        assert row.icb == by_icb.group(row.rank, ICB)
        assert row.england == england.group(row.rank)
    assert comparison.icb_gap_q1_minus_q5 == by_icb.gap_q1_minus_q5[ICB]
    assert comparison.england_gap_q1_minus_q5 == england.gap_q1_minus_q5["all"]
    assert comparison.icb_slope_index == by_icb.slope_index[ICB]
    assert comparison.icb_concentration_index == by_icb.concentration_index[ICB]
    # The ICB's overall figure is a ratio of sums over its groups.
    groups = [g for g in by_icb.groups if g.group == ICB]
    assert comparison.icb_per_weighted_patient == pytest.approx(
        float(sum(g.payments for g in groups)) / sum(g.weighted_patients for g in groups)
    )
    # The ICB minus England differences the datapack prints come from here, not the presenter.
    for row in comparison.rows:
        if row.icb is None or row.england is None:
            assert row.icb_minus_england is None
        else:
            assert row.icb_minus_england == pytest.approx(
                row.icb.per_weighted_patient - row.england.per_weighted_patient
            )
    assert comparison.icb_minus_england == pytest.approx(
        comparison.icb_per_weighted_patient - comparison.england_per_weighted_patient
    )
    assert comparison.icb_practices == sum(g.practices for g in groups)
    assert comparison.icb_weighted_patients == pytest.approx(
        sum(g.weighted_patients for g in groups)
    )


def test_payments_count_the_icbs_practices_left_out(con: duckdb.DuckDBPyConnection) -> None:
    icb = resolve_icb(con, YEAR, ICB)
    excluded = {e.key: e.practices for e in icb_payments(con, YEAR, icb).excluded}
    included = sum(r.icb.practices for r in icb_payments(con, YEAR, icb).all_payments.rows if r.icb)
    assert set(excluded) >= {"no_imd_score", "zero_patients"}
    assert included + sum(excluded.values()) == icb.practices


# ---------------------------------------------------------------------------------------------
# Payment lines: England's are the national analysis's; the ICB's a simple twin


def test_payment_lines_england_figures_are_the_national_ones(
    con: duckdb.DuckDBPyConnection,
) -> None:
    lines = icb_payment_lines(con, YEAR, resolve_icb(con, YEAR, ICB))
    national = {line.line: line for line in payment_lines_by_deprivation(con, YEAR).lines}
    assert {line.line for line in lines.lines} == set(national)
    for line in lines.lines:
        assert line.england_per_weighted_patient == pytest.approx(
            national[line.line].per_weighted_patient, abs=CLOSE
        )


def test_payment_lines_icb_figures_match_a_simple_twin(con: duckdb.DuckDBPyConnection) -> None:
    lines = icb_payment_lines(con, YEAR, resolve_icb(con, YEAR, ICB))
    included = {
        code: (float(weighted), int(quintile))
        for code, weighted, quintile in _rows(
            con,
            "SELECT p.practice_code, p.weighted_patients, i.quintile FROM payments p "
            "JOIN practice_imd_year i USING (year, practice_code) WHERE p.year = ? "
            "AND p.icb_code = ? AND i.score IS NOT NULL AND p.registered_patients > 0 "
            "AND p.weighted_patients > 0",
            YEAR,
            ICB,
        )
    }
    totals = {
        str(line): bool(is_total)
        for line, is_total in _rows(
            con, "SELECT payment_line, is_total FROM payment_line_catalogue"
        )
    }
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    q5: dict[str, Decimal] = defaultdict(Decimal)
    for code, line, amount in _rows(
        con, "SELECT practice_code, payment_line, amount FROM payment_lines WHERE year = ?", YEAR
    ):
        if code in included and not totals.get(str(line), False) and amount is not None:
            amounts[str(line)] += Decimal(amount)  # type: ignore[arg-type]
            if included[str(code)][1] == QUINTILES:
                q5[str(line)] += Decimal(amount)  # type: ignore[arg-type]
    weighted = sum(w for w, _ in included.values())
    weighted_q5 = sum(w for w, q in included.values() if q == QUINTILES)
    by_line = {line.line: line for line in lines.lines}
    for line, amount in amounts.items():
        assert by_line[line].icb_per_weighted_patient == pytest.approx(float(amount) / weighted)
        assert by_line[line].icb_q5_per_weighted_patient == pytest.approx(
            float(q5[line]) / weighted_q5
        )
    differences = [abs(line.difference or 0) for line in lines.lines]
    assert differences == sorted(differences, reverse=True)


# ---------------------------------------------------------------------------------------------
# Indicators


@pytest.mark.parametrize(
    ("periods", "year", "chosen"),
    [
        (["2021/22", "2022/23", "2023/24"], "2022/23", "2022/23"),
        (["2021/22", "2023/24"], "2022/23", "2021/22"),  # equally near: the earlier
        (["2023/24"], "2022/23", "2023/24"),
        (["2019/20", "2025/26"], "2022/23", "2019/20"),
        (["2018", "2021/22"], "2022/23", "2021/22"),
        (["latest", "2014/15"], "2022/23", "2014/15"),  # a period with no year comes last
    ],
)
def test_choose_period(periods: list[str], year: str, chosen: str) -> None:
    assert choose_period(periods, year) == chosen


def test_indicators_match_a_simple_twin(con: duckdb.DuckDBPyConnection) -> None:
    icb = resolve_icb(con, YEAR, ICB)
    result = icb_indicators(con, YEAR, icb)
    assert result.loaded
    assert result.icbs == 36  # the ICBs of today (April 2026) in the demo
    place = {
        str(code): (str(icb_code), quintile)
        for code, icb_code, quintile in _rows(
            con,
            "SELECT p.practice_code, p.icb_code, i.quintile FROM payments p "
            "LEFT JOIN practice_imd_year i USING (year, practice_code) WHERE p.year = ?",
            YEAR,
        )
    }
    ids = {(i.source, i.indicator_id) for i in result.indicators}
    loaded = {
        (str(s), str(i))
        for s, i in _rows(con, "SELECT DISTINCT source, indicator_id FROM practice_indicators")
    }
    assert ids == loaded
    for ind in result.indicators:
        rows = _rows(
            con,
            "SELECT practice_code, value, denominator FROM practice_indicators WHERE source = ? "
            "AND indicator_id = ? AND period = ? AND sex IS NOT DISTINCT FROM ? "
            "AND age IS NOT DISTINCT FROM ? AND value IS NOT NULL",
            ind.source,
            ind.indicator_id,
            ind.period,
            ind.sex,
            ind.age,
        )
        weighted = all((d or 0) > 0 for _, _, d in rows)  # type: ignore[operator]
        assert ind.method == (WEIGHTED_BY_DENOMINATOR if weighted else PLAIN_MEAN)

        def value(selected: list[tuple[object, ...]], weighted: bool = weighted) -> float | None:
            if not selected:
                return None
            if weighted:
                top = sum(float(v) * float(d) for _, v, d in selected)  # type: ignore[arg-type]
                return top / sum(float(d) for _, _, d in selected)  # type: ignore[arg-type]
            return sum(float(v) for _, v, _ in selected) / len(selected)  # type: ignore[arg-type]

        for q in range(1, QUINTILES + 1):
            mine = [r for r in rows if place.get(str(r[0])) == (ICB, q)]
            all_q = [r for r in rows if place.get(str(r[0]), ("", None))[1] == q]
            assert ind.icb[q - 1].practices == len(mine)
            assert ind.icb[q - 1].value == pytest.approx(value(mine))
            assert ind.england[q - 1].value == pytest.approx(value(all_q))
        in_icb = [r for r in rows if place.get(str(r[0]), ("", None))[0] == ICB]
        assert ind.icb_all.value == pytest.approx(value(in_icb))
        assert ind.england_all.practices == len(rows)


def test_a_warehouse_without_indicators_says_none_are_loaded(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("no-indicators")
    generate_demo(tmp / "demo", seed=12, practices=120)
    db = tmp / "bare.duckdb"
    build_warehouse(db, [tmp / "demo" / d for d in ("lookups", "nhs-payments", "deprivation")])
    with duckdb.connect(str(db), read_only=True) as bare:
        result = icb_indicators(bare, YEAR, resolve_icb(bare, YEAR, ICB))
    assert not result.loaded
    assert result.indicators == ()


# ---------------------------------------------------------------------------------------------
# Practices to look at


def test_practices_to_look_at_follow_the_rule(con: duckdb.DuckDBPyConnection) -> None:
    icb = resolve_icb(con, YEAR, ICB)
    result = practices_to_look_at(con, YEAR, icb, limit=100)
    benchmark = result.icb_per_weighted_patient_without_dispensing
    assert benchmark is not None
    comparison = icb_payments(con, YEAR, icb).without_dispensing
    assert benchmark == pytest.approx(comparison.icb_per_weighted_patient)
    candidates = [
        r.icb for r in comparison.rows if r.icb is not None and r.rank in LOOK_AT_QUINTILES
    ]
    assert result.candidates == sum(g.practices for g in candidates)
    assert result.below == len(result.practices)
    values = [p.per_weighted_patient_without_dispensing for p in result.practices]
    assert values == sorted(values)  # type: ignore[type-var]
    for p in result.practices:
        assert p.quintile in LOOK_AT_QUINTILES
        assert p.per_weighted_patient_without_dispensing is not None
        assert p.per_weighted_patient_without_dispensing < benchmark
        assert p.below_icb == pytest.approx(benchmark - p.per_weighted_patient_without_dispensing)
    assert len(practices_to_look_at(con, YEAR, icb, limit=2).practices) == min(2, result.below)


def test_provenance_lists_each_dataset_once(con: duckdb.DuckDBPyConnection) -> None:
    provenance = warehouse_provenance(con)
    assert provenance.synthetic
    names = [d.dataset for d in provenance.datasets]
    assert names == sorted(set(names))
    payments = next(d for d in provenance.datasets if d.dataset == "payments")
    assert YEAR in payments.periods
