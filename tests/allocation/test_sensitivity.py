"""The sweep of one component's weight: spec tables of the scenarios, properties of the
rescaling, and the sweep of the small eFIT warehouse against the service's own allocations."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.allocation import AllocationInputError, Direction
from gpequity.allocation.catalogue import POPULATION_ID
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.allocation.sensitivity import (
    most_deprived_move,
    run_sensitivity,
    sensitivity_as_dict,
    sensitivity_weights,
    sweep_scenario,
    sweep_scenarios,
)
from gpequity.warehouse.build import connect


def scenario(*components: tuple[str, str]) -> Scenario:
    return Scenario(
        "QZZ", Decimal(10000), tuple(ComponentChoice(i, Decimal(w)) for i, w in components)
    )


def weights(s: Scenario) -> list[tuple[str, str]]:
    return [(c.id, format(c.weight, "f")) for c in s.components]


def test_the_weights_run_from_0_to_100_in_steps_of_10() -> None:
    assert sensitivity_weights() == (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)


@pytest.mark.parametrize(
    ("components", "weight", "expected"),
    [
        # One other component takes the rest.
        ((("imd", "60"), ("hypertension", "40")), 30, [("imd", "30"), ("hypertension", "70")]),
        # At 0% the swept component is left out; at 100% the others are.
        ((("imd", "60"), ("hypertension", "40")), 0, [("hypertension", "100")]),
        ((("imd", "60"), ("hypertension", "40")), 100, [("imd", "100")]),
        # The others share the rest in proportion to their weights.
        (
            (("a", "50"), ("b", "30"), ("c", "20")),
            10,
            [("imd", "10"), ("a", "45"), ("b", "27"), ("c", "18")],
        ),
        # To hundredths of a percent, adding up to exactly 100.
        ((("a", "1"), ("b", "1"), ("c", "1")), 0, [("a", "33.34"), ("b", "33.33"), ("c", "33.33")]),
        # Nothing else in the scenario: the rest is a plain per-head share.
        ((("imd", "100"),), 40, [("imd", "40"), (POPULATION_ID, "60")]),
    ],
)
def test_a_scenario_of_the_sweep(
    components: tuple[tuple[str, str], ...], weight: int, expected: list[tuple[str, str]]
) -> None:
    assert weights(sweep_scenario(scenario(*components), "imd", weight)) == expected


def test_the_swept_component_keeps_its_direction_and_the_rest_of_the_scenario_stays() -> None:
    base = Scenario(
        "QZZ",
        Decimal(5000),
        (
            ComponentChoice("bowel-screening", Decimal(50), Direction.HIGHER),
            ComponentChoice("imd", Decimal(50)),
        ),
        excluded_practices=frozenset({"P1"}),
    )
    swept = sweep_scenarios(base, "bowel-screening")
    assert list(swept) == list(sensitivity_weights())
    assert swept[70].components[0] == ComponentChoice(
        "bowel-screening", Decimal(70), Direction.HIGHER
    )
    assert (swept[70].amount, swept[70].excluded_practices) == (Decimal(5000), frozenset({"P1"}))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(0, 3))
    others = [(f"c{n}", str(draw(st.integers(1, 10_000)) / Decimal(100))) for n in range(count)]
    return scenario(*others)


@settings(max_examples=80, deadline=None)
@given(base=scenarios(), weight=st.sampled_from(sensitivity_weights()))
def test_every_scenario_of_the_sweep_adds_up_to_100(base: Scenario, weight: int) -> None:
    swept = sweep_scenario(base, "imd", weight)
    assert sum(c.weight for c in swept.components) == 100
    assert all(c.weight > 0 for c in swept.components)
    assert all(c.weight == c.weight.quantize(Decimal("0.01")) for c in swept.components)
    imd = [c for c in swept.components if c.id == "imd"]
    assert [c.weight for c in imd] == ([Decimal(weight)] if weight else [])
    # The others keep their proportions, to the hundredth of a percent.
    others = [c for c in swept.components if c.id != "imd"]
    originals = {c.id: c.weight for c in base.components} or {POPULATION_ID: Decimal(1)}
    total = sum(originals.values())
    kept = {c.id: c.weight for c in others}
    for other_id, original in originals.items():
        exact = (100 - weight) * original / total
        assert abs(kept.get(other_id, Decimal(0)) - exact) <= Decimal("0.01")


# --- on a warehouse -------------------------------------------------------------------------


def test_the_sweep_is_the_services_allocation_at_each_weight(small_efit_db: Path) -> None:
    base = scenario(("imd", "60"), ("hypertension-prevalence", "40"))
    with connect(small_efit_db) as con:
        sensitivity = run_sensitivity(con, base, "imd")
        direct = allocate_scenario(con, scenario(("imd", "30"), ("hypertension-prevalence", "70")))
    assert list(sensitivity.outcomes) == list(sensitivity_weights())
    assert sensitivity.other_ids == ("hypertension-prevalence",)
    at_30 = sensitivity.outcome(30).result
    assert [p.allocation for p in at_30.practices] == [
        p.allocation for p in direct.result.practices
    ]
    move = most_deprived_move(sensitivity)
    assert move is not None
    top = [q for q in sensitivity.outcome(100).result.quintiles if q.label == move.label]
    assert [q.money_share for q in top] == [move.money_share_last]
    data = json.loads(json.dumps(sensitivity_as_dict(sensitivity)))
    assert [point["weight"] for point in data["weights"]] == list(sensitivity_weights())
    assert data["weights"][3]["allocation"]["practices"][0]["allocation"] == float(
        direct.result.practices[0].allocation
    )
    assert data["component"] == "imd" and data["others"] == ["hypertension-prevalence"]


def test_an_unknown_component_is_an_input_problem(small_efit_db: Path) -> None:
    with connect(small_efit_db) as con, pytest.raises(AllocationInputError):
        run_sensitivity(con, scenario(("imd", "50"), ("no-such-indicator", "50")), "imd")


def test_a_negative_weight_is_a_field_problem_not_a_crash() -> None:
    scenario = Scenario(
        "QZZ",
        Decimal(100),
        (ComponentChoice("imd", Decimal(50)), ComponentChoice("population", Decimal(-5))),
    )
    with pytest.raises(AllocationInputError) as caught:
        run_sensitivity(None, scenario)  # type: ignore[arg-type]  # refused before any query
    assert [p.field for p in caught.value.problems] == ["components[1].weight"]
