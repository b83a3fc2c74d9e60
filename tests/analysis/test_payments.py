"""The payments analysis: years, totals, and the figures on the real files checked against sums
computed here from the source CSV with ``csv`` and ``Decimal`` (never the code's own output).
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from gpequity.analysis.payments import (
    QUINTILES,
    By,
    Dispensing,
    NoPaymentYears,
    Total,
    TotalUnavailable,
    UnknownYear,
    latest_year,
    national_summary,
    parse_year,
    payment_lines_by_deprivation,
    payments_by_deprivation,
    payments_trend,
    rank_label,
    resolve_year,
)
from gpequity.cli import app
from gpequity.warehouse.build import build_warehouse

YEAR = "2022/23"
PAYMENTS_2022_23 = "nhspaymentsgp-22-23-prac-csv.csv"

# The official headers of the 2022/23 file (NHS Digital), read by the test itself.
REGISTERED = "Number of Registered Patients (Last Known Figure)"
WEIGHTED = "Number of Weighted Patients (Last Known Figure)"
TOTAL = "Total NHS Payments to General Practice"
TOTAL_COVID = (
    "Total NHS Payments to General Practice including covid vaccination, covid support and "
    "long covid payments"
)
TOTAL_COVID_PCN = "Total NHS Payments to General Practice including Covid and PCN payments"
TOTAL_MINUS = "Total NHS Payments to General Practice Minus Deductions"
PRESCRIBING = ("Prescribing Fee Payments", "Dispensing Fee Payments", "Reimbursement of Drugs")

#: "The gap all but disappears" without dispensing practices: the non-dispensing gap must be
#: under this fraction of the all-practice gap. Measured on the real 2022/23 files: all
#: practices £16.02 per weighted patient, non-dispensing practices -£0.08 (0.5% of it).
GAP_VANISHES_FRACTION = Decimal("0.10")


# ---------------------------------------------------------------------------------------------
# Years and labels: spec tables


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2022/23", "2022/23"),
        ("2022-23", "2022/23"),
        ("22-23", "2022/23"),
        ("22/23", "2022/23"),
        (" 2014/15 ", "2014/15"),
        ("2099/00", "2099/00"),
        ("2022/24", None),
        ("2022", None),
        ("23-22", None),
        ("1999/00", None),
        ("", None),
        ("latest", None),
    ],
)
def test_parse_year(text: str, year: str | None) -> None:
    assert parse_year(text) == year


@pytest.mark.parametrize(
    ("rank", "groups", "label"),
    [
        (1, 5, "Q1 (least deprived)"),
        (3, 5, "Q3"),
        (5, 5, "Q5 (most deprived)"),
        (1, 10, "D1 (least deprived)"),
        (10, 10, "D10 (most deprived)"),
    ],
)
def test_rank_labels_say_which_end_is_which(rank: int, groups: int, label: str) -> None:
    assert rank_label(rank, groups) == label


# ---------------------------------------------------------------------------------------------
# The real files


def link_real_files(real_data_dir: Path, folder: Path) -> Path:
    """A folder of symlinks to the real payments, lookup and deprivation files."""
    for sub, pattern in (
        ("lookups", "ccg-icb-lookup.csv"),
        ("nhs-payments", "nhspaymentsgp-*-prac-csv.csv"),
        ("deprivation", "practice-imd-93553.csv"),
    ):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        for path in sorted((real_data_dir / sub).glob(pattern)):
            (folder / sub / path.name).symlink_to(path)
    return folder


def payments_years(*years: str, table: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection whose ``payments`` table holds only these years (or has no such table)."""
    con = duckdb.connect()
    if table:
        con.execute("CREATE TABLE payments (year VARCHAR)")
        for year in years:
            con.execute("INSERT INTO payments VALUES (?)", [year])
    return con


