"""Figures derived from an allocation's own: what the pages, the CLI and the API explain with.

The engine (:mod:`gpequity.allocation.engine`) gives each practice's money, the quintile and
PCN summaries and the concentration index. The few figures derived from those (a baseline per
patient, how much a component's money varies per patient, which quintile is the most deprived,
the eFIT classic flaw) are each computed here once, exactly (``Decimal``), so that they read the
same wherever they are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gpequity.allocation.models import (
    AllocationResult,
    ComponentKind,
    ComponentPot,
    Direction,
    Method,
    PracticeAllocation,
    QuintileSummary,
)
from gpequity.intervals import EquityIntervals, bootstrap_equity

#: Money per patient is given to four decimal places (the engine's own rounding of it).
PER_PATIENT_PLACES = Decimal("0.0001")
#: A component whose money per patient varies by less than this (5%) between the practices it
#: favours most and least "barely moves money": the eFIT classic flaw on lower-is-more-need
#: indicators (``1 − x / Σx`` is almost the same for every practice of a large ICB).
BARELY_MOVES = Decimal("0.05")


def baseline_per_patient(practice: PracticeAllocation) -> Decimal | None:
    """The practice's baseline over its target population, to the engine's four places."""
    if practice.target_population <= 0:
        return None
    return (practice.baseline / Decimal(str(practice.target_population))).quantize(
        PER_PATIENT_PLACES, ROUND_HALF_UP
    )


def component_spread(result: AllocationResult, component_id: str) -> Decimal | None:
    """How much more per patient a component gives the practice it favours most than the one
    it favours least, as a fraction (0.003 = 0.3% more); ``None`` when it cannot be said.

    Practices with no share of the component (a missing value, no patients) are left out.
    """
    index = next((i for i, pot in enumerate(result.pots) if pot.id == component_id), None)
    if index is None:
        return None
    per_patient = [
        p.components[index].part / Decimal(str(p.target_population))
        for p in result.practices
        if p.target_population > 0 and p.components[index].part > 0
    ]
    if len(per_patient) < 2 or min(per_patient) <= 0:
        return None
    return max(per_patient) / min(per_patient) - 1


def ranked_quintiles(quintiles: Sequence[QuintileSummary]) -> list[QuintileSummary]:
    """The quintiles that have practices with an IMD score, least deprived first."""
    ranked = [q for q in quintiles if q.quintile is not None and q.practices > 0]
    return sorted(ranked, key=lambda q: q.quintile or 0)


def most_deprived_quintile(quintiles: Sequence[QuintileSummary]) -> QuintileSummary | None:
    """The most deprived quintile that has practices (Q5 if any); ``None``: no IMD scores."""
    ranked = ranked_quintiles(quintiles)
    return ranked[-1] if ranked else None


def least_deprived_quintile(quintiles: Sequence[QuintileSummary]) -> QuintileSummary | None:
    """The least deprived quintile that has practices (Q1 if any); ``None``: no IMD scores."""
    ranked = ranked_quintiles(quintiles)
    return ranked[0] if ranked else None


def quintile_of(quintiles: Sequence[QuintileSummary], number: int | None) -> QuintileSummary | None:
    """The summary of quintile ``number`` (``None``: the practices without an IMD score)."""
    return next((q for q in quintiles if q.quintile == number), None)


def allocation_intervals(result: AllocationResult) -> EquityIntervals:
    """Bootstrap confidence intervals (:mod:`gpequity.intervals`, 95%) of the allocation's
    figures by IMD quintile: each quintile's allocation per target patient and share of the
    money, the gap Q1 minus Q5 per target patient, the slope index and the concentration index,
    over the practices with an IMD score and a target population (those the concentration index
    is computed over), resampled within their quintiles."""
    ranked = [
        p
        for p in result.practices
        if p.imd_score is not None and p.imd_quintile is not None and p.target_population > 0
    ]
    return bootstrap_equity(
        [p.allocation for p in ranked],
        [p.target_population for p in ranked],
        [p.imd_score for p in ranked if p.imd_score is not None],
        [p.imd_quintile for p in ranked if p.imd_quintile is not None],
    )


def money_shares(quintiles: Sequence[QuintileSummary]) -> dict[int | None, Decimal]:
    """Each quintile's share of the money, by quintile number (``None``: no IMD score)."""
    return {q.quintile: q.money_share for q in quintiles}


