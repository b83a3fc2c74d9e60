"""One ICB's practices by deprivation, against England: the figures of its inequality datapack.

Pure functions over the warehouse, each taking an open DuckDB connection and returning frozen
dataclasses, like :mod:`gpequity.analysis.payments`, whose conventions they keep (see
``docs/payments-analysis.md`` and ``docs/datapacks.md``):

* An ICB's practices in a year are the rows of that year's NHS Payments to General Practice
  file placed in it: by default in the ICBs in force today (the 36 of April 2026, so that
  ``Z9B2Z`` holds the practices of North West and North Central London in 2022/23), or by the
  year's own mapping (``payments.icb_code``) with ``icb_map=historic``
  (:func:`gpequity.warehouse.icbs.payments_sql`).
* Quintiles are the **national** IMD quintiles of the year (``practice_imd_year``): Q1 is the
  least deprived fifth of England's practices, Q5 the most deprived. An ICB can have few
  practices, or none, in a quintile; its figures are then given for what it has.
* Payments per weighted patient by quintile are read from
  :func:`~gpequity.analysis.payments.payments_by_deprivation` itself (``by=icb`` for the ICB, no
  breakdown for England), so a pack's figures are those of ``gpequity payments by-deprivation``.
* Per-patient figures are ratios of sums; excluded practices are counted, with the reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from gpequity.analysis.payment_results import ratio
from gpequity.analysis.payments import (
    QUINTILES,
    By,
    DeprivationGroup,
    DeprivationMissing,
    DeprivationResult,
    Exclusion,
    Total,
    _amount_sql,
    _classified_sql,
    _exclusion_reasons,
    _exclusions,
    _payment_line_cells,
    _published_totals,
    _require_deprivation,
    old_imd_note,
    payments_by_deprivation,
    rank_label,
    resolve_year,
)
from gpequity.errors import GpequityError
from gpequity.tables import has_table
from gpequity.warehouse.cache import per_version
from gpequity.warehouse.icbs import (
    IcbMap,
    IcbResolution,
    payments_sql,
    short_names,
    superseded,
)

#: The payment lines a pack lists: those whose figure per weighted patient differs most from
#: England's.
TOP_PAYMENT_LINES = 10
#: "Practices to look at" are in these national quintiles (the two most deprived fifths).
LOOK_AT_QUINTILES = (4, 5)
#: ... and at most this many of them are listed, least per weighted patient first.
LOOK_AT_LIMIT = 12
#: Indicator groups are ``sum(value * denominator) / sum(denominator)`` when every practice
#: value has a denominator above zero (for a rate or a percentage this is the ratio of sums
#: of counts to denominators); otherwise the plain mean of the practices' values.
WEIGHTED_BY_DENOMINATOR = "denominator"
PLAIN_MEAN = "mean"

_YEAR_START = re.compile(r"(\d{4})")


# ---------------------------------------------------------------------------------------------
# ICBs


class UnknownIcb(GpequityError):
    """An ICB code with no practice in the year's payments file."""

    def __init__(self, given: str, year: str, known: Sequence[str]) -> None:
        self.given = given
        self.year = year
        listed = ", ".join(known) if known else "none"
        super().__init__(f"no ICB '{given}' in the {year} payments file; ICBs: {listed}")


class SupersededIcb(UnknownIcb):
    """The code of an ICB abolished on 1 April 2026, asked for by today's ICBs: names the
    successor(s) (``successors``) so a page can redirect to the one or link each."""

    def __init__(self, given: str, year: str, resolution: IcbResolution) -> None:
        self.given = given
        self.year = year
        self.resolution = resolution
        self.successors = tuple(i.code for i in resolution.current)
        GpequityError.__init__(self, resolution.message)


@dataclass(frozen=True)
class Icb:
    """An Integrated Care Board with practices in a payments year, on the map chosen."""

    code: str
    name: str
    practices: int
    #: Which ICBs the year's practices are grouped by (today's, or the year's own).
    icb_map: IcbMap = IcbMap.current
    #: "Essex ICB": the official short name, for every mention after the first.
    short_name: str | None = None


@per_version
def icbs_in_year(
    con: duckdb.DuckDBPyConnection, year: str, icb_map: IcbMap = IcbMap.current
) -> tuple[Icb, ...]:
    """The ICBs with at least one practice in ``year``'s payments file, by code (read once per
    build of the warehouse: every ICB's pack and profile counts them)."""
    year = resolve_year(con, year)
    rows = con.execute(
        f"SELECT icb_code, min(icb_name), count(*) FROM {payments_sql(con, icb_map)} p "
        "WHERE year = ? GROUP BY icb_code ORDER BY icb_code",
        [year],
    ).fetchall()
    short = short_names(con)
    return tuple(
        Icb(str(code), str(name), int(n), icb_map, short.get(str(code))) for code, name, n in rows
    )


