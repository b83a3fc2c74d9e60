"""What only the allocation pages write: counted nouns, weights, ratios, sort values."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.web.allocate.formatting import count, format_times, format_weight, sort_text


def test_counts_agree_with_their_noun() -> None:
    assert count(1, "practice", "practices") == "1 practice"
    assert count(0, "practice", "practices") == "0 practices"
    assert count(1234, "practice", "practices") == "1,234 practices"


@settings(max_examples=50)
@given(st.integers(0, 10**7))
def test_the_noun_is_singular_only_for_one(n: int) -> None:
    words = count(n, "error", "errors").split()
    assert words[1] == ("error" if words[0] == "1" else "errors")
    assert int(words[0].replace(",", "")) == n


def test_weights_are_written_as_typed() -> None:
    assert format_weight(Decimal("50")) == "50%"
    assert format_weight(Decimal("50.00")) == "50%"
    assert format_weight(Decimal("33.30")) == "33.3%"
    assert format_weight(Decimal("1E+2")) == "100%"


def test_ratios_have_two_decimals() -> None:
    assert format_times(Decimal("1.5")) == "1.50"
    assert format_times(Decimal("2.005")) == "2.01"


def test_sort_values_are_plain_numbers() -> None:
    assert sort_text(Decimal("1234.50")) == "1234.50"
    assert sort_text(0.1) == "0.1"
    assert sort_text(None) is None
