"""The published eFIT tool's defects, reproduced only to compare with the formula.

Hand-made files, one per defect, with the amounts worked out by hand; then the real eFIT files:
F85002 (Medicus Health Partners) in West and North London (Z9B2Z), £1,000,000.01 for women aged
0 to 4, eFIT classic, IMD score 2025 40% + MMR uptake (at least 1 dose, age 1 to 1.5) 30%, the
rest (30%) per head: £2,600.74 from the tool's code (F85004's women, the row at F85002's place
in the male file), £26,858.31 by the formula, which is also what gpequity's eFIT classic gives.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from gpequity.allocation.published_tool import (
    Defect,
    ToolComponent,
    ToolFileError,
    ToolFiles,
    ToolRequest,
    check_published_tool,
    load_tool_files,
    load_warehouse_tool_files,
    parse_indicator_csv,
    parse_population_csv,
)
from gpequity.cli import app
from gpequity.warehouse.build import build_warehouse, connect

AGES = ",".join(str(a) for a in range(96))


def population(*rows: tuple[str, dict[int, str]]) -> bytes:
    """A population file: each row's cells by age (other ages blank)."""
    lines = [f"GP code,{AGES}"]
    for code, cells in rows:
        lines.append(",".join([code, *(cells.get(a, "") for a in range(96))]))
    return "\n".join(lines).encode()


def indicators(*rows: tuple[str, str]) -> bytes:
    """An indicator file with one indicator, "Need" (blank = missing)."""
    lines = ["ICB name,GP code,GP name,Need"]
    lines += [f"Test ICB,{code},Practice {code},{value}" for code, value in rows]
    return "\n".join(lines).encode()


def files(ind: bytes, female: bytes, male: bytes) -> ToolFiles:
    return ToolFiles(
        parse_indicator_csv(ind), parse_population_csv(female), parse_population_csv(male)
    )


def by_code(check_files: ToolFiles, request: ToolRequest) -> dict[str, tuple[str, str, tuple]]:
    check = check_published_tool(check_files, request)
    return {p.code: (str(p.tool), str(p.formula), p.causes) for p in check.practices}


PER_HEAD = ToolRequest(Decimal("1000"), ())


def test_a_blank_cell_of_one_sex_wipes_out_the_other_sex() -> None:
    # A: 30 women and 10 men aged 40; B: 60 men aged 40 and no woman (a blank cell).
    # Formula, per head: 40 and 60 of 100 people. The tool loses B's men: A gets it all.
    checked = by_code(
        files(
            indicators(("A00001", "1"), ("B00001", "1")),
            population(("A00001", {40: "30"}), ("B00001", {})),
            population(("A00001", {40: "10"}), ("B00001", {40: "60"})),
        ),
        PER_HEAD,
    )
    assert checked == {
        "A00001": ("1000.00", "400.00", (Defect.BLANK_CELL,)),
        "B00001": ("0.00", "600.00", (Defect.BLANK_CELL,)),
    }
    # Women only: the blank cell is 0, as it should be; the tool agrees.
    women = by_code(
        files(
            indicators(("A00001", "1"), ("B00001", "1")),
            population(("A00001", {40: "30"}), ("B00001", {41: "10"})),
            population(("A00001", {40: "10"}), ("B00001", {40: "60"})),
        ),
        ToolRequest(Decimal("1000"), (), sex="female"),
    )
    assert women == {
        "A00001": ("750.00", "750.00", ()),
        "B00001": ("250.00", "250.00", ()),
    }


def test_files_in_different_orders_give_a_practice_another_practices_women() -> None:
    # The female file lists B then A, the male file A then B: by position, A gets B's women.
    checked = by_code(
        files(
            indicators(("A00001", "1"), ("B00001", "1")),
            population(("B00001", {0: "90"}), ("A00001", {0: "10"})),
            population(("A00001", {0: "5"}), ("B00001", {0: "5"})),
        ),
        ToolRequest(Decimal("1000"), (), sex="female", age_to=4),
    )
    assert checked == {
        "A00001": ("900.00", "100.00", (Defect.ROW_ORDER,)),
        "B00001": ("100.00", "900.00", (Defect.ROW_ORDER,)),
    }


