"""The published eFIT tool's input files: practice populations and indicators, one set per ICB.

These are the files ICB users of the existing eFIT tool already have (MIT licence):

- ``population/{f,m}_pop_<ICB>_<YYYY-YY>.csv``: registered patients of each practice by single
  year of age (columns ``GP code, 0, 1, ..., 95``; 95 means 95 and over), females (``f_``) and
  males (``m_``), derived from NHS Digital "Patients Registered at a GP Practice";
- ``indicators/indicator_<ICB>_<YYYY-YY>_vN.csv``: ``ICB name, GP code, GP name`` then one
  column per practice-level indicator (QOF prevalences, screening coverage, the practice IMD
  score, NHS England's weighted population, ...), from OHID Fingertips and NHS England.

The ICB code and the financial year come from the file name: the codes are those of April 2026,
including the ICBs merged then (``D7T5G``, ``Z9B2Z``, ...), which ``derive`` adds to ``icbs``.
Each file says which practices the tool counts in its ICB: ``practice_icb`` gets a row per
practice and period with source ``efit``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gpequity.errors import InputFileError
from gpequity.sources import fingertips, payments, registered
from gpequity.sources.base import (
    CSV_OPTIONS,
    NUMBER_REGEX,
    LoadReport,
    cut_last_row,
    has_columns,
    match_columns,
    quote_ident,
    read_csv_text,
    read_header,
    unique_names,
)
from gpequity.tables import has_table

NAME = "efit"
TITLE = "eFIT tool input files (population and indicators per ICB)"

POPULATION_NAME = re.compile(r"^([fm])_pop_([A-Za-z0-9]+)_(\d{4})-(\d{2})\.csv$", re.IGNORECASE)
INDICATOR_NAME = re.compile(
    r"^indicator_([A-Za-z0-9]+)_(\d{4})-(\d{2})(?:_v\d+)?\.csv$", re.IGNORECASE
)
SEXES = {"f": "female", "m": "male"}
#: Single years of age 0 to 95; 95 means 95 and over.
OLDEST = 95
AGES = tuple(str(a) for a in range(OLDEST + 1))
#: The indicator files' leading columns; every other column is an indicator.
ID_COLUMNS = {
    "icb_name": ("ICB name",),
    "practice_code": ("GP code",),
    "practice_name": ("GP name",),
}
#: Codes named in one warning, at most.
SHOWN = 10
#: A whole row of cells joined by '|' (blanks dropped), each a number of at least 0.
_CELL = r"\s*(\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*)?"
WHOLE_ROW = rf"^{_CELL}([|]{_CELL})*$"

RAW = "raw_efit"
# Each file's valid rows wait in temporary (connection-only) tables, one row per practice, until
# derive() turns them into one row per practice and age (or indicator) in a single insert:
# three times faster than an insert per file (74 population files of ~16,000 cells each).
POPULATION_STAGE = "efit_population_stage"
INDICATOR_STAGE = "efit_indicator_stage"
#: Each indicator file's indicator ids and headers, in column order.
INDICATOR_FILES = "efit_indicator_files"
STAGING_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS {POPULATION_STAGE} (
    path VARCHAR, period VARCHAR, icb_code VARCHAR, sex VARCHAR, _row BIGINT,
    practice_code VARCHAR, cells VARCHAR[], suspect BOOLEAN);
CREATE TEMP TABLE IF NOT EXISTS {INDICATOR_STAGE} (
    path VARCHAR, period VARCHAR, icb_code VARCHAR, _row BIGINT, practice_code VARCHAR,
    practice_name VARCHAR, icb_label VARCHAR, cells VARCHAR[], suspect BOOLEAN);
CREATE TEMP TABLE IF NOT EXISTS {INDICATOR_FILES} (
    path VARCHAR, period VARCHAR, icb_code VARCHAR, ids VARCHAR[], names VARCHAR[]);
"""


SCHEMA = (
    fingertips.PRACTICE_INDICATORS_DDL
    + registered.REGISTERED_POPULATION_DDL
    + payments.PRACTICE_ICB_DDL
    + """
CREATE TABLE efit_practices (
    kind VARCHAR NOT NULL,
    sex VARCHAR,
    period VARCHAR NOT NULL,
    icb_code VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    practice_name VARCHAR,
    icb_label VARCHAR,
    path VARCHAR NOT NULL
);
"""
    # Temporary: they live on the building connection only, and derive() drops them.
    + STAGING_DDL
)


