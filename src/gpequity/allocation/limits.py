"""Floors, caps and pace of change on each practice's allocation, by water-filling.

A commissioner moving money by need must be able to say that no practice gets less than a floor
or more than a cap, and that none changes by more than ``X%`` from its previous allocation. The
engine first splits the amount by need (exact amounts ``u_i``, in pence); then each practice
gets a lowest amount ``L_i`` and a highest ``U_i``:

* a floor ``f`` (pounds per target patient, or per practice) gives ``L_i = f * P_i`` (or ``f``);
* a cap ``c`` gives ``U_i = c * P_i`` (or ``c``);
* a previous allocation ``R_i`` and a maximum change ``X%`` give ``R_i * (1 - X/100)`` and
  ``R_i * (1 + X/100)``; a practice with no previous figure (new to the pool) has no pace limit,
  and codes of the previous allocation that are not in the pool are reported;

each rounded to the nearest penny (half a penny up), the larger lowest and the smaller highest
kept. Water-filling: every practice gets ``a_i = min(U_i, max(L_i, t * u_i))`` for the one
factor ``t`` that makes the amounts add up to the amount. That is what redistributing the excess
and the shortfall among the practices not held, in proportion to their need share, until every
limit holds, ends with; solving for ``t`` exactly gets there in one step. The exact amounts are
then rounded to whole pence by the largest remainder (:func:`round_pence`): each is rounded to
a neighbouring penny, and the bounds are whole pence, so no practice goes below its floor or
above its cap even by a penny, and the total stays exact.

Only practices with a target population are limited (eFIT classic also pays the weighted-list
share of practices with none: they are never held). Limits that cannot all be met are refused
with the largest floor, the smallest cap or the smallest maximum change that can be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from gpequity.allocation.models import (
    AllocationInputError,
    AllocationLimits,
    InputProblem,
    LimitKind,
    LimitsSummary,
    LimitUnit,
    PracticeInput,
)
from gpequity.allocation.rounding import (
    PENCE,
    PENCE_PER_POUND,
    from_pence,
    round_pence,
    scale_to_integers,
)

#: Decimal places of a floor or cap: per target patient (a tenth of a penny is a real amount
#: for a small pot shared by many patients), per practice (whole pence).
PLACES = {LimitUnit.PER_PATIENT: 4, LimitUnit.PER_PRACTICE: 2}
#: Decimal places of the maximum change, in percent.
CHANGE_PLACES = 2
#: A whole, in percent.
PERCENT = 100
#: The largest maximum change accepted, in percent.
MAX_CHANGE = Decimal(1000)
#: How the kinds are said in words (the CSV, the pages, the PDF).
LIMIT_LABELS: Mapping[LimitKind, str] = {
    LimitKind.FLOOR: "floor",
    LimitKind.CAP: "cap",
    LimitKind.PACE_DOWN: "pace of change (largest fall)",
    LimitKind.PACE_UP: "pace of change (largest rise)",
}
UNIT_WORDS: Mapping[LimitUnit, str] = {
    LimitUnit.PER_PATIENT: "per target patient",
    LimitUnit.PER_PRACTICE: "per practice",
}
#: Codes named in a message before "and N more".
CODES_SHOWN = 5


def _codes(codes: Sequence[str]) -> str:
    shown = ", ".join(codes[:CODES_SHOWN])
    more = len(codes) - CODES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _practices(number: int) -> str:
    return f"{number} practice" if number == 1 else f"{number} practices"


def _pounds(amount: Decimal) -> str:
    """Pounds with at least two decimals (a per-patient limit may have four): £1.50, £0.1234."""
    sign, size = ("−", -amount) if amount < 0 else ("", amount)
    text = f"{size:,.2f}" if size == size.quantize(PENCE) else f"{size:,}"
    return f"{sign}£{text}"


def _moved(amount: Decimal) -> str:
    """Money a limit moved, said from the practices it held: to them or from them."""
    if amount < 0:
        return f"{_pounds(-amount)} moved from them"
    return f"{_pounds(amount)} moved to them"


def describe_limit(amount: Decimal, unit: LimitUnit) -> str:
    """A floor or a cap in words: "£1.50 per target patient"."""
    return f"{_pounds(amount)} {UNIT_WORDS[LimitUnit(unit)]}"


# --- checking what the user gave ---------------------------------------------------------------


def _check_amount(value: object, field: str, what: str, places: int) -> list[InputProblem]:
    if not isinstance(value, Decimal) or not value.is_finite():
        return [InputProblem(field, f"Give the {what} in pounds, for example 1.50.")]
    if value < 0:
        return [InputProblem(field, f"The {what} cannot be negative.")]
    if value >= Decimal(10) ** 15:
        return [InputProblem(field, f"The {what} is too large.")]
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return [InputProblem(field, f"The {what} can have at most {places} decimal places.")]
    return []


def check_limits(limits: AllocationLimits | None) -> list[InputProblem]:
    """Every problem with the limits themselves (fields ``limits.floor``, ``limits.cap``,
    ``limits.unit``, ``limits.max_change``, ``limits.previous``), before any practice is read."""
    if limits is None:
        return []
    try:
        unit = LimitUnit(limits.unit)
    except ValueError:
        return [InputProblem("limits.unit", "Choose the unit: per-patient or per-practice.")]
    places = PLACES[unit]
    problems: list[InputProblem] = []
    if limits.floor is not None:
        problems += _check_amount(limits.floor, "limits.floor", "floor", places)
    if limits.cap is not None:
        problems += _check_amount(limits.cap, "limits.cap", "cap", places)
        if not problems and limits.cap == 0:
            problems.append(InputProblem("limits.cap", "The cap must be more than £0."))
    if (
        not problems
        and limits.floor is not None
        and limits.cap is not None
        and limits.floor > limits.cap
    ):
        problems.append(
            InputProblem(
                "limits.cap",
                f"The cap ({describe_limit(limits.cap, unit)}) is below the floor "
                f"({describe_limit(limits.floor, unit)}).",
            )
        )
    change = limits.max_change
    if change is not None:
        if not isinstance(change, Decimal) or not change.is_finite():
            problems.append(InputProblem("limits.max_change", "Give the change as a percentage."))
        elif change < 0 or change > MAX_CHANGE:
            problems.append(
                InputProblem(
                    "limits.max_change", f"The largest change must be from 0% to {MAX_CHANGE}%."
                )
            )
        elif change != change.quantize(Decimal(1).scaleb(-CHANGE_PLACES)):
            problems.append(
                InputProblem(
                    "limits.max_change",
                    f"The largest change can have at most {CHANGE_PLACES} decimal places.",
                )
            )
        if not limits.previous:
            problems.append(
                InputProblem(
                    "limits.previous",
                    "A pace-of-change limit needs the previous allocation.",
                )
            )
    elif limits.previous:
        problems.append(
            InputProblem(
                "limits.max_change",
                "Give the largest change allowed from the previous allocation, in percent.",
            )
        )
    for code, amount in limits.previous.items():
        found = _check_amount(amount, "limits.previous", f"previous amount of {code}", 2)
        if found:
            problems += found
            break
    return problems


# --- the bounds of each practice ---------------------------------------------------------------


def _nearest_pence(numerator: int, denominator: int) -> int:
    """Pounds ``numerator / denominator`` to the nearest whole penny, half a penny up (whole
    numbers throughout: this runs for every practice at every step of a search)."""
    return (2 * PENCE_PER_POUND * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True, slots=True)
class _Bounds:
    """Each limited practice's lowest and highest amount in pence, and the limit behind each."""

    low: dict[str, int]
    high: dict[str, int]
    low_kind: dict[str, LimitKind]
    high_kind: dict[str, LimitKind]


