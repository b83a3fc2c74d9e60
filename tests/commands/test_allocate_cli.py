"""``gpequity allocate`` and ``gpequity indicators`` on a small warehouse of eFIT files.

The warehouse is one ICB (QZZ) of four practices, written in the eFIT tool's layouts. Every
expected figure was worked out by hand from the rows of the ``small_efit_db`` fixture
(tests/conftest.py):

* populations (all ages): P00001 2,000, P00002 3,000, P00003 1,000, P00004 4,000;
* recommended, £10,000, IMD 50% + hypertension 50%: the IMD pot shares 20,000 : 90,000 : 20,000 :
  160,000 (population × score), the hypertension pot 20,000 : 60,000 : 15,000 : 60,000 (P00003's
  missing value imputed as the median, 15), giving 989.988..., 3487.208..., 828.698...,
  4694.104...; the three pence left after rounding down go to the largest remainders;
* eFIT classic, £10,000, breast screening 60% (lower = more need) + 40% per head:
  c = 1 - x / 260 for uptake 80, 60, 70, 50, giving 1885.427..., 3009.045..., 972.864...,
  4132.663....
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

from gpequity.allocation import Baseline, Method, MissingPolicy
from gpequity.cli import app
from gpequity.exports import POUNDS_FORMAT

ICB = "QZZ"


@pytest.fixture(scope="module")
def db(small_efit_db: Path) -> Path:
    """The small eFIT warehouse of tests/conftest.py (one ICB, QZZ, four practices)."""
    return small_efit_db


def run(db: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--db", str(db)], catch_exceptions=False)


def allocate_json(db: Path, *args: str) -> dict[str, Any]:
    result = run(db, "allocate", "--icb", ICB, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


BASE = ("--amount", "10000", "--component", "imd:50", "--component", "hypertension-prevalence:50")


# --- JSON ---------------------------------------------------------------------------------


def test_json_has_the_documented_shape(db: Path) -> None:
    data = allocate_json(db, *BASE)
    assert list(data) == [
        "icb",
        "amount",
        "method",
        "components",
        "practices",
        "by_quintile",
        "concentration_index",
        "concentration_index_ci",
        "gap_q1_minus_q5_ci",
        "slope_index_ci",
        "confidence_intervals",
        "excluded",
        "by_pcn",
        "warnings",
        "limits",
        "inputs",
    ]
    assert data["limits"] is None  # no floors, caps or pace of change asked for
    assert (data["icb"], data["amount"], data["method"]) == (ICB, 10000.0, "recommended")
    # The intervals are the allocation's own, as allocation.measures computes them.
    assert data["confidence_intervals"]["resamples"] == 2000
    ci = data["concentration_index_ci"]
    assert ci is None or ci["lower"] <= ci["upper"]
    for q in data["by_quintile"]:
        assert set(q) >= {"allocation_per_patient_ci", "money_share_ci"}
        if q["quintile"] is None:
            assert q["allocation_per_patient_ci"] is None
    assert [
        {k: c[k] for k in ("id", "name", "weight", "direction", "unit", "kind", "amount")}
        for c in data["components"]
    ] == [
        {
            "id": "imd",
            "name": "Deprivation score (IMD 2025)",
            "weight": 50.0,
            "direction": "higher",
            "unit": "score",
            "kind": "indicator",
            "amount": 5000.0,
        },
        {
            "id": "hypertension-prevalence",
            "name": "Hypertension: QOF prevalence",
            "weight": 50.0,
            "direction": "higher",
            "unit": "percentage",
            "kind": "indicator",
            "amount": 5000.0,
        },
    ]
    assert list(data["components"][0]) == [
        "id",
        "name",
        "weight",
        "direction",
        "unit",
        "kind",
        "source",
        "period",
        "amount",
        "need_rule",
    ]
    first = data["practices"][0]
    assert first == {
        "practice_code": "P00001",
        "practice_name": "North Surgery",
        "pcn_code": None,
        "pcn_name": None,
        "imd_score": 10.0,
        "imd_quintile": 1,
        "target_population": 2000.0,
        "weighted_population": 1000.0,
        "components": [
            {
                "id": "imd",
                "value": 10.0,
                "imputed": False,
                "excluded": False,
                "part": 344.83,
                "note": None,
            },
            {
                "id": "hypertension-prevalence",
                "value": 10.0,
                "imputed": False,
                "excluded": False,
                "part": 645.16,
                "note": None,
            },
        ],
        "allocation": 989.99,
        "allocation_per_patient": 0.495,
        "baseline": 2000.0,
        "difference": -1010.01,
        "limit": None,
        "moved": None,
    }
    assert [
        (p["practice_code"], p["allocation"], p["baseline"], p["imd_quintile"])
        for p in data["practices"]
    ] == [
        ("P00001", 989.99, 2000.0, 1),
        ("P00002", 3487.21, 3000.0, 3),
        ("P00003", 828.70, 1000.0, 2),
        ("P00004", 4694.10, 4000.0, 4),
    ]
    imputed = data["practices"][2]["components"][1]
    assert (imputed["value"], imputed["imputed"]) == (15.0, True)
    assert list(data["by_quintile"][0]) == [
        "quintile",
        "label",
        "practices",
        "target_population",
        "population_share",
        "allocation",
        "money_share",
        "allocation_per_patient",
        "allocation_per_patient_ci",
        "money_share_ci",
    ]
    assert [(q["label"], q["allocation"]) for q in data["by_quintile"]] == [
        ("Q1 (least deprived)", 989.99),
        ("Q2 (less deprived)", 828.70),
        ("Q3 (middle)", 3487.21),
        ("Q4 (more deprived)", 4694.10),
        ("Q5 (most deprived)", 0.0),
    ]
    assert data["concentration_index"] < 0  # money goes more to the deprived practices
    assert data["excluded"] == []
    assert data["inputs"] | {"description": []} == {
        "icb_name": "Zed ICB",
        "method_label": "Recommended: shares of need",
        "sex": "all",
        "age_from": 0,
        "age_to": None,
        "target_population": "all registered patients",
        "population_source": "registered patients by single year of age (efit files, 2026/27)",
        "missing_policy": "impute",
        "baseline": "per-head",
        "excluded_practices": [],
        "allow_sparse": False,
        "description": [],
    }
    assert data["inputs"]["description"][0] == "Method: Recommended: shares of need."


def test_efit_classic_and_a_lower_direction(db: Path) -> None:
    data = allocate_json(
        db, "--amount", "10000", "--method", "efit-classic", "--component", "breast-screening:60"
    )
    assert data["method"] == "efit-classic"
    assert [(p["practice_code"], p["allocation"]) for p in data["practices"]] == [
        ("P00001", 1885.43),
        ("P00002", 3009.05),
        ("P00003", 972.86),
        ("P00004", 4132.66),
    ]
    assert [c["id"] for c in data["components"]] == [
        "breast-screening",
        "efit-classic:per-head-remainder",
    ]
    # The recommended method reads "lower" as the share not reached (100 - uptake).
    recommended = allocate_json(db, "--amount", "10000", "--component", "breast-screening:100")
    assert [p["allocation"] for p in recommended["practices"]] == [
        1025.64,
        3076.92,
        769.23,
        5128.21,
    ]


def test_target_population_exclusions_and_weighted_baseline(db: Path) -> None:
    data = allocate_json(
        db,
        "--amount",
        "100",
        "--component",
        "population:100",
        "--sex",
        "female",
        "--age",
        "18-64",
        "--exclude-practice",
        "p00004",
        "--baseline",
        "weighted",
        "--missing",
        "exclude",
    )
    # Women aged 18 to 64: 600, 1,000 and 500 (P00002's girls aged 5 do not count).
    assert [
        (p["practice_code"], p["target_population"], p["allocation"]) for p in data["practices"]
    ] == [
        ("P00001", 600.0, 28.57),
        ("P00002", 1000.0, 47.62),
        ("P00003", 500.0, 23.81),
    ]
    # Baseline by weighted list: 100 × 1,000 : 2,500 : 1,500.
    assert [p["baseline"] for p in data["practices"]] == [20.0, 50.0, 30.0]
    assert data["excluded"] == [
        {
            "practice_code": "P00004",
            "practice_name": "West Clinic",
            "reason": "Left out at your request (for example, funded by another route).",
        }
    ]
    assert data["inputs"]["target_population"] == "female patients aged 18 to 64"
    assert data["inputs"]["missing_policy"] == "exclude"
    assert data["inputs"]["baseline"] == "weighted"


@pytest.mark.parametrize(
    ("option", "field", "words"),
    [
        ("--method", "method", [m.value for m in Method]),
        ("--missing", "missing_policy", [m.value for m in MissingPolicy]),
        ("--baseline", "baseline", [b.value for b in Baseline]),
    ],
)
def test_each_choice_is_spelt_as_the_json_and_the_api_spell_it(
    db: Path, option: str, field: str, words: list[str]
) -> None:
    """One spelling: the CLI takes the engine's own values (which the API takes too), and its
    JSON gives back the word it was given."""
    for word in words:
        data = allocate_json(db, *BASE, option, word)
        assert (data if field == "method" else data["inputs"])[field] == word


def test_component_direction_can_be_turned_round(db: Path) -> None:
    data = allocate_json(db, "--amount", "1000", "--component", "imd:100:lower")
    assert data["components"][0]["direction"] == "lower"


# --- CSV, XLSX, table ----------------------------------------------------------------------


def test_csv_rows_add_up_and_carry_the_scenario(db: Path) -> None:
    result = run(
        db, "allocate", "--icb", ICB, "--format", "csv", *BASE, "--exclude-practice", "P00002"
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "practice_code",
        "practice_name",
        "pcn_code",
        "pcn_name",
        "imd_score",
        "imd_quintile",
        "target_population",
        "weighted_population",
        "imd value",
        "imd imputed",
        "imd part",
        "hypertension-prevalence value",
        "hypertension-prevalence imputed",
        "hypertension-prevalence part",
        "allocation",
        "allocation_per_patient",
        "baseline",
        "difference",
        "excluded_reason",
        "scenario_icb",
        "scenario_amount",
        "scenario_method",
        "scenario_components",
        "scenario_target_population",
        "scenario_missing_values",
        "scenario_baseline",
    ]
    assert sum(Decimal(r["allocation"]) for r in rows) == Decimal("10000.00")
    assert [r["practice_code"] for r in rows] == ["P00001", "P00003", "P00004", "P00002"]
    left_out = rows[-1]
    assert (left_out["allocation"], left_out["excluded_reason"]) == (
        "0.00",
        "Left out at your request (for example, funded by another route).",
    )
    # A practice name that a spreadsheet would run as a formula is neutralised.
    assert rows[1]["practice_name"] == "'+East Medical"
    assert rows[0]["scenario_icb"] == "QZZ (Zed ICB)"
    assert rows[0]["scenario_method"] == "Recommended: shares of need"
    assert rows[0]["scenario_components"] == (
        "imd 50% (higher = more need); hypertension-prevalence 50% (higher = more need)"
    )
    assert rows[0]["hypertension-prevalence imputed"] == "false"
    assert rows[1]["hypertension-prevalence imputed"] == "true"


def test_xlsx_has_the_inputs_and_method_sheet(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "allocation.xlsx"
    result = run(db, "allocate", "--icb", ICB, "--format", "xlsx", "--out", str(out), *BASE)
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == [
        "Allocation",
        "Inputs",
        "Method",
        "Warnings",
        "By IMD quintile",
        "PCN roll-up",
    ]
    rows = list(book["Allocation"].iter_rows(values_only=True))
    column = rows[0].index("Allocation")
    assert round(sum(Decimal(str(r[column])) for r in rows[1:-1]), 2) == Decimal("10000.00")
    inputs = dict(book["Inputs"].iter_rows(min_row=2, values_only=True))
    method = dict(book["Method"].iter_rows(min_row=2, values_only=True))
    assert inputs["Method"] == "Recommended: shares of need"
    assert inputs["ICB"] == "QZZ (Zed ICB)"
    assert inputs["Amount (£)"] == "10000.00"
    assert inputs["Target population"] == "all registered patients"
    assert str(method["Step 1"]).startswith("Method: Recommended")


def test_out_r_xlsx_is_the_formatted_workbook(db: Path, tmp_path: Path) -> None:
    """Issue 11: ``--out r.xlsx`` (the format from the suffix) has frozen panes, an autofilter,
    a £ format on the allocation column and the Inputs, Method and Warnings sheets."""
    out = tmp_path / "r.xlsx"
    result = run(db, "allocate", "--icb", ICB, "--out", str(out), *BASE)
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert {"Inputs", "Method", "Warnings"} <= set(book.sheetnames)
    sheet = book["Allocation"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
    header = [c.value for c in sheet[1]]
    column = header.index("Allocation") + 1
    cells = [sheet.cell(row, column) for row in range(2, sheet.max_row + 1)]
    assert {c.number_format for c in cells} == {POUNDS_FORMAT}
    assert cells[-1].value == 10000  # the totals row: the amount


def test_table_and_out_file(db: Path, tmp_path: Path) -> None:
    result = run(db, "allocate", "--icb", ICB, *BASE)
    assert result.exit_code == 0, result.output
    assert "£10,000.00 for QZZ (Zed ICB)" in result.stdout
    assert "Concentration index of allocation per patient:" in result.stdout
    out = tmp_path / "allocation.json"
    result = run(db, "allocate", "--icb", ICB, "--format", "json", "--out", str(out), *BASE)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["icb"] == ICB


def test_indicators_file_gives_components(db: Path, tmp_path: Path) -> None:
    upload = tmp_path / "local.csv"
    upload.write_text(
        "Practice code,Local need\nP00001,1\nP00002,1\nP00003,1\nP00004,2\nZ99999,5\n",
        encoding="utf-8",
    )
    result = run(
        db,
        "allocate",
        "--icb",
        ICB,
        "--format",
        "json",
        "--amount",
        "1200",
        "--component",
        "upload:local-need:100",
        "--indicators-file",
        str(upload),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # Need 2,000 : 3,000 : 1,000 : 8,000 of 14,000: 171.428..., 257.142..., 85.714...,
    # 685.714...; of the two pence left, one goes to P00001 and the other to P00003, whose
    # remainder ties with P00004's and comes first by code.
    assert [p["allocation"] for p in data["practices"]] == [171.43, 257.14, 85.72, 685.71]
    assert "row 6, column 'Practice code': 'Z99999' is not a known practice code" in (result.stderr)


# --- indicators ----------------------------------------------------------------------------


def test_indicators_json(db: Path) -> None:
    result = run(db, "indicators", "--icb", ICB, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(d["id"], d["unit"], d["direction"], d["coverage"]) for d in data] == [
        ("imd", "score", "higher", 1.0),
        ("population", "count", "higher", 1.0),
        ("weighted-population", "count", "higher", 1.0),
        ("age-under-5", "percentage", "higher", 1.0),
        ("age-65-plus", "percentage", "higher", 1.0),
        ("age-75-plus", "percentage", "higher", 1.0),
        ("age-85-plus", "percentage", "higher", 1.0),
        ("breast-screening", "percentage", "lower", 1.0),
        ("hypertension-prevalence", "percentage", "higher", 0.75),
    ]
    assert data[0] == {
        "id": "imd",
        "name": "Deprivation score (IMD 2025)",
        "unit": "score",
        "direction": "higher",
        "period": "2025/26",
        "source": "efit",
        "coverage": 1.0,
    }


def test_indicators_csv_and_table(db: Path) -> None:
    result = run(db, "indicators", "--icb", ICB, "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "id,name,unit,direction,period,source,coverage"
    result = run(db, "indicators", "--icb", ICB)
    assert result.exit_code == 0
    # Named, and counted as what it is: the practices of the allocation pool.
    text = " ".join(result.stdout.split())
    assert (
        "Indicators for QZZ (Zed ICB) (coverage: share of its 4 practices in the allocation pool)"
        in text
    )


# --- input problems -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--amount", "lots", "--component", "imd:100"), "- --amount: 'lots' is not an amount"),
        (("--amount", "10.001", "--component", "imd:100"), "- --amount: The amount can have"),
        (("--amount", "0", "--component", "imd:100"), "- --amount: The amount must be more"),
        (("--amount", "10", "--component", "imd:60"), "- --component: The weights must add up"),
        (("--amount", "10", "--component", "imd"), "- --component imd: 'imd' is not ID:WEIGHT"),
        (("--amount", "10", "--component", "imd:x"), "- --component imd:x: 'x' in 'imd:x'"),
        (
            ("--amount", "10", "--component", "nope:100"),
            "- --component nope:100: 'nope' is not an indicator of ICB QZZ.",
        ),
        (("--amount", "10", "--component", "imd:100", "--age", "old"), "- --age: 'old' is not"),
        (
            ("--amount", "10", "--component", "imd:100", "--age", "64-18"),
            "- --age: The oldest age must be",
        ),
        (
            ("--amount", "10", "--component", "imd:100", "--exclude-practice", "X1"),
            "- --exclude-practice: These codes are not practices of ICB QZZ: X1.",
        ),
        (
            ("--amount", "10", "--component", "imd:100", "--format", "xlsx"),
            "- --out: XLSX is a binary file",
        ),
        (
            # could not be rounded to pence: a decimal.InvalidOperation traceback
            ("--amount", "1e40", "--component", "imd:100"),
            "- --amount: The amount is too large: enter at most 15 digits before the decimal "
            "point.",
        ),
    ],
)
def test_input_problems_exit_1_field_by_field(
    db: Path, args: tuple[str, ...], expected: str
) -> None:
    result = run(db, "allocate", "--icb", ICB, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the inputs need correcting:\n")
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_every_problem_at_once(db: Path) -> None:
    result = run(
        db,
        "allocate",
        "--icb",
        ICB,
        "--amount",
        "10.005",
        "--component",
        "imd:50",
        "--component",
        "nope:20",
    )
    assert result.exit_code == 1
    # Issue 11: the amount and the weights' total were left for a second round.
    assert result.stderr.splitlines()[1:] == [
        "- --component nope:20: 'nope' is not an indicator of ICB QZZ. List the ids with "
        "'gpequity indicators --icb QZZ' or GET /api/v1/indicators?icb=QZZ.",
        "- --amount: The amount can have at most 2 decimal places (whole pence).",
        "- --component: The weights must add up to exactly 100%; they add up to 70%.",
    ]
    result = run(db, "allocate", "--icb", ICB, "--amount", "10.005", "--component", "imd:50")
    assert result.stderr.splitlines()[1:] == [
        "- --amount: The amount can have at most 2 decimal places (whole pence).",
        "- --component: The weights must add up to exactly 100%; they add up to 50%.",
    ]


def test_three_invalid_options_are_reported_together(db: Path) -> None:
    """Issue 11: a negative amount, weights adding to 90 and ages 64-25, all at once."""
    result = run(
        db, "allocate", "--icb", ICB, "--amount", "-1000", "--age", "64-25",
        "--component", "imd:50", "--component", "population:40",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the inputs need correcting:",
        "- --age: The oldest age must be a whole number from 64 (the youngest age) to 95, or "
        "empty for '64 and over'.",
        "- --amount: The amount must be more than £0.",
        "- --component: The weights must add up to exactly 100%; they add up to 90%.",
    ]


def test_an_unreadable_option_does_not_hide_the_warehouses_problems(db: Path) -> None:
    """``--icb ZZZ --amount abc`` reported only the amount."""
    result = run(db, "allocate", "--icb", "ZZZ", "--amount", "abc", "--component", "imd:100")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[1] == "- --amount: 'abc' is not an amount: give pounds like 250000.50."
    assert lines[2].startswith("- --icb: 'ZZZ' is not an ICB code of the loaded data.")
    assert len(lines) == 3


def test_a_word_after_the_weight_is_a_direction_not_a_weight(db: Path) -> None:
    """``imd:100:sideways`` said "'sideways' ... is not a weight"."""
    result = run(
        db, "allocate", "--icb", ICB, "--amount", "1000", "--component", "imd:100:sideways"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        "- --component imd:100:sideways: 'sideways' in 'imd:100:sideways' is not a direction: "
        "give lower or higher (which end of the indicator means more need), e.g. imd:50:higher."
    )


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "xlsx"])
def test_an_out_file_in_a_missing_folder_is_one_line_before_any_work(
    db: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "missing" / f"x.{fmt}"
    result = run(
        db, "allocate", "--icb", ICB, "--amount", "1000", "--component", "imd:100",
        "--format", fmt, "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: the inputs need correcting:",
        f"- --out: {out}: the folder {out.parent} does not exist; create it first.",
    ]


def test_unknown_icb_and_missing_warehouse(db: Path, tmp_path: Path) -> None:
    result = run(db, "allocate", "--icb", "QZX", "--amount", "10", "--component", "imd:100")
    assert result.exit_code == 1
    assert "- --icb: 'QZX' is not an ICB code of the loaded data. Did you mean QZZ (Zed ICB)?" in (
        result.stderr
    )
    result = run(db, "indicators", "--icb", "QZX")
    assert result.exit_code == 1
    assert "The ICB codes are: QZZ" in result.stderr
    missing = tmp_path / "none.duckdb"
    result = run(missing, "allocate", "--icb", ICB, "--amount", "10", "--component", "imd:100")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: No warehouse at {missing}")
    assert "Traceback" not in result.output


def test_the_table_shows_the_efit_classic_formula_and_cuts_no_value(db: Path) -> None:
    """Piped at 80 columns: the formula printed as "A_i = F × , where" (its brackets were read
    as markup) and the ids and money were cut with "…"."""
    result = CliRunner().invoke(
        app,
        ["allocate", "--icb", ICB, "--amount", "2277000.01", "--method", "efit-classic",
         "--component", "hypertension-prevalence:60", "--db", str(db)],
        env={"COLUMNS": "80"},
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert (
        "A_i = F × [w_pop/100 × P_i / Σ_j P_j + Σ_k w_k/100 × P_i c_ik / Σ_j P_j c_jk], where"
        in text
    )
    assert "…" not in result.stdout
    assert "hypertension-prevalence (60%)" in result.stdout
    assert "£2,277,000.01" in result.stdout
