"""The view types every page uses: here, the order of a sortable table."""

from __future__ import annotations

from gpequity.web.allocate.results import SORT_KEYS
from gpequity.web.views import read_sort


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
