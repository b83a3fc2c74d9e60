"""Who gets NHS general practice money: national totals, and payments by deprivation.

Pure functions over the warehouse (tables ``payments``, ``payment_lines``,
``payment_line_catalogue`` and ``practice_imd_year``), each taking an open DuckDB connection
and returning frozen dataclasses. SQL does the heavy lifting; Python only shapes the results and
calls the equity measures of :mod:`gpequity.inequality`.

Conventions, stated in every result (see ``docs/payments-analysis.md``):

* **Per-patient figures are ratios of sums**: a group's total payments divided by its total
  (registered or weighted) patients, never the mean of each practice's own ratio.
* **Quintiles and deciles** are those of ``practice_imd_year``: practices ranked nationally by
  the IMD score of their registered population within each financial year. Q1 is the least
  deprived fifth, Q5 the most deprived.
* **Exclusions**: a practice with no IMD score for the year, or with no registered or weighted
  patients, cannot be placed or weighed; one whose value of the ``--by`` breakdown is unknown
  cannot be split. Each excluded practice is counted once, under the first reason that applies
  (in that order), with its patients and payments, so included plus excluded is always every
  practice in the year's file.
* **Totals**: ``core`` is "Total NHS Payments to General Practice"; ``incl_covid`` adds COVID
  vaccination, support and long COVID payments (published from 2020/21); ``incl_covid_pcn``
  adds those and the PCN payments (published from 2021/22, and derived for 2020/21, see
  :data:`DERIVED_INCL_COVID_PCN_NOTE`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, NamedTuple

import duckdb

from gpequity.analysis.payment_results import (
    ALL,
    DECILES,
    GROUP_COLUMNS,
    QUINTILES,
    TOTAL_LABELS,
    By,
    DeprivationGroup,
    DeprivationResult,
    Dispensing,
    DispensingStatusSummary,
    Exclusion,
    NationalSummary,
    PaymentLineByDeprivation,
    PaymentLinesResult,
    SkippedYear,
    Table,
    Total,
    TrendResult,
    TrendYear,
    rank_label,
    ratio,
)
from gpequity.errors import GpequityError
from gpequity.inequality import concentration_index, slope_index_of_inequality
from gpequity.intervals import DEFAULT, EquityIntervals, bootstrap_equity
from gpequity.sources.base import financial_year
from gpequity.sources.payments import PRESCRIBING_DISPENSING_LINES
from gpequity.tables import has_table, latest_payment_year, payment_years
from gpequity.warehouse.cache import per_version
from gpequity.warehouse.icbs import IcbMap, describe_icb_map, payments_sql

# The results are part of this module's API: ``from gpequity.analysis.payments import ...``.
__all__ = [
    "ALL",
    "DECILES",
    "GROUP_COLUMNS",
    "QUINTILES",
    "TOTAL_LABELS",
    "By",
    "DeprivationGroup",
    "DeprivationMissing",
    "DeprivationResult",
    "Dispensing",
    "DispensingStatusSummary",
    "Exclusion",
    "NationalSummary",
    "NoPaymentYears",
    "PaymentLineByDeprivation",
    "PaymentLinesResult",
    "SkippedYear",
    "Table",
    "Total",
    "TotalUnavailable",
    "TrendResult",
    "TrendYear",
    "UnknownYear",
    "latest_year",
    "loaded_years",
    "national_summary",
    "parse_year",
    "payment_lines_by_deprivation",
    "payments_by_deprivation",
    "payments_trend",
    "rank_label",
    "resolve_year",
]

#: A payment line "favours" the more (less) deprived when Q5 receives more (less) per weighted
#: patient than Q1 by at least this fraction of the line's national figure per weighted patient.
FAVOURS_THRESHOLD = 0.10
#: Every value of the ``dispensing`` column (sources/payments.py normalises them).
DISPENSING_STATUSES = ("Yes", "No", "Unknown")
DERIVED_INCL_COVID_PCN_NOTE = (
    "{year} publishes no total including COVID and PCN payments: it is derived for each "
    "practice as the total including COVID payments plus the total including PCN payments "
    "minus the core total. For every practice this equals the sum of its payment lines, and in "
    "the years that publish the column (2021/22 on) it reproduces it to the penny."
)
#: The exclusions that keep a practice out of the ranking (it cannot be placed or weighed).
UNPLACED = ("no_imd_score", "zero_patients")
#: Which practices are ranked into fifths (or tenths), and how ties are split.
RANKING_NOTE = (
    "{groups} are formed among the {practices:,} practices with an IMD score for the year and "
    "registered and weighted patients, ranked by IMD score within the year; practices with "
    "the same score are split by practice code."
)
#: Under a breakdown, the slope and concentration indices rank each group's practices alone.
WITHIN_GROUP_NOTE = (
    "The gap Q1 minus Q5 compares the national fifths; the slope index of inequality and the "
    "concentration index rank the practices of each {what} among themselves, so the two can "
    "differ in sign. All three are positive when the least deprived receive more and negative "
    "when the most deprived do."
)
EXCLUDE_PRESCRIBING_NOTE = (
    "Payments exclude the prescribing- and dispensing-related lines (Prescribing Fee Payments, "
    "Dispensing Fee Payments, Reimbursement of Drugs); a blank line is no payment."
)

#: The ``payments`` column of each breakdown, and how its values are described.
BY_COLUMNS: dict[By, tuple[str, str]] = {
    By.dispensing: ("dispensing", "dispensing status"),
    By.rurality: ("rurality", "rurality"),
    By.icb: ("icb_code", "ICB"),
    By.contract: ("contract_type", "contract type"),
}


# ---------------------------------------------------------------------------------------------
# Errors


class UnknownYear(GpequityError):
    """A financial year that is malformed or not in the warehouse."""

    def __init__(self, given: str, loaded: Sequence[str]) -> None:
        self.given = given
        self.loaded = tuple(loaded)
        listed = ", ".join(loaded) if loaded else "none (load the payments files first)"
        if parse_year(given) is None:
            problem = f"'{given}' is not a financial year like 2022/23, 2022-23 or 22-23"
        else:
            problem = f"year {parse_year(given)} is not loaded"
        super().__init__(f"{problem}; loaded years: {listed}")


class TotalUnavailable(GpequityError):
    """The chosen total is not published for the year (and cannot be derived honestly)."""

    def __init__(self, year: str, total: Total, available: Sequence[str]) -> None:
        self.year = year
        self.total = total
        self.reason = (
            f"the file has no '{TOTAL_LABELS[total]}' (the COVID and PCN totals begin in 2020/21)"
        )
        super().__init__(f"{year}: {self.reason}; totals available: {', '.join(available)}")


class NoPaymentYears(GpequityError):
    """No payments file in the warehouse, so no year to show."""

    def __init__(self) -> None:
        super().__init__("the warehouse has no payments files loaded: load them first")


class DeprivationMissing(GpequityError):
    """No practice deprivation scores in the warehouse."""

    def __init__(self) -> None:
        super().__init__(
            "the warehouse has no practice IMD scores (practice_imd_year): load "
            "practice-imd-93553.csv with the payments files"
        )


# ---------------------------------------------------------------------------------------------
# Years

_YEAR = re.compile(r"^\s*(?:20)?(\d{2})\s*[/-]\s*(\d{2})\s*$")


def parse_year(text: str) -> str | None:
    """Return the canonical financial year ``2022/23`` for ``2022/23``, ``2022-23`` or ``22-23``.

    ``None`` when the text is not a financial year (the end must be the year after the start).
    """
    match = _YEAR.match(text)
    return financial_year(int(match.group(1)), int(match.group(2))) if match else None


@per_version
def _kept_years(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    return tuple(payment_years(con))


def loaded_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Financial years in the ``payments`` table, oldest first; none when no payments file was
    loaded (read once per build of the warehouse: every analysis asks)."""
    return list(_kept_years(con))