def resolve_icb(
    con: duckdb.DuckDBPyConnection, year: str, code: str, icb_map: IcbMap = IcbMap.current
) -> Icb:
    """The ICB of this code (any case) in ``year``, or :class:`UnknownIcb`
    (:class:`SupersededIcb` for the code of an ICB abolished on 1 April 2026)."""
    icbs = icbs_in_year(con, year, icb_map)
    wanted = code.strip().upper()
    for icb in icbs:
        if icb.code.upper() == wanted:
            return icb
    year = resolve_year(con, year)
    resolution = superseded(con, wanted) if icb_map is IcbMap.current else None
    if resolution is not None:
        raise SupersededIcb(code, year, resolution)
    raise UnknownIcb(code, year, [i.code for i in icbs])


@per_version
def _require_scores(con: duckdb.DuckDBPyConnection, year: str) -> None:
    """Refuse, as the payments analysis does, when no practice has an IMD score for the year
    (the warehouse may hold the table but no scores, when the IMD file was not loaded)."""
    _require_deprivation(con)
    found = con.execute(
        "SELECT count(score) FROM practice_imd_year WHERE year = ?", [year]
    ).fetchone()
    if not found or not found[0]:
        raise DeprivationMissing()


# ---------------------------------------------------------------------------------------------
# Overview: practices and patients by national quintile


@dataclass(frozen=True)
class QuintileShare:
    """Practices and registered patients of one national quintile, in the ICB and England."""

    rank: int
    label: str
    practices: int
    registered_patients: float
    share_of_patients: float | None
    england_practices: int
    england_registered_patients: float
    england_share_of_patients: float | None


@dataclass(frozen=True)
class IcbOverview:
    """How an ICB's practices and patients spread over England's IMD quintiles in a year.

    Shares are of the registered patients of the ranked practices (an IMD score and patients);
    the practices not ranked (no IMD score, or a score and no registered or weighted patients)
    are counted in ``no_score_practices`` (and their patients).
    """

    year: str
    icb: Icb
    groups: tuple[QuintileShare, ...]
    practices: int
    registered_patients: float
    no_score_practices: int
    no_score_patients: float
    england_no_score_practices: int
    #: How many of the ICB's practices have an IMD score older than the newest release
    #: loaded, said as a note; ``None`` when none has.
    old_imd_note: str | None = None

    @property
    def most_deprived(self) -> QuintileShare:
        return self.groups[-1]


def icb_overview(con: duckdb.DuckDBPyConnection, year: str, icb: Icb) -> IcbOverview:
    """Practices and registered patients of the ICB in each national IMD quintile of ``year``."""
    year = resolve_year(con, year)
    _require_scores(con, year)
    rows = con.execute(
        f"""
        SELECT p.icb_code = ? AS in_icb, i.quintile, count(*),
               coalesce(sum(p.registered_patients), 0)
        FROM {payments_sql(con, icb.icb_map)} p
        LEFT JOIN practice_imd_year i ON i.year = p.year AND i.practice_code = p.practice_code
        WHERE p.year = ?
        GROUP BY ALL
        """,
        [icb.code, year],
    ).fetchall()
    counts: dict[tuple[bool, int | None], tuple[int, float]] = {
        (bool(r[0]), None if r[1] is None else int(r[1])): (int(r[2]), float(r[3])) for r in rows
    }

    def get(in_icb: bool, q: int | None) -> tuple[int, float]:
        return counts.get((in_icb, q), (0, 0.0))

    scored = {flag: sum(get(flag, q)[1] for q in range(1, QUINTILES + 1)) for flag in (True, False)}
    england_scored = scored[True] + scored[False]
    groups = []
    for q in range(1, QUINTILES + 1):
        icb_n, icb_patients = get(True, q)
        other_n, other_patients = get(False, q)
        groups.append(
            QuintileShare(
                rank=q,
                label=rank_label(q),
                practices=icb_n,
                registered_patients=icb_patients,
                share_of_patients=ratio(icb_patients, scored[True]),
                england_practices=icb_n + other_n,
                england_registered_patients=icb_patients + other_patients,
                england_share_of_patients=ratio(icb_patients + other_patients, england_scored),
            )
        )
    in_icb = [v for k, v in counts.items() if k[0]]
    return IcbOverview(
        year=year,
        icb=icb,
        groups=tuple(groups),
        practices=sum(n for n, _ in in_icb),
        registered_patients=sum(p for _, p in in_icb),
        no_score_practices=get(True, None)[0],
        no_score_patients=get(True, None)[1],
        england_no_score_practices=get(True, None)[0] + get(False, None)[0],
        old_imd_note=old_imd_note(con, year, icb.code, icb.icb_map),
    )


