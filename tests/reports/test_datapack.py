"""The datapack's content and its HTML: figures from the analyses, a reading and a data table
for every chart, a section that says so when its data is not loaded, and no external URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from xml.sax.saxutils import escape

import duckdb
import pytest

from gpequity.analysis.icb import UnknownIcb
from gpequity.analysis.payments import By, UnknownYear, payments_by_deprivation
from gpequity.formats import format_pounds, format_with_interval
from gpequity.reports.datapack import (
    build_datapack,
    indicator_places,
    present_datapack,
)
from gpequity.reports.render import external_links, render_body, render_html

from .conftest import ICB, YEAR


@pytest.fixture(scope="module")
def con(demo_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(demo_db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def html(con: duckdb.DuckDBPyConnection) -> str:
    return render_html(present_datapack(build_datapack(con, ICB, YEAR)))


class _Links(HTMLParser):
    """Every attribute that can load or link to something, in HTML and inline SVG."""

    LINKING: ClassVar[set[str]] = {
        "src",
        "href",
        "xlink:href",
        "srcset",
        "action",
        "poster",
        "data",
    }

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in self.LINKING:
                self.links.append((tag, name, value or ""))


# ---------------------------------------------------------------------------------------------
# Formatting: spec tables (money and percentages: tests/test_formats.py)


@pytest.mark.parametrize(
    ("values", "places"),
    [([0.74, 1.25, None], 2), ([14.7, 9.9], 1), ([985.0, 612.3], 0), ([None], 2)],
)
def test_indicator_places(values: list[float | None], places: int) -> None:
    assert indicator_places(values) == places


# ---------------------------------------------------------------------------------------------
# What the pack holds


def test_payments_figures_are_the_payments_analysis(con: duckdb.DuckDBPyConnection) -> None:
    view = present_datapack(build_datapack(con, ICB, YEAR), draw_charts=False)
    payments = next(s for s in view.sections if s.id == "payments")
    for figure, exclude in zip(payments.figures, (False, True), strict=True):
        by_icb = payments_by_deprivation(con, YEAR, exclude_prescribing=exclude, by=By.icb)
        england = payments_by_deprivation(con, YEAR, exclude_prescribing=exclude)
        rows = {row[0].text: [cell.text for cell in row] for row in figure.table.rows}
        for q in range(1, 6):
            icb_group, england_group = by_icb.group(q, ICB), england.group(q)
            assert england_group is not None
            row = rows[england_group.label]
            assert row[3] == format_pounds(icb_group.per_weighted_patient if icb_group else None)
            assert row[4] == format_pounds(england_group.per_weighted_patient)
        gap = by_icb.gap_q1_minus_q5[ICB]
        assert gap is not None
        assert f"{format_pounds(abs(gap))} {'less' if gap > 0 else 'more'}" in figure.reading


def test_every_chart_has_a_reading_and_its_data_table(con: duckdb.DuckDBPyConnection) -> None:
    view = present_datapack(build_datapack(con, ICB, YEAR))
    figures = [f for s in view.sections for part in (s, *s.subsections) for f in part.figures]
    # Patients, two payments charts, payment lines, and one per indicator loaded.
    indicators = next(s for s in view.sections if s.id == "indicators")
    assert len(figures) == 4 + len(indicators.figures) and len(indicators.figures) > 0
    for figure in figures:
        assert figure.reading.endswith(".") and len(figure.reading) > 40
        assert figure.table.rows and figure.table.columns
        assert all(len(row) == len(figure.table.columns) for row in figure.table.rows)
        assert figure.svg.startswith("<svg")
        assert f"<desc>{escape(figure.reading)}</desc>" in str(figure.svg)
    assert [f.number for f in figures] == [str(n) for n in range(1, len(figures) + 1)]


def test_the_pack_names_the_icb_the_year_and_the_sources(html: str) -> None:
    assert "NHS North East and North Cumbria Integrated Care Board" in html
    assert "Inequality datapack · 2022/23" in html
    assert "NHS Payments to General Practice" in html
    assert "2020/21, 2021/22, 2022/23" in html  # the demo's payments years (sources table)
    for title in ("Contents", "Practices to look at", "Methods and definitions", "At a glance"):
        assert title in html


def test_a_synthetic_warehouse_is_labelled_on_the_cover_and_every_page(html: str) -> None:
    assert 'data-synthetic="true"' in html
    assert "Synthetic demonstration data, not real NHS figures" in html
    assert "QHM inequality datapack 2022/23 · SYNTHETIC DATA" in html  # the running footer


def test_the_html_is_one_self_contained_file(html: str) -> None:
    parser = _Links()
    parser.feed(html)
    assert parser.links, "the contents should link to the sections"
    outside = [link for link in parser.links if not link[2].startswith("#")]
    assert outside == []
    assert external_links(html) == []
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    assert {value[1:] for _, _, value in parser.links} <= ids  # every link has its target
    # Nothing else that fetches: no script, stylesheet link, image file, frame or font.
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parser.tags)
    assert "@import" not in html and "url(" not in html
    assert html.count("<svg") >= 5


def test_external_links_finds_what_leaves_the_file() -> None:
    page = '<a href="#x">in</a><img src="https://example.org/a.png"><a href="/b">b</a>'
    assert external_links(page) == ["https://example.org/a.png", "/b"]


def test_a_warehouse_without_indicators_makes_a_pack_that_says_so(bare_db: Path) -> None:
    with duckdb.connect(str(bare_db), read_only=True) as bare:
        view = present_datapack(build_datapack(bare, ICB, YEAR))
    indicators = next(s for s in view.sections if s.id == "indicators")
    assert indicators.missing is not None
    assert indicators.missing.startswith("No practice-level indicators are loaded")
    assert indicators.figures == ()
    page = render_html(view)
    assert 'data-missing="indicators"' in page
    # The other sections are all there.
    assert all(s.missing is None for s in view.sections if s.id != "indicators")


def test_a_warehouse_without_deprivation_scores_says_so_in_each_section(
    payments_only_db: Path,
) -> None:
    with duckdb.connect(str(payments_only_db), read_only=True) as con:
        view = present_datapack(build_datapack(con, ICB, YEAR))
    for section in view.sections:
        assert section.missing is not None, section.id
        assert "no practice IMD scores" in section.missing
    assert view.at_a_glance == ()
    assert 'data-missing="payments"' in render_body(view)


def test_an_unknown_icb_or_year_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownIcb):
        build_datapack(con, "QZZ", YEAR)
    with pytest.raises(UnknownYear):
        build_datapack(con, ICB, "2030/31")


def test_the_packs_of_a_year_share_englands_figures(con: duckdb.DuckDBPyConnection) -> None:
    """England's figures and every ICB's by deprivation (one analysis) are computed once per
    build of the warehouse: a batch of packs does not compute them again for each pack."""
    made_afresh = build_datapack.__wrapped__  # type: ignore[attr-defined]
    first = made_afresh(con, ICB, YEAR)
    again = made_afresh(con, ICB, YEAR)
    assert again is not first
    assert first.payments == again.payments
    assert again.payments.result is not None and first.payments.result is not None
    # The second pack reused the first's results rather than computing them again: the
    # figures and their intervals are the very same objects.
    mine = first.payments.result.all_payments.england_result
    theirs = again.payments.result.all_payments.england_result
    assert theirs.groups is mine.groups and theirs.intervals is mine.intervals


def test_the_measures_carry_their_confidence_intervals(
    con: duckdb.DuckDBPyConnection, html: str
) -> None:
    england = payments_by_deprivation(con, YEAR)
    gap, found = england.gap_q1_minus_q5["all"], england.interval_of().gap
    assert gap is not None and found is not None
    # England's gap as every output writes it, with its interval, and what an interval means.
    assert escape(format_with_interval(gap, found)) in html
    assert "A 95% confidence interval shows how much a figure could change" in html