def _bounds(limits: AllocationLimits, practices: Sequence[PracticeInput]) -> _Bounds:
    unit = LimitUnit(limits.unit)
    bounds = _Bounds({}, {}, {}, {})
    floor = None if limits.floor is None else limits.floor.as_integer_ratio()
    cap = None if limits.cap is None else limits.cap.as_integer_ratio()
    # 1 -/+ change/100 = (100 * d -/+ n) / (100 * d) for a change of n / d percent
    change = None if limits.max_change is None else limits.max_change.as_integer_ratio()
    for practice in practices:
        code = practice.code
        size_n, size_d = (
            practice.target_population.as_integer_ratio()
            if unit == LimitUnit.PER_PATIENT
            else (1, 1)
        )
        lows: list[tuple[int, LimitKind]] = []
        highs: list[tuple[int, LimitKind]] = []
        if floor is not None:
            lows.append((_nearest_pence(floor[0] * size_n, floor[1] * size_d), LimitKind.FLOOR))
        if cap is not None:
            highs.append((_nearest_pence(cap[0] * size_n, cap[1] * size_d), LimitKind.CAP))
        previous = limits.previous.get(code)
        if change is not None and previous is not None:
            before_n, before_d = previous.as_integer_ratio()
            whole = PERCENT * change[1]
            fall = max(whole - change[0], 0)
            lows.append((_nearest_pence(before_n * fall, before_d * whole), LimitKind.PACE_DOWN))
            rise = whole + change[0]
            highs.append((_nearest_pence(before_n * rise, before_d * whole), LimitKind.PACE_UP))
        if lows:
            # the larger lowest holds; on a tie the floor is named
            bounds.low[code], bounds.low_kind[code] = max(lows, key=lambda c: c[0])
        if highs:
            bounds.high[code], bounds.high_kind[code] = min(highs, key=lambda c: c[0])
    return bounds