# ---------------------------------------------------------------------------------------------
# Payments per weighted patient by quintile, ICB against England


def _difference(icb: float | None, england: float | None) -> float | None:
    """The ICB's figure minus England's; ``None`` when either is missing."""
    return None if icb is None or england is None else icb - england


@dataclass(frozen=True)
class QuintileComparison:
    """One national quintile: the ICB's group and England's (``None`` when it has none)."""

    rank: int
    label: str
    icb: DeprivationGroup | None
    england: DeprivationGroup | None

    @property
    def icb_minus_england(self) -> float | None:
        """The ICB's payments per weighted patient minus England's, in this quintile (``None``
        when either has no practice in it)."""
        if self.icb is None or self.england is None:
            return None
        return _difference(self.icb.per_weighted_patient, self.england.per_weighted_patient)


@dataclass(frozen=True)
class PaymentsComparison:
    """Payments per weighted patient by quintile in the ICB and in England, one basis.

    ``icb_result`` and ``england_result`` are the payments analysis's own results, from which
    every figure here is read.
    """

    exclude_prescribing: bool
    rows: tuple[QuintileComparison, ...]
    icb_gap_q1_minus_q5: float | None
    england_gap_q1_minus_q5: float | None
    icb_slope_index: float | None
    england_slope_index: float | None
    icb_concentration_index: float | None
    england_concentration_index: float | None
    icb_per_weighted_patient: float | None
    england_per_weighted_patient: float | None
    icb_result: DeprivationResult
    england_result: DeprivationResult

    @property
    def icb_practices(self) -> int:
        """The ICB's practices in the five quintiles together."""
        return sum(r.icb.practices for r in self.rows if r.icb)

    @property
    def icb_weighted_patients(self) -> float:
        """The ICB's weighted patients in the five quintiles together."""
        return sum(r.icb.weighted_patients for r in self.rows if r.icb)

    @property
    def icb_minus_england(self) -> float | None:
        """The ICB's payments per weighted patient minus England's, all quintiles together."""
        return _difference(self.icb_per_weighted_patient, self.england_per_weighted_patient)


@dataclass(frozen=True)
class IcbPayments:
    """The ICB's payments by deprivation with and without the prescribing and dispensing
    lines, and the ICB's practices each analysis leaves out."""

    year: str
    icb: Icb
    total: Total
    all_payments: PaymentsComparison
    without_dispensing: PaymentsComparison
    excluded: tuple[Exclusion, ...]


def _overall(groups: Sequence[DeprivationGroup]) -> float | None:
    """Payments per weighted patient over several groups: a ratio of sums."""
    payments = sum((g.payments for g in groups), Decimal("0"))
    return ratio(payments, sum(g.weighted_patients for g in groups))


def _comparison(
    con: duckdb.DuckDBPyConnection,
    year: str,
    icb: Icb,
    total: Total,
    exclude: bool,
) -> PaymentsComparison:
    # Both are kept per build of the warehouse: every ICB's pack of a year shares them.
    by_icb = payments_by_deprivation(
        con, year, total=total, exclude_prescribing=exclude, by=By.icb, icb_map=icb.icb_map
    )
    england = payments_by_deprivation(con, year, total=total, exclude_prescribing=exclude)
    rows = tuple(
        QuintileComparison(q, rank_label(q), by_icb.group(q, icb.code), england.group(q))
        for q in range(1, QUINTILES + 1)
    )
    icb_groups = [g for g in by_icb.groups if g.group == icb.code]
    return PaymentsComparison(
        exclude_prescribing=exclude,
        rows=rows,
        icb_gap_q1_minus_q5=by_icb.gap_q1_minus_q5.get(icb.code),
        england_gap_q1_minus_q5=england.gap_q1_minus_q5.get("all"),
        icb_slope_index=by_icb.slope_index.get(icb.code),
        england_slope_index=england.slope_index.get("all"),
        icb_concentration_index=by_icb.concentration_index.get(icb.code),
        england_concentration_index=england.concentration_index.get("all"),
        icb_per_weighted_patient=_overall(icb_groups),
        england_per_weighted_patient=_overall(england.groups),
        icb_result=by_icb,
        england_result=england,
    )


def _icb_exclusions(
    con: duckdb.DuckDBPyConnection, year: str, icb: Icb, total: Total
) -> tuple[Exclusion, ...]:
    amount, _ = _amount_sql(total, False, _published_totals(con), [year])
    source = payments_sql(con, icb.icb_map)
    rows = con.execute(
        f"""
        WITH c AS ({_classified_sql(amount, "quintile", By.icb, [year], source)})
        SELECT excluded_because, count(*), sum(registered_patients), sum(weighted_patients),
               sum(amount)
        FROM c WHERE excluded_because IS NOT NULL AND grp = ? GROUP BY 1
        """,
        [icb.code],
    ).fetchall()
    reasons = _exclusion_reasons(None, total)
    return _exclusions(rows, reasons)


