"""The eFIT allocation engine: split an amount across an ICB's practices by need.

Two methods, both set out in ``docs/allocation-method.md`` (and in the project's domain notes,
"Allocating extra funding fairly"):

* **recommended**: component ``k`` has a pot ``F * w_k``, shared in proportion to need
  ``n_ik = P_i * v_ik`` (target population times need per person), so
  ``A_i = F * sum_k w_k * n_ik / sum_j n_jk``;
* **eFIT classic**, the published eFIT tool's formula, offered so users can compare:
  ``A_i = F * [w_pop/100 * P_i / sum_j P_j + sum_k w_k/100 * P_i c_ik / sum_j P_j c_jk]``.

Everything is computed with exact fractions (floats are converted with ``Fraction(value)``), so
the result never depends on the order of the practices or of float summation; amounts are then
rounded to whole pence by :func:`gpequity.allocation.rounding.round_largest_remainder`.

The pool is the practices given, minus those the user excluded and those with no target
population; every sum, median, maximum and minimum is taken over the pool. eFIT classic, like
the published tool, also keeps the practices with no target population in its sums (they can
get a share of the weighted-list component).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from gpequity.allocation.limits import apply_limits, check_limits, summarise_limits
from gpequity.allocation.models import (
    AllocationInputError,
    AllocationRequest,
    AllocationResult,
    Baseline,
    ComponentCell,
    ComponentKind,
    ComponentPot,
    ComponentSpec,
    Direction,
    ExcludedPractice,
    InputProblem,
    Method,
    MissingPolicy,
    PcnSummary,
    PracticeAllocation,
    PracticeInput,
    QuintileSummary,
    Unit,
)
from gpequity.allocation.rounding import (
    PENCE,
    common_denominator,
    round_pence,
    scale_to_integers,
    share_out,
    to_pence,
)
from gpequity.inequality import concentration_index

#: Components an allocation may have.
MIN_COMPONENTS = 1
MAX_COMPONENTS = 3
#: Digits allowed before the decimal point of an amount: up to £999,999,999,999,999.99. A
#: larger one (1e40 from the command line or the API) cannot be rounded to pence at Decimal's
#: precision: it was a 500 and a traceback.
MAX_AMOUNT_DIGITS = 15
MAX_AMOUNT = Decimal(10) ** MAX_AMOUNT_DIGITS
#: Weights are percentages.
FULL_WEIGHT = Decimal(100)
#: A percentage indicator lies between these.
PERCENT_MIN = 0
PERCENT_MAX = 100
#: IMD quintiles: Q1 = least deprived fifth of practices nationally, Q5 = most deprived.
QUINTILES = 5
QUINTILE_LABELS: Mapping[int, str] = {
    1: "Q1 (least deprived)",
    2: "Q2 (less deprived)",
    3: "Q3 (middle)",
    4: "Q4 (more deprived)",
    5: "Q5 (most deprived)",
}
NO_IMD_LABEL = "No IMD score"
NO_PCN_LABEL = "No PCN"
#: Decimal places of money per patient (small pots give fractions of a penny per head).
PER_PATIENT_PLACES = 4
#: Decimal places of shares (fractions of 1) in the quintile summary.
SHARE_PLACES = 6
#: How many codes a message lists before saying "and N more".
CODES_SHOWN = 5
#: The eFIT classic per-head share of the weights not given to a component.
CLASSIC_REMAINDER_ID = "efit-classic:per-head-remainder"
CLASSIC_REMAINDER_NAME = "Per-head share (the rest of the weights)"

METHOD_LABELS: Mapping[Method, str] = {
    Method.RECOMMENDED: "Recommended: shares of need",
    Method.EFIT_CLASSIC: "eFIT classic (the published eFIT tool's formula)",
}

REASON_EXCLUDED_BY_USER = "Left out at your request (for example, funded by another route)."
REASON_NO_POPULATION = "No target population (0 patients in the target group), so no share."


# --- checking the inputs -----------------------------------------------------------------


def list_codes(codes: Sequence[str]) -> str:
    """Return codes as "A, B, C" or "A, B, C, D, E and 3 more"."""
    shown = ", ".join(codes[:CODES_SHOWN])
    more = len(codes) - CODES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def count_of(number: int, singular: str, plural: str) -> str:
    """Return "1 practice has" or "3 practices have"."""
    return f"{number} {singular if number == 1 else plural}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _enum_problem(enum: type[StrEnum], value: object, field: str, what: str) -> list[InputProblem]:
    allowed = [member.value for member in enum]
    if isinstance(value, str) and value in allowed:
        return []
    choices = " or ".join(f"'{choice}'" for choice in allowed)
    return [InputProblem(field, f"Choose the {what}: {choices}.")]


def _check_components(request: AllocationRequest) -> list[InputProblem]:
    problems: list[InputProblem] = []
    components = request.components
    if len(components) < MIN_COMPONENTS:
        problems.append(InputProblem("components", "Choose at least one component."))
    elif len(components) > MAX_COMPONENTS:
        problems.append(
            InputProblem(
                "components",
                f"Choose at most {MAX_COMPONENTS} components; you chose {len(components)}.",
            )
        )
    seen: set[str] = set()
    weights_ok = True
    for index, component in enumerate(components):
        where = f"components[{index}]"
        label = f"'{component.name}'" if component.name else f"component {index + 1}"
        if not component.id.strip():
            problems.append(InputProblem(f"{where}.id", f"Give {label} an id."))
        elif component.id in seen:
            problems.append(
                InputProblem(
                    f"{where}.id",
                    f"Component id '{component.id}' is used twice; each component must differ.",
                )
            )
        seen.add(component.id)
        if not component.name.strip():
            problems.append(InputProblem(f"{where}.name", f"Give component {index + 1} a name."))
        weight = component.weight
        if not _is_decimal(weight):
            weights_ok = False
            problems.append(
                InputProblem(
                    f"{where}.weight",
                    f"Give the weight of {label} as a percentage, for example 50 or 33.33.",
                )
            )
        elif weight <= 0:
            weights_ok = False
            problems.append(
                InputProblem(
                    f"{where}.weight",
                    f"The weight of {label} must be more than 0% (or remove the component).",
                )
            )
        elif weight > FULL_WEIGHT:
            weights_ok = False
            problems.append(
                InputProblem(f"{where}.weight", f"The weight of {label} must be at most 100%.")
            )
        problems += _enum_problem(ComponentKind, component.kind, f"{where}.kind", "kind")
        if component.kind == ComponentKind.INDICATOR:
            problems += _enum_problem(
                Direction, component.direction, f"{where}.direction", "direction"
            )
            problems += _enum_problem(Unit, component.unit, f"{where}.unit", "unit")
    if weights_ok and components:
        total = sum((c.weight for c in components), Decimal(0))
        if request.method == Method.RECOMMENDED and total != FULL_WEIGHT:
            problems.append(
                InputProblem(
                    "components",
                    f"The weights must add up to exactly 100%; they add up to {total}%.",
                )
            )
        elif request.method == Method.EFIT_CLASSIC and total > FULL_WEIGHT:
            problems.append(
                InputProblem(
                    "components",
                    "The weights must add up to at most 100% (eFIT classic gives the rest to a "
                    f"per-head share); they add up to {total}%.",
                )
            )
    return problems


def check_request(request: AllocationRequest) -> list[InputProblem]:
    """Every problem with the request itself (method, ICB code, amount, components, weights,
    choices), before any practice is read: the scenario service adds them to the problems it
    finds with the ICB and the target population, so that a user sees them all at once."""
    problems = _enum_problem(Method, request.method, "method", "method")
    if not isinstance(request.icb_code, str) or not request.icb_code.strip():
        problems.append(InputProblem("icb_code", "Choose an ICB."))
    amount = request.amount
    if not _is_decimal(amount):
        problems.append(
            InputProblem("amount", "Give the amount in pounds, for example 250000 or 250000.50.")
        )
    elif amount <= 0:
        problems.append(InputProblem("amount", "The amount must be more than £0."))
    elif amount >= MAX_AMOUNT:
        problems.append(
            InputProblem(
                "amount",
                f"The amount is too large: enter at most {MAX_AMOUNT_DIGITS} digits before the "
                "decimal point.",
            )
        )
    elif amount != amount.quantize(PENCE):
        problems.append(
            InputProblem("amount", "The amount can have at most 2 decimal places (whole pence).")
        )
    problems += _enum_problem(MissingPolicy, request.missing_policy, "missing_policy", "policy")
    problems += _enum_problem(Baseline, request.baseline, "baseline", "baseline")
    return problems + _check_components(request) + check_limits(request.limits)


def _check_practices(practices: Sequence[PracticeInput], icb_code: str) -> list[InputProblem]:
    if not practices:
        return [InputProblem("practices", f"There are no practices for ICB {icb_code}.")]
    problems: list[InputProblem] = []
    codes = [p.code for p in practices]
    if any(not code.strip() for code in codes):
        problems.append(InputProblem("practices", "A practice has no code."))
    repeated = sorted(code for code, count in Counter(codes).items() if count > 1)
    if repeated:
        problems.append(
            InputProblem("practices", f"These practice codes appear twice: {list_codes(repeated)}.")
        )
    checks: list[tuple[str, Callable[[PracticeInput], bool]]] = [
        (
            "a target population that is not a number of 0 or more",
            lambda p: not _is_number(p.target_population) or p.target_population < 0,
        ),
        (
            "a weighted list that is not a number of 0 or more",
            lambda p: (
                p.weighted_population is not None
                and (not _is_number(p.weighted_population) or p.weighted_population < 0)
            ),
        ),
        (
            "an IMD score that is not a number",
            lambda p: p.imd_score is not None and not _is_number(p.imd_score),
        ),
        (
            f"an IMD quintile that is not a whole number from 1 to {QUINTILES}",
            lambda p: (
                p.imd_quintile is not None
                and (
                    not isinstance(p.imd_quintile, int)
                    or isinstance(p.imd_quintile, bool)
                    or not 1 <= p.imd_quintile <= QUINTILES
                )
            ),
        ),
    ]
    for what, is_bad in checks:
        bad = [p.code for p in practices if is_bad(p)]
        if bad:
            problems.append(
                InputProblem("practices", f"These practices have {what}: {list_codes(bad)}.")
            )
    return problems


def _check_values(
    request: AllocationRequest,
    computed: Sequence[PracticeInput],
    pool: Sequence[PracticeInput],
) -> list[InputProblem]:
    """Check the values of the practices ``computed`` over and the baseline of the ``pool``."""
    problems: list[InputProblem] = []
    for index, component in enumerate(request.components):
        if component.kind != ComponentKind.INDICATOR:
            continue
        where = f"components[{index}]"
        not_numbers: list[str] = []
        negative: list[str] = []
        over: list[str] = []
        for practice in computed:
            value = practice.values.get(component.id)
            if value is None:
                continue
            if not _is_number(value):
                not_numbers.append(practice.code)
            elif value < 0:
                negative.append(practice.code)
            elif component.unit == Unit.PERCENTAGE and value > PERCENT_MAX:
                over.append(practice.code)
        name = component.name
        if not_numbers:
            problems.append(
                InputProblem(where, f"'{name}' is not a number for {list_codes(not_numbers)}.")
            )
        if negative:
            problems.append(
                InputProblem(
                    where, f"'{name}' must be 0 or more; it is negative for {list_codes(negative)}."
                )
            )
        if over:
            problems.append(
                InputProblem(
                    where,
                    f"'{name}' is a percentage, so it must lie between {PERCENT_MIN} and "
                    f"{PERCENT_MAX}; it is above {PERCENT_MAX} for {list_codes(over)}.",
                )
            )
    if request.baseline == Baseline.WEIGHTED_POPULATION:
        without = [p.code for p in pool if p.weighted_population is None]
        if without:
            problems.append(
                InputProblem(
                    "baseline",
                    "The weighted-list baseline needs every practice's weighted list; "
                    f"{count_of(len(without), 'practice has', 'practices have')} none "
                    f"({list_codes(without)}). "
                    "Choose the per-head baseline instead.",
                )
            )
        elif all(not p.weighted_population for p in pool):
            problems.append(InputProblem("baseline", "The practices' weighted lists add up to 0."))
    return problems


def _select_pool(
    request: AllocationRequest, practices: Sequence[PracticeInput]
) -> tuple[list[PracticeInput], list[ExcludedPractice]]:
    pool: list[PracticeInput] = []
    excluded: list[ExcludedPractice] = []
    for practice in practices:
        if practice.code in request.excluded_practices:
            excluded.append(ExcludedPractice(practice.code, practice.name, REASON_EXCLUDED_BY_USER))
        elif practice.target_population == 0:
            excluded.append(ExcludedPractice(practice.code, practice.name, REASON_NO_POPULATION))
        else:
            pool.append(practice)
    return pool, excluded


# --- the methods ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cell:
    value: Fraction | None
    imputed: bool = False
    excluded: bool = False
    note: str | None = None


def _no_share(note: str) -> tuple[Fraction, _Cell]:
    """The need and the cell of a practice with no value, which gets no share of the
    component (missing values excluded, or counted as zero by eFIT classic): ``note`` says why."""
    return Fraction(0), _Cell(None, excluded=True, note=note)


@dataclass(frozen=True, slots=True)
class _ExactComponent:
    """A component's exact needs and each practice's cell.

    ``needs`` are the exact needs scaled by one common factor to whole numbers (so sums and
    shares are fast integer arithmetic): practice ``i``'s share is ``needs[i] / total``.
    """

    #: The component as asked for (the classic remainder's own, made up by the engine).
    spec: ComponentSpec
    need_rule: str
    needs: dict[str, int]
    total: int
    cells: dict[str, _Cell]

    @property
    def id(self) -> str:
        return self.spec.id

    def pot(self, amount: Decimal) -> ComponentPot:
        """The component's share of the money, as the result shows it."""
        spec = self.spec
        return ComponentPot(
            id=spec.id,
            name=spec.name,
            kind=ComponentKind(spec.kind),
            direction=Direction(spec.direction),
            unit=Unit(spec.unit),
            weight=spec.weight,
            amount=amount,
            need_rule=self.need_rule,
        )


