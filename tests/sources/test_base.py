"""What every loader shares: the financial year of a file's name and the first read of a file."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from gpequity.errors import InputFileError
from gpequity.sources.base import (
    LoadReport,
    financial_year,
    read_raw,
    reject_non_numbers,
    require_year_in_name,
    year_in_name,
)

from .conftest import WriteCsv

TWO_DIGITS = re.compile(r"file-(\d{2})-(\d{2})\.csv")
FOUR_DIGITS = re.compile(r"(\d{4})-(\d{2})(?!\d)")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (22, 23, "2022/23"),
        (2022, 23, "2022/23"),
        (14, 15, "2014/15"),
        (9, 10, "2009/10"),
        (99, 0, "2099/00"),
        (14, 16, None),
        (23, 22, None),
        (2022, 22, None),
    ],
)
def test_a_financial_year_is_a_start_and_the_year_after(
    start: int, end: int, expected: str | None
) -> None:
    assert financial_year(start, end) == expected


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("file-22-23.csv", TWO_DIGITS, "2022/23"),
        ("file-22-24.csv", TWO_DIGITS, None),
        ("other.csv", TWO_DIGITS, None),
        ("achievement-2023-24.csv", FOUR_DIGITS, "2023/24"),
        ("achievement-2023-245.csv", FOUR_DIGITS, None),
    ],
)
def test_the_year_in_a_file_name(name: str, pattern: re.Pattern[str], expected: str | None) -> None:
    assert year_in_name(Path("folder") / name, pattern) == expected


def test_a_file_without_its_year_in_its_name_is_refused_with_an_example_name() -> None:
    path = Path("renamed.csv")
    assert require_year_in_name(Path("file-21-22.csv"), TWO_DIGITS, "X", "") == "2021/22"
    with pytest.raises(InputFileError) as caught:
        require_year_in_name(path, TWO_DIGITS, "Some Dataset", "file-22-23.csv")
    message = str(caught.value)
    assert "looks like Some Dataset but the financial year is not in its name" in message
    assert "name it like file-22-23.csv" in message


def test_read_raw_finds_the_columns_counts_the_rows_and_adds_the_flag(
    tmp_path: Path, write_csv: WriteCsv
) -> None:
    path = write_csv(
        tmp_path / "f.csv", ["Practice Code", "Extra", "value"], [["A1", "x", "1"], ["B2", "y", ""]]
    )
    report = LoadReport(dataset="d", period=None, path=str(path), sha256="")
    con = duckdb.connect()
    col = read_raw(
        con,
        path,
        "raw_f",
        report,
        {"code": ("practice_code",), "value": ("Value",)},
        {"note": ("Note",)},
    )
    assert col == {"code": "Practice Code", "value": "value"}
    assert report.rows_read == 2
    rows = con.execute('SELECT _row, "Practice Code", value, _rejected FROM raw_f').fetchall()
    assert rows == [(2, "A1", "1", False), (3, "B2", None, False)]


def test_read_raw_refuses_a_file_without_a_required_column(
    tmp_path: Path, write_csv: WriteCsv
) -> None:
    path = write_csv(tmp_path / "f.csv", ["Practice Code"], [["A1"]])
    report = LoadReport(dataset="d", period=None, path=str(path), sha256="")
    with pytest.raises(InputFileError, match="missing required column 'Value'"):
        read_raw(duckdb.connect(), path, "raw_f", report, {"value": ("Value",)})


def test_values_that_are_not_numbers_are_rejected_and_blanks_kept(
    tmp_path: Path, write_csv: WriteCsv
) -> None:
    values = [["1"], ["-2.5"], ["1.2E-05"], [""], ["n/a"], ["inf"], ["1_000"]]
    path = write_csv(tmp_path / "f.csv", ["Value"], values)
    report = LoadReport(dataset="d", period=None, path=str(path), sha256="")
    con = duckdb.connect()
    col = read_raw(con, path, "raw_f", report, {"value": ("Value",)})
    reject_non_numbers(con, "raw_f", report, '"Value"', col["value"], "score")
    assert [(r.row, r.reason) for r in report.rejections] == [
        (6, "score 'n/a' is not a number"),
        (7, "score 'inf' is not a number"),
        (8, "score '1_000' is not a number"),
    ]
    kept = con.execute('SELECT "Value" FROM raw_f WHERE NOT _rejected ORDER BY _row').fetchall()
    assert kept == [("1",), ("-2.5",), ("1.2E-05",), (None,)]
