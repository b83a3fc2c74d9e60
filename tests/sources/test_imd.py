"""Practice IMD scores: both layouts, their bad rows, and the scores and quintiles derived."""

from __future__ import annotations

import random

import duckdb
import pytest

from gpequity.errors import InputFileError
from gpequity.sources.base import LoadReport
from gpequity.sources.demo import FINGERTIPS_HEADER
from gpequity.sources.imd import DATASET, derive_year_scores
from gpequity.sources.registry import DATASETS

SHORT = ["IndicatorID", "Year", "AreaCode", "AreaName", "IsAreaCurrent", "Value"]
EXPORT = [*FINGERTIPS_HEADER[:22], "Compared to percentiles", *FINGERTIPS_HEADER[23:]]


def export_row(area: str, area_type: str, period: str, value: str) -> list[str]:
    return [
        "93553", "Deprivation score (IMD 2019)", "E92000001", "England", area, f"Area {area}",
        area_type, "Persons", "All ages", "", "", period, value, *[""] * 6, "", "", "", "",
        f"{period}0000", "", "", "1y",
    ]  # fmt: skip


def warehouse() -> duckdb.DuckDBPyConnection:
    """An empty warehouse in memory (every dataset's tables)."""
    con = duckdb.connect()
    for dataset in DATASETS:
        con.execute(dataset.schema)
    return con


def add_scores(con: duckdb.DuckDBPyConnection, scores: dict[str, dict[int, float | None]]) -> None:
    rows = [(code, r, s) for code, releases in scores.items() for r, s in releases.items()]
    con.execute(
        "INSERT INTO practice_imd SELECT c, c || ' Surgery', r, s "
        "FROM (SELECT unnest(?) AS c, unnest(?) AS r, unnest(?::DOUBLE[]) AS s)",
        [[c for c, _, _ in rows], [r for _, r, _ in rows], [s for _, _, s in rows]],
    )


def add_payments(
    con: duckdb.DuckDBPyConnection, years: dict[str, list[str]], patients: int = 1000
) -> None:
    """Each year's practices, with ``patients`` registered and weighted patients."""
    rows = [(year, code) for year, codes in years.items() for code in codes]
    con.execute(
        "INSERT INTO payments (year, practice_code, icb_code, icb_name, registered_patients, "
        "weighted_patients) SELECT unnest(?), unnest(?), 'QHM', 'North East', ?, ?",
        [[y for y, _ in rows], [c for _, c in rows], patients, patients],
    )


# --- detect ---------------------------------------------------------------------------------


def test_detect_takes_both_layouts_and_leaves_other_exports_to_fingertips(write_csv, tmp_path):
    short = write_csv(tmp_path / "practice-imd-93553.csv", SHORT, [])
    assert DATASET.detect(short, SHORT) == "indicator 93553"
    imd = write_csv(tmp_path / "a.csv", EXPORT, [export_row("A81001", "GPs", "2019", "30.1")])
    assert DATASET.detect(imd, EXPORT) == "indicator 93553"
    other = write_csv(
        tmp_path / "b.csv", EXPORT, [["91547", *export_row("A", "GPs", "1", "1")[1:]]]
    )
    assert DATASET.detect(other, EXPORT) is None


# --- derived scores: a spec table -----------------------------------------------------------

SPEC_SCORES: dict[str, dict[int, float | None]] = {
    "A00001": {2010: 10.0, 2015: 20.0, 2019: 40.0},
    "A00002": {2015: 50.0},
    "A00003": {2010: 30.0, 2019: 12.0},
    "A00004": {2015: 8.0, 2019: None},
}
# (year, practice): (score, method), by hand from the rule in docs: release R applies to the
# financial year R/R+1; linear in between; carried forward after the latest, back before the
# earliest.
SPEC: dict[tuple[str, str], tuple[float | None, str]] = {
    ("2008/09", "A00001"): (10.0, "carried back from IMD 2010"),
    ("2010/11", "A00001"): (10.0, "IMD 2010 as published"),
    ("2012/13", "A00001"): (14.0, "interpolated between IMD 2010 and IMD 2015"),
    ("2015/16", "A00001"): (20.0, "IMD 2015 as published"),
    ("2017/18", "A00001"): (30.0, "interpolated between IMD 2015 and IMD 2019"),
    ("2019/20", "A00001"): (40.0, "IMD 2019 as published"),
    ("2022/23", "A00001"): (40.0, "carried forward from IMD 2019"),
    ("2012/13", "A00002"): (50.0, "carried back from IMD 2015"),
    ("2022/23", "A00002"): (50.0, "carried forward from IMD 2015"),
    ("2015/16", "A00003"): (20.0, "interpolated between IMD 2010 and IMD 2019"),
    ("2019/20", "A00004"): (8.0, "carried forward from IMD 2015"),
    ("2022/23", "A00005"): (None, "no IMD score"),
}