def icb_payments(
    con: duckdb.DuckDBPyConnection,
    year: str,
    icb: Icb,
    *,
    total: Total = Total.core,
) -> IcbPayments:
    """Payments per weighted patient by national quintile in the ICB and England, with and
    without the prescribing- and dispensing-related lines."""
    year = resolve_year(con, year)
    _require_scores(con, year)
    return IcbPayments(
        year=year,
        icb=icb,
        total=total,
        all_payments=_comparison(con, year, icb, total, False),
        without_dispensing=_comparison(con, year, icb, total, True),
        excluded=_icb_exclusions(con, year, icb, total),
    )


# ---------------------------------------------------------------------------------------------
# Payment lines, ICB against England


@dataclass(frozen=True)
class IcbPaymentLine:
    """One payment line per weighted patient: the ICB, England, and the ICB's Q1 and Q5."""

    line: str
    label: str
    line_group: str
    icb_payments: Decimal
    icb_per_weighted_patient: float | None
    england_per_weighted_patient: float | None
    difference: float | None
    icb_q1_per_weighted_patient: float | None
    icb_q5_per_weighted_patient: float | None


@dataclass(frozen=True)
class IcbPaymentLines:
    """Every payment line of the year, the ICB against England, most different first."""

    year: str
    icb: Icb
    lines: tuple[IcbPaymentLine, ...]
    icb_weighted_patients: float
    england_weighted_patients: float

    def top(self, n: int = TOP_PAYMENT_LINES) -> tuple[IcbPaymentLine, ...]:
        return self.lines[:n]


@dataclass(frozen=True)
class _LineCells:
    """A year's payment lines by ICB (of a map) and national quintile: the included practices'
    weighted patients per (ICB, quintile), and each line's amount per (ICB, quintile)."""

    patients: tuple[tuple[str, int, float], ...]
    lines: tuple[tuple[str, str, str, str, int, Decimal], ...]


@per_version
def _line_cells(con: duckdb.DuckDBPyConnection, year: str, icb_map: IcbMap) -> _LineCells:
    """:class:`_LineCells` of ``year``: read once for every ICB's datapack (each pack used to
    read England's lines again to set its own ICB against them)."""
    source = payments_sql(con, icb_map)
    c = f"WITH c AS ({_classified_sql('p.total_payments', 'quintile', By.icb, [year], source)})"
    patients, rows = _payment_line_cells(con, c, year, ("grp", "rank"))
    return _LineCells(
        tuple((str(r[0]), int(r[1]), float(r[2])) for r in patients),
        tuple((str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), Decimal(r[5])) for r in rows),
    )


def icb_payment_lines(con: duckdb.DuckDBPyConnection, year: str, icb: Icb) -> IcbPaymentLines:
    """Every payment line (not the totals) per weighted patient in the ICB and in England.

    As in :func:`~gpequity.analysis.payments.payment_lines_by_deprivation`, the denominators
    are all the weighted patients of the included practices (those with an IMD score and
    patients), whether or not a practice received the line; England's figures are therefore
    that function's. Sorted by the size of the difference, largest first.
    """
    year = resolve_year(con, year)
    _require_scores(con, year)
    cells_of = _line_cells(con, year, icb.icb_map)
    weighted: dict[tuple[bool, int], float] = defaultdict(float)
    for code, rank, patients in cells_of.patients:
        weighted[(code == icb.code, rank)] += patients
    icb_weighted = sum(w for (in_icb, _), w in weighted.items() if in_icb)
    england_weighted = sum(weighted.values())
    amounts: dict[tuple[str, str, str], dict[tuple[bool, int], Decimal]] = defaultdict(dict)
    for line, label, group, code, rank, amount in cells_of.lines:
        cell = amounts[(line, label, group)]
        key = (code == icb.code, rank)
        cell[key] = cell.get(key, Decimal("0")) + amount
    lines = []
    for (line, label, group), cells in amounts.items():
        icb_amount = sum((a for (i, _), a in cells.items() if i), Decimal("0"))
        all_amount = sum(cells.values(), Decimal("0"))
        icb_value = ratio(icb_amount, icb_weighted)
        england_value = ratio(all_amount, england_weighted)

        def in_quintile(q: int, cells: dict[tuple[bool, int], Decimal] = cells) -> float | None:
            return ratio(cells.get((True, q), Decimal("0")), weighted.get((True, q)))

        lines.append(
            IcbPaymentLine(
                line=line,
                label=label,
                line_group=group,
                icb_payments=icb_amount,
                icb_per_weighted_patient=icb_value,
                england_per_weighted_patient=england_value,
                difference=_difference(icb_value, england_value),
                icb_q1_per_weighted_patient=in_quintile(1),
                icb_q5_per_weighted_patient=in_quintile(QUINTILES),
            )
        )
    lines.sort(key=lambda x: (-abs(x.difference or 0.0), x.line))
    return IcbPaymentLines(year, icb, tuple(lines), icb_weighted, england_weighted)


