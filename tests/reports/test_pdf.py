"""The PDF datapack, read back with pypdf: A4, page numbers, contents with page numbers, the
ICB's name, the year and the payments tables' figures equal to the payments analysis's."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from gpequity.analysis.payments import By, payments_by_deprivation, rank_label
from gpequity.formats import format_pounds
from gpequity.reports.batch import make_datapack
from gpequity.reports.render import ExternalResource, Format, render_pdf

from .conftest import ICB, YEAR

#: A4 in PDF points (1/72 inch): 210 mm x 297 mm.
A4 = (595.28, 841.89)


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF, lines joined by newlines."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def payments_rows(text: str) -> dict[str, list[str]]:
    """The payments tables' rows as printed: quintile label -> the cells after it, of each
    table whose third and fourth cells are money (the overview's are percentages)."""
    money = r"(?:−?£[\d,.]+|Not available)"
    rows: dict[str, list[str]] = {}
    for q in range(1, 6):
        label = rank_label(q)
        found = re.findall(
            rf"^{re.escape(label)} (\S+ \S+ {money} {money} \S+)$", text, re.MULTILINE
        )
        rows.setdefault(label, []).extend(found)
    return rows


def assert_payments_figures_printed(pages: list[str], con: duckdb.DuckDBPyConnection) -> None:
    """Each payments table (all payments, then without dispensing) prints, for every
    quintile, the ICB's and England's figures of ``payments_by_deprivation``."""
    text = "\n".join(pages)
    rows = payments_rows(text)
    for table, exclude in enumerate((False, True)):
        by_icb = payments_by_deprivation(con, YEAR, exclude_prescribing=exclude, by=By.icb)
        england = payments_by_deprivation(con, YEAR, exclude_prescribing=exclude)
        for q in range(1, 6):
            icb_group, england_group = by_icb.group(q, ICB), england.group(q)
            assert england_group is not None
            cells = rows[rank_label(q)][table].split()
            practices, _weighted, icb_value, england_value, _difference = cells
            assert practices == str(icb_group.practices if icb_group else 0)
            assert icb_value == format_pounds(icb_group.per_weighted_patient if icb_group else None)
            assert england_value == format_pounds(england_group.per_weighted_patient)


@pytest.fixture(scope="module")
def pdf(demo_db: Path) -> bytes:
    with duckdb.connect(str(demo_db), read_only=True) as con:
        return make_datapack(con, ICB, YEAR, Format.pdf)


def test_the_pdf_names_the_icb_and_the_year(pdf: bytes) -> None:
    pages = pdf_pages(pdf)
    cover = " ".join(pages[0].split())
    assert "NHS North East and North Cumbria Integrated Care Board" in cover
    assert "Inequality datapack · 2022/23" in cover
    assert "Synthetic data." in cover


def test_the_pdf_payments_tables_are_the_payments_analysis(pdf: bytes, demo_db: Path) -> None:
    with duckdb.connect(str(demo_db), read_only=True) as con:
        assert_payments_figures_printed(pdf_pages(pdf), con)


def test_the_pdf_is_a4_with_page_numbers_and_contents(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            A4, abs=0.01
        )
    total = len(pages)
    assert "Page " not in pages[0]  # no number on the cover
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {total}" in text
        assert "QHM inequality datapack 2022/23 · SYNTHETIC DATA" in text
    # The contents give each section's page, and the section is on that page.
    contents = re.findall(r"^(\d)\. (.+?) \.+ ?(\d+)$", pages[1], re.MULTILINE)
    titles = [title for _, title, _ in contents]
    assert titles == [
        "Practices and patients by deprivation",
        "Payments per weighted patient by deprivation",
        "Health indicators by deprivation",
        "Practices to look at",
        "Methods and definitions",
    ]
    for number, title, page in contents:
        assert pages[int(page) - 1].startswith(f"{number}. {title}")


def test_a_pack_that_asks_for_anything_outside_itself_is_not_rendered() -> None:
    # WeasyPrint is told to fetch nothing, so a pack can never depend on the network.
    with pytest.raises(ExternalResource, match=r"https://example\.org/logo\.png"):
        render_pdf('<p>x</p><img src="https://example.org/logo.png">')


def test_a_pdf_without_indicators_says_so(bare_db: Path) -> None:
    with duckdb.connect(str(bare_db), read_only=True) as con:
        pages = pdf_pages(make_datapack(con, ICB, YEAR, Format.pdf))
    text = " ".join(" ".join(pages).split())
    assert "3. Health indicators by deprivation Not available. No practice-level indicators" in text
