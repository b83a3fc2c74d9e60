"""Two allocations side by side: what B gives each practice and each quintile against A.

Both scenarios go through the same service (:func:`~gpequity.allocation.catalogue.
allocate_scenario`); this module only lines their figures up and takes differences, exactly
(``Decimal``). A practice in one scenario's pool and not the other's (left out, no patients of
the target population) counts as getting £0 there, so every difference is B − A of the money
actually paid. The web's compare page, ``gpequity compare`` and the API all show a
:class:`Comparison`; :func:`comparison_as_dict` is its JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from gpequity.allocation.measures import (
    barely_moving_components,
    component_spread,
    most_deprived_quintile,
    quintile_of,
)
from gpequity.allocation.models import (
    AllocationResult,
    ComponentPot,
    Method,
    PracticeAllocation,
)
from gpequity.allocation.scenario import (
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
    json_number,
    outcome_as_dict,
)
from gpequity.allocation.upload import UploadedColumn

#: Why a practice has no allocation in a scenario, when the engine gives no reason of its own.
NOT_IN_POOL = "not in the pool"
#: The two scenarios' names, in order.
LABELS = ("A", "B")


@dataclass(frozen=True, slots=True)
class PracticeChange:
    """One practice under A and B. ``allocation_a`` ``None``: A gives it nothing (``reason_a``
    says why); ``difference`` is B − A, nothing counting as £0."""

    code: str
    name: str
    imd_score: float | None
    imd_quintile: int | None
    allocation_a: Decimal | None
    allocation_b: Decimal | None
    difference: Decimal
    per_patient_a: Decimal | None
    per_patient_b: Decimal | None
    reason_a: str | None
    reason_b: str | None

    @property
    def money_a(self) -> Decimal:
        """What A pays the practice (£0 when it gives it nothing)."""
        return Decimal(0) if self.allocation_a is None else self.allocation_a

    @property
    def money_b(self) -> Decimal:
        """What B pays the practice (£0 when it gives it nothing)."""
        return Decimal(0) if self.allocation_b is None else self.allocation_b


@dataclass(frozen=True, slots=True)
class QuintileChange:
    """One IMD quintile (``quintile`` ``None``: no IMD score) under A and B; B's figures are
    ``None`` when B has no such group. ``change`` is B's share of the money minus A's."""

    quintile: int | None
    label: str
    population_share_a: Decimal
    population_share_b: Decimal | None
    money_share_a: Decimal
    money_share_b: Decimal | None
    change: Decimal | None
    per_patient_a: Decimal | None
    per_patient_b: Decimal | None


@dataclass(frozen=True, slots=True)
class ClassicFlaw:
    """An eFIT classic component that barely moves money (scenario ``label``); with the same
    component's spread under a recommended scenario of the comparison, when there is one."""

    label: str
    pot: ComponentPot
    spread: Decimal
    recommended_label: str | None
    recommended_spread: Decimal | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """Scenario B against scenario A: per practice, per quintile, and the summary figures.

    ``practices`` is in practice-code order; ``gains`` and ``losses`` are the codes of the
    practices B gives more and less; ``largest`` the practice with the largest change (``None``
    when nothing changes); ``most_deprived`` A's most deprived quintile with B's figures.
    ``same_patients``: every quintile has the same share of the patients in both.
    """

    a: ScenarioOutcome
    b: ScenarioOutcome
    practices: tuple[PracticeChange, ...]
    quintiles: tuple[QuintileChange, ...]
    gains: tuple[str, ...]
    losses: tuple[str, ...]
    largest: PracticeChange | None
    most_deprived: QuintileChange | None
    same_patients: bool
    flaws: tuple[ClassicFlaw, ...]


def _by_code(result: AllocationResult) -> dict[str, PracticeAllocation]:
    return {p.code: p for p in result.practices}


def compare_practices(a: AllocationResult, b: AllocationResult) -> tuple[PracticeChange, ...]:
    """Each practice of either pool under A and B, and the difference (B − A)."""
    by_a, by_b = _by_code(a), _by_code(b)
    reasons = {e.code: e.reason for e in (*a.excluded, *b.excluded)}
    out = []
    for code in sorted(set(by_a) | set(by_b)):
        pa, pb = by_a.get(code), by_b.get(code)
        known = pa or pb
        assert known is not None  # the code is in one of the two pools
        money_a = pa.allocation if pa else Decimal(0)
        money_b = pb.allocation if pb else Decimal(0)
        out.append(
            PracticeChange(
                code=code,
                name=known.name,
                imd_score=known.imd_score,
                imd_quintile=known.imd_quintile,
                allocation_a=pa.allocation if pa else None,
                allocation_b=pb.allocation if pb else None,
                difference=money_b - money_a,
                per_patient_a=pa.allocation_per_patient if pa else None,
                per_patient_b=pb.allocation_per_patient if pb else None,
                reason_a=None if pa else reasons.get(code, NOT_IN_POOL),
                reason_b=None if pb else reasons.get(code, NOT_IN_POOL),
            )
        )
    return tuple(out)


def compare_quintiles(a: AllocationResult, b: AllocationResult) -> tuple[QuintileChange, ...]:
    """Each of A's quintile groups under A and B: shares of patients and money, the change."""
    out = []
    for q in a.quintiles:
        other = quintile_of(b.quintiles, q.quintile)
        out.append(
            QuintileChange(
                quintile=q.quintile,
                label=q.label,
                population_share_a=q.population_share,
                population_share_b=None if other is None else other.population_share,
                money_share_a=q.money_share,
                money_share_b=None if other is None else other.money_share,
                change=None if other is None else other.money_share - q.money_share,
                per_patient_a=q.allocation_per_patient,
                per_patient_b=None if other is None else other.allocation_per_patient,
            )
        )
    return tuple(out)