def latest_year(con: duckdb.DuckDBPyConnection) -> str:
    """The newest financial year in the ``payments`` table (:func:`gpequity.tables.
    latest_payment_year`, the rule the allocation uses too). Raises :class:`NoPaymentYears`
    when no payments file is loaded."""
    year = _kept_latest_year(con)
    if year is None:
        raise NoPaymentYears()
    return year


#: :func:`gpequity.tables.latest_payment_year`, read once per build of the warehouse (asked by
#: every page and analysis given no year).
_kept_latest_year = per_version(latest_payment_year)


def resolve_year(con: duckdb.DuckDBPyConnection, text: str | None = None) -> str:
    """Return the loaded financial year ``text`` names, or raise :class:`UnknownYear`; without
    ``text`` (``None`` or blank), the :func:`latest_year`."""
    if text is None or not text.strip():
        return latest_year(con)
    year = parse_year(text)
    loaded = loaded_years(con)
    if year is None or year not in loaded:
        raise UnknownYear(text, loaded)
    return year


# ---------------------------------------------------------------------------------------------
# Totals


@per_version
def _published_totals(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """The total columns each year's file publishes (a column with at least one value); read
    once per build of the warehouse (the result is shared: never change it)."""
    rows = con.execute(
        "SELECT year, count(total_incl_covid), count(total_incl_pcn), count(total_incl_covid_pcn) "
        "FROM payments GROUP BY year"
    ).fetchall()
    out: dict[str, frozenset[str]] = {}
    for year, covid, pcn, covid_pcn in rows:
        names = {"total_payments"}
        if covid:
            names.add("total_incl_covid")
        if pcn:
            names.add("total_incl_pcn")
        if covid_pcn:
            names.add("total_incl_covid_pcn")
        out[str(year)] = frozenset(names)
    return out


def _total_sql(
    total: Total, published: frozenset[str], alias: str = "p"
) -> tuple[str, bool] | None:
    """SQL for one practice's chosen total in a year, and whether it is derived; ``None`` if
    the year's file cannot give it."""
    if total is Total.core:
        return f"{alias}.total_payments", False
    if total is Total.incl_covid:
        return (f"{alias}.total_incl_covid", False) if "total_incl_covid" in published else None
    if "total_incl_covid_pcn" in published:
        return f"{alias}.total_incl_covid_pcn", False
    if {"total_incl_covid", "total_incl_pcn"} <= published:
        # 2020/21 has no "including Covid and PCN" column, but both parts it adds to the core
        # total are there; the tests check the identity to the penny on the real files.
        return (
            f"({alias}.total_incl_covid + {alias}.total_incl_pcn - {alias}.total_payments)",
            True,
        )
    return None


def _available_totals(published: frozenset[str]) -> list[str]:
    return [t.value for t in Total if _total_sql(t, published) is not None]


def _amount_sql(
    total: Total,
    exclude_prescribing: bool,
    published: Mapping[str, frozenset[str]],
    years: list[str],
) -> tuple[str, list[str]]:
    """A CASE over years giving each practice's amount, and the notes it needs."""
    cases: list[str] = []
    notes: list[str] = []
    for year in years:
        found = _total_sql(total, published[year])
        if found is None:
            raise TotalUnavailable(year, total, _available_totals(published[year]))
        expr, derived = found
        cases.append(f"WHEN '{year}' THEN {expr}")
        if derived:
            notes.append(DERIVED_INCL_COVID_PCN_NOTE.format(year=year))
    amount = f"CASE p.year {' '.join(cases)} END"
    if exclude_prescribing:
        lines = " - ".join(f"coalesce(p.{line}, 0)" for line in PRESCRIBING_DISPENSING_LINES)
        amount = f"({amount} - {lines})"
        notes.append(EXCLUDE_PRESCRIBING_NOTE)
    return amount, notes


def _prescribing_sql(alias: str = "p") -> str:
    return " + ".join(f"coalesce({alias}.{line}, 0)" for line in PRESCRIBING_DISPENSING_LINES)


# ---------------------------------------------------------------------------------------------
# National summary


@per_version
def national_summary(con: duckdb.DuckDBPyConnection, year: str) -> NationalSummary:
    """Return England's totals for ``year`` (any accepted spelling): every practice in the file.

    Practices; registered and weighted patients; payments under each official total;
    prescribing- and dispensing-related payments; and the same by dispensing status.
    """
    year = resolve_year(con, year)
    published = _published_totals(con)[year]
    notes: list[str] = []
    covid_pcn = _total_sql(Total.incl_covid_pcn, published)
    if covid_pcn is not None and covid_pcn[1]:
        notes.append(DERIVED_INCL_COVID_PCN_NOTE.format(year=year))
    for total in (Total.incl_covid, Total.incl_covid_pcn):
        if _total_sql(total, published) is None:
            notes.append(f"{year} publishes no '{TOTAL_LABELS[total]}'.")
    covid_sql = "sum(p.total_incl_covid)" if "total_incl_covid" in published else "NULL"
    covid_pcn_sql = f"sum({covid_pcn[0]})" if covid_pcn is not None else "NULL"
    rx = _prescribing_sql()
    row = con.execute(
        f"""
        SELECT count(*), coalesce(sum(p.registered_patients), 0),
               coalesce(sum(p.weighted_patients), 0), coalesce(sum(p.total_payments), 0),
               {covid_sql}, {covid_pcn_sql},
               CASE WHEN count(p.total_minus_deductions) > 0
                    THEN sum(p.total_minus_deductions) END,
               coalesce(sum({rx}), 0)
        FROM payments p WHERE p.year = ?
        """,
        [year],
    ).fetchone()
    assert row is not None
    rows = con.execute(
        f"""
        SELECT p.dispensing, count(*), coalesce(sum(p.registered_patients), 0),
               coalesce(sum(p.total_payments), 0), coalesce(sum({rx}), 0)
        FROM payments p WHERE p.year = ? GROUP BY p.dispensing
        """,
        [year],
    ).fetchall()
    found = {str(r[0]): r for r in rows}
    by_status = {
        status: DispensingStatusSummary(
            status=status,
            practices=int(found[status][1]) if status in found else 0,
            registered_patients=float(found[status][2]) if status in found else 0.0,
            total_payments=Decimal(found[status][3]) if status in found else Decimal("0.00"),
            prescribing_dispensing_payments=(
                Decimal(found[status][4]) if status in found else Decimal("0.00")
            ),
        )
        for status in DISPENSING_STATUSES
    }
    return NationalSummary(
        year=year,
        practices=int(row[0]),
        registered_patients=float(row[1]),
        weighted_patients=float(row[2]),
        total_payments=Decimal(row[3]),
        total_payments_incl_covid=row[4],
        total_payments_incl_covid_pcn=row[5],
        total_payments_minus_deductions=row[6],
        prescribing_dispensing_payments=Decimal(row[7]),
        by_dispensing_status=by_status,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# By deprivation


@per_version
def _has_deprivation(con: duckdb.DuckDBPyConnection) -> bool:
    return has_table(con, "practice_imd_year")


def _require_deprivation(con: duckdb.DuckDBPyConnection) -> None:
    if not _has_deprivation(con):
        raise DeprivationMissing()


NO_IMD_REASON = "no practice IMD score for the year (OHID Fingertips indicator 93553)"
ZERO_PATIENTS_REASON = "no registered or no weighted patients, so no per-patient figure"


def _sql_years(years: Sequence[str]) -> str:
    """``p.year IN ('2021/22', '2022/23')`` for years already checked against the warehouse."""
    quoted = ", ".join("'" + y.replace("'", "''") + "'" for y in years)
    return f"p.year IN ({quoted})"


def _classified_sql(
    amount: str, rank_col: str, by: By | None, years: Sequence[str], source: str = "payments"
) -> str:
    """One row per practice: its amount, patients, score, quintile and group, and why it is
    excluded. The quintiles are ``practice_imd_year``'s, formed among the practices with a score
    and patients (:data:`RANKING_NOTE`).

    ``source`` is the payments relation (:func:`gpequity.warehouse.icbs.payments_sql`: the
    practice-years with the ICB of the map chosen)."""
    group = f"p.{BY_COLUMNS[by][0]}" if by is not None else "NULL"
    unknown = (
        f"WHEN coalesce(trim({group}), '') IN ('', 'Unknown') THEN 'unknown_{by.value}'"
        if by is not None
        else ""
    )
    # No patients is said before no quintile: a practice without patients is not ranked.
    return f"""
        SELECT p.year, p.practice_code, p.registered_patients, p.weighted_patients,
               {amount} AS amount, i.score, i.{rank_col} AS rank, i.quintile,
               CAST({group} AS VARCHAR) AS grp, p.icb_name,
               CASE WHEN i.score IS NULL THEN 'no_imd_score'
                    WHEN coalesce(p.registered_patients, 0) <= 0
                      OR coalesce(p.weighted_patients, 0) <= 0 THEN 'zero_patients'
                    WHEN i.{rank_col} IS NULL THEN 'no_imd_score'
                    WHEN {amount} IS NULL THEN 'no_total'
                    {unknown}
               END AS excluded_because
        FROM {source} p
        LEFT JOIN practice_imd_year i ON i.year = p.year AND i.practice_code = p.practice_code
        WHERE {_sql_years(years)}
    """


def _exclusion_reasons(by: By | None, total: Total) -> dict[str, str]:
    reasons = {
        "no_imd_score": NO_IMD_REASON,
        "zero_patients": ZERO_PATIENTS_REASON,
        "no_total": f"no value of '{TOTAL_LABELS[total]}' in the file",
    }
    if by is not None:
        reasons[f"unknown_{by.value}"] = f"{BY_COLUMNS[by][1]} unknown, so it cannot be split by it"
    return reasons


def _exclusions(rows: Iterable[Sequence[Any]], reasons: Mapping[str, str]) -> tuple[Exclusion, ...]:
    """Exclusions from (key, practices, registered, weighted, payments) rows; every reason is
    listed, with zeros when none applied, except ``no_total`` which is shown only if it did."""
    found = {str(r[0]): r for r in rows}
    out = []
    for key, reason in reasons.items():
        r = found.get(key)
        if r is None and key == "no_total":
            continue
        out.append(
            Exclusion(
                key=key,
                reason=reason,
                practices=int(r[1]) if r else 0,
                registered_patients=float(r[2] or 0) if r else 0.0,
                weighted_patients=float(r[3] or 0) if r else 0.0,
                payments=Decimal(r[4] or 0) if r else Decimal("0.00"),
            )
        )
    return tuple(out)


_EXCLUDED_SQL = """
    SELECT excluded_because, count(*), sum(registered_patients), sum(weighted_patients),
           sum(amount)
    FROM c WHERE excluded_because IS NOT NULL GROUP BY 1
"""


@per_version
def old_imd_note(
    con: duckdb.DuckDBPyConnection,
    year: str,
    icb_code: str | None = None,
    icb_map: IcbMap = IcbMap.current,
) -> str | None:
    """Flag the practices whose score for ``year`` comes from an IMD release older than the
    newest loaded (e.g. IMD 2010 for 3 practices in 2022/23), or ``None`` when there are none.

    England's practices, or with ``icb_code`` the practices of that ICB (on ``icb_map``) only.
    """
    if not has_table(con, "practice_imd"):
        return None
    in_icb = (
        ""
        if icb_code is None
        else f"AND practice_code IN (SELECT practice_code FROM {payments_sql(con, icb_map)} p "
        "WHERE p.year = $year AND p.icb_code = $icb)"
    )
    rows = con.execute(
        rf"""
        WITH newest AS (SELECT max(imd_release) AS r FROM practice_imd)
        SELECT CAST(regexp_extract(method, 'IMD (\d{{4}})$', 1) AS INTEGER) AS release,
            count(*), any_value(newest.r)
        FROM practice_imd_year, newest
        WHERE year = $year AND score IS NOT NULL AND method LIKE 'carried forward from IMD %'
            {in_icb}
        GROUP BY release HAVING release < any_value(newest.r) ORDER BY release DESC
        """,
        {"year": year} | ({} if icb_code is None else {"icb": icb_code}),
    ).fetchall()
    if not rows:
        return None
    older = sum(int(r[1]) for r in rows)
    which = ", ".join(f"{int(n):,} from IMD {release}" for release, n, _ in rows)
    newest = f"newest release loaded (IMD {rows[0][2]}): carried forward {which}."
    if icb_code is not None:
        has = "has" if older == 1 else "have"
        whose = f"{older:,} of the ICB's practices {has}"
        return f"{whose} an IMD score for {year} older than the {newest}"
    whose = f"{older:,} practice{'s' if older != 1 else ''}'"
    return f"{whose} IMD score for {year} is older than the {newest}"


def _gap(per_weighted: Mapping[int, float | None], first: int, last: int) -> float | None:
    a, b = per_weighted.get(first), per_weighted.get(last)
    return None if a is None or b is None else a - b


def payments_by_deprivation(
    con: duckdb.DuckDBPyConnection,
    year: str,
    *,
    total: Total = Total.core,
    exclude_prescribing: bool = False,
    by: By | None = None,
    deciles: bool = False,
    icb_map: IcbMap = IcbMap.current,
    intervals: bool = True,
) -> DeprivationResult:
    """Return payments by national IMD quintile (or decile) of practices in ``year``.

    Per group: practices, registered and weighted patients, payments under ``total`` (less the
    prescribing/dispensing lines when ``exclude_prescribing``), and payments per registered and
    per weighted patient as ratios of sums. With ``by``, groups are that breakdown's values
    crossed with the quintiles, and the measures are per breakdown value. Measures: the Q1-Q5
    gap per weighted patient, the slope index of inequality and the concentration index (both
    over practices, weighted by weighted patients, ranked by IMD score). ``by=icb`` groups the
    practices by today's ICBs (``icb_map=current``, when loaded) or the year's own
    (``historic``), and a note says which.

    With ``intervals`` (the default) the result has the figures' bootstrap confidence
    intervals (:mod:`gpequity.intervals`); a caller that never shows them passes
    ``intervals=False`` and is spared their cost (a bootstrap is about 10x the figures). Both
    parts are kept per warehouse build, separately.
    """
    options = _Options(total, exclude_prescribing, by, deciles, icb_map)
    result, _ = _by_deprivation(con, resolve_year(con, year), options)
    if not intervals:
        return result
    return replace(
        result,
        intervals=_deprivation_intervals(con, result.year, options),
        interval_settings=DEFAULT,
    )


#: One practice in a by-deprivation analysis: its money, weighted patients, IMD score, rank
#: group (quintile or decile) and quintile.
_Practice = tuple[Decimal, float, float, int, int]


class _Options(NamedTuple):
    """What a by-deprivation analysis is of, beside its year (a key of the results kept)."""

    total: Total
    exclude_prescribing: bool
    by: By | None
    deciles: bool
    icb_map: IcbMap


@per_version
def _deprivation_intervals(
    con: duckdb.DuckDBPyConnection, year: str, options: _Options
) -> dict[str, EquityIntervals]:
    """The bootstrap intervals of :func:`_by_deprivation`'s figures, per breakdown value."""
    _, practices = _by_deprivation(con, year, options)
    return {
        key: bootstrap_equity(
            [e[0] for e in entries],
            [e[1] for e in entries],
            [e[2] for e in entries],
            [e[3] for e in entries],
            quintiles=[e[4] for e in entries],
            last=QUINTILES,
        )
        for key, entries in practices.items()
    }


@per_version
def _by_deprivation(
    con: duckdb.DuckDBPyConnection, year: str, options: _Options
) -> tuple[DeprivationResult, dict[str, tuple[_Practice, ...]]]:
    """:func:`payments_by_deprivation` of a resolved ``year`` without intervals, and the
    practices of each breakdown value (what the intervals resample)."""
    total, exclude_prescribing, by, deciles, icb_map = options
    _require_deprivation(con)
    published = _published_totals(con)
    amount, notes = _amount_sql(total, exclude_prescribing, published, [year])
    groups_of = DECILES if deciles else QUINTILES
    rank_col = "decile" if deciles else "quintile"
    source = "payments"
    if by is By.icb:
        source = payments_sql(con, icb_map)
        notes.append(describe_icb_map(con, icb_map))
    c = f"WITH c AS ({_classified_sql(amount, rank_col, by, [year], source)})"
    group_rows = con.execute(
        f"""{c}
        SELECT grp, rank, any_value(icb_name), count(*), sum(registered_patients),
               sum(weighted_patients), sum(amount),
               sum(amount) / sum(registered_patients), sum(amount) / sum(weighted_patients)
        FROM c WHERE excluded_because IS NULL
        GROUP BY grp, rank ORDER BY grp NULLS FIRST, rank
        """
    ).fetchall()
    quintile_rows = con.execute(
        f"""{c}
        SELECT grp, quintile, sum(amount) / sum(weighted_patients)
        FROM c WHERE excluded_because IS NULL AND quintile IN (1, {QUINTILES})
        GROUP BY grp, quintile
        """
    ).fetchall()
    practice_rows = con.execute(
        f"""{c}
        SELECT grp, amount, weighted_patients, score, rank, quintile FROM c
        WHERE excluded_because IS NULL ORDER BY practice_code
        """
    ).fetchall()
    excluded_rows = con.execute(f"{c} {_EXCLUDED_SQL}").fetchall()
    ranked_practices = sum(int(r[1]) for r in excluded_rows if r[0] not in UNPLACED) + sum(
        int(r[3]) for r in group_rows
    )

    groups = tuple(
        DeprivationGroup.of(
            int(r[1]),
            rank_label(int(r[1]), groups_of),
            _sums(r[3:7]),
            group=None if by is None else str(r[0]),
            group_name=str(r[2]) if by is By.icb else None,
        )
        for r in group_rows
    )
    keys = [ALL] if by is None else sorted({str(g.group) for g in groups})
    notes.append(
        RANKING_NOTE.format(
            groups="Deciles" if deciles else "Quintiles",
            practices=ranked_practices,
        )
    )
    if by is not None:
        notes.append(WITHIN_GROUP_NOTE.format(what=BY_COLUMNS[by][1]))
    old_imd = old_imd_note(con, year)
    if old_imd:
        notes.append(old_imd)

    def key_of(value: object) -> str:
        return ALL if by is None else str(value)

    quintile_per_weighted: dict[str, dict[int, float | None]] = defaultdict(dict)
    for grp, quintile, per_weighted in quintile_rows:
        quintile_per_weighted[key_of(grp)][int(quintile)] = per_weighted
    rank_per_weighted: dict[str, dict[int, float | None]] = defaultdict(dict)
    for g in groups:
        rank_per_weighted[key_of(g.group)][g.rank] = g.per_weighted_patient

    practices: dict[str, list[_Practice]] = defaultdict(list)
    for grp, amount_value, weighted, score, rank, quintile in practice_rows:
        practices[key_of(grp)].append(
            (Decimal(amount_value), float(weighted), float(score), int(rank), int(quintile))
        )
    slope: dict[str, float | None] = {}
    concentration: dict[str, float | None] = {}
    for key in keys:
        entries = practices.get(key, [])
        amounts = [e[0] for e in entries]
        weights = [e[1] for e in entries]
        scores = [e[2] for e in entries]
        slope[key] = (
            slope_index_of_inequality(
                [float(a) / w for a, w in zip(amounts, weights, strict=True)], weights, scores
            )
            if entries
            else None
        )
        concentration[key] = concentration_index(amounts, weights, scores) if entries else None

    result = DeprivationResult(
        year=year,
        total=total,
        exclude_prescribing=exclude_prescribing,
        groups_of=groups_of,
        by=by,
        groups=groups,
        gap_q1_minus_q5={k: _gap(quintile_per_weighted[k], 1, QUINTILES) for k in keys},
        gap_first_minus_last={k: _gap(rank_per_weighted[k], 1, groups_of) for k in keys},
        slope_index=slope,
        concentration_index=concentration,
        excluded=_exclusions(excluded_rows, _exclusion_reasons(by, total)),
        notes=tuple(notes),
    )
    return result, {key: tuple(practices.get(key, ())) for key in keys}


# ---------------------------------------------------------------------------------------------
# Time series


@per_version
def payments_trend(
    con: duckdb.DuckDBPyConnection,
    *,
    total: Total = Total.core,
    exclude_prescribing: bool = False,
    dispensing: Dispensing = Dispensing.all,
) -> TrendResult:
    """Return payments per weighted patient by quintile for every loaded year (2014/15 on).

    Each year uses its own IMD quintiles (``practice_imd_year``, whose ``method`` says how the
    score was derived). A year whose file cannot give ``total`` is skipped, with the reason.
    ``dispensing`` restricts the practices to dispensing (``yes``) or non-dispensing (``no``)
    ones; practices of unknown status are then excluded and counted.
    """
    _require_deprivation(con)
    published = _published_totals(con)
    years: list[str] = []
    skipped: list[SkippedYear] = []
    for year in loaded_years(con):
        try:
            _amount_sql(total, False, published, [year])
        except TotalUnavailable as exc:
            skipped.append(SkippedYear(year, exc.reason))
            continue
        years.append(year)
    if not years:
        return TrendResult(total, exclude_prescribing, dispensing, (), tuple(skipped))
    amount, notes = _amount_sql(total, exclude_prescribing, published, years)
    by = None if dispensing is Dispensing.all else By.dispensing
    classified = _classified_sql(amount, "quintile", by, years)
    wanted = {Dispensing.yes: "Yes", Dispensing.no: "No"}.get(dispensing)
    keep = f"AND grp = '{wanted}'" if wanted else ""
    rows = con.execute(
        f"""
        WITH c AS ({classified})
        SELECT year, rank, count(*), sum(registered_patients), sum(weighted_patients),
               sum(amount)
        FROM c WHERE excluded_because IS NULL {keep}
        GROUP BY year, rank ORDER BY year, rank
        """
    ).fetchall()
    excluded_rows = con.execute(
        f"""
        WITH c AS ({classified})
        SELECT year, excluded_because, count(*), sum(registered_patients),
               sum(weighted_patients), sum(amount)
        FROM c WHERE excluded_because IS NOT NULL GROUP BY ALL
        """
    ).fetchall()
    methods = con.execute(
        "SELECT year, list(DISTINCT method ORDER BY method) FROM practice_imd_year p "
        f"WHERE {_sql_years(years)} AND score IS NOT NULL GROUP BY year"
    ).fetchall()
    method_of = {str(y): tuple(str(m) for m in ms if m is not None) for y, ms in methods}
    reasons = _exclusion_reasons(by, total)
    if wanted:
        notes.append(
            f"Only {'dispensing' if wanted == 'Yes' else 'non-dispensing'} practices; "
            "practices of the other status are not counted as excluded."
        )
    out_years = []
    for year in years:
        groups = tuple(
            DeprivationGroup.of(int(r[1]), rank_label(int(r[1])), _sums(r[2:6]))
            for r in rows
            if r[0] == year
        )
        per_weighted = {g.rank: g.per_weighted_patient for g in groups}
        out_years.append(
            TrendYear(
                year=year,
                groups=groups,
                gap_q1_minus_q5=_gap(per_weighted, 1, QUINTILES),
                imd_methods=method_of.get(year, ()),
                excluded=_exclusions([r[1:] for r in excluded_rows if r[0] == year], reasons),
            )
        )
    return TrendResult(
        total=total,
        exclude_prescribing=exclude_prescribing,
        dispensing=dispensing,
        years=tuple(out_years),
        skipped=tuple(skipped),
        notes=tuple(dict.fromkeys(notes)),
    )


# ---------------------------------------------------------------------------------------------
# Payment lines


def _sums(cells: Sequence[Any]) -> tuple[int, float, float, Decimal]:
    """A group's sums as SQL gives them (practices, registered and weighted patients,
    payments), typed for :meth:`DeprivationGroup.of`."""
    practices, registered, weighted, payments = cells
    return int(practices), float(registered), float(weighted), Decimal(payments)


def _favours(tilt: float | None) -> str:
    if tilt is None:
        return "neither"
    if tilt >= FAVOURS_THRESHOLD:
        return "more deprived"
    if tilt <= -FAVOURS_THRESHOLD:
        return "less deprived"
    return "neither"


def _payment_line_cells(
    con: duckdb.DuckDBPyConnection, c: str, year: str, cells: Sequence[str]
) -> tuple[list[Any], list[Any]]:
    """The payment lines of ``year`` in the cells of ``c`` (a ``WITH c AS`` of
    :func:`_classified_sql`) given by its columns ``cells`` (``rank``, or ``grp`` and ``rank``).

    Returns the included practices' weighted patients per cell (the cell's columns, then the
    sum) and every line's amount per cell (line, label, group, the cell's columns, the sum),
    the totals left out and lines the mapping does not know kept under their published header.
    """
    columns = ", ".join(f"c.{column}" for column in cells)
    patients = con.execute(
        f"{c} SELECT {columns}, sum(c.weighted_patients) FROM c "
        "WHERE c.excluded_because IS NULL GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    rows = con.execute(
        f"""{c}
        SELECT l.payment_line, coalesce(cat.label, l.payment_line),
               coalesce(cat.line_group, 'unmapped'), {columns}, sum(l.amount)
        FROM payment_lines l
        JOIN c ON c.practice_code = l.practice_code
        LEFT JOIN payment_line_catalogue cat ON cat.payment_line = l.payment_line
        WHERE l.year = ? AND c.excluded_because IS NULL AND NOT coalesce(cat.is_total, false)
        GROUP BY ALL ORDER BY ALL
        """,
        [year],
    ).fetchall()
    return patients, rows


@per_version
def payment_lines_by_deprivation(con: duckdb.DuckDBPyConnection, year: str) -> PaymentLinesResult:
    """Return every payment line of ``year`` per weighted patient in each quintile.

    The lines are the file's own (totals left out; lines the mapping does not know are kept
    under their published header). A line's ``tilt`` is Q5 minus Q1 per weighted patient as a
    fraction of its national figure per weighted patient: it "favours the more deprived" when
    the tilt is at least :data:`FAVOURS_THRESHOLD`, "the less deprived" when at most minus
    that (a line can be negative for some practices, so a ratio Q5/Q1 would mislead).
    Denominators are all the quintile's weighted patients, whether or not a practice received
    the line. Sorted by the line's total, largest first.
    """
    year = resolve_year(con, year)
    _require_deprivation(con)
    c = f"WITH c AS ({_classified_sql('p.total_payments', 'quintile', None, [year])})"
    patients, rows = _payment_line_cells(con, c, year, ("rank",))
    excluded_rows = con.execute(f"{c} {_EXCLUDED_SQL}").fetchall()
    weighted = {int(r[0]): float(r[1]) for r in patients}
    all_weighted = sum(weighted.values())
    amounts: dict[tuple[str, str, str], dict[int, Decimal]] = defaultdict(dict)
    for line, label, group, rank, amount in rows:
        amounts[(str(line), str(label), str(group))][int(rank)] = Decimal(amount)
    lines = []
    for (line, label, group), by_rank in amounts.items():
        total_amount = sum(by_rank.values(), Decimal("0"))
        per_quintile = tuple(
            ratio(by_rank.get(q, Decimal("0")), weighted.get(q)) for q in range(1, QUINTILES + 1)
        )
        q1, q5 = per_quintile[0], per_quintile[-1]
        national = ratio(total_amount, all_weighted)
        tilt = None if q1 is None or q5 is None or not national else (q5 - q1) / abs(national)
        lines.append(
            PaymentLineByDeprivation(
                line=line,
                label=label,
                line_group=group,
                payments=total_amount,
                per_weighted_patient=national,
                by_quintile=per_quintile,
                gap_q1_minus_q5=None if q1 is None or q5 is None else q1 - q5,
                tilt=tilt,
                favours=_favours(tilt),
            )
        )
    lines.sort(key=lambda x: (-x.payments, x.line))
    return PaymentLinesResult(
        year=year,
        lines=tuple(lines),
        weighted_patients=tuple(weighted.get(q, 0.0) for q in range(1, QUINTILES + 1)),
        excluded=_exclusions(excluded_rows, _exclusion_reasons(None, Total.core)),
    )
