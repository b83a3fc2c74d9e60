"""The ICBs of April 2026 in a real browser, over the real files (issue 10).

Every current ICB's profile and datapack answers 200 and names the ICB officially; West and North
London (Z9B2Z) holds the practices of North West (QRV) and North Central London (QMJ); the code
of an ICB abolished on 1 April 2026 leads to its successor(s); axe finds nothing on these pages.
The app runs on its own port here, over a warehouse built from ``../shared/data``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from gpequity.warehouse.icbs import Icb, list_current_icbs

from .conftest import serving

pytestmark = [pytest.mark.e2e, pytest.mark.realdata, pytest.mark.xdist_group(name="e2e")]

YEAR = "2022/23"
#: How long a datapack page may take to be made and load.
PACK_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def real_db(real_warehouse: Path) -> Path:
    return real_warehouse


@pytest.fixture(scope="module")
def base_url(real_db: Path) -> Iterator[str]:
    """The app over the real warehouse (this module's pages go to it, not the demo app)."""
    with serving(real_db) as url:
        yield url


@pytest.fixture(scope="module")
def current(real_db: Path) -> list[Icb]:
    with duckdb.connect(str(real_db), read_only=True) as con:
        return list_current_icbs(con)


@pytest.fixture(scope="module")
def predecessors_practices(real_db: Path) -> dict[str, str]:
    """A practice of North West London and one of North Central London paid in 2022/23."""
    with duckdb.connect(str(real_db), read_only=True) as con:
        rows = con.execute(
            "SELECT icb_code, min(practice_code) FROM payments WHERE year = ? "
            "AND icb_code IN ('QRV', 'QMJ') GROUP BY icb_code",
            [YEAR],
        ).fetchall()
    return {str(icb): str(code) for icb, code in rows}


EMPTY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'


def test_every_current_icbs_profile_and_datapack_names_it_officially(
    page: Page, current: list[Icb]
) -> None:
    assert len(current) == 36
    # The packs' 37 chart images each (drawn on request, about 3 s a pack) are not what this
    # test reads: the browser gets an empty image instead (the charts have tests of their own).
    page.route(
        re.compile(r"/datapack/figure-[^/]*\.svg"),
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=EMPTY_SVG),
    )
    for icb in current:
        assert icb.name is not None
        response = page.goto(f"/icbs/{icb.code}")
        assert response is not None and response.status == 200, icb.code
        expect(page.get_by_test_id("icb-name")).to_have_text(icb.name)
        # A pack is made on the first request (a few seconds each, more on a busy machine).
        pack = page.goto(f"/icbs/{icb.code}/datapack", timeout=PACK_TIMEOUT_MS)
        assert pack is not None and pack.status == 200, icb.code
        expect(page.get_by_role("heading", level=1)).to_contain_text(icb.name)


def test_west_and_north_london_holds_both_predecessors_practices(
    page: Page, predecessors_practices: dict[str, str]
) -> None:
    page.goto(f"/icbs/Z9B2Z?year={YEAR}")
    expect(page.get_by_test_id("icb-name")).to_have_text(
        "NHS West and North London Integrated Care Board"
    )
    expect(page.get_by_test_id("icb-map-note")).to_contain_text("in force since 1 April 2026")
    # The table is paged (50 a page): each predecessor's practice is found by the filter.
    for code in (predecessors_practices["QRV"], predecessors_practices["QMJ"]):
        page.goto(f"/icbs/Z9B2Z?year={YEAR}&filter={code}")
        expect(page.get_by_test_id("icb-practices").get_by_text(code, exact=True)).to_be_visible()


def test_a_merged_icbs_code_leads_to_its_successor_saying_so(
    page: Page, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.goto("/icbs/QRV")
    expect(page).to_have_url(re.compile(r"/icbs/Z9B2Z\?from=QRV$"))
    expect(page.get_by_test_id("icb-name")).to_contain_text("West and North London")
    expect(page.get_by_test_id("arrived-from")).to_contain_text(
        "QRV (North West London ICB) became part of NHS West and North London ICB (Z9B2Z) "
        "on 1 April 2026"
    )
    assert_no_axe_violations(page)


def test_a_split_icbs_code_names_every_successor(
    page: Page, assert_no_axe_violations: Callable[..., None]
) -> None:
    response = page.goto("/icbs/QM7")
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("successors-message")).to_contain_text(
        "QM7 (Hertfordshire and West Essex ICB) was split on 1 April 2026"
    )
    successors = page.get_by_test_id("successors")
    for name, code in (
        ("NHS Central East Integrated Care Board", "S1Y5D"),
        ("NHS Essex Integrated Care Board", "D7T5G"),
    ):
        expect(successors.get_by_role("link", name=f"{name} ({code})")).to_be_visible()
    assert_no_axe_violations(page)
    successors.get_by_role("link", name="NHS Essex Integrated Care Board (D7T5G)").click()
    expect(page.get_by_test_id("icb-name")).to_have_text("NHS Essex Integrated Care Board")


def test_a_year_by_its_own_icbs_is_one_link_away(
    page: Page, assert_no_axe_violations: Callable[..., None]
) -> None:
    # An ICB that kept its code has a 2022/23 of its own; a new one (Z9B2Z) does not.
    page.goto(f"/icbs/Z9B2Z?year={YEAR}")
    expect(
        page.get_by_role("link", name=f"Group the practices by the ICBs of {YEAR}")
    ).to_have_count(0)
    page.goto(f"/icbs/QHM?year={YEAR}")
    page.get_by_role("link", name=f"Group the practices by the ICBs of {YEAR}").click()
    expect(page.get_by_test_id("icb-map-note")).to_contain_text("each year's payments file")
    expect(
        page.get_by_role("link", name="Group the practices by the ICBs in force today")
    ).to_be_visible()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_largest_icbs_datapack_reads_on_a_desktop_and_a_phone(
    page: Page, width: int, assert_no_axe_violations: Callable[..., None]
) -> None:
    """West and North London's pack: its charts are images that load (each drawn when asked),
    no wider than the screen, and its wide tables scroll in boxes of their own (reachable by
    keyboard), so that the page itself never scrolls sideways on a phone."""
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(f"/icbs/Z9B2Z/datapack?year={YEAR}", timeout=PACK_TIMEOUT_MS)
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle", timeout=PACK_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    charts = page.locator("img.gpq-chart__image")
    assert charts.count() >= 20
    sizes = charts.evaluate_all("els => els.map(e => [e.naturalWidth, e.clientWidth])")
    assert all(natural > 0 and 0 < shown <= width for natural, shown in sizes), sizes
    boxes = page.locator(".gpq-table-scroll")
    assert boxes.count() >= 20
    assert boxes.first.get_attribute("tabindex") == "0"
    assert boxes.first.get_attribute("role") == "region"
    assert_no_axe_violations(page)
