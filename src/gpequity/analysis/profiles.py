"""Practice and ICB profiles: one practice beside its peers and England; one ICB's practices.

Pure functions over the warehouse, each taking an open DuckDB connection and returning frozen
dataclasses (``None`` for a practice or ICB the warehouse does not know).

* :func:`practice_profile`: a practice's details (name, ICB, PCN, list size, IMD score and
  quintile, dispensing status, rurality) from its latest payments year; its payments per
  weighted patient in every loaded year beside the **medians** of its ICB's practices, of
  England's and of its national IMD quintile's that year; and each practice-level indicator
  (latest period) beside the median of its ICB's practices, England's practices, and England's
  published value where the warehouse has it.
* :func:`icb_profile`: an ICB's practices in a year (what its table shows), their spread
  across the national IMD quintiles, and the gradient of payments per weighted patient by
  quintile next to England's, from :func:`gpequity.analysis.payments.payments_by_deprivation`
  so that it is the same figure as on the national analysis.

Definitions (stated on the pages):

* A practice's **payments per weighted patient** is its "Total NHS Payments to General
  Practice" divided by its weighted (Carr-Hill) patients in that year's file; a practice with
  no weighted patients has no figure and is left out of the medians, which are of practices'
  own figures (the middle practice), not ratios of sums. The ICB gradient, like the national
  analysis, uses ratios of sums (a group's payments over its weighted patients).
* An ICB's practices in a year are those the year's payments file places in it, grouped by
  default by the ICBs in force today (``icb_map=current``: a practice-year in the ICB of April
  2026 that holds it, :func:`gpequity.warehouse.icbs.payments_sql`) or by the year's own CCG /
  sub-ICB to ICB lookup (``historic``), as in the national analysis's breakdown by ICB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from gpequity.analysis.icb import Icb, IcbOverview, Indicator, icb_overview
from gpequity.analysis.payments import (
    QUINTILES,
    By,
    DeprivationMissing,
    latest_year,
    payments_by_deprivation,
    rank_label,
)
from gpequity.tables import has_table, table_names
from gpequity.warehouse.cache import per_version
from gpequity.warehouse.icbs import (
    IcbMap,
    describe_icb_map,
    payments_sql,
    short_names,
    uses_current_map,
)

#: A practice in no quintile: no IMD score that year, or no patients to weigh (not ranked).
NOT_RANKED = "Not ranked (no IMD score or no patients)"
#: Only rows for all persons (or with no sex, as in the eFIT files) are compared.
PERSONS = "Persons"
#: The area type of England's own rows in Fingertips exports.
ENGLAND_AREA_TYPE = "England"

PER_WEIGHTED_DEFINITION = (
    "Payments per weighted patient: the practice's Total NHS Payments to General Practice "
    "divided by its weighted (Carr-Hill) patients in that year's file. Medians are of "
    "practices' own figures; practices without weighted patients have none."
)
GRADIENT_DEFINITION = (
    "Payments per weighted patient in each national IMD quintile, as ratios of sums: the "
    "quintile's total payments divided by its total weighted patients. Quintiles are national: "
    "practices are ranked by the IMD score of their registered population in that year and cut "
    "into five groups of equal numbers of practices (Q1 least deprived, Q5 most deprived)."
)


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class PracticeDetails:
    """Who a practice is, from its latest row in the payments files."""

    code: str
    name: str
    year: str
    latest_year: str
    postcode: str | None
    icb_code: str
    icb_name: str
    pcn_code: str | None
    pcn_name: str | None
    registered_patients: float | None
    weighted_patients: float | None
    dispensing: str | None
    rurality: str | None
    contract_type: str | None
    imd_score: float | None
    imd_quintile: int | None
    imd_method: str | None

    @property
    def in_latest_year(self) -> bool:
        """Whether the latest payments file has the practice (else it may have closed)."""
        return self.year == self.latest_year


@dataclass(frozen=True)
class PaymentYear:
    """A practice's payments per weighted patient in one year, beside its comparators."""

    year: str
    total_payments: Decimal | None
    per_weighted_patient: float | None
    icb_code: str
    icb_median: float | None
    icb_practices: int
    england_median: float | None
    england_practices: int
    quintile: int | None
    quintile_median: float | None
    quintile_practices: int


