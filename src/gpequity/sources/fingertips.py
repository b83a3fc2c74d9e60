"""OHID Fingertips "all data" CSV export: practice-level health indicators.

One row per area, period, sex, age and category, with ``Value``, ``Count``, ``Denominator`` and
confidence limits (the export of the Fingertips website and of its API
``/all_data/csv/by_indicator_id``). Practice rows have ``Area Type`` = ``GPs``: they go to
``practice_indicators``. Every other row (England first of all, the comparator; also PCNs,
ICBs, local authorities, deprivation deciles) goes to ``area_indicators``, so every row read is
loaded. The columns are matched by name: the 23rd column's header changes with the comparator
('Compared to percentiles', 'Column not used', 'Compared to PCNs (v. 27/10/23) value or
percentiles') and the loader does not read it.

This module owns the export layout; ``imd`` reuses it for indicator 93553 (the practice IMD
score), whose export is detected, and loaded, as deprivation rather than as an indicator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from gpequity.errors import InputFileError
from gpequity.sources.base import (
    NUMBER_REGEX,
    LoadReport,
    first_data_row,
    has_columns,
    quote_ident,
    read_header,
    read_raw,
    reject_cells,
    reject_non_numbers,
    reject_where,
)

NAME = "fingertips"
TITLE = "OHID Fingertips indicators (all-data export)"

#: ``Area Type`` of practice rows.
PRACTICE_AREA_TYPE = "GPs"
#: ``indicator-91547-smoking-prevalence-qof.csv``: the id, when the rows do not give it.
FILE_NAME = re.compile(r"indicator-(\d+)", re.IGNORECASE)

#: The export's columns the loaders read, by key; the first name is the official one.
REQUIRED = {
    "indicator_id": ("Indicator ID",),
    "indicator_name": ("Indicator Name",),
    "area_code": ("Area Code",),
    "area_name": ("Area Name",),
    "area_type": ("Area Type",),
    "sex": ("Sex",),
    "age": ("Age",),
    "period": ("Time period",),
    "value": ("Value",),
}
OPTIONAL = {
    "parent_code": ("Parent Code",),
    "category_type": ("Category Type",),
    "category": ("Category",),
    "count": ("Count",),
    "denominator": ("Denominator",),
    "lower_ci95": ("Lower CI 95.0 limit",),
    "upper_ci95": ("Upper CI 95.0 limit",),
}
#: Columns holding numbers: anything but blank or a number is rejected.
NUMERIC = ("value", "count", "denominator", "lower_ci95", "upper_ci95")

# Shared with the other practice-level sources (QOF, eFIT) and with imd; every dataset that
# writes these tables creates them, so any subset of datasets can be loaded.
PRACTICE_INDICATORS_DDL = """
CREATE TABLE IF NOT EXISTS practice_indicators (
    source VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    indicator_name VARCHAR,
    period VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    sex VARCHAR,
    age VARCHAR,
    value DOUBLE,
    count DOUBLE,
    denominator DOUBLE,
    lower_ci95 DOUBLE,
    upper_ci95 DOUBLE
);
"""
AREA_INDICATORS_DDL = """
CREATE TABLE IF NOT EXISTS area_indicators (
    source VARCHAR NOT NULL,
    indicator_id VARCHAR NOT NULL,
    indicator_name VARCHAR,
    period VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL,
    area_name VARCHAR,
    area_type VARCHAR NOT NULL,
    parent_code VARCHAR,
    sex VARCHAR,
    age VARCHAR,
    category_type VARCHAR,
    category VARCHAR,
    value DOUBLE,
    count DOUBLE,
    denominator DOUBLE,
    lower_ci95 DOUBLE,
    upper_ci95 DOUBLE
);
"""

RAW = "raw_fingertips"


def is_export(header: Sequence[str]) -> bool:
    """Whether a header is the Fingertips all-data export's."""
    return has_columns(header, "Indicator ID", "Area Code", "Area Type", "Time period", "Value")


def export_indicator(path: Path) -> str | None:
    """Return the indicator id of an export, from its first row (else from its name)."""
    header = read_header(path)
    row = first_data_row(path) or []
    where = next((i for i, h in enumerate(header) if has_columns([h], "Indicator ID")), None)
    if where is not None and where < len(row) and row[where].strip():
        return row[where].strip()
    match = FILE_NAME.search(path.name)
    return match.group(1) if match else None


def text(col: dict[str, str], key: str, table: str = "") -> str:
    """SQL for a column's trimmed text, NULL when blank or when the file lacks the column."""
    if key not in col:
        return "CAST(NULL AS VARCHAR)"
    prefix = f"{table}." if table else ""
    return f"nullif(trim({prefix}{quote_ident(col[key])}), '')"


def reject_unreadable(
    con: duckdb.DuckDBPyConnection,
    table: str,
    report: LoadReport,
    code: tuple[str, str],
    value: tuple[str, str],
    what: str,
) -> None:
    """Reject the rows of a practice-per-row file with no practice code, or whose value is not
    a number (``what`` names the value); ``code`` and ``value`` are each (SQL, file column)."""
    reject_where(con, table, report, f"{code[0]} IS NULL", code[1], "no practice code")
    reject_non_numbers(con, table, report, value[0], value[1], what)


