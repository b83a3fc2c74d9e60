"""The board PDF of an allocation with limits: it lists the practices held at a floor, a cap or
a pace limit and the money each moved (``gpequity allocate --floor ... --out r.pdf``, read back
with ``pdftotext``). The figures are those of tests/commands/test_allocate_limits_cli.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpequity.cli import app

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)
#: A row of the held table: code and name, the limit, then three sums of money.
HELD_ROW = re.compile(r"^\s*(P\d{5})\b.*?\b(floor|cap)\s+(£[\d,.]+)\s+(£[\d,.]+)\s+([+−]£[\d,.]+)")


@needs_pdftotext
def test_the_report_lists_the_practices_held_and_the_money_moved(
    small_efit_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "limits.pdf"
    result = CliRunner().invoke(
        app,
        [
            "allocate", "--icb", "QZZ", "--amount", "10000", "--component", "imd:50",
            "--component", "hypertension-prevalence:50", "--floor", "0.90", "--out", str(out),
            "--db", str(small_efit_db),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Floors, caps and pace of change" in text
    assert "Floor: £0.90 per target patient." in text
    flat = " ".join(text.split())
    assert "Held at the floor: 2 practices (P00001, P00003), £881.31 moved to them." in flat
    held = {m.group(1): m.groups()[1:] for line in text.splitlines() if (m := HELD_ROW.match(line))}
    assert held == {
        "P00001": ("floor", "£989.99", "£1,800.00", "+£810.01"),
        "P00003": ("floor", "£828.70", "£900.00", "+£71.30"),
    }
