"""WCAG 2.2 AA with axe-core on the site's main pages, on a desktop and a phone, with the
demo warehouse and the project's own library; and the basics axe cannot judge alone:
headings in order, a label on every control, a caption and header cells on every table."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

#: A phone's width: tables stack, the navigation folds into "More".
NARROW = {"width": 375, "height": 812}
#: A data analysis of the project's library with a live table (shortcode).
RESOURCE = "/resources/payments-per-weighted-patient-methods"


@pytest.fixture(scope="module")
def codes(live_server: Any) -> Iterator[dict[str, str]]:
    """A practice and its ICB from the demo warehouse's latest year."""
    with duckdb.connect(str(live_server.db_path), read_only=True) as con:
        row = con.execute(
            "SELECT practice_code, icb_code FROM payments "
            "WHERE year = (SELECT max(year) FROM payments) ORDER BY practice_code LIMIT 1"
        ).fetchone()
    assert row is not None
    yield {"practice": str(row[0]), "icb": str(row[1])}


def pages(codes: dict[str, str]) -> list[str]:
    return [
        "/",
        "/resources",
        "/resources?q=allocation&type=tool",
        RESOURCE,
        "/practices?q=synthetic",
        f"/practices/{codes['practice']}",
        f"/icbs/{codes['icb']}",
        f"/icbs/{codes['icb']}?sort=registered&order=desc",
        "/data",
        "/no-such-page",
    ]


PAGE_NAMES = [
    "home",
    "library",
    "library search",
    "resource",
    "practice search",
    "practice profile",
    "icb profile",
    "icb profile sorted",
    "data",
    "404",
]


@pytest.mark.parametrize("index", range(len(PAGE_NAMES)), ids=PAGE_NAMES)
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_axe_violations(
    page: Page,
    codes: dict[str, str],
    assert_no_axe_violations: Callable[..., None],
    index: int,
    viewport: str,
) -> None:
    if viewport == "phone":
        page.set_viewport_size(NARROW)
    path = pages(codes)[index]

    response = page.goto(path)

    assert response is not None
    assert response.status == (404 if path == "/no-such-page" else 200)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("index", range(len(PAGE_NAMES)), ids=PAGE_NAMES)
def test_structure_axe_does_not_check_alone(page: Page, codes: dict[str, str], index: int) -> None:
    page.goto(pages(codes)[index])

    # One h1, and no heading more than one level below the one before it.
    levels = page.locator("h1, h2, h3, h4, h5, h6").evaluate_all(
        "els => els.map(e => Number(e.tagName[1]))"
    )
    assert levels.count(1) == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
    # Every control has a label (its visible label, or an aria-label for icon buttons).
    unlabelled = page.locator("input:not([type=hidden]), select, textarea, button").evaluate_all(
        "els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
        " && !e.textContent.trim()).map(e => e.outerHTML)"
    )
    assert unlabelled == []
    # Every table has a caption and header cells.
    for table in page.locator("main table").all():
        expect(table.locator("caption")).to_have_count(1)
        assert table.locator("th").count() > 0


def test_the_skip_link_and_focus_are_visible(page: Page, codes: dict[str, str]) -> None:
    page.goto(f"/icbs/{codes['icb']}")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"/icbs/{codes['icb']}#maincontent")
    # A focused sort link is drawn with the design system's focus style (a yellow background).
    page.locator("#sort-name").focus()
    background = page.locator("#sort-name").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 235, 59)"
