"""Practice IMD score: OHID Fingertips indicator 93553, "Deprivation score (IMD)".

The average Index of Multiple Deprivation score of each practice's registered population, for
the IMD releases 2010, 2015 and 2019; higher = more deprived. Read from either layout:

- the short layout ``IndicatorID, Year, AreaCode, AreaName, IsAreaCurrent, Value`` (one row per
  practice and release, including practices that have since closed);
- the Fingertips all-data export of indicator 93553 (``Area Type`` = ``GPs`` rows are the
  practices, ``Time period`` the release year; its England and other area rows go to
  ``area_indicators`` like any Fingertips export's).

``derive`` turns the releases into a score for every practice of every financial year (the
practices of that year's payments file): linear interpolation between the practice's
surrounding releases (release R applies to the financial year R/R+1), the latest carried
forward after it and the earliest carried back before it; then national quintiles and deciles
of practices with a score (1 = least deprived).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from gpequity.sources import fingertips
from gpequity.sources.base import (
    LoadReport,
    has_columns,
    read_header,
    read_raw,
    reject_where,
)
from gpequity.tables import has_table

NAME = "imd"
TITLE = "Practice IMD score (OHID Fingertips indicator 93553)"

#: The Fingertips indicator of the practice IMD score.
IMD_INDICATOR = "93553"
PERIOD = f"indicator {IMD_INDICATOR}"
QUINTILES = 5
DECILES = 10
#: Financial years (starting) given scores when no payments file is loaded: those the
#: 2010, 2015 and 2019 releases cover before the payments series begins to matter.
FALLBACK_FIRST_YEAR = 2010
FALLBACK_LAST_YEAR = 2019
#: A release year as the files write it.
RELEASE_REGEX = r"^[0-9]{4}$"

#: The short layout's columns.
SHORT_COLUMNS = {
    "indicator_id": ("IndicatorID",),
    "year": ("Year",),
    "area_code": ("AreaCode",),
    "area_name": ("AreaName",),
    "value": ("Value",),
}

SCHEMA = (
    """