def test_scores_follow_the_interpolation_rule_for_each_year_of_payments() -> None:
    con = warehouse()
    add_scores(con, SPEC_SCORES)
    years: dict[str, list[str]] = {}
    for year, code in SPEC:
        years.setdefault(year, []).append(code)
    add_payments(con, years)
    warnings = derive_year_scores(con)
    got = {
        (year, code): (score if score is None else pytest.approx(score), method)
        for year, code, score, method in con.execute(
            "SELECT year, practice_code, score, method FROM practice_imd_year"
        ).fetchall()
    }
    assert got == SPEC
    assert warnings == ["2022/23: 1 of 3 practices have no IMD score"]
    assert con.execute(
        "SELECT * FROM imd_year_coverage WHERE year IN ('2022/23', '2012/13') ORDER BY year"
    ).fetchall() == [("2012/13", 2, 2, 0), ("2022/23", 3, 2, 1)]
    assert con.execute(
        "SELECT quintile, decile FROM practice_imd_year WHERE practice_code = 'A00005'"
    ).fetchall() == [(None, None)]


def test_quintile_1_is_least_deprived_and_groups_hold_equal_numbers() -> None:
    con = warehouse()
    # 12 practices: scores 1..12, but two share a score (ties broken by practice code).
    scores = {f"B{i:05d}": {2019: float(i)} for i in range(1, 13)}
    scores["B00007"] = {2019: 6.0}
    add_scores(con, scores)
    add_payments(con, {"2020/21": [*scores, "B99999"]})
    assert derive_year_scores(con) == ["2020/21: 1 of 13 practices have no IMD score"]
    got = con.execute(
        "SELECT practice_code, quintile FROM practice_imd_year WHERE quintile IS NOT NULL "
        "ORDER BY score, practice_code"
    ).fetchall()
    assert [q for _, q in got] == [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5]
    assert got[5:7] == [("B00006", 2), ("B00007", 3)]


def test_a_practice_without_patients_keeps_its_score_but_is_not_ranked() -> None:
    # Issue 10: ranking the practices without patients, which no analysis can weigh, and then
    # leaving them out made unequal fifths. Five practices with patients, one in each fifth.
    con = warehouse()
    add_scores(con, {f"C{i:05d}": {2019: float(i)} for i in range(1, 7)})
    add_payments(con, {"2020/21": [f"C{i:05d}" for i in (1, 2, 4, 5, 6)]})
    add_payments(con, {"2020/21": ["C00003"]}, patients=0)
    derive_year_scores(con)
    assert con.execute(
        "SELECT practice_code, score, quintile FROM practice_imd_year ORDER BY score"
    ).fetchall() == [
        ("C00001", 1.0, 1),
        ("C00002", 2.0, 2),
        ("C00003", 3.0, None),
        ("C00004", 4.0, 3),
        ("C00005", 5.0, 4),
        ("C00006", 6.0, 5),
    ]


def test_without_payments_the_releases_give_the_years_2010_11_to_2019_20() -> None:
    con = warehouse()
    add_scores(con, {"C00001": {2010: 5.0, 2015: 10.0}, "C00002": {2015: 7.0, 2019: 9.0}})
    assert derive_year_scores(con) == []
    years = con.execute(
        "SELECT year, list(practice_code ORDER BY practice_code) FROM practice_imd_year "
        "GROUP BY year ORDER BY year"
    ).fetchall()
    assert [y for y, _ in years] == [f"{s}/{(s + 1) % 100:02d}" for s in range(2010, 2020)]
    # Each year's practices are those of the release in force that year.
    assert dict(years)["2012/13"] == ["C00001"]
    assert dict(years)["2016/17"] == ["C00001", "C00002"]
    assert dict(years)["2019/20"] == ["C00002"]


def test_no_scores_loaded_is_one_warning_not_one_per_year() -> None:
    con = warehouse()
    add_payments(con, {"2021/22": ["D00001"], "2022/23": ["D00001"]})
    assert derive_year_scores(con) == [
        "no practice IMD scores were loaded (Fingertips indicator 93553): no practice has a "
        "deprivation score or quintile"
    ]
    assert derive_year_scores(warehouse()) == []