@dataclass(frozen=True, slots=True)
class BarelyMoving:
    """An eFIT classic component on a lower-is-more-need indicator that barely moves money.

    ``spread`` is :func:`component_spread` of the component (under :data:`BARELY_MOVES`).
    """

    pot: ComponentPot
    spread: Decimal


def barely_moving_components(result: AllocationResult) -> tuple[BarelyMoving, ...]:
    """The components of an eFIT classic allocation that show the published formula's flaw.

    A lower-is-more-need indicator whose money per patient varies by less than
    :data:`BARELY_MOVES` across practices; nothing for the recommended method.
    """
    if result.request.method != Method.EFIT_CLASSIC:
        return ()
    out = []
    for pot in result.pots:
        if pot.kind != ComponentKind.INDICATOR or pot.direction != Direction.LOWER:
            continue
        spread = component_spread(result, pot.id)
        if spread is not None and spread < BARELY_MOVES:
            out.append(BarelyMoving(pot, spread))
    return tuple(out)


# --- the headline: who gains and who loses against the baseline ---------------------------------


@dataclass(frozen=True, slots=True)
class GainsAndLosses:
    """How a group of practices fares against the baseline split.

    ``gaining`` practices get more than their baseline, ``losing`` less, ``level`` the same to
    the penny; ``difference`` is the group's allocation minus its baseline (pounds, exact), and
    ``largest_gain`` / ``largest_loss`` the biggest single differences (``None``: nobody).
    """

    label: str
    quintile: int | None
    practices: int
    gaining: int
    losing: int
    level: int
    allocation: Decimal
    baseline: Decimal
    difference: Decimal
    largest_gain: PracticeAllocation | None
    largest_loss: PracticeAllocation | None


@dataclass(frozen=True, slots=True)
class Headline:
    """The decision at a glance: the pool as a whole, then each IMD quintile that has practices
    (least deprived first, the practices without an IMD score last)."""

    overall: GainsAndLosses
    quintiles: tuple[GainsAndLosses, ...]


def gains_and_losses(
    label: str, quintile: int | None, practices: Sequence[PracticeAllocation]
) -> GainsAndLosses:
    """How ``practices`` fare against the baseline (see :class:`GainsAndLosses`)."""
    gaining = [p for p in practices if p.difference > 0]
    losing = [p for p in practices if p.difference < 0]
    return GainsAndLosses(
        label=label,
        quintile=quintile,
        practices=len(practices),
        gaining=len(gaining),
        losing=len(losing),
        level=len(practices) - len(gaining) - len(losing),
        allocation=sum((p.allocation for p in practices), Decimal(0)),
        baseline=sum((p.baseline for p in practices), Decimal(0)),
        difference=sum((p.difference for p in practices), Decimal(0)),
        largest_gain=max(gaining, key=lambda p: (p.difference, p.code), default=None),
        largest_loss=min(losing, key=lambda p: (p.difference, p.code), default=None),
    )


def headline(result: AllocationResult) -> Headline:
    """Who gains and who loses against the baseline, overall and by IMD quintile."""
    groups = []
    ordered = sorted(
        (q for q in result.quintiles if q.practices > 0),
        key=lambda q: (q.quintile is None, q.quintile or 0),
    )
    for summary in ordered:
        members = [p for p in result.practices if p.imd_quintile == summary.quintile]
        groups.append(gains_and_losses(summary.label, summary.quintile, members))
    return Headline(gains_and_losses("All practices", None, result.practices), tuple(groups))
