"""Spreadsheet downloads: text that a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from gpequity.exports import neutralise_cell, write_csv, write_xlsx


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Castle Surgery", "Castle Surgery"),
        ("", ""),
        (" =1", " =1"),
        (-5, -5),
        (-2.5, -2.5),
        (Decimal("-12.34"), Decimal("-12.34")),
        (None, None),
    ],
)
def test_neutralise_cell(value: object, expected: object) -> None:
    assert neutralise_cell(value) == expected


def test_write_csv_neutralises_text_and_keeps_numbers() -> None:
    rows = [
        ["A81001", "=cmd|' /C calc'!A0", Decimal("1234.50"), -3, 0.1, None],
        ["A81002", 'Castle, "Old" Surgery', Decimal("-0.01"), 0, 2.0, date(2023, 3, 31)],
    ]
    header = ["Practice code", "Name", "Allocation (£)", "Change", "Rate", "Note"]
    assert write_csv(rows, header) == (
        "Practice code,Name,Allocation (£),Change,Rate,Note\r\n"
        "A81001,'=cmd|' /C calc'!A0,1234.50,-3,0.1,\r\n"
        'A81002,"Castle, ""Old"" Surgery",-0.01,0,2.0,2023-03-31\r\n'
    )


def test_write_csv_neutralises_the_header_too() -> None:
    assert write_csv([], ["=1+1", "@x"]) == "'=1+1,'@x\r\n"


def test_write_xlsx_neutralises_text_and_keeps_numbers() -> None:
    data = write_xlsx(
        {
            "Allocation": (
                ["Practice code", "Name", "Allocation (£)", "Change"],
                [
                    ["A81001", "=1+1", Decimal("1234.50"), -3],
                    ["A81002", "-SUM(A1:A2)", Decimal("0.01"), 2.5],
                ],
            ),
            "Method": (["Step"], [["@risk"], ["Plain text"]]),
        }
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Allocation", "Method"]
    sheet = book["Allocation"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["Practice code", "Name", "Allocation (£)", "Change"],
        ["A81001", "'=1+1", 1234.5, -3],
        ["A81002", "'-SUM(A1:A2)", 0.01, 2.5],
    ]
    # Text stays text: no cell is a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet["C2"].data_type == "n"
    assert [[c.value for c in row] for row in book["Method"].iter_rows()] == [
        ["Step"],
        ["'@risk"],
        ["Plain text"],
    ]


def test_write_xlsx_makes_sheet_names_excel_accepts() -> None:
    long_name = "Allocation by primary care network and quintile"
    data = write_xlsx({long_name: (["a"], []), "a/b?": (["a"], []), "A/B?": (["a"], [])})
    names = load_workbook(io.BytesIO(data)).sheetnames
    assert names == [long_name[:31], "a b", "A B (2)"]
    assert all(len(name) <= 31 for name in names)


def test_write_xlsx_drops_characters_xml_cannot_hold() -> None:
    data = write_xlsx({"S": (["a"], [["bell\x07 here"]])})
    assert load_workbook(io.BytesIO(data))["S"]["A2"].value == "bell here"
