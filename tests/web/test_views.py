"""The view types every page uses: sortable tables, radio groups, field errors."""

from __future__ import annotations

from gpequity.web.allocate.results import SORT_KEYS
from gpequity.web.views import (
    Cell,
    Column,
    FieldError,
    SortChoice,
    errors_by_field,
    radio_group,
    read_sort,
    sort_rows,
    sortable_columns,
)


def test_sorting_falls_back_to_the_practice_code() -> None:
    assert read_sort("allocation", "desc", SORT_KEYS).items() == [
        ("sort", "allocation"),
        ("order", "desc"),
    ]
    assert read_sort("allocation", None, SORT_KEYS).items() == [
        ("sort", "allocation"),
        ("order", "asc"),
    ]
    assert read_sort("drop table", "desc", SORT_KEYS).items() == []


def test_rows_without_a_value_sort_last_either_way() -> None:
    rows = [(Cell("b", sort_value="2"),), (Cell("none"),), (Cell("a", sort_value="10"),)]
    assert [r[0].text for r in sort_rows(rows, 0, descending=False)] == ["b", "a", "none"]
    assert [r[0].text for r in sort_rows(rows, 0, descending=True)] == ["a", "b", "none"]


def test_the_sorted_column_links_to_the_other_order() -> None:
    columns = [Column("Practice", key="practice"), Column("Note")]
    shown = sortable_columns(columns, SortChoice("practice"), lambda c: f"?{c.items()}")
    assert shown[0].aria_sort == "ascending" and shown[0].next_order == "desc"
    assert shown[1].href is None


def test_radio_groups_check_the_value_or_the_first_choice() -> None:
    choices = [("", "Usual", None), ("higher", "Higher", None)]
    group = radio_group("d1", "d1", "Direction", choices, "nonsense", {"d1": "Choose."})
    assert [i.selected for i in group.items] == [True, False]
    assert [i.id for i in group.items] == ["d1", "d1-higher"]
    assert group.error == "Choose."


def test_a_fields_messages_are_joined() -> None:
    errors = [FieldError("w1", "Enter it."), FieldError("w1", "Really."), FieldError("c1", "No.")]
    assert errors_by_field(errors) == {"w1": "Enter it. Really.", "c1": "No."}
