"""The organisation model: ICBs and sub-ICB locations through time, and their practices.

Two ICB geographies are modelled, each a set of organisations with dates:

- **2022**: the 42 ICBs established on 1 July 2022 (to 31 March 2026), named by NHS England's
  CCG / sub-ICB to ICB lookup; their sub-ICB locations and practices are those of the latest
  payments year of that geography (2022/23 in ``../shared/data``).
- **2026**: the 36 ICBs in force from 1 April 2026. Which ICBs, by ONS's "Integrated Care
  Boards (April 2026) Names and Codes in EN" when it is loaded, else by its LSOA lookup, else
  DERIVED: the ICB codes of the eFIT indicator files. Sub-ICB locations by ONS's "LSOA (2021)
  to SICBL to ICB to NHSER to LAD (April 2026) Lookup in EN" when loaded, else by ODS's list of
  Sub ICB Locations (``eccg.csv``: the locations open on 1 April 2026 and their ICB), else
  derived from the eFIT indicator files' ``ICB name`` column ("old ICB name - sub-ICB code").
  Practices by the eFIT population files (the pool an allocation shares money among), a file
  of an ICB that is not current (QXU) resolved through the indicator file of the current ICB
  that lists them.

A predecessor is linked to each successor that holds its practices (a split ICB, Frimley, has
several); an ICB whose code lives on links only to itself. ``organisation_geographies`` records
which source each part came from, for ``gpequity data status``.

The eFIT files' defects are found here, not by code: practices an ICB's indicator file lists
but another ICB's population files hold, eFIT ICB codes that are not current ICBs, and
practices with a population row and no indicator row (or the reverse) in their current ICB.
The files are cross-checked too: each indicator row's "old ICB name" against the practice's
ICB in the payments, and its sub-ICB code against the ONS lookup when that is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from gpequity.sources import efit, icb_names, lookup, lsoa_icb_lookup, ods_sub_icb
from gpequity.tables import has_table

#: When the 42 ICBs were established, and the last day before the 2026 mergers.
GEOGRAPHY_2022 = date(2022, 7, 1)
GEOGRAPHY_2022_END = date(2026, 3, 31)
#: When the 36 ICBs of April 2026 came into force.
GEOGRAPHY_2026 = icb_names.GEOGRAPHIES["26"]
#: The first payments year of the 2022 ICBs; later years before April 2026 count too.
FIRST_ICB_YEAR = lookup.ICB_FIRST_PERIOD
#: The basis of a practice listed by an ICB's indicator file alone (no population row: a
#: practice closed or merged since the indicators were counted).
INDICATOR_ONLY = "indicator file only"
#: Codes named in one warning, at most.
SHOWN = 10

SCHEMA = """
CREATE TABLE organisations (
    kind VARCHAR NOT NULL,          -- 'icb' or 'sub-icb'
    code VARCHAR NOT NULL,          -- ODS code
    ons_code VARCHAR,
    name VARCHAR,                   -- official name; NULL when no official list names it
    short_name VARCHAR,
    icb_code VARCHAR,               -- a sub-ICB location's ICB
    valid_from DATE NOT NULL,
    valid_to DATE,                  -- NULL: in force
    source VARCHAR NOT NULL
);
CREATE TABLE organisation_successors (
    code VARCHAR NOT NULL,
    successor_code VARCHAR NOT NULL,
    changed_on DATE NOT NULL,
    practices BIGINT NOT NULL,      -- practices of the predecessor now in the successor
    source VARCHAR NOT NULL
);
CREATE TABLE practice_memberships (
    practice_code VARCHAR NOT NULL,
    valid_from DATE NOT NULL,       -- the geography's first day
    period VARCHAR NOT NULL,        -- the year of the files that say so
    icb_code VARCHAR NOT NULL,
    sub_icb_code VARCHAR,
    source VARCHAR NOT NULL,
    basis VARCHAR NOT NULL          -- how the files say so
);
CREATE TABLE payment_icbs_today (
    year VARCHAR NOT NULL,          -- a payments year, any
    practice_code VARCHAR NOT NULL,
    icb_code VARCHAR NOT NULL,      -- the ICB in force today the practice-year counts in
    basis VARCHAR NOT NULL          -- 'practice', 'sub-ICB location' or 'ICB successor'
);
CREATE TABLE organisation_geographies (
    valid_from DATE NOT NULL,
    valid_to DATE,
    icbs INTEGER NOT NULL,
    sub_icbs INTEGER NOT NULL,
    practices INTEGER NOT NULL,
    icb_source VARCHAR NOT NULL,
    sub_icb_source VARCHAR,
    practice_source VARCHAR
);
"""

#: How each source is described in ``data status``.
SOURCE_TITLES = {
    lookup.NAME: "NHS England CCG / sub-ICB to ICB lookup",
    "payments": "NHS Payments to General Practice",
    icb_names.NAME: "ONS Integrated Care Boards (April 2026) Names and Codes",
    lsoa_icb_lookup.NAME: "ONS LSOA to SICBL to ICB (April 2026) lookup",
    ods_sub_icb.NAME: "ODS Sub ICB Locations (eccg.csv)",
    efit.NAME: "derived from the eFIT tool's files",
}

#: SQL: the short name of an official ICB name ("NHS Essex Integrated Care Board" -> "Essex
#: ICB"), as the organisations write it themselves.
_SHORT = "regexp_replace(regexp_replace({0}, '^NHS\\s+', ''), '\\s+Integrated Care Board$', ' ICB')"


def short_name_sql(name: str) -> str:
    """SQL turning an official ICB name into its short name."""
    return _SHORT.format(name)


def derive_organisations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Build the organisation model from the loaded files; return the load warnings."""
    if not has_table(con, "organisations"):
        return []
    warnings: list[str] = []
    _derive_2022(con)
    if _derive_2026(con):
        warnings += _link_successors(con)
        warnings += _efit_defects(con)
        _place_payments_today(con)
    _record_geographies(con)
    return warnings


