"""The profiles' charts in a real browser (demo warehouse): the practice's trend and peers
charts drawn with the practice highlighted, the ICB's summary and trend chart, its table paged,
sorted and filtered without JavaScript, axe clean at 1,366 and 390 px, and at 390 px every
chart's text at least 12 px, inside its chart and overlapping no other label."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Page, expect

from gpequity.analysis.profile_figures import icb_trend, indicator_spine, practice_peers
from gpequity.analysis.profiles import icb_profile, practice_profile
from gpequity.formats import format_pounds
from gpequity.reports.profile_charts import PRACTICE_COLOUR
from gpequity.web.presenters_profiles import PRACTICES_PER_PAGE

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
#: The smallest chart text a phone may show, in CSS pixels (as rendered, after any scaling).
MIN_TEXT_PX = 12.0
MAX_PAGE_BYTES = 400 * 1024

#: Every chart text's rendered size and box, per chart (JavaScript run in the page).
MEASURE_TEXT = """
() => [...document.querySelectorAll('.app-chart svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.width.baseVal.value;
  const texts = [...svg.querySelectorAll('text')]
    .filter(t => t.textContent.trim() && t.getBoundingClientRect().width > 0)
    .map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent.trim(), px: parseFloat(getComputedStyle(t).fontSize) * scale,
              left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    });
  return {id: svg.closest('[data-testid]').dataset.testid, scale,
          box: {left: box.left, right: box.right, top: box.top, bottom: box.bottom}, texts};
})
"""


@pytest.fixture(scope="module")
def warehouse(live_server: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(live_server.db_path), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def codes(warehouse: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The largest ICB of the latest year, and a practice of it with weighted patients."""
    row = warehouse.execute(
        "SELECT icb_code, min(practice_code) FILTER (WHERE weighted_patients > 0) FROM payments "
        "WHERE year = (SELECT max(year) FROM payments) "
        "GROUP BY icb_code ORDER BY count(*) DESC, icb_code LIMIT 1"
    ).fetchone()
    assert row is not None
    return {"icb": str(row[0]), "practice": str(row[1])}


def test_the_practice_profile_draws_its_trend_and_its_peers_with_itself_highlighted(
    page: Page, warehouse: duckdb.DuckDBPyConnection, codes: dict[str, str]
) -> None:
    profile = practice_profile(warehouse, codes["practice"])
    assert profile is not None
    peers = practice_peers(warehouse, profile)

    page.goto(f"/practices/{codes['practice']}")

    trend = page.get_by_test_id("chart-practice-trend-svg").locator("svg")
    expect(trend).to_have_attribute("role", "img")
    # One line per series (the practice, its ICB's median, England's), a point for each year.
    expect(trend.locator("g.mark-line.role-mark path")).to_have_count(3)
    years = len(profile.payments)
    expect(trend.locator("g.mark-symbol.role-mark path")).to_have_count(3 * years)
    latest = profile.payments[-1]
    expect(page.get_by_test_id("chart-practice-trend-reading")).to_contain_text(
        f"{format_pounds(latest.per_weighted_patient)} per weighted patient in {latest.year}"
    )

    chart = page.get_by_test_id("chart-practice-peers-svg").locator("svg")
    # Every other peer a grey dot; the practice a diamond of its own colour, once per group.
    others = sum(g.size - 1 for g in peers.groups)
    expect(chart.locator("g.peer_marks_marks path")).to_have_count(others)
    marker = chart.locator("g.practice_marker_marks path")
    expect(marker).to_have_count(len(peers.groups))
    for i in range(len(peers.groups)):
        assert marker.nth(i).get_attribute("fill") == PRACTICE_COLOUR
        # A diamond has straight sides: no arcs, unlike the peers' circles.
        assert "A" not in (marker.nth(i).get_attribute("d") or "A")
    assert {
        p.get_attribute("fill") for p in chart.locator("g.peer_marks_marks path").all()[:20]
    } == {"#768692"}
    labels = chart.locator("g[class*=practice_label] text")
    expect(labels).to_have_count(len(peers.groups))
    expect(labels.first).to_have_text(f"This practice {format_pounds(peers.groups[0].value)}")
    expect(page.get_by_test_id("chart-practice-peers-reading")).to_contain_text(
        f"{peers.groups[0].rank}"
    )

    # The data behind each chart is in a disclosure.
    page.get_by_text("Show the chart's data as a table").nth(1).click()
    table = page.get_by_test_id("chart-practice-peers-data")
    expect(table.locator("tbody tr")).to_have_count(len(peers.groups))
    expect(table).to_contain_text(format_pounds(peers.groups[0].median))

    # The spine: England's mark and range on every indicator, the practice's dot where it has
    # a value.
    rows = indicator_spine(warehouse, profile)
    assert rows
    spine = page.get_by_test_id("chart-practice-spine-svg").locator("svg")
    expect(spine.locator("g.spine_england_marks path")).to_have_count(len(rows))
    expect(spine.locator("g.spine_range_marks path")).to_have_count(len(rows))
    expect(spine.locator("g.spine_practice_marks path")).to_have_count(
        sum(1 for r in rows if r.value is not None)
    )