# ---------------------------------------------------------------------------------------------
# Practice-level indicators by quintile, ICB against England


@dataclass(frozen=True)
class IndicatorGroup:
    """An indicator over a group of practices: how many have a value, and the group's value."""

    practices: int
    value: float | None


@dataclass(frozen=True)
class Indicator:
    """An indicator as the warehouse tells one from another: source, id, period, sex and age.

    ``name`` is the publisher's. A practice profile and an ICB datapack compare the same
    indicators, each in its own way (:class:`IndicatorComparison` here and in
    :mod:`gpequity.analysis.profiles`).
    """

    source: str
    indicator_id: str
    name: str
    period: str
    sex: str | None
    age: str | None


@dataclass(frozen=True)
class IndicatorComparison(Indicator):
    """One practice-level indicator, by national quintile, in the ICB and in England.

    ``icb`` and ``england`` hold Q1 to Q5; ``icb_all`` and ``england_all`` every practice with
    a value (with or without an IMD score). ``england_icbs`` is how many ICBs the England
    figures' practices come from (fewer than all when the files loaded cover only some ICBs);
    ``published_england`` the publisher's own England value, when loaded.
    """

    method: str
    icb: tuple[IndicatorGroup, ...]
    england: tuple[IndicatorGroup, ...]
    icb_all: IndicatorGroup
    england_all: IndicatorGroup
    england_icbs: int
    published_england: float | None


@dataclass(frozen=True)
class IcbIndicators:
    """Every practice-level indicator loaded, for the ICB against England.

    ``loaded`` is false when the warehouse has no practice-level indicator at all; ``icbs``
    is how many ICBs the year's payments file has (to tell when an indicator's files cover
    only some of them).
    """

    year: str
    icb: Icb
    loaded: bool
    indicators: tuple[IndicatorComparison, ...]
    icbs: int


def _period_distance(period: str, year: str) -> tuple[int, int]:
    """How far a period is from the financial year (by the year it starts), and earlier first;
    periods with no year sort last."""
    found, wanted = _YEAR_START.search(period), _YEAR_START.search(year)
    if not found or not wanted:
        return (10_000, 0)
    delta = int(found.group(1)) - int(wanted.group(1))
    return (abs(delta), 0 if delta <= 0 else 1)


def choose_period(periods: Sequence[str], year: str) -> str:
    """The period of an indicator to show beside ``year``: the year itself if loaded, else the
    nearest (the earlier of two equally near), so a pack uses one period per indicator."""
    return min(periods, key=lambda p: (*_period_distance(p, year), p))


@dataclass(frozen=True)
class _IndicatorCells:
    """A year's practice-level indicators, summed for every ICB at once: per indicator (in
    :func:`icb_indicators`' order) England's cells per quintile, each ICB's cells per quintile,
    whether it is weighted by its denominators, and its name, spread and published value."""

    keys: tuple[_IndicatorKey, ...]
    names: dict[tuple[str, str], str]
    weighted: dict[_IndicatorKey, bool]
    england: dict[_IndicatorKey, tuple[_Cell, ...]]
    by_icb: dict[tuple[_IndicatorKey, str], tuple[_Cell, ...]]
    spread: dict[tuple[str, str, str | None, str | None], int]
    published: dict[_IndicatorKey, float]


