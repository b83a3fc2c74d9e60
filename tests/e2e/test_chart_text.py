"""Every page with a chart, on a phone (390 px) and a laptop (1,366 px): each chart's text is at
least 12 px as drawn, none is clipped or truncated, no two labels overlap (measured by
:mod:`tests.e2e.chart_text`), the page never scrolls sideways, and axe finds nothing.

A page with a new chart joins the list :data:`PAGES`: its name, its path (from the demo
warehouse's codes) and how many charts it shows at least.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page

from gpequity.allocation.icbs import IcbEntry, list_icbs
from gpequity.warehouse.build import connect

from ..web.allocate.conftest import query
from .chart_text import assert_chart_text_readable, measure_chart_text

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

#: A phone (an iPhone 12 to 15 is 390 CSS pixels wide) and a laptop.
WIDTHS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}
#: Drawing a datapack's charts the first time takes a few seconds.
SLOW_PAGE_MS = 120_000


@dataclass(frozen=True)
class ChartPage:
    """A page with charts: ``path(icb, practice)`` is its URL for the demo warehouse's largest
    ICB and one of its practices; ``layouts``, whether its charts come in a wide and a narrow
    layout (else each is drawn once, for every screen: ``fits_phone``)."""

    name: str
    path: Callable[[IcbEntry, str], str]
    charts: int
    layouts: bool = True


PAGES = [
    ChartPage("funding", lambda icb, practice: "/funding", 4),
    ChartPage("allocation result", lambda icb, practice: f"/allocate?{urlencode(query(icb))}", 1),
    ChartPage(
        "allocation result, weighted baseline",
        lambda icb, practice: f"/allocate?{urlencode(query(icb, baseline='weighted'))}",
        1,
    ),
    ChartPage(
        "sensitivity",
        lambda icb, practice: f"/allocate/sensitivity?icb={icb.code}&amount=1000&c1=imd&w1=50",
        1,
    ),
    ChartPage("datapack", lambda icb, practice: f"/icbs/{icb.code}/datapack", 20),
    ChartPage("practice profile", lambda icb, practice: f"/practices/{practice}", 3, False),
    ChartPage("ICB profile", lambda icb, practice: f"/icbs/{icb.code}", 1, False),
    # The allocation compare page has no chart yet: a chart added to it joins here.
]


@pytest.fixture(scope="module")
def icb(live_server: Any) -> IcbEntry:
    with connect(live_server.db_path) as con:
        return max(list_icbs(con), key=lambda entry: (entry.practices, entry.code))


@pytest.fixture(scope="module")
def practice(live_server: Any, icb: IcbEntry) -> str:
    """A practice of that ICB with payments (its profile has every chart)."""
    with connect(live_server.db_path) as con:
        row = con.execute(
            "SELECT min(p.practice_code) FROM payments p JOIN practice_icb i"
            " ON i.practice_code = p.practice_code WHERE i.icb_code = ?",
            [icb.code],
        ).fetchone()
    assert row is not None and row[0] is not None
    return str(row[0])


@pytest.mark.parametrize("chart_page", PAGES, ids=[p.name for p in PAGES])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_charts_text_reads_at_this_width(
    page: Page,
    icb: IcbEntry,
    practice: str,
    chart_page: ChartPage,
    width: str,
    assert_no_axe_violations: Callable[..., None],
) -> None:
    page.set_viewport_size(WIDTHS[width])
    response = page.goto(chart_page.path(icb, practice), timeout=SLOW_PAGE_MS)
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle", timeout=SLOW_PAGE_MS)

    charts = assert_chart_text_readable(page, at_least=chart_page.charts)

    layout = ("narrow" if width == "phone" else "wide") if chart_page.layouts else ""
    assert {c.layout for c in charts} == {layout}
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]
    # Each inline chart is drawn twice, but a screen reader finds it once at any width.
    for title in set(page.locator("svg[data-chart] > title").all_text_contents()):
        assert page.get_by_role("img", name=title, exact=True).count() == 1, title
    assert_no_axe_violations(page)


def _svg(body: str, *, width: int = 300, view: int = 300, name: str = "x") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" data-chart="{name}" width="{width}" '
        f'height="60" viewBox="0 0 {view} 60" font-family="sans-serif">{body}</svg>'
    )


def test_the_helper_finds_small_clipped_truncated_and_overlapping_text(page: Page) -> None:
    """The measurements themselves: each fault drawn once, in an inline SVG and an image."""
    ok = (
        '<text x="10" y="20" font-size="12">Fine</text>'
        '<text x="10" y="50" font-size="12">Also</text>'
    )
    image = _svg(
        '<text x="10" y="20" font-size="12">Shrunk</text>', width=300, view=600, name="image"
    )
    page.set_content(
        "<body style='margin:0'>"
        + _svg(ok, name="ok")
        + _svg('<text x="10" y="20" font-size="9">Tiny</text>', name="small")
        + _svg(
            '<text x="10" y="20" font-size="12">Shrunk</text>', width=150, view=300, name="scaled"
        )
        + _svg('<text x="280" y="20" font-size="12">Cut off here</text>', name="clipped")
        + _svg('<text x="10" y="20" font-size="12">Influenza and\u2026</text>', name="ellipsis")
        + _svg(
            '<text x="10" y="20" font-size="12">First label</text>'
            '<text x="30" y="24" font-size="12">Second label</text>'
            '<text x="10" y="50" font-size="12" opacity="0">Hidden by Vega</text>'
            '<text x="12" y="50" font-size="12">Shown</text>',
            name="overlap",
        )
        + '<img data-chart="image" width="300" alt="" src="data:image/svg+xml;charset=utf-8,'
        + image.replace('"', "'").replace("#", "%23")
        + '">'
        + "</body>"
    )

    found = {c.name.split(" ")[0]: c.problems for c in measure_chart_text(page)}
    found["image"] = tuple(p.split(": ", 1)[1] for p in found["image"])

    assert found["ok"] == ()
    assert found["small"] == ('small: "Tiny" is 9.0 px (under 12 px)',)
    assert found["scaled"] == ('scaled: "Shrunk" is 6.0 px (under 12 px)',)
    assert found["clipped"] == ('clipped: "Cut off here" is clipped by the SVG\'s viewport',)
    assert found["ellipsis"] == ('ellipsis: "Influenza and…" is truncated with an ellipsis',)
    assert len(found["overlap"]) == 1
    assert found["overlap"][0].startswith('overlap: "First label" and "Second label" overlap')
    assert found["image"] == ('"Shrunk" is 6.0 px (under 12 px)',)
    with pytest.raises(AssertionError, match="Tiny"):
        assert_chart_text_readable(page)