def test_the_icb_profile_leads_with_its_summary_and_trend(
    page: Page, warehouse: duckdb.DuckDBPyConnection, codes: dict[str, str]
) -> None:
    profile = icb_profile(warehouse, codes["icb"])
    assert profile is not None
    trend = icb_trend(warehouse, profile.code)

    page.goto(f"/icbs/{codes['icb']}")

    summary = page.get_by_test_id("icb-summary")
    expect(summary).to_contain_text("Dispensing practices")
    expect(summary).to_contain_text(format_pounds(profile.icb_gap_q1_minus_q5))
    svg = page.get_by_test_id("chart-icb-trend-svg").locator("svg")
    expect(svg.locator("g.mark-line.role-mark path")).to_have_count(2)
    expect(svg.locator("g.mark-symbol.role-mark path")).to_have_count(2 * len(trend))
    # The summary and the chart come before the practices table.
    assert page.evaluate(
        "() => document.querySelector('[data-testid=chart-icb-trend]')"
        ".compareDocumentPosition(document.querySelector('#icb-practices')) "
        "& Node.DOCUMENT_POSITION_FOLLOWING"
    )


def test_the_icb_profile_is_small_and_its_table_works_without_javascript(
    nojs_page: Page, warehouse: duckdb.DuckDBPyConnection, codes: dict[str, str]
) -> None:
    profile = icb_profile(warehouse, codes["icb"])
    assert profile is not None

    response = nojs_page.goto(f"/icbs/{codes['icb']}")

    assert response is not None and len(response.body()) < MAX_PAGE_BYTES
    rows = nojs_page.get_by_test_id("practices-table").locator("tbody tr")
    expect(rows).to_have_count(min(PRACTICES_PER_PAGE, len(profile.practices)))
    # Sorted by IMD score, most deprived first, through the heading's link.
    header = nojs_page.get_by_test_id("practices-table").get_by_role(
        "columnheader", name=re.compile("^IMD score")
    )
    header.get_by_role("link").click()
    header = nojs_page.get_by_test_id("practices-table").get_by_role(
        "columnheader", name=re.compile("^IMD score")
    )
    header.get_by_role("link").click()
    expect(nojs_page).to_have_url(re.compile(r"sort=imd&order=desc"))
    scored = sorted(
        (p for p in profile.practices if p.imd_score is not None),
        key=lambda p: (-(p.imd_score or 0.0), p.code),
    )
    shown = rows.evaluate_all("rows => rows.map(r => r.dataset.practice)")
    assert shown[:5] == [p.code for p in scored[:5]]
    # The next page keeps the sort.
    if len(profile.practices) > PRACTICES_PER_PAGE:
        nojs_page.get_by_role("link", name=re.compile("^Next")).click()
        expect(nojs_page).to_have_url(re.compile(r"page=2"))
        expect(nojs_page).to_have_url(re.compile(r"sort=imd"))
        shown = rows.evaluate_all("rows => rows.map(r => r.dataset.practice)")
        assert shown[0] == scored[PRACTICES_PER_PAGE].code
    # Filtered by a practice's code: that practice alone.
    code = profile.practices[0].code
    nojs_page.get_by_label("Practice name, code, PCN or postcode contains").fill(code)
    nojs_page.get_by_role("button", name="Filter").click()
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.practice)") == [code]


@pytest.mark.parametrize("which", ["practice", "icb"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_profiles_are_axe_clean(
    page: Page,
    codes: dict[str, str],
    assert_no_axe_violations: Callable[..., None],
    which: str,
    viewport: dict[str, int],
) -> None:
    page.set_viewport_size(viewport)
    page.goto(f"/{which}s/{codes[which]}")
    for summary in page.locator("main details summary").all():
        summary.click()  # the charts' tables too
    assert_no_axe_violations(page)


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two boxes share more than a pixel each way."""
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
    )


@pytest.mark.parametrize("which", ["practice", "icb"])
def test_on_a_phone_chart_text_is_12_px_or_more_and_never_clipped_or_overlapping(
    page: Page, codes: dict[str, str], which: str
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"/{which}s/{codes[which]}")

    charts = page.evaluate(MEASURE_TEXT)

    assert charts, "no chart on the page"
    for chart in charts:
        small = [(t["text"], round(t["px"], 1)) for t in chart["texts"] if t["px"] < MIN_TEXT_PX]
        assert small == [], chart["id"]
        box = chart["box"]
        clipped = [
            t["text"]
            for t in chart["texts"]
            if t["left"] < box["left"] - 1
            or t["right"] > box["right"] + 1
            or t["top"] < box["top"] - 1
            or t["bottom"] > box["bottom"] + 1
        ]
        assert clipped == [], chart["id"]
        assert box["right"] <= PHONE["width"], chart["id"]
        texts = chart["texts"]
        crossing = [
            (a["text"], b["text"])
            for i, a in enumerate(texts)
            for b in texts[i + 1 :]
            if overlaps(a, b)
        ]
        assert crossing == [], chart["id"]