# --- the 42 ICBs of July 2022 ---------------------------------------------------------------


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> object:
    row = con.execute(sql, list(params)).fetchone()
    return row[0] if row else None


def _payments_year(con: duckdb.DuckDBPyConnection) -> str | None:
    """The latest payments year of the 2022 ICBs (2022/23 to 2025/26), if one is loaded."""
    if not has_table(con, "payments"):
        return None
    year = _scalar(
        con,
        "SELECT max(year) FROM payments WHERE year >= ? AND year < ?",
        [FIRST_ICB_YEAR, f"{GEOGRAPHY_2026.year}/{(GEOGRAPHY_2026.year + 1) % 100:02d}"],
    )
    return str(year) if year else None


def _derive_2022(con: duckdb.DuckDBPyConnection) -> None:
    if not _scalar(con, "SELECT count(*) FROM ccg_icb"):
        return
    con.execute(
        f"""
        INSERT INTO organisations
        SELECT 'icb', icb_code, NULL, name, {short_name_sql("name")}, NULL, ?, ?, '{lookup.NAME}'
        FROM (SELECT icb_code, min(regexp_replace(trim(icb_name), '\\s+', ' ', 'g')) AS name
              FROM ccg_icb GROUP BY icb_code)
        ORDER BY icb_code
        """,
        [GEOGRAPHY_2022, GEOGRAPHY_2022_END],
    )
    year = _payments_year(con)
    if year is None:
        return
    con.execute(
        """
        INSERT INTO organisations
        SELECT 'sub-icb', ccg_code, NULL, any_value(ccg_name), NULL, any_value(icb_code), ?, ?,
            'payments'
        FROM payments WHERE year = ? AND ccg_code IS NOT NULL GROUP BY ccg_code ORDER BY ccg_code
        """,
        [GEOGRAPHY_2022, GEOGRAPHY_2022_END, year],
    )
    con.execute(
        """
        INSERT INTO practice_memberships
        SELECT practice_code, ?, year, icb_code, ccg_code, 'payments', 'payments file'
        FROM payments WHERE year = ? ORDER BY practice_code
        """,
        [GEOGRAPHY_2022, year],
    )


# --- the 36 ICBs of April 2026 --------------------------------------------------------------


