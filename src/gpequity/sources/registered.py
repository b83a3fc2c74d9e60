"""Patients Registered at a GP Practice: five-year age bands by sex (NHS Digital).

The monthly "quinary age" file ``gp-reg-pat-prac-quin-age.csv``: one row per practice, sex
(``MALE``, ``FEMALE``, ``ALL``) and age band (``0_4``, ``5_9``, ... ``90_94``, ``95+``, ``ALL``).
Its columns have been renamed over the years (``TYPE``/``ORG_TYPE``, ``CODE``/``ORG_CODE``,
``CCG_CODE``/``SUB_ICB_LOCATION_CODE``), so they are matched by the names the loader needs.
``EXTRACT_DATE`` is written ``01JAN2025`` (or ``2025-01-01``) and becomes the period as an ISO
date. The bands go to ``registered_population``, the file's own ``ALL`` rows to
``registered_population_totals``; a practice whose bands do not add up to its totals is
reported as a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import duckdb

from gpequity.sources.base import (
    NUMBER_REGEX,
    LoadReport,
    first_data_row,
    has_columns,
    quote_ident,
    read_raw,
    reject_repeats,
    reject_where,
)

NAME = "registered"
TITLE = "Patients Registered at a GP Practice, five-year age bands (NHS Digital)"

#: How EXTRACT_DATE has been written.
DATE_FORMATS = ("%d%b%Y", "%Y-%m-%d")
#: ``TYPE`` of practice rows.
PRACTICE_TYPE = "GP"
#: The open-ended oldest band.
OPEN_BAND_FROM = 95
BAND_WIDTH = 5
BANDS = (*(f"{a}_{a + BAND_WIDTH - 1}" for a in range(0, OPEN_BAND_FROM, BAND_WIDTH)), "95+")
ALL = "ALL"
#: As the file writes them; the warehouse writes them in lower case.
SEXES = ("FEMALE", "MALE", ALL)
#: Codes named in one warning, at most.
SHOWN = 10

COLUMNS = {
    "extract_date": ("EXTRACT_DATE",),
    "code": ("CODE", "ORG_CODE", "PRACTICE_CODE"),
    "sex": ("SEX",),
    "age": ("AGE_GROUP_5",),
    "patients": ("NUMBER_OF_PATIENTS",),
}
OPTIONAL = {"type": ("TYPE", "ORG_TYPE")}

# Shared with the eFIT population files (single years of age).
REGISTERED_POPULATION_DDL = """
CREATE TABLE IF NOT EXISTS registered_population (
    source VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    sex VARCHAR NOT NULL,
    age_from INTEGER NOT NULL,
    age_to INTEGER,
    patients DOUBLE NOT NULL
);
"""
SCHEMA = (
    REGISTERED_POPULATION_DDL
    + """