@dataclass(frozen=True)
class IndicatorComparison(Indicator):
    """One indicator's latest value for a practice, beside its ICB and England."""

    value: float | None
    icb_median: float | None
    icb_practices: int
    england_median: float | None
    england_practices: int
    england_value: float | None


@dataclass(frozen=True)
class PracticeProfile:
    details: PracticeDetails
    payments: tuple[PaymentYear, ...]
    indicators: tuple[IndicatorComparison, ...]
    definition: str = PER_WEIGHTED_DEFINITION


@dataclass(frozen=True)
class IcbPractice:
    """One practice of an ICB in a year: a row of the ICB's practices table."""

    code: str
    name: str
    pcn_name: str | None
    postcode: str | None
    registered_patients: float | None
    weighted_patients: float | None
    imd_score: float | None
    quintile: int | None
    dispensing: str | None
    rurality: str | None
    total_payments: Decimal | None
    per_weighted_patient: float | None


@dataclass(frozen=True)
class QuintileShare:
    """How many of an ICB's practices (and patients) are in one national quintile.

    ``quintile`` is ``None`` for the practices with no IMD score that year (never dropped).
    """

    quintile: int | None
    label: str
    practices: int
    registered_patients: float
    share_of_practices: float | None
    share_of_patients: float | None


@dataclass(frozen=True)
class GradientRow:
    """Payments per weighted patient in one national quintile: the ICB's and England's."""

    quintile: int
    label: str
    icb_practices: int
    icb_per_weighted_patient: float | None
    england_practices: int
    england_per_weighted_patient: float | None


@dataclass(frozen=True)
class IcbProfile:
    code: str
    name: str
    year: str
    years: tuple[str, ...]
    practices: tuple[IcbPractice, ...]
    spread: tuple[QuintileShare, ...]
    gradient: tuple[GradientRow, ...]
    icb_gap_q1_minus_q5: float | None
    england_gap_q1_minus_q5: float | None
    notes: tuple[str, ...]
    definition: str = GRADIENT_DEFINITION
    #: "Essex ICB": the official short name, for every mention after the first.
    short_name: str | None = None
    #: Which ICBs the year's practices are grouped by, and the sentence saying so.
    icb_map: IcbMap = IcbMap.historic
    icb_map_note: str = ""
    #: Whether the other map would group the practices differently (the ICBs of April 2026
    #: are loaded).
    maps_differ: bool = False
    #: The practices and patients by national quintile as the ICB's datapack counts them, with
    #: England's (the "fair share" benchmark); ``None`` when no practice has an IMD score.
    overview: IcbOverview | None = None

    @property
    def registered_patients(self) -> float:
        return sum(p.registered_patients or 0.0 for p in self.practices)


# ---------------------------------------------------------------------------------------------
# Helpers


