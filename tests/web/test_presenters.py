"""Presenters: navigation state, formats, error titles."""

from __future__ import annotations

import pytest

from gpequity.warehouse.status import SourceRow, WarehouseStatus
from gpequity.web.presenters import (
    file_name,
    format_time,
    format_timestamp,
    nav_current,
    present_data_page,
    present_error,
    present_layout,
)


@pytest.mark.parametrize(
    ("href", "path", "expected"),
    [
        ("/", "/", "page"),
        ("/", "/data", None),
        ("/data", "/data", "page"),
        ("/data", "/data/sources.csv", "true"),
        ("/data", "/database", None),
        ("/data", "/", None),
    ],
)
def test_nav_current(href: str, path: str, expected: str | None) -> None:
    assert nav_current(href, path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/srv/raw/nhspaymentsgp-22-23-prac-csv.csv", "nhspaymentsgp-22-23-prac-csv.csv"),
        ("C:\\data\\ccg-icb-lookup.csv", "ccg-icb-lookup.csv"),
        ("https://example.org/files/practice-imd-93553.csv", "practice-imd-93553.csv"),
        ("relative.csv", "relative.csv"),
    ],
)
def test_file_name(path: str, expected: str) -> None:
    assert file_name(path) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-23T12:00:21.123456", "2026-11-23 12:00:21 UTC"),
        ("2026-11-23 12:00:19", "2026-11-23 12:00:19 UTC"),
        (None, "Not recorded"),
        ("yesterday", "yesterday"),
    ],
)
def test_format_timestamp(value: str | None, expected: str) -> None:
    assert format_timestamp(value) == expected


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (404, "Page not found"),
        (500, "Sorry, there is a problem with the service"),
        (503, "Sorry, there is a problem with the service"),
        (405, "Method Not Allowed"),
        (499, "Sorry, the request could not be completed"),
    ],
)
def test_present_error(code: int, title: str) -> None:
    assert present_error(code).title == title


def _status(*, synthetic: bool, sources: list[SourceRow]) -> WarehouseStatus:
    return WarehouseStatus(
        db_path="w.duckdb",
        synthetic=synthetic,
        built_at="2026-11-23T12:00:00",
        sources=sources,
        tables={},
        warnings=[],
    )


def test_layout_shows_the_banner_only_for_a_synthetic_warehouse() -> None:
    assert present_layout("/", _status(synthetic=True, sources=[])).synthetic
    assert not present_layout("/", _status(synthetic=False, sources=[])).synthetic
    assert not present_layout("/", None).synthetic


def test_data_page_without_a_warehouse_has_nothing_to_list() -> None:
    page = present_data_page(None)

    assert not page.has_data
    assert page.files == []
    assert page.datasets.rows == ()


def test_data_page_datasets_list_periods_in_load_order_and_count_files() -> None:
    row = SourceRow("payments", "Payments", "2021/22", "a.csv", "0" * 64, 1, 1, 0, "x")
    page = present_data_page(
        _status(
            synthetic=False,
            sources=[
                row,
                SourceRow("payments", "Payments", "2022/23", "b.csv", "1" * 64, 2, 2, 0, "x"),
                SourceRow("payments", "Payments", "2022/23", "c.csv", "2" * 64, 3, 3, 0, "x"),
            ],
        )
    )

    assert [tuple(c.text for c in row) for row in page.datasets.rows] == [
        ("Payments", "2021/22, 2022/23", "3")
    ]
    assert page.file_count == "3"


def test_format_time_leaves_the_zone_to_the_column_heading() -> None:
    assert format_time("2026-11-23 12:00:19") == "2026-11-23 12:00:19"
    assert format_time(None) == "Not recorded"
