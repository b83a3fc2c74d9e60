"""``gpequity compare`` and ``gpequity sensitivity`` on the small eFIT warehouse: the figures
worked out by hand, and the same figures as the web's compare and sensitivity pages.

Per head (populations 2,000, 3,000, 1,000 and 4,000 of 10,000) gives £2,000, £3,000, £1,000 and
£4,000 of £10,000; IMD 50% + hypertension 50% gives £989.99, £3,487.21, £828.70 and £4,694.10
(tests/commands/test_allocate_cli.py works them out).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.cli import app
from gpequity.formats import (
    format_change,
    format_index,
    format_per_patient,
    format_points,
    format_pounds,
    format_share,
)
from gpequity.web.app import create_app

from ..web.allocate.conftest import read

ICB = "QZZ"
AMOUNT = ("--icb", ICB, "--amount", "10000")
PER_HEAD = ("--component", "population:100")
NEED = ("--with-component", "imd:50", "--with-component", "hypertension-prevalence:50")


@pytest.fixture(scope="module")
def db(small_efit_db: Path) -> Path:
    return small_efit_db


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def run(db: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--db", str(db)], catch_exceptions=False)


def run_json(db: Path, *args: str) -> dict[str, Any]:
    result = run(db, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def per_patient(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.0001"))


# --- compare --------------------------------------------------------------------------------


def test_compare_gives_the_hand_worked_differences(db: Path) -> None:
    data = run_json(db, "compare", *AMOUNT, *PER_HEAD, *NEED)
    assert [(p["practice_code"], p["difference"]) for p in data["practices"]] == [
        ("P00001", -1010.01),
        ("P00002", 487.21),
        ("P00003", -171.3),
        ("P00004", 694.1),
    ]
    assert data["summary"]["practices_gaining"] == 2
    assert data["summary"]["largest_change"]["practice_code"] == "P00001"
    assert data["a"]["method"] == data["b"]["method"] == "recommended"


def test_compare_gives_the_figures_of_the_web_page(db: Path, client: TestClient) -> None:
    data = run_json(
        db,
        "compare",
        *AMOUNT,
        "--component",
        "breast-screening:100",
        "--method",
        "efit-classic",
        "--with-method",
        "recommended",
    )
    page = client.get(
        "/allocate/compare",
        params={
            "icb": ICB,
            "amount": "10000",
            "a.method": "efit-classic",
            "a.c1": "breast-screening",
            "a.w1": "100",
            "b.method": "recommended",
            "b.c1": "breast-screening",
            "b.w1": "100",
        },
    )
    assert page.status_code == 200
    tables = read(page.text).tables
    shown = {row[0].split()[-1]: row for row in tables["compare-practices"]}
    assert len(shown) == len(data["practices"])
    for p in data["practices"]:
        row = shown[p["practice_code"]]
        a, b = money(p["allocation_a"]) or Decimal(0), money(p["allocation_b"]) or Decimal(0)
        assert row[2].startswith(format_pounds(a))
        assert row[3].startswith(format_pounds(b))
        assert row[4] == format_change(money(p["difference"]) or Decimal(0))
        assert row[5] == format_per_patient(per_patient(p["allocation_per_patient_a"]))
        assert row[6] == format_per_patient(per_patient(p["allocation_per_patient_b"]))
    quintiles = tables["compare-quintiles"]
    assert len(quintiles) == len(data["by_quintile"])
    for row, q in zip(quintiles, data["by_quintile"], strict=True):
        assert row[0] == q["label"]
        assert format_share(Decimal(str(q["money_share_a"]))) in row
        assert format_points(Decimal(str(q["change"]))) in row


def test_compare_csv_has_a_row_per_practice(db: Path) -> None:
    result = run(db, "compare", *AMOUNT, *PER_HEAD, *NEED, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [
        (r["practice_code"], r["allocation_a"], r["allocation_b"], r["difference"]) for r in rows
    ] == [
        ("P00001", "2000.00", "989.99", "-1010.01"),
        ("P00002", "3000.00", "3487.21", "487.21"),
        ("P00003", "1000.00", "828.70", "-171.30"),
        ("P00004", "4000.00", "4694.10", "694.10"),
    ]


def test_compare_table_and_b_defaulting_to_as_components(db: Path) -> None:
    result = run(
        db,
        "compare",
        *AMOUNT,
        "--component",
        "breast-screening:100",
        "--with-method",
        "efit-classic",
    )
    assert result.exit_code == 0, result.output
    assert "A and B by practice" in result.stdout
    assert "By IMD quintile" in result.stdout


def test_compare_problems_name_the_option(db: Path) -> None:
    result = run(db, "compare", *AMOUNT, *PER_HEAD, "--with-component", "no-such-indicator:100")
    assert result.exit_code == 1
    assert "--with-component no-such-indicator:100:" in result.stderr
    result = run(db, "compare", *AMOUNT, "--component", "imd:fifty")
    assert result.exit_code == 1
    assert "--component" in result.stderr


# --- sensitivity ----------------------------------------------------------------------------


def test_sensitivity_gives_the_figures_of_the_web_page(db: Path, client: TestClient) -> None:
    data = run_json(
        db,
        "sensitivity",
        *AMOUNT,
        "--component",
        "imd:60",
        "--component",
        "hypertension-prevalence:40",
    )
    page = client.get(
        "/allocate/sensitivity",
        params={
            "icb": ICB,
            "amount": "10000",
            "c1": "imd",
            "w1": "60",
            "c2": "hypertension-prevalence",
            "w2": "40",
        },
    )
    assert page.status_code == 200
    table = read(page.text).tables["sensitivity-table"]
    assert [row[0] for row in table[1:]] == [f"{p['weight']}%" for p in data["weights"]]
    groups = [q["quintile"] for q in data["weights"][0]["by_quintile"] if q["practices"] > 0]
    for row, point in zip(table[1:], data["weights"], strict=True):
        shares = {q["quintile"]: Decimal(str(q["money_share"])) for q in point["by_quintile"]}
        assert row == [
            f"{point['weight']}%",
            *(format_share(shares[g]) for g in groups),
            format_index(point["concentration_index"]),
        ]


def test_sensitivity_csv_has_a_row_per_weight(db: Path) -> None:
    result = run(
        db,
        "sensitivity",
        *AMOUNT,
        "--component",
        "imd:60",
        "--component",
        "hypertension-prevalence:40",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][0] == "weight" and rows[0][-1] == "concentration_index"
    assert [r[0] for r in rows[1:]] == [str(w) for w in range(0, 101, 10)]


def test_sensitivity_of_another_component(db: Path) -> None:
    data = run_json(
        db,
        "sensitivity",
        *AMOUNT,
        "--component",
        "imd:60",
        "--component",
        "hypertension-prevalence:40",
        "--vary",
        "hypertension-prevalence",
    )
    assert data["component"] == "hypertension-prevalence" and data["others"] == ["imd"]
    at_40 = data["weights"][4]["allocation"]["components"]
    assert [(c["id"], c["weight"]) for c in at_40] == [
        ("hypertension-prevalence", 40.0),
        ("imd", 60.0),
    ]
    table = run(db, "sensitivity", *AMOUNT, "--component", "imd:100")
    assert table.exit_code == 0, table.output
    assert "the rest on population" in table.stdout


def test_compare_table_writes_the_figures_as_the_web_page_does(
    db: Path, client: TestClient
) -> None:
    result = run(db, "compare", *AMOUNT, *PER_HEAD, *NEED)
    assert result.exit_code == 0, result.output
    page = client.get(
        "/allocate/compare",
        params={
            "icb": ICB,
            "amount": "10000",
            "a.c1": "population",
            "a.w1": "100",
            "b.c1": "imd",
            "b.w1": "50",
            "b.c2": "hypertension-prevalence",
            "b.w2": "50",
        },
    )
    differences = [row[4] for row in read(page.text).tables["compare-practices"]]
    assert differences == ["−£1,010.01", "+£487.21", "−£171.30", "+£694.10"]
    for text in differences:
        assert text in result.stdout


def test_without_a_warehouse_each_command_says_so(tmp_path: Path) -> None:
    for command in (("compare", *PER_HEAD), ("sensitivity", "--component", "imd:100")):
        result = run(tmp_path / "missing.duckdb", *command, *AMOUNT)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ")


def test_compare_reports_both_scenarios_problems_at_once(db: Path) -> None:
    """A --with-component that could not be read was reported only once --amount and
    --component were right: every problem of A and B now comes in one list."""
    result = run(
        db, "compare", "--icb", ICB, "--amount", "abc", "--component", "imd:50",
        "--with-component", "imd:fifty",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the inputs need correcting:",
        "- --amount: 'abc' is not an amount: give pounds like 250000.50.",
        "- --component: The weights must add up to exactly 100%; they add up to 50%.",
        "- --with-component imd:fifty: 'fifty' in 'imd:fifty' is not a weight: give a "
        "percentage like 50 or 33.33.",
    ]
    # options read, both scenarios refused by the service: both listed
    result = run(
        db, "compare", *AMOUNT, "--component", "nope:100", "--with-component", "imd:90",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the inputs need correcting:",
        "- --component nope:100: 'nope' is not an indicator of ICB QZZ. List the ids with "
        "'gpequity indicators --icb QZZ' or GET /api/v1/indicators?icb=QZZ.",
        "- --with-component: The weights must add up to exactly 100%; they add up to 90%.",
    ]
    # B given as A: A's problem once
    result = run(db, "compare", *AMOUNT, "--component", "nope:100", "--with-method", "efit-classic")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 2
    assert "Traceback" not in result.output


def test_sensitivity_reports_the_sweeps_problems_with_the_options(db: Path) -> None:
    """An unreadable --amount hid an unknown --vary, which came out as "--component" (the
    sweep's first component) once the amount was right; and the weights' total, which the
    sweep rescales, was reported as a problem beside the amount."""
    result = run(
        db, "sensitivity", "--icb", ICB, "--amount", "abc", "--component", "imd:50",
        "--component", "population:60", "--vary", "nope",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the inputs need correcting:",
        "- --amount: 'abc' is not an amount: give pounds like 250000.50.",
        "- --vary: 'nope' is not an indicator of ICB QZZ. List the ids with "
        "'gpequity indicators --icb QZZ' or GET /api/v1/indicators?icb=QZZ.",
    ]