CREATE TABLE practice_imd (
    practice_code VARCHAR NOT NULL,
    practice_name VARCHAR,
    imd_release INTEGER NOT NULL,
    score DOUBLE,
    PRIMARY KEY (practice_code, imd_release)
);
-- One row per year and practice by construction (payments has one row per practice and year);
-- no primary key, whose index would cost more than the derivation itself.
CREATE TABLE practice_imd_year (
    year VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    score DOUBLE,
    method VARCHAR NOT NULL,
    quintile INTEGER,
    decile INTEGER
);
CREATE TABLE imd_year_coverage (
    year VARCHAR PRIMARY KEY,
    practices INTEGER NOT NULL,
    with_score INTEGER NOT NULL,
    without_score INTEGER NOT NULL
);
"""
    + fingertips.AREA_INDICATORS_DDL
)

RAW = "raw_imd"


class ImdDataset:
    """Loader of the practice IMD scores, and the per-year scores and quintiles derived."""

    name = NAME
    title = TITLE
    schema = SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        if has_columns(header, "IndicatorID", "Year", "AreaCode", "Value") and not has_columns(
            header, "Area Type"
        ):
            return PERIOD
        if fingertips.is_export(header) and fingertips.export_indicator(path) == IMD_INDICATOR:
            return PERIOD
        return None

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        header = read_header(path)
        areas = 0
        if fingertips.is_export(header):
            col, indicator = fingertips.read_export(con, path, RAW, report)
            practice = fingertips.is_practice(col)
            columns = {
                "indicator_id": col["indicator_id"],
                "release": col["period"],
                "value": col["value"],
            }
            code, name = fingertips.text(col, "area_code"), fingertips.text(col, "area_name")
            release, value = fingertips.text(col, "period"), fingertips.text(col, "value")
        else:
            col = read_raw(con, path, RAW, report, SHORT_COLUMNS, header=header)
            practice = "true"
            columns = {
                "indicator_id": col["indicator_id"],
                "release": col["year"],
                "value": col["value"],
            }
            indicator = fingertips.text(col, "indicator_id")
            code, name = fingertips.text(col, "area_code"), fingertips.text(col, "area_name")
            release, value = fingertips.text(col, "year"), fingertips.text(col, "value")
            fingertips.reject_unreadable(
                con, RAW, report, (code, col["area_code"]), (value, col["value"]), "IMD score"
            )
        reject_where(
            con,
            RAW,
            report,
            f"coalesce({indicator}, '') <> '{IMD_INDICATOR}'",
            columns["indicator_id"],
            lambda v: (
                f"indicator {v} is not the practice IMD score ({IMD_INDICATOR}): load it as a "
                "Fingertips export of its own"
            ),
            value_expr=indicator,
        )
        reject_where(
            con,
            RAW,
            report,
            f"({practice}) AND NOT regexp_full_match(coalesce({release}, ''), '{RELEASE_REGEX}')",
            columns["release"],
            lambda v: f"{v!r} is not an IMD release year (like 2019)",
            value_expr=release,
        )
        practices = _insert_scores(
            con, report, practice, f"upper({code})", name, release, value, columns["value"]
        )
        if fingertips.is_export(header):
            areas = fingertips.insert_area_rows(con, RAW, col, indicator, fingertips.NAME)
        report.rows_loaded = practices + areas
        con.execute(f"DROP TABLE {RAW}")

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return derive_year_scores(con)


def _insert_scores(
    con: duckdb.DuckDBPyConnection,
    report: LoadReport,
    practice: str,
    code: str,
    name: str,
    release: str,
    value: str,
    value_column: str,
) -> int:
    """Insert the valid practice rows into ``practice_imd``; return how many rows that is.

    A practice given the same release twice with the same score (in this file or one loaded
    before) is loaded once; with a different score the later row is rejected.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE imd_rows AS SELECT _row, {code} AS practice_code, "
        f"{name} AS practice_name, CAST({release} AS INTEGER) AS imd_release, "
        f"CAST({value} AS DOUBLE) AS score FROM {RAW} WHERE NOT _rejected AND ({practice})"
    )
    conflicts = con.execute(
        """
        SELECT r._row, r.practice_code, r.imd_release, r.score, f.score, f._row
        FROM imd_rows r
        JOIN (SELECT *, row_number() OVER (PARTITION BY practice_code, imd_release
                                           ORDER BY _row) AS n FROM imd_rows) f
          ON f.practice_code = r.practice_code AND f.imd_release = r.imd_release
         AND f.n = 1 AND f._row < r._row
        WHERE r.score IS DISTINCT FROM f.score
        UNION ALL
        SELECT r._row, r.practice_code, r.imd_release, r.score, p.score, NULL
        FROM imd_rows r JOIN practice_imd p USING (practice_code, imd_release)
        WHERE r.score IS DISTINCT FROM p.score
        ORDER BY 1
        """
    ).fetchall()
    for row, practice_code, year, score, other, first in conflicts:
        where = f"row {first}" if first is not None else "a file loaded before"
        report.reject(
            int(row),
            value_column,
            f"practice {practice_code} has IMD {year} score {score} here but {other} on {where}",
        )
    if conflicts:
        con.execute(
            f"UPDATE {RAW} SET _rejected = true WHERE _row IN (SELECT unnest(?))",
            [sorted({int(c[0]) for c in conflicts})],
        )
        con.execute(
            "DELETE FROM imd_rows WHERE _row IN (SELECT unnest(?))", [[c[0] for c in conflicts]]
        )
    con.execute(
        """
        INSERT INTO practice_imd
        SELECT practice_code, arg_min(practice_name, _row), imd_release, arg_min(score, _row)
        FROM imd_rows r
        WHERE NOT EXISTS (SELECT 1 FROM practice_imd p
                          WHERE p.practice_code = r.practice_code
                            AND p.imd_release = r.imd_release)
        GROUP BY practice_code, imd_release
        """
    )
    counts = con.execute(
        "SELECT count(*), count(*) - count(DISTINCT (practice_code, imd_release)) FROM imd_rows"
    ).fetchall()[0]
    if counts[1]:
        report.warn(
            f"rows repeating an earlier row's practice, release and score, loaded once: "
            f"{counts[1]:,}"
        )
    con.execute("DROP TABLE imd_rows")
    return int(counts[0])