def slow_year_scores(
    scores: dict[str, dict[int, float | None]], years: dict[str, list[str]]
) -> dict[tuple[str, str], tuple[float | None, int | None, int | None]]:
    """The same computation the obvious way, in Python: score, quintile, decile."""
    out: dict[tuple[str, str], tuple[float | None, int | None, int | None]] = {}
    for year, codes in years.items():
        start = int(year[:4])
        derived: dict[str, float | None] = {}
        for code in codes:
            known = {r: s for r, s in scores.get(code, {}).items() if s is not None}
            before = [r for r in known if r <= start]
            after = [r for r in known if r >= start]
            if before and after:
                r0, r1 = max(before), min(after)
                s0, s1 = known[r0], known[r1]
                derived[code] = s0 if r0 == r1 else s0 + (s1 - s0) * (start - r0) / (r1 - r0)
            elif before or after:
                derived[code] = known[max(before)] if before else known[min(after)]
            else:
                derived[code] = None
        ranked = sorted((s, c) for c, s in derived.items() if s is not None)
        n = len(ranked)
        for i, (_, code) in enumerate(ranked):
            out[(year, code)] = (derived[code], ntile(i, n, 5), ntile(i, n, 10))
        for code, score in derived.items():
            if score is None:
                out[(year, code)] = (None, None, None)
    return out


def ntile(i: int, n: int, groups: int) -> int:
    """SQL's NTILE: the first ``n % groups`` groups hold one more."""
    size, extra = divmod(n, groups)
    edge = extra * (size + 1)
    return i // (size + 1) + 1 if i < edge else extra + (i - edge) // size + 1


def test_the_sql_agrees_with_a_slow_obvious_twin() -> None:
    rng = random.Random(93553)
    codes = [f"E{i:05d}" for i in range(300)]
    scores: dict[str, dict[int, float | None]] = {}
    for code in codes:
        releases = {
            r: round(rng.uniform(2, 80), 2) for r in (2010, 2015, 2019) if rng.random() < 0.8
        }
        if releases and rng.random() < 0.05:
            releases[next(iter(releases))] = None
        scores[code] = releases
    scores[codes[1]] = {2019: scores[codes[0]].get(2019) or 10.0}  # a tie
    years = {
        f"{s}/{(s + 1) % 100:02d}": [c for c in codes if rng.random() < 0.9]
        for s in range(2008, 2024)
    }
    con = warehouse()
    add_scores(con, scores)
    add_payments(con, years)
    derive_year_scores(con)
    got = {
        (y, c): (s, q, d)
        for y, c, s, q, d in con.execute(
            "SELECT year, practice_code, score, quintile, decile FROM practice_imd_year"
        ).fetchall()
    }
    want = slow_year_scores(scores, years)
    assert got.keys() == want.keys()
    for key, (score, quintile, decile) in want.items():
        assert got[key] == (pytest.approx(score) if score is not None else None, quintile, decile)


# --- loading --------------------------------------------------------------------------------


def test_loads_the_short_layout(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "practice-imd-93553.csv",
        SHORT,
        [
            ["93553", "2010", "A81001", "The Densham Surgery", "1", "25.07512244"],
            ["93553", "2019", " a81001 ", "The Densham Surgery", "1", "32.36093926"],
            ["93553", "2019", "Y06113", "QHS GP Care Home Service", "0", ""],
        ],
        bom=True,
        crlf=True,
    )
    result, con = build(tmp_path / "src")
    (report,) = result.reports
    assert (report.dataset, report.period, report.rows_read, report.rows_loaded) == (
        "imd",
        "indicator 93553",
        3,
        3,
    )
    assert con.execute("SELECT * FROM practice_imd ORDER BY ALL").fetchall() == [
        ("A81001", "The Densham Surgery", 2010, 25.07512244),
        ("A81001", "The Densham Surgery", 2019, 32.36093926),
        ("Y06113", "QHS GP Care Home Service", 2019, None),
    ]
    assert con.execute(
        "SELECT method, count(*) FROM practice_imd_year WHERE year = '2012/13' GROUP BY ALL"
    ).fetchall() == [("interpolated between IMD 2010 and IMD 2019", 1)]


def test_bad_rows_are_rejected_naming_row_and_column(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "imd.csv",
        SHORT,
        [
            ["93553", "2019", "A81001", "A", "1", "30.5"],
            ["93553", "2019", "A81002", "B", "1", "high"],
            ["93553", "2019/20", "A81003", "C", "1", "12"],
            ["91547", "2019", "A81004", "D", "1", "12"],
            ["93553", "2019", "", "E", "1", "12"],
            ["93553", "2019", "A81001", "A", "1", "31"],
            ["93553", "2019", "A81001", "A", "1", "30.50"],
        ],
    )
    result, con = build(tmp_path / "src", allow_rejects=True)
    (report,) = result.reports
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (6, "AreaCode", "no practice code"),
        (3, "Value", "IMD score 'high' is not a number"),
        (
            5,
            "IndicatorID",
            "indicator 91547 is not the practice IMD score (93553): load it as a Fingertips "
            "export of its own",
        ),
        (4, "Year", "'2019/20' is not an IMD release year (like 2019)"),
        (7, "Value", "practice A81001 has IMD 2019 score 31.0 here but 30.5 on row 2"),
    ]
    assert report.warnings == [
        "rows repeating an earlier row's practice, release and score, loaded once: 1"
    ]
    assert report.rows_loaded == 2
    assert con.execute("SELECT practice_code, score FROM practice_imd").fetchall() == [
        ("A81001", 30.5)
    ]