def indicator_id(header: str) -> str:
    """Return the stable id of an eFIT indicator column, e.g. ``efit:hypertension-qof-prevalence``.

    A readable slug of the header text: comparison signs and ``+`` are spelt out so that
    "(80+ yrs ...) <= 150/90" and "(<80 yrs ...) <= 140/90" stay apart.
    """
    text = header.lower()
    for sign, word in (
        ("<=", " le "),
        (">=", " ge "),
        ("<", " lt "),
        (">", " gt "),
        ("+", " plus "),
        ("%", " percent "),
        ("&", " and "),
    ):
        text = text.replace(sign, word)
    return "efit:" + re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _period(start: str, end: str) -> str | None:
    return f"{start}/{end}" if (int(start) + 1) % 100 == int(end) else None


def _is_population(header: Sequence[str]) -> bool:
    return has_columns(header, "GP code", "0", "1") and not has_columns(header, "GP name")


def _is_indicators(header: Sequence[str]) -> bool:
    return has_columns(header, *(names[0] for names in ID_COLUMNS.values()))


class EfitDataset:
    """Loader of the eFIT tool's per-ICB population and indicator files."""

    name = NAME
    title = TITLE
    schema = SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        if _is_population(header):
            match = POPULATION_NAME.match(path.name)
            expected = "f_pop_QHM_2026-27.csv (or m_pop_...)"
            period = match and _period(match.group(3), match.group(4))
        elif _is_indicators(header):
            match = INDICATOR_NAME.match(path.name)
            expected = "indicator_QHM_2025-26_v2.csv"
            period = match and _period(match.group(2), match.group(3))
        else:
            return None
        if not period:
            raise InputFileError(
                path,
                "looks like an eFIT tool file but its name does not give the ICB and year: "
                f"name it like {expected}",
            )
        return period

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        header = read_header(path)
        period = report.period or ""
        population = POPULATION_NAME.match(path.name)
        if population and _is_population(header):
            _load_population(
                con,
                path,
                header,
                report,
                period,
                population.group(2).upper(),
                SEXES[population.group(1).lower()],
            )
            return
        indicators = INDICATOR_NAME.match(path.name)
        if indicators is None:  # detect() said it was ours: cannot happen
            raise InputFileError(path, "not an eFIT tool file")
        _load_indicators(con, path, header, report, period, indicators.group(1).upper())

    def load_batch(
        self, con: duckdb.DuckDBPyConnection, items: Sequence[tuple[Path, LoadReport]]
    ) -> None:
        """Load many files: those of each kind that share one header, in one pass.

        The 74 population files and 36 indicator files of the published tool are read, checked
        and staged with a handful of queries instead of a handful each; any other file (or a
        batch DuckDB cannot read as one) goes through :meth:`load` one by one, which names the
        row of any problem.
        """
        population: list[BatchFile] = []
        indicators: list[BatchFile] = []
        single: list[tuple[Path, LoadReport]] = []
        first_indicator_header: list[str] | None = None
        claimed: set[tuple[str, str]] = set()
        for path, report in items:
            header = read_header(path)
            pop = POPULATION_NAME.match(path.name)
            ind = INDICATOR_NAME.match(path.name)
            if pop and header == POPULATION_HEADER:
                sex = SEXES[pop.group(1).lower()]
                population.append(
                    BatchFile(path, report, (report.period or "", pop.group(2).upper(), sex))
                )
            elif (
                ind
                and _is_indicators(header)
                and header[: len(ID_HEADER)] == ID_HEADER
                and (first_indicator_header is None or header == first_indicator_header)
                and (report.period or "", ind.group(1).upper()) not in claimed
            ):
                first_indicator_header = header
                claimed.add((report.period or "", ind.group(1).upper()))
                indicators.append(
                    BatchFile(path, report, (report.period or "", ind.group(1).upper()))
                )
            else:
                single.append((path, report))
        if population and not _stage_batch(con, population, POPULATION_HEADER, POPULATION_BATCH):
            single += [(f.path, f.report) for f in population]
        if indicators and first_indicator_header is not None:
            ids = _indicator_ids(indicators[0].path, first_indicator_header[len(ID_HEADER) :])
            clash = con.execute(
                f"SELECT any_value(path) FROM {INDICATOR_FILES} f JOIN (SELECT unnest(?) AS period,"
                " unnest(?) AS icb_code) USING (period, icb_code)",
                [[f.values[0] for f in indicators], [f.values[1] for f in indicators]],
            ).fetchall()[0][0]
            if clash or not _stage_batch(con, indicators, first_indicator_header, INDICATOR_BATCH):
                single += [(f.path, f.report) for f in indicators]
            else:
                names = first_indicator_header[len(ID_HEADER) :]
                con.execute(
                    f"INSERT INTO {INDICATOR_FILES} SELECT unnest(?), unnest(?), unnest(?), ?, ?",
                    [
                        [str(f.path) for f in indicators],
                        [f.values[0] for f in indicators],
                        [f.values[1] for f in indicators],
                        list(ids),
                        names,
                    ],
                )
        for path, report in single:
            self.load(con, path, report)

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        if not has_table(con, POPULATION_STAGE):
            return []  # a connection on which this build's schema did not run
        warnings = _insert_staged(con)
        if not con.execute("SELECT count(*) FROM efit_practices").fetchall()[0][0]:
            return warnings
        _add_icbs(con)
        con.execute(
            f"""
            INSERT INTO practice_icb
            SELECT DISTINCT e.practice_code, e.period, e.icb_code, i.icb_name, '{NAME}'
            FROM efit_practices e LEFT JOIN icbs i USING (icb_code)
            ORDER BY e.period, e.icb_code, e.practice_code
            """
        )
        return warnings + _membership_warnings(con)