def test_choose_an_option_hands_out_more_than_the_amount() -> None:
    # Need 50% on "Need" (A 1, B 3, 100 people each), indicator 1 left at "Choose an option"
    # with 50%: the formula gives the other 50% per head (A 125 + 250, B 375 + 250); the tool
    # hands out that 50% per head again: £1,500 in all.
    check = check_published_tool(
        files(
            indicators(("A00001", "1"), ("B00001", "3")),
            population(("A00001", {30: "50"}), ("B00001", {30: "50"})),
            population(("A00001", {30: "50"}), ("B00001", {30: "50"})),
        ),
        ToolRequest(
            Decimal("1000"), (ToolComponent("Need", Decimal(50)),), unset_weight=Decimal(50)
        ),
    )
    assert [(p.code, str(p.tool), str(p.formula), p.causes) for p in check.practices] == [
        ("A00001", "625.00", "375.00", (Defect.CHOOSE_AN_OPTION,)),
        ("B00001", "875.00", "625.00", (Defect.CHOOSE_AN_OPTION,)),
    ]
    assert (check.tool_total, check.formula_total) == (Decimal("1500.00"), Decimal("1000.00"))


def test_the_formula_side_is_the_published_formula() -> None:
    # Lower = more need: c = 1 - x / sum(x) with x = 60, 40 (sum 100): 0.4 and 0.6 of 100 people
    # each; a missing value counts as zero. No defect touches it: the tool agrees.
    checked = by_code(
        files(
            indicators(("A00001", "60"), ("B00001", "40"), ("C00001", "")),
            population(*((c, {20: "50"}) for c in ("A00001", "B00001", "C00001"))),
            population(*((c, {20: "50"}) for c in ("A00001", "B00001", "C00001"))),
        ),
        ToolRequest(Decimal("1000"), (ToolComponent("Need", Decimal(100), lower=True),)),
    )
    assert checked == {
        "A00001": ("400.00", "400.00", ()),
        "B00001": ("600.00", "600.00", ()),
        "C00001": ("0.00", "0.00", ()),
    }


def test_a_file_that_cannot_be_read_says_why() -> None:
    with pytest.raises(ToolFileError, match="no 'GP code' column"):
        parse_population_csv(b"Code,0,1\nA00001,1,2\n")
    with pytest.raises(ToolFileError, match="row 2: 'many' is not a number"):
        parse_population_csv(f"GP code,{AGES}\nA00001,many\n".encode())


# --- the files the warehouse was loaded from ---------------------------------------------------


def loaded(efit_dir: Path) -> Path:
    """A warehouse of the eFIT files of ``efit_dir``, built beside it."""
    db = efit_dir.parent / "warehouse.duckdb"
    build_warehouse(db, [efit_dir])
    return db


def test_the_files_are_those_the_warehouse_was_loaded_from(small_efit_dir: Path) -> None:
    # An older indicator file of the same ICB is loaded too: the newest by name is read.
    older = small_efit_dir / "indicators" / "indicator_QZZ_2024-25_v1.csv"
    older.write_text("ICB name,GP code,GP name,Need\nZed ICB,P00009,Old Practice,1\n")
    db = loaded(small_efit_dir)
    with connect(db) as con:
        files = load_warehouse_tool_files(con, "QZZ")
    assert [row.code for row in files.indicators] == ["P00001", "P00002", "P00003", "P00004"]
    assert [row.code for row in files.female] == ["P00001", "P00002", "P00003", "P00004"]
    assert files.female[0].cells[30] == 600.0
    assert files.male[0].cells[30] == 500.0
    # The same three files as the folder's newest, read the same way.
    assert files == load_tool_files(small_efit_dir, "QZZ")


def test_a_file_deleted_after_the_load_is_named(small_efit_dir: Path) -> None:
    db = loaded(small_efit_dir)
    gone = small_efit_dir / "population" / "m_pop_QZZ_2026-27.csv"
    gone.unlink()
    with connect(db) as con, pytest.raises(ToolFileError) as error:
        load_warehouse_tool_files(con, "QZZ")
    assert str(error.value) == (
        f"m_pop_QZZ_2026-27.csv: the warehouse was loaded from {gone}, which is no longer there "
        "(moved or deleted since the load): put it back or load the data again."
    )


def test_a_file_changed_after_the_load_is_named(small_efit_dir: Path) -> None:
    db = loaded(small_efit_dir)
    changed = small_efit_dir / "indicators" / "indicator_QZZ_2025-26_v1.csv"
    changed.write_bytes(changed.read_bytes().replace(b"North Surgery", b"North Practice"))
    with connect(db) as con, pytest.raises(ToolFileError, match="has changed since") as error:
        load_warehouse_tool_files(con, "QZZ")
    assert str(error.value).startswith(f"indicator_QZZ_2025-26_v1.csv: {changed} has changed")