@per_version
def _indicator_cells(
    con: duckdb.DuckDBPyConnection, year: str, icb_map: IcbMap
) -> _IndicatorCells | None:
    """:class:`_IndicatorCells` of ``year`` (``None`` without any practice-level indicator):
    read once for every ICB's datapack (each pack used to sum England's values again)."""
    if not has_table(con, "practice_indicators"):
        return None
    placed = payments_sql(con, icb_map)
    periods: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source, indicator_id, period in con.execute(
        "SELECT DISTINCT source, indicator_id, period FROM practice_indicators "
        "WHERE value IS NOT NULL ORDER BY ALL"
    ).fetchall():
        periods[(str(source), str(indicator_id))].append(str(period))
    if not periods:
        return None
    chosen = [(s, i, choose_period(ps, year)) for (s, i), ps in periods.items()]
    chosen_sql = " UNION ALL ".join("SELECT ?, ?, ?" for _ in chosen)
    chosen_args = [x for row in chosen for x in row]
    values = f"""
        WITH ch(source, id, period) AS ({chosen_sql}),
        v AS (
            SELECT v.source, v.indicator_id, v.period, v.sex, v.age, v.value, v.denominator,
                   i.quintile, p.icb_code,
                   bool_and(coalesce(v.denominator, 0) > 0)
                       OVER (PARTITION BY v.source, v.indicator_id, v.sex, v.age) AS weighted
            FROM practice_indicators v
            JOIN ch ON ch.source = v.source AND ch.id = v.indicator_id AND ch.period = v.period
            LEFT JOIN practice_imd_year i ON i.year = ? AND i.practice_code = v.practice_code
            LEFT JOIN {placed} p ON p.year = ? AND p.practice_code = v.practice_code
            WHERE v.value IS NOT NULL
        )
        SELECT source, indicator_id, period, sex, age, quintile, {{by}}, any_value(weighted),
               count(*), sum(value), sum(value * denominator), sum(denominator)
        FROM v GROUP BY ALL ORDER BY ALL
    """
    args = [*chosen_args, year, year]
    england: dict[_IndicatorKey, list[_Cell]] = defaultdict(list)
    weighted: dict[_IndicatorKey, bool] = {}
    for r in con.execute(values.format(by="NULL"), args).fetchall():
        key = (str(r[0]), str(r[1]), str(r[2]), r[3], r[4])
        quintile = None if r[5] is None else int(r[5])
        england[key].append(
            _Cell(quintile, False, bool(r[7]), int(r[8]), float(r[9]), r[10], r[11])
        )
        weighted[key] = weighted.get(key, True) and bool(r[7])
    by_icb: dict[tuple[_IndicatorKey, str], list[_Cell]] = defaultdict(list)
    for r in con.execute(values.format(by="icb_code"), args).fetchall():
        if r[6] is None:
            continue  # a practice no ICB of the year holds: in England's cells only
        key = (str(r[0]), str(r[1]), str(r[2]), r[3], r[4])
        quintile = None if r[5] is None else int(r[5])
        by_icb[(key, str(r[6]))].append(
            _Cell(quintile, True, bool(r[7]), int(r[8]), float(r[9]), r[10], r[11])
        )
    spread = {
        (str(r[0]), str(r[1]), r[2], r[3]): int(r[4])
        for r in con.execute(
            f"""
            WITH ch(source, id, period) AS ({chosen_sql})
            SELECT v.source, v.indicator_id, v.sex, v.age, count(DISTINCT p.icb_code)
            FROM practice_indicators v
            JOIN ch ON ch.source = v.source AND ch.id = v.indicator_id AND ch.period = v.period
            JOIN {placed} p ON p.year = ? AND p.practice_code = v.practice_code
            WHERE v.value IS NOT NULL GROUP BY ALL
            """,
            [*chosen_args, year],
        ).fetchall()
    }
    names = {
        (str(r[0]), str(r[1])): str(r[2])
        for r in con.execute(
            "SELECT source, indicator_id, max(indicator_name) FROM practice_indicators GROUP BY ALL"
        ).fetchall()
    }
    keys = sorted(england, key=lambda k: (k[0], names.get(k[:2], k[1]).lower(), k))
    return _IndicatorCells(
        keys=tuple(keys),
        names=names,
        weighted=weighted,
        england={k: tuple(v) for k, v in england.items()},
        by_icb={k: tuple(v) for k, v in by_icb.items()},
        spread=spread,
        published=_published_england(con, chosen),
    )


def icb_indicators(con: duckdb.DuckDBPyConnection, year: str, icb: Icb) -> IcbIndicators:
    """Every indicator of ``practice_indicators`` by national quintile, ICB against England.

    Per indicator (source and ID) one period is used (:func:`choose_period`); each sex and age
    of that period is a separate entry. Practices are placed in the ICB and in quintiles by the
    pack's year (its payments file and ``practice_imd_year``), whatever the indicator's period.
    """
    year = resolve_year(con, year)
    _require_scores(con, year)
    icbs = len(icbs_in_year(con, year, icb.icb_map))
    cells = _indicator_cells(con, year, icb.icb_map)
    if cells is None:
        return IcbIndicators(year, icb, False, (), icbs)
    out = []
    for key in cells.keys:
        source, indicator_id, period, sex, age = key
        england = cells.england[key]
        in_icb = cells.by_icb.get((key, icb.code), ())
        weighted = cells.weighted[key]

        def group(cs: Sequence[_Cell], weighted: bool = weighted) -> IndicatorGroup:
            return _indicator_group(cs, weighted)

        def in_quintile(cs: Sequence[_Cell], q: int) -> list[_Cell]:
            return [c for c in cs if c.quintile == q]

        out.append(
            IndicatorComparison(
                source=source,
                indicator_id=indicator_id,
                name=cells.names.get((source, indicator_id), indicator_id),
                period=period,
                sex=sex,
                age=age,
                method=WEIGHTED_BY_DENOMINATOR if weighted else PLAIN_MEAN,
                icb=tuple(group(in_quintile(in_icb, q)) for q in range(1, QUINTILES + 1)),
                england=tuple(group(in_quintile(england, q)) for q in range(1, QUINTILES + 1)),
                icb_all=group(in_icb),
                england_all=group(england),
                england_icbs=cells.spread.get((source, indicator_id, sex, age), 0),
                published_england=cells.published.get(key),
            )
        )
    return IcbIndicators(year, icb, True, tuple(out), icbs)


