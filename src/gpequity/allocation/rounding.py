"""Rounding money to whole pence without losing or inventing a penny.

Every amount the allocation engine shows (allocations, the per-head baseline, each component's
pot and each practice's part of it) goes through :func:`round_pence`, so the
pieces always add up to the whole to the penny (the "largest-remainder" or Hamilton method):

1. work out each exact amount in pence (an exact fraction, never a float);
2. give everyone the whole pence below their exact amount;
3. hand out the pence left over, one each, to the largest remainders.

Equal remainders are broken by key (the practice code, or the component id) in ascending
order, so the order in which the rows arrive never changes who gets the last penny.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction

#: The smallest amount of money the engine hands out.
PENCE = Decimal("0.01")
#: Pence in a pound.
PENCE_PER_POUND = 100


def to_pence(amount: Decimal) -> int:
    """Return a whole-pence amount of pounds as an integer number of pence.

    Raises ``ValueError`` if the amount has fractions of a penny.
    """
    pence = Fraction(amount) * PENCE_PER_POUND
    if pence.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of pence")
    return pence.numerator


def from_pence(pence: int) -> Decimal:
    """Return pounds, with exactly two decimal places, for an integer number of pence."""
    return (Decimal(pence) * PENCE).quantize(PENCE)


def common_denominator(values: Iterable[Fraction]) -> int:
    """Return the least common denominator of exact fractions (1 for none)."""
    return math.lcm(1, *(value.denominator for value in values))


def scale_to_integers(values: Mapping[str, Fraction]) -> tuple[dict[str, int], int]:
    """Return ``(numerators, denominator)`` with ``values[key] == numerators[key] / denominator``.

    Exact arithmetic on many fractions is fast once they share one denominator: sums and
    comparisons are then on integers.
    """
    denominator = common_denominator(values.values())
    return (
        {
            key: value.numerator * (denominator // value.denominator)
            for key, value in values.items()
        },
        denominator,
    )


def round_pence(
    numerators: Mapping[str, int], denominator: int, total: Decimal
) -> dict[str, Decimal]:
    """Round exact amounts of pence, ``numerators[key] / denominator``, to whole pence.

    This is the project's one rounding rule for money (largest remainder): each key gets the
    whole pence below its exact amount, and the pence left over go one each to the largest
    remainders, equal remainders to the smallest key first. So each result is its exact amount
    rounded down or up, never further than a penny away, and the results add up to ``total``.
    The exact amounts must be non-negative and add up to ``total`` exactly.
    """
    total_pence = to_pence(total)
    if denominator <= 0 or any(numerator < 0 for numerator in numerators.values()):
        raise ValueError("cannot round negative amounts")
    if sum(numerators.values()) != total_pence * denominator:
        raise ValueError(f"the exact amounts do not add up to {total}")
    floors: dict[str, int] = {}
    remainders: dict[str, int] = {}
    for key, numerator in numerators.items():
        floors[key], remainders[key] = divmod(numerator, denominator)
    left_over = total_pence - sum(floors.values())
    # The left-over pence equal the sum of the remainders, each below a penny, so there are
    # always at least as many keys with a positive remainder as pence to hand out: a key whose
    # exact amount is whole (or zero) never receives an extra penny.
    by_remainder = sorted(remainders, key=lambda key: (-remainders[key], key))
    for key in by_remainder[:left_over]:
        floors[key] += 1
    return {key: from_pence(floors[key]) for key in sorted(floors)}


def round_largest_remainder(exact: Mapping[str, Fraction], total: Decimal) -> dict[str, Decimal]:
    """Round exact pound amounts to whole pence so that they add up to ``total`` exactly.

    ``exact`` maps a key (practice code, component id) to an exact, non-negative amount in
    pounds; the amounts must add up to ``total`` exactly (the caller computed them as shares of
    it). The rule is :func:`round_pence`'s.
    """
    numerators, denominator = scale_to_integers(
        {key: amount * PENCE_PER_POUND for key, amount in exact.items()}
    )
    return round_pence(numerators, denominator, total)


def share_out(total: Decimal, weights: Mapping[str, Fraction]) -> dict[str, Decimal]:
    """Split ``total`` in proportion to ``weights``, to whole pence, adding up to ``total``.

    The exact amount of key ``i`` is ``total * weights[i] / sum(weights)``; it is rounded by
    :func:`round_pence`. Weights must be non-negative with a positive sum.
    """
    integer_weights, _ = scale_to_integers(weights)
    weight_sum = sum(integer_weights.values())
    if weight_sum <= 0:
        raise ValueError("cannot share out money over weights that add up to zero")
    if any(weight < 0 for weight in integer_weights.values()):
        raise ValueError("cannot round negative amounts")
    total_pence = to_pence(total)
    # pence_i = total_pence * w_i / sum(w): numerators over the common denominator sum(w).
    return round_pence(
        {key: total_pence * weight for key, weight in integer_weights.items()}, weight_sum, total
    )
