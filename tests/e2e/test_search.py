"""The practice search in a real browser (issue 14): by a postcode typed any way, by an outward
code (``SW2`` never finds SW20's practices), by a misspelt name and by an ICB's name; each
result shows the practice's ICB; axe finds nothing; on a desktop (1,366 px) and a phone (390 px),
where nothing may scroll sideways. The expected practices are read from the demo warehouse."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from gpequity.warehouse.icbs import IcbMap, payments_sql

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
LABEL = "Practice name, code or postcode, or ICB name"

#: code -> (postcode as the file writes it, name, today's ICB's name)
Practices = dict[str, tuple[str, str, str]]


@pytest.fixture(scope="module")
def latest(live_server: Any) -> Iterator[Practices]:
    """The practices of the demo warehouse's latest payments file."""
    with duckdb.connect(str(live_server.db_path), read_only=True) as con:
        rows = con.execute(
            f"SELECT practice_code, postcode, practice_name, icb_name "
            f"FROM {payments_sql(con, IcbMap.current)} p "
            "WHERE year = (SELECT max(year) FROM payments) ORDER BY practice_code"
        ).fetchall()
    yield {str(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}


@pytest.fixture(params=list(VIEWPORTS))
def sized(request: pytest.FixtureRequest, page: Page) -> Page:
    page.set_viewport_size(VIEWPORTS[request.param])  # type: ignore[arg-type]
    return page


def search(page: Page, query: str) -> None:
    """Type ``query`` into the search box and submit it, as a reader does."""
    page.goto("/practices")
    page.get_by_label(LABEL).fill(query)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("directory-results")).to_be_visible()


def assert_fits(page: Page) -> None:
    """Nothing is wider than the window (no sideways scrolling on a phone), once the page's
    scripts have run (the header folds its links into "More" when they are loaded)."""
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(
            "document.documentElement.scrollWidth <= window.innerWidth", timeout=5_000
        )
    except PlaywrightTimeout:
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()"
            ".right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)"
        )
        pytest.fail(f"wider than the window: {wide[:5]}")


def outward(postcode: str) -> str:
    return postcode.split()[0]


def test_a_postcode_typed_any_way_finds_its_practice_and_shows_its_icb(
    sized: Page, latest: Practices, assert_no_axe_violations: Callable[..., None]
) -> None:
    postcodes = [" ".join(p.split()) for p, _, _ in latest.values()]
    code = next(c for c, (p, _, _) in latest.items() if postcodes.count(" ".join(p.split())) == 1)
    written, name, icb = latest[code]
    postcode = " ".join(written.split())

    search(sized, postcode.replace(" ", "").lower())

    results = sized.get_by_test_id("practice-results")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results.get_by_role("link", name=f"{name} ({code})")).to_be_visible()
    expect(results).to_contain_text(f"{postcode} · ICB: {icb}")
    expect(results).to_contain_text("found by postcode")
    assert_fits(sized)
    assert_no_axe_violations(sized)

    results.get_by_role("link", name=f"{name} ({code})").click()
    expect(sized).to_have_url(f"/practices/{code}")


def test_an_outward_code_finds_its_practices_and_never_a_longer_codes(
    sized: Page, latest: Practices, assert_no_axe_violations: Callable[..., None]
) -> None:
    # An outward code that starts a longer one in the demo (SW2 and SW22, say).
    districts = {outward(p) for p, _, _ in latest.values()}
    short = min(d for d in districts if any(o != d and o.startswith(d) for o in districts))
    expected = sorted(c for c, (p, _, _) in latest.items() if outward(p) == short)

    search(sized, short.lower())

    links = sized.get_by_test_id("practice-results").get_by_role("link")
    expect(links).to_have_count(len(expected))
    shown = [re.findall(r"\(([A-Z0-9]+)\)$", t)[0] for t in links.all_inner_texts()]
    assert sorted(shown) == expected
    details = sized.get_by_test_id("practice-results").locator("li .nhsuk-body-s")
    for detail in details.all_inner_texts():
        assert detail.startswith(f"{short} "), detail
        assert "ICB: NHS " in detail
    assert_fits(sized)
    assert_no_axe_violations(sized)


def test_a_misspelt_name_finds_the_practice(
    sized: Page, latest: Practices, assert_no_axe_violations: Callable[..., None]
) -> None:
    # A practice whose name has a word of six letters or more: one letter of it dropped.
    code, word = next(
        (c, w)
        for c, (_, name, _) in latest.items()
        for w in name.split()
        if len(w) >= 6 and w.isalpha() and w != "SYNTHETIC"
    )
    name, icb = latest[code][1], latest[code][2]
    typed = name.replace(word, word[:2] + word[3:], 1).lower()

    search(sized, typed)

    results = sized.get_by_test_id("practice-results")
    link = results.get_by_role("link", name=f"{name} ({code})")
    expect(link).to_be_visible()
    item = results.locator("li").filter(has=sized.get_by_role("link", name=f"{name} ({code})"))
    expect(item).to_contain_text(f"ICB: {icb}")
    expect(item).to_contain_text("found by name (spelling)")
    assert_fits(sized)
    assert_no_axe_violations(sized)


def test_an_icbs_name_finds_the_icb(
    sized: Page, latest: Practices, assert_no_axe_violations: Callable[..., None]
) -> None:
    icb = next(iter(latest.values()))[2]  # "NHS South West London Integrated Care Board"
    words = icb.removeprefix("NHS ").removesuffix(" Integrated Care Board")

    search(sized, words.lower())

    icbs = sized.get_by_test_id("icb-results")
    link = icbs.get_by_role("link", name=re.compile(rf"^{re.escape(icb)} \("))
    expect(link).to_be_visible()
    assert_fits(sized)
    assert_no_axe_violations(sized)
    link.click()
    expect(sized.get_by_role("heading", level=1)).to_contain_text(words)


def test_nothing_found_and_an_empty_search_say_what_to_do(
    sized: Page, assert_no_axe_violations: Callable[..., None]
) -> None:
    search(sized, "zzzz qqqq")
    expect(sized.get_by_test_id("directory-results")).to_contain_text("No practice or ICB matches")

    search(sized, "")
    expect(sized.get_by_test_id("directory-results")).to_contain_text("Enter a practice name")
    assert_fits(sized)
    assert_no_axe_violations(sized)
