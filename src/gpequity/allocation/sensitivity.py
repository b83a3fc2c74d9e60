"""How an allocation moves with one component's weight: the sweep from 0% to 100%.

One component of a scenario (the swept one, by default deprivation) is given 0%, 10%, ... 100%
of the weight; the scenario's other components share the rest in proportion to their own
weights (a scenario with no other component gives the rest to population only, a plain
per-head share). Every point of the sweep is a scenario allocated by the same service as any
other, so its figures are those of the allocation page for the same weights. The web's
sensitivity page, ``gpequity sensitivity`` and the API all show a :class:`Sensitivity`;
:func:`sensitivity_as_dict` is its JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb

from gpequity.allocation.catalogue import IMD_ID, POPULATION_ID
from gpequity.allocation.measures import most_deprived_quintile, quintile_of
from gpequity.allocation.models import AllocationInputError, InputProblem
from gpequity.allocation.rounding import round_largest_remainder
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
    outcome_as_dict,
)
from gpequity.allocation.upload import UploadedColumn

#: The swept weight moves in steps of this many percent, from 0% to 100%.
SENSITIVITY_STEP = 10
FULL_WEIGHT = 100
#: An engine field about one component: ``components[1].weight``.
SWEPT_FIELD = re.compile(r"components\[(\d+)\](.*)")


def sensitivity_weights() -> tuple[int, ...]:
    """The weights of the sweep, in percent: 0, 10, ... 100."""
    return tuple(range(0, FULL_WEIGHT + 1, SENSITIVITY_STEP))


def _others(scenario: Scenario, component_id: str) -> tuple[ComponentChoice, ...]:
    others = tuple(c for c in scenario.components if c.id != component_id)
    if not others or sum(c.weight for c in others) <= 0:
        # Nothing to give the rest to: a plain per-head share.
        return (ComponentChoice(POPULATION_ID, Decimal(1)),)
    return others


def _rest_weights(others: Sequence[ComponentChoice], rest: int) -> list[Decimal]:
    # The rest shared in proportion to the others' weights, to hundredths of a percent that add
    # up to the rest exactly (the engine wants weights adding up to exactly 100%).
    total = sum((Fraction(c.weight) for c in others), Fraction(0))
    exact = {str(i): Fraction(rest) * Fraction(c.weight) / total for i, c in enumerate(others)}
    rounded = round_largest_remainder(exact, Decimal(rest))
    return [_plain(rounded[str(i)]) for i in range(len(others))]


def _plain(weight: Decimal) -> Decimal:
    # 50.00 -> 50 and 33.30 -> 33.3 (never 5E+1): the weight as a user would type it.
    whole = weight.to_integral_value()
    return whole if weight == whole else weight.normalize()


def sweep_scenario(scenario: Scenario, component_id: str, weight: int) -> Scenario:
    """``scenario`` with ``weight`` percent on component ``component_id``, the rest rescaled.

    A component at 0% is left out, as are the others at 100% (and any other whose share of
    the rest rounds to 0.00%). The swept component keeps the
    direction it has in ``scenario`` (its usual one if it is not there).
    """
    swept = next(
        (c for c in scenario.components if c.id == component_id),
        ComponentChoice(component_id, Decimal(0)),
    )
    others = _others(scenario, component_id)
    components: list[ComponentChoice] = []
    if weight > 0:
        components.append(replace(swept, weight=Decimal(weight)))
    if weight < FULL_WEIGHT:
        rest = _rest_weights(others, FULL_WEIGHT - weight)
        # A component whose share of the rest rounds to 0.00% would get nothing: left out.
        components += [
            replace(choice, weight=share)
            for choice, share in zip(others, rest, strict=True)
            if share > 0
        ]
    return replace(scenario, components=tuple(components))


def sweep_scenarios(scenario: Scenario, component_id: str = IMD_ID) -> dict[int, Scenario]:
    """The scenarios of the sweep, by the swept component's weight in percent."""
    return {w: sweep_scenario(scenario, component_id, w) for w in sensitivity_weights()}


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """A sweep's allocations, by the swept component's weight in percent (0 to 100).

    ``other_ids`` are the components sharing the rest of the weight.
    """

    scenario: Scenario
    component_id: str
    other_ids: tuple[str, ...]
    outcomes: dict[int, ScenarioOutcome]

    def outcome(self, weight: int) -> ScenarioOutcome:
        """The allocation with ``weight`` percent on the swept component."""
        return self.outcomes[weight]


