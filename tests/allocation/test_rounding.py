"""Largest-remainder rounding to whole pence: spec tables written by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from gpequity.allocation.rounding import (
    PENCE,
    from_pence,
    round_largest_remainder,
    round_pence,
    scale_to_integers,
    share_out,
    to_pence,
)


def test_pence_is_one_hundredth_of_a_pound() -> None:
    assert Decimal("0.01") == PENCE
    assert to_pence(Decimal("12.34")) == 1234
    assert from_pence(1234) == Decimal("12.34")
    assert str(from_pence(100)) == "1.00"
    with pytest.raises(ValueError, match="whole number of pence"):
        to_pence(Decimal("0.001"))


def test_three_equal_thirds_of_a_pound_give_the_spare_penny_to_the_first_code() -> None:
    # 100p / 3 = 33.33...p each: floors 33 + 33 + 33 = 99p, 1p left over, equal remainders,
    # so the smallest code gets it.
    third = Fraction(1, 3)
    result = round_largest_remainder({"B": third, "A": third, "C": third}, Decimal("1.00"))
    assert result == {"A": Decimal("0.34"), "B": Decimal("0.33"), "C": Decimal("0.33")}


def test_the_largest_remainders_get_the_spare_pence() -> None:
    # Exact pence: 1000.6, 2000.3, 2999.1 (sum 6000): floors 1000 + 2000 + 2999 = 5999,
    # 1p left over, largest remainder 0.6 (code X) gets it.
    exact = {
        "Z": Fraction(10006, 1000),
        "Y": Fraction(20003, 1000),
        "X": Fraction(29991, 1000),
    }
    result = round_largest_remainder(exact, Decimal("60.00"))
    assert result == {"X": Decimal("29.99"), "Y": Decimal("20.00"), "Z": Decimal("10.01")}


def test_input_order_does_not_change_the_result() -> None:
    sixth = Fraction(1, 6) / 100  # a sixth of a penny each, 6 keys: 1p to share
    forward = {code: sixth for code in ["P1", "P2", "P3", "P4", "P5", "P6"]}
    backward = dict(reversed(list(forward.items())))
    assert round_largest_remainder(forward, PENCE) == round_largest_remainder(backward, PENCE)
    assert round_largest_remainder(forward, PENCE)["P1"] == PENCE


def test_whole_amounts_and_zeros_never_get_an_extra_penny() -> None:
    exact = {"A": Fraction(5), "B": Fraction(0), "C": Fraction(1, 2), "D": Fraction(1, 2)}
    assert round_largest_remainder(exact, Decimal("6")) == {
        "A": Decimal("5.00"),
        "B": Decimal("0.00"),
        "C": Decimal("0.50"),
        "D": Decimal("0.50"),
    }


def test_amounts_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValueError, match="do not add up"):
        round_largest_remainder({"A": Fraction(1)}, Decimal("2"))
    with pytest.raises(ValueError, match="negative"):
        round_largest_remainder({"A": Fraction(-1), "B": Fraction(2)}, Decimal("1"))


def test_share_out_splits_by_weight_to_the_penny() -> None:
    # £100 split 1:1:1 -> 33.333.. each: 3333 + 3333 + 3333 = 9999p, the spare penny to "a".
    assert share_out(Decimal("100"), {"c": Fraction(1), "b": Fraction(1), "a": Fraction(1)}) == {
        "a": Decimal("33.34"),
        "b": Decimal("33.33"),
        "c": Decimal("33.33"),
    }
    # £0.05 split 10:0 -> all to the first.
    assert share_out(Decimal("0.05"), {"a": Fraction(10), "b": Fraction(0)}) == {
        "a": Decimal("0.05"),
        "b": Decimal("0.00"),
    }
    with pytest.raises(ValueError, match="add up to zero"):
        share_out(Decimal("1"), {"a": Fraction(0)})


def test_round_pence_takes_numerators_over_one_denominator() -> None:
    # 10p / 3 over denominator 3: 3.33p each -> 3 + 3 + 3 = 9p, 1p to the first key.
    assert round_pence({"b": 10, "a": 10, "c": 10}, 3, Decimal("0.10")) == {
        "a": Decimal("0.04"),
        "b": Decimal("0.03"),
        "c": Decimal("0.03"),
    }
    with pytest.raises(ValueError, match="do not add up"):
        round_pence({"a": 10}, 3, Decimal("0.10"))


def test_scale_to_integers() -> None:
    numerators, denominator = scale_to_integers({"a": Fraction(1, 4), "b": Fraction(5, 6)})
    assert (numerators, denominator) == ({"a": 3, "b": 10}, 12)