def _read(
    con: duckdb.DuckDBPyConnection, path: Path, header: Sequence[str], report: LoadReport
) -> None:
    report.rows_read = read_csv_text(con, path, RAW, header, report)
    con.execute(f"ALTER TABLE {RAW} ADD COLUMN _rejected BOOLEAN DEFAULT false")


def _check_practices(con: duckdb.DuckDBPyConnection, report: LoadReport, code_column: str) -> str:
    """Reject rows without a practice code or repeating one; return the code's SQL."""
    code = f"upper(nullif(trim({quote_ident(code_column)}), ''))"
    clean = con.execute(
        f"SELECT count({code}) = count(*) AND count(DISTINCT {code}) = count(*) FROM {RAW} "
        "WHERE NOT _rejected"
    ).fetchall()[0][0]
    if clean:
        return code
    found = con.execute(
        f"SELECT _row, code, first FROM (SELECT _row, {code} AS code, "
        f"min(_row) OVER (PARTITION BY {code}) AS first FROM {RAW} WHERE NOT _rejected) "
        "WHERE code IS NULL OR _row > first ORDER BY _row"
    ).fetchall()
    for row, practice, first in found:
        report.reject(
            int(row),
            code_column,
            "no practice code"
            if practice is None
            else f"practice {practice} appears again (first on row {first})",
        )
    _mark_rejected(con, [int(r) for r, _, _ in found])
    return code


def _mark_rejected(con: duckdb.DuckDBPyConnection, rows: Sequence[int]) -> None:
    if rows:
        con.execute(
            f"UPDATE {RAW} SET _rejected = true WHERE _row IN (SELECT unnest(?))", [list(rows)]
        )


def _stage(
    con: duckdb.DuckDBPyConnection,
    report: LoadReport,
    stage: str,
    values: Sequence[object],
    expressions: Sequence[str],
    columns: Sequence[str],
    reason: Callable[[str], str],
) -> None:
    """Stage the valid rows (``values`` and ``expressions``, then the cells of ``columns``).

    Every cell of these files is a number of at least 0, or blank. A file without a bad cell,
    the common case, is recognised in the same statement that stages it, by matching each
    row's cells joined with "|" (which no number holds, unlike a comma: "1,2" must not pass)
    against ``WHOLE_ROW``; only a file with a suspect row is searched cell by cell, and its bad
    rows are rejected and unstaged.
    """
    listed = ", ".join(quote_ident(c) for c in columns)
    marks = ", ".join("?" for _ in values)
    staged = con.execute(
        f"INSERT INTO {stage} SELECT {marks}, _row, {', '.join(expressions)}, cells, "
        "NOT regexp_full_match(coalesce(array_to_string(cells, '|'), ''), ?) "
        f"FROM (SELECT *, [{listed}] AS cells FROM {RAW} WHERE NOT _rejected) "
        "RETURNING suspect",
        [*values, WHOLE_ROW],
    ).fetchall()
    rejected: list[int] = []
    if any(flag for (flag,) in staged):
        found = con.execute(
            f"""
            SELECT _row, name, value FROM (
                SELECT _row, i, name, nullif(trim(raw), '') AS value FROM (
                    SELECT _row, unnest(range({len(columns)})) AS i, unnest($names) AS name,
                        unnest([{listed}]) AS raw
                    FROM {RAW} WHERE NOT _rejected))
            WHERE value IS NOT NULL AND (NOT regexp_full_match(value, '{NUMBER_REGEX}')
                                         OR TRY_CAST(value AS DOUBLE) < 0)
            ORDER BY _row, i
            """,
            {"names": list(columns)},
        ).fetchall()
        for row, column, value in found:
            report.reject(int(row), column, reason(value))
        rejected = sorted({int(r) for r, _, _ in found})
        _mark_rejected(con, rejected)
        con.execute(
            f"DELETE FROM {stage} WHERE path = ? AND _row IN (SELECT unnest(?))",
            [report.path, rejected],
        )
    report.rows_loaded = len(staged) - len(rejected)
    con.execute(f"DROP TABLE {RAW}")


