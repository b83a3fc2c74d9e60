"""Two allocations lined up: spec tables worked out by hand, properties for any pool, and the
comparison's JSON.

Three practices, £12,000: A per head (1,000 : 2,000 : 1,000 patients: £3,000, £6,000, £3,000),
B by deprivation (need 10,000 : 60,000 : 50,000: £1,000, £6,000, £5,000). B − A: −£2,000, £0,
+£2,000.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpequity.allocation import (
    AllocationInputError,
    AllocationRequest,
    ComponentKind,
    ComponentSpec,
    Direction,
    Method,
    PracticeInput,
    Unit,
    allocate,
)
from gpequity.allocation.compare import NOT_IN_POOL, compare_outcomes, comparison_as_dict
from gpequity.allocation.icbs import IcbEntry
from gpequity.allocation.scenario import ComponentChoice, Scenario, ScenarioOutcome

ICB = IcbEntry("QZZ", "Zed ICB", 3)
AMOUNT = Decimal(12000)
PER_HEAD = ComponentSpec("population", "Population", Decimal(100), kind=ComponentKind.POPULATION)
IMD = ComponentSpec("imd", "Deprivation", Decimal(100))
POOL = [
    PracticeInput("P1", "One", 1000, {"imd": 10}, imd_score=10, imd_quintile=1),
    PracticeInput("P2", "Two", 2000, {"imd": 30}, imd_score=30, imd_quintile=3),
    PracticeInput("P3", "Three", 1000, {"imd": 50}, imd_score=50, imd_quintile=5),
]


def outcome(
    spec: ComponentSpec,
    pool: Sequence[PracticeInput] = POOL,
    *,
    method: Method = Method.RECOMMENDED,
    excluded: frozenset[str] = frozenset(),
    amount: Decimal = AMOUNT,
) -> ScenarioOutcome:
    request = AllocationRequest("QZZ", amount, (spec,), method=method, excluded_practices=excluded)
    scenario = Scenario(
        "QZZ", amount, (ComponentChoice(spec.id, spec.weight),), method, excluded_practices=excluded
    )
    return ScenarioOutcome(scenario, ICB, (), "the test's pool", allocate(request, pool))


def test_each_practice_under_a_and_b_and_the_difference() -> None:
    comparison = compare_outcomes(outcome(PER_HEAD), outcome(IMD))
    assert [
        (p.code, p.allocation_a, p.allocation_b, p.difference) for p in comparison.practices
    ] == [
        ("P1", Decimal("3000.00"), Decimal("1000.00"), Decimal("-2000.00")),
        ("P2", Decimal("6000.00"), Decimal("6000.00"), Decimal("0.00")),
        ("P3", Decimal("3000.00"), Decimal("5000.00"), Decimal("2000.00")),
    ]
    assert (comparison.gains, comparison.losses) == (("P3",), ("P1",))
    # The first of the two largest changes, in practice-code order.
    assert comparison.largest is not None and comparison.largest.code == "P1"
    most = comparison.most_deprived
    assert most is not None and most.quintile == 5
    assert most.change == most.money_share_b - most.money_share_a  # type: ignore[operator]
    assert comparison.same_patients
    assert comparison.flaws == ()


def test_a_practice_left_out_of_one_scenario_counts_as_nothing_there() -> None:
    comparison = compare_outcomes(outcome(PER_HEAD, excluded=frozenset({"P2"})), outcome(IMD))
    p2 = next(p for p in comparison.practices if p.code == "P2")
    assert p2.allocation_a is None and p2.money_a == 0
    assert p2.reason_a is not None and p2.reason_a != NOT_IN_POOL  # the engine's own reason
    assert p2.difference == Decimal("6000.00")
    assert p2.reason_b is None


def test_the_same_scenario_twice_changes_nothing() -> None:
    comparison = compare_outcomes(outcome(IMD), outcome(IMD))
    assert all(p.difference == 0 for p in comparison.practices)
    assert comparison.largest is None
    assert (comparison.gains, comparison.losses) == ((), ())
    assert all(q.change == 0 for q in comparison.quintiles)


def test_efit_classic_against_recommended_names_the_flaw() -> None:
    spec = ComponentSpec(
        "screening", "Screening", Decimal(100), direction=Direction.LOWER, unit=Unit.PERCENTAGE
    )
    pool = [
        PracticeInput(f"P{n:02d}", f"Practice {n}", 1000, {"screening": 60.0 + n})
        for n in range(30)
    ]
    a = outcome(spec, pool, method=Method.EFIT_CLASSIC)
    b = outcome(spec, pool)
    [flaw] = compare_outcomes(a, b).flaws
    assert (flaw.label, flaw.pot.id, flaw.recommended_label) == ("A", "screening", "B")
    assert flaw.recommended_spread is not None and flaw.recommended_spread > flaw.spread


def test_the_json_is_complete_and_plain() -> None:
    comparison = compare_outcomes(outcome(PER_HEAD), outcome(IMD))
    data = json.loads(json.dumps(comparison_as_dict(comparison)))
    assert list(data) == ["a", "b", "practices", "by_quintile", "summary", "classic_flaw"]
    assert data["practices"][0] == {
        "practice_code": "P1",
        "practice_name": "One",
        "imd_score": 10,
        "imd_quintile": 1,
        "allocation_a": 3000.0,
        "allocation_b": 1000.0,
        "difference": -2000.0,
        "allocation_per_patient_a": 3.0,
        "allocation_per_patient_b": 1.0,
        "reason_a": None,
        "reason_b": None,
    }
    assert data["summary"]["practices_gaining"] == 1
    assert data["summary"]["largest_change"]["practice_code"] == "P1"
    assert data["a"]["amount"] == 12000.0 and data["b"]["components"][0]["id"] == "imd"


# --- properties -----------------------------------------------------------------------------


@st.composite
def pools(draw: st.DrawFn) -> list[PracticeInput]:
    count = draw(st.integers(1, 25))
    return [
        PracticeInput(
            f"P{n:03d}",
            f"Practice {n}",
            draw(st.integers(0, 20_000).map(float)),
            {"imd": draw(st.one_of(st.none(), st.floats(0.5, 90)))},
            imd_score=draw(st.floats(0.5, 90)),
            imd_quintile=draw(st.integers(1, 5)),
        )
        for n in range(count)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pool=pools(),
    pence=st.integers(1, 10_000_000),
    excluded=st.sets(st.sampled_from([f"P{n:03d}" for n in range(25)]), max_size=3),
)
def test_b_minus_a_adds_up_to_nothing_and_is_each_practices_change(
    pool: list[PracticeInput], pence: int, excluded: set[str]
) -> None:
    amount = Decimal(pence).scaleb(-2)
    try:
        a = outcome(PER_HEAD, pool, amount=amount, excluded=frozenset(excluded))
        b = outcome(IMD, pool, amount=amount)
    except AllocationInputError:
        return  # no allocation exists for this pool (nobody to share with): tested elsewhere
    comparison = compare_outcomes(a, b)
    # Both scenarios share out the whole amount, so what B gives one practice it takes from others.
    assert sum(p.difference for p in comparison.practices) == 0
    for p in comparison.practices:
        assert p.difference == p.money_b - p.money_a
    changed = {p.code for p in comparison.practices if p.difference != 0}
    assert set(comparison.gains) | set(comparison.losses) == changed
    assert not set(comparison.gains) & set(comparison.losses)
    largest = comparison.largest
    assert (largest is None) == (not changed)
    if largest is not None:
        assert all(abs(p.difference) <= abs(largest.difference) for p in comparison.practices)
