"""Is every chart's text readable where it is shown? Measured in the browser, as drawn.

``assert_chart_text_readable(page)`` looks at every chart the page shows (inline SVGs, and SVG
charts linked as images: each is fetched again, put in the page at the image's drawn size and
measured there) and fails, listing every problem, when a chart's text:

- is drawn smaller than :data:`MIN_TEXT_PX` pixels: the font size of the text element times
  the scale the SVG is drawn at (its screen transformation matrix: an SVG shrunk to fit a phone
  shrinks its text with it);
- is clipped: its box leaves the SVG's viewport (an SVG does not draw outside it) or the
  window, or it was truncated with an ellipsis (``…``, Vega's ``labelLimit``);
- overlaps another text of the same chart by more than :data:`OVERLAP_TOLERANCE_PX` in both
  directions (legend entries, axis labels, the labels of a heat map's cells).

A chart is an element matching :data:`CHART_SELECTOR`: what :func:`gpequity.charts.render_svg`
draws carries ``data-chart``, and so do the images of charts a page links. Only the charts
drawn at the page's current width count (the other layout is ``display: none``), and text a
renderer drew invisible (opacity 0: labels Vega hides so that they do not overlap) is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

#: The smallest text a chart may show, in CSS pixels as drawn (WCAG has no minimum; 12 px is
#: the smallest the NHS design system sets, and what a phone user can read at arm's length).
MIN_TEXT_PX = 12.0
#: How far two texts' boxes may overlap, and a text may leave its SVG (anti-aliasing, rounding).
OVERLAP_TOLERANCE_PX = 1.0
#: Every chart of the pipeline, inline or linked as an image.
CHART_SELECTOR = "svg[data-chart], img[data-chart]"

#: Runs in the page: measures the texts of every visible chart matching the selector.
_MEASURE_JS = """
async ([selector, minPx, tolerance]) => {
  const shown = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden";
  const opaque = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentNode) {
      const style = getComputedStyle(e);
      if (style.display === "none" || Number(style.opacity) === 0
          || Number(style.fillOpacity) === 0 && e === el) return false;
    }
    return true;
  };
  const measure = (svg, name) => {
    const box = svg.getBoundingClientRect();
    const texts = [];
    const problems = [];
    for (const t of svg.querySelectorAll("text")) {
      const content = t.textContent.replace(/\\s+/g, " ").trim();
      if (!content || !opaque(t)) continue;
      const r = t.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const m = t.getScreenCTM();
      const scale = Math.hypot(m.a, m.b);
      const size = parseFloat(getComputedStyle(t).fontSize) * scale;
      const text = {content, size, left: r.left, top: r.top, right: r.right, bottom: r.bottom};
      texts.push(text);
      if (size < minPx - 0.01) {
        problems.push(`${name}: "${content}" is ${size.toFixed(1)} px (under ${minPx} px)`);
      }
      if (content.includes("\\u2026")) {
        problems.push(`${name}: "${content}" is truncated with an ellipsis`);
      }
      const outside = r.left < box.left - tolerance || r.right > box.right + tolerance
        || r.top < box.top - tolerance || r.bottom > box.bottom + tolerance;
      if (outside) problems.push(`${name}: "${content}" is clipped by the SVG's viewport`);
      if (r.left < -tolerance || r.right > document.documentElement.clientWidth + tolerance) {
        problems.push(`${name}: "${content}" is outside the window`);
      }
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i], b = texts[j];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > tolerance && h > tolerance) {
          problems.push(`${name}: "${a.content}" and "${b.content}" overlap`
            + ` (${w.toFixed(1)} x ${h.toFixed(1)} px)`);
        }
      }
    }
    return {name, width: box.width, texts: texts.length, problems};
  };
  const results = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el)) continue;
    let layout = el.dataset.layout || "";
    const name = layout ? `${el.dataset.chart} (${layout})` : el.dataset.chart;
    if (el.tagName.toLowerCase() === "svg") {
      results.push({...measure(el, name), layout});
      continue;
    }
    // An image: its SVG drawn inline at the same place and size, measured, then removed.
    const src = el.currentSrc || el.src;
    const markup = await (await fetch(src)).text();
    const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
    const svg = document.importNode(doc.documentElement, true);
    layout = layout || svg.getAttribute("data-layout") || "";
    const at = el.getBoundingClientRect();
    const holder = document.createElement("div");
    holder.style.cssText = `position: fixed; left: ${at.left}px; top: 0; margin: 0;`
      + ` width: ${at.width}px; height: ${at.height}px;`;
    if (!svg.getAttribute("viewBox")) {
      svg.setAttribute("viewBox", `0 0 ${svg.getAttribute("width")} ${svg.getAttribute("height")}`);
    }
    svg.setAttribute("width", at.width);
    svg.setAttribute("height", at.height);
    holder.appendChild(svg);
    document.body.appendChild(holder);
    try {
      const chart = svg.getAttribute("data-chart");
      const label = `${layout ? `${chart} (${layout})` : chart} ${src.slice(0, 80)}`;
      results.push({...measure(svg, label), layout});
    } finally {
      holder.remove();
    }
  }
  return results;
}
"""


@dataclass(frozen=True)
class ChartText:
    """What was measured on one chart: its name and layout, its drawn width, how many texts
    it shows and what is wrong with them."""

    name: str
    #: ``wide`` or ``narrow`` (``data-layout``); blank for a chart drawn in one layout only.
    layout: str
    width: float
    texts: int
    problems: tuple[str, ...]


def measure_chart_text(page: Page, selector: str = CHART_SELECTOR) -> list[ChartText]:
    """Measure the text of every chart the page shows at its current viewport."""
    raw: list[dict[str, Any]] = page.evaluate(
        _MEASURE_JS, [selector, MIN_TEXT_PX, OVERLAP_TOLERANCE_PX]
    )
    return [
        ChartText(r["name"], r["layout"], r["width"], r["texts"], tuple(r["problems"])) for r in raw
    ]


def assert_chart_text_readable(
    page: Page, *, selector: str = CHART_SELECTOR, at_least: int = 1
) -> list[ChartText]:
    """Fail unless the page shows ``at_least`` charts and every text of each is readable (at
    least 12 px as drawn, not clipped or truncated, overlapping no other); the measurements."""
    charts = measure_chart_text(page, selector)
    assert len(charts) >= at_least, f"{page.url}: {len(charts)} charts shown, {at_least} expected"
    assert all(c.texts > 0 for c in charts), [c.name for c in charts if not c.texts]
    problems = [p for c in charts for p in c.problems]
    assert not problems, f"{page.url} at {page.viewport_size}:\n" + "\n".join(problems)
    return charts