def _patients_reason(value: str) -> str:
    """Why a population file's cell ``value`` is rejected."""
    if re.fullmatch(NUMBER_REGEX, value):
        return f"negative number of patients {value}"
    return f"number of patients {value!r} is not a number"


def _value_reason(value: str) -> str:
    """Why an indicator file's cell ``value`` is rejected."""
    if re.fullmatch(NUMBER_REGEX, value):
        return f"negative value {value}"
    return f"{value!r} is not a number"


def _load_population(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: Sequence[str],
    report: LoadReport,
    period: str,
    icb: str,
    sex: str,
) -> None:
    col = match_columns(path, header, {"practice_code": ("GP code",), **{a: (a,) for a in AGES}})
    extra = [h for h in unique_names(header) if h not in col.values()]
    if extra:
        report.warn(f"columns not read (not a single year of age 0 to 95): {', '.join(extra)}")
    _read(con, path, header, report)
    code = _check_practices(con, report, col["practice_code"])
    _stage(
        con,
        report,
        POPULATION_STAGE,
        [str(path), period, icb, sex],
        [code],
        [col[a] for a in AGES],
        _patients_reason,
    )


@dataclass(frozen=True)
class BatchFile:
    """A file loaded in a batch, with the values its staged rows carry (period, ICB, ...)."""

    path: Path
    report: LoadReport
    values: tuple[str, ...]


@dataclass(frozen=True)
class BatchKind:
    """How a kind of file is staged in a batch: its stage, per-file values and row columns."""

    stage: str
    file_columns: tuple[str, ...]
    expressions: tuple[str, ...]
    cell_from: int
    reason: Callable[[str], str]


POPULATION_HEADER = ["GP code", *AGES]
ID_HEADER = [names[0] for names in ID_COLUMNS.values()]
_CODE = "upper(nullif(trim(\"GP code\"), ''))"
POPULATION_BATCH = BatchKind(
    POPULATION_STAGE,
    ("period", "icb", "sex"),
    (_CODE,),
    1,
    _patients_reason,
)
INDICATOR_BATCH = BatchKind(
    INDICATOR_STAGE,
    ("period", "icb"),
    (_CODE, "nullif(trim(\"GP name\"), '')", "nullif(trim(\"ICB name\"), '')"),
    len(ID_HEADER),
    _value_reason,
)