def classic_flaws(outcomes: Sequence[tuple[str, ScenarioOutcome]]) -> tuple[ClassicFlaw, ...]:
    """The eFIT classic components that barely move money, each with the same component's
    spread under the first recommended scenario that has it."""
    out = []
    for label, outcome in outcomes:
        for moving in barely_moving_components(outcome.result):
            found: tuple[str, Decimal] | None = None
            for other_label, other in outcomes:
                if other.result.request.method != Method.RECOMMENDED:
                    continue
                spread = component_spread(other.result, moving.pot.id)
                if spread is not None:
                    found = (other_label, spread)
                    break
            out.append(
                ClassicFlaw(
                    label=label,
                    pot=moving.pot,
                    spread=moving.spread,
                    recommended_label=None if found is None else found[0],
                    recommended_spread=None if found is None else found[1],
                )
            )
    return tuple(out)


def _largest(practices: Sequence[PracticeChange]) -> PracticeChange | None:
    # Ties go to the first practice code: the same answer every time.
    if not practices:
        return None
    biggest = max(practices, key=lambda p: abs(p.difference))
    return None if biggest.difference == 0 else biggest


def compare_outcomes(a: ScenarioOutcome, b: ScenarioOutcome) -> Comparison:
    """Scenario B against scenario A, from their outcomes."""
    practices = compare_practices(a.result, b.result)
    quintiles = compare_quintiles(a.result, b.result)
    top = most_deprived_quintile(a.result.quintiles)
    most_deprived = None
    if top is not None:
        most_deprived = next(
            (q for q in quintiles if q.quintile == top.quintile and q.money_share_b is not None),
            None,
        )
    return Comparison(
        a=a,
        b=b,
        practices=practices,
        quintiles=quintiles,
        gains=tuple(p.code for p in practices if p.difference > 0),
        losses=tuple(p.code for p in practices if p.difference < 0),
        largest=_largest(practices),
        most_deprived=most_deprived,
        same_patients=all(q.population_share_b == q.population_share_a for q in quintiles),
        flaws=classic_flaws(list(zip(LABELS, (a, b), strict=True))),
    )


def compare_scenarios(
    con: duckdb.DuckDBPyConnection,
    a: Scenario,
    b: Scenario,
    uploaded: Sequence[UploadedColumn] = (),
) -> Comparison:
    """Allocate both scenarios and compare them (B against A).

    Raises :class:`~gpequity.allocation.AllocationInputError` for the first scenario with
    problems, as :func:`~gpequity.allocation.scenario.allocate_scenario` does.
    """
    return compare_outcomes(
        allocate_scenario(con, a, uploaded), allocate_scenario(con, b, uploaded)
    )


# --- as data ----------------------------------------------------------------------------------


def _practice_dict(p: PracticeChange) -> dict[str, Any]:
    return {
        "practice_code": p.code,
        "practice_name": p.name,
        "imd_score": p.imd_score,
        "imd_quintile": p.imd_quintile,
        "allocation_a": json_number(p.allocation_a),
        "allocation_b": json_number(p.allocation_b),
        "difference": json_number(p.difference),
        "allocation_per_patient_a": json_number(p.per_patient_a),
        "allocation_per_patient_b": json_number(p.per_patient_b),
        "reason_a": p.reason_a,
        "reason_b": p.reason_b,
    }


def _quintile_dict(q: QuintileChange) -> dict[str, Any]:
    return {
        "quintile": q.quintile,
        "label": q.label,
        "population_share_a": json_number(q.population_share_a),
        "population_share_b": json_number(q.population_share_b),
        "money_share_a": json_number(q.money_share_a),
        "money_share_b": json_number(q.money_share_b),
        "change": json_number(q.change),
        "allocation_per_patient_a": json_number(q.per_patient_a),
        "allocation_per_patient_b": json_number(q.per_patient_b),
    }


def comparison_as_dict(comparison: Comparison) -> dict[str, Any]:
    """The comparison as JSON data (the CLI's ``--format json``, the API's answer).

    ``{"a", "b"}`` are each scenario's :func:`~gpequity.allocation.scenario.outcome_as_dict`;
    ``practices`` and ``by_quintile`` line them up (``difference`` and ``change`` are B − A);
    ``summary`` holds the figures the page's sentences give. Money in pounds, shares as
    fractions of 1.
    """
    largest = comparison.largest
    flaws = [
        {
            "scenario": f.label,
            "component": f.pot.id,
            "name": f.pot.name,
            "spread": json_number(f.spread),
            "recommended_scenario": f.recommended_label,
            "recommended_spread": json_number(f.recommended_spread),
        }
        for f in comparison.flaws
    ]
    return {
        "a": outcome_as_dict(comparison.a),
        "b": outcome_as_dict(comparison.b),
        "practices": [_practice_dict(p) for p in comparison.practices],
        "by_quintile": [_quintile_dict(q) for q in comparison.quintiles],
        "summary": {
            "practices_gaining": len(comparison.gains),
            "practices_losing": len(comparison.losses),
            "largest_change": None if largest is None else _practice_dict(largest),
            "most_deprived_quintile": (
                None
                if comparison.most_deprived is None
                else _quintile_dict(comparison.most_deprived)
            ),
            "same_patients": comparison.same_patients,
            "concentration_index_a": comparison.a.result.concentration_index,
            "concentration_index_b": comparison.b.result.concentration_index,
        },
        "classic_flaw": flaws,
    }