def _derive_2026(con: duckdb.DuckDBPyConnection) -> bool:
    """The 2026 ICBs, sub-ICB locations and practices; False when no source gives them."""
    named = _scalar(
        con, "SELECT count(*) FROM icb_official_names WHERE valid_from = ?", [GEOGRAPHY_2026]
    )
    in_lookup = _scalar(
        con, "SELECT count(*) FROM lsoa_icb_lookup WHERE valid_from = ?", [GEOGRAPHY_2026]
    )
    indicator_period = _scalar(
        con, "SELECT max(period) FROM efit_practices WHERE kind = 'indicators'"
    )
    start: dict[str, object] = {"start": GEOGRAPHY_2026}
    if named:
        current = (
            "SELECT ods_code AS code, ons_code, name FROM icb_official_names "
            "WHERE valid_from = $start"
        )
        source, params = icb_names.NAME, start
    elif in_lookup:
        current = (
            "SELECT icb_code AS code, any_value(icb_ons) AS ons_code, any_value(icb_name) AS name "
            "FROM lsoa_icb_lookup WHERE valid_from = $start GROUP BY icb_code"
        )
        source, params = lsoa_icb_lookup.NAME, start
    elif indicator_period:
        # Derived: the ICBs the eFIT tool has an indicator file for. An ICB keeping its code
        # keeps its name; a new one has none until the ONS list is loaded (never its
        # predecessor's).
        current = (
            "SELECT DISTINCT e.icb_code AS code, NULL AS ons_code, o.name FROM efit_practices e "
            "LEFT JOIN organisations o ON o.kind = 'icb' AND o.code = e.icb_code "
            "AND o.valid_from = $old WHERE e.kind = 'indicators' AND e.period = $period"
        )
        source = efit.NAME
        params = start | {"old": GEOGRAPHY_2022, "period": indicator_period}
    else:
        return False
    con.execute(
        f"""
        INSERT INTO organisations
        SELECT 'icb', code, ons_code, name, {short_name_sql("name")}, NULL, $start, NULL,
            '{source}'
        FROM ({current}) ORDER BY code
        """,
        params,
    )
    _derive_2026_practices(con)
    if in_lookup:
        con.execute(
            f"""
            INSERT INTO organisations
            SELECT 'sub-icb', sub_icb_code, any_value(sub_icb_ons), any_value(sub_icb_name), NULL,
                any_value(icb_code), valid_from, NULL, '{lsoa_icb_lookup.NAME}'
            FROM lsoa_icb_lookup WHERE valid_from = ? GROUP BY sub_icb_code, valid_from
            ORDER BY sub_icb_code
            """,
            [GEOGRAPHY_2026],
        )
    elif _ods_sub_icbs(con):
        # ODS's list: the sub-ICB locations open on the day, in an ICB of the day. ODS names
        # a location after its ICB and its own code ("NHS ESSEX ICB - 07H"); the rows of its
        # file named otherwise (commissioning hubs, reporting entities) are not locations.
        con.execute(
            f"""
            INSERT INTO organisations
            SELECT 'sub-icb', code, NULL, name, NULL, icb_code, $start, NULL,
                '{ods_sub_icb.NAME}'
            FROM ({_ODS_OPEN}) ORDER BY code
            """,
            {"start": GEOGRAPHY_2026},
        )
    else:
        # Derived: each sub-ICB code the indicator files label a current ICB's own practices
        # with. Frimley's D4U1Y is labelled in two ICBs: it has a row in each.
        con.execute(
            f"""
            INSERT INTO organisations
            SELECT DISTINCT 'sub-icb', sub_icb_code, NULL, NULL, NULL, icb_code, valid_from,
                NULL, '{efit.NAME}'
            FROM practice_memberships WHERE valid_from = ? AND sub_icb_code IS NOT NULL
            ORDER BY sub_icb_code, icb_code
            """,
            [GEOGRAPHY_2026],
        )
    return True


#: ODS's sub-ICB locations open on ``$start`` in an ICB in force that day.
_ODS_OPEN = r"""
    SELECT code, name, icb_code FROM ods_sub_icbs
    WHERE open_date <= $start AND (close_date IS NULL OR close_date > $start)
        AND regexp_full_match(name, '.*-\s*' || code)
        AND icb_code IN (SELECT code FROM organisations WHERE kind = 'icb' AND valid_from = $start)
"""