def _clamped(value: int, low: int | None, high: int | None) -> int:
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def _fill(
    numerators: Mapping[str, int], denominator: int, bounds: _Bounds, total: int
) -> tuple[Fraction, dict[str, Fraction]] | None:
    """Water-filling: ``min(U_i, max(L_i, t * u_i))`` adding up to ``total`` pence, where
    ``u_i = numerators[i] / denominator`` pence (``None`` when no factor ``t`` does).

    The filled total is increasing in ``t`` and straight between the breakpoints where a
    practice reaches a bound, so a bisection over the breakpoints finds the piece where it
    meets the total, and the piece's line gives ``t``. Sums are of whole numbers: the bounds
    are scaled by ``denominator`` and, at ``t = p / q``, everything by ``q``.
    """
    low = {code: value * denominator for code, value in bounds.low.items()}
    high = {code: value * denominator for code, value in bounds.high.items()}
    if any(value > high[code] for code, value in low.items() if code in high):
        return None
    target = total * denominator

    def excess(factor: Fraction) -> int:
        """The filled total at ``factor`` less the target, times the factor's denominator."""
        p, q = factor.numerator, factor.denominator
        filled = 0
        for code, n in numerators.items():
            lowest, highest = low.get(code), high.get(code)
            filled += _clamped(
                p * n,
                None if lowest is None else lowest * q,
                None if highest is None else highest * q,
            )
        return filled - target * q

    ends = {
        Fraction(end, n)
        for code, n in numerators.items()
        if n > 0
        for end in (low.get(code), high.get(code))
        if end is not None
    }
    breaks = sorted({Fraction(0)} | ends)
    first, last = 0, len(breaks)
    while first < last:
        middle = (first + last) // 2
        if excess(breaks[middle]) >= 0:
            last = middle
        else:
            first = middle + 1
    if first == 0 and excess(breaks[0]) > 0:
        return None  # the lowest amounts alone add up to more than the total
    if first < len(breaks) and excess(breaks[first]) == 0:
        factor = breaks[first]
    else:
        # Between two breakpoints (or past the last) the practices not held move in proportion.
        start = breaks[first - 1]
        probe = (start + breaks[first]) / 2 if first < len(breaks) else start + 1
        p, q = probe.numerator, probe.denominator
        fixed, free = 0, 0
        for code, n in numerators.items():
            lowest, highest = low.get(code), high.get(code)
            if lowest is not None and p * n <= lowest * q:
                fixed += lowest * q
            elif highest is not None and p * n >= highest * q:
                fixed += highest * q
            else:
                free += n
        if free == 0:
            return None  # the highest amounts alone add up to less than the total
        factor = Fraction(target * q - fixed, q * free)
    amounts = {}
    for code, n in numerators.items():
        amount = factor * n
        lowest, highest = low.get(code), high.get(code)
        if lowest is not None and amount < lowest:
            amount = Fraction(lowest)
        elif highest is not None and amount > highest:
            amount = Fraction(highest)
        amounts[code] = amount / denominator
    return factor, amounts


