"""Three measures for every ICB of today, side by side: the figures of the England map of ICBs.

For one payments year (the latest loaded, unless asked), each ICB of the current map
(:func:`gpequity.warehouse.icbs.payments_sql`: the 36 of April 2026 when they are loaded) has:

* **the Q1−Q5 gap**: payments per weighted patient of its practices in England's least deprived
  fifth minus those in the most deprived fifth, the quintiles being the **national** ones. It is
  read from :func:`~gpequity.analysis.payments.payments_by_deprivation` with ``by=icb``, the
  very figure the ICB's datapack and profile show (``icb_gap_q1_minus_q5``);
* **payments per weighted patient**: the ICB's ranked practices together, a ratio of sums (the
  datapack's ``icb_per_weighted_patient``);
* **the mean IMD score**: the practices' IMD scores weighted by their registered patients, so
  the deprivation of the ICB's average patient (practices with no score or no patients are left
  out, as from the quintiles).

England's three figures are given beside them. The map colours the ICBs in classes:
:func:`quantile_breaks` (five classes of about equal numbers of ICBs, for a sequential palette)
and :func:`diverging_breaks` (classes symmetric about nought, for the gap, whose sign matters).
Everything is computed once per build of the warehouse (:func:`icb_measures` is
:func:`~gpequity.warehouse.cache.per_version`) from results the datapacks already keep.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

import duckdb

from gpequity.analysis.icb import Icb, icbs_in_year
from gpequity.analysis.payment_results import ratio
from gpequity.analysis.payments import (
    ALL,
    By,
    _require_deprivation,
    payments_by_deprivation,
    resolve_year,
)
from gpequity.warehouse.cache import per_version
from gpequity.warehouse.icbs import IcbMap, describe_icb_map, payments_sql

#: England's ONS code, the code of its row.
ENGLAND_CODE = "E92000001"
#: How many colour classes the map shows.
CLASSES = 5
#: The share of the ICBs inside the outer edge of a diverging scale (nearest rank).
DIVERGING_REACH = 0.9


class Measure(StrEnum):
    """A measure the map can be coloured by (its value in the page's ``?measure=``)."""

    gap = "gap"
    per_weighted = "per-weighted"
    imd = "imd"

    @property
    def label(self) -> str:
        """The measure's name, as a heading and a legend say it."""
        match self:
            case Measure.gap:
                return "Q1−Q5 gap in payments per weighted patient"
            case Measure.per_weighted:
                return "Payments per weighted patient"
        return "Mean IMD score of registered patients"


#: Each measure's name, as a heading and a legend say it.
MEASURE_NAMES = {measure: measure.label for measure in Measure}

#: Which measures are coloured on a diverging scale about nought (their sign is the point).
DIVERGING = frozenset({Measure.gap})


@dataclass(frozen=True)
class IcbMeasure:
    """One ICB (or England) and its three figures (``None`` where it has no practice to
    measure)."""

    icb: Icb
    gap_q1_minus_q5: float | None
    per_weighted_patient: float | None
    mean_imd_score: float | None

    @property
    def code(self) -> str:
        return self.icb.code

    @property
    def name(self) -> str:
        return self.icb.name

    @property
    def short_name(self) -> str | None:
        return self.icb.short_name

    @property
    def practices(self) -> int:
        return self.icb.practices

    def value(self, measure: Measure) -> float | None:
        return {
            Measure.gap: self.gap_q1_minus_q5,
            Measure.per_weighted: self.per_weighted_patient,
            Measure.imd: self.mean_imd_score,
        }[measure]


class IcbMeasures(NamedTuple):
    """Every ICB's measures in one year, by code, with England's."""

    year: str
    icbs: tuple[IcbMeasure, ...]
    england: IcbMeasure
    #: Which ICBs the year's practices are grouped by (today's), as a sentence.
    icb_map_note: str

    def of(self, code: str) -> IcbMeasure | None:
        for icb in self.icbs:
            if icb.code == code:
                return icb
        return None

    def breaks(self, measure: Measure, classes: int = CLASSES) -> tuple[float, ...]:
        """The class breaks of ``measure`` over the ICBs (see :func:`class_of`)."""
        values = [v for icb in self.icbs if (v := icb.value(measure)) is not None]
        if measure in DIVERGING:
            return diverging_breaks(values, classes)
        return quantile_breaks(values, classes)


def _mean_imd_scores(
    con: duckdb.DuckDBPyConnection, year: str
) -> tuple[dict[str, float], float | None]:
    """Each ICB's and England's patient-weighted mean practice IMD score in ``year``."""
    rows = con.execute(
        f"""
        SELECT p.icb_code, sum(i.score * p.registered_patients), sum(p.registered_patients)
        FROM {payments_sql(con, IcbMap.current)} p
        JOIN practice_imd_year i ON i.year = p.year AND i.practice_code = p.practice_code
        WHERE p.year = ? AND i.score IS NOT NULL AND p.registered_patients > 0
        GROUP BY ROLLUP (p.icb_code)
        """,
        [year],
    ).fetchall()
    by_icb: dict[str, float] = {}
    england = None
    for code, weighted_sum, patients in rows:
        mean = ratio(weighted_sum, patients)
        if code is None:
            england = mean
        elif mean is not None:
            by_icb[str(code)] = mean
    return by_icb, england


def _per_weighted(payments: Sequence[Decimal], weighted: Sequence[float]) -> float | None:
    return ratio(sum(payments, Decimal("0")), sum(weighted))


@per_version
def icb_measures(con: duckdb.DuckDBPyConnection, year: str | None = None) -> IcbMeasures:
    """The Q1−Q5 gap, payments per weighted patient and mean IMD score of every ICB of today
    in ``year`` (default: the latest loaded), and England's.

    Raises :class:`~gpequity.analysis.payments.DeprivationMissing` without IMD scores.
    """
    year = resolve_year(con, year)
    _require_deprivation(con)
    by_icb = payments_by_deprivation(con, year, by=By.icb, icb_map=IcbMap.current, intervals=False)
    england = payments_by_deprivation(con, year, intervals=False)
    imd, england_imd = _mean_imd_scores(con, year)
    icbs = []
    for icb in icbs_in_year(con, year, IcbMap.current):
        groups = [g for g in by_icb.groups if g.group == icb.code]
        icbs.append(
            IcbMeasure(
                icb=icb,
                gap_q1_minus_q5=by_icb.gap_q1_minus_q5.get(icb.code),
                per_weighted_patient=_per_weighted(
                    [g.payments for g in groups], [g.weighted_patients for g in groups]
                ),
                mean_imd_score=imd.get(icb.code),
            )
        )
    return IcbMeasures(
        year=year,
        icbs=tuple(icbs),
        england=IcbMeasure(
            icb=Icb(ENGLAND_CODE, "England", sum(i.practices for i in icbs), short_name="England"),
            gap_q1_minus_q5=england.gap_q1_minus_q5.get(ALL),
            per_weighted_patient=_per_weighted(
                [g.payments for g in england.groups], [g.weighted_patients for g in england.groups]
            ),
            mean_imd_score=england_imd,
        ),
        icb_map_note=describe_icb_map(con, IcbMap.current),
    )


# ---------------------------------------------------------------------------------------------
# Colour classes


def quantile_breaks(values: Sequence[float], classes: int = CLASSES) -> tuple[float, ...]:
    """The ``classes - 1`` inner breaks cutting ``values`` into classes of about equal numbers
    (nearest rank), without repeats: fewer classes when the values do not spread over as many.

    A value equal to a break is in the class above it (:func:`class_of`)."""
    ordered = sorted(values)
    if not ordered:
        return ()
    breaks: list[float] = []
    for k in range(1, classes):
        cut = ordered[min(len(ordered) - 1, math.ceil(k * len(ordered) / classes))]
        if cut > ordered[0] and (not breaks or cut > breaks[-1]):
            breaks.append(cut)
    return tuple(breaks)


def diverging_breaks(values: Sequence[float], classes: int = CLASSES) -> tuple[float, ...]:
    """Inner breaks symmetric about nought for an odd number of ``classes``: the middle class
    holds the values nearest nought, the classes below it the negatives and above it the
    positives, each the same width.

    The scale reaches the :data:`DIVERGING_REACH` quantile of the values' sizes, not the
    largest: one ICB with few practices in a fifth can have a gap ten times the others', and
    would leave them all in the middle class; the values beyond are in the outer classes."""
    if classes % 2 == 0:
        raise ValueError("a diverging scale needs an odd number of classes")
    sizes = sorted(abs(v) for v in values)
    reach = sizes[min(len(sizes) - 1, math.ceil(DIVERGING_REACH * len(sizes)) - 1)] if sizes else 0
    # All nought (or none): any width puts them in the middle class.
    width = 2 * (reach or 1.0) / classes
    half = classes // 2
    return tuple(width * (k + 0.5) for k in range(-half, half))


def class_of(value: float, breaks: Sequence[float]) -> int:
    """The class (0 = lowest) of ``value``: how many breaks it is at or above."""
    return sum(1 for b in breaks if value >= b)
