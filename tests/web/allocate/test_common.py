"""What the allocation pages share: the page's title and status line, and the quintile sentence."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gpequity.allocation import QuintileSummary
from gpequity.web.allocate.common import (
    NO_DATA_STATUS,
    present_page,
    present_without_data,
    quintile_sentence,
)
from gpequity.web.views import FieldError

HEADING = "Compare two allocations"


@dataclass(frozen=True)
class Results:
    heading: str


def test_a_page_with_results_is_titled_and_announced_by_them() -> None:
    results = Results("£1 for X")
    page = present_page(HEADING, "form", (), "Choose.", results, lambda r: f"Done: {r.heading}")
    assert (page.title, page.status_text) == (f"£1 for X – {HEADING}", "Done: £1 for X")
    assert page.results is results


def test_a_page_with_errors_shows_no_results() -> None:
    errors = [FieldError("amount", "Enter the amount."), FieldError("icb", "Choose an ICB.")]
    page = present_page(HEADING, "form", errors, "Choose.", Results("£1"))
    assert page.title == f"Error: {HEADING}"
    assert page.status_text == "There is a problem: 2 errors to correct."
    assert page.results is None and page.errors == tuple(errors)


def test_a_page_before_any_choice_and_without_data() -> None:
    idle = present_page(HEADING, "form", (), "Choose.", None)
    assert (idle.title, idle.status_text) == (HEADING, "Choose.")
    empty = present_without_data(HEADING, has_data=False)
    assert (empty.form, empty.has_data, empty.status_text) == (None, False, NO_DATA_STATUS)


def quintile(number: int | None, practices: int, population: str, money: str) -> QuintileSummary:
    label = "No IMD score" if number is None else f"Q{number}"
    return QuintileSummary(
        number, label, practices, 1000.0, Decimal(population), Decimal(1), Decimal(money), None
    )


def test_the_quintile_sentence_names_the_most_and_least_deprived() -> None:
    quintiles = [
        quintile(1, 3, "0.3", "0.2"),
        quintile(5, 2, "0.5", "0.7"),
        quintile(None, 1, "0.2", "0.1"),
    ]
    assert quintile_sentence(quintiles) == (
        "The ICB's most deprived practices, in Q5, get 70.0% of the money for 50.0% of the "
        "patients; its least deprived, in Q1, get 20.0% for 30.0%."
    )
    assert quintile_sentence([quintile(None, 4, "1", "1")]) is None