@per_version
def has_payments(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a payments file is loaded (kept per build: every profile page asks first)."""
    return has_table(con, "payments")


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


#: Each payments row ``p``'s practice's IMD in that year, as ``i`` (with ``practice_imd_year``).
IMD_JOIN = "LEFT JOIN practice_imd_year i ON i.year = p.year AND i.practice_code = p.practice_code"


def _per_practice_sql(tables: frozenset[str]) -> str:
    """Every practice-year: ICB, national quintile, payments and payments per weighted patient."""
    if "practice_imd_year" in tables:
        imd_join, quintile = IMD_JOIN, "i.quintile"
    else:
        imd_join, quintile = "", "CAST(NULL AS INTEGER)"
    return f"""
        SELECT p.year, p.practice_code, p.icb_code, {quintile} AS quintile, p.total_payments,
               CASE WHEN p.weighted_patients > 0
                    THEN CAST(p.total_payments AS DOUBLE) / p.weighted_patients END
                 AS per_weighted
        FROM payments p {imd_join}
    """


# ---------------------------------------------------------------------------------------------
# Practice profile


def practice_details(
    con: duckdb.DuckDBPyConnection, code: str, tables: frozenset[str] | None = None
) -> PracticeDetails | None:
    """The practice's details from its latest payments row, or ``None`` if never paid."""
    tables = table_names(con) if tables is None else tables
    if "payments" not in tables:
        return None
    row = practice_rows(con).details.get(code.strip().upper())
    if row is None:
        return None
    return PracticeDetails(
        code=str(row[1]),
        name=str(row[2] or row[1]),
        year=str(row[0]),
        latest_year=latest_year(con),
        postcode=_str(row[3]),
        icb_code=str(row[4]),
        icb_name=str(row[5]),
        pcn_code=_str(row[6]),
        pcn_name=_str(row[7]),
        registered_patients=_float(row[8]),
        weighted_patients=_float(row[9]),
        dispensing=_str(row[10]),
        rurality=_str(row[11]),
        contract_type=_str(row[12]),
        imd_score=_float(row[13]),
        imd_quintile=_int(row[14]),
        imd_method=_str(row[15]),
    )


@dataclass(frozen=True)
class PracticeRows:
    """The rows of every practice that its profile reads, by practice code: read in three
    queries once per build of the warehouse rather than three per practice (about 10 ms of
    each practice page), then kept (about 50 MB for England's 8,000 practices)."""

    #: The latest payments row: year, code, name, ..., IMD score, quintile and method.
    details: dict[str, tuple[Any, ...]]
    #: Every year, oldest first: year, payments, per weighted patient, ICB, quintile.
    payments: dict[str, tuple[tuple[Any, ...], ...]]
    #: Each indicator's latest row (all persons), in the profile's order: its key and name
    #: (one tuple shared by every practice) and the practice's value.
    indicators: dict[str, tuple[tuple[tuple[Any, ...], Any], ...]]


@per_version
def practice_rows(con: duckdb.DuckDBPyConnection) -> PracticeRows:
    """:class:`PracticeRows` of the warehouse (warmed as a served app starts)."""
    tables = table_names(con)
    details: dict[str, tuple[Any, ...]] = {}
    payments: dict[str, list[tuple[Any, ...]]] = {}
    indicators: dict[str, list[tuple[tuple[Any, ...], Any]]] = {}
    if "payments" in tables:
        if "practice_imd_year" in tables:
            imd = "i.score, i.quintile, i.method"
            imd_join = IMD_JOIN
        else:
            imd, imd_join = "NULL, NULL, NULL", ""
        rows = con.execute(
            f"""
            SELECT p.year, p.practice_code, p.practice_name, p.postcode, p.icb_code,
                   p.icb_name, p.pcn_code, p.pcn_name, p.registered_patients,
                   p.weighted_patients, p.dispensing, p.rurality, p.contract_type, {imd}
            FROM payments p {imd_join}
            QUALIFY row_number() OVER (PARTITION BY p.practice_code ORDER BY p.year DESC) = 1
            """
        ).fetchall()
        details = {str(r[1]): r for r in rows}
        for r in con.execute(
            f"""
            WITH per AS ({_per_practice_sql(tables)})
            SELECT practice_code, year, total_payments, per_weighted, icb_code, quintile
            FROM per ORDER BY practice_code, year
            """
        ).fetchall():
            payments.setdefault(str(r[0]), []).append(r[1:])
    if "practice_indicators" in tables:
        shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        result = con.execute(
            f"""
            SELECT practice_code, source, indicator_id, period, sex, age, indicator_name, value
            FROM practice_indicators
            WHERE coalesce(sex, '{PERSONS}') = '{PERSONS}'
            QUALIFY period
                = max(period) OVER (PARTITION BY practice_code, source, indicator_id, age)
            ORDER BY practice_code, source DESC, lower(indicator_name), age, indicator_id
            """
        )
        while chunk := result.fetchmany(ROWS_AT_A_TIME):
            for r in chunk:
                about = shared.setdefault(r[1:7], r[1:7])
                indicators.setdefault(str(r[0]), []).append((about, r[7]))
    return PracticeRows(
        details,
        {code: tuple(rows) for code, rows in payments.items()},
        {code: tuple(rows) for code, rows in indicators.items()},
    )


#: Rows fetched from DuckDB at a time (their strings are shared once read).
ROWS_AT_A_TIME = 10_000


#: An indicator's rows that are compared: source, indicator id, period, sex, age.
IndicatorKey = tuple[str, str, str, str | None, str | None]
#: A median of practices' values, and how many practices had a value.
Median = tuple[float | None, int]
NO_MEDIAN: Median = (None, 0)


@dataclass(frozen=True)
class Comparators:
    """What every practice is compared with: the medians of each ICB's, England's and each
    quintile's practices in every year, and of each indicator's values by ICB and in England.

    They are the same for every practice, so the web app computes them once per version of the
    warehouse (:func:`profile_comparators`) instead of once per page.
    """

    tables: frozenset[str]
    latest_year: str | None
    payments_icb: dict[tuple[str, str], Median]
    payments_england: dict[str, Median]
    payments_quintile: dict[tuple[str, int], Median]
    indicators_icb: dict[tuple[IndicatorKey, str], Median]
    indicators_england: dict[IndicatorKey, Median]
    indicators_published: dict[IndicatorKey, float | None]


def _medians(rows: Sequence[Sequence[Any]], width: int) -> dict[Any, Median]:
    """``{key: (median, count)}`` from rows of ``width`` key columns, a median and a count."""
    out: dict[Any, Median] = {}
    for row in rows:
        key = row[0] if width == 1 else tuple(row[:width])
        out[key] = (_float(row[width]), int(row[width + 1] or 0))
    return out


@per_version
def profile_comparators(con: duckdb.DuckDBPyConnection) -> Comparators:
    """Every median a practice profile compares with (see :class:`Comparators`).

    Payments: medians of practices' payments per weighted patient by year and ICB, by year,
    and by year and national quintile. Indicators (all persons): medians by indicator, period
    and ICB (the practices the latest payments file places in it) and in England; and
    England's published value (the Fingertips England row, without categories).
    """
    tables = table_names(con)
    latest = latest_year(con) if "payments" in tables else None
    payments_icb: dict[Any, Median] = {}
    payments_england: dict[Any, Median] = {}
    payments_quintile: dict[Any, Median] = {}
    if "payments" in tables:
        per = _per_practice_sql(tables)
        payments_icb = _medians(
            con.execute(
                f"WITH per AS ({per}) SELECT year, icb_code, median(per_weighted), "
                "count(per_weighted) FROM per GROUP BY year, icb_code"
            ).fetchall(),
            2,
        )
        payments_england = _medians(
            con.execute(
                f"WITH per AS ({per}) SELECT year, median(per_weighted), count(per_weighted) "
                "FROM per GROUP BY year"
            ).fetchall(),
            1,
        )
        payments_quintile = _medians(
            con.execute(
                f"WITH per AS ({per}) SELECT year, quintile, median(per_weighted), "
                "count(per_weighted) FROM per WHERE quintile IS NOT NULL GROUP BY year, quintile"
            ).fetchall(),
            2,
        )
    indicators_icb: dict[Any, Median] = {}
    indicators_england: dict[Any, Median] = {}
    published: dict[IndicatorKey, float | None] = {}
    if "practice_indicators" in tables:
        persons = f"coalesce(x.sex, '{PERSONS}') = '{PERSONS}'"
        key = "x.source, x.indicator_id, x.period, x.sex, x.age"
        if latest is not None:
            rows = con.execute(
                f"""
                SELECT {key}, m.icb_code, median(x.value), count(x.value)
                FROM practice_indicators x
                JOIN (SELECT practice_code, icb_code FROM payments WHERE year = ?) m
                  USING (practice_code)
                WHERE {persons} GROUP BY ALL
                """,
                [latest],
            ).fetchall()
            indicators_icb = {
                (tuple(r[:5]), str(r[5])): (_float(r[6]), int(r[7] or 0)) for r in rows
            }
        indicators_england = _medians(
            con.execute(
                f"SELECT {key}, median(x.value), count(x.value) FROM practice_indicators x "
                f"WHERE {persons} GROUP BY ALL"
            ).fetchall(),
            5,
        )
    if "area_indicators" in tables:
        rows = con.execute(
            f"""
            SELECT source, indicator_id, period, sex, age, any_value(value)
            FROM area_indicators
            WHERE area_type = '{ENGLAND_AREA_TYPE}' AND coalesce(category_type, '') = ''
            GROUP BY ALL
            """
        ).fetchall()
        published = {tuple(r[:5]): _float(r[5]) for r in rows}
    return Comparators(
        tables=tables,
        latest_year=latest,
        payments_icb=payments_icb,
        payments_england=payments_england,
        payments_quintile=payments_quintile,
        indicators_icb=indicators_icb,
        indicators_england=indicators_england,
        indicators_published=published,
    )


def practice_payments(
    con: duckdb.DuckDBPyConnection, code: str, comparators: Comparators
) -> tuple[PaymentYear, ...]:
    """The practice's payments per weighted patient in each year it was paid, oldest first,
    beside the medians of its ICB's practices, England's and its national quintile's."""
    if "payments" not in comparators.tables:
        return ()
    rows = practice_rows(con).payments.get(code.strip().upper(), ())
    out = []
    for year, total, per_weighted, icb, quintile in rows:
        icb_median = comparators.payments_icb.get((year, icb), NO_MEDIAN)
        england = comparators.payments_england.get(year, NO_MEDIAN)
        in_quintile = (
            comparators.payments_quintile.get((year, quintile), NO_MEDIAN)
            if quintile is not None
            else NO_MEDIAN
        )
        out.append(
            PaymentYear(
                year=str(year),
                total_payments=None if total is None else Decimal(total),
                per_weighted_patient=_float(per_weighted),
                icb_code=str(icb),
                icb_median=icb_median[0],
                icb_practices=icb_median[1],
                england_median=england[0],
                england_practices=england[1],
                quintile=_int(quintile),
                quintile_median=in_quintile[0],
                quintile_practices=in_quintile[1],
            )
        )
    return tuple(out)


def practice_indicators(
    con: duckdb.DuckDBPyConnection, code: str, icb_code: str, comparators: Comparators
) -> tuple[IndicatorComparison, ...]:
    """Each indicator's latest value for the practice (all persons), beside the median of the
    practices of ``icb_code`` (in the latest payments year), England's practices' median and
    England's published value (Fingertips' England row, where loaded)."""
    if "practice_indicators" not in comparators.tables:
        return ()
    rows = practice_rows(con).indicators.get(code.strip().upper(), ())
    out = []
    for about, value in rows:
        row = (*about, value)
        key: IndicatorKey = (str(row[0]), str(row[1]), str(row[2]), _str(row[3]), _str(row[4]))
        icb = comparators.indicators_icb.get((key, icb_code), NO_MEDIAN)
        england = comparators.indicators_england.get(key, NO_MEDIAN)
        out.append(
            IndicatorComparison(
                source=key[0],
                indicator_id=key[1],
                name=str(row[5] or row[1]),
                period=key[2],
                sex=key[3],
                age=key[4],
                value=_float(row[6]),
                icb_median=icb[0],
                icb_practices=icb[1],
                england_median=england[0],
                england_practices=england[1],
                england_value=comparators.indicators_published.get(key),
            )
        )
    return tuple(out)


@per_version
def practice_profile(
    con: duckdb.DuckDBPyConnection, code: str, comparators: Comparators | None = None
) -> PracticeProfile | None:
    """A practice's profile, or ``None`` if no payments file has the code.

    ``comparators`` are :func:`profile_comparators` of the same warehouse (computed here when
    not given: the figures are the same either way).
    """
    comparators = profile_comparators(con) if comparators is None else comparators
    details = practice_details(con, code, comparators.tables)
    if details is None:
        return None
    return PracticeProfile(
        details=details,
        payments=practice_payments(con, details.code, comparators),
        indicators=practice_indicators(con, details.code, details.icb_code, comparators),
    )


# ---------------------------------------------------------------------------------------------
# ICB profile


def icb_years(
    con: duckdb.DuckDBPyConnection, code: str, icb_map: IcbMap = IcbMap.current
) -> tuple[str, ...]:
    """The payments years in which the ICB has practices, oldest first."""
    if not has_payments(con):
        return ()
    rows = con.execute(
        f"SELECT DISTINCT year FROM {payments_sql(con, icb_map)} p WHERE icb_code = ? "
        "ORDER BY year",
        [code.strip().upper()],
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def icb_practices(
    con: duckdb.DuckDBPyConnection,
    code: str,
    year: str,
    tables: frozenset[str] | None = None,
    icb_map: IcbMap = IcbMap.current,
) -> tuple[IcbPractice, ...]:
    """The ICB's practices in ``year``, by practice code."""
    tables = table_names(con) if tables is None else tables
    if "practice_imd_year" in tables:
        score, imd_join = "i.score", IMD_JOIN
    else:
        score, imd_join = "NULL", ""
    rows = con.execute(
        f"""
        WITH per AS ({_per_practice_sql(tables)})
        SELECT p.practice_code, p.practice_name, p.pcn_name, p.postcode, p.registered_patients,
               p.weighted_patients, {score}, per.quintile, p.dispensing, p.rurality,
               p.total_payments, per.per_weighted
        FROM {payments_sql(con, icb_map)} p
        JOIN per ON per.year = p.year AND per.practice_code = p.practice_code
        {imd_join}
        WHERE p.year = ? AND p.icb_code = ?
        ORDER BY p.practice_code
        """,
        [year, code.strip().upper()],
    ).fetchall()
    return tuple(
        IcbPractice(
            code=str(r[0]),
            name=str(r[1] or r[0]),
            pcn_name=_str(r[2]),
            postcode=_str(r[3]),
            registered_patients=_float(r[4]),
            weighted_patients=_float(r[5]),
            imd_score=_float(r[6]),
            quintile=_int(r[7]),
            dispensing=_str(r[8]),
            rurality=_str(r[9]),
            total_payments=None if r[10] is None else Decimal(r[10]),
            per_weighted_patient=_float(r[11]),
        )
        for r in rows
    )


def quintile_spread(practices: Sequence[IcbPractice]) -> tuple[QuintileShare, ...]:
    """How the practices (and their registered patients) fall into the national quintiles.

    Every practice is counted: those without an IMD score in a row of their own.
    """
    practices_in: dict[int | None, int] = {}
    patients_in: dict[int | None, float] = {}
    for p in practices:
        practices_in[p.quintile] = practices_in.get(p.quintile, 0) + 1
        patients_in[p.quintile] = patients_in.get(p.quintile, 0.0) + (p.registered_patients or 0)
    all_practices = len(practices)
    all_patients = sum(patients_in.values())
    groups: list[int | None] = [*range(1, QUINTILES + 1), None]
    return tuple(
        QuintileShare(
            quintile=q,
            label=rank_label(q) if q is not None else NOT_RANKED,
            practices=practices_in.get(q, 0),
            registered_patients=patients_in.get(q, 0.0),
            share_of_practices=practices_in.get(q, 0) / all_practices if all_practices else None,
            share_of_patients=patients_in.get(q, 0.0) / all_patients if all_patients else None,
        )
        for q in groups
        if q is not None or practices_in.get(None)
    )


def icb_gradient(
    con: duckdb.DuckDBPyConnection, code: str, year: str, icb_map: IcbMap = IcbMap.current
) -> tuple[tuple[GradientRow, ...], float | None, float | None, tuple[str, ...]]:
    """Payments per weighted patient by national quintile, the ICB's and England's, with each
    Q1-Q5 gap: the national analysis's own figures (``payments_by_deprivation``)."""
    try:
        england = payments_by_deprivation(con, year, intervals=False)
        by_icb = payments_by_deprivation(con, year, by=By.icb, icb_map=icb_map, intervals=False)
    except DeprivationMissing as exc:
        return (), None, None, (str(exc),)
    code = code.strip().upper()
    mine = {g.rank: g for g in by_icb.groups if g.group == code}
    national = {g.rank: g for g in england.groups}
    rows = tuple(
        GradientRow(
            quintile=q,
            label=rank_label(q),
            icb_practices=mine[q].practices if q in mine else 0,
            icb_per_weighted_patient=mine[q].per_weighted_patient if q in mine else None,
            england_practices=national[q].practices if q in national else 0,
            england_per_weighted_patient=national[q].per_weighted_patient
            if q in national
            else None,
        )
        for q in range(1, QUINTILES + 1)
    )
    return (
        rows,
        by_icb.gap_q1_minus_q5.get(code),
        england.gap_q1_minus_q5.get("all"),
        england.notes,
    )


@per_version
def icb_profile(
    con: duckdb.DuckDBPyConnection,
    code: str,
    year: str | None = None,
    icb_map: IcbMap = IcbMap.current,
) -> IcbProfile | None:
    """The ICB's profile in ``year`` (default: the latest year it has practices), or ``None``
    when no payments file places a practice in it. A ``year`` it has no practices in gives
    ``None`` too. ``icb_map`` says which ICBs the year's practices are grouped by (today's by
    default: the code of an ICB abolished on 1 April 2026 then has no profile)."""
    code = code.strip().upper()
    tables = table_names(con)
    years = icb_years(con, code, icb_map) if "payments" in tables else ()
    if not years:
        return None
    chosen = year or years[-1]
    if chosen not in years:
        return None
    name_row = con.execute(
        f"SELECT any_value(icb_name) FROM {payments_sql(con, icb_map)} p "
        "WHERE year = ? AND icb_code = ?",
        [chosen, code],
    ).fetchone()
    practices = icb_practices(con, code, chosen, tables, icb_map)
    gradient, icb_gap, england_gap, notes = icb_gradient(con, code, chosen, icb_map)
    name = str(name_row[0]) if name_row and name_row[0] else code
    short = short_names(con).get(code)
    try:
        overview = icb_overview(con, chosen, Icb(code, name, len(practices), icb_map, short))
    except DeprivationMissing:
        overview = None
    return IcbProfile(
        code=code,
        name=name,
        year=chosen,
        years=years,
        practices=practices,
        spread=quintile_spread(practices),
        gradient=gradient,
        icb_gap_q1_minus_q5=icb_gap,
        england_gap_q1_minus_q5=england_gap,
        notes=notes,
        short_name=short,
        icb_map=icb_map,
        icb_map_note=describe_icb_map(con, icb_map),
        maps_differ=_other_map_has(con, code, chosen, icb_map),
        overview=overview,
    )


def _other_map_has(con: duckdb.DuckDBPyConnection, code: str, year: str, icb_map: IcbMap) -> bool:
    """Whether the other ICB map groups the year's practices differently and has this ICB
    that year (Z9B2Z has no 2022/23 of its own; QHM has both)."""
    if not uses_current_map(con, IcbMap.current):
        return False
    other = IcbMap.historic if icb_map is IcbMap.current else IcbMap.current
    return year in icb_years(con, code, other)