def derive_year_scores(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Fill ``practice_imd_year`` and ``imd_year_coverage``; return a warning per year with
    practices that have no score."""
    has_payments = (
        has_table(con, "payments") and con.execute("SELECT count(*) FROM payments").fetchall()[0][0]
    )
    if has_payments:
        # The practices of a year are those NHS Digital paid that year.
        population = "SELECT DISTINCT year, practice_code FROM payments"
    else:
        # No payments: each year's practices are those of the release in force that year.
        population = f"""
            WITH releases AS (SELECT DISTINCT imd_release AS r FROM practice_imd),
            basis AS (
                SELECT range AS s, coalesce(
                    (SELECT max(r) FROM releases WHERE r <= range),
                    (SELECT min(r) FROM releases)) AS r
                FROM range({FALLBACK_FIRST_YEAR}, {FALLBACK_LAST_YEAR + 1}))
            SELECT printf('%d/%02d', s, (s + 1) % 100) AS year, p.practice_code
            FROM basis JOIN practice_imd p ON p.imd_release = basis.r
        """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE imd_year_scores AS
        WITH py AS (
            SELECT year, CAST(substr(year, 1, 4) AS INTEGER) AS s, practice_code
            FROM ({population})
        ),
        known AS (
            SELECT practice_code, imd_release AS r, score FROM practice_imd
            WHERE score IS NOT NULL
        ),
        around AS (
            SELECT py.year, py.s, py.practice_code,
                max(k.r) FILTER (WHERE k.r <= py.s) AS r0,
                arg_max(k.score, k.r) FILTER (WHERE k.r <= py.s) AS s0,
                min(k.r) FILTER (WHERE k.r >= py.s) AS r1,
                arg_min(k.score, k.r) FILTER (WHERE k.r >= py.s) AS s1
            FROM py LEFT JOIN known k ON k.practice_code = py.practice_code
            GROUP BY py.year, py.s, py.practice_code
        )
        SELECT year, practice_code,
            CASE WHEN r0 = r1 THEN s0
                 WHEN r0 IS NOT NULL AND r1 IS NOT NULL
                     THEN s0 + (s1 - s0) * CAST(s - r0 AS DOUBLE) / (r1 - r0)
                 ELSE coalesce(s0, s1) END AS score,
            CASE WHEN r0 IS NULL AND r1 IS NULL THEN 'no IMD score'
                 WHEN r0 = r1 THEN 'IMD ' || r0 || ' as published'
                 WHEN r0 IS NOT NULL AND r1 IS NOT NULL
                     THEN 'interpolated between IMD ' || r0 || ' and IMD ' || r1
                 WHEN r1 IS NULL THEN 'carried forward from IMD ' || r0
                 ELSE 'carried back from IMD ' || r1 END AS method
        FROM around
        """
    )
    # Ranked nationally within the year, lowest score (least deprived) first; ties broken by
    # practice code so that the same data always gives the same groups. With the payments
    # loaded, only the practices an analysis can weigh are ranked (registered and weighted
    # patients that year): ranking the 198 practices of 2022/23 without patients and then
    # leaving them out made fifths of 1,272 to 1,310 practices (issue 10). They keep their score
    # and have no quintile.
    weighed = (
        "AND (year, practice_code) IN (SELECT year, practice_code FROM payments "
        "WHERE registered_patients > 0 AND weighted_patients > 0)"
        if has_payments
        else ""
    )
    con.execute(
        f"""
        INSERT INTO practice_imd_year
        SELECT s.year, s.practice_code, s.score, s.method, r.quintile, r.decile
        FROM imd_year_scores s LEFT JOIN (
            SELECT year, practice_code,
                ntile({QUINTILES}) OVER w AS quintile, ntile({DECILES}) OVER w AS decile
            FROM imd_year_scores WHERE score IS NOT NULL {weighed}
            WINDOW w AS (PARTITION BY year ORDER BY score, practice_code)
        ) r USING (year, practice_code)
        """
    )
    con.execute(
        "INSERT INTO imd_year_coverage SELECT year, count(*), count(score), "
        "count(*) - count(score) FROM practice_imd_year GROUP BY year"
    )
    con.execute("DROP TABLE imd_year_scores")
    if not con.execute("SELECT count(*) FROM practice_imd").fetchall()[0][0]:
        if not has_payments:
            return []
        return [
            "no practice IMD scores were loaded (Fingertips indicator 93553): no practice has "
            "a deprivation score or quintile"
        ]
    rows = con.execute(
        "SELECT year, practices, without_score FROM imd_year_coverage WHERE without_score > 0 "
        "ORDER BY year"
    ).fetchall()
    return [f"{year}: {n:,} of {total:,} practices have no IMD score" for year, total, n in rows]


DATASET = ImdDataset()
