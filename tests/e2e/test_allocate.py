"""The allocation tool in a real browser: the whole journey with and without JavaScript, the
CSV download, the link that reproduces a scenario, the compare view and accessibility.

The figures on the page are checked against the engine's own
(:func:`gpequity.allocation.scenario.allocate_scenario` on the same warehouse).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from gpequity.allocation.icbs import IcbEntry, list_icbs
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
)
from gpequity.warehouse.build import connect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

AMOUNT = Decimal("250000")
COMPONENTS = (("imd", "60"), ("hypertension-prevalence", "40"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


@pytest.fixture(scope="module")
def icb(live_server: Any) -> IcbEntry:
    """The ICB with the most practices in the demo warehouse."""
    with connect(live_server.db_path) as con:
        return max(list_icbs(con), key=lambda entry: (entry.practices, entry.code))


@pytest.fixture(scope="module")
def outcome(live_server: Any, icb: IcbEntry) -> ScenarioOutcome:
    """The engine's allocation for the journey's choices."""
    scenario = Scenario(
        icb_code=icb.code,
        amount=AMOUNT,
        components=tuple(ComponentChoice(i, Decimal(w)) for i, w in COMPONENTS),
    )
    with connect(live_server.db_path) as con:
        return allocate_scenario(con, scenario)


def pounds(value: Decimal) -> str:
    return f"£{value:,.2f}" if value >= 0 else f"\u2212£{abs(value):,.2f}"


def choose_scenario(page: Page, icb: IcbEntry) -> None:
    """Walk the form: the ICB, the amount, two components."""
    page.get_by_label("Integrated care board (ICB)").select_option(icb.code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Amount to share out")).to_be_visible()
    page.get_by_label("Amount to share out").fill(f"{AMOUNT}")
    for number, (indicator, weight) in enumerate(COMPONENTS, start=1):
        row = page.get_by_test_id(f"component-{number}")
        row.get_by_label("Indicator", exact=True).select_option(indicator)
        row.get_by_label("Weight", exact=True).fill(weight)


def table_allocations(page: Page) -> dict[str, str]:
    """Practice code -> allocation text, from the results table."""
    table = page.get_by_role("table", name="Allocation by practice")
    expect(table).to_be_visible()
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    column = next(i for i, h in enumerate(headers) if h.startswith("Allocation"))
    out = {}
    for row in table.locator("tbody tr").all():
        code = row.locator("th small").inner_text().strip()
        cell = row.locator("th, td").nth(column)
        text = cell.inner_text().strip()
        out[code] = text.split("\n")[-1].strip()
    return out


def expected_allocations(outcome: ScenarioOutcome) -> dict[str, str]:
    return {p.code: pounds(p.allocation) for p in outcome.result.practices}


def download_total(page: Page) -> Decimal:
    with page.expect_download() as info:
        page.get_by_test_id("download-csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["scenario_amount"] == f"{AMOUNT:.2f}"
    return sum((Decimal(r["allocation"]) for r in rows), Decimal(0))


def test_full_journey_with_javascript(
    page: Page,
    icb: IcbEntry,
    outcome: ScenarioOutcome,
    assert_no_axe_violations: Callable[..., None],
) -> None:
    response = page.goto("/allocate")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocate extra funding")
    assert_no_axe_violations(page)

    choose_scenario(page, icb)
    # The weights are added up as they are typed.
    weights = page.locator("[data-weights-total]")
    expect(weights).to_have_text("Weights add up to 100%.")
    page.get_by_test_id("component-2").get_by_label("Weight", exact=True).fill("30")
    expect(weights).to_contain_text("Weights add up to 90%: they must add up to 100%.")
    page.get_by_test_id("component-2").get_by_label("Weight", exact=True).fill("40")
    expect(weights).to_have_text("Weights add up to 100%.")
    assert_no_axe_violations(page)
    page.screenshot(path=str(SCREENSHOTS / "allocate-form.png"), full_page=True)

    page.get_by_role("button", name="Calculate").click()
    expect(page.get_by_role("heading", name=re.compile(r"£250,000\.00 for "))).to_be_visible()
    assert table_allocations(page) == expected_allocations(outcome)
    # htmx swapped the results in and pushed the link of the scenario.
    assert "amount=250000" in page.url and "c2=hypertension-prevalence" in page.url
    expect(
        page.get_by_test_id("allocation-bars-svg").locator("svg[data-layout=wide]")
    ).to_be_visible()
    assert download_total(page) == AMOUNT
    assert_no_axe_violations(page)
    page.screenshot(path=str(SCREENSHOTS / "allocate-results.png"), full_page=True)


def test_full_journey_without_javascript(
    nojs_page: Page, icb: IcbEntry, outcome: ScenarioOutcome
) -> None:
    page = nojs_page
    page.goto("/allocate")
    choose_scenario(page, icb)
    # Without JavaScript there is no running total; the server checks the weights.
    expect(page.locator("[data-weights-total]")).to_be_hidden()
    page.get_by_role("button", name="Calculate").click()

    assert table_allocations(page) == expected_allocations(outcome)
    # The form's submission was redirected to the scenario's own link: no empty fields.
    assert "c3=" not in page.url and "indicators_file" not in page.url
    assert download_total(page) == AMOUNT


def test_errors_are_summarised_and_linked_without_javascript(
    nojs_page: Page, icb: IcbEntry
) -> None:
    page = nojs_page
    page.goto(f"/allocate?icb={icb.code}")
    page.get_by_label("Amount to share out").fill("12.345")
    page.get_by_test_id("component-1").get_by_label("Weight", exact=True).fill("70")
    page.get_by_role("button", name="Calculate").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("at most 2 decimal places")
    expect(summary).to_contain_text("The weights must add up to exactly 100%")
    expect(page.get_by_test_id("amount-error")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary.get_by_role("link", name=re.compile("decimal places")).click()
    assert page.url.endswith("#amount")


def test_three_invalid_fields_are_summarised_at_once_with_javascript(
    page: Page, icb: IcbEntry, assert_no_axe_violations: Callable[..., None]
) -> None:
    """Issue 11: a negative amount, weights adding to 90 and ages 64 to 25 showed only the age
    error; the others came round by round. Through htmx's swap, the summary lists all three,
    each linking to its field."""
    page.goto("/allocate")
    choose_scenario(page, icb)
    page.get_by_label("Amount to share out").fill("-1000")
    page.get_by_test_id("component-2").get_by_label("Weight", exact=True).fill("30")
    page.get_by_label("From age").fill("64")
    page.get_by_label("To age").fill("25")
    page.get_by_role("button", name="Calculate").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(
        [
            "The amount must be more than £0.",
            "The oldest age must be a whole number from 64 (the youngest age) to 95, or empty "
            "for '64 and over'.",
            "The weights must add up to exactly 100%; they add up to 90%.",
        ]
    )
    for field in ("amount", "age_to", "w1"):
        expect(page.get_by_test_id(f"{field}-error")).to_be_visible()
    assert_no_axe_violations(page)


def test_shared_link_reproduces_the_table(
    page: Page, browser: Browser, base_url: str, icb: IcbEntry, outcome: ScenarioOutcome
) -> None:
    page.goto("/allocate")
    choose_scenario(page, icb)
    page.get_by_role("button", name="Calculate").click()
    shown = table_allocations(page)
    link = page.get_by_test_id("share-url").input_value()
    assert link.startswith(base_url)

    context = browser.new_context(base_url=base_url)
    try:
        fresh = context.new_page()
        fresh.goto(page.url)
        assert table_allocations(fresh) == shown == expected_allocations(outcome)
        fresh.goto(link)
        assert table_allocations(fresh) == shown
    finally:
        context.close()


def test_table_sorts_in_the_browser(page: Page, icb: IcbEntry, outcome: ScenarioOutcome) -> None:
    page.goto("/allocate")
    choose_scenario(page, icb)
    page.get_by_role("button", name="Calculate").click()
    table = page.get_by_role("table", name="Allocation by practice")
    table.get_by_role("link", name=re.compile(r"^Allocation")).click()
    expect(table.locator("th[aria-sort='ascending']")).to_contain_text("Allocation")
    ascending = sorted(outcome.result.practices, key=lambda p: p.allocation)
    codes = table.locator("tbody th small").all_inner_texts()
    assert codes == [p.code for p in ascending]
    assert "sort=allocation" in page.url and "order=asc" in page.url
    table.get_by_role("link", name=re.compile(r"^Allocation")).click()
    expect(table.locator("th[aria-sort='descending']")).to_contain_text("Allocation")
    codes = table.locator("tbody th small").all_inner_texts()
    assert codes[0] == ascending[-1].code


def test_compare_view_shows_both_scenarios(
    page: Page, icb: IcbEntry, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.goto(f"/allocate/compare?icb={icb.code}")
    assert_no_axe_violations(page)
    page.get_by_label("Amount to share out").fill("100000")
    side_b = page.get_by_test_id("side-2")
    side_b.get_by_label("eFIT classic (the published tool's formula)").check()
    page.get_by_role("button", name="Compare").click()

    results = page.get_by_test_id("compare-results")
    expect(results).to_be_visible()
    scenarios = page.get_by_test_id("scenarios")
    expect(scenarios).to_contain_text("Scenario A")
    expect(scenarios).to_contain_text("Scenario B")
    expect(scenarios).to_contain_text("eFIT classic")
    expect(page.get_by_role("table", name=re.compile("By practice: allocation under A and B")))
    expect(page.get_by_role("table", name=re.compile("By IMD quintile"))).to_be_visible()
    assert_no_axe_violations(page)
    page.screenshot(path=str(SCREENSHOTS / "allocate-compare.png"), full_page=True)


def test_sensitivity_view_without_javascript(nojs_page: Page, icb: IcbEntry) -> None:
    nojs_page.goto(
        f"/allocate/sensitivity?icb={icb.code}&amount=1000&method=recommended&c1=imd&w1=50"
        "&c2=population&w2=50"
    )
    table = nojs_page.get_by_role("table", name=re.compile("for each weight on deprivation"))
    # The patients' shares, then 0%, 10%, ... 100%.
    expect(table.locator("tbody tr")).to_have_count(12)
    expect(
        nojs_page.get_by_test_id("sensitivity-svg").locator("svg[data-layout=wide]")
    ).to_be_visible()


def test_own_indicators_upload_with_javascript(
    page: Page, live_server: Any, icb: IcbEntry, tmp_path: Path
) -> None:
    with connect(live_server.db_path) as con:
        from gpequity.allocation.icbs import icb_practice_codes

        codes = sorted(icb_practice_codes(con, icb.code))
    upload = tmp_path / "waiting.csv"
    lines = ["Practice code,Waiting list"] + [f"{c},{n % 9 + 1}" for n, c in enumerate(codes)]
    upload.write_text("\n".join([*lines, "ZZ9999,4"]) + "\n", encoding="utf-8")

    page.goto(f"/allocate?icb={icb.code}")
    page.get_by_label("Amount to share out").fill("5000")
    page.get_by_label(re.compile("^Your file")).set_input_files(str(upload))
    page.get_by_role("button", name="Upload the file").click()
    expect(page.get_by_test_id("upload-summary")).to_contain_text("waiting.csv gives 1 component")
    expect(page.get_by_test_id("upload-problems")).to_contain_text("'ZZ9999' is not a known")
    row = page.get_by_test_id("component-2")
    row.get_by_label("Indicator", exact=True).select_option("upload:waiting-list")
    row.get_by_label("Weight", exact=True).fill("50")
    page.get_by_role("button", name="Calculate").click()

    expect(page.get_by_role("table", name="Allocation by practice")).to_be_visible()
    assert set(table_allocations(page)) == set(codes)
    # The file is not kept: no link, and the page's address is the form's.
    expect(page.get_by_test_id("share-url")).to_have_count(0)
    with page.expect_download() as info:
        page.get_by_test_id("download-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert sum((Decimal(r["allocation"]) for r in rows), Decimal(0)) == Decimal("5000")


def test_changing_the_icb_refreshes_its_indicators_in_place(
    page: Page, live_server: Any, icb: IcbEntry
) -> None:
    with connect(live_server.db_path) as con:
        other = next(i for i in list_icbs(con) if i.code != icb.code)
    page.goto(f"/allocate?icb={icb.code}")
    row = page.get_by_test_id("component-2")
    row.get_by_label("Indicator", exact=True).select_option("bowel-screening")
    with page.expect_response(re.compile(r"/allocate\?.*action=refresh")) as info:
        page.get_by_label("Integrated care board (ICB)").select_option(other.code)
    assert info.value.status == 200
    # The choices made are kept; nothing was calculated and the address did not change.
    expect(row.get_by_label("Indicator", exact=True)).to_have_value("bowel-screening")
    expect(page.get_by_test_id("results")).to_have_count(0)
    assert page.url.endswith(f"/allocate?icb={icb.code}")


def test_published_tool_check_page(
    page: Page, icb: IcbEntry, assert_no_axe_violations: Callable[..., None]
) -> None:
    page.goto(f"/allocate/published-tool?icb={icb.code}&amount=1000&c1=imd&w1=50&unset=50")
    expect(page.get_by_role("heading", name="Check a result of the published eFIT tool"))
    expect(page.get_by_test_id("tool-check-summary")).to_contain_text(
        re.compile(r"hands out £1,50\d\.\d\d; the formula £1,000\.00")
    )
    expect(page.get_by_role("table", name=re.compile("Practices whose amounts differ")))
    assert_no_axe_violations(page)
