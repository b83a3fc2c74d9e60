"""Floors, caps and pace of change in a real browser: the form's Limits section with a
previous-allocation upload, the result listing the practices held (checked against the engine's
own figures on the same warehouse), and every bad limit reported at once without JavaScript.
Axe-clean with the section open."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from gpequity.allocation import AllocationLimits
from gpequity.allocation.icbs import IcbEntry, list_icbs
from gpequity.allocation.limits import LIMIT_LABELS
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
)
from gpequity.formats import format_change
from gpequity.warehouse.build import connect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

AMOUNT = Decimal("100000")
#: The form's starting components once an ICB is chosen.
STARTING = (ComponentChoice("imd", Decimal(50)), ComponentChoice("population", Decimal(50)))
MAX_CHANGE = Decimal("5")


@pytest.fixture(scope="module")
def icb(live_server: Any) -> IcbEntry:
    with connect(live_server.db_path) as con:
        return max(list_icbs(con), key=lambda entry: (entry.practices, entry.code))


def scenario(icb: IcbEntry, limits: AllocationLimits | None) -> Scenario:
    return Scenario(icb_code=icb.code, amount=AMOUNT, components=STARTING, limits=limits)


@pytest.fixture(scope="module")
def plain(live_server: Any, icb: IcbEntry) -> ScenarioOutcome:
    with connect(live_server.db_path) as con:
        return allocate_scenario(con, scenario(icb, None))


def average(plain: ScenarioOutcome) -> Decimal:
    """The amount per target patient of the whole pool."""
    return AMOUNT / sum(Decimal(p.target_population) for p in plain.result.practices)


@pytest.fixture(scope="module")
def bounds(plain: ScenarioOutcome) -> tuple[Decimal, Decimal]:
    """A floor of 70% and a cap of 130% of the average per target patient (4 decimals): half
    the money is per head, so every practice gets at least half the average."""
    step = Decimal("0.0001")
    mean = average(plain)
    return (mean * Decimal("0.7")).quantize(step), (mean * Decimal("1.3")).quantize(step)


@pytest.fixture(scope="module")
def previous(plain: ScenarioOutcome) -> dict[str, Decimal]:
    """A previous allocation: ten practices near the average, each 10% below its amount
    without limits (so with a 5% pace they are held at their previous amount plus 5%)."""
    mean = average(plain)
    near = [
        p
        for p in plain.result.practices
        if p.allocation_per_patient is not None
        and mean * Decimal("0.85") <= p.allocation_per_patient <= mean * Decimal("1.15")
    ]
    return {p.code: (p.allocation * Decimal("0.9")).quantize(Decimal("0.01")) for p in near[:10]}


@pytest.fixture(scope="module")
def limited(
    live_server: Any,
    icb: IcbEntry,
    previous: dict[str, Decimal],
    bounds: tuple[Decimal, Decimal],
) -> ScenarioOutcome:
    """The engine's allocation with the limits the browser types."""
    floor, cap = bounds
    limits = AllocationLimits(floor=floor, cap=cap, previous=previous, max_change=MAX_CHANGE)
    with connect(live_server.db_path) as con:
        return allocate_scenario(con, scenario(icb, limits))


def test_limits_with_a_previous_allocation_list_the_practices_held(
    page: Page,
    icb: IcbEntry,
    previous: dict[str, Decimal],
    bounds: tuple[Decimal, Decimal],
    limited: ScenarioOutcome,
    tmp_path: Path,
    assert_no_axe_violations: Callable[..., None],
) -> None:
    held = [p for p in limited.result.practices if p.limit is not None]
    assert len({p.limit for p in held}) >= 2  # the journey shows more than one kind of limit
    upload = tmp_path / "last-year.csv"
    rows = [f"{code},{amount}" for code, amount in previous.items()]
    upload.write_text("\n".join(["Practice code,Amount", *rows, "ZZ9999,12"]) + "\n", "utf-8")

    page.goto(f"/allocate?icb={icb.code}")
    page.get_by_label("Amount to share out").fill(f"{AMOUNT}")
    section = page.get_by_test_id("limits")
    section.locator("summary").click()
    section.get_by_label("Floor (optional)").fill(f"{bounds[0]}")
    section.get_by_label("Cap (optional)").fill(f"{bounds[1]}")
    section.get_by_label(re.compile("^Previous allocation")).set_input_files(str(upload))
    section.get_by_label(re.compile("^Largest change")).fill(f"{MAX_CHANGE}")
    assert_no_axe_violations(page)
    section.get_by_role("button", name="Upload the previous allocation").click()

    summary = page.get_by_test_id("previous-summary")
    expect(summary).to_contain_text("last-year.csv: 11 practices' previous amounts.")
    page.get_by_role("button", name="Calculate").click()

    result = page.get_by_test_id("limits-result")
    expect(result).to_contain_text(f"Floor: £{bounds[0]} per target patient.")
    expect(result).to_contain_text("(ZZ9999)")  # in the previous file, not in the pool
    table = page.get_by_role("table", name=re.compile("^Practices held at a limit"))
    expect(table.locator("tbody tr")).to_have_count(len(held))
    shown = {
        re.findall(r"\b[A-Z]\d{5}\b", texts[0])[0]: texts[1:]
        for texts in (
            [cell.split("\n")[-1].strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody tr").all()
        )
    }
    assert shown == {
        p.code: [LIMIT_LABELS[p.limit], *(_pounds(v) for v in (p.unlimited, p.allocation)),
                 format_change(p.moved)]
        for p in held
        if p.limit is not None and p.unlimited is not None
    }  # fmt: skip
    assert_no_axe_violations(page)
    page.screenshot(
        path=str(Path(__file__).resolve().parents[2] / "test-artifacts/e2e/allocate-limits.png"),
        full_page=True,
    )
    # On a phone each held practice is a card with its figures labelled.
    page.set_viewport_size({"width": 390, "height": 844})
    first = table.locator("tbody tr").first
    expect(first).to_be_visible()
    expect(first).to_contain_text("Held at")
    assert_no_axe_violations(page)


def _pounds(value: Decimal) -> str:
    return f"£{value:,.2f}" if value >= 0 else f"\u2212£{abs(value):,.2f}"


def test_every_bad_limit_is_summarised_at_once_without_javascript(
    nojs_page: Page, icb: IcbEntry
) -> None:
    page = nojs_page
    page.goto(f"/allocate?icb={icb.code}")
    page.get_by_label("Amount to share out").fill("abc")
    section = page.get_by_test_id("limits")
    section.locator("summary").click()
    section.get_by_label("Floor (optional)").fill("lots")
    section.get_by_label("Cap (optional)").fill("1.5.0")
    section.get_by_label(re.compile("^Largest change")).fill("five")
    page.get_by_role("button", name="Calculate").click()

    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    for text in ("amount as a number", "the floor as an amount", "the cap as an amount"):
        expect(summary).to_contain_text(text)
    expect(summary).to_contain_text("the largest change as a percentage")
    # The section is open, so the summary's links reach its fields.
    expect(page.get_by_test_id("floor-error")).to_be_visible()
    summary.get_by_role("link", name=re.compile("the floor as an amount")).click()
    assert page.url.endswith("#floor")


def test_a_floor_that_cannot_be_met_says_the_largest_that_can_without_javascript(
    nojs_page: Page, icb: IcbEntry
) -> None:
    page = nojs_page
    page.goto(f"/allocate?icb={icb.code}&amount=1000&method=recommended&c1=imd&w1=100&floor=50")
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("The largest floor that can be met is £")
    expect(page.get_by_test_id("limits")).to_have_attribute("open", "")