def _stage_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Sequence[BatchFile],
    header: Sequence[str],
    kind: BatchKind,
) -> bool:
    """Read, check and stage files of one header together, as :func:`_stage` does one file.

    Returns False, having loaded nothing, when DuckDB cannot read them as one: the caller then
    loads each file alone, so that the faulty one is named with its row.
    """
    if any(cut_last_row(f.path, len(header)) for f in batch):
        return False  # one file alone rejects its cut last row
    columns = dict.fromkeys(unique_names(header), "VARCHAR")
    try:
        # Rows come out in file order and, within a file, in row order (DuckDB keeps insertion
        # order), so a file's row number is its rows' rank from the file's first.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {RAW} AS "
            "SELECT _path, _g - min(_g) OVER (PARTITION BY _path) + 2 AS _row, * EXCLUDE (_g, "
            "_path), false AS _rejected FROM (SELECT row_number() OVER () AS _g, filename AS "
            f"_path, * EXCLUDE (filename) FROM read_csv(?, {CSV_OPTIONS}, columns = ?, "
            "filename = true))",
            [[str(f.path) for f in batch], columns],
        )
    except duckdb.Error:
        return False
    reports = {str(f.path): f.report for f in batch}
    counts = dict(con.execute(f"SELECT _path, count(*) FROM {RAW} GROUP BY _path").fetchall())
    for path, report in reports.items():
        report.rows_read = int(counts.get(path, 0))
    found = con.execute(
        f"SELECT _path, _row, code, first FROM (SELECT _path, _row, {_CODE} AS code, "
        f"min(_row) OVER (PARTITION BY _path, {_CODE}) AS first FROM {RAW}) "
        "WHERE code IS NULL OR _row > first ORDER BY _path, _row"
    ).fetchall()
    for path, row, practice, first in found:
        reports[path].reject(
            int(row),
            "GP code",
            "no practice code"
            if practice is None
            else f"practice {practice} appears again (first on row {first})",
        )
    if found:
        con.execute(
            f"UPDATE {RAW} SET _rejected = true WHERE _path || ':' || _row IN (SELECT unnest(?))",
            [[f"{f[0]}:{f[1]}" for f in found]],
        )
    values = ", ".join(f"unnest(${i + 2}) AS {name}" for i, name in enumerate(kind.file_columns))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE efit_batch_files AS SELECT unnest($1) AS path, {values}",
        [
            [str(f.path) for f in batch],
            *([f.values[i] for f in batch] for i in range(len(kind.file_columns))),
        ],
    )
    cell_columns = list(columns)[kind.cell_from :]
    listed = ", ".join(quote_ident(c) for c in cell_columns)
    file_values = ", ".join(f"f.{name}" for name in kind.file_columns)
    con.execute(
        f"INSERT INTO {kind.stage} SELECT r._path, {file_values}, r._row, "
        f"{', '.join(kind.expressions)}, r.cells, "
        "NOT regexp_full_match(coalesce(array_to_string(r.cells, '|'), ''), ?) "
        f"FROM (SELECT *, [{listed}] AS cells FROM {RAW} WHERE NOT _rejected) r "
        "JOIN efit_batch_files f ON f.path = r._path",
        [WHOLE_ROW],
    )
    con.execute("DROP TABLE efit_batch_files")
    suspect = con.execute(
        f"""
        SELECT _path, _row, name, value FROM (
            SELECT _path, _row, i, name, nullif(trim(raw), '') AS value FROM (
                SELECT _path, _row, unnest(range({len(cell_columns)})) AS i,
                    unnest($names) AS name, unnest([{listed}]) AS raw
                FROM {RAW} WHERE NOT _rejected AND _path || ':' || _row IN (
                    SELECT path || ':' || _row FROM {kind.stage} WHERE suspect)))
        WHERE value IS NOT NULL AND (NOT regexp_full_match(value, '{NUMBER_REGEX}')
                                     OR TRY_CAST(value AS DOUBLE) < 0)
        ORDER BY _path, _row, i
        """,
        {"names": cell_columns},
    ).fetchall()
    for path, row, column, value in suspect:
        reports[path].reject(int(row), column, kind.reason(value))
    if suspect:
        con.execute(
            f"DELETE FROM {kind.stage} WHERE path || ':' || _row IN (SELECT unnest(?))",
            [[f"{r[0]}:{r[1]}" for r in suspect]],
        )
    for report in reports.values():
        report.rows_loaded = report.rows_read - len({x.row for x in report.rejections})
    con.execute(f"DROP TABLE {RAW}")
    return True


def _indicator_ids(path: Path, names: Sequence[str]) -> dict[str, str]:
    """Each indicator column's stable id -> its header; two columns with one id are an error."""
    ids: dict[str, str] = {}
    for name in names:
        slug = indicator_id(name)
        if slug in ids:
            raise InputFileError(
                path, f"columns '{ids[slug]}' and '{name}' have the same indicator id {slug}"
            )
        ids[slug] = name
    return ids


