"""Practice and ICB profiles in a real browser: found through the search box, an ICB's table
sorted (with and without JavaScript) and downloaded."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Locator, Page, expect

from gpequity.analysis.profiles import IcbProfile, icb_profile, practice_profile
from gpequity.formats import format_pounds

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]


@pytest.fixture(scope="module")
def warehouse(live_server: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(live_server.db_path), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def big_icb(warehouse: duckdb.DuckDBPyConnection) -> IcbProfile:
    """The ICB with most practices in the latest year (ties by code)."""
    row = warehouse.execute(
        "SELECT icb_code FROM payments WHERE year = (SELECT max(year) FROM payments) "
        "GROUP BY icb_code ORDER BY count(*) DESC, icb_code LIMIT 1"
    ).fetchone()
    assert row is not None
    profile = icb_profile(warehouse, str(row[0]))
    assert profile is not None and len(profile.practices) >= 5
    return profile


def test_a_practice_found_through_the_search_box_shows_its_figures(
    page: Page, warehouse: duckdb.DuckDBPyConnection
) -> None:
    row = warehouse.execute(
        "SELECT practice_code, practice_name FROM payments "
        "WHERE year = (SELECT max(year) FROM payments) AND weighted_patients > 0 "
        "ORDER BY practice_code LIMIT 1 OFFSET 17"
    ).fetchone()
    assert row is not None
    code, name = str(row[0]), str(row[1])
    profile = practice_profile(warehouse, code)
    assert profile is not None

    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Practices and ICBs"
    ).click()
    page.get_by_label("Practice name, code or postcode, or ICB name").fill(code.lower())
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("practice-results").get_by_role("link", name=f"{name} ({code})").click()

    expect(page).to_have_url(f"/practices/{code}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name.title())
    details = page.get_by_test_id("practice-details")
    expect(details).to_contain_text(profile.details.icb_name)
    expect(details).to_contain_text(f"{round(profile.details.registered_patients or 0):,}")
    table = page.get_by_test_id("payments-table")
    expect(table.locator("tbody tr")).to_have_count(len(profile.payments))
    for year in profile.payments:
        row_locator = table.locator("tbody tr").filter(has_text=year.year)
        expect(row_locator).to_contain_text(format_pounds(year.per_weighted_patient))
        expect(row_locator).to_contain_text(format_pounds(year.icb_median))
        expect(row_locator).to_contain_text(format_pounds(year.england_median))
    expect(page.get_by_test_id("chart-practice-trend-reading")).to_contain_text(
        format_pounds(profile.payments[-1].per_weighted_patient)
    )
    expect(page.get_by_test_id("indicators-table").locator("tbody tr")).to_have_count(
        len(profile.indicators)
    )


def test_a_practice_found_by_postcode_prefix(
    page: Page, warehouse: duckdb.DuckDBPyConnection
) -> None:
    row = warehouse.execute(
        "SELECT practice_code, postcode FROM payments WHERE year = (SELECT max(year) FROM "
        "payments) ORDER BY practice_code LIMIT 1"
    ).fetchone()
    assert row is not None
    outward = str(row[1]).split()[0]

    page.goto(f"/practices?q={outward}%20")

    expect(
        page.get_by_test_id("practice-results").get_by_role("link", name=re.compile(str(row[0])))
    ).to_be_visible()


def registered_header(page: Page) -> Locator:
    """The "Registered patients" heading of the ICB's practices table."""
    return page.get_by_test_id("practices-table").get_by_role(
        "columnheader", name=re.compile("^Registered patients")
    )


def codes_in_table(page: Page) -> list[str]:
    return (
        page.get_by_test_id("practices-table")
        .locator("tbody tr")
        .evaluate_all("rows => rows.map(r => r.dataset.practice)")
    )