_IndicatorKey = tuple[str, str, str, str | None, str | None]


@dataclass(frozen=True)
class _Cell:
    """Sums of an indicator's values over the practices of one quintile, in or out of the ICB."""

    quintile: int | None
    in_icb: bool
    weighted: bool
    practices: int
    sum_values: float
    sum_weighted_values: float | None
    sum_denominators: float | None


def _indicator_group(cells: Sequence[_Cell], weighted: bool) -> IndicatorGroup:
    practices = sum(c.practices for c in cells)
    if not practices:
        return IndicatorGroup(0, None)
    if weighted:
        numerator = sum(c.sum_weighted_values or 0.0 for c in cells)
        return IndicatorGroup(
            practices, ratio(numerator, sum(c.sum_denominators or 0.0 for c in cells))
        )
    return IndicatorGroup(practices, sum(c.sum_values for c in cells) / practices)


def _published_england(
    con: duckdb.DuckDBPyConnection, chosen: Sequence[tuple[str, str, str]]
) -> dict[_IndicatorKey, float]:
    """The publisher's England value of each chosen indicator period (its headline row, not a
    breakdown by category), when the file gave one."""
    if not chosen or not has_table(con, "area_indicators"):
        return {}
    chosen_sql = " UNION ALL ".join("SELECT ?, ?, ?" for _ in chosen)
    rows = con.execute(
        f"""
        WITH ch(source, id, period) AS ({chosen_sql})
        SELECT a.source, a.indicator_id, a.period, a.sex, a.age, min(a.value)
        FROM area_indicators a
        JOIN ch ON ch.source = a.source AND ch.id = a.indicator_id AND ch.period = a.period
        WHERE a.area_type = 'England' AND a.category_type IS NULL AND a.value IS NOT NULL
        GROUP BY ALL HAVING count(DISTINCT a.value) = 1
        """,
        [x for row in chosen for x in row],
    ).fetchall()
    return {(str(r[0]), str(r[1]), str(r[2]), r[3], r[4]): float(r[5]) for r in rows}


# ---------------------------------------------------------------------------------------------
# Practices to look at


@dataclass(frozen=True)
class PracticeToLookAt:
    """A practice in a more deprived national fifth that receives less than its ICB."""

    practice_code: str
    practice_name: str | None
    dispensing: str | None
    imd_score: float
    quintile: int
    registered_patients: float
    weighted_patients: float
    per_weighted_patient: float | None
    per_weighted_patient_without_dispensing: float | None
    below_icb: float | None


@dataclass(frozen=True)
class PracticesToLookAt:
    """The ICB's practices in England's most deprived fifths that receive least per weighted
    patient, compared without the prescribing and dispensing lines.

    ``icb_per_weighted_patient_without_dispensing`` is the benchmark: the ICB's payments per
    weighted patient (a ratio of sums over its included practices) on the same basis.
    ``candidates`` counts the ICB's practices in :data:`LOOK_AT_QUINTILES`; ``below`` those of
    them below the benchmark, of which at most ``limit`` are listed.
    """

    year: str
    icb: Icb
    total: Total
    quintiles: tuple[int, ...]
    limit: int
    icb_per_weighted_patient_without_dispensing: float | None
    candidates: int
    below: int
    practices: tuple[PracticeToLookAt, ...]