def _ods_sub_icbs(con: duckdb.DuckDBPyConnection) -> int:
    """How many sub-ICB locations ODS's list has open on 1 April 2026 (0 when not loaded)."""
    if not has_table(con, "ods_sub_icbs"):
        return 0
    row = con.execute(f"SELECT count(*) FROM ({_ODS_OPEN})", {"start": GEOGRAPHY_2026}).fetchone()
    return int(row[0]) if row else 0


def _derive_2026_practices(con: duckdb.DuckDBPyConnection) -> None:
    """Each practice of the eFIT files in the current ICB whose files hold it.

    A practice belongs to the ICB of its population files; when that code is not a current ICB
    (QXU), to the one current ICB whose indicator file lists it. A practice with no population
    row belongs to the one current ICB whose indicator file lists it. Its sub-ICB location is
    the one its row in that ICB's indicator file is labelled with.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE org_efit AS
        SELECT kind, period, icb_code, practice_code, any_value(icb_label) AS label,
            icb_code IN (SELECT code FROM organisations WHERE kind = 'icb'
                         AND valid_from = $start) AS current
        FROM efit_practices
        WHERE period = (SELECT max(period) FROM efit_practices p WHERE p.kind = efit_practices.kind)
        GROUP BY ALL
        """,
        {"start": GEOGRAPHY_2026},
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE org_listed AS
        SELECT practice_code, list(DISTINCT icb_code) AS icbs FROM org_efit
        WHERE kind = 'indicators' AND current GROUP BY practice_code
        """
    )
    con.execute(
        f"""
        INSERT INTO practice_memberships
        SELECT m.practice_code, $start, m.period, m.icb_code,
            {efit.label_sub_icb("i.label")}, '{efit.NAME}', m.basis
        FROM (
            SELECT p.practice_code, p.period,
                CASE WHEN p.current THEN p.icb_code ELSE l.icbs[1] END AS icb_code,
                CASE WHEN p.current THEN 'population file'
                     ELSE 'population file of ' || p.icb_code || ', indicator file' END AS basis
            FROM (SELECT DISTINCT practice_code, period, icb_code, current FROM org_efit
                  WHERE kind = 'population') p
            LEFT JOIN org_listed l USING (practice_code)
            WHERE p.current OR len(l.icbs) = 1
            UNION ALL
            SELECT l.practice_code, i.period, l.icbs[1], '{INDICATOR_ONLY}'
            FROM org_listed l JOIN org_efit i ON i.kind = 'indicators'
                AND i.practice_code = l.practice_code AND i.icb_code = l.icbs[1]
            WHERE len(l.icbs) = 1 AND l.practice_code NOT IN (
                SELECT practice_code FROM org_efit WHERE kind = 'population')
        ) m
        LEFT JOIN org_efit i ON i.kind = 'indicators' AND i.icb_code = m.icb_code
            AND i.practice_code = m.practice_code
        ORDER BY m.icb_code, m.practice_code
        """,
        {"start": GEOGRAPHY_2026},
    )


def _link_successors(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Link each 2022 ICB to the 2026 ICBs holding its practices of the 2022 geography."""
    con.execute(
        """
        INSERT INTO organisation_successors
        SELECT o.icb_code, n.icb_code, $new, count(*), 'payments and ' || any_value(n.source)
        FROM practice_memberships o JOIN practice_memberships n USING (practice_code)
        WHERE o.valid_from = $old AND n.valid_from = $new
          -- An ICB whose code lives on is its own successor only.
          AND (o.icb_code = n.icb_code OR o.icb_code NOT IN (
              SELECT code FROM organisations WHERE kind = 'icb' AND valid_from = $new))
        GROUP BY o.icb_code, n.icb_code ORDER BY o.icb_code, n.icb_code
        """,
        {"old": GEOGRAPHY_2022, "new": GEOGRAPHY_2026},
    )
    # A 2022 ICB whose code lives on but whose practices are not in the files still continues.
    con.execute(
        """
        INSERT INTO organisation_successors
        SELECT o.code, o.code, $new, 0, 'same code'
        FROM organisations o JOIN organisations n ON n.code = o.code AND n.kind = 'icb'
            AND n.valid_from = $new
        WHERE o.kind = 'icb' AND o.valid_from = $old
          AND o.code NOT IN (SELECT code FROM organisation_successors)
        """,
        {"old": GEOGRAPHY_2022, "new": GEOGRAPHY_2026},
    )
    lost = [
        code
        for (code,) in con.execute(
            "SELECT code FROM organisations WHERE kind = 'icb' AND valid_from = ? "
            "AND code NOT IN (SELECT code FROM organisation_successors) ORDER BY code",
            [GEOGRAPHY_2022],
        ).fetchall()
    ]
    if not lost or not _scalar(
        con, "SELECT count(*) FROM practice_memberships WHERE valid_from = ?", [GEOGRAPHY_2022]
    ):
        return []
    return [
        f"ICBs of 2022 with no successor in April 2026 (none of their practices of "
        f"{_payments_year(con)} is in the eFIT files): {_listed(lost)}"
    ]