def _load_indicators(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: Sequence[str],
    report: LoadReport,
    period: str,
    icb: str,
) -> None:
    col = match_columns(path, header, ID_COLUMNS)
    names = [h for h in unique_names(header) if h not in col.values()]
    if not names:
        raise InputFileError(path, "no indicator columns after 'ICB name, GP code, GP name'")
    ids = _indicator_ids(path, names)
    other = con.execute(
        f"SELECT any_value(path) FROM {INDICATOR_FILES} WHERE period = ? AND icb_code = ?",
        [period, icb],
    ).fetchall()[0][0]
    if other:
        raise InputFileError(
            path,
            f"another indicator file of ICB {icb} for {period} is loaded too ({other}): keep "
            "only the latest version",
        )
    _read(con, path, header, report)
    code = _check_practices(con, report, col["practice_code"])
    _stage(
        con,
        report,
        INDICATOR_STAGE,
        [str(path), period, icb],
        [
            code,
            f"nullif(trim({quote_ident(col['practice_name'])}), '')",
            f"nullif(trim({quote_ident(col['icb_name'])}), '')",
        ],
        names,
        _value_reason,
    )
    con.execute(
        f"INSERT INTO {INDICATOR_FILES} VALUES (?, ?, ?, ?, ?)",
        [str(path), period, icb, list(ids), names],
    )


def _insert_staged(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Insert every file's staged rows: one per practice and age, or practice and indicator."""
    # The tool's files never write 0: an age with no patients is left blank (13,786 blank
    # cells and not one 0 in the 74 files of 2026-27), so a blank is read as 0.
    con.execute(
        f"""
        INSERT INTO registered_population
        SELECT '{NAME}', period, practice_code, sex, age,
            CASE WHEN age = {OLDEST} THEN NULL ELSE age END,
            coalesce(CAST(nullif(trim(n), '') AS DOUBLE), 0)
        FROM (SELECT period, practice_code, sex, unnest(range({len(AGES)})) AS age,
                     unnest(cells) AS n FROM {POPULATION_STAGE})
        """
    )
    # A missing value stays a row with no value: the practice is in the file, its value is not.
    con.execute(
        f"""
        INSERT INTO practice_indicators (source, indicator_id, indicator_name, period,
                                         practice_code, value)
        SELECT '{NAME}', id, name, period, practice_code, CAST(nullif(trim(v), '') AS DOUBLE)
        FROM (SELECT s.period, s.practice_code, unnest(f.ids) AS id, unnest(f.names) AS name,
                     unnest(s.cells) AS v
              FROM {INDICATOR_STAGE} s JOIN {INDICATOR_FILES} f USING (path))
        """
    )
    con.execute(
        f"""
        INSERT INTO efit_practices
        SELECT 'population', sex, period, icb_code, practice_code, NULL, NULL, path
        FROM {POPULATION_STAGE}
        UNION ALL
        SELECT 'indicators', NULL, period, icb_code, practice_code, practice_name, icb_label,
            path
        FROM {INDICATOR_STAGE}
        """
    )
    cells, files = con.execute(
        "SELECT sum(blank), count(DISTINCT path) FILTER (WHERE blank > 0) FROM ("
        "SELECT path, len(list_filter(cells, lambda c: coalesce(trim(c), '') = '')) AS blank "
        f"FROM {POPULATION_STAGE})"
    ).fetchall()[0]
    con.execute(f"DROP TABLE {POPULATION_STAGE}; DROP TABLE {INDICATOR_STAGE}")
    con.execute(f"DROP TABLE {INDICATOR_FILES}")
    if not cells:
        return []
    return [
        f"eFIT population: {cells:,} blank cells in {files:,} files read as 0 patients (the "
        "tool's files leave an age with no patients blank)"
    ]


def label_icb_name(column: str) -> str:
    """SQL: an indicator file's ``ICB name`` without its sub-ICB suffix, spaces folded.

    The label names the practice's ICB of 2022, not the file's: "Devon ICB - 15N " -> "Devon
    ICB"; "Frimley ICB - (old D4U1Y  - now U2G6B)" -> "Frimley ICB".
    """
    return f"trim(regexp_replace(regexp_replace({column}, '\\s+-\\s.*$', ''), '\\s+', ' ', 'g'))"


def label_sub_icb(column: str) -> str:
    """SQL: the sub-ICB location code at the end of an indicator file's ``ICB name``.

    "Devon ICB - 15N " -> "15N"; "Frimley ICB - (old D4U1Y  - now U2G6B)" -> "U2G6B" (the code
    the location has now); NULL when the label ends with no code.
    """
    return (
        f"nullif(upper(regexp_extract({column}, '\\s-\\s.*?([A-Za-z0-9]{{3,5}})[\\s)]*$', 1)), '')"
    )


def _add_icbs(con: duckdb.DuckDBPyConnection) -> None:
    """Add the eFIT files' ICB codes that no official list has named (the 2026 ICBs).

    An indicator file's ``ICB name`` column names each practice's ICB of 2022, not the file's:
    when every practice carries the same name, the ICB is that one under a new code and keeps
    its name; when they carry several (D7T5G's are "Mid and South Essex ICB", "Hertfordshire
    and West Essex ICB" and "Suffolk and North East Essex ICB") the ICB is a merger, and the
    code stands for the name: a predecessor's name would name it wrongly. The ONS list of
    April 2026 names them all, when it is loaded.
    """
    con.execute(
        f"""
        INSERT INTO icbs
        SELECT e.icb_code, coalesce(n.label, e.icb_code), '{NAME}', e.first_period
        FROM (SELECT icb_code, max(period) AS first_period FROM efit_practices
              GROUP BY icb_code) e
        LEFT JOIN (
            SELECT icb_code, any_value(label) AS label FROM (
                SELECT DISTINCT icb_code, {label_icb_name("icb_label")} AS label
                FROM efit_practices WHERE icb_label IS NOT NULL)
            GROUP BY icb_code HAVING count(*) = 1
        ) n USING (icb_code)
        WHERE e.icb_code NOT IN (SELECT icb_code FROM icbs)
        ORDER BY e.icb_code
        """
    )


def _have(n: int) -> str:
    return "1 practice has" if n == 1 else f"{n:,} practices have"


def _listed(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:SHOWN])
    return shown + (f" and {len(codes) - SHOWN:,} more" if len(codes) > SHOWN else "")


