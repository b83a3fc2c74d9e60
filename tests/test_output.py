"""CLI output: a table for people writes counts and missing values as every output does."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from gpequity.formats import NOT_AVAILABLE
from gpequity.output import Format, render_rows


def test_a_table_writes_counts_with_commas_and_the_one_word_for_no_value() -> None:
    console = Console(record=True, width=120)
    render_rows(console, Format.table, ["name", "rows", "flag", "note"], [["a", 6669, True, None]])
    text = console.export_text()
    assert "6,669" in text
    assert "True" in text
    assert NOT_AVAILABLE in text


def test_csv_keeps_plain_values(capsys: pytest.CaptureFixture[str]) -> None:
    render_rows(Console(), Format.csv, ["name", "rows", "note"], [["a", 6669, None]])
    assert capsys.readouterr().out.splitlines() == ["name,rows,note", "a,6669,"]


WIDE_HEADER = ["id", "name", "unit", "direction", "period", "source", "payments", "coverage"]
WIDE_ROW = [
    "payments-per-weighted-patient",
    "NHS payments per weighted patient, all payments including COVID and PCN",
    "pounds",
    "lower",
    "2022/23",
    "nhs-payments",
    "£2,277,841,040.85",
    "100.0%",
]


def test_a_piped_table_at_80_columns_keeps_every_value_whole() -> None:
    """Piped, Rich assumed 80 columns and printed "£2,277,…" and "payments-per-weighted-pati…"."""
    out = io.StringIO()
    console = Console(file=out, width=80)
    assert not console.is_terminal
    render_rows(console, Format.table, WIDE_HEADER, [WIDE_ROW], title="Indicators")
    text = out.getvalue()
    assert "…" not in text
    [line] = [line for line in text.splitlines() if "payments-per-weighted-patient" in line]
    for value in WIDE_ROW:
        assert value in line
    assert max(len(line) for line in text.splitlines()) > 80


def test_a_table_in_a_narrow_terminal_folds_values_instead_of_cutting_them() -> None:
    out = io.StringIO()
    console = Console(file=out, width=60, force_terminal=True, color_system=None)
    render_rows(console, Format.table, WIDE_HEADER, [WIDE_ROW])
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 60
    # Every character of the money is there, in order, across the folded lines.
    cells = "".join(line.split("│")[7] for line in text.splitlines() if line.count("│") == 9)
    assert cells.replace(" ", "") == "£2,277,841,040.85"


def test_a_values_brackets_are_shown_not_read_as_markup() -> None:
    console = Console(record=True, width=120)
    render_rows(console, Format.table, ["name"], [["Practice [closed]"]])
    assert "Practice [closed]" in console.export_text()