def test_a_missing_column_is_fatal(write_csv, tmp_path):
    header = ["IndicatorID", "Year", "AreaCode", "Value"]
    path = write_csv(tmp_path / "imd.csv", header, [["93553", "2019", "A81001", "1"]])
    con = warehouse()
    with pytest.raises(InputFileError, match="missing required column 'AreaName'"):
        DATASET.load(con, path, LoadReport("imd", None, str(path), ""))


def test_loads_the_fingertips_export_of_93553_as_imd(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "indicator-93553.csv",
        EXPORT,
        [
            export_row("E92000001", "England", "2019", "21.7"),
            export_row("A81001", "GPs", "2019", "32.4"),
            export_row("A81001", "GPs", "2015", "29.1"),
            export_row("A81002", "GPs", "2019/20", "29.1"),
        ],
    )
    result, con = build(tmp_path / "src", allow_rejects=True)
    (report,) = result.reports
    assert report.dataset == "imd"
    assert [(r.row, r.column) for r in report.rejections] == [(5, "Time period")]
    assert report.rows_loaded == 3
    assert con.execute(
        "SELECT practice_code, imd_release, score FROM practice_imd ORDER BY 2"
    ).fetchall() == [
        ("A81001", 2015, 29.1),
        ("A81001", 2019, 32.4),
    ]
    assert con.execute(
        "SELECT source, indicator_id, area_code, area_type, period, value FROM area_indicators"
    ).fetchall() == [("fingertips", "93553", "E92000001", "England", "2019", 21.7)]


# --- the real file ----------------------------------------------------------------------------


def quintile_spread(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per year: largest minus smallest number of practices in a quintile (and decile)."""
    return dict(
        con.execute(
            "SELECT year, greatest(max(q) - min(q), max(d) - min(d)) FROM ("
            "  SELECT year, quintile, count(*) AS q, NULL AS d FROM practice_imd_year"
            "  WHERE quintile IS NOT NULL GROUP BY ALL"
            "  UNION ALL SELECT year, decile, NULL, count(*) FROM practice_imd_year"
            "  WHERE decile IS NOT NULL GROUP BY ALL) GROUP BY year"
        ).fetchall()
    )


@pytest.mark.realdata
def test_real_scores_give_equal_quintiles_for_every_release_year(
    real_data_dir, link, build, count_rows
):
    path = real_data_dir / "deprivation" / "practice-imd-93553.csv"
    result, con = build(link("src", [path]))
    (report,) = result.reports
    assert report.rows_read == report.rows_loaded == count_rows(path)
    assert not report.rejections and not report.warnings
    spread = quintile_spread(con)
    assert sorted(spread) == [f"{s}/{(s + 1) % 100:02d}" for s in range(2010, 2020)]
    assert set(spread.values()) <= {0, 1}


@pytest.mark.realdata
def test_real_scores_for_the_practices_paid_in_2022_23(real_data_dir, link, build):
    files = [
        real_data_dir / "lookups" / "ccg-icb-lookup.csv",
        real_data_dir / "nhs-payments" / "nhspaymentsgp-22-23-prac-csv.csv",
        real_data_dir / "deprivation" / "practice-imd-93553.csv",
    ]
    result, con = build(link("src", files))
    assert con.execute("SELECT * FROM imd_year_coverage").fetchall() == [
        ("2022/23", 6669, 6642, 27)
    ]
    assert "2022/23: 27 of 6,669 practices have no IMD score" in result.warnings
    assert con.execute(
        "SELECT count(*) - count(DISTINCT (year, practice_code)) FROM practice_imd_year"
    ).fetchall() == [(0,)]
    assert set(quintile_spread(con).values()) <= {0, 1}
    assert con.execute(
        "SELECT method, count(*) FROM practice_imd_year GROUP BY ALL ORDER BY ALL"
    ).fetchall() == [
        # 57 practices paid in 2022/23 have no IMD 2019 score, but an older one.
        ("carried forward from IMD 2010", 3),
        ("carried forward from IMD 2015", 54),
        ("carried forward from IMD 2019", 6585),
        ("no IMD score", 27),
    ]
    # Q5 holds the most deprived: its lowest score is above Q1's highest.
    q1_max, q5_min = con.execute(
        "SELECT max(score) FILTER (WHERE quintile = 1), min(score) FILTER (WHERE quintile = 5) "
        "FROM practice_imd_year"
    ).fetchall()[0]
    assert q1_max < q5_min