def _membership_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Practices one eFIT file lists and its companion does not, and other inconsistencies."""
    warnings: list[str] = []
    rows = con.execute(
        """
        WITH files AS (
            SELECT icb_code, kind || coalesce(' ' || sex, '') AS part, list(DISTINCT period) AS p
            FROM efit_practices GROUP BY ALL
        )
        SELECT icb_code, list(part ORDER BY part) FROM files GROUP BY icb_code
        HAVING count(*) < 3 ORDER BY icb_code
        """
    ).fetchall()
    for icb, parts in rows:
        missing = [
            p for p in ("indicators", "population female", "population male") if p not in parts
        ]
        warnings.append(f"eFIT {icb}: no {' and no '.join(missing)} file")
    # Within an ICB, each file against the others.
    # Population against indicators is compared by the organisation model, ICB by current ICB
    # (gpequity.warehouse.organisations): QXU's population rows are S9B9J's practices.
    pairs = (
        ("population female", "population male", "female population", "male population row"),
        ("population male", "population female", "male population", "female population row"),
    )
    for part, other, label, lacking in pairs:
        found = con.execute(
            """
            WITH e AS (SELECT icb_code, practice_code,
                              kind || coalesce(' ' || sex, '') AS part, kind FROM efit_practices)
            SELECT a.icb_code, list(DISTINCT a.practice_code ORDER BY a.practice_code)
            FROM e a
            WHERE (a.part = $1 OR a.kind = $1)
              AND EXISTS (SELECT 1 FROM e b WHERE b.icb_code = a.icb_code
                          AND (b.part = $2 OR b.kind = $2))
              AND NOT EXISTS (SELECT 1 FROM e b WHERE b.icb_code = a.icb_code
                              AND b.practice_code = a.practice_code
                              AND (b.part = $2 OR b.kind = $2))
            GROUP BY a.icb_code ORDER BY a.icb_code
            """,
            [part, other],
        ).fetchall()
        for icb, codes in found:
            warnings.append(
                f"eFIT {label} {icb}: {_have(len(codes))} no {lacking}: {_listed(codes)}"
            )
    # A practice in the files of two ICBs for the same period.
    for kind, period, icbs, codes in con.execute(
        """
        SELECT kind, period, icbs, list(practice_code ORDER BY practice_code) FROM (
            SELECT kind, period, practice_code, list(DISTINCT icb_code ORDER BY icb_code) AS icbs
            FROM efit_practices GROUP BY ALL HAVING count(DISTINCT icb_code) > 1)
        GROUP BY ALL ORDER BY kind, period, icbs
        """
    ).fetchall():
        warnings.append(
            f"eFIT {kind} {period}: practices in the files of more than one ICB "
            f"({', '.join(icbs)}): {len(codes):,}: {_listed(codes)}"
        )
    return warnings


DATASET = EfitDataset()
