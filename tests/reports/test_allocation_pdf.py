"""The board-ready PDF of an allocation: written by ``gpequity allocate --out r.pdf`` and by the
web tool's ``/allocate/download.pdf``, read back with ``pdftotext`` (poppler-utils).

On the real eFIT files, the largest ICB's report holds the ICB's name, the amount, each
component and one row per practice whose allocations add up to the amount to the penny.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.allocation.icbs import list_icbs
from gpequity.cli import app
from gpequity.warehouse.build import build_warehouse, connect
from gpequity.web.app import create_app

AMOUNT = Decimal("1000000.00")
#: A practice row of the report's practice table: the code, then (after the name, PCN, quintile
#: and patients) three sums of money: allocation, baseline, difference.
PRACTICE_ROW = re.compile(
    r"^\s*([A-Z]\d{5})\b.*?(−?£[\d,]+\.\d\d)\s+(−?£[\d,]+\.\d\d)\s+(−?£[\d,]+\.\d\d)\s*$"
)

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pounds(text: str) -> Decimal:
    return Decimal(text.replace("−", "-").replace("£", "").replace(",", ""))


def practice_rows(text: str) -> dict[str, Decimal]:
    """Practice code -> allocation, from the practice table's rows."""
    rows: dict[str, Decimal] = {}
    for line in text.splitlines():
        match = PRACTICE_ROW.match(line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} shown twice"
            rows[match.group(1)] = pounds(match.group(2))
    return rows


@needs_pdftotext
def test_a_report_from_the_web_tool(small_efit_db: Path, tmp_path: Path) -> None:
    query = {
        "icb": "QZZ",
        "amount": "10000",
        "method": "recommended",
        "c1": "imd",
        "w1": "50",
        "c2": "hypertension-prevalence",
        "w2": "50",
    }
    with TestClient(create_app(small_efit_db)) as client:
        response = client.get("/allocate/download.pdf", params=query)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    path = tmp_path / "r.pdf"
    path.write_bytes(response.content)
    text = pdf_text(path)
    # The figures worked out by hand in tests/commands/test_allocate_cli.py.
    assert practice_rows(text) == {
        "P00001": Decimal("989.99"),
        "P00002": Decimal("3487.21"),
        "P00003": Decimal("828.70"),
        "P00004": Decimal("4694.10"),
    }
    assert "Zed ICB (QZZ)" in text
    assert "'Hypertension: QOF prevalence' has no value for 1 practice of 4 (25.0%)" in text
    # The link reproduces it: the page of the same query.
    flat = re.sub(r"\s+", "", text)
    assert "http://testserver/allocate?icb=QZZ&amount=10000&method=recommended&c1=imd" in flat


@pytest.mark.realdata
@needs_pdftotext
def test_the_largest_icbs_report_adds_up_to_the_amount(real_data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "efit.duckdb"
    build_warehouse(db, [real_data_dir / "efit"], allow_rejects=True)
    with connect(db) as con:
        largest = max(list_icbs(con), key=lambda icb: (icb.practices, icb.code))
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(
        app,
        [
            "allocate",
            "--icb",
            largest.code,
            "--amount",
            str(AMOUNT),
            "--component",
            "imd:50",
            "--component",
            "cervical-screening-25-49:30",
            "--component",
            "smoking-prevalence:20",
            "--sex",
            "female",
            "--age",
            "25-64",
            "--out",
            str(out),
            "--db",
            str(db),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert largest.name in text
    assert "£1,000,000.00" in text
    for name in (
        "Deprivation score (IMD 2025) 50%",
        "Cervical screening coverage: aged 25 to 49 years old 30%",
        "Smoking: QOF prevalence 20%",
    ):
        assert name in re.sub(r"\s+", " ", text)
    rows = practice_rows(text)
    assert len(rows) > 400
    assert sum(rows.values()) == AMOUNT


@needs_pdftotext
def test_a_report_of_an_uploaded_file_has_no_link(small_efit_db: Path, tmp_path: Path) -> None:
    # The downloads of an allocation using the user's file post its values again.
    form = {
        "icb": "QZZ",
        "amount": "10000",
        "method": "recommended",
        "c1": "imd",
        "w1": "50",
        "c2": "upload:local",
        "w2": "50",
        "upload_data": "Practice code,Local\r\nP00001,1\r\nP00002,2\r\nP00003,3\r\nP00004,4\r\n",
        "upload_name": "local.csv",
    }
    with TestClient(create_app(small_efit_db)) as client:
        response = client.post("/allocate/download.pdf", data=form)
    assert response.status_code == 200, response.text[:500]
    path = tmp_path / "r.pdf"
    path.write_bytes(response.content)
    text = re.sub(r"\s+", " ", pdf_text(path))
    assert "No link: this allocation uses your own indicator file" in text
    assert sum(practice_rows(pdf_text(path)).values()) == Decimal("10000.00")