def _number(value: Fraction) -> str:
    """Return a number for a sentence: 72.5, 1,234, 0.123457."""
    return f"{float(value):,.6f}".rstrip("0").rstrip(".")


def _raw_value(component: ComponentSpec, practice: PracticeInput) -> Fraction | None:
    if component.kind == ComponentKind.WEIGHTED_POPULATION:
        raw: float | None = practice.weighted_population
    else:
        raw = practice.values.get(component.id)
    return None if raw is None else Fraction(raw)


def _exact_sum(values: Iterable[Fraction]) -> Fraction:
    """Return the exact sum of many fractions, fast: over their common denominator."""
    exact = list(values)
    denominator = common_denominator(exact)
    return Fraction(sum(v.numerator * (denominator // v.denominator) for v in exact), denominator)


def _median(ordered: Sequence[Fraction]) -> Fraction:
    """Return the median of sorted values (the mean of the middle two for an even count)."""
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _zero_need(component: ComponentSpec, index: int) -> InputProblem:
    return InputProblem(
        f"components[{index}]",
        f"'{component.name}' gives no practice any need (for example every value is 0), so "
        "its money cannot be shared out; choose another indicator or remove it.",
    )


def _no_values(component: ComponentSpec, index: int) -> InputProblem:
    return InputProblem(
        f"components[{index}]",
        f"No practice in the pool has a value for '{component.name}'; choose another indicator.",
    )


def _exact_component(
    component: ComponentSpec,
    need_rule: str,
    needs: dict[str, Fraction],
    cells: dict[str, _Cell],
) -> _ExactComponent:
    integer_needs, _ = scale_to_integers(needs)
    return _ExactComponent(
        spec=component,
        need_rule=need_rule,
        needs=integer_needs,
        total=sum(integer_needs.values()),
        cells=cells,
    )


def _per_head_component(
    component: ComponentSpec, pool: Sequence[PracticeInput], rule: str
) -> _ExactComponent:
    """A population component under either method: each practice's need is its population."""
    needs = {practice.code: Fraction(practice.target_population) for practice in pool}
    cells = {practice.code: _Cell(None) for practice in pool}
    return _exact_component(component, rule, needs, cells)


def _recommended_component(
    component: ComponentSpec,
    index: int,
    pool: Sequence[PracticeInput],
    policy: MissingPolicy,
) -> _ExactComponent | InputProblem:
    """Need ``n_ik = P_i * v_ik`` (or the weighted list itself) and shares ``n_ik / sum_j n_jk``."""
    if component.kind == ComponentKind.POPULATION:
        return _per_head_component(
            component, pool, "Population only: a plain per-head share (need per person = 1)."
        )
    needs: dict[str, Fraction] = {}
    cells: dict[str, _Cell] = {}

    raw = {practice.code: _raw_value(component, practice) for practice in pool}
    # Sorted as floats: the same order as the exact values, and much faster.
    observed = [Fraction(v) for v in sorted(float(v) for v in raw.values() if v is not None)]
    if not observed:
        return _no_values(component, index)
    median = _median(observed)
    highest, lowest = observed[-1], observed[0]

    def need_per_person(x: Fraction) -> Fraction:
        if component.direction == Direction.HIGHER:
            return x
        if component.unit == Unit.PERCENTAGE:
            return PERCENT_MAX - x
        return highest + lowest - x

    for practice in pool:
        value = raw[practice.code]
        if value is None and policy == MissingPolicy.EXCLUDE:
            needs[practice.code], cells[practice.code] = _no_share(
                f"No value for '{component.name}', so no share of it (missing values "
                "excluded, as you chose)."
            )
            continue
        if value is None:
            value = median
            cells[practice.code] = _Cell(
                value,
                imputed=True,
                note=f"No value for '{component.name}': the median of the pool, "
                f"{_number(median)}, was used.",
            )
        else:
            cells[practice.code] = _Cell(value)
        if component.kind == ComponentKind.WEIGHTED_POPULATION:
            needs[practice.code] = value
        else:
            needs[practice.code] = Fraction(practice.target_population) * need_per_person(value)

    if sum(needs.values(), Fraction(0)) == 0:
        return _zero_need(component, index)
    if component.kind == ComponentKind.WEIGHTED_POPULATION:
        rule = (
            "NHS England weighted list: each practice's weighted list is its need "
            "(not multiplied by the target population)."
        )
    elif component.direction == Direction.HIGHER:
        rule = "Higher value = more need: need per person = the value."
    elif component.unit == Unit.PERCENTAGE:
        rule = "Lower value = more need: need per person = 100 − the value (the share not reached)."
    else:
        rule = (
            "Lower value = more need: need per person = highest + lowest value in the pool − "
            f"the value ({_number(highest)} + {_number(lowest)} − the value)."
        )
    return _exact_component(component, rule, needs, cells)


def _classic_component(
    component: ComponentSpec, index: int, pool: Sequence[PracticeInput]
) -> _ExactComponent | InputProblem:
    """The eFIT tool's ``P_i c_ik`` and shares ``P_i c_ik / sum_j P_j c_jk``; missing = 0."""
    if component.kind == ComponentKind.POPULATION:
        return _per_head_component(component, pool, "Population only: a per-head share (c = 1).")
    needs: dict[str, Fraction] = {}
    cells: dict[str, _Cell] = {}

    raw = {practice.code: _raw_value(component, practice) for practice in pool}
    observed_sum = _exact_sum(value for value in raw.values() if value is not None)
    lower = component.kind == ComponentKind.INDICATOR and component.direction == Direction.LOWER
    if lower and observed_sum == 0:
        return _zero_need(component, index)
    for practice in pool:
        value = raw[practice.code]
        if value is None:
            needs[practice.code], cells[practice.code] = _no_share(
                f"No value for '{component.name}': counted as zero, as the eFIT tool does, "
                "so no share of it."
            )
            continue
        cells[practice.code] = _Cell(value)
        if component.kind == ComponentKind.WEIGHTED_POPULATION:
            needs[practice.code] = value
        elif lower:
            # P_i c_ik = P_i (1 - x_i / S) = P_i (S - x_i) / S; only the shares matter, and
            # the common factor 1 / S cancels out of them.
            needs[practice.code] = Fraction(practice.target_population) * (observed_sum - value)
        else:
            needs[practice.code] = Fraction(practice.target_population) * value

    if sum(needs.values(), Fraction(0)) == 0:
        return _zero_need(component, index)
    if component.kind == ComponentKind.WEIGHTED_POPULATION:
        rule = "NHS England weighted list used as the need itself, whatever the target population."
    elif lower:
        rule = (
            "Lower value = more need (eFIT classic): need = target population × (1 − the value "
            "÷ the sum of all the practices' values); with many practices this is almost the "
            "same for every practice, so it moves little money."
        )
    else:
        rule = "Higher value = more need: need = target population × the value."
    return _exact_component(component, rule, needs, cells)


def _classic_remainder(weight: Decimal, pool: Sequence[PracticeInput]) -> _ExactComponent:
    needs, _ = scale_to_integers({p.code: Fraction(p.target_population) for p in pool})
    return _ExactComponent(
        spec=ComponentSpec(
            CLASSIC_REMAINDER_ID,
            CLASSIC_REMAINDER_NAME,
            weight,
            Direction.HIGHER,
            Unit.COUNT,
            ComponentKind.POPULATION,
        ),
        need_rule="The weights not given to a component (100% minus their sum), shared per head.",
        needs=needs,
        total=sum(needs.values()),
        cells={p.code: _Cell(None) for p in pool},
    )


def _exact_components(
    request: AllocationRequest, pool: Sequence[PracticeInput]
) -> tuple[list[_ExactComponent], list[InputProblem]]:
    method = Method(request.method)
    built: list[_ExactComponent] = []
    problems: list[InputProblem] = []
    for index, component in enumerate(request.components):
        if method == Method.RECOMMENDED:
            outcome = _recommended_component(
                component, index, pool, MissingPolicy(request.missing_policy)
            )
        else:
            outcome = _classic_component(component, index, pool)
        if isinstance(outcome, InputProblem):
            problems.append(outcome)
        else:
            built.append(outcome)
    if problems:
        return [], problems
    rest = FULL_WEIGHT - sum((c.weight for c in request.components), Decimal(0))
    if method == Method.EFIT_CLASSIC and rest > 0:
        built.append(_classic_remainder(rest, pool))
    return built, []


# --- the result ----------------------------------------------------------------------------


def _to_decimal(value: Fraction, places: int) -> Decimal:
    """Round an exact fraction to ``places`` decimal places (half to even), exactly."""
    scaled = round(value * 10**places)
    return Decimal(scaled).scaleb(-places)


def _pound(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def _describe(
    request: AllocationRequest,
    components: Sequence[_ExactComponent],
    pool: Sequence[PracticeInput],
    excluded: Sequence[ExcludedPractice],
) -> tuple[str, ...]:
    method = Method(request.method)
    text = [f"Method: {METHOD_LABELS[method]}."]
    if method == Method.RECOMMENDED:
        text.append(
            "Each component gets its weight of the money (its pot). A practice's share of a pot "
            "is its need divided by the pool's total need, where need = target population × "
            "need per person: A_i = F × Σ_k w_k × n_ik / Σ_j n_jk."
        )
    else:
        text.append(
            "The published eFIT tool's formula: A_i = F × [w_pop/100 × P_i / Σ_j P_j + "
            "Σ_k w_k/100 × P_i c_ik / Σ_j P_j c_jk], where w_pop is 100% minus the components' "
            "weights, c = 1 − x / Σ x for a lower-is-more-need indicator and c = x otherwise."
        )
    text.append(
        f"Amount: {_pound(request.amount)} for ICB {request.icb_code}, shared across "
        f"{len(pool)} practices."
    )
    for component in components:
        text.append(f"{component.spec.name} ({component.spec.weight}%): {component.need_rule}")
    imputed = sum(cell.imputed for c in components for cell in c.cells.values())
    left_out = sum(cell.excluded for c in components for cell in c.cells.values())
    if method == Method.EFIT_CLASSIC:
        text.append(
            "Missing values count as zero, as in the eFIT tool: that practice gets no share of "
            f"that component ({count_of(left_out, 'missing value', 'missing values')}). As in "
            "the eFIT tool, practices with no target population still count in the sums of "
            "the values, and get their share of a weighted-list component."
        )
    elif request.missing_policy == MissingPolicy.IMPUTE_MEDIAN:
        text.append(
            "Missing values are replaced by the median of the pool's practices that have one, "
            f"and marked as imputed ({count_of(imputed, 'value', 'values')} imputed)."
        )
    else:
        text.append(
            "A practice with no value for a component gets no share of that component "
            f"({count_of(left_out, 'missing value', 'missing values')})."
        )
    if excluded:
        text.append(
            "Left out, with the reasons listed: "
            f"{count_of(len(excluded), 'practice', 'practices')} "
            f"({list_codes([e.code for e in excluded])})."
        )
    if request.baseline == Baseline.WEIGHTED_POPULATION:
        text.append(
            "Baseline: the amount split by NHS England weighted list, F × W_i / Σ_j W_j, shown "
            "beside each allocation with the difference."
        )
    else:
        text.append(
            "Baseline: the plain per-head split, F × P_i / Σ_j P_j, shown beside each "
            "allocation with the difference."
        )
    text.append(
        "Rounding: amounts are rounded to whole pence by the largest-remainder method, so the "
        f"allocations add up to exactly {_pound(request.amount)}; equal remainders go to the "
        "practice code that comes first. Each component's parts add up to its pot; a "
        "practice's parts may differ from its allocation by a penny per component."
    )
    return tuple(text)


def _summarise_pcns(rows: Sequence[PracticeAllocation]) -> tuple[PcnSummary, ...]:
    groups: dict[str | None, list[PracticeAllocation]] = {}
    for row in rows:
        groups.setdefault(row.pcn_code, []).append(row)
    summaries = []
    for pcn_code in sorted(groups, key=lambda code: (code is None, code or "")):
        members = groups[pcn_code]
        names = [m.pcn_name for m in members if m.pcn_name]
        allocation = sum((m.allocation for m in members), Decimal(0))
        baseline = sum((m.baseline for m in members), Decimal(0))
        summaries.append(
            PcnSummary(
                pcn_code=pcn_code,
                pcn_name=names[0] if names else (NO_PCN_LABEL if pcn_code is None else None),
                practices=len(members),
                target_population=math.fsum(m.target_population for m in members),
                allocation=allocation,
                baseline=baseline,
                difference=allocation - baseline,
            )
        )
    return tuple(summaries)


def _summarise_quintiles(
    rows: Sequence[PracticeAllocation], amount: Decimal
) -> tuple[QuintileSummary, ...]:
    total_population = _exact_sum(Fraction(r.target_population) for r in rows)
    groups: list[tuple[int | None, str]] = [(q, QUINTILE_LABELS[q]) for q in range(1, 6)]
    if any(r.imd_quintile is None for r in rows):
        groups.append((None, NO_IMD_LABEL))
    summaries = []
    for quintile, label in groups:
        members = [r for r in rows if r.imd_quintile == quintile]
        population = _exact_sum(Fraction(m.target_population) for m in members)
        allocation = sum((m.allocation for m in members), Decimal(0))
        summaries.append(
            QuintileSummary(
                quintile=quintile,
                label=label,
                practices=len(members),
                target_population=math.fsum(m.target_population for m in members),
                population_share=_to_decimal(population / total_population, SHARE_PLACES),
                allocation=allocation,
                money_share=_to_decimal(Fraction(allocation) / Fraction(amount), SHARE_PLACES),
                allocation_per_patient=(
                    _to_decimal(Fraction(allocation) / population, PER_PATIENT_PLACES)
                    if population > 0
                    else None
                ),
            )
        )
    return tuple(summaries)


def _result_cell(component_id: str, cell: _Cell, part: Decimal) -> ComponentCell:
    return ComponentCell(
        component_id=component_id,
        value=None if cell.value is None else float(cell.value),
        imputed=cell.imputed,
        excluded=cell.excluded,
        part=part,
        note=cell.note,
    )


def validate_request(
    request: AllocationRequest, practices: Iterable[PracticeInput]
) -> list[InputProblem]:
    """Return every problem with the inputs, field by field (empty when they can be allocated).

    ``field`` is ``method``, ``icb_code``, ``amount``, ``components``, ``components[i]``,
    ``components[i].weight`` (and ``.id``, ``.name``, ``.kind``, ``.direction``, ``.unit``),
    ``missing_policy``, ``baseline``, ``excluded_practices`` or ``practices``.
    """
    try:
        _prepare(request, practices)
    except AllocationInputError as error:
        return list(error.problems)
    return []


def _prepare(
    request: AllocationRequest, practices: Iterable[PracticeInput]
) -> tuple[list[PracticeInput], list[ExcludedPractice], list[_ExactComponent]]:
    """Check the inputs; return the practices to compute over, those left out, the components.

    The recommended method computes over the pool (practices not left out by the user, with a
    target population). eFIT classic, like the published tool, computes over every practice
    not left out by the user: one with no target population still counts in the sum of a
    lower-is-more-need indicator's values and gets its share of the weighted-list component.
    """
    ordered = sorted(practices, key=lambda p: p.code)
    problems = check_request(request) + _check_practices(ordered, request.icb_code)
    known = {p.code for p in ordered}
    unknown = sorted(code for code in request.excluded_practices if code not in known)
    if unknown:
        problems.append(
            InputProblem(
                "excluded_practices",
                f"These codes are not practices of ICB {request.icb_code}: {list_codes(unknown)}.",
            )
        )
    if problems:
        raise AllocationInputError(problems)
    pool, excluded = _select_pool(request, ordered)
    if not pool:
        field = "excluded_practices" if request.excluded_practices else "practices"
        raise AllocationInputError(
            [
                InputProblem(
                    field,
                    "No practices are left to share the money: every practice is left out or "
                    "has no target population.",
                )
            ]
        )
    computed = pool
    if Method(request.method) == Method.EFIT_CLASSIC:
        computed = [p for p in ordered if p.code not in request.excluded_practices]
    problems = _check_values(request, computed, pool)
    if problems:
        raise AllocationInputError(problems)
    components, problems = _exact_components(request, computed)
    if problems:
        raise AllocationInputError(problems)
    return computed, excluded, components


def allocate(request: AllocationRequest, practices: Iterable[PracticeInput]) -> AllocationResult:
    """Split ``request.amount`` across ``practices`` (the ICB's practices) by the chosen method.

    Raises :class:`AllocationInputError` listing every problem with the inputs. The same inputs,
    in any order, always give the same result.
    """
    computed, excluded, components = _prepare(request, practices)
    amount = request.amount
    weights = {c.id: Fraction(c.spec.weight) / 100 for c in components}

    # A_i in pence = F * sum_k w_k * n_ik / sum_j n_jk = sum_k (F * w_k / total_k) * n_ik: over
    # one common denominator, every practice's exact amount is an integer numerator.
    amount_pence = to_pence(amount)
    multipliers, denominator = scale_to_integers(
        {c.id: amount_pence * weights[c.id] / c.total for c in components}
    )
    numerators = {
        p.code: sum(multipliers[c.id] * c.needs[p.code] for c in components) for p in computed
    }
    allocations = round_pence(numerators, denominator, amount)
    # A practice with no target population gets money only in eFIT classic, from the weighted
    # list; one that gets none stays in the list of practices left out.
    pool = [p for p in computed if p.target_population > 0 or numerators[p.code] > 0]
    limits = request.limits if request.limits is not None and request.limits.active else None
    moved: dict[str, Decimal] = {}
    held = {}
    if limits is not None:
        limited = apply_limits(limits, computed, numerators, denominator, amount)
        moved = {code: limited.allocations[code] - allocations[code] for code in allocations}
        allocations, held = limited.allocations, limited.held
    paid = {p.code for p in pool}
    excluded = [e for e in excluded if e.code not in paid]
    pot_amounts = share_out(amount, weights)
    parts = {
        c.id: share_out(pot_amounts[c.id], {code: Fraction(n) for code, n in c.needs.items()})
        for c in components
    }
    if request.baseline == Baseline.WEIGHTED_POPULATION:
        baselines = share_out(amount, {p.code: Fraction(p.weighted_population or 0) for p in pool})
    else:
        baselines = share_out(amount, {p.code: Fraction(p.target_population) for p in pool})

    rows = []
    for practice in pool:
        code = practice.code
        cells = tuple(_result_cell(c.id, c.cells[code], parts[c.id][code]) for c in components)
        rows.append(
            PracticeAllocation(
                code=code,
                name=practice.name,
                pcn_code=practice.pcn_code,
                pcn_name=practice.pcn_name,
                imd_score=practice.imd_score,
                imd_quintile=practice.imd_quintile,
                target_population=practice.target_population,
                weighted_population=practice.weighted_population,
                components=cells,
                allocation=allocations[code],
                allocation_per_patient=(
                    _to_decimal(
                        Fraction(allocations[code]) / Fraction(practice.target_population),
                        PER_PATIENT_PLACES,
                    )
                    if practice.target_population > 0
                    else None
                ),
                baseline=baselines[code],
                difference=allocations[code] - baselines[code],
                limit=held.get(code),
                moved=moved.get(code),
            )
        )

    with_imd = [r for r in rows if r.imd_score is not None]
    index = concentration_index(
        [r.allocation for r in with_imd],
        [r.target_population for r in with_imd],
        [r.imd_score for r in with_imd if r.imd_score is not None],
    )
    pots = tuple(c.pot(pot_amounts[c.id]) for c in components)
    summary = None
    if limits is not None:
        summary = summarise_limits(limits, held, moved, [p.code for p in pool])
    return AllocationResult(
        request=request,
        method_label=METHOD_LABELS[Method(request.method)],
        description=_describe(request, components, pool, excluded)
        + (summary.description if summary else ()),
        pots=pots,
        practices=tuple(rows),
        pcns=_summarise_pcns(rows),
        quintiles=_summarise_quintiles(rows, amount),
        concentration_index=index,
        excluded=tuple(excluded),
        limits=summary,
    )