# --- past payments years by today's ICBs --------------------------------------------------

#: How a past practice-year is placed in an ICB of today, in order of preference.
BY_PRACTICE, BY_SUB_ICB, BY_SUCCESSOR = "practice", "sub-ICB location", "ICB successor"


def _place_payments_today(con: duckdb.DuckDBPyConnection) -> None:
    """Place every practice-year of the payments files in an ICB in force today.

    A practice still open is in its ICB of today. A closed one is in the ICB of today holding
    most of the open practices of its CCG / sub-ICB location of that year (so a split ICB's
    closed practices follow their sub-ICB location); failing that, in the successor of its ICB
    of that year holding most of that ICB's practices. A practice-year none of these places is
    not in the table (its ICB is then the one of its year).
    """
    if not has_table(con, "payments"):
        return
    con.execute(
        f"""
        INSERT INTO payment_icbs_today
        WITH today AS (
            SELECT m.practice_code, any_value(m.icb_code) AS icb_code
            FROM practice_memberships m JOIN organisations o ON o.kind = 'icb'
                AND o.code = m.icb_code AND o.valid_from = m.valid_from AND o.valid_to IS NULL
            GROUP BY m.practice_code
        ),
        by_sub_icb AS (
            SELECT year, ccg_code, arg_max(icb_code, n) AS icb_code FROM (
                SELECT p.year, p.ccg_code, t.icb_code, count(*) AS n FROM payments p
                JOIN today t USING (practice_code) WHERE p.ccg_code IS NOT NULL GROUP BY ALL)
            GROUP BY ALL
        ),
        by_successor AS (
            SELECT code, arg_max(successor_code, practices) AS icb_code
            FROM organisation_successors GROUP BY code
        )
        SELECT p.year, p.practice_code,
            coalesce(t.icb_code, c.icb_code, s.icb_code),
            CASE WHEN t.icb_code IS NOT NULL THEN '{BY_PRACTICE}'
                 WHEN c.icb_code IS NOT NULL THEN '{BY_SUB_ICB}'
                 ELSE '{BY_SUCCESSOR}' END
        FROM payments p
        LEFT JOIN today t USING (practice_code)
        LEFT JOIN by_sub_icb c ON c.year = p.year AND c.ccg_code = p.ccg_code
        LEFT JOIN by_successor s ON s.code = p.icb_code
        WHERE coalesce(t.icb_code, c.icb_code, s.icb_code) IS NOT NULL
        ORDER BY p.year, p.practice_code
        """
    )


# --- the eFIT files' defects ----------------------------------------------------------------


def _listed(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:SHOWN])
    return shown + (f" and {len(codes) - SHOWN:,} more" if len(codes) > SHOWN else "")


def _practices(n: int) -> str:
    return "1 practice" if n == 1 else f"{n:,} practices"


def _have(n: int) -> str:
    return "1 practice has" if n == 1 else f"{n:,} practices have"


def _named(code: str, name: str | None) -> str:
    return f"{code} ({name})" if name else code


