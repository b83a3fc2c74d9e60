"""The allocation's workbook is laid out for people (openpyxl reads it back); the CSV keeps the
machine headers, the JSON's names.

On the small eFIT warehouse of tests/conftest.py (QZZ, four practices), IMD 50% + hypertension
50%, £10,000: the figures are those worked out in tests/commands/test_allocate_cli.py.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from gpequity.allocation.exports import allocation_csv, allocation_xlsx
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.exports import POUNDS_FORMAT, SHARE_FORMAT
from gpequity.warehouse.build import connect

SCENARIO = Scenario(
    "QZZ",
    Decimal("10000"),
    (ComponentChoice("imd", Decimal(50)), ComponentChoice("hypertension-prevalence", Decimal(50))),
)


def test_the_workbook_is_formatted_for_people(small_efit_db: Path) -> None:
    with connect(small_efit_db) as con:
        outcome = allocate_scenario(con, SCENARIO)
    book = load_workbook(io.BytesIO(allocation_xlsx(outcome)))
    assert book.sheetnames == [
        "Allocation",
        "Inputs",
        "Method",
        "Warnings",
        "By IMD quintile",
        "PCN roll-up",
    ]
    sheet = book["Allocation"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Practice code", "Practice name", "PCN code"]
    assert "Hypertension: QOF prevalence: imputed (ICB median)" in header
    allocation = header.index("Allocation") + 1
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}5"
    assert all(c.font.bold for c in sheet[1])
    column = [sheet.cell(row, allocation) for row in range(2, sheet.max_row + 1)]
    assert [c.number_format for c in column] == [POUNDS_FORMAT] * 5
    assert [c.value for c in column[:-1]] == [989.99, 3487.21, 828.7, 4694.1]
    # The totals row: the amount, to the penny, in bold.
    totals = sheet[sheet.max_row]
    assert totals[0].value == "Total" and totals[0].font.bold
    assert column[-1].value == 10000
    assert sheet.column_dimensions["B"].width == 36
    quintiles = book["By IMD quintile"]
    assert quintiles.cell(2, 4).number_format == SHARE_FORMAT
    assert quintiles.auto_filter.ref is not None
    inputs = dict(book["Inputs"].iter_rows(min_row=2, values_only=True))
    assert inputs["ICB"] == "QZZ (Zed ICB)"
    warnings = list(book["Warnings"].iter_rows(min_row=2, values_only=True))
    assert warnings == [
        (
            "sparse-component",
            "'Hypertension: QOF prevalence' has no value for 1 practice of 4 (25.0%): they were "
            "given the ICB median of the practices that have one.",
        )
    ]
    pcns = book["PCN roll-up"]
    assert [c.value for c in pcns[1]][:2] == ["PCN code", "PCN name"]


def test_the_csv_keeps_the_machine_headers(small_efit_db: Path) -> None:
    with connect(small_efit_db) as con:
        outcome = allocate_scenario(con, SCENARIO)
    header = allocation_csv(outcome).splitlines()[0].split(",")
    assert header[:2] == ["practice_code", "practice_name"]
    assert "allocation" in header and "hypertension-prevalence imputed" in header
