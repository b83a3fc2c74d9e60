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

import bisect
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


def _nearest_pence(pounds: Fraction) -> int:
    """Pounds to the nearest whole penny, half a penny up."""
    return int((pounds * PENCE_PER_POUND + Fraction(1, 2)) // 1)


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
    change = None if limits.max_change is None else Fraction(limits.max_change) / 100
    for practice in practices:
        code = practice.code
        size = Fraction(practice.target_population) if unit == LimitUnit.PER_PATIENT else 1
        candidates_low: list[tuple[int, LimitKind]] = []
        candidates_high: list[tuple[int, LimitKind]] = []
        if limits.floor is not None:
            candidates_low.append((_nearest_pence(Fraction(limits.floor) * size), LimitKind.FLOOR))
        if limits.cap is not None:
            candidates_high.append((_nearest_pence(Fraction(limits.cap) * size), LimitKind.CAP))
        previous = limits.previous.get(code)
        if change is not None and previous is not None:
            before = Fraction(previous)
            fall = _nearest_pence(max(before * (1 - change), Fraction(0)))
            candidates_low.append((fall, LimitKind.PACE_DOWN))
            candidates_high.append((_nearest_pence(before * (1 + change)), LimitKind.PACE_UP))
        if candidates_low:
            # the larger lowest holds; on a tie the floor is named
            bounds.low[code], bounds.low_kind[code] = max(candidates_low, key=lambda c: c[0])
        if candidates_high:
            bounds.high[code], bounds.high_kind[code] = min(candidates_high, key=lambda c: c[0])
    return bounds


def _clamp(value: Fraction, low: int | None, high: int | None) -> Fraction:
    if low is not None and value < low:
        return Fraction(low)
    if high is not None and value > high:
        return Fraction(high)
    return value


def _fill(
    exact: Mapping[str, Fraction], bounds: _Bounds, total: int
) -> tuple[Fraction, dict[str, Fraction]] | None:
    """Water-filling: ``min(U_i, max(L_i, t * u_i))`` adding up to ``total`` pence (``None``
    when no factor ``t`` does)."""
    low, high = bounds.low, bounds.high

    def amounts(factor: Fraction) -> dict[str, Fraction]:
        return {
            code: _clamp(factor * value, low.get(code), high.get(code))
            for code, value in exact.items()
        }

    def filled(factor: Fraction) -> Fraction:
        return sum(amounts(factor).values(), Fraction(0))

    if any(low[code] > high[code] for code in low if code in high):
        return None
    breaks = sorted(
        {Fraction(0)}
        | {
            Fraction(b, value)
            for code, value in exact.items()
            if value > 0
            for b in _ends(code, bounds)
        }
    )
    sums = _LazySums(breaks, filled)
    index = bisect.bisect_left(sums, Fraction(total))
    if index < len(breaks) and sums[index] == total:
        return breaks[index], amounts(breaks[index])
    if index == 0:
        return None  # the lowest amounts alone add up to more than the total
    start = breaks[index - 1]
    # Between two breakpoints (or past the last) the free practices move in proportion.
    probe = (start + breaks[index]) / 2 if index < len(breaks) else start + 1
    fixed = Fraction(0)
    free = Fraction(0)
    for code, value in exact.items():
        amount = probe * value
        lowest, highest = low.get(code), high.get(code)
        if (lowest is not None and amount <= lowest) or (highest is not None and amount >= highest):
            fixed += _clamp(amount, lowest, highest)
        else:
            free += value
    if free == 0:
        return None  # the highest amounts alone add up to less than the total
    factor = (total - fixed) / free
    return factor, amounts(factor)


def _ends(code: str, bounds: _Bounds) -> list[int]:
    return [b for b in (bounds.low.get(code), bounds.high.get(code)) if b is not None]


class _LazySums(Sequence[Fraction]):
    """The filled total at each breakpoint, computed only where the bisection looks."""

    def __init__(self, breaks: Sequence[Fraction], filled: Callable[[Fraction], Fraction]) -> None:
        self._breaks = breaks
        self._filled = filled

    def __len__(self) -> int:
        return len(self._breaks)

    def __getitem__(self, index: int) -> Fraction:  # type: ignore[override]
        return self._filled(self._breaks[index])


# --- limits that cannot be met -----------------------------------------------------------------


def _feasible(
    limits: AllocationLimits,
    practices: Sequence[PracticeInput],
    exact: Mapping[str, Fraction],
    total: int,
) -> bool:
    return _fill(exact, _bounds(limits, practices), total) is not None


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
    exact: Mapping[str, Fraction],
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
        suggestion = f" The smallest largest change that can be met is {best * change_step}%."
    else:
        suggestion = " No largest change can be met with the floor and cap given."
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
    exact = {code: Fraction(n, denominator) for code, n in numerators.items()}
    limited = [p for p in practices if p.target_population > 0]
    bounds = _bounds(limits, limited)
    filled = _fill(exact, bounds, total)
    if filled is None:
        raise AllocationInputError([_infeasible(limits, limited, exact, total)])
    factor, amounts = filled
    held: dict[str, LimitKind] = {}
    for code, value in exact.items():
        if code in bounds.low and factor * value < bounds.low[code]:
            held[code] = bounds.low_kind[code]
        elif code in bounds.high and factor * value > bounds.high[code]:
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
