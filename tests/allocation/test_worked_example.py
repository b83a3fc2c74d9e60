"""The worked example of ``docs/allocation-method.md``, computed by hand.

Five practices, £10,000, three components:

    code    target pop.  IMD score  screening uptake %
    A81001      1,000        40          60
    A81002      2,000        10          80
    A81003      1,500        30          70
    A81004        500        20          75
    A81005      1,000        25          (missing)
    total       6,000

    Deprivation (IMD score, higher = more need)            50%  -> pot £5,000
    Screening uptake (percentage, lower = more need)       30%  -> pot £3,000
    Population only                                        20%  -> pot £2,000

If the engine changes a figure here, the methods page is wrong too: fix both together.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from gpequity.allocation import (
    CLASSIC_REMAINDER_ID,
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

AMOUNT = Decimal("10000")

PRACTICES = [
    PracticeInput("A81001", "Practice A", 1000, {"imd": 40, "screening": 60}, imd_score=40),
    PracticeInput("A81002", "Practice B", 2000, {"imd": 10, "screening": 80}, imd_score=10),
    PracticeInput("A81003", "Practice C", 1500, {"imd": 30, "screening": 70}, imd_score=30),
    PracticeInput("A81004", "Practice D", 500, {"imd": 20, "screening": 75}, imd_score=20),
    PracticeInput("A81005", "Practice E", 1000, {"imd": 25, "screening": None}, imd_score=25),
]

DEPRIVATION = ComponentSpec("imd", "Deprivation (IMD score)", Decimal("50"))
SCREENING = ComponentSpec(
    "screening",
    "Screening uptake",
    Decimal("30"),
    direction=Direction.LOWER,
    unit=Unit.PERCENTAGE,
)
POPULATION = ComponentSpec(
    "population", "Population only", Decimal("20"), kind=ComponentKind.POPULATION
)


def run(method: Method, components: tuple[ComponentSpec, ...]) -> AllocationResult:
    request = AllocationRequest("QHM", AMOUNT, components, method=method)
    return allocate(request, PRACTICES)


def allocations(result: AllocationResult) -> dict[str, Decimal]:
    return {row.code: row.allocation for row in result.practices}


def parts(result: AllocationResult, component_id: str) -> dict[str, Decimal]:
    index = [pot.id for pot in result.pots].index(component_id)
    return {row.code: row.components[index].part for row in result.practices}


# --- recommended ---------------------------------------------------------------------------
#
# Deprivation: need = P x IMD = 40,000 / 20,000 / 45,000 / 10,000 / 25,000, total 140,000.
#   Parts of £5,000 = 5,000 x need / 140,000:
#   A 10,000/7 = 1428.5714, B 714.2857, C 1607.1429, D 357.1429, E 892.8571.
# Screening: A81005 is missing; the median of 60, 70, 75, 80 is (70 + 75) / 2 = 72.5.
#   Need per person = 100 - uptake = 40 / 20 / 30 / 25 / 27.5;
#   need = 40,000 / 40,000 / 45,000 / 12,500 / 27,500, total 165,000.
#   Parts of £3,000 = need / 55: A 727.2727, B 727.2727, C 818.1818, D 227.2727, E 500.
# Population: parts of £2,000 = P / 3: A 333.3333, B 666.6667, C 500, D 166.6667, E 333.3333.
#
# Exact allocations (sum of the three parts):
#   A 1428.5714 + 727.2727 + 333.3333 = 2489.1775
#   B  714.2857 + 727.2727 + 666.6667 = 2108.2251
#   C 1607.1429 + 818.1818 + 500.0000 = 2925.3247
#   D  357.1429 + 227.2727 + 166.6667 =  751.0823
#   E  892.8571 + 500.0000 + 333.3333 = 1726.1905
# Whole pence below: 2489.17 + 2108.22 + 2925.32 + 751.08 + 1726.19 = 9,999.98, so 2p are left;
# the largest remainders (in pence) are A 0.75 and B 0.51, so A and B get a penny each.
RECOMMENDED = {
    "A81001": Decimal("2489.18"),
    "A81002": Decimal("2108.23"),
    "A81003": Decimal("2925.32"),
    "A81004": Decimal("751.08"),
    "A81005": Decimal("1726.19"),
}

# --- eFIT classic --------------------------------------------------------------------------
#
# Deprivation: c = x, so the same parts as above.
# Screening: A81005's missing value counts as zero: it gets no share. The sum of the values is
#   60 + 80 + 70 + 75 = 285, c = 1 - x / 285 = 225/285, 205/285, 215/285, 210/285;
#   P x c x 285 = 225,000 / 410,000 / 322,500 / 105,000 / 0, total 1,062,500.
#   Parts of £3,000 = 3,000 x that / 1,062,500:
#   A 10,800/17 = 635.2941, B 19,680/17 = 1157.6471, C 15,480/17 = 910.5882,
#   D 5,040/17 = 296.4706, E 0.
# Population: as above.
#
# Exact allocations:
#   A 1428.5714 +  635.2941 + 333.3333 = 2397.1989
#   B  714.2857 + 1157.6471 + 666.6667 = 2538.5994
#   C 1607.1429 +  910.5882 + 500.0000 = 3017.7311
#   D  357.1429 +  296.4706 + 166.6667 =  820.2801
#   E  892.8571 +    0      + 333.3333 = 1226.1905
# Whole pence below: 2397.19 + 2538.59 + 3017.73 + 820.28 + 1226.19 = 9,999.98: 2p left;
# largest remainders B 0.99 and A 0.89 get them.
CLASSIC = {
    "A81001": Decimal("2397.20"),
    "A81002": Decimal("2538.60"),
    "A81003": Decimal("3017.73"),
    "A81004": Decimal("820.28"),
    "A81005": Decimal("1226.19"),
}

# --- the per-head baseline -----------------------------------------------------------------
#
# 10,000 x P / 6,000 = 1666.667 / 3333.333 / 2500 / 833.333 / 1666.667: whole pence below add
# up to 9,999.98; A and E have the largest remainders (2/3 of a penny) and get the 2p.
BASELINE = {
    "A81001": Decimal("1666.67"),
    "A81002": Decimal("3333.33"),
    "A81003": Decimal("2500.00"),
    "A81004": Decimal("833.33"),
    "A81005": Decimal("1666.67"),
}


def test_recommended_method_by_hand() -> None:
    result = run(Method.RECOMMENDED, (DEPRIVATION, SCREENING, POPULATION))
    assert allocations(result) == RECOMMENDED
    assert sum(RECOMMENDED.values()) == AMOUNT


def test_recommended_parts_by_hand() -> None:
    result = run(Method.RECOMMENDED, (DEPRIVATION, SCREENING, POPULATION))
    assert [pot.amount for pot in result.pots] == [
        Decimal("5000.00"),
        Decimal("3000.00"),
        Decimal("2000.00"),
    ]
    # Deprivation: whole pence below add up to 4,999.98; E (0.71p) and B (0.57p) get the 2p.
    assert parts(result, "imd") == {
        "A81001": Decimal("1428.57"),
        "A81002": Decimal("714.29"),
        "A81003": Decimal("1607.14"),
        "A81004": Decimal("357.14"),
        "A81005": Decimal("892.86"),
    }
    # Screening: whole pence below add up to 2,999.99; A, B and D tie on 0.27p, so the first
    # code, A81001, gets the penny.
    assert parts(result, "screening") == {
        "A81001": Decimal("727.28"),
        "A81002": Decimal("727.27"),
        "A81003": Decimal("818.18"),
        "A81004": Decimal("227.27"),
        "A81005": Decimal("500.00"),
    }
    # The median was used for A81005, and the output says so.
    cell = result.practices[4].components[1]
    assert (cell.value, cell.imputed, cell.excluded) == (72.5, True, False)


def test_eFIT_classic_by_hand() -> None:
    result = run(Method.EFIT_CLASSIC, (DEPRIVATION, SCREENING, POPULATION))
    assert allocations(result) == CLASSIC
    assert result.method_label == "eFIT classic (the published eFIT tool's formula)"
    cell = result.practices[4].components[1]
    assert (cell.value, cell.imputed, cell.excluded, cell.part) == (
        None,
        False,
        True,
        Decimal("0.00"),
    )


def test_eFIT_classic_parts_by_hand() -> None:
    result = run(Method.EFIT_CLASSIC, (DEPRIVATION, SCREENING, POPULATION))
    # Screening: whole pence below 635.29 + 1157.64 + 910.58 + 296.47 + 0 = 2,999.98; the
    # largest remainders, C (0.82p) and B (0.71p), get the 2p.
    assert parts(result, "screening") == {
        "A81001": Decimal("635.29"),
        "A81002": Decimal("1157.65"),
        "A81003": Decimal("910.59"),
        "A81004": Decimal("296.47"),
        "A81005": Decimal("0.00"),
    }
    # Population: 333.33 + 666.66 + 500 + 166.66 + 333.33 = 1,999.98; B and D (2/3p) get 2p.
    assert parts(result, "population") == {
        "A81001": Decimal("333.33"),
        "A81002": Decimal("666.67"),
        "A81003": Decimal("500.00"),
        "A81004": Decimal("166.67"),
        "A81005": Decimal("333.33"),
    }
    # Each pot is rounded on its own, so a practice's parts can miss its allocation by a
    # penny: A's parts add up to 2397.19 (allocation 2397.20), B's to 2538.61 (2538.60).
    sums = {row.code: sum(c.part for c in row.components) for row in result.practices}
    differences = {code: sums[code] - CLASSIC[code] for code in CLASSIC}
    assert differences == {
        "A81001": Decimal("-0.01"),
        "A81002": Decimal("0.01"),
        "A81003": Decimal("0.00"),
        "A81004": Decimal("0.00"),
        "A81005": Decimal("0.00"),
    }


def test_eFIT_classic_gives_the_rest_of_the_weights_per_head() -> None:
    # Without the population component, its 20% is the "rest of the weights" (w_pop), which
    # the eFIT tool shares per head: the same money as above.
    result = run(Method.EFIT_CLASSIC, (DEPRIVATION, SCREENING))
    assert allocations(result) == CLASSIC
    assert result.pots[-1].id == CLASSIC_REMAINDER_ID
    assert result.pots[-1].amount == Decimal("2000.00")


@pytest.mark.parametrize("method", list(Method))
def test_baseline_and_difference_by_hand(method: Method) -> None:
    result = run(method, (DEPRIVATION, SCREENING, POPULATION))
    expected = RECOMMENDED if method == Method.RECOMMENDED else CLASSIC
    for row in result.practices:
        assert row.baseline == BASELINE[row.code]
        assert row.difference == expected[row.code] - BASELINE[row.code]


def test_allocation_per_patient_by_hand() -> None:
    result = run(Method.RECOMMENDED, (DEPRIVATION, SCREENING, POPULATION))
    # 2489.18 / 1000 = 2.48918 -> 2.4892; 2108.23 / 2000 = 1.054115 -> 1.0541.
    assert [row.allocation_per_patient for row in result.practices[:2]] == [
        Decimal("2.4892"),
        Decimal("1.0541"),
    ]
