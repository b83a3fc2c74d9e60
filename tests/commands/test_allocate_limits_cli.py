"""``gpequity allocate`` with floors, caps and pace of change, on the small eFIT warehouse of
tests/conftest.py (QZZ: P00001 2,000 patients, P00002 3,000, P00003 1,000, P00004 4,000).

Without limits, £10,000 by IMD 50% + hypertension 50% gives £989.99, £3,487.21, £828.70 and
£4,694.10 (tests/commands/test_allocate_cli.py). A floor of £0.90 per patient holds P00001
(£1,800) and P00003 (£900); the other two share the £7,300 left in proportion to their need.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from gpequity.cli import app

ICB = "QZZ"
BASE = ("--amount", "10000", "--component", "imd:50", "--component", "hypertension-prevalence:50")


@pytest.fixture(scope="module")
def db(small_efit_db: Path) -> Path:
    return small_efit_db


def run(db: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--db", str(db)], catch_exceptions=False)


def allocate_json(db: Path, *args: str) -> dict[str, Any]:
    result = run(db, "allocate", "--icb", ICB, "--format", "json", *BASE, *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_floor_holds_the_practices_below_it_and_the_rest_share_what_is_left(db: Path) -> None:
    data = allocate_json(db, "--floor", "0.90")
    got = {p["practice_code"]: (p["allocation"], p["limit"]) for p in data["practices"]}
    assert got["P00001"] == (1800.00, "floor")
    assert got["P00003"] == (900.00, "floor")
    # £7,300 left for P00002 and P00004, in the ratio of their exact amounts without limits
    p2, p4 = got["P00002"][0], got["P00004"][0]
    assert round(p2 + p4, 2) == 7300.00
    exact_ratio = Decimal("3487.208") / Decimal("4694.104")
    assert abs(Decimal(str(p2)) / Decimal(str(p4)) - exact_ratio) < Decimal("0.0001")
    limits = data["limits"]
    assert limits["floor"] == 0.9
    assert limits["unit"] == "per-patient"
    assert limits["held"] == [
        {"limit": "floor", "label": "floor", "practices": ["P00001", "P00003"], "moved": 881.31}
    ]
    moved = {p["practice_code"]: p["moved"] for p in data["practices"]}
    assert moved["P00001"] == 810.01  # £1,800.00 - £989.99


def test_a_cap_per_practice_in_pounds(db: Path) -> None:
    data = allocate_json(db, "--cap", "4000", "--limit-unit", "per-practice")
    got = {p["practice_code"]: p["allocation"] for p in data["practices"]}
    assert got["P00004"] == 4000.00
    assert round(sum(got.values()), 2) == 10000.00


def write_previous(tmp_path: Path) -> Path:
    path = tmp_path / "previous.csv"
    path.write_text(
        "Practice code,Practice name,Amount\n"
        'P00001,North,"£1,000.00"\n'
        "P00002,South,3000\n"
        "P00003,East,abc\n"
        "Z99999,Closed,50\n",
        encoding="utf-8",
    )
    return path


def test_pace_of_change_from_a_previous_file(db: Path, tmp_path: Path) -> None:
    previous = write_previous(tmp_path)
    result = run(
        db, "allocate", "--icb", ICB, "--format", "json", *BASE,
        "--previous", str(previous), "--max-change", "10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # the bad row is named in a warning, with its row and column
    assert "previous.csv, row 4, column 'Amount': 'abc' is not an amount" in result.stderr
    data = json.loads(result.stdout)
    got = {p["practice_code"]: (p["allocation"], p["limit"]) for p in data["practices"]}
    assert got["P00002"] == (3300.00, "pace-up")  # £3,000 + 10%
    low, high = 900, 1100
    assert low <= got["P00001"][0] <= high
    assert data["limits"]["previous_not_in_pool"] == ["Z99999"]
    assert data["limits"]["new_practices"] == ["P00003", "P00004"]


def test_limits_that_cannot_be_met_name_the_largest_floor(db: Path) -> None:
    result = run(db, "allocate", "--icb", ICB, *BASE, "--floor", "1.01")
    assert result.exit_code == 1
    assert "--floor: The floor of £1.01 per target patient cannot be met" in result.stderr
    assert "The largest floor that can be met is £1.00 per target patient." in result.stderr


def test_every_bad_limit_is_named_by_its_option(db: Path, tmp_path: Path) -> None:
    result = run(
        db, "allocate", "--icb", ICB, *BASE, "--floor", "-1", "--cap", "abc",
        "--max-change", "5", "--previous", str(tmp_path / "missing.csv"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--floor: The floor cannot be negative." in result.stderr
    assert "--cap: 'abc' is not an amount like 4.50." in result.stderr
    assert "--previous: " in result.stderr and "missing.csv: cannot be read" in result.stderr
    assert "Traceback" not in result.output


def test_a_previous_file_without_an_amount_column(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Practice code,Money\nP00001,5\n", encoding="utf-8")
    result = run(db, "allocate", "--icb", ICB, *BASE, "--previous", str(path), "--max-change", "5")
    assert result.exit_code == 1
    assert "No amount column" in result.stderr


def test_the_table_lists_the_practices_held(db: Path) -> None:
    result = run(db, "allocate", "--icb", ICB, *BASE, "--floor", "0.90")
    assert result.exit_code == 0, result.output
    assert "Practices held at a limit" in result.stdout
    assert "P00001 North Surgery" in result.stdout
    assert "+£810.01" in result.stdout


def test_csv_and_xlsx_say_the_limit_and_the_money_moved(db: Path, tmp_path: Path) -> None:
    result = run(db, "allocate", "--icb", ICB, *BASE, "--floor", "0.90", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {row["practice_code"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert (rows["P00001"]["limit"], rows["P00001"]["moved_by_limits"]) == ("floor", "810.01")
    assert rows["P00002"]["limit"] == ""
    out = tmp_path / "limits.xlsx"
    result = run(db, "allocate", "--icb", ICB, *BASE, "--floor", "0.90", "--out", str(out))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["Allocation"]
    header = [cell.value for cell in sheet[1]]
    first = [cell.value for cell in sheet[2]]
    record = dict(zip(header, first, strict=False))
    assert record["Practice code"] == "P00001"
    assert record["Held at a limit"] == "floor"
    assert Decimal(str(record["Moved by the limits"])) == Decimal("810.01")


def test_compare_and_sensitivity_keep_the_limits(db: Path) -> None:
    result = run(
        db, "compare", "--icb", ICB, *BASE, "--floor", "0.90", "--with-method", "efit-classic",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)["practices"][0]
    assert (first["practice_code"], first["allocation_a"], first["allocation_b"]) == (
        "P00001",
        1800.0,
        1800.0,
    )
    result = run(
        db, "sensitivity", "--icb", ICB, *BASE, "--floor", "0.90", "--vary", "imd",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["weights"]
    # P00001 gets at least its £1,800 floor whatever the weight of deprivation
    firsts = [point["allocation"]["practices"][0] for point in points]
    assert len(firsts) > 2
    assert {p["practice_code"] for p in firsts} == {"P00001"}
    assert all(p["allocation"] >= 1800.0 for p in firsts)
    assert any(p["limit"] == "floor" for p in firsts)