# --- limits that cannot be met -----------------------------------------------------------------


def _feasible(
    limits: AllocationLimits,
    practices: Sequence[PracticeInput],
    exact: Mapping[str, int],
    total: int,
) -> bool:
    """Whether some factor meets the limits: no practice's lowest above its highest, the lowest
    amounts adding up to at most the total, and the highest (a practice with no need can only
    get its lowest) to at least it. Whole pence: integer sums, quick enough to search."""
    bounds = _bounds(limits, practices)
    if any(low > bounds.high[code] for code, low in bounds.low.items() if code in bounds.high):
        return False
    if sum(bounds.low.values()) > total:
        return False
    highest = 0
    for code, value in exact.items():
        if value <= 0:
            highest += bounds.low.get(code, 0)
        elif code not in bounds.high:
            return True  # a practice with need and no cap can take any amount
        else:
            highest += bounds.high[code]
    return highest >= total


def _search(steps_ok: Callable[[int], bool], start: int, *, upwards: bool) -> int | None:
    """The first whole step from ``start`` (down to 0, or up without end) where ``steps_ok``
    holds, for a condition that holds from some step on (upwards) or up to it (downwards)."""
    if upwards:
        high = max(start, 1)
        while not steps_ok(high):
            high *= 2
            if high > 10**20:
                return None
        low = start
        while low < high:
            middle = (low + high) // 2
            if steps_ok(middle):
                high = middle
            else:
                low = middle + 1
        return high
    if not steps_ok(0):
        return None
    low, high = 0, start
    while low < high:
        middle = (low + high + 1) // 2
        if steps_ok(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _infeasible(
    limits: AllocationLimits,
    practices: Sequence[PracticeInput],
    exact: Mapping[str, int],
    total: int,
) -> InputProblem:
    """Why the limits cannot all be met, with the nearest limit that can."""
    unit = LimitUnit(limits.unit)
    step = Decimal(1).scaleb(-PLACES[unit])

    def ok(**changes: Decimal | None) -> bool:
        return _feasible(replace(limits, **changes), practices, exact, total)  # type: ignore[arg-type]

    amount = from_pence(total)
    if limits.floor is not None and ok(floor=None):
        best = _search(lambda k: ok(floor=k * step), int(limits.floor / step), upwards=False)
        others = " with the other limits" if limits.cap or limits.max_change is not None else ""
        return InputProblem(
            "limits.floor",
            f"The floor of {describe_limit(limits.floor, unit)} cannot be met: the practices' "
            f"floors{others} "
            f"need more than the {_pounds(amount)} to share. The largest floor that can be met is "
            f"{describe_limit((best or 0) * step, unit)}.",
        )
    if limits.cap is not None and ok(cap=None):
        best = _search(lambda k: ok(cap=k * step), int(limits.cap / step), upwards=True)
        suggestion = (
            f" The smallest cap that can be met is {describe_limit(best * step, unit)}."
            if best is not None
            else ""
        )
        return InputProblem(
            "limits.cap",
            f"The cap of {describe_limit(limits.cap, unit)} cannot be met: the practices' caps "
            f"add up to less than the {_pounds(amount)} to share.{suggestion}",
        )
    change_step = Decimal(1).scaleb(-CHANGE_PLACES)
    start = int((limits.max_change or Decimal(0)) / change_step)
    best = _search(lambda k: ok(max_change=k * change_step), start, upwards=True)
    held = "the previous amounts, less or plus the largest change,"
    if best is not None and best * change_step <= MAX_CHANGE:
        suggestion = f" The smallest maximum change that can be met is {best * change_step}%."
    else:
        suggestion = " No maximum change can be met with the floor and cap given."
    return InputProblem(
        "limits.max_change",
        f"The pace of change of {limits.max_change}% cannot be met: {held} cannot add up to "
        f"the {_pounds(amount)} to share with the other limits.{suggestion}",
    )


# --- applying the limits -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitedAmounts:
    """The allocation in whole pence after the limits, and the limit that held each practice."""

    allocations: dict[str, Decimal]
    held: dict[str, LimitKind]


def apply_limits(
    limits: AllocationLimits,
    practices: Sequence[PracticeInput],
    numerators: Mapping[str, int],
    denominator: int,
    amount: Decimal,
) -> LimitedAmounts:
    """Apply the limits to the exact amounts ``numerators[code] / denominator`` (pence) and
    round them to whole pence adding up to ``amount``.

    Raises :class:`AllocationInputError` when the limits cannot all be met, saying the
    largest floor, smallest cap or smallest maximum change that can.
    """
    total = sum(numerators.values()) // denominator
    limited = [p for p in practices if p.target_population > 0]
    bounds = _bounds(limits, limited)
    filled = _fill(numerators, denominator, bounds, total)
    if filled is None:
        raise AllocationInputError([_infeasible(limits, limited, numerators, total)])
    factor, amounts = filled
    held: dict[str, LimitKind] = {}
    for code, n in numerators.items():
        # held: where t * u_i, the amount before clamping, is past the bound
        if code in bounds.low and factor * n < bounds.low[code] * denominator:
            held[code] = bounds.low_kind[code]
        elif code in bounds.high and factor * n > bounds.high[code] * denominator:
            held[code] = bounds.high_kind[code]
    scaled, common = scale_to_integers(amounts)
    return LimitedAmounts(round_pence(scaled, common, amount), held)


def summarise_limits(
    limits: AllocationLimits,
    held: Mapping[str, LimitKind],
    moved: Mapping[str, Decimal],
    pool: Sequence[str],
) -> LimitsSummary:
    """What the limits did, in figures and in words."""
    unit = LimitUnit(limits.unit)
    codes_by_kind = {
        kind: tuple(sorted(code for code, k in held.items() if k == kind)) for kind in LimitKind
    }
    moved_by_kind = {
        kind: sum((moved[code] for code in codes_by_kind[kind]), Decimal(0)).quantize(PENCE)
        for kind in LimitKind
    }
    moved_total = sum((m for m in moved.values() if m > 0), Decimal(0)).quantize(PENCE)
    in_pool = set(pool)
    not_in_pool = tuple(sorted(code for code in limits.previous if code not in in_pool))
    new = (
        tuple(sorted(code for code in pool if code not in limits.previous))
        if limits.max_change is not None
        else ()
    )
    text = []
    if limits.floor is not None:
        text.append(f"Floor: {describe_limit(limits.floor, unit)}.")
    if limits.cap is not None:
        text.append(f"Cap: {describe_limit(limits.cap, unit)}.")
    if limits.max_change is not None:
        text.append(
            f"Pace of change: no practice's allocation per target patient changes by more than "
            f"{limits.max_change}% of its previous one."
        )
        if new:
            text.append(
                f"No previous allocation for {_practices(len(new))} ({_codes(new)}): no "
                "pace limit applies to them."
            )
        if not_in_pool:
            text.append(
                f"Not practices of this pool, so left out: {_practices(len(not_in_pool))} of the "
                f"previous allocation ({_codes(not_in_pool)})."
            )
    for kind in LimitKind:
        if codes_by_kind[kind]:
            text.append(
                f"Held at the {LIMIT_LABELS[kind]}: {_practices(len(codes_by_kind[kind]))} "
                f"({_codes(codes_by_kind[kind])}), {_moved(moved_by_kind[kind])}."
            )
    text.append(
        "Limits are applied by water-filling: practices held at a limit get it, and the rest "
        "share the money left in proportion to their need; then amounts are rounded to whole "
        f"pence. In all {_pounds(moved_total)} went to different practices than without limits."
    )
    return LimitsSummary(
        limits=limits,
        held={kind: codes for kind, codes in codes_by_kind.items() if codes},
        moved={kind: moved_by_kind[kind] for kind in LimitKind if codes_by_kind[kind]},
        moved_total=moved_total,
        previous_not_in_pool=not_in_pool,
        new_practices=new,
        description=tuple(text),
    )
