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
from pathlib import Path

import duckdb

from gpequity.errors import InputFileError
from gpequity.sources import fingertips, registered
from gpequity.sources.base import (
    NUMBER_REGEX,
    LoadReport,
    has_columns,
    match_columns,
    quote_ident,
    read_csv_text,
    read_header,
    reject_repeats,
    reject_where,
    unique_names,
)

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
#: A whole row of cells joined by commas (blanks dropped), each a number of at least 0.
_CELL = r"\s*(\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*)?"
WHOLE_ROW = rf"^{_CELL}(,{_CELL})*$"

SCHEMA = (
    fingertips.PRACTICE_INDICATORS_DDL
    + registered.REGISTERED_POPULATION_DDL
    + """
CREATE TABLE IF NOT EXISTS practice_icb (
    practice_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    icb_code VARCHAR NOT NULL,
    icb_name VARCHAR,
    source VARCHAR NOT NULL
);
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
)

RAW = "raw_efit"
#: Temporary (connection-only) table of the population files' valid rows, until derive().
STAGE = "efit_population_stage"


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

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        warnings = _insert_population(con)
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
    report.rows_read = read_csv_text(con, path, RAW, header)
    con.execute(f"ALTER TABLE {RAW} ADD COLUMN _rejected BOOLEAN DEFAULT false")


def _check_practices(con: duckdb.DuckDBPyConnection, report: LoadReport, code_column: str) -> str:
    """Reject rows without a practice code or repeating one; return the code's SQL."""
    code = f"upper(nullif(trim({quote_ident(code_column)}), ''))"
    reject_where(con, RAW, report, f"{code} IS NULL", code_column, "no practice code")
    reject_repeats(
        con,
        RAW,
        report,
        code,
        code_column,
        lambda practice, first: f"practice {practice} appears again (first on row {first})",
    )
    return code


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
    columns = [col[a] for a in AGES]
    # Staged as one row per practice; derive() turns every file's rows into single years of
    # age in one insert, three times faster than 74 inserts of one file each.
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (path VARCHAR, period VARCHAR, "
        "icb_code VARCHAR, sex VARCHAR, _row BIGINT, practice_code VARCHAR, counts VARCHAR[], "
        "suspect BOOLEAN)"
    )
    staged = con.execute(
        f"INSERT INTO {STAGE} SELECT ?, ?, ?, ?, _row, {code}, counts, NOT regexp_full_match("
        f"coalesce(array_to_string(counts, ','), ''), ?) FROM (SELECT _row, "
        f"[{', '.join(quote_ident(c) for c in columns)}] AS counts, * FROM {RAW} "
        "WHERE NOT _rejected) RETURNING suspect",
        [str(path), period, icb, sex, WHOLE_ROW],
    ).fetchall()
    suspect = sum(1 for (flag,) in staged if flag)
    rejected = _reject_cells(
        con,
        report,
        suspect,
        _cells(code, columns, AGES),
        {"keys": list(AGES), "names": list(AGES)},
        f"value IS NOT NULL AND (NOT regexp_full_match(value, '{NUMBER_REGEX}') "
        "OR TRY_CAST(value AS DOUBLE) < 0)",
        lambda value: (
            f"negative number of patients {value}"
            if re.fullmatch(NUMBER_REGEX, value)
            else f"number of patients {value!r} is not a number"
        ),
    )
    if rejected:
        con.execute(
            f"DELETE FROM {STAGE} WHERE path = ? AND _row IN (SELECT unnest(?))",
            [str(path), rejected],
        )
    report.rows_loaded = len(staged) - len(rejected)
    con.execute(f"DROP TABLE {RAW}")


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
    ids: dict[str, str] = {}
    for name in names:
        slug = indicator_id(name)
        if slug in ids:
            raise InputFileError(
                path, f"columns '{ids[slug]}' and '{name}' have the same indicator id {slug}"
            )
        ids[slug] = name
    other = con.execute(
        "SELECT any_value(path) FROM efit_practices WHERE kind = 'indicators' AND period = ? "
        "AND icb_code = ? AND path <> ?",
        [period, icb, str(path)],
    ).fetchall()[0][0]
    if other:
        raise InputFileError(
            path,
            f"another indicator file of ICB {icb} for {period} is loaded too ({other}): keep "
            "only the latest version",
        )
    _read(con, path, header, report)
    code = _check_practices(con, report, col["practice_code"])
    cells = _cells(code, names, list(ids))
    params: dict[str, object] = {"keys": list(ids), "names": names}
    suspect = con.execute(
        f"SELECT count(*) FROM {RAW} WHERE NOT _rejected AND NOT regexp_full_match("
        f"coalesce(concat_ws(',', {', '.join(quote_ident(n) for n in names)}), ''), ?)",
        [WHOLE_ROW],
    ).fetchall()[0][0]
    _reject_cells(
        con,
        report,
        suspect,
        cells,
        params,
        f"value IS NOT NULL AND (NOT regexp_full_match(value, '{NUMBER_REGEX}') "
        "OR TRY_CAST(value AS DOUBLE) < 0)",
        lambda value: (
            f"negative value {value}"
            if re.fullmatch(NUMBER_REGEX, value)
            else f"{value!r} is not a number"
        ),
    )
    # A missing value stays a row with no value: the practice is in the file, its value is not.
    con.execute(
        f"""
        INSERT INTO practice_indicators (source, indicator_id, indicator_name, period,
                                         practice_code, value)
        SELECT '{NAME}', key, name, $period, practice_code, CAST(value AS DOUBLE)
        FROM ({cells})
        """,
        {**params, "period": period},
    )
    _record_practices(
        con,
        "indicators",
        None,
        period,
        icb,
        code,
        f"nullif(trim({quote_ident(col['practice_name'])}), '')",
        f"nullif(trim({quote_ident(col['icb_name'])}), '')",
        path,
    )
    report.rows_loaded = _kept(con)
    con.execute(f"DROP TABLE {RAW}")


def _cells(code: str, columns: Sequence[str], keys: Sequence[str]) -> str:
    """SQL: the valid rows of the wide file in long form, one row per practice and column.

    Columns ``_row, practice_code, i, key, name, value`` (the text trimmed, NULL when blank);
    the query takes the parameters ``$keys`` (each column's key) and ``$names`` (its header).
    One list of the plain columns rather than an expression per column: a file of 96 columns
    plans ten times faster.
    """
    if len(keys) != len(columns):
        raise ValueError("one key per column")
    cells = ", ".join(quote_ident(c) for c in columns)
    return f"""
        SELECT _row, practice_code, i, key, name, nullif(trim(raw), '') AS value FROM (
            SELECT _row, {code} AS practice_code, unnest(range({len(columns)})) AS i,
                unnest($keys) AS key, unnest($names) AS name, unnest([{cells}]) AS raw
            FROM {RAW} WHERE NOT _rejected)
    """


def _reject_cells(
    con: duckdb.DuckDBPyConnection,
    report: LoadReport,
    suspect: int,
    cells: str,
    params: dict[str, object],
    bad: str,
    reason: Callable[[str], str],
) -> list[int]:
    """Reject the rows with a cell matching ``bad`` (a condition on ``value`` of ``cells``).

    Every value in these files is a number of at least 0, or blank. The common case, a file
    without a bad cell, is recognised by the caller in one cheap pass over whole rows (joined
    with commas, matched against ``WHOLE_ROW``); only a file with ``suspect`` rows is searched
    cell by cell. Returns the rows rejected.
    """
    if not suspect:
        return []
    found = con.execute(
        f"SELECT _row, name, value FROM ({cells}) WHERE {bad} ORDER BY _row, i", params
    ).fetchall()
    for row, column, value in found:
        report.reject(int(row), column, reason(value))
    rows = sorted({int(r) for r, _, _ in found})
    if rows:
        con.execute(f"UPDATE {RAW} SET _rejected = true WHERE _row IN (SELECT unnest(?))", [rows])
    return rows


def _record_practices(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    sex: str | None,
    period: str,
    icb: str,
    code: str,
    name: str | None,
    label: str | None,
    path: Path,
) -> None:
    con.execute(
        f"INSERT INTO efit_practices SELECT ?, ?, ?, ?, {code}, {name or 'NULL'}, "
        f"{label or 'NULL'}, ? FROM {RAW} WHERE NOT _rejected",
        [kind, sex, period, icb, str(path)],
    )


def _kept(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute(f"SELECT count(*) FROM {RAW} WHERE NOT _rejected").fetchall()[0][0])


#: SQL: an indicator file's ``ICB name`` without its sub-ICB suffix ("Devon ICB - 15N " ->
#: "Devon ICB"; "Frimley ICB - (old D4U1Y  - now U2G6B)" -> "Frimley ICB").
ICB_LABEL = "trim(regexp_replace(regexp_replace(icb_label, '\\s+-\\s.*$', ''), '\\s+', ' ', 'g'))"


def _comparable(name: str) -> str:
    """SQL folding an ICB name so that 'NHS Devon Integrated Care Board' = 'Devon ICB'."""
    return (
        f"trim(regexp_replace(replace(replace(lower({name}), 'integrated care board', 'icb'), "
        "'nhs ', ''), '\\s+', ' ', 'g'))"
    )


def _add_icbs(con: duckdb.DuckDBPyConnection) -> None:
    """Add the eFIT files' ICB codes that the lookup does not have (the 2026 ICBs).

    The name is the one most of the ICB's practices are labelled with in its indicator file,
    else the code itself.
    """
    con.execute(
        f"""
        INSERT INTO icbs
        SELECT e.icb_code, coalesce(n.label, e.icb_code), '{NAME}', e.first_period
        FROM (SELECT icb_code, max(period) AS first_period FROM efit_practices
              GROUP BY icb_code) e
        LEFT JOIN (
            SELECT icb_code, arg_max(label, n) AS label FROM (
                SELECT icb_code, {ICB_LABEL} AS label, count(*) AS n FROM efit_practices
                WHERE icb_label IS NOT NULL GROUP BY ALL)
            GROUP BY icb_code
        ) n USING (icb_code)
        WHERE e.icb_code NOT IN (SELECT icb_code FROM icbs)
        ORDER BY e.icb_code
        """
    )


def _insert_population(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Insert the staged population rows, one per practice and single year of age."""
    if not con.execute(
        f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{STAGE}'"
    ).fetchall()[0][0]:
        return []
    # The tool's files never write 0: an age with no patients is left blank (13,786 blank
    # cells and not one 0 in the 74 files of 2026-27), so a blank is read as 0.
    con.execute(
        f"""
        INSERT INTO registered_population
        SELECT '{NAME}', period, practice_code, sex, age,
            CASE WHEN age = {OLDEST} THEN NULL ELSE age END,
            coalesce(CAST(nullif(trim(n), '') AS DOUBLE), 0)
        FROM (SELECT period, practice_code, sex, unnest(range({len(AGES)})) AS age,
                     unnest(counts) AS n FROM {STAGE})
        """
    )
    con.execute(
        "INSERT INTO efit_practices SELECT 'population', sex, period, icb_code, practice_code, "
        f"NULL, NULL, path FROM {STAGE}"
    )
    cells, files = con.execute(
        "SELECT sum(blank), count(DISTINCT path) FILTER (WHERE blank > 0) FROM ("
        "SELECT path, len(list_filter(counts, lambda c: coalesce(trim(c), '') = '')) AS blank "
        f"FROM {STAGE})"
    ).fetchall()[0]
    con.execute(f"DROP TABLE {STAGE}")
    if not cells:
        return []
    return [
        f"eFIT population: {cells:,} blank cells in {files:,} files read as 0 patients (the "
        "tool's files leave an age with no patients blank)"
    ]


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
    pairs = (
        ("population female", "population male", "female population", "male population row"),
        ("population male", "population female", "male population", "female population row"),
        ("population", "indicators", "population", "indicator row"),
        ("indicators", "population", "indicators", "population row"),
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
    # Indicator files whose ICB name column names another ICB than the file's.
    for icb, name, labels in con.execute(
        f"""
        SELECT e.icb_code, i.icb_name, list({{'label': e.label, 'n': e.n}} ORDER BY e.n DESC)
        FROM (SELECT icb_code, {ICB_LABEL} AS label, count(*) AS n FROM efit_practices
              WHERE icb_label IS NOT NULL GROUP BY ALL) e
        JOIN icbs i USING (icb_code)
        WHERE {_comparable("e.label")} <> {_comparable("i.icb_name")}
        GROUP BY ALL ORDER BY e.icb_code
        """
    ).fetchall():
        named = ", ".join(f"'{x['label']}' ({x['n']:,})" for x in labels)
        warnings.append(
            f"eFIT indicators {icb} ({name}): practices labelled with another ICB's name: {named}"
        )
    return warnings


DATASET = EfitDataset()