def number(col: dict[str, str], key: str) -> str:
    """SQL for a numeric column (validated beforehand) as DOUBLE."""
    return f"CAST({text(col, key)} AS DOUBLE)"


def read_export(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, report: LoadReport
) -> tuple[dict[str, str], str]:
    """Read and validate an export into ``table``; return its columns and the indicator id SQL.

    Rejects rows without an area code or type and rows with a cell that should be a number
    and is not. A row without an indicator id takes the file's, when the file has just one.
    """
    col = read_raw(con, path, table, report, REQUIRED, OPTIONAL)
    reject_where(
        con, table, report, f"{text(col, 'area_code')} IS NULL", col["area_code"], "no area code"
    )
    reject_where(
        con, table, report, f"{text(col, 'area_type')} IS NULL", col["area_type"], "no area type"
    )
    reject_where(
        con, table, report, f"{text(col, 'period')} IS NULL", col["period"], "no time period"
    )
    reject_cells(
        con,
        table,
        report,
        [col[k] for k in NUMERIC if k in col],
        f"{{value}} IS NOT NULL AND NOT regexp_full_match({{value}}, '{NUMBER_REGEX}')",
        lambda _column, value: f"{value!r} is not a number",
    )
    indicator = text(col, "indicator_id")
    ids = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT {indicator} FROM {table} WHERE {indicator} IS NOT NULL"
        ).fetchall()
    ]
    blank = con.execute(
        f"SELECT count(*) FROM {table} WHERE NOT _rejected AND {indicator} IS NULL"
    ).fetchall()[0][0]
    if blank and len(ids) == 1:
        # The 91547 export's 2023/24 practice rows leave Indicator ID (and Sex, Age) blank.
        report.warn(
            f"rows without an Indicator ID, taken as {ids[0]} (the file's only indicator): "
            f"{blank:,}"
        )
        indicator = f"coalesce({indicator}, '{ids[0]}')"
    else:
        reject_where(
            con,
            table,
            report,
            f"{indicator} IS NULL",
            col["indicator_id"],
            "no indicator ID (and the file has more than one indicator)",
        )
    return col, indicator


def is_practice(col: dict[str, str]) -> str:
    """SQL condition: the row is a practice's (``Area Type`` = ``GPs``)."""
    return f"lower({text(col, 'area_type')}) = '{PRACTICE_AREA_TYPE.lower()}'"


def insert_area_rows(
    con: duckdb.DuckDBPyConnection, table: str, col: dict[str, str], indicator: str, source: str
) -> int:
    """Insert the export's valid non-practice rows into ``area_indicators``; return how many."""
    return _insert(
        con,
        "area_indicators",
        f"""
        SELECT '{source}', {indicator}, {text(col, "indicator_name")}, {text(col, "period")},
            upper({text(col, "area_code")}), {text(col, "area_name")}, {text(col, "area_type")},
            upper({text(col, "parent_code")}), {text(col, "sex")}, {text(col, "age")},
            {text(col, "category_type")}, {text(col, "category")},
            {", ".join(number(col, k) for k in NUMERIC)}
        FROM {table} WHERE NOT _rejected AND NOT ({is_practice(col)})
        """,
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, select: str) -> int:
    """Insert the rows of ``select`` into ``table``; return how many it added."""
    count = f"SELECT count(*) FROM {table}"
    before = int(con.execute(count).fetchall()[0][0])
    con.execute(f"INSERT INTO {table} {select}")
    return int(con.execute(count).fetchall()[0][0]) - before


class FingertipsDataset:
    """Loader of Fingertips all-data exports (any indicator but the IMD score, 93553)."""

    name = NAME
    title = TITLE
    schema = PRACTICE_INDICATORS_DDL + AREA_INDICATORS_DDL

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        if not is_export(header):
            return None
        indicator = export_indicator(path)
        if indicator is None:
            raise InputFileError(
                path,
                "looks like a Fingertips export but its first row has no Indicator ID and its "
                "name none either: name it like indicator-91547-<what>.csv",
            )
        return f"indicator {indicator}"

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        col, indicator = read_export(con, path, RAW, report)
        practices = _insert(
            con,
            "practice_indicators",
            f"""
            SELECT '{NAME}', {indicator}, {text(col, "indicator_name")}, {text(col, "period")},
                upper({text(col, "area_code")}), {text(col, "sex")}, {text(col, "age")},
                {", ".join(number(col, k) for k in NUMERIC)}
            FROM {RAW} WHERE NOT _rejected AND {is_practice(col)}
            """,
        )
        areas = insert_area_rows(con, RAW, col, indicator, NAME)
        report.rows_loaded = practices + areas
        con.execute(f"DROP TABLE {RAW}")

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


DATASET = FingertipsDataset()