def practices_to_look_at(
    con: duckdb.DuckDBPyConnection,
    year: str,
    icb: Icb,
    *,
    total: Total = Total.core,
    quintiles: Sequence[int] = LOOK_AT_QUINTILES,
    limit: int = LOOK_AT_LIMIT,
) -> PracticesToLookAt:
    """The ICB's practices in the national ``quintiles`` that receive less per weighted patient
    than the ICB as a whole, least first, without the prescribing- and dispensing-related
    lines (so that dispensing income, which the more deprived practices rarely have, does not
    decide the list). Practices with no IMD score or no patients cannot be placed and are left
    out, as in the payments analysis.
    """
    year = resolve_year(con, year)
    _require_scores(con, year)
    published = _published_totals(con)
    core, _ = _amount_sql(total, False, published, [year])
    without, _ = _amount_sql(total, True, published, [year])
    classified = _classified_sql(
        without, "quintile", By.icb, [year], payments_sql(con, icb.icb_map)
    )
    wanted = ", ".join(str(int(q)) for q in quintiles)
    rows = con.execute(
        f"""
        WITH c AS ({classified}),
        core AS (
            SELECT p.practice_code, {core} AS amount FROM payments p WHERE p.year = ?
        ),
        mine AS (
            SELECT c.*, core.amount AS core_amount, p.practice_name, p.dispensing
            FROM c JOIN core USING (practice_code)
            JOIN payments p ON p.year = c.year AND p.practice_code = c.practice_code
            WHERE c.grp = ? AND c.excluded_because IS NULL
        ),
        benchmark AS (SELECT sum(amount) / sum(weighted_patients) AS value FROM mine)
        SELECT practice_code, practice_name, dispensing, score, quintile, registered_patients,
               weighted_patients, core_amount / weighted_patients, amount / weighted_patients,
               (SELECT value FROM benchmark)
        FROM mine WHERE quintile IN ({wanted})
        ORDER BY amount / weighted_patients, practice_code
        """,
        [year, icb.code],
    ).fetchall()
    benchmark = rows[0][9] if rows else None
    if benchmark is None:
        one = con.execute(
            f"""
            WITH c AS ({classified})
            SELECT sum(amount) / sum(weighted_patients) FROM c
            WHERE grp = ? AND excluded_because IS NULL
            """,
            [icb.code],
        ).fetchone()
        benchmark = one[0] if one else None
    below = [
        PracticeToLookAt(
            practice_code=str(r[0]),
            practice_name=None if r[1] is None else str(r[1]),
            dispensing=None if r[2] is None else str(r[2]),
            imd_score=float(r[3]),
            quintile=int(r[4]),
            registered_patients=float(r[5]),
            weighted_patients=float(r[6]),
            per_weighted_patient=None if r[7] is None else float(r[7]),
            per_weighted_patient_without_dispensing=None if r[8] is None else float(r[8]),
            below_icb=None if r[8] is None or benchmark is None else float(benchmark) - float(r[8]),
        )
        for r in rows
        if benchmark is not None and r[8] is not None and float(r[8]) < float(benchmark)
    ]
    return PracticesToLookAt(
        year=year,
        icb=icb,
        total=total,
        quintiles=tuple(quintiles),
        limit=limit,
        icb_per_weighted_patient_without_dispensing=(
            None if benchmark is None else float(benchmark)
        ),
        candidates=len(rows),
        below=len(below),
        practices=tuple(below[:limit]),
    )


# ---------------------------------------------------------------------------------------------
# Where the figures come from


@dataclass(frozen=True)
class LoadedDataset:
    """One dataset of the warehouse as its ``sources`` table records it."""

    dataset: str
    periods: tuple[str, ...]
    files: int
    rows_loaded: int


@dataclass(frozen=True)
class Provenance:
    """What the warehouse says of itself: synthetic or real, when built, from which files."""

    synthetic: bool
    built_at: str | None
    datasets: tuple[LoadedDataset, ...]


def warehouse_provenance(con: duckdb.DuckDBPyConnection) -> Provenance:
    """The warehouse's ``meta`` and its ``sources`` by dataset (periods oldest first)."""
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    rows = con.execute(
        "SELECT dataset, list(DISTINCT period ORDER BY period) FILTER (WHERE period IS NOT NULL), "
        "count(*), sum(rows_loaded) FROM sources GROUP BY dataset ORDER BY dataset"
    ).fetchall()
    return Provenance(
        synthetic=meta.get("synthetic") == "true",
        built_at=meta.get("built_at"),
        datasets=tuple(
            LoadedDataset(str(r[0]), tuple(str(p) for p in (r[1] or [])), int(r[2]), int(r[3]))
            for r in rows
        ),
    )


def imd_methods(con: duckdb.DuckDBPyConnection, year: str) -> tuple[str, ...]:
    """How the year's practice IMD scores were derived (``practice_imd_year.method``)."""
    if not has_table(con, "practice_imd_year"):
        return ()
    rows = con.execute(
        "SELECT DISTINCT method FROM practice_imd_year WHERE year = ? AND score IS NOT NULL "
        "ORDER BY 1",
        [year],
    ).fetchall()
    return tuple(str(r[0]) for r in rows)
