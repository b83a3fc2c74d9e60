"""The figures derived from an allocation: spec tables worked out by hand.

Three practices share £12,000 by deprivation alone (recommended method): need is population
times IMD score, 1,000 × 10 : 2,000 × 30 : 1,000 × 50 = 10,000 : 60,000 : 50,000, so they get
£1,000, £6,000 and £5,000, that is £1, £3 and £5 per patient; the per-head baseline is £3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from gpequity.allocation import (
    AllocationRequest,
    AllocationResult,
    ComponentKind,
    ComponentSpec,
    Direction,
    Method,
    PracticeInput,
    Unit,
    allocate,
)
from gpequity.allocation.measures import (
    BARELY_MOVES,
    barely_moving_components,
    baseline_per_patient,
    component_spread,
    headline,
    least_deprived_quintile,
    money_shares,
    most_deprived_quintile,
    quintile_of,
)

IMD = ComponentSpec("imd", "Deprivation", Decimal(100))
SCREENING = "screening"


def three_practices() -> AllocationResult:
    pool = [
        PracticeInput("P1", "One", 1000, {"imd": 10}, imd_score=10, imd_quintile=1),
        PracticeInput("P2", "Two", 2000, {"imd": 30}, imd_score=30, imd_quintile=3),
        PracticeInput("P3", "Three", 1000, {"imd": 50}, imd_score=50, imd_quintile=5),
    ]
    return allocate(AllocationRequest("QZZ", Decimal(12000), (IMD,)), pool)


def screening(method: Method, uptakes: Sequence[float] = range(60, 90)) -> AllocationResult:
    """Screening ``uptakes`` (lower = more need) over practices of 1,000 patients each."""
    spec = ComponentSpec(
        SCREENING, "Screening", Decimal(100), direction=Direction.LOWER, unit=Unit.PERCENTAGE
    )
    pool = [
        PracticeInput(f"P{n:02d}", f"Practice {n}", 1000, {SCREENING: float(x)}, imd_score=n)
        for n, x in enumerate(uptakes)
    ]
    return allocate(AllocationRequest("QZZ", Decimal(30000), (spec,), method=method), pool)


def test_the_spec_table_allocates_as_worked_out() -> None:
    result = three_practices()
    assert [p.allocation for p in result.practices] == [
        Decimal("1000.00"),
        Decimal("6000.00"),
        Decimal("5000.00"),
    ]


def test_baseline_per_patient_is_the_baseline_over_the_target_population() -> None:
    result = three_practices()
    assert [baseline_per_patient(p) for p in result.practices] == [Decimal("3.0000")] * 3


def test_a_practice_without_patients_has_no_baseline_per_patient() -> None:
    practice = three_practices().practices[0]
    assert baseline_per_patient(replace(practice, target_population=0)) is None


def test_component_spread_is_most_over_least_per_patient() -> None:
    # £5 per patient against £1: five times as much, 400% more.
    assert component_spread(three_practices(), "imd") == Decimal(4)
    assert component_spread(three_practices(), "no-such-component") is None


def test_the_most_and_least_deprived_quintiles_are_picked_once() -> None:
    quintiles = three_practices().quintiles
    most, least = most_deprived_quintile(quintiles), least_deprived_quintile(quintiles)
    assert most is not None and least is not None
    assert (most.quintile, least.quintile) == (5, 1)
    assert quintile_of(quintiles, 3) is not None
    # The engine gives shares to six places.
    assert money_shares(quintiles)[5] == Decimal("0.416667")


def test_no_imd_score_means_no_most_deprived_quintile() -> None:
    pool = [PracticeInput("P1", "One", 1000), PracticeInput("P2", "Two", 1000)]
    spec = ComponentSpec("population", "Population", Decimal(100), kind=ComponentKind.POPULATION)
    result = allocate(AllocationRequest("QZZ", Decimal(100), (spec,)), pool)
    assert most_deprived_quintile(result.quintiles) is None
    assert least_deprived_quintile(result.quintiles) is None


def test_efit_classic_barely_moves_money_on_a_lower_is_more_need_indicator() -> None:
    # 1 − x / Σx over thirty practices: from 1 − 60/2235 to 1 − 89/2235, 1.35% apart.
    classic = barely_moving_components(screening(Method.EFIT_CLASSIC))
    assert [m.pot.id for m in classic] == [SCREENING]
    assert classic[0].spread < BARELY_MOVES
    # The recommended method shares (100 − x): 40 against 11, so it is never "barely moving".
    assert barely_moving_components(screening(Method.RECOMMENDED)) == ()
    spread = component_spread(screening(Method.RECOMMENDED), SCREENING)
    assert spread is not None and spread > 2


def test_widely_spread_values_in_a_small_icb_show_no_flaw() -> None:
    # 1 − x / 150 for 20, 50, 80: 0.867 against 0.467, 86% apart.
    result = screening(Method.EFIT_CLASSIC, (20, 50, 80))
    spread = component_spread(result, SCREENING)
    assert spread is not None and spread > Decimal("0.8")
    assert barely_moving_components(result) == ()


# --- the headline: who gains and who loses -------------------------------------------------------
# Four practices share £12,000 by deprivation alone. The fourth has no IMD score, so it is given
# the median of the others (30). Need: 10,000 : 60,000 : 50,000 : 30,000 of 150,000, so £800,
# £4,800, £4,000 and £2,400; the per-head baseline (5,000 patients) is £2.40 a patient:
# £2,400, £4,800, £2,400 and £2,400. P1 loses £1,600, P3 gains £1,600, P2 and P4 break even.


def four_practices() -> AllocationResult:
    pool = [
        PracticeInput("P1", "One", 1000, {"imd": 10}, imd_score=10, imd_quintile=1),
        PracticeInput("P2", "Two", 2000, {"imd": 30}, imd_score=30, imd_quintile=3),
        PracticeInput("P3", "Three", 1000, {"imd": 50}, imd_score=50, imd_quintile=5),
        PracticeInput("P4", "Four", 1000, {"imd": None}),
    ]
    return allocate(AllocationRequest("QZZ", Decimal(12000), (IMD,)), pool)


def test_the_headline_counts_who_gains_and_who_loses_against_the_baseline() -> None:
    figures = headline(four_practices())
    overall = figures.overall
    assert (overall.practices, overall.gaining, overall.losing, overall.level) == (4, 1, 1, 2)
    assert overall.allocation == overall.baseline == Decimal("12000.00")
    assert overall.difference == 0
    assert overall.largest_gain is not None and overall.largest_gain.code == "P3"
    assert overall.largest_gain.difference == Decimal("1600.00")
    assert overall.largest_loss is not None and overall.largest_loss.code == "P1"
    assert overall.largest_loss.difference == Decimal("-1600.00")


def test_the_headline_by_quintile_least_deprived_first_no_score_last() -> None:
    figures = headline(four_practices())
    rows = [
        (g.quintile, g.practices, g.gaining, g.losing, g.level, g.allocation, g.difference)
        for g in figures.quintiles
    ]
    assert rows == [
        (1, 1, 0, 1, 0, Decimal("800.00"), Decimal("-1600.00")),
        (3, 1, 0, 0, 1, Decimal("4800.00"), Decimal("0.00")),
        (5, 1, 1, 0, 0, Decimal("4000.00"), Decimal("1600.00")),
        (None, 1, 0, 0, 1, Decimal("2400.00"), Decimal("0.00")),
    ]
    # The labels are the engine's quintile labels; empty quintiles are left out.
    result = four_practices()
    assert [g.label for g in figures.quintiles] == [
        q.label
        for q in sorted(result.quintiles, key=lambda q: (q.quintile is None, q.quintile or 0))
        if q.practices
    ]
    # Every practice is in one group: the groups add up to the whole.
    assert sum(g.difference for g in figures.quintiles) == figures.overall.difference
    assert sum(g.allocation for g in figures.quintiles) == figures.overall.allocation


def test_nobody_gains_when_every_practice_gets_its_baseline() -> None:
    per_head = ComponentSpec(
        "population", "Population only", Decimal(100), kind=ComponentKind.POPULATION
    )
    pool = [
        PracticeInput("P1", "One", 1000, {}, imd_score=10, imd_quintile=1),
        PracticeInput("P2", "Two", 3000, {}, imd_score=30, imd_quintile=3),
    ]
    figures = headline(allocate(AllocationRequest("QZZ", Decimal(4000), (per_head,)), pool))
    assert (figures.overall.gaining, figures.overall.losing, figures.overall.level) == (0, 0, 2)
    assert figures.overall.largest_gain is None and figures.overall.largest_loss is None