def test_an_icb_without_efit_files_is_named(small_efit_dir: Path) -> None:
    (small_efit_dir / "population" / "f_pop_QZZ_2026-27.csv").unlink()
    with connect(loaded(small_efit_dir)) as con:
        with pytest.raises(ToolFileError) as none:
            load_warehouse_tool_files(con, "QYY")
        with pytest.raises(ToolFileError) as one_missing:
            load_warehouse_tool_files(con, "QZZ")
    assert str(none.value) == (
        "The warehouse has no eFIT indicator file (indicator_QYY_YYYY-YY_vN.csv) and no female "
        "population file (f_pop_QYY_YYYY-YY.csv) and no male population file "
        "(m_pop_QYY_YYYY-YY.csv) of ICB QYY: the check needs the ICB's files of the published "
        "tool, loaded with the rest of the data (gpequity data load)."
    )
    assert str(one_missing.value).startswith(
        "The warehouse has no eFIT female population file (f_pop_QZZ_YYYY-YY.csv) of ICB QZZ:"
    )


def test_a_warehouse_without_efit_files_is_named() -> None:
    with duckdb.connect() as con, pytest.raises(ToolFileError, match="no eFIT indicator file"):
        load_warehouse_tool_files(con, "QZZ")


# --- the real files: F85002 ------------------------------------------------------------------


@pytest.mark.realdata
def test_f85002_on_the_real_files(real_data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "efit.duckdb"
    build_warehouse(db, [real_data_dir / "efit"], allow_rejects=True)
    common = [
        "--icb",
        "Z9B2Z",
        "--amount",
        "1000000.01",
        "--method",
        "efit-classic",
        "--component",
        "imd:40",
        "--component",
        "mmr-uptake:30",
        "--sex",
        "female",
        "--age",
        "0-4",
        "--format",
        "json",
        "--db",
        str(db),
    ]
    runner = CliRunner()
    checked = runner.invoke(
        app,
        ["allocate", *common, "--published-tool", "--efit-dir", str(real_data_dir / "efit")],
        catch_exceptions=False,
    )
    assert checked.exit_code == 0, checked.output
    data = json.loads(checked.stdout)
    f85002 = next(p for p in data["practices"] if p["practice_code"] == "F85002")
    assert (f85002["tool"], f85002["formula"], f85002["causes"]) == (
        2600.74,
        26858.31,
        ["row-order"],
    )
    assert data["formula_total"] == 1000000.01
    # The formula side is gpequity's eFIT classic, practice by practice.
    engine = runner.invoke(app, ["allocate", *common], catch_exceptions=False)
    assert engine.exit_code == 0, engine.output
    paid = {p["practice_code"]: p["allocation"] for p in json.loads(engine.stdout)["practices"]}
    assert {p["practice_code"]: p["formula"] for p in data["practices"] if p["formula"]} == paid


# --- the web page ------------------------------------------------------------------------------


def test_the_web_page(small_efit_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The small eFIT files (tests/conftest.py) have no defect of their own; indicator 1 left at
    # "Choose an option" with 50% hands out £5,000 more than the £10,000, per head. They are
    # read where the warehouse was loaded from, not from the real files' folder (empty here).
    from fastapi.testclient import TestClient

    from gpequity.web.app import create_app

    monkeypatch.setenv("GPEQUITY_SHARED_DATA", str(tmp_path))
    query = {"icb": "QZZ", "amount": "10000", "c1": "imd", "w1": "50"}
    with TestClient(create_app(small_efit_db)) as client:
        page = client.get("/allocate/published-tool", params={**query, "unset": "50"})
        assert page.status_code == 200
        assert "hands out £15,000.00; the formula £10,000.00" in page.text
        assert page.text.count(">choose-an-option<") == 5  # 4 practices and the list
        wrong = client.get("/allocate/published-tool", params={**query, "unset": "150"})
        assert wrong.status_code == 422
        assert "is not the weight of indicator 1" in wrong.text
        results = client.get("/allocate", params={**query, "method": "efit-classic"})
        assert "/allocate/published-tool?" in results.text


def test_the_web_page_says_when_the_files_have_moved(small_efit_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from gpequity.web.app import create_app

    db = loaded(small_efit_dir)
    shutil.move(small_efit_dir, small_efit_dir.parent / "moved")
    query = {"icb": "QZZ", "amount": "10000", "c1": "imd", "w1": "50"}
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        page = client.get("/allocate/published-tool", params=query)
    assert page.status_code == 422
    assert "indicator_QZZ_2025-26_v1.csv: the warehouse was loaded from" in page.text
    assert "which is no longer there (moved or deleted since the load)" in page.text


def test_the_cli_reads_the_files_the_warehouse_was_loaded_from(
    small_efit_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GPEQUITY_SHARED_DATA", str(tmp_path))
    args = ["allocate", "--icb", "QZZ", "--amount", "10000", "--component", "imd:50"]
    args += ["--published-tool", "--choose-an-option-weight", "50", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "--db", str(small_efit_db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["tool_total"], data["formula_total"]) == (15000, 10000)