def run_sensitivity(
    con: duckdb.DuckDBPyConnection,
    scenario: Scenario,
    component_id: str = IMD_ID,
    uploaded: Sequence[UploadedColumn] = (),
) -> Sensitivity:
    """Allocate every scenario of the sweep of ``component_id``'s weight.

    Raises :class:`~gpequity.allocation.AllocationInputError` with the problems of every
    scenario of the sweep (each once), or when no component is named.
    """
    if not component_id.strip():
        raise AllocationInputError(
            [InputProblem("component", "Choose the component whose weight to sweep.")]
        )
    # The rest is shared in proportion to the given weights: a negative one cannot be.
    negative = [
        InputProblem(f"components[{i}].weight", "A weight must be 0% or more.")
        for i, c in enumerate(scenario.components)
        if not c.weight.is_finite() or c.weight < 0
    ]
    if negative:
        raise AllocationInputError(negative)
    outcomes = {}
    problems: list[InputProblem] = []
    for weight, swept in sweep_scenarios(scenario, component_id).items():
        try:
            outcomes[weight] = allocate_scenario(con, swept, uploaded)
        except AllocationInputError as error:
            # Every point's: at 0% an unknown swept component is left out, so the first
            # point's problems alone would not name it.
            found = _as_asked(error.problems, scenario, swept, component_id)
            problems += [problem for problem in found if problem not in problems]
    if problems:
        raise AllocationInputError(problems)
    return Sensitivity(
        scenario=scenario,
        component_id=component_id,
        other_ids=tuple(c.id for c in _others(scenario, component_id)),
        outcomes=outcomes,
    )


def _as_asked(
    problems: Sequence[InputProblem], scenario: Scenario, swept: Scenario, component_id: str
) -> list[InputProblem]:
    """A point of the sweep's problems, named after the scenario asked for: the point's
    component ``i`` is not the scenario's (an unknown swept component was ``components[0].id``,
    which is another component of the request)."""
    asked = [c.id for c in scenario.components]
    named = []
    for problem in problems:
        match = SWEPT_FIELD.fullmatch(problem.field)
        field = problem.field
        if match is not None and int(match[1]) < len(swept.components):
            component = swept.components[int(match[1])].id
            if component in asked:
                field = f"components[{asked.index(component)}]{match[2]}"
            elif component == component_id:
                field = "component"
        named.append(InputProblem(field, problem.message))
    return named


@dataclass(frozen=True, slots=True)
class ShareMove:
    """How the most deprived quintile's share of the money moves across the sweep."""

    label: str
    population_share: Decimal
    money_share_first: Decimal
    money_share_last: Decimal


def most_deprived_move(sensitivity: Sensitivity) -> ShareMove | None:
    """The most deprived quintile's share of the money at 0% and at 100%; ``None``: no
    practice has an IMD score."""
    first = sensitivity.outcome(0).result
    last = sensitivity.outcome(FULL_WEIGHT).result
    top = most_deprived_quintile(first.quintiles)
    if top is None:
        return None
    end = quintile_of(last.quintiles, top.quintile)
    return ShareMove(
        label=top.label,
        population_share=top.population_share,
        money_share_first=top.money_share,
        money_share_last=Decimal(0) if end is None else end.money_share,
    )


def sensitivity_as_dict(sensitivity: Sensitivity) -> dict[str, Any]:
    """The sweep as JSON data (the CLI's ``--format json``, the API's answer).

    ``{"component", "others", "weights": [{"weight", "concentration_index", "by_quintile",
    "allocation"}], "most_deprived_quintile"}``: ``weight`` in percent; ``by_quintile`` each
    quintile's shares (fractions of 1); ``allocation`` the point's full
    :func:`~gpequity.allocation.scenario.outcome_as_dict`.
    """
    move = most_deprived_move(sensitivity)
    points = []
    for weight, outcome in sensitivity.outcomes.items():
        result = outcome.result
        points.append(
            {
                "weight": weight,
                "concentration_index": result.concentration_index,
                "by_quintile": [
                    {
                        "quintile": q.quintile,
                        "label": q.label,
                        "practices": q.practices,
                        "population_share": float(q.population_share),
                        "money_share": float(q.money_share),
                    }
                    for q in result.quintiles
                ],
                "allocation": outcome_as_dict(outcome),
            }
        )
    return {
        "component": sensitivity.component_id,
        "others": list(sensitivity.other_ids),
        "weights": points,
        "most_deprived_quintile": None
        if move is None
        else {
            "label": move.label,
            "population_share": float(move.population_share),
            "money_share_at_0": float(move.money_share_first),
            "money_share_at_100": float(move.money_share_last),
        },
    }
