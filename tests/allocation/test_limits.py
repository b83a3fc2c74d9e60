"""Floors, caps and pace of change (``allocation/limits.py``): a worked example by hand, the
refusals of limits that cannot be met, and properties for any pool and any feasible limits.

The worked example (also in ``src/gpequity/allocation/method.md``): six practices of 1,000
target patients each, £20,000 shared by deprivation alone (IMD score, higher = more need):

    code    IMD   need     without limits   per patient
    A81001   10   10,000        £1,000.00         £1.00
    A81002   20   20,000        £2,000.00         £2.00
    A81003   30   30,000        £3,000.00         £3.00
    A81004   40   40,000        £4,000.00         £4.00
    A81005   50   50,000        £5,000.00         £5.00
    A81006   50   50,000        £5,000.00         £5.00

A floor of £1.50 and a cap of £4.50 per target patient: A81001 is held at its floor, £1,500, and
A81005 and A81006 at their cap, £4,500 each. £20,000 - £1,500 - £9,000 = £9,500 is left for the
three others, shared in proportion to their need (20,000 : 30,000 : 40,000, i.e. the factor
t = 9,500 / 9,000 = 19/18 on their amounts without limits):

    A81002  2,000 x 19/18 = £2,111.111...  ->  £2,111.11
    A81003  3,000 x 19/18 = £3,166.666...  ->  £3,166.67 (the largest remainder gets the penny)
    A81004  4,000 x 19/18 = £4,222.222...  ->  £4,222.22

Total £1,500 + £2,111.11 + £3,166.67 + £4,222.22 + £4,500 + £4,500 = £20,000.00. Moved: £500
to A81001 by the floor, £1,000 from A81005 and A81006 by the cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gpequity.allocation import (
    AllocationInputError,
    AllocationLimits,
    AllocationRequest,
    AllocationResult,
    ComponentKind,
    ComponentSpec,
    LimitKind,
    LimitUnit,
    Method,
    PracticeInput,
    allocate,
)

IMD = ComponentSpec("imd", "Deprivation (IMD score)", Decimal("100"))
PRACTICES = [
    PracticeInput(f"A8100{n}", f"Practice {n}", 1000, {"imd": imd}, imd_score=imd)
    for n, imd in enumerate([10, 20, 30, 40, 50, 50], start=1)
]
AMOUNT = Decimal("20000")


def run(limits: AllocationLimits | None, amount: Decimal = AMOUNT) -> AllocationResult:
    return allocate(AllocationRequest("QHM", amount, (IMD,), limits=limits), PRACTICES)


def allocations(result: AllocationResult) -> dict[str, Decimal]:
    return {row.code: row.allocation for row in result.practices}


def test_the_worked_example_matches_the_engine_exactly() -> None:
    result = run(AllocationLimits(floor=Decimal("1.50"), cap=Decimal("4.50")))
    assert allocations(result) == {
        "A81001": Decimal("1500.00"),
        "A81002": Decimal("2111.11"),
        "A81003": Decimal("3166.67"),
        "A81004": Decimal("4222.22"),
        "A81005": Decimal("4500.00"),
        "A81006": Decimal("4500.00"),
    }
    held = {row.code: row.limit for row in result.practices}
    assert held == {
        "A81001": LimitKind.FLOOR,
        "A81002": None,
        "A81003": None,
        "A81004": None,
        "A81005": LimitKind.CAP,
        "A81006": LimitKind.CAP,
    }
    assert {row.code: row.moved for row in result.practices} == {
        "A81001": Decimal("500.00"),
        "A81002": Decimal("111.11"),
        "A81003": Decimal("166.67"),
        "A81004": Decimal("222.22"),
        "A81005": Decimal("-500.00"),
        "A81006": Decimal("-500.00"),
    }
    summary = result.limits
    assert summary is not None
    assert summary.held == {LimitKind.FLOOR: ("A81001",), LimitKind.CAP: ("A81005", "A81006")}
    assert summary.moved == {LimitKind.FLOOR: Decimal("500.00"), LimitKind.CAP: Decimal("-1000.00")}
    assert summary.moved_total == Decimal("1000.00")
    assert any(
        "Held at the floor: 1 practice (A81001), £500.00 moved to them." in line
        for line in result.description
    )


def test_the_methods_page_shows_the_same_worked_example() -> None:
    import gpequity

    text = (Path(gpequity.__file__).parent / "allocation" / "method.md").read_text("utf-8")
    section = text.split("### Worked example: one floor, one cap", 1)[1].split("\n## ", 1)[0]
    result = run(AllocationLimits(floor=Decimal("1.50"), cap=Decimal("4.50")))
    for row in result.practices:
        held = " " if row.limit is None else f" {row.limit.value} "
        moved = row.moved or Decimal(0)
        sign = "+" if moved >= 0 else "−"
        line = f"**{row.allocation:,.2f}** |{held}| {sign}{abs(moved):,.2f} |"
        assert f"| {row.code} |" in section and line in section, line


def test_without_limits_nothing_is_held_or_moved() -> None:
    result = run(None)
    assert allocations(result)["A81001"] == Decimal("1000.00")
    assert result.limits is None
    assert all(row.limit is None and row.moved is None for row in result.practices)


def test_a_floor_per_practice_in_pounds() -> None:
    result = run(AllocationLimits(floor=Decimal("2500"), unit=LimitUnit.PER_PRACTICE))
    got = allocations(result)
    assert got["A81001"] == got["A81002"] == Decimal("2500.00")
    assert sum(got.values()) == AMOUNT


def test_pace_of_change_holds_each_practice_within_its_previous_amount() -> None:
    # Last year every practice had £3,000 of £18,000; now £20,000 by need, at most 10% change.
    previous = {p.code: Decimal("3000") for p in PRACTICES[:5]} | {"Z99999": Decimal("10")}
    result = run(AllocationLimits(previous=previous, max_change=Decimal("10")))
    got = allocations(result)
    assert got["A81001"] == Decimal("2700.00")  # held at 3,000 less 10%
    assert got["A81005"] == Decimal("3300.00")  # held at 3,000 plus 10%
    summary = result.limits
    assert summary is not None
    assert summary.new_practices == ("A81006",)  # no previous figure: no pace limit
    assert summary.previous_not_in_pool == ("Z99999",)
    assert sum(got.values()) == AMOUNT
    held = {row.code: row.limit for row in result.practices}
    assert held["A81001"] == LimitKind.PACE_DOWN
    assert held["A81005"] == LimitKind.PACE_UP


@pytest.mark.parametrize(
    ("limits", "field", "text"),
    [
        # six practices of 1,000 patients share £20,000: at most £3.3333 each per patient
        (AllocationLimits(floor=Decimal("4")), "limits.floor", "£3.3333 per target patient"),
        (AllocationLimits(cap=Decimal("3")), "limits.cap", "£3.3334 per target patient"),
        (
            AllocationLimits(floor=Decimal("3500"), unit=LimitUnit.PER_PRACTICE),
            "limits.floor",
            "The largest floor that can be met is £3,333.33 per practice",
        ),
        (
            AllocationLimits(cap=Decimal("3000"), unit=LimitUnit.PER_PRACTICE),
            "limits.cap",
            "The smallest cap that can be met is £3,333.34 per practice",
        ),
        (
            # £18,000 before for six practices, at most 5% more: £18,900 < £20,000
            AllocationLimits(
                previous={p.code: Decimal("3000") for p in PRACTICES}, max_change=Decimal("5")
            ),
            "limits.max_change",
            "The smallest maximum change that can be met is 11.12%.",
        ),
    ],
)
def test_limits_that_cannot_be_met_are_refused_with_the_nearest_that_can(
    limits: AllocationLimits, field: str, text: str
) -> None:
    with pytest.raises(AllocationInputError) as raised:
        run(limits)
    [problem] = raised.value.problems
    assert problem.field == field
    assert text in problem.message


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        (AllocationLimits(floor=Decimal("-1")), "limits.floor"),
        (AllocationLimits(floor=Decimal("1.00001")), "limits.floor"),
        (AllocationLimits(cap=Decimal("0")), "limits.cap"),
        (AllocationLimits(floor=Decimal("3"), cap=Decimal("2")), "limits.cap"),
        (AllocationLimits(max_change=Decimal("5")), "limits.previous"),
        (AllocationLimits(previous={"A81001": Decimal("1")}), "limits.max_change"),
        (
            AllocationLimits(previous={"A81001": Decimal("1")}, max_change=Decimal("-1")),
            "limits.max_change",
        ),
        (AllocationLimits(floor=Decimal("1"), unit="monthly"), "limits.unit"),  # type: ignore[arg-type]
    ],
)
def test_bad_limits_are_reported_field_by_field(limits: AllocationLimits, field: str) -> None:
    with pytest.raises(AllocationInputError) as raised:
        run(limits)
    assert field in [problem.field for problem in raised.value.problems]


def test_the_infeasible_floor_suggested_is_the_largest_that_can_be_met() -> None:
    with pytest.raises(AllocationInputError):
        run(AllocationLimits(floor=Decimal("3.3334")))
    run(AllocationLimits(floor=Decimal("3.3333")))


# --- properties ------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def pools(draw: st.DrawFn) -> list[PracticeInput]:
    size = draw(st.integers(min_value=1, max_value=25))
    return [
        PracticeInput(
            f"P{n:05d}",
            f"Practice {n}",
            draw(st.integers(min_value=0, max_value=20_000)),
            {"imd": draw(st.one_of(st.none(), st.floats(min_value=0, max_value=80)))},
        )
        for n in range(size)
    ]


def per_patient(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-4)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[PracticeInput], AllocationRequest]:
    pool = draw(pools())
    assume(any(p.target_population > 0 for p in pool))
    assume(any(p.values["imd"] for p in pool if p.target_population > 0))
    amount = Decimal(draw(st.integers(min_value=1, max_value=10**10))).scaleb(-2)
    unit = draw(st.sampled_from(LimitUnit))
    places = 4 if unit == LimitUnit.PER_PATIENT else 2
    scale = 10**places
    # Limits near the average share, so that they bind often (and are sometimes infeasible).
    people = sum(p.target_population for p in pool)
    sizes = {LimitUnit.PER_PATIENT: people, LimitUnit.PER_PRACTICE: len(pool)}
    average = amount * scale / sizes[unit]
    percent = st.integers(0, 300)
    floor = draw(st.one_of(st.none(), percent.map(lambda x: int(average * x / 200))))
    cap = draw(st.one_of(st.none(), percent.map(lambda x: 1 + int(average * x / 100))))
    if floor is not None and cap is not None and floor > cap:
        floor, cap = cap, floor
    previous: dict[str, Decimal] = {}
    change = None
    if draw(st.booleans()):
        for practice in pool:
            if draw(st.booleans()):
                share = amount * Decimal(practice.target_population) / people
                factor = Decimal(draw(st.integers(0, 200))) / 100
                previous[practice.code] = (share * factor).quantize(Decimal("0.01"))
        previous["Z00000"] = Decimal("1.00")
        change = Decimal(draw(st.integers(0, 100_00))).scaleb(-2)
    limits = AllocationLimits(
        floor=None if floor is None else Decimal(floor).scaleb(-places),
        cap=None if cap is None else Decimal(cap).scaleb(-places),
        unit=unit,
        previous=previous,
        max_change=change,
    )
    method = draw(st.sampled_from(Method))
    component = draw(
        st.sampled_from(
            [IMD, ComponentSpec("pop", "Population", Decimal("100"), kind=ComponentKind.POPULATION)]
        )
    )
    return pool, AllocationRequest("QHM", amount, (component,), method=method, limits=limits)


def allocate_feasible(
    request: AllocationRequest, pool: Sequence[PracticeInput]
) -> AllocationResult | None:
    try:
        return allocate(request, pool)
    except AllocationInputError as error:
        fields = {problem.field for problem in error.problems}
        assert fields <= {
            "limits.floor",
            "limits.cap",
            "limits.max_change",
            "practices",
            "components[0]",
        }
        limit_problems = [p for p in error.problems if p.field.startswith("limits.")]
        for problem in limit_problems:
            assert "can be met" in problem.message
        return None


def feasible(
    drawn: tuple[list[PracticeInput], AllocationRequest],
) -> tuple[list[PracticeInput], AllocationRequest, AllocationResult]:
    """The drawn pool and request, and their allocation: a draw whose limits cannot be met is
    passed over (hypothesis ``assume``)."""
    pool, request = drawn
    result = allocate_feasible(request, pool)
    assume(result is not None)
    assert result is not None
    return pool, request, result


def bounds_hold(result: AllocationResult) -> None:
    limits = result.request.limits
    assert limits is not None
    assert sum(row.allocation for row in result.practices) == result.request.amount
    for row in result.practices:
        if row.target_population == 0:
            continue
        size = (
            Decimal(row.target_population) if limits.unit == LimitUnit.PER_PATIENT else Decimal(1)
        )
        penny = Decimal("0.01")
        if limits.floor is not None:
            assert row.allocation >= (limits.floor * size).quantize(penny, "ROUND_HALF_UP")
        if limits.cap is not None:
            assert row.allocation <= (limits.cap * size).quantize(penny, "ROUND_HALF_UP")
        before = limits.previous.get(row.code)
        if limits.max_change is not None and before is not None:
            change = limits.max_change / 100
            assert row.allocation >= max(before * (1 - change), Decimal(0)).quantize(
                penny, "ROUND_HALF_UP"
            )
            assert row.allocation <= (before * (1 + change)).quantize(penny, "ROUND_HALF_UP")


@PROPERTY_SETTINGS
@given(scenarios())
def test_any_feasible_limits_keep_the_total_and_every_bound_to_the_penny(
    drawn: tuple[list[PracticeInput], AllocationRequest],
) -> None:
    pool, request, result = feasible(drawn)
    bounds_hold(result)
    unlimited = allocate(replace(request, limits=None), pool)
    moved = {
        row.code: row.allocation - row.moved for row in result.practices if row.moved is not None
    }
    if request.limits is not None and request.limits.active:
        assert moved == {row.code: row.allocation for row in unlimited.practices}
    else:
        assert moved == {}


@PROPERTY_SETTINGS
@given(scenarios())
def test_removing_a_limit_that_did_not_bind_changes_nothing(
    drawn: tuple[list[PracticeInput], AllocationRequest],
) -> None:
    pool, request, result = feasible(drawn)
    limits = request.limits
    assert limits is not None
    held = {row.limit for row in result.practices}
    unbinding: list[AllocationLimits] = []
    if LimitKind.FLOOR not in held:
        unbinding.append(replace(limits, floor=None))
    if LimitKind.CAP not in held:
        unbinding.append(replace(limits, cap=None))
    if not held & {LimitKind.PACE_DOWN, LimitKind.PACE_UP}:
        unbinding.append(replace(limits, previous={}, max_change=None))
    if not held - {None}:
        unbinding.append(AllocationLimits())
    for fewer in unbinding:
        other = allocate(replace(request, limits=fewer), pool)
        assert allocations(other) == allocations(result)


@PROPERTY_SETTINGS
@given(scenarios())
def test_limits_that_cannot_be_met_name_one_that_can(
    drawn: tuple[list[PracticeInput], AllocationRequest],
) -> None:
    pool, request = drawn
    try:
        allocate(request, pool)
    except AllocationInputError as error:
        limits = request.limits
        assert limits is not None
        step = Decimal(1).scaleb(-4 if limits.unit == LimitUnit.PER_PATIENT else -2)
        for problem in error.problems:
            if problem.field not in {"limits.floor", "limits.cap"} or "£" not in problem.message:
                continue
            name = problem.field.removeprefix("limits.")
            text = problem.message.rsplit("is £", 1)[1].split(" ")[0]
            suggested = Decimal(text.replace(",", ""))
            # the nearest that can be met can be met, and a step further cannot
            allocate(replace(request, limits=replace(limits, **{name: suggested})), pool)
            further = suggested + step if name == "floor" else suggested - step
            if further >= 0:
                with pytest.raises(AllocationInputError):
                    allocate(replace(request, limits=replace(limits, **{name: further})), pool)