def test_the_latest_year_is_the_newest_loaded() -> None:
    con = payments_years("2021/22", "2022/23", "2020/21", "2022/23")
    assert latest_year(con) == "2022/23"
    # Without a year asked for, every figure is of the latest; a year asked for is resolved.
    assert resolve_year(con) == resolve_year(con, None) == resolve_year(con, " ") == "2022/23"
    assert resolve_year(con, "21-22") == "2021/22"
    with pytest.raises(UnknownYear):
        resolve_year(con, "2019/20")


@pytest.mark.parametrize("table", [False, True])
def test_without_payments_there_is_no_latest_year(table: bool) -> None:
    con = payments_years(table=table)
    with pytest.raises(NoPaymentYears, match="no payments files loaded: load them first"):
        latest_year(con)
    with pytest.raises(NoPaymentYears):
        resolve_year(con)


@pytest.fixture(scope="module")
def real_db(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("real-payments")
    db = tmp / "gpequity.duckdb"
    build_warehouse(db, [link_real_files(real_data_dir, tmp / "files")])
    return db


@pytest.fixture
def con(real_db: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(real_db), read_only=True)
    yield connection  # type: ignore[misc]
    connection.close()


@pytest.fixture(scope="module")
def source_rows(real_data_dir: Path) -> list[dict[str, str]]:
    with (real_data_dir / "nhs-payments" / PAYMENTS_2022_23).open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def money(row: dict[str, str], column: str) -> Decimal:
    """A money cell as the file writes it; a blank cell is no payment."""
    return Decimal(row[column].strip() or "0")


def patients(row: dict[str, str], column: str) -> Decimal:
    return Decimal(row[column].strip())


@pytest.mark.realdata
def test_national_summary_equals_the_sums_of_the_source_csv(
    con: duckdb.DuckDBPyConnection, source_rows: list[dict[str, str]]
) -> None:
    summary = national_summary(con, "22-23")

    assert summary.year == YEAR
    assert summary.practices == len(source_rows)
    assert summary.registered_patients == pytest.approx(
        float(sum(patients(r, REGISTERED) for r in source_rows)), abs=0.005
    )
    assert summary.weighted_patients == pytest.approx(
        float(sum(patients(r, WEIGHTED) for r in source_rows)), abs=0.005
    )
    assert summary.total_payments == sum(money(r, TOTAL) for r in source_rows)
    assert summary.total_payments_incl_covid == sum(money(r, TOTAL_COVID) for r in source_rows)
    assert summary.total_payments_incl_covid_pcn == sum(
        money(r, TOTAL_COVID_PCN) for r in source_rows
    )
    assert summary.total_payments_minus_deductions == sum(
        money(r, TOTAL_MINUS) for r in source_rows
    )
    assert summary.prescribing_dispensing_payments == sum(
        money(r, c) for r in source_rows for c in PRESCRIBING
    )
    assert set(summary.by_dispensing_status) == {"Yes", "No", "Unknown"}
    for status, part in summary.by_dispensing_status.items():
        rows = [r for r in source_rows if r["Dispensing Practice"].strip() == status]
        assert part.practices == len(rows)
        assert part.registered_patients == pytest.approx(
            float(sum(patients(r, REGISTERED) for r in rows)), abs=0.005
        )
        assert part.total_payments == sum(money(r, TOTAL) for r in rows)
        assert part.prescribing_dispensing_payments == sum(
            money(r, c) for r in rows for c in PRESCRIBING
        )
    assert sum(p.practices for p in summary.by_dispensing_status.values()) == summary.practices


@pytest.mark.realdata
def quintiles_among_included(
    con: duckdb.DuckDBPyConnection, source_rows: list[dict[str, str]]
) -> dict[str, int]:
    """The slow, obvious twin of the ranking: the practices with a score and patients, sorted by
    score then code, cut into fifths whose sizes differ by at most one (the first ones larger,
    as DuckDB's ntile cuts them)."""
    score_of = dict(
        con.execute(
            "SELECT practice_code, score FROM practice_imd_year WHERE year = ? "
            "AND score IS NOT NULL",
            [YEAR],
        ).fetchall()
    )
    included = sorted(
        (score_of[code], code)
        for row in source_rows
        if (code := row["Practice Code"].strip().upper()) in score_of
        and patients(row, REGISTERED) > 0
        and patients(row, WEIGHTED) > 0
    )
    size, extra = divmod(len(included), QUINTILES)
    out: dict[str, int] = {}
    start = 0
    for q in range(1, QUINTILES + 1):
        end = start + size + (1 if q <= extra else 0)
        out |= {code: q for _, code in included[start:end]}
        start = end
    return out


def test_quintiles_partition_the_practices_with_a_score(
    con: duckdb.DuckDBPyConnection, source_rows: list[dict[str, str]]
) -> None:
    result = payments_by_deprivation(con, YEAR)
    scored = {
        str(r[0])
        for r in con.execute(
            "SELECT practice_code FROM practice_imd_year WHERE year = ? AND score IS NOT NULL",
            [YEAR],
        ).fetchall()
    }
    quintile_of = quintiles_among_included(con, source_rows)
    # The slow, obvious twin: each quintile's sums from the CSV rows, one practice at a time.
    practices: dict[int, int] = defaultdict(int)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    registered: dict[int, Decimal] = defaultdict(Decimal)
    weighted: dict[int, Decimal] = defaultdict(Decimal)
    no_score = zero_patients = 0
    for row in source_rows:
        code = row["Practice Code"].strip().upper()
        if code not in scored:
            no_score += 1
            continue
        if patients(row, REGISTERED) <= 0 or patients(row, WEIGHTED) <= 0:
            zero_patients += 1
            continue
        q = quintile_of[code]
        practices[q] += 1
        paid[q] += money(row, TOTAL)
        registered[q] += patients(row, REGISTERED)
        weighted[q] += patients(row, WEIGHTED)

    assert [g.rank for g in result.groups] == [1, 2, 3, 4, 5]
    assert result.groups[0].label == "Q1 (least deprived)"
    assert result.groups[-1].label == "Q5 (most deprived)"
    excluded = {e.key: e for e in result.excluded}
    assert excluded["no_imd_score"].practices == no_score
    assert excluded["zero_patients"].practices == zero_patients
    # Every practice of the file is in exactly one group or one exclusion.
    assert sum(g.practices for g in result.groups) + sum(
        e.practices for e in result.excluded
    ) == len(source_rows)
    assert sum(g.practices for g in result.groups) == len(scored) - zero_patients
    # Ranked among the practices included: the fifths hold the same number of practices, ±1
    # (ranking the 198 practices without patients first left fifths of 1,272 to 1,310).
    sizes = [g.practices for g in result.groups]
    assert max(sizes) - min(sizes) <= 1
    assert any("ranked by IMD score" in note for note in result.notes)
    assert sum((g.payments for g in result.groups), Decimal(0)) + sum(
        (e.payments for e in result.excluded), Decimal(0)
    ) == sum(money(r, TOTAL) for r in source_rows)
    for g in result.groups:
        assert g.practices == practices[g.rank]
        assert g.payments == paid[g.rank]
        assert g.registered_patients == pytest.approx(float(registered[g.rank]), abs=0.005)
        assert g.weighted_patients == pytest.approx(float(weighted[g.rank]), abs=0.005)
        # Ratios of sums, not means of practice ratios.
        assert g.per_weighted_patient == pytest.approx(
            float(paid[g.rank] / weighted[g.rank]), rel=1e-12
        )
        assert g.per_registered_patient == pytest.approx(
            float(paid[g.rank] / registered[g.rank]), rel=1e-12
        )


@pytest.mark.realdata
def test_least_deprived_get_more_and_the_gap_all_but_vanishes_without_dispensing(
    con: duckdb.DuckDBPyConnection,
) -> None:
    everyone = payments_by_deprivation(con, YEAR)
    split = payments_by_deprivation(con, YEAR, by=By.dispensing)

    q1, q5 = everyone.group(1), everyone.group(QUINTILES)
    assert q1 is not None and q5 is not None
    assert q1.per_weighted_patient is not None and q5.per_weighted_patient is not None
    assert q1.per_weighted_patient > q5.per_weighted_patient
    gap = everyone.gap_q1_minus_q5["all"]
    assert gap == pytest.approx(q1.per_weighted_patient - q5.per_weighted_patient)
    assert gap is not None and gap > 0
    gap_non_dispensing = split.gap_q1_minus_q5["No"]
    assert gap_non_dispensing is not None
    assert abs(Decimal(gap_non_dispensing)) < GAP_VANISHES_FRACTION * Decimal(gap)
    # Dispensing practices are where the gap comes from: they get more, and most of them are in
    # the less deprived quintiles.
    assert (split.gap_q1_minus_q5["Yes"] or 0) > gap
    dispensing_q1, dispensing_q5 = split.group(1, "Yes"), split.group(QUINTILES, "Yes")
    assert dispensing_q1 is not None and dispensing_q5 is not None
    assert dispensing_q1.practices > 10 * dispensing_q5.practices
    # The equity measures agree on the direction and on their sign: money leans to the affluent,
    # and the gap, the slope index and the concentration index are all positive.
    assert gap > 0
    assert (everyone.slope_index["all"] or 0) > 0
    assert (everyone.concentration_index["all"] or 0) > 0
    # Within dispensing practices (ranked among themselves) the slope index and the
    # concentration index share one sign too: the issue saw a gap of +£28.47 beside a slope
    # index of +£9.11 that meant the opposite of the concentration index's -0.0072.
    sii, index = split.slope_index["Yes"], split.concentration_index["Yes"]
    assert sii is not None and index is not None
    assert (sii > 0) == (index > 0)


@pytest.mark.realdata
def test_excluding_prescribing_subtracts_exactly_the_three_lines(
    con: duckdb.DuckDBPyConnection, source_rows: list[dict[str, str]]
) -> None:
    everyone = payments_by_deprivation(con, YEAR)
    without = payments_by_deprivation(con, YEAR, exclude_prescribing=True)
    quintile_of = quintiles_among_included(con, source_rows)
    prescribing: dict[int, Decimal] = defaultdict(Decimal)
    for row in source_rows:
        q = quintile_of.get(row["Practice Code"].strip().upper())
        if q is not None and patients(row, REGISTERED) > 0 and patients(row, WEIGHTED) > 0:
            prescribing[q] += sum(money(row, c) for c in PRESCRIBING)
    for a, b in zip(everyone.groups, without.groups, strict=True):
        assert a.payments - b.payments == prescribing[a.rank]
        assert a.weighted_patients == b.weighted_patients
    assert without.exclude_prescribing
    assert any("Reimbursement of Drugs" in note for note in without.notes)


@pytest.mark.realdata
def test_every_breakdown_partitions_the_same_practices(con: duckdb.DuckDBPyConnection) -> None:
    everyone = payments_by_deprivation(con, YEAR)
    for by in By:
        split = payments_by_deprivation(con, YEAR, by=by)
        unknown = {e.key: e for e in split.excluded}[f"unknown_{by.value}"]
        for q in range(1, QUINTILES + 1):
            in_quintile = [g for g in split.groups if g.rank == q]
            whole = everyone.group(q)
            assert whole is not None
            assert sum(g.practices for g in in_quintile) <= whole.practices
        assert sum(g.practices for g in split.groups) + unknown.practices == sum(
            g.practices for g in everyone.groups
        )
        assert set(split.gap_q1_minus_q5) == {str(g.group) for g in split.groups}
    icb = payments_by_deprivation(con, YEAR, by=By.icb)
    assert len({g.group for g in icb.groups}) == 42
    assert all(g.group_name for g in icb.groups)


@pytest.mark.realdata
def test_deciles_refine_the_quintiles(con: duckdb.DuckDBPyConnection) -> None:
    deciles = payments_by_deprivation(con, YEAR, deciles=True)
    quintiles = payments_by_deprivation(con, YEAR)
    assert [g.rank for g in deciles.groups] == list(range(1, 11))
    assert deciles.groups[0].label == "D1 (least deprived)"
    assert sum(g.practices for g in deciles.groups) == sum(g.practices for g in quintiles.groups)
    # The Q1-Q5 gap means the same with --deciles; D1-D10 is given beside it.
    assert deciles.gap_q1_minus_q5 == quintiles.gap_q1_minus_q5
    d1, d10 = deciles.group(1), deciles.group(10)
    assert d1 and d10 and d1.per_weighted_patient and d10.per_weighted_patient
    assert deciles.gap_first_minus_last["all"] == pytest.approx(
        d1.per_weighted_patient - d10.per_weighted_patient
    )


@pytest.mark.realdata
def test_2020_21_total_including_covid_and_pcn_is_derived_and_said_so(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # The derivation's premise, on the real files: where both exist, the published column is
    # the two other totals less the core total; in 2020/21 the derived figure is the sum of
    # every payment line, practice by practice.
    mismatches = con.execute(
        """
        WITH lines AS (
            SELECT l.year, l.practice_code, sum(l.amount) AS amount
            FROM payment_lines l JOIN payment_line_catalogue c USING (payment_line)
            WHERE NOT c.is_total GROUP BY ALL)
        SELECT p.year,
               count(*) FILTER (p.total_incl_covid_pcn
                   <> p.total_incl_covid + p.total_incl_pcn - p.total_payments),
               count(*) FILTER (lines.amount
                   <> p.total_incl_covid + p.total_incl_pcn - p.total_payments),
               count(*)
        FROM payments p JOIN lines USING (year, practice_code)
        WHERE p.year IN ('2020/21', '2021/22', '2022/23') GROUP BY p.year ORDER BY p.year
        """
    ).fetchall()
    assert mismatches == [
        ("2020/21", 0, 0, mismatches[0][3]),
        ("2021/22", 0, 0, mismatches[1][3]),
        ("2022/23", 0, 0, mismatches[2][3]),
    ]
    summary = national_summary(con, "2020/21")
    assert summary.total_payments_incl_covid_pcn is not None
    assert any("derived" in note for note in summary.notes)
    result = payments_by_deprivation(con, "2020-21", total=Total.incl_covid_pcn)
    assert any("derived" in note for note in result.notes)


@pytest.mark.realdata
def test_totals_a_year_does_not_publish_are_refused_clearly(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(TotalUnavailable) as raised:
        payments_by_deprivation(con, "2019/20", total=Total.incl_covid)
    message = str(raised.value)
    assert "2019/20" in message and "\n" not in message
    assert "totals available: core" in message
    summary = national_summary(con, "2019/20")
    assert summary.total_payments_incl_covid is None
    assert summary.total_payments_incl_covid_pcn is None
    assert len(summary.notes) == 2


@pytest.mark.realdata
def test_a_refusal_is_read_from_the_warehouse_once_per_build(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The years, the totals each publishes and whether deprivation is loaded are read once per
    version of the file: a refusal is not kept (it is an error), so each one asked DuckDB again
    (81 served analyses of every year, total and split took 14x a GROUP BY; issue 12, (d))."""
    import gpequity.analysis.payments as payments

    asked: list[str] = []
    read_years, read_table = payments.payment_years, payments.has_table
    monkeypatch.setattr(payments, "payment_years", lambda c: asked.append("years") or read_years(c))
    monkeypatch.setattr(payments, "has_table", lambda c, n: asked.append(n) or read_table(c, n))
    for _ in range(3):
        with pytest.raises(TotalUnavailable):
            payments_by_deprivation(con, "2019/20", total=Total.incl_covid)
    assert asked.count("years") <= 1 and asked.count("practice_imd_year") <= 1


@pytest.mark.realdata
@pytest.mark.parametrize("given", ["2031/32", "2013-14", "nonsense", "2022/24"])
def test_an_unknown_year_is_one_line_listing_the_loaded_years(
    con: duckdb.DuckDBPyConnection, given: str
) -> None:
    with pytest.raises(UnknownYear) as raised:
        national_summary(con, given)
    message = str(raised.value)
    assert "\n" not in message
    assert message.endswith(
        "loaded years: 2014/15, 2015/16, 2016/17, 2017/18, 2018/19, 2019/20, 2020/21, "
        "2021/22, 2022/23"
    )
    assert resolve_year(con, "22-23") == YEAR


@pytest.mark.realdata
def test_trend_covers_every_year_with_that_years_quintiles(
    con: duckdb.DuckDBPyConnection,
) -> None:
    trend = payments_trend(con)
    assert [y.year for y in trend.years] == [
        "2014/15",
        "2015/16",
        "2016/17",
        "2017/18",
        "2018/19",
        "2019/20",
        "2020/21",
        "2021/22",
        "2022/23",
    ]
    assert trend.skipped == ()
    for year in trend.years:
        assert [g.rank for g in year.groups] == [1, 2, 3, 4, 5]
        assert year.imd_methods
        single = payments_by_deprivation(con, year.year)
        assert [g.payments for g in year.groups] == [g.payments for g in single.groups]
        assert year.gap_q1_minus_q5 == pytest.approx(single.gap_q1_minus_q5["all"])
        assert {e.key: e.practices for e in year.excluded} == {
            e.key: e.practices for e in single.excluded
        }
    covid = payments_trend(con, total=Total.incl_covid)
    assert [y.year for y in covid.years] == ["2020/21", "2021/22", "2022/23"]
    assert [s.year for s in covid.skipped] == [y.year for y in trend.years[:6]]
    non_dispensing = payments_trend(con, dispensing=Dispensing.no)
    split = payments_by_deprivation(con, YEAR, by=By.dispensing)
    last = non_dispensing.years[-1]
    assert [g.payments for g in last.groups] == [
        g.payments for g in split.groups if g.group == "No"
    ]


@pytest.mark.realdata
def test_payment_lines_add_up_to_the_total_including_covid_and_pcn(
    con: duckdb.DuckDBPyConnection,
) -> None:
    lines = payment_lines_by_deprivation(con, YEAR)
    everyone = payments_by_deprivation(con, YEAR, total=Total.incl_covid_pcn)
    for q in range(1, QUINTILES + 1):
        group = everyone.group(q)
        assert group is not None and group.per_weighted_patient is not None
        in_lines = sum(line.by_quintile[q - 1] or 0 for line in lines.lines)
        assert in_lines == pytest.approx(group.per_weighted_patient, rel=1e-9)
        assert lines.weighted_patients[q - 1] == pytest.approx(group.weighted_patients)
    by_name = {line.line: line for line in lines.lines}
    # Drug reimbursement follows the dispensing practices to the less deprived.
    assert by_name["drug_reimbursement"].favours == "less deprived"
    assert all(line.line_group != "total" for line in lines.lines)
    assert [line.payments for line in lines.lines] == sorted(
        (line.payments for line in lines.lines), reverse=True
    )


@pytest.mark.realdata
def test_ranking_among_the_included_practices_moves_the_gap_as_the_issue_measured(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # Issue 10: ranking after the exclusions gives £16.09 on the total including COVID and PCN
    # payments (ranking every practice with a score, then dropping 198 without patients, gave
    # £16.02).
    result = payments_by_deprivation(con, YEAR, total=Total.incl_covid_pcn)
    assert round(result.gap_q1_minus_q5["all"] or 0, 2) == 16.09
    assert {g.practices for g in result.groups} == {1288, 1289}


@pytest.mark.realdata
def test_a_score_older_than_the_newest_release_is_flagged(con: duckdb.DuckDBPyConnection) -> None:
    notes = payments_by_deprivation(con, YEAR).notes
    [flag] = [n for n in notes if "older than the newest release loaded" in n]
    assert flag == (
        "57 practices' IMD score for 2022/23 is older than the newest release loaded (IMD "
        "2019): carried forward 54 from IMD 2015, 3 from IMD 2010."
    )


# ---------------------------------------------------------------------------------------------
# Confidence intervals on the real data (issue 15)


def _independent_gap_interval(
    rows: list[tuple[int, Decimal, Decimal]], resamples: int = 2000, seed: int = 1
) -> tuple[float, float]:
    """A gap interval computed here, independently of gpequity.intervals: Python's own random
    draws, with replacement, as many practices of Q1 and of Q5 as each has; the gap of each
    resample; the 2.5th and 97.5th percentiles of the sorted gaps."""
    rng = random.Random(seed)
    q1 = [(float(money), float(heads)) for q, money, heads in rows if q == 1]
    q5 = [(float(money), float(heads)) for q, money, heads in rows if q == QUINTILES]

    def per_head(drawn: list[tuple[float, float]]) -> float:
        return sum(m for m, _ in drawn) / sum(h for _, h in drawn)

    gaps = sorted(
        per_head(rng.choices(q1, k=len(q1))) - per_head(rng.choices(q5, k=len(q5)))
        for _ in range(resamples)
    )
    return gaps[round(0.025 * (resamples - 1))], gaps[round(0.975 * (resamples - 1))]


@pytest.mark.realdata
def test_the_gap_interval_on_the_real_2022_23_data_says_what_the_data_says(
    con: duckdb.DuckDBPyConnection, real_db: Path, source_rows: list[dict[str, str]]
) -> None:
    quintile_of = quintiles_among_included(con, source_rows)
    rows = [
        (quintile_of[code], money(r, TOTAL), patients(r, WEIGHTED), r["Dispensing Practice"])
        for r in source_rows
        if (code := r["Practice Code"].strip().upper()) in quintile_of
    ]
    every = _independent_gap_interval([(q, m, w) for q, m, w, _ in rows])
    non_dispensing = _independent_gap_interval(
        [(q, m, w) for q, m, w, status in rows if status.strip() == "No"]
    )

    runner = CliRunner()
    printed = runner.invoke(
        app,
        ["payments", "by-deprivation", "--year", YEAR, "--db", str(real_db), "--format", "json"],
    )
    assert printed.exit_code == 0, printed.output
    out = json.loads(printed.stdout)
    gap = out["gap_q1_minus_q5_ci"]
    # England's least deprived fifth receives more, and the interval says it is no accident of
    # which practices are in each fifth: it excludes zero, as the independent bootstrap does.
    assert every[0] > 0 and gap["lower"] > 0
    assert gap["lower"] <= out["gap_q1_minus_q5"] <= gap["upper"]
    width = every[1] - every[0]
    assert gap["lower"] == pytest.approx(every[0], abs=0.2 * width)
    assert gap["upper"] == pytest.approx(every[1], abs=0.2 * width)

    split = runner.invoke(
        app,
        [
            "payments",
            "by-deprivation",
            "--year",
            YEAR,
            "--db",
            str(real_db),
            "--format",
            "json",
            "--by",
            "dispensing",
        ],
    )
    assert split.exit_code == 0, split.output
    no = json.loads(split.stdout)["gap_q1_minus_q5_ci"]["No"]
    # Among non-dispensing practices: whatever the independent bootstrap says about zero, the
    # printed interval says too.
    assert (no["lower"] <= 0 <= no["upper"]) == (non_dispensing[0] <= 0 <= non_dispensing[1])
    width = non_dispensing[1] - non_dispensing[0]
    assert no["lower"] == pytest.approx(non_dispensing[0], abs=0.2 * width)
    assert no["upper"] == pytest.approx(non_dispensing[1], abs=0.2 * width)


@pytest.mark.realdata
def test_figures_without_intervals_are_the_same_figures_and_the_intervals_come_apart(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # Issue 12: the profiles and the ICB map never show an interval, so they ask for the
    # figures alone; the bootstrap is kept per build apart from them.
    for by in (None, By.dispensing):
        bare = payments_by_deprivation(con, YEAR, by=by, intervals=False)
        full = payments_by_deprivation(con, YEAR, by=by)
        assert bare.intervals == {}
        assert bare.as_dict()["gap_q1_minus_q5_ci"] in (None, dict.fromkeys(bare.slope_index))
        assert set(full.intervals) == set(full.slope_index)
        assert all(i.gap is not None for i in full.intervals.values())
        assert replace(full, intervals={}) == bare
