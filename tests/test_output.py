"""CLI output: a table for people writes counts and missing values as every output does."""

from __future__ import annotations

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