def expected_order(profile: IcbProfile, reverse: bool) -> list[str]:
    """Practices by registered patients (ties by code), those without a list size last."""
    known = sorted(
        (p for p in profile.practices if p.registered_patients is not None),
        key=lambda p: p.code,
    )
    known.sort(key=lambda p: p.registered_patients or 0.0, reverse=reverse)
    return [p.code for p in known] + [
        p.code for p in profile.practices if p.registered_patients is None
    ]


def test_an_icb_table_sorts_and_downloads(page: Page, big_icb: IcbProfile) -> None:
    page.goto(f"/icbs/{big_icb.code}")
    expect(page.get_by_role("heading", level=1)).to_have_text(big_icb.name)
    by_name = sorted(big_icb.practices, key=lambda p: (p.name.casefold(), p.code))
    assert codes_in_table(page) == [p.code for p in by_name]

    header = registered_header(page)
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert codes_in_table(page) == expected_order(big_icb, reverse=False)
    expect(page).to_have_url(re.compile(r"sort=registered&order=asc"))

    header = registered_header(page)
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    descending = expected_order(big_icb, reverse=True)
    assert codes_in_table(page) == descending
    # The sort link kept the keyboard focus through the swap.
    expect(page.locator("#sort-registered")).to_be_focused()

    with page.expect_download() as download_info:
        page.get_by_test_id("practices-csv").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"icb-{big_icb.code}-practices-{big_icb.year.replace('/', '-')}.csv"
    )
    path = download.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["practice_code"] for r in rows] == descending
    registered = {p.code: p.registered_patients for p in big_icb.practices}
    assert all(float(r["registered_patients"]) == registered[r["practice_code"]] for r in rows)


def test_an_icb_table_fits_a_desktop_page(page: Page, big_icb: IcbProfile) -> None:
    # Nine columns with the design system's spacing made the table wider than the 960 px
    # page, so its box scrolled and cut the last column, the payments per weighted patient.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/icbs/{big_icb.code}")
    box = page.get_by_test_id("practices-table").locator("xpath=..")
    scroll, client = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert scroll <= client
    cell = page.get_by_test_id("practices-table").locator("tbody tr").first.locator("td").last
    cell_box, table_box = cell.bounding_box(), box.bounding_box()
    assert cell_box is not None and table_box is not None
    assert cell_box["x"] + cell_box["width"] <= table_box["x"] + table_box["width"]


def test_an_icb_table_sorts_and_filters_without_javascript(
    nojs_page: Page, big_icb: IcbProfile
) -> None:
    nojs_page.goto(f"/icbs/{big_icb.code}")
    registered_header(nojs_page).get_by_role("link").click()

    expect(nojs_page).to_have_url(re.compile(r"sort=registered&order=asc#icb-practices$"))
    assert codes_in_table(nojs_page) == expected_order(big_icb, reverse=False)

    quintile = next(p.quintile for p in big_icb.practices if p.quintile is not None)
    nojs_page.get_by_label("National quintile").select_option(str(quintile))
    nojs_page.get_by_role("button", name="Filter").click()
    kept = expected_order(big_icb, reverse=False)
    in_quintile = {p.code for p in big_icb.practices if p.quintile == quintile}
    assert codes_in_table(nojs_page) == [c for c in kept if c in in_quintile]
    expect(nojs_page.get_by_test_id("practices-counter")).to_have_text(
        f"Showing {len(in_quintile)} of {len(big_icb.practices)} practices paid in {big_icb.year}"
    )


def test_an_icb_is_found_by_name(page: Page, big_icb: IcbProfile) -> None:
    word = big_icb.name.removeprefix("NHS ").split()[0]
    page.goto("/practices")
    page.get_by_label("Practice name, code or postcode, or ICB name").fill(word)
    page.get_by_role("button", name="Search").click()

    page.get_by_test_id("icb-results").get_by_role(
        "link", name=f"{big_icb.name} ({big_icb.code})"
    ).click()

    expect(page).to_have_url(f"/icbs/{big_icb.code}")
    expect(page.get_by_test_id("spread-table").locator("tbody tr")).to_have_count(
        len(big_icb.spread)
    )
