"""The result page in a real browser at a laptop's width (1,366 px) and a phone's (390 px).

At both widths the first practice's allocation and difference are on screen without scrolling
sideways (their boxes measured against the viewport), the figures are the engine's, and axe
finds nothing. The filters, the detail columns and the picker of practices to leave out work
without JavaScript; with it, the picker's search box narrows the list.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from gpequity.allocation.icbs import IcbEntry, list_icbs
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
)
from gpequity.formats import format_change, format_pounds
from gpequity.warehouse.build import connect

from ..web.allocate.conftest import query

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

AMOUNT = Decimal("250000")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
#: A laptop and a phone (an iPhone 12 to 15 is 390 CSS pixels wide).
WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}


@pytest.fixture(scope="module")
def icb(live_server: Any) -> IcbEntry:
    with connect(live_server.db_path) as con:
        return max(list_icbs(con), key=lambda entry: (entry.practices, entry.code))


def scenario_query(icb: IcbEntry, **more: str) -> str:
    """The page tests' scenario (deprivation 60%, hypertension 40%), with ``more``."""
    return urlencode(query(icb, **more))


@pytest.fixture(scope="module")
def outcome(live_server: Any, icb: IcbEntry) -> ScenarioOutcome:
    scenario = Scenario(
        icb.code,
        AMOUNT,
        (
            ComponentChoice("imd", Decimal(60)),
            ComponentChoice("hypertension-prevalence", Decimal(40)),
        ),
    )
    with connect(live_server.db_path) as con:
        return allocate_scenario(con, scenario)


def first_by_name(outcome: ScenarioOutcome) -> Any:
    return min(outcome.result.practices, key=lambda p: (p.name.casefold(), p.code))


def assert_inside_the_viewport(page: Page, selector: str) -> None:
    """The element's box lies within the viewport's width (nothing to scroll sideways for)."""
    element = page.locator(selector)
    element.evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 100)"
    )
    box = element.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["width"] > 0 and box["height"] > 0, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (selector, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (selector, box)


@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_first_practices_figures_are_on_screen_without_scrolling_sideways(
    page: Page,
    icb: IcbEntry,
    outcome: ScenarioOutcome,
    device: str,
    assert_no_axe_violations: Callable[..., None],
) -> None:
    width, height = WIDTHS[device]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"/allocate?{scenario_query(icb)}")
    expect(page.get_by_test_id("headline-sentence")).to_be_visible()
    # The page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    first = first_by_name(outcome)
    row = "#allocation-table tbody tr:first-child"
    expect(page.locator(f"{row} th")).to_contain_text(first.name)
    expect(page.locator(f"{row} td:nth-of-type(1)")).to_have_text(format_pounds(first.allocation))
    expect(page.locator(f"{row} td:nth-of-type(2)")).to_have_text(format_change(first.difference))
    for cell in ("th", "td:nth-of-type(1)", "td:nth-of-type(2)"):
        assert_inside_the_viewport(page, f"{row} {cell}")
    # Within its scroll box too: the table needs no sideways scroll to show them.
    wrap = page.locator(".app-results-wrap").first
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth")
    page.screenshot(path=str(SCREENSHOTS / f"result-page-{device}.png"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"result-page-{device}-full.png"), full_page=True)
    assert_no_axe_violations(page)


def test_on_a_phone_every_figure_is_labelled_and_readable(
    page: Page, icb: IcbEntry, outcome: ScenarioOutcome
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/allocate?{scenario_query(icb)}")
    row = page.locator("#allocation-table tbody tr").first
    labels = row.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert [re.sub(r'^"|" / ""$', "", label) for label in labels] == [
        "Allocation",
        "Difference",
        "Per patient",
        "Baseline",
        "IMD quintile (score)",
    ]
    for cell in row.locator("td").all():
        size = float(cell.evaluate("c => getComputedStyle(c).fontSize").removesuffix("px"))
        assert size >= 14
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_the_detail_columns_scroll_under_a_sticky_practice_column(
    page: Page, icb: IcbEntry, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/allocate?{scenario_query(icb, detail='1')}")
    wrap = page.locator(".app-results-wrap").first
    header = page.locator("#allocation-table tbody tr:first-child th")
    before = header.bounding_box()
    wrap.evaluate("e => { e.scrollLeft = 400; }")
    assert wrap.evaluate("e => e.scrollLeft") > 0
    after = header.bounding_box()
    assert before is not None and after is not None
    assert abs(after["x"] - before["x"]) < 1
    page.screenshot(path=str(SCREENSHOTS / "result-page-phone-detail.png"))
    assert_no_axe_violations(page)


def test_filters_and_detail_without_javascript(
    nojs_page: Page, icb: IcbEntry, outcome: ScenarioOutcome
) -> None:
    page = nojs_page
    page.goto(f"/allocate?{scenario_query(icb)}")
    page.get_by_text("Filter or sort the practices").click()
    page.get_by_label("IMD quintile", exact=True).select_option("5")
    page.get_by_label("Sort by").select_option("allocation")
    page.get_by_label("Order").select_option("desc")
    page.get_by_role("button", name="Show practices").click()
    assert "quintile=5" in page.url and "sort=allocation" in page.url
    expected = sorted(
        (p for p in outcome.result.practices if p.imd_quintile == 5),
        key=lambda p: p.allocation,
        reverse=True,
    )
    # The filtered page may still be loading when its address has changed: wait for its rows.
    expect(page.locator("#allocation-table tbody th small")).to_have_text(
        [p.code for p in expected]
    )
    page.get_by_test_id("detail-toggle").click()
    expect(page.locator("#allocation-table thead")).to_contain_text("Target population")
    assert "quintile=5" in page.url and "detail=1" in page.url
    page.get_by_test_id("clear-filters").click()
    expect(page.locator("#allocation-table tbody tr")).to_have_count(len(outcome.result.practices))


def test_practices_are_left_out_by_ticking_without_javascript(
    nojs_page: Page, icb: IcbEntry, outcome: ScenarioOutcome
) -> None:
    page = nojs_page
    page.goto(f"/allocate?{scenario_query(icb)}")
    chosen = sorted(outcome.result.practices, key=lambda p: p.code)[:2]
    page.get_by_text("Choose practices to leave out").click()
    for practice in chosen:
        page.locator(f"input[name='exclude'][value='{practice.code}']").check()
    page.get_by_role("button", name="Calculate").click()
    assert "exclude=" in page.url
    excluded = page.get_by_test_id("excluded-table")
    for practice in chosen:
        expect(excluded).to_contain_text(practice.code)
    expect(page.locator("#allocation-table tbody tr")).to_have_count(
        len(outcome.result.practices) - 2
    )
    # The form shows them ticked, ready to untick.
    for practice in chosen:
        expect(page.locator(f"input[name='exclude'][value='{practice.code}']")).to_be_checked()


def test_the_pickers_search_box_narrows_the_list(
    page: Page,
    icb: IcbEntry,
    outcome: ScenarioOutcome,
    assert_no_axe_violations: Callable[..., None],
) -> None:
    page.goto(f"/allocate?{scenario_query(icb)}")
    page.get_by_text("Choose practices to leave out").click()
    practice = outcome.result.practices[0]
    search = page.get_by_label("Find a practice by name, code or PCN")
    search.fill(practice.code.lower())
    shown = page.locator(".app-picker__list li:visible")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(practice.name)
    expect(page.locator("[data-picker-status]")).to_have_text("1 practice matches.")
    search.fill("")
    expect(page.locator(".app-picker__list li:visible")).to_have_count(
        len(outcome.result.practices)
    )
    assert_no_axe_violations(page)