CREATE TABLE IF NOT EXISTS registered_population_totals (
    source VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    sex VARCHAR NOT NULL,
    patients DOUBLE NOT NULL
);
"""
)

RAW = "raw_registered"


def _date_sql(expr: str) -> str:
    formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    return f"strftime(try_strptime({expr}, [{formats}]), '%Y-%m-%d')"


def period_of(path: Path, header: Sequence[str]) -> str:
    """Return the extract date of the file's first row as an ISO date ('' if unreadable)."""
    row = first_data_row(path) or []
    where = next((i for i, h in enumerate(header) if has_columns([h], "EXTRACT_DATE")), None)
    if where is None or where >= len(row):
        return ""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(row[where].strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return ""


class RegisteredDataset:
    """Loader of the quinary-age "Patients Registered at a GP Practice" file."""

    name = NAME
    title = TITLE
    schema = SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        if not has_columns(header, "EXTRACT_DATE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS"):
            return None
        return period_of(path, header)

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        col = read_raw(con, path, RAW, report, COLUMNS, OPTIONAL)
        q = {key: f"trim({quote_ident(raw)})" for key, raw in col.items()}
        code, sex, age = f"upper({q['code']})", f"upper({q['sex']})", f"upper({q['age']})"
        period = _date_sql(q["extract_date"])
        checks: list[tuple[str, str, str, Callable[[str | None], str]]] = [
            (
                f"{period} IS NULL",
                "extract_date",
                q["extract_date"],
                lambda v: f"extract date {v!r} is not a date like 01JAN2025",
            ),
        ]
        if "type" in col:
            checks.append(
                (
                    f"upper(coalesce({q['type']}, '')) <> '{PRACTICE_TYPE}'",
                    "type",
                    q["type"],
                    lambda v: f"{v!r} rows are not practices: only TYPE GP rows are read",
                )
            )
        checks += [
            (f"coalesce({code}, '') = ''", "code", code, lambda _: "no practice code"),
            (
                f"coalesce({sex}, '') NOT IN {SEXES!r}",
                "sex",
                q["sex"],
                lambda v: f"sex {v!r} is not MALE, FEMALE or ALL",
            ),
            (
                f"coalesce({age}, '') NOT IN {(*BANDS, ALL)!r}",
                "age",
                q["age"],
                lambda v: f"age group {v!r} is not a five-year band (0_4 ... 90_94, 95+) or ALL",
            ),
            (
                f"{sex} = '{ALL}' AND {age} <> '{ALL}'",
                "age",
                q["age"],
                lambda v: f"age group {v!r} with SEX ALL: age bands are read for each sex",
            ),
            (
                f"NOT regexp_full_match(coalesce({q['patients']}, ''), '{NUMBER_REGEX}')",
                "patients",
                q["patients"],
                lambda v: f"number of patients {v!r} is not a number",
            ),
            (
                f"TRY_CAST({q['patients']} AS DOUBLE) < 0",
                "patients",
                q["patients"],
                lambda v: f"negative number of patients {v}",
            ),
        ]
        for condition, key, value, reason in checks:
            reject_where(con, RAW, report, condition, col[key], reason, value_expr=value)
        reject_repeats(
            con,
            RAW,
            report,
            f"concat_ws(' ', {code}, {sex}, {age}, {period})",
            col["code"],
            lambda key, first: f"{key} appears again (first on row {first})",
        )
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE registered_rows AS
            SELECT {period} AS period, {code} AS practice_code,
                lower({sex}) AS sex, {age} AS age,
                CAST({q["patients"]} AS DOUBLE) AS patients
            FROM {RAW} WHERE NOT _rejected
            """
        )
        con.execute(
            f"""
            INSERT INTO registered_population
            SELECT '{NAME}', period, practice_code, sex,
                CASE WHEN age = '95+' THEN {OPEN_BAND_FROM}
                     ELSE CAST(split_part(age, '_', 1) AS INTEGER) END,
                CASE WHEN age = '95+' THEN NULL
                     ELSE CAST(split_part(age, '_', 2) AS INTEGER) END,
                patients
            FROM registered_rows WHERE age <> '{ALL}'
            """
        )
        con.execute(
            f"INSERT INTO registered_population_totals SELECT '{NAME}', period, practice_code, "
            f"sex, patients FROM registered_rows WHERE age = '{ALL}'"
        )
        report.rows_loaded = int(
            con.execute("SELECT count(*) FROM registered_rows").fetchall()[0][0]
        )
        _warn_totals(con, report)
        con.execute("DROP TABLE registered_rows")
        con.execute(f"DROP TABLE {RAW}")

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


def _warn_totals(con: duckdb.DuckDBPyConnection, report: LoadReport) -> None:
    """Warn about practices whose age bands do not add up to the file's ALL totals."""
    rows = con.execute(
        f"""
        WITH bands AS (
            SELECT period, practice_code, sex, sum(patients) AS patients
            FROM registered_rows WHERE age <> '{ALL}' GROUP BY ALL
            UNION ALL
            SELECT period, practice_code, 'all', sum(patients)
            FROM registered_rows WHERE age <> '{ALL}' GROUP BY ALL
        )
        SELECT t.period, t.practice_code, t.sex, b.patients, t.patients
        FROM registered_rows t JOIN bands b USING (period, practice_code, sex)
        WHERE t.age = '{ALL}' AND b.patients <> t.patients
        ORDER BY t.practice_code, t.period, t.sex
        """
    ).fetchall()
    if not rows:
        return
    practices = list(dict.fromkeys(r[1] for r in rows))
    shown = [
        f"{code} ({sex}: bands {bands:,.0f}, ALL {total:,.0f})"
        for _, code, sex, bands, total in rows
        if code in practices[:SHOWN]
    ]
    more = f" and {len(practices) - SHOWN:,} more practices" if len(practices) > SHOWN else ""
    report.warn(
        f"practices whose age bands do not add up to their ALL totals ({len(practices):,}): "
        f"{', '.join(shown)}{more}"
    )


DATASET = RegisteredDataset()
