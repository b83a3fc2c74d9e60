"""Rounding money to whole pence without losing or inventing a penny.

Every amount the allocation engine shows (allocations, the per-head baseline, each component's
pot and each practice's part of it) goes through :func:`round_largest_remainder`, so the
pieces always add up to the whole to the penny (the "largest-remainder" or Hamilton method):

1. work out each exact amount in pence (an exact fraction, never a float);
2. give everyone the whole pence below their exact amount;
3. hand out the pence left over, one each, to the largest remainders.

Equal remainders are broken by key (the practice code, or the component id) in ascending
order, so the order in which the rows arrive never changes who gets the last penny.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def round_largest_remainder(exact: Mapping[str, Fraction], total: Decimal) -> dict[str, Decimal]:
    """Round exact pound amounts to whole pence so that they add up to ``total`` exactly.

    ``exact`` maps a key (practice code, component id) to an exact, non-negative amount in
    pounds; the amounts must add up to ``total`` exactly (the caller computed them as shares of
    it). Each key gets the whole pence below its exact amount, and the pence left over go one
    each to the largest remainders; equal remainders go to the smallest key first. So each
    result is its exact amount rounded down or up, never further than a penny away.
    """
    total_pence = to_pence(total)
    if any(amount < 0 for amount in exact.values()):
        raise ValueError("cannot round negative amounts")
    if sum(exact.values(), Fraction(0)) != Fraction(total):
        raise ValueError(f"the exact amounts do not add up to {total}")

    floors: dict[str, int] = {}
    remainders: dict[str, Fraction] = {}
    for key, amount in exact.items():
        pence = amount * PENCE_PER_POUND
        floors[key] = pence.numerator // pence.denominator
        remainders[key] = pence - floors[key]
    left_over = total_pence - sum(floors.values())
    # The left-over pence equal the sum of the remainders, each below 1, so there are always
    # at least as many keys with a positive remainder as pence to hand out: a key whose exact
    # amount is whole (or zero) never receives an extra penny.
    by_remainder = sorted(remainders, key=lambda key: (-remainders[key], key))
    for key in by_remainder[:left_over]:
        floors[key] += 1
    return {key: from_pence(floors[key]) for key in sorted(floors)}


def share_out(total: Decimal, weights: Mapping[str, Fraction]) -> dict[str, Decimal]:
    """Split ``total`` in proportion to ``weights``, to whole pence, adding up to ``total``.

    The exact amount of key ``i`` is ``total * weights[i] / sum(weights)``; it is rounded with
    :func:`round_largest_remainder`. Weights must be non-negative with a positive sum.
    """
    weight_sum = sum(weights.values(), Fraction(0))
    if weight_sum <= 0:
        raise ValueError("cannot share out money over weights that add up to zero")
    exact_total = Fraction(total)
    return round_largest_remainder(
        {key: exact_total * weight / weight_sum for key, weight in weights.items()}, total
    )
