"""The map of ICBs drawn from boundaries in a real browser: the demo warehouse with a generated
boundary file in ONS's layout loaded, ``/icbs?view=boundaries`` has one linked, named outline
for each of the 36 ICBs of April 2026, the view is chosen without JavaScript, and axe finds
nothing at 1,366 and 390 px. The app runs on its own port over that warehouse."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from gpequity.analysis.icb_measures import IcbMeasures, icb_measures
from gpequity.formats import format_pounds
from gpequity.sources.demo import generate_demo
from gpequity.sources.demo.boundaries import write_icb_boundaries
from gpequity.warehouse.build import build_warehouse
from gpequity.web.presenters_icb_map import icb_layout

from .conftest import serving

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def outlined_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("e2e-boundaries")
    generate_demo(tmp / "demo", seed=7, practices=400)
    icbs = [(t.ons_code, f"NHS {t.short_name}", t.column, t.row) for t in icb_layout()]
    write_icb_boundaries(tmp / "demo" / "boundaries" / "icbs.geojson", icbs)
    build_warehouse(tmp / "w.duckdb", [tmp / "demo"])
    return tmp / "w.duckdb"


@pytest.fixture(scope="module")
def base_url(outlined_db: Path) -> Iterator[str]:
    """The app over the warehouse with boundaries (this module's pages go to it)."""
    with serving(outlined_db) as url:
        yield url


@pytest.fixture(scope="module")
def measures(outlined_db: Path) -> IcbMeasures:
    with duckdb.connect(str(outlined_db), read_only=True) as con:
        return icb_measures(con)


def test_each_icb_is_a_linked_named_outline(page: Page, measures: IcbMeasures) -> None:
    page.goto("/icbs?view=boundaries&measure=per-weighted")
    outlines = page.get_by_test_id("icb-boundary-map").locator("a")
    expect(outlines).to_have_count(36)
    for tile in icb_layout():
        icb = measures.of(tile.code)
        area = page.get_by_test_id("icb-boundary-map").locator(f'a[data-icb="{tile.code}"]')
        expect(area).to_have_attribute("href", f"/icbs/{tile.code}")
        value = format_pounds(icb.per_weighted_patient if icb else None)
        expect(area).to_have_attribute("aria-label", re.compile(re.escape(f": {value}") + "$"))
        expect(area.locator("path")).to_be_visible()
    expect(page.get_by_test_id("icb-measures").locator("tbody tr")).to_have_count(36)


def test_the_view_is_chosen_without_javascript(nojs_page: Page) -> None:
    nojs_page.goto("/icbs")
    expect(nojs_page.get_by_test_id("icb-boundary-map")).to_have_count(0)
    nojs_page.get_by_label("Draw the ICBs as").select_option("boundaries")
    nojs_page.get_by_label("Colour the ICBs by").select_option("imd")
    nojs_page.get_by_role("button", name="Show on the map").click()
    expect(nojs_page).to_have_url(re.compile(r"/icbs\?measure=imd&view=boundaries$"))
    expect(nojs_page.get_by_test_id("icb-boundary-map").locator("a")).to_have_count(36)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_no_axe_violations_on_the_outlines(
    page: Page, assert_no_axe_violations: Callable[..., None], viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    response = page.goto("/icbs?view=boundaries")
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("icb-boundary-map")).to_be_visible()
    assert_no_axe_violations(page)
