"""Fractional ranks, the concentration index and the slope index, on examples worked by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from gpequity.inequality import (
    concentration_index,
    fractional_ranks,
    slope_index_of_inequality,
)

# Two practices of 100 patients: the deprived one (IMD 30) gets £300, the other (IMD 10) £100.
# Ranks from the most deprived: 0.25 and 0.75.
#   C = 2 x (300 x 0.25 + 100 x 0.75) / 400 - 1 = 2 x 150 / 400 - 1 = -0.25
#   SII: rank by deprivation 0.75 and 0.25, £3 and £1 per head: (3 - 1) / (0.75 - 0.25) = 4
TWO_SCORES = [30, 10]
TWO_POPULATIONS = [100, 100]

# Three practices, two tied on IMD 20 (100 and 300 patients) and one on IMD 5 (600 patients).
# Population shares 0.1, 0.3, 0.6; the tied pair shares the slice 0 to 0.4 (middle 0.2), the
# last has 0.4 to 1 (middle 0.7).
# With £400, £1,200 and £600 (£4, £4 and £1 per head, mean £2.20):
#   C = 2 x (400 x 0.2 + 1200 x 0.2 + 600 x 0.7) / 2200 - 1 = 1480 / 2200 - 1 = -18/55
#   SII: x = 1 - rank = 0.8, 0.8, 0.3 (mean 0.5);
#        cov = 0.1 x 0.3 x 1.8 + 0.3 x 0.3 x 1.8 + 0.6 x (-0.2) x (-1.2) = 0.36,
#        var = 0.1 x 0.09 + 0.3 x 0.09 + 0.6 x 0.04 = 0.06, SII = 0.36 / 0.06 = 6
THREE_SCORES = [20, 20, 5]
THREE_POPULATIONS = [100, 300, 600]


def test_fractional_ranks_run_from_the_most_deprived() -> None:
    assert fractional_ranks(TWO_SCORES, TWO_POPULATIONS) == [0.25, 0.75]
    assert fractional_ranks(THREE_SCORES, THREE_POPULATIONS) == pytest.approx([0.2, 0.2, 0.7])
    # The order of the input does not matter.
    assert fractional_ranks([5, 20, 20], [600, 300, 100]) == pytest.approx([0.7, 0.2, 0.2])


def test_fractional_ranks_need_population() -> None:
    with pytest.raises(ValueError, match="add up to zero"):
        fractional_ranks([1, 2], [0, 0])
    with pytest.raises(ValueError, match="same length"):
        fractional_ranks([1, 2], [1])
    with pytest.raises(ValueError, match="negative"):
        fractional_ranks([1, 2], [1, -1])
    with pytest.raises(ValueError, match="finite"):
        fractional_ranks([1, float("nan")], [1, 1])


def test_concentration_index_is_negative_when_money_goes_to_the_deprived() -> None:
    assert concentration_index([300, 100], TWO_POPULATIONS, TWO_SCORES) == -0.25
    assert concentration_index([100, 300], TWO_POPULATIONS, TWO_SCORES) == 0.25
    assert concentration_index([400, 1200, 600], THREE_POPULATIONS, THREE_SCORES) == float(
        Fraction(-18, 55)
    )


def test_concentration_index_is_zero_for_equal_money_per_head() -> None:
    assert concentration_index([100, 300, 600], THREE_POPULATIONS, THREE_SCORES) == 0.0


def test_concentration_index_tends_to_minus_one_when_all_goes_to_the_most_deprived() -> None:
    # One patient in a million, all the money: C = 2 x 0.0000005 - 1.
    index = concentration_index([1, 0], [1, 999_999], [50, 1])
    assert index == pytest.approx(-1 + 1e-6)


def test_concentration_index_accepts_decimals_and_skips_empty_practices() -> None:
    assert (
        concentration_index(
            [Decimal("300.00"), Decimal("100.00"), Decimal("0")], [100, 100, 0], [30, 10, 99]
        )
        == -0.25
    )


def test_concentration_index_is_undefined_without_money_or_people() -> None:
    assert concentration_index([0, 0], TWO_POPULATIONS, TWO_SCORES) is None
    assert concentration_index([], [], []) is None
    assert concentration_index([5], [0], [10]) is None


def test_slope_index_is_positive_when_the_least_deprived_get_more() -> None:
    # The same way round as the gap Q1 (least deprived) minus Q5 (most deprived).
    assert slope_index_of_inequality([1, 3], TWO_POPULATIONS, TWO_SCORES) == 4.0
    assert slope_index_of_inequality([3, 1], TWO_POPULATIONS, TWO_SCORES) == -4.0
    assert slope_index_of_inequality([4, 4, 1], THREE_POPULATIONS, THREE_SCORES) == pytest.approx(
        -6.0
    )
    assert slope_index_of_inequality([2, 2, 2], THREE_POPULATIONS, THREE_SCORES) == 0.0


def test_slope_index_mixes_decimals_and_floats_exactly() -> None:
    # (0.25 - 3.5) / (0.75 - 0.25) = -6.5
    assert slope_index_of_inequality([Decimal("3.5"), 0.25], TWO_POPULATIONS, TWO_SCORES) == -6.5


def test_a_practice_without_patients_has_a_rank_of_no_width() -> None:
    # The empty practice (IMD 20) sits between the two others: at the edge 0.5.
    assert fractional_ranks([30, 20, 10], [100, 0, 100]) == [0.25, 0.5, 0.75]


def test_slope_index_is_undefined_without_a_spread_of_deprivation() -> None:
    assert slope_index_of_inequality([3, 1], [100, 100], [20, 20]) is None
    assert slope_index_of_inequality([3], [100], [20]) is None
    assert slope_index_of_inequality([], [], []) is None


def test_results_do_not_depend_on_the_order_of_the_practices() -> None:
    amounts = [0.1, 0.2, 0.3, 1e-9, 12345.678]
    populations = [3.3, 1.1, 7.7, 2.2, 0.9]
    scores = [12.5, 40.1, 7.3, 12.5, 33.3]
    forward = concentration_index(amounts, populations, scores)
    backward = concentration_index(amounts[::-1], populations[::-1], scores[::-1])
    assert forward == backward
    sii_forward = slope_index_of_inequality(amounts, populations, scores)
    assert sii_forward == slope_index_of_inequality(amounts[::-1], populations[::-1], scores[::-1])
