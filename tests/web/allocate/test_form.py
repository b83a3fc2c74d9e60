"""Reading the allocation form: amounts, practice codes, the scenario's link, the errors' order."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from gpequity.web.allocate.form import (
    COMPONENT_ROWS,
    ComponentInput,
    ScenarioInput,
    exclusion_codes,
    order_errors,
    parse_amount,
    read_scenario_input,
)
from gpequity.web.views import FieldError

# --- the presenter's reading of the form --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250000", Decimal("250000")),
        ("£250,000.50", Decimal("250000.50")),
        (" 1 000 ", Decimal("1000")),
        ("-5", Decimal("-5")),
        ("1e5", None),
        ("NaN", None),
        ("", None),
    ],
)
def test_amounts_are_read_as_pounds(text: str, expected: Decimal | None) -> None:
    assert parse_amount(text)[0] == expected


def test_practice_codes_to_leave_out_are_read_in_any_layout() -> None:
    assert exclusion_codes("a81001, A81002;a81001\nb82003\t") == ["A81001", "A81002", "B82003"]


def test_a_scenarios_link_reads_back_to_the_same_scenario() -> None:
    inp = ScenarioInput(
        icb="QHM",
        amount="1000.50",
        method="efit-classic",
        sex="female",
        age_from="18",
        age_to="64",
        components=(
            ComponentInput("imd", "40"),
            ComponentInput(),
            ComponentInput("bowel-screening", "33.3", "lower"),
        ),
        missing="exclude",
        baseline="weighted",
        exclude="A81001 A81002",
    )
    again = read_scenario_input(dict(parse_qsl(inp.query())))
    assert again.query_items() == inp.query_items()
    assert len(again.components) == COMPONENT_ROWS


def test_errors_follow_the_order_of_the_form() -> None:
    errors = [
        FieldError("exclude", "x"),
        FieldError("b-w1", "x"),
        FieldError("a-c1", "x"),
        FieldError("amount", "x"),
        FieldError("amount", "x"),
        FieldError("icb", "x"),
    ]
    assert [e.field for e in order_errors(errors)] == ["icb", "amount", "a-c1", "b-w1", "exclude"]
