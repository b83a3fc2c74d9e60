"""The Data page in a real browser: its tables, the synthetic-data banner, accessibility, and
the same page without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gpequity.warehouse.status import read_status

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

SYNTHETIC_NOTICE = "This site is showing synthetic demonstration data, not real NHS figures."
#: A phone's width: the tables switch to their stacked layout.
NARROW = {"width": 375, "height": 812}


def test_data_page_lists_every_dataset_and_file_loaded(page: Page, live_server: Any) -> None:
    status = read_status(live_server.db_path)
    assert status.sources, "the demo warehouse should hold files"

    response = page.goto("/data")

    assert response is not None and response.status == 200
    expect(page).to_have_title("Data – gpequity")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data")
    datasets = page.get_by_role("table", name="Datasets loaded")
    files = page.get_by_role("table", name="Files loaded")
    # One header row, then one row per dataset and per file.
    expect(datasets.get_by_role("row")).to_have_count(len(status.datasets) + 1)
    expect(files.get_by_role("row")).to_have_count(len(status.sources) + 1)
    for source in status.sources:
        file_name = re.split(r"[\\/]", source.path)[-1]
        row = files.get_by_role("row").filter(has_text=file_name)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(source.title)
        expect(row).to_contain_text(f"{source.rows_loaded:,}")
        expect(row).to_contain_text(source.sha256[:12])
    for source in status.sources:
        expect(datasets).to_contain_text(source.title)


def test_synthetic_banner_is_shown_on_every_page(page: Page) -> None:
    for path in ("/", "/data"):
        page.goto(path)
        banner = page.get_by_role("region", name="Demonstration data")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(SYNTHETIC_NOTICE)


def test_design_system_and_htmx_scripts_start(page: Page) -> None:
    page.goto("/data")

    expect(page.locator("body")).to_have_class(re.compile(r"\bnhsuk-frontend-supported\b"))
    # nhsuk-frontend marks each component it has initialised.
    expect(page.locator("header.nhsuk-header")).to_have_attribute("data-nhsuk-header-init", "")
    assert page.evaluate("() => typeof htmx.ajax") == "function"


def test_navigation_goes_between_pages(page: Page) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Data").click()

    expect(page).to_have_url(re.compile(r"/data$"))
    current = page.get_by_role("navigation", name="Menu").locator("[aria-current=page]")
    expect(current).to_have_text("Data")


def test_skip_link_is_the_first_thing_to_tab_to(page: Page) -> None:
    page.goto("/data")
    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()


def test_sources_csv_downloads(page: Page) -> None:
    page.goto("/data")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the files table (CSV)").click()

    download = download_info.value
    assert download.suggested_filename == "gpequity-sources.csv"
    text = open(download.path(), encoding="utf-8").read()  # noqa: SIM115
    assert text.startswith("dataset,title,period,file,sha256,rows_read,rows_loaded,")


@pytest.mark.parametrize("path", ["/", "/data", "/no-such-page"])
def test_pages_have_no_axe_violations(
    page: Page, path: str, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.goto(path)
    assert_no_axe_violations(page)


def test_data_page_on_a_phone_has_no_axe_violations(
    page: Page, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.set_viewport_size(NARROW)
    page.goto("/data")

    expect(page.get_by_role("table", name="Files loaded")).to_be_visible()
    assert_no_axe_violations(page)


def test_data_page_works_without_javascript(nojs_page: Page, live_server: Any) -> None:
    status = read_status(live_server.db_path)

    response = nojs_page.goto("/data")

    assert response is not None and response.status == 200
    expect(nojs_page.locator("body")).not_to_have_class(re.compile("js-enabled"))
    expect(nojs_page.get_by_role("heading", level=1)).to_have_text("Data")
    expect(nojs_page.get_by_role("region", name="Demonstration data")).to_be_visible()
    files = nojs_page.get_by_role("table", name="Files loaded")
    expect(files.get_by_role("row")).to_have_count(len(status.sources) + 1)
    nav = nojs_page.get_by_role("navigation", name="Menu")
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Data")).to_be_visible()
