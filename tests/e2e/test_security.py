"""The strict Content-Security-Policy in a real browser: the main pages break none of its rules
and still work (htmx swaps, the allocation tool's script, sorting, the datapack's styles)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import duckdb
import pytest
from playwright.sync_api import Page, expect

from gpequity.analysis.payments import loaded_years

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

#: Records every violation of the policy the page reports (the browser also logs each one on
#: the console, which the ``page`` fixture fails on).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def watched(page: Page) -> Iterator[Page]:
    """The ``page``, recording policy violations; the test fails if there was any."""
    page.add_init_script(RECORD_VIOLATIONS)
    messages: list[str] = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    assert violations(page) == [] and messages == []


def violations(page: Page) -> list[str]:
    return list(page.evaluate("() => window.cspViolations"))


@pytest.fixture(scope="module")
def warehouse(live_server: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(live_server.db_path), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def codes(warehouse: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """An ICB with practices in the latest year, and one of its practices."""
    row = warehouse.execute(
        "SELECT icb_code, min(practice_code) FROM payments "
        "WHERE year = (SELECT max(year) FROM payments) "
        "GROUP BY icb_code ORDER BY count(*) DESC, icb_code LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_the_home_page_and_the_library(watched: Page) -> None:
    watched.goto("/")
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    watched.goto("/resources")
    expect(watched.get_by_role("heading", level=1)).to_be_visible()
    assert violations(watched) == []


def test_the_funding_page_swaps_a_year_in_place(
    watched: Page, warehouse: duckdb.DuckDBPyConnection
) -> None:
    earlier = loaded_years(warehouse)[-2]
    watched.goto("/funding")
    watched.evaluate("() => { window.sameDocument = true; }")
    watched.get_by_label("Financial year", exact=True).select_option(earlier)
    expect(watched.locator("[data-testid=summary-sentence]")).to_contain_text(f"In {earlier},")
    assert watched.evaluate("() => window.sameDocument") is True  # htmx, not a page load
    assert violations(watched) == []


def test_the_allocation_tool_with_a_result_and_its_script(
    watched: Page, codes: tuple[str, str]
) -> None:
    scenario = {
        "icb": codes[0],
        "amount": "250000",
        "c1": "imd",
        "w1": "60",
        "c2": "hypertension-prevalence",
        "w2": "40",
    }
    watched.goto(f"/allocate?{urlencode(scenario)}")
    expect(watched.get_by_role("table", name="Allocation by practice")).to_be_visible()
    # allocate.js adds up the weights as they are typed.
    weights = watched.locator("[data-weights-total]")
    weight = watched.get_by_test_id("component-2").get_by_label("Weight", exact=True)
    weight.fill("30")
    expect(weights).to_contain_text("Weights add up to 90%")
    weight.fill("40")
    # htmx swaps the new results in. (The journey of test_allocate.py, through every step of
    # the form, caught htmx copying a style attribute while settling: base.html's htmx-config.)
    watched.evaluate("() => { window.sameDocument = true; }")
    with watched.expect_response(lambda response: "/allocate" in response.url):
        watched.get_by_role("button", name="Calculate").click()
    expect(watched.get_by_role("table", name="Allocation by practice")).to_be_visible()
    assert watched.evaluate("() => window.sameDocument") is True
    assert violations(watched) == []


def test_a_practice_an_icb_and_its_datapack(watched: Page, codes: tuple[str, str]) -> None:
    icb, practice = codes
    watched.goto(f"/practices/{practice}")
    expect(watched.locator("main")).to_contain_text(practice)
    watched.goto(f"/icbs/{icb}")
    header = watched.get_by_test_id("practices-table").get_by_role(
        "columnheader", name=re.compile("^Registered patients")
    )
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    # The datapack's own stylesheet is inline, allowed by its hash.
    watched.goto(f"/icbs/{icb}/datapack")
    expect(watched.locator(".gpq-datapack").first).to_be_visible()
    assert violations(watched) == []


#: The other pages of the site, each loaded whole (a 404 page and the API's docs included).
OTHER_PAGES = [
    "/data",
    "/practices",
    "/allocate/method",
    "/allocate/published-tool",
    "/api/docs",
    "/no-such-page",
]


@pytest.mark.parametrize("path", OTHER_PAGES)
def test_every_other_page_breaks_no_rule(watched: Page, path: str) -> None:
    watched.goto(path)
    expect(watched.locator("h1").first).to_be_visible()
    assert violations(watched) == []


def test_the_compare_and_sensitivity_views_break_no_rule(
    watched: Page, codes: tuple[str, str]
) -> None:
    scenario = {"icb": codes[0], "amount": "250000", "c1": "imd", "w1": "60"}
    scenario |= {"c2": "hypertension-prevalence", "w2": "40"}
    watched.goto(f"/allocate/sensitivity?{urlencode(scenario)}")
    expect(watched.locator("h1").first).to_be_visible()
    watched.goto(f"/allocate/compare?icb={codes[0]}&amount=250000")
    expect(watched.locator("h1").first).to_be_visible()
    assert violations(watched) == []
