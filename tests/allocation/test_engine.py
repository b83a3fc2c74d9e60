"""The allocation engine: each rule of the method on a small table written by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gpequity.allocation import (
    NO_IMD_LABEL,
    AllocationInputError,
    AllocationRequest,
    AllocationResult,
    Baseline,
    ComponentKind,
    ComponentSpec,
    Direction,
    InputProblem,
    Method,
    MissingPolicy,
    PracticeInput,
    Unit,
    allocate,
    validate_request,
)
from gpequity.inequality import concentration_index

POPULATION = ComponentSpec("pop", "Population only", Decimal("100"), kind=ComponentKind.POPULATION)


def practice(code: str, population: float, **values: float | None) -> PracticeInput:
    return PracticeInput(code, f"Practice {code}", population, values)


def request(amount: str, *components: ComponentSpec, **options: object) -> AllocationRequest:
    return AllocationRequest("QHM", Decimal(amount), components, **options)  # type: ignore[arg-type]


def money(result: AllocationResult) -> dict[str, Decimal]:
    return {row.code: row.allocation for row in result.practices}


def problems(error: pytest.ExceptionInfo[AllocationInputError]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in error.value.problems]


# --- need per person -------------------------------------------------------------------------


def test_lower_is_more_need_for_a_rate_uses_highest_plus_lowest_minus_value() -> None:
    # Values 2, 5, 10: need per person = 10 + 2 - x = 10, 7, 2; same populations, so £19 is
    # split 10 : 7 : 2.
    rate = ComponentSpec("r", "Rate", Decimal("100"), Direction.LOWER, Unit.RATE)
    pool = [practice("A", 100, r=2), practice("B", 100, r=5), practice("C", 100, r=10)]
    result = allocate(request("19", rate), pool)
    assert money(result) == {"A": Decimal("10.00"), "B": Decimal("7.00"), "C": Decimal("2.00")}
    assert "10 + 2" in result.pots[0].need_rule


def test_lower_is_more_need_for_a_percentage_uses_100_minus_value() -> None:
    # Uptake 90% and 60%: need per person 10 and 40; populations 300 and 100: need 3,000 and
    # 4,000, so £70 is split 30 : 40.
    uptake = ComponentSpec("u", "Uptake", Decimal("100"), Direction.LOWER, Unit.PERCENTAGE)
    result = allocate(request("70", uptake), [practice("A", 300, u=90), practice("B", 100, u=60)])
    assert money(result) == {"A": Decimal("30.00"), "B": Decimal("40.00")}


def test_higher_is_more_need_multiplies_population_by_value() -> None:
    # Need 100 x 3 = 300 and 200 x 1 = 200: £50 is split 30 : 20.
    prevalence = ComponentSpec("p", "Prevalence", Decimal("100"), unit=Unit.PERCENTAGE)
    result = allocate(request("50", prevalence), [practice("A", 100, p=3), practice("B", 200, p=1)])
    assert money(result) == {"A": Decimal("30.00"), "B": Decimal("20.00")}


@pytest.mark.parametrize("method", list(Method))
def test_weighted_list_is_the_need_itself_whatever_the_target_population(method: Method) -> None:
    # Weighted lists 150 and 50 (3 : 1), target populations 100 and 300: £100 is split 75 : 25.
    weighted = ComponentSpec(
        "w", "Weighted list", Decimal("100"), kind=ComponentKind.WEIGHTED_POPULATION
    )
    pool = [
        PracticeInput("A", "A", 100, weighted_population=150),
        PracticeInput("B", "B", 300, weighted_population=50),
    ]
    result = allocate(request("100", weighted, method=method), pool)
    assert money(result) == {"A": Decimal("75.00"), "B": Decimal("25.00")}


def test_population_only_is_the_per_head_split() -> None:
    pool = [practice("A", 1), practice("B", 1), practice("C", 1)]
    result = allocate(request("1", POPULATION), pool)
    assert money(result) == {"A": Decimal("0.34"), "B": Decimal("0.33"), "C": Decimal("0.33")}
    assert [row.baseline for row in result.practices] == list(money(result).values())
    assert all(row.difference == 0 for row in result.practices)


def test_eFIT_classic_lower_is_more_need_moves_little_money() -> None:
    # c = 1 - x / sum(x): with uptake 60 and 80 (sum 140), c = 80/140 and 60/140, so with equal
    # populations £140 is split 80 : 60. (The recommended method splits it 40 : 20.)
    uptake = ComponentSpec("u", "Uptake", Decimal("100"), Direction.LOWER, Unit.PERCENTAGE)
    pool = [practice("A", 10, u=60), practice("B", 10, u=80)]
    classic = allocate(request("140", uptake, method=Method.EFIT_CLASSIC), pool)
    assert money(classic) == {"A": Decimal("80.00"), "B": Decimal("60.00")}
    recommended = allocate(request("140", uptake), pool)
    assert money(recommended) == {"A": Decimal("93.33"), "B": Decimal("46.67")}


# --- missing values and exclusions -----------------------------------------------------------


def test_missing_value_is_imputed_with_the_pool_median_and_marked() -> None:
    # Values 1, 2, 6 and one missing: median 2. Needs 1, 2, 6, 2 (equal populations): £11.
    score = ComponentSpec("s", "Score", Decimal("100"))
    pool = [practice("A", 1, s=1), practice("B", 1, s=2), practice("C", 1, s=6), practice("D", 1)]
    result = allocate(request("11", score), pool)
    assert money(result) == {
        "A": Decimal("1.00"),
        "B": Decimal("2.00"),
        "C": Decimal("6.00"),
        "D": Decimal("2.00"),
    }
    imputed = result.practices[3].components[0]
    assert (imputed.value, imputed.imputed, imputed.excluded) == (2.0, True, False)
    assert imputed.note is not None and "median" in imputed.note
    assert not result.practices[0].components[0].imputed
    assert "1 value imputed" in " ".join(result.description)


def test_missing_value_excluded_gives_no_share_of_that_component_only() -> None:
    # Half by score (D missing, excluded: A, B, C share £5 as 1 : 2 : 2) and half per head (£5
    # over four practices: 1.25 each).
    score = ComponentSpec("s", "Score", Decimal("50"))
    per_head = ComponentSpec("pop", "Population", Decimal("50"), kind=ComponentKind.POPULATION)
    pool = [practice("A", 1, s=1), practice("B", 1, s=2), practice("C", 1, s=2), practice("D", 1)]
    result = allocate(request("10", score, per_head, missing_policy=MissingPolicy.EXCLUDE), pool)
    assert money(result) == {
        "A": Decimal("2.25"),
        "B": Decimal("3.25"),
        "C": Decimal("3.25"),
        "D": Decimal("1.25"),
    }
    cell = result.practices[3].components[0]
    assert (cell.value, cell.imputed, cell.excluded, cell.part) == (
        None,
        False,
        True,
        Decimal("0.00"),
    )
    assert cell.note is not None and "no share" in cell.note


def test_practices_without_target_population_or_left_out_get_nothing_and_are_listed() -> None:
    pool = [practice("A", 10), practice("B", 0), practice("C", 10), practice("D", 10)]
    result = allocate(request("10", POPULATION, excluded_practices={"D"}), pool)
    assert money(result) == {"A": Decimal("5.00"), "C": Decimal("5.00")}
    assert [(e.code, e.reason) for e in result.excluded] == [
        ("B", "No target population (0 patients in the target group), so no share."),
        ("D", "Left out at your request (for example, funded by another route)."),
    ]


# --- baseline and summaries ------------------------------------------------------------------


def test_weighted_list_baseline() -> None:
    pool = [
        PracticeInput("A", "A", 100, weighted_population=300),
        PracticeInput("B", "B", 100, weighted_population=100),
    ]
    result = allocate(request("100", POPULATION, baseline=Baseline.WEIGHTED_POPULATION), pool)
    assert [(r.allocation, r.baseline, r.difference) for r in result.practices] == [
        (Decimal("50.00"), Decimal("75.00"), Decimal("-25.00")),
        (Decimal("50.00"), Decimal("25.00"), Decimal("25.00")),
    ]


def test_summaries_by_pcn_and_quintile() -> None:
    score = ComponentSpec("s", "Score", Decimal("100"))
    pool = [
        PracticeInput("A", "A", 100, {"s": 3}, pcn_code="U1", pcn_name="North", imd_quintile=5),
        PracticeInput("B", "B", 100, {"s": 1}, pcn_code="U1", pcn_name="North", imd_quintile=1),
        PracticeInput("C", "C", 200, {"s": 2}, pcn_code="U2", pcn_name="South", imd_quintile=1),
        PracticeInput("D", "D", 100, {"s": 4}),
    ]
    # Needs 300, 100, 400, 400 of 1,200: £120 -> 30, 10, 40, 40; per head 12 each.
    result = allocate(request("120", score), pool)
    assert [
        (p.pcn_code, p.pcn_name, p.practices, p.target_population, p.allocation)
        for p in result.pcns
    ] == [
        ("U1", "North", 2, 200.0, Decimal("40.00")),
        ("U2", "South", 1, 200.0, Decimal("40.00")),
        (None, "No PCN", 1, 100.0, Decimal("40.00")),
    ]
    by_label = {q.label: q for q in result.quintiles}
    assert list(by_label) == [
        "Q1 (least deprived)",
        "Q2 (less deprived)",
        "Q3 (middle)",
        "Q4 (more deprived)",
        "Q5 (most deprived)",
        NO_IMD_LABEL,
    ]
    q1 = by_label["Q1 (least deprived)"]
    assert (q1.practices, q1.population_share, q1.allocation, q1.money_share) == (
        2,
        Decimal("0.600000"),
        Decimal("50.00"),
        Decimal("0.416667"),
    )
    assert q1.allocation_per_patient == Decimal("0.1667")
    assert by_label["Q2 (less deprived)"].practices == 0
    assert by_label["Q2 (less deprived)"].allocation_per_patient is None
    assert by_label[NO_IMD_LABEL].allocation == Decimal("40.00")


def test_concentration_index_of_the_allocation() -> None:
    deprivation = ComponentSpec("imd", "IMD", Decimal("100"))
    pool = [
        PracticeInput("A", "A", 100, {"imd": 30}, imd_score=30),
        PracticeInput("B", "B", 100, {"imd": 10}, imd_score=10),
        PracticeInput("C", "C", 100, {"imd": 20}),
    ]
    result = allocate(request("60", deprivation), pool)
    # Only A and B have an IMD score: £30 and £10 for 100 patients each. Ranked from the most
    # deprived: A 0.25, B 0.75; C = 2 x (30 x 0.25 + 10 x 0.75) / 40 - 1 = -0.25.
    assert result.concentration_index == pytest.approx(-0.25)
    assert result.concentration_index == concentration_index([30, 10], [100, 100], [30, 10])


def test_description_names_the_method_inputs_and_rounding() -> None:
    result = allocate(request("1000", POPULATION), [practice("A", 1), practice("B", 2)])
    text = "\n".join(result.description)
    assert result.method_label == "Recommended: shares of need"
    assert "£1,000.00 for ICB QHM" in text
    assert "Population only (100%)" in text
    assert "largest-remainder" in text


# --- input problems, field by field ----------------------------------------------------------


def test_every_request_problem_is_reported_at_once() -> None:
    bad = AllocationRequest(
        "",
        Decimal("-5"),
        (
            ComponentSpec("x", "X", Decimal("60")),
            ComponentSpec("x", "Y", Decimal("0")),
        ),
    )
    with pytest.raises(AllocationInputError) as error:
        allocate(bad, [practice("A", 1, x=1)])
    assert problems(error) == [
        ("icb_code", "Choose an ICB."),
        ("amount", "The amount must be more than £0."),
        ("components[1].id", "Component id 'x' is used twice; each component must differ."),
        (
            "components[1].weight",
            "The weight of 'Y' must be more than 0% (or remove the component).",
        ),
    ]


@pytest.mark.parametrize(
    ("amount", "components", "method", "expected"),
    [
        (
            Decimal("10.001"),
            (POPULATION,),
            Method.RECOMMENDED,
            ("amount", "The amount can have at most 2 decimal places (whole pence)."),
        ),
        (
            Decimal("NaN"),
            (POPULATION,),
            Method.RECOMMENDED,
            ("amount", "Give the amount in pounds, for example 250000 or 250000.50."),
        ),
        (
            Decimal("10"),
            (),
            Method.RECOMMENDED,
            ("components", "Choose at least one component."),
        ),
        (
            Decimal("10"),
            tuple(ComponentSpec(f"c{i}", f"C{i}", Decimal("25")) for i in range(4)),
            Method.RECOMMENDED,
            ("components", "Choose at most 3 components; you chose 4."),
        ),
        (
            Decimal("10"),
            (
                ComponentSpec("a", "A", Decimal("33.33")),
                ComponentSpec("b", "B", Decimal("33.33")),
                ComponentSpec("c", "C", Decimal("33.33")),
            ),
            Method.RECOMMENDED,
            ("components", "The weights must add up to exactly 100%; they add up to 99.99%."),
        ),
        (
            Decimal("10"),
            (ComponentSpec("a", "A", Decimal("60")), ComponentSpec("b", "B", Decimal("50"))),
            Method.EFIT_CLASSIC,
            (
                "components",
                "The weights must add up to at most 100% (eFIT classic gives the rest to a "
                "per-head share); they add up to 110%.",
            ),
        ),
        (
            Decimal("10"),
            (ComponentSpec("a", "A", Decimal("101")),),
            Method.EFIT_CLASSIC,
            ("components[0].weight", "The weight of 'A' must be at most 100%."),
        ),
    ],
)
def test_request_problems(
    amount: Decimal,
    components: tuple[ComponentSpec, ...],
    method: Method,
    expected: tuple[str, str],
) -> None:
    bad = AllocationRequest("QHM", amount, components, method=method)
    assert [
        (p.field, p.message) for p in validate_request(bad, [practice("A", 1, a=1, b=1, c=1)])
    ] == [expected]


def test_weights_of_33_33_33_34_add_up() -> None:
    components = [
        ComponentSpec("a", "A", Decimal("33.33")),
        ComponentSpec("b", "B", Decimal("33.33")),
        ComponentSpec("c", "C", Decimal("33.34")),
    ]
    assert validate_request(request("10", *components), [practice("A", 1, a=1, b=1, c=1)]) == []


def test_unknown_strings_for_choices_are_problems() -> None:
    bad = AllocationRequest(
        "QHM",
        Decimal("10"),
        (ComponentSpec("a", "A", Decimal("100"), direction="up"),),  # type: ignore[arg-type]
        method="fair",  # type: ignore[arg-type]
    )
    assert validate_request(bad, [practice("A", 1, a=1)]) == [
        InputProblem("method", "Choose the method: 'recommended' or 'efit-classic'."),
        InputProblem("components[0].direction", "Choose the direction: 'higher' or 'lower'."),
    ]


def test_plain_strings_are_accepted_for_choices() -> None:
    ok = AllocationRequest(
        "QHM",
        Decimal("10"),
        (ComponentSpec("a", "A", Decimal("100"), direction="lower", unit="rate"),),  # type: ignore[arg-type]
        method="efit-classic",  # type: ignore[arg-type]
    )
    result = allocate(ok, [practice("A", 1, a=1), practice("B", 1, a=3)])
    assert money(result) == {"A": Decimal("7.50"), "B": Decimal("2.50")}


def test_practice_problems() -> None:
    pool = [
        PracticeInput("A", "A", -1, imd_quintile=6),
        PracticeInput("A", "A again", 1),
        PracticeInput("B", "B", float("nan"), weighted_population=-3),
    ]
    assert validate_request(request("10", POPULATION, excluded_practices={"Z9", "Y1"}), pool) == [
        InputProblem("practices", "These practice codes appear twice: A."),
        InputProblem(
            "practices",
            "These practices have a target population that is not a number of 0 or more: A, B.",
        ),
        InputProblem(
            "practices",
            "These practices have a weighted list that is not a number of 0 or more: B.",
        ),
        InputProblem(
            "practices",
            "These practices have an IMD quintile that is not a whole number from 1 to 5: A.",
        ),
        InputProblem("excluded_practices", "These codes are not practices of ICB QHM: Y1, Z9."),
    ]


def test_no_practices_left() -> None:
    assert validate_request(request("10", POPULATION), []) == [
        InputProblem("practices", "There are no practices for ICB QHM.")
    ]
    assert validate_request(
        request("10", POPULATION, excluded_practices={"A"}), [practice("A", 5), practice("B", 0)]
    ) == [
        InputProblem(
            "excluded_practices",
            "No practices are left to share the money: every practice is left out or has no "
            "target population.",
        )
    ]


def test_value_problems_name_the_component_and_practices() -> None:
    uptake = ComponentSpec("u", "Uptake", Decimal("100"), unit=Unit.PERCENTAGE)
    pool = [
        practice("A", 1, u=-1),
        practice("B", 1, u=101),
        practice("C", 1, u=float("inf")),
        practice("D", 1, u=50),
    ]
    assert validate_request(request("10", uptake), pool) == [
        InputProblem("components[0]", "'Uptake' is not a number for C."),
        InputProblem("components[0]", "'Uptake' must be 0 or more; it is negative for A."),
        InputProblem(
            "components[0]",
            "'Uptake' is a percentage, so it must lie between 0 and 100; it is above 100 for B.",
        ),
    ]


def test_long_lists_of_codes_are_cut_short() -> None:
    pool = [practice(f"P{i}", 1, s=-1) for i in range(8)]
    (problem,) = validate_request(request("10", ComponentSpec("s", "S", Decimal("100"))), pool)
    assert problem.message.endswith("negative for P0, P1, P2, P3, P4 and 3 more.")


@pytest.mark.parametrize("method", list(Method))
def test_a_component_with_no_need_is_a_problem(method: Method) -> None:
    score = ComponentSpec("s", "Score", Decimal("100"))
    with pytest.raises(AllocationInputError) as error:
        allocate(
            request("10", score, method=method), [practice("A", 1, s=0), practice("B", 1, s=0)]
        )
    assert problems(error) == [
        (
            "components[0]",
            "'Score' gives no practice any need (for example every value is 0), so its money "
            "cannot be shared out; choose another indicator or remove it.",
        )
    ]


def test_a_component_without_values_is_a_problem() -> None:
    score = ComponentSpec("s", "Score", Decimal("100"))
    with pytest.raises(AllocationInputError) as error:
        allocate(request("10", score), [practice("A", 1), practice("B", 1)])
    assert problems(error) == [
        (
            "components[0]",
            "No practice in the pool has a value for 'Score'; choose another indicator.",
        )
    ]


def test_weighted_baseline_needs_every_weighted_list() -> None:
    pool = [PracticeInput("A", "A", 1, weighted_population=2), PracticeInput("B", "B", 1)]
    assert validate_request(
        request("10", POPULATION, baseline=Baseline.WEIGHTED_POPULATION), pool
    ) == [
        InputProblem(
            "baseline",
            "The weighted-list baseline needs every practice's weighted list; 1 practice has "
            "none (B). Choose the per-head baseline instead.",
        )
    ]


def test_error_message_lists_every_field() -> None:
    error = AllocationInputError(
        [InputProblem("amount", "Too small."), InputProblem("icb_code", "Missing.")]
    )
    assert str(error) == (
        "The allocation inputs need correcting:\n- amount: Too small.\n- icb_code: Missing."
    )
    assert isinstance(error, ValueError)


def test_the_callers_dict_cannot_change_an_input_afterwards() -> None:
    values: dict[str, float | None] = {"s": 1}
    frozen = PracticeInput("A", "A", 1, values)
    values["s"] = 2
    assert frozen.values["s"] == 1


def test_eFIT_classic_keeps_practices_without_target_population_in_its_sums() -> None:
    # As the published tool does. Uptake (lower = more need) 60, 80 and, for C (no target
    # population), 100: the sum of the values is 240, so c = 1 - 60/240 = 3/4 for A and
    # 1 - 80/240 = 2/3 for B; with 12 patients each, £17 is split 9 : 8.
    uptake = ComponentSpec("u", "Uptake", Decimal("100"), Direction.LOWER, Unit.PERCENTAGE)
    pool = [practice("A", 12, u=60), practice("B", 12, u=80), practice("C", 0, u=100)]
    result = allocate(request("17", uptake, method=Method.EFIT_CLASSIC), pool)
    assert money(result) == {"A": Decimal("9.00"), "B": Decimal("8.00")}
    assert [e.code for e in result.excluded] == ["C"]
    # The recommended method leaves C out: need per person 40 and 20, so 2 : 1.
    assert money(allocate(request("18", uptake), pool)) == {
        "A": Decimal("12.00"),
        "B": Decimal("6.00"),
    }


def test_eFIT_classic_gives_the_weighted_list_share_whatever_the_target_population() -> None:
    # Half per head (A and B, 10 patients each), half by weighted list (A 100, B 100, C 200,
    # although C has no target population): £40 -> A 10 + 5, B 10 + 5, C 0 + 10.
    weighted = ComponentSpec(
        "w", "Weighted list", Decimal("50"), kind=ComponentKind.WEIGHTED_POPULATION
    )
    pool = [
        PracticeInput("A", "A", 10, weighted_population=100),
        PracticeInput("B", "B", 10, weighted_population=100),
        PracticeInput("C", "C", 0, weighted_population=200),
        PracticeInput("D", "D", 0),
    ]
    result = allocate(request("40", weighted, method=Method.EFIT_CLASSIC), pool)
    assert money(result) == {"A": Decimal("15.00"), "B": Decimal("15.00"), "C": Decimal("10.00")}
    c = result.practices[2]
    assert (c.allocation_per_patient, c.baseline, c.difference) == (
        None,
        Decimal("0.00"),
        Decimal("10.00"),
    )
    assert [(e.code, e.reason) for e in result.excluded] == [
        ("D", "No target population (0 patients in the target group), so no share.")
    ]