def _efit_defects(con: duckdb.DuckDBPyConnection) -> list[str]:
    warnings: list[str] = []
    names = """(SELECT code, arg_max(short_name, valid_from) AS short_name FROM organisations
                WHERE kind = 'icb' GROUP BY code)"""
    # Practices an indicator file lists that belong to another current ICB.
    for icb, name, sub_icb, label, owner, owner_name, n in con.execute(
        f"""
        SELECT e.icb_code, a.short_name, {efit.label_sub_icb("e.label")},
            {efit.label_icb_name("e.label")}, m.icb_code, b.short_name, count(*)
        FROM org_efit e
        JOIN practice_memberships m ON m.practice_code = e.practice_code AND m.valid_from = ?
        LEFT JOIN {names} a ON a.code = e.icb_code
        LEFT JOIN {names} b ON b.code = m.icb_code
        WHERE e.kind = 'indicators' AND e.current AND m.icb_code <> e.icb_code
        GROUP BY ALL ORDER BY ALL
        """,
        [GEOGRAPHY_2026],
    ).fetchall():
        warnings.append(
            f"eFIT indicators {_named(icb, name)}: the file lists {_practices(n)} of sub-ICB "
            f"{sub_icb} ({label}) whose population rows are in the files of "
            f"{_named(owner, owner_name)}: counted in {owner}, not in {icb}"
        )
    # eFIT ICB codes that are not current ICBs.
    for code, files, name, counted in con.execute(
        f"""
        SELECT e.icb_code, list(DISTINCT e.kind ORDER BY e.kind), o.short_name,
            (SELECT list(icb_code || ' (' || n || ')' ORDER BY icb_code) FROM (
                SELECT m.icb_code, count(*) AS n FROM practice_memberships m
                WHERE m.valid_from = $new AND m.practice_code IN (
                    SELECT practice_code FROM org_efit x WHERE x.icb_code = e.icb_code)
                GROUP BY m.icb_code))
        FROM org_efit e LEFT JOIN {names} o ON o.code = e.icb_code
        WHERE NOT e.current GROUP BY e.icb_code, o.short_name ORDER BY e.icb_code
        """,
        {"new": GEOGRAPHY_2026},
    ).fetchall():
        successors = [
            s
            for (s,) in con.execute(
                "SELECT successor_code FROM organisation_successors WHERE code = ? ORDER BY 1",
                [code],
            ).fetchall()
        ]
        past = f"; it was one until {GEOGRAPHY_2022_END:%-d %B %Y}" if name else ""
        part = f" and is now part of {' and '.join(successors)}" if successors and name else ""
        where = f"; its practices are counted in {', '.join(counted)}" if counted else ""
        warnings.append(
            f"eFIT {' and '.join(files)} files of {_named(code, name)}: {code} is not an ICB "
            f"from {GEOGRAPHY_2026:%-d %B %Y}{past}{part}{where}"
        )
    # Members with a population row and no indicator row in their ICB's file, and the reverse.
    for icb, name, codes, sub_icbs in con.execute(
        f"""
        SELECT m.icb_code, o.short_name, list(m.practice_code ORDER BY m.practice_code),
            (SELECT list(s || ' ' || n ORDER BY n DESC, s) FROM (
                SELECT coalesce(p.sub_icb_code, 'unknown') AS s, count(*) AS n
                FROM practice_memberships p WHERE p.valid_from = $old
                AND p.practice_code IN (SELECT unnest(list(m.practice_code))) GROUP BY s))
        FROM practice_memberships m LEFT JOIN {names} o ON o.code = m.icb_code
        WHERE m.valid_from = $new AND m.basis LIKE 'population%' AND NOT EXISTS (
            SELECT 1 FROM org_efit e WHERE e.kind = 'indicators' AND e.icb_code = m.icb_code
            AND e.practice_code = m.practice_code)
        GROUP BY ALL ORDER BY m.icb_code
        """,
        {"old": GEOGRAPHY_2022, "new": GEOGRAPHY_2026},
    ).fetchall():
        where = f" (sub-ICBs in {_payments_year(con)}: {', '.join(sub_icbs)})" if sub_icbs else ""
        warnings.append(
            f"eFIT {_named(icb, name)}: {_have(len(codes))} population rows and no indicator "
            f"row{where}: {_listed(codes)}"
        )
    for icb, name, codes in con.execute(
        f"""
        SELECT m.icb_code, o.short_name, list(m.practice_code ORDER BY m.practice_code)
        FROM practice_memberships m LEFT JOIN {names} o ON o.code = m.icb_code
        WHERE m.valid_from = ? AND m.basis = '{INDICATOR_ONLY}'
        GROUP BY ALL ORDER BY m.icb_code
        """,
        [GEOGRAPHY_2026],
    ).fetchall():
        warnings.append(
            f"eFIT {_named(icb, name)}: {_have(len(codes))} an indicator row and no population "
            f"row: {_listed(codes)}"
        )
    # The labels name each practice's ICB of 2022: cross-checked against the payments.
    for icb, label, old, old_name, codes in con.execute(
        f"""
        SELECT e.icb_code, {efit.label_icb_name("e.label")} AS old_label, m.icb_code,
            o.short_name,
            list(e.practice_code ORDER BY e.practice_code)
        FROM org_efit e
        JOIN practice_memberships m ON m.practice_code = e.practice_code AND m.valid_from = ?
        JOIN organisations o ON o.kind = 'icb' AND o.code = m.icb_code
            AND o.valid_from = m.valid_from
        WHERE e.kind = 'indicators' AND lower(old_label) <> lower(o.short_name)
        GROUP BY ALL ORDER BY ALL
        """,
        [GEOGRAPHY_2022],
    ).fetchall():
        warnings.append(
            f"eFIT indicators {icb}: {_practices(len(codes))} labelled '{label}' "
            f"{'was' if len(codes) == 1 else 'were'} in "
            f"{_named(old, old_name)} in {_payments_year(con)}: {_listed(codes)}"
        )
    # The official sub-ICB map (ONS's lookup or ODS's list), when loaded, against the ICBs the
    # eFIT files put practices in.
    for icb, sub_icb, official, source, codes in con.execute(
        """
        SELECT m.icb_code, m.sub_icb_code, s.icb_code, s.source,
            list(m.practice_code ORDER BY m.practice_code)
        FROM practice_memberships m
        JOIN organisations s ON s.kind = 'sub-icb' AND s.code = m.sub_icb_code
            AND s.valid_from = m.valid_from AND s.source IN (?, ?)
        WHERE m.valid_from = ? AND s.icb_code <> m.icb_code
        GROUP BY ALL ORDER BY ALL
        """,
        [lsoa_icb_lookup.NAME, ods_sub_icb.NAME, GEOGRAPHY_2026],
    ).fetchall():
        warnings.append(
            f"eFIT {icb}: {_practices(len(codes))} labelled with sub-ICB {sub_icb}, which the "
            f"{SOURCE_TITLES[source]} places in {official}: {_listed(codes)}"
        )
    unplaced = [
        code
        for (code,) in con.execute(
            "SELECT DISTINCT practice_code FROM org_efit WHERE practice_code NOT IN ("
            "SELECT practice_code FROM practice_memberships WHERE valid_from = ?) ORDER BY 1",
            [GEOGRAPHY_2026],
        ).fetchall()
    ]
    if unplaced:
        warnings.append(
            f"eFIT: {_practices(len(unplaced))} in no current ICB (their files' ICB is not "
            f"current and no single current ICB's indicator file lists them): {_listed(unplaced)}"
        )
    con.execute("DROP TABLE org_efit; DROP TABLE org_listed")
    return warnings


def _record_geographies(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        INSERT INTO organisation_geographies
        SELECT i.valid_from, any_value(i.valid_to), count(*),
            (SELECT count(DISTINCT code) FROM organisations s WHERE s.kind = 'sub-icb'
             AND s.valid_from = i.valid_from),
            (SELECT count(DISTINCT practice_code) FROM practice_memberships p
             WHERE p.valid_from = i.valid_from),
            any_value(i.source),
            (SELECT any_value(source) FROM organisations s WHERE s.kind = 'sub-icb'
             AND s.valid_from = i.valid_from),
            (SELECT any_value(source) FROM practice_memberships p
             WHERE p.valid_from = i.valid_from)
        FROM organisations i WHERE i.kind = 'icb' GROUP BY i.valid_from ORDER BY i.valid_from
        """
    )
