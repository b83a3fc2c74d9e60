"""The one formatting module: each rule as examples, then the rules as properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.formats import (
    INDEX_PLACES,
    MINUS,
    NOT_AVAILABLE,
    PENNY,
    compare_amounts,
    compare_word,
    format_change,
    format_count,
    format_index,
    format_number,
    format_people,
    format_people_short,
    format_per_patient,
    format_percent,
    format_points,
    format_pounds,
    format_pounds_short,
    format_pounds_whole,
    format_share,
    list_in_words,
    round_to,
    sign_as_written,
)

EXAMPLES = settings(max_examples=200, deadline=None)

#: Sums of money as large as any the project meets (England's GP spend is about £10bn a year).
money = st.one_of(
    st.floats(min_value=-1e11, max_value=1e11, allow_nan=False),
    st.decimals(min_value=-(10**11), max_value=10**11, places=6),
)
#: Differences near nought, where the sign and the word are easiest to get wrong.
tiny = st.one_of(
    st.floats(min_value=-0.02, max_value=0.02, allow_nan=False),
    st.decimals(min_value=Decimal("-0.02"), max_value=Decimal("0.02"), places=6),
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (170.74, "£170.74"),
        (-95.2, f"{MINUS}£95.20"),
        (Decimal("1234567.891"), "£1,234,567.89"),
        (0.005, "£0.01"),
        (-0.004, "£0.00"),
        (2.675, "£2.68"),
        (None, NOT_AVAILABLE),
    ],
)
def test_format_pounds(value: float | Decimal | None, text: str) -> None:
    assert format_pounds(value) == text


def test_whole_and_short_pounds() -> None:
    assert format_pounds_whole(Decimal("10230094804.5")) == "£10,230,094,805"
    assert format_pounds_whole(-3.4) == f"{MINUS}£3"
    assert format_pounds_short(Decimal("10230094804")) == "£10.2bn"
    assert format_pounds_short(870_312_000) == "£870.3m"
    assert format_pounds_short(-12_480) == f"{MINUS}£12.5k"
    assert format_pounds_short(950.4) == "£950"
    assert format_pounds_short(999_960) == "£1.0m"
    assert format_pounds_short(-0.4) == "£0"
    assert format_pounds_short(None) == NOT_AVAILABLE


def test_changes_are_always_signed() -> None:
    assert format_change(Decimal("822.51")) == "+£822.51"
    assert format_change(Decimal("-1225.1")) == f"{MINUS}£1,225.10"
    assert format_change(Decimal("0.004")) == "£0.00"
    assert format_change(None) == NOT_AVAILABLE


def test_per_patient_to_a_hundredth_of_a_penny() -> None:
    assert format_per_patient(Decimal("0.12345")) == "£0.1235"
    assert format_per_patient(-12.34) == f"{MINUS}£12.3400"
    assert format_per_patient(None) == NOT_AVAILABLE


def test_percentages_shares_and_points() -> None:
    assert format_percent(12.345) == "12.3%"
    assert format_percent(-4) == f"{MINUS}4.0%"
    assert format_percent(None) == NOT_AVAILABLE
    assert format_share(0.123456) == "12.3%"
    assert format_share(Decimal("0.5"), places=0) == "50%"
    assert format_share(None) == NOT_AVAILABLE
    assert format_points(Decimal("0.023")) == "+2.3 points"
    assert format_points(-0.023) == f"{MINUS}2.3 points"
    assert format_points(0.0004) == "0.0 points"
    assert format_points(None) == NOT_AVAILABLE


def test_counts_people_and_numbers() -> None:
    assert format_count(6669) == "6,669"
    assert format_count(None) == NOT_AVAILABLE
    assert format_people(62_134_644.5) == "62,134,645"
    assert format_people(None) == NOT_AVAILABLE
    assert format_people_short(62_134_645) == "62.1 million"
    assert format_people_short(950_000) == "950,000"
    assert format_people_short(None) == NOT_AVAILABLE
    assert format_number(1234.56) == "1,234.6"
    assert format_number(-0.74, places=2) == f"{MINUS}0.74"
    assert format_number(None) == NOT_AVAILABLE


def test_index_to_four_places_with_the_true_minus() -> None:
    assert format_index(0.02351) == "0.0235"
    assert format_index(-0.0621) == f"{MINUS}0.0621"
    assert format_index(-0.00004) == "0.0000"
    assert format_index(None) == NOT_AVAILABLE


@pytest.mark.parametrize(
    ("difference", "word"),
    [(13.96, "more"), (-0.006, "less"), (0.004, "the same"), (-0.004, "the same"), (0, "the same")],
)
def test_compare_word(difference: float, word: str) -> None:
    assert compare_word(difference) == word


@EXAMPLES
@given(tiny)
def test_the_word_agrees_with_the_rounded_figure(difference: float | Decimal) -> None:
    text = format_pounds(difference)
    word = compare_word(difference)
    assert (word == "the same") == (text == "£0.00")
    assert (word == "less") == text.startswith(MINUS)


@EXAMPLES
@given(money, money)
def test_two_sums_are_the_same_exactly_when_they_read_the_same(
    amount: float | Decimal, other: float | Decimal
) -> None:
    same = compare_amounts(amount, other) == "the same"
    assert same == (format_pounds(amount) == format_pounds(other))


@EXAMPLES
@given(st.floats(min_value=-1, max_value=1, allow_nan=False))
def test_the_sign_of_an_index_is_that_of_the_index_as_written(value: float) -> None:
    text = format_index(value)
    sign = sign_as_written(value, INDEX_PLACES)
    assert (sign < 0) == text.startswith(MINUS)
    assert (sign == 0) == (text == "0.0000")


@EXAMPLES
@given(money)
def test_the_sign_of_the_text_agrees_with_the_rounded_value(value: float | Decimal) -> None:
    rounded = round_to(value, PENNY)
    text = format_pounds(value)
    assert "-" not in text
    assert text.startswith(MINUS) == (rounded < 0)
    assert Decimal(text.lstrip(MINUS).lstrip("£").replace(",", "")) == abs(rounded)
    change = format_change(value)
    assert change.startswith("+") == (rounded > 0)
    assert change.startswith(MINUS) == (rounded < 0)


@EXAMPLES
@given(money)
def test_every_signed_format_uses_the_true_minus(value: float | Decimal) -> None:
    for text in (
        format_pounds_whole(value),
        format_pounds_short(value),
        format_number(value, places=2),
        format_percent(value),
        format_index(value),
    ):
        assert "-" not in text
        assert not text.startswith(MINUS) or _shows_a_nonzero_digit(text)


def _shows_a_nonzero_digit(text: str) -> bool:
    """A text with the minus sign shows some digit other than nought."""
    return any(ch in "123456789" for ch in text)


def test_the_funding_page_examples_keep_their_figures() -> None:
    """Moved from tests/web/test_funding.py; the negative ones now take the true minus."""
    assert format_pounds(170.735) == "£170.74"
    assert format_pounds(-3.25) == f"{MINUS}£3.25"
    assert format_pounds(Decimal("1234567.891")) == "£1,234,567.89"
    assert format_pounds(None) == "Not available"
    assert format_pounds_whole(Decimal("10230094803.70")) == "£10,230,094,804"
    assert format_pounds_whole(Decimal("-0.50")) == f"{MINUS}£1"
    assert format_pounds_short(Decimal("10230094803.70")) == "£10.2bn"
    assert format_pounds_short(Decimal("870279769.13")) == "£870.3m"
    assert format_pounds_short(Decimal("12500")) == "£12.5k"
    assert format_pounds_short(Decimal("950.49")) == "£950"
    assert format_people(62134644.75) == "62,134,645"
    assert format_people(0.5) == "1"
    assert format_people_short(62134644.75) == "62.1 million"
    assert format_people_short(388659.75) == "388,660"
    assert format_index(0.02351) == "0.0235"
    assert format_index(-0.1) == f"{MINUS}0.1000"
    assert list_in_words(["2020/21", "2021/22", "2022/23"]) == "2020/21, 2021/22 or 2022/23"
    assert list_in_words(["2022/23"]) == "2022/23"


def test_format_count() -> None:
    """Moved from tests/web/test_presenters.py."""
    assert [format_count(n) for n in (0, 999, 1000, 1234567)] == ["0", "999", "1,000", "1,234,567"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (160.674, "£160.67"),
        (-3.254, f"{MINUS}£3.25"),
        (1234.5, "£1,234.50"),
        (-0.001, "£0.00"),
        (None, NOT_AVAILABLE),
    ],
)
def test_the_datapack_examples_of_pounds(value: float | None, text: str) -> None:
    """Moved from tests/reports/test_datapack.py; now with the true minus and the one word."""
    assert format_pounds(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(0.2961, "29.6%"), (1.0, "100.0%"), (None, NOT_AVAILABLE)]
)
def test_the_datapack_examples_of_shares(value: float | None, text: str) -> None:
    assert format_share(value) == text
