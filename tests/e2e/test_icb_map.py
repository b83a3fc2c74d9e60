"""The England map of ICBs in a real browser (issue 14, item 3): one linked, named tile for each
of the 36 ICBs of April 2026 (the layout's), the table beside it, the measure changed without
JavaScript, and axe finding nothing at 1,366 and 390 px, on the demo warehouse."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Page, expect

from gpequity.analysis.icb_measures import MEASURE_NAMES, IcbMeasures, Measure, icb_measures
from gpequity.web.presenters_icb_map import format_measure, icb_layout

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def measures(live_server: Any) -> Iterator[IcbMeasures]:
    with duckdb.connect(str(live_server.db_path), read_only=True) as con:
        yield icb_measures(con)


def tile_names(page: Page) -> dict[str, str]:
    """Each tile's ICB code and accessible name, as the browser computes them."""
    tiles = page.get_by_test_id("icb-map").locator("a")
    return {
        str(tile.get_attribute("data-icb")): str(tile.get_attribute("aria-label"))
        for tile in tiles.all()
    }


def test_the_map_has_a_linked_named_tile_for_each_current_icb(
    page: Page, measures: IcbMeasures
) -> None:
    page.goto("/icbs")

    names = tile_names(page)
    assert sorted(names) == sorted(t.code for t in icb_layout())
    assert len(names) == 36
    for tile in icb_layout():
        icb = measures.of(tile.code)
        value = format_measure(Measure.gap, icb.gap_q1_minus_q5 if icb else None)
        assert names[tile.code].endswith(value), names[tile.code]
        link = page.get_by_role("link", name=names[tile.code], exact=True)
        expect(link).to_have_attribute("href", f"/icbs/{tile.code}")
    # The table alternative: every tile's ICB, with England below.
    rows = page.get_by_test_id("icb-measures").locator("tbody tr")
    expect(rows).to_have_count(36)


def test_a_tile_leads_to_the_icb_profile(page: Page, measures: IcbMeasures) -> None:
    icb = max(measures.icbs, key=lambda i: i.practices)
    page.goto("/icbs")
    page.get_by_test_id("icb-map").locator(f'a[data-icb="{icb.code}"]').click()
    expect(page).to_have_url(re.compile(rf"/icbs/{icb.code}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(icb.name)


def test_the_measure_changes_without_javascript(nojs_page: Page, measures: IcbMeasures) -> None:
    nojs_page.goto("/icbs")
    nojs_page.get_by_label("Colour the ICBs by").select_option(Measure.imd.value)
    nojs_page.get_by_role("button", name="Show on the map").click()

    expect(nojs_page).to_have_url(re.compile(r"/icbs\?measure=imd&view=tiles$"))
    names = tile_names(nojs_page)
    icb = max(measures.icbs, key=lambda i: i.practices)
    expect(nojs_page.get_by_test_id("icb-map-legend")).to_be_visible()
    label = next(t.label for t in icb_layout() if t.code == icb.code)
    assert names[icb.code] == (
        f"{icb.short_name}, {label}, {MEASURE_NAMES[Measure.imd]}: "
        f"{format_measure(Measure.imd, icb.mean_imd_score)}"
    )
    # Sorting the table by the measure, highest first, is a link too.
    header = nojs_page.get_by_test_id("icb-measures").locator('th[data-sort-key="imd"] a')
    header.click()
    header = nojs_page.get_by_test_id("icb-measures").locator('th[data-sort-key="imd"] a')
    header.click()
    expect(nojs_page).to_have_url(re.compile(r"sort=imd&order=desc#icb-measures$"))
    first = nojs_page.get_by_test_id("icb-measures").locator("tbody tr th").first
    highest = max(
        (i for i in measures.icbs if i.mean_imd_score is not None and measures_has(i.code)),
        key=lambda i: i.mean_imd_score or 0,
    )
    expect(first).to_have_text(str(highest.short_name))


def measures_has(code: str) -> bool:
    return any(t.code == code for t in icb_layout())


def test_the_home_page_shows_the_map(page: Page) -> None:
    page.goto("/")
    home_map = page.get_by_test_id("home-icb-map")
    expect(home_map.get_by_test_id("icb-map").locator("a")).to_have_count(36)
    home_map.get_by_role("link", name="The map's figures as a table, with a CSV download").click()
    expect(page).to_have_url(re.compile(r"/icbs#icb-measures$"))


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("path", ["/icbs", "/icbs?measure=per-weighted&sort=gap&order=desc", "/"])
def test_no_axe_violations_on_the_map(
    page: Page, assert_no_axe_violations: Callable[..., None], viewport: str, path: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    response = page.goto(path)
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("icb-map")).to_be_visible()
    assert_no_axe_violations(page)
