"""A chart's two layouts: wide (a laptop, the PDF) and narrow (a phone), from its one spec.

Every chart has one Vega-Lite spec (:mod:`gpequity.charts`). :func:`layout_spec` derives the
spec a layout draws, by rules that hold for any chart, so that a new chart gets both layouts
without writing either:

- both layouts: no text under :data:`MIN_FONT_PX` (a mark's ``fontSize``, the configuration's
  sizes), and no category label truncated with an ellipsis: a label longer than the layout's
  line is wrapped onto several lines (Vega draws a label that is a list of strings as lines);
- narrow: the whole chart, axes and legend included, :data:`NARROW_WIDTH` pixels wide (Vega's
  ``fit-x`` sizing), so that a phone shows it at its natural size (1:1, never shrunk); titles
  and subtitles wrapped to that width; legends below the plot, one entry a line; at most
  :data:`NARROW_TICKS` ticks on a quantitative axis; the labels of a discrete x axis wrapped
  to the width of their band; numbers inside the marks (a heat map's cells) rounded to whole
  units when two decimals would not fit.

The full text of a shortened label stays in the chart's data table and its title. A chart that
needs more than the rules can give says so in its spec with ``usermeta``: ``{"narrow": {...}}``
is merged into the narrow spec (Vega-Lite ignores ``usermeta``).
"""

from __future__ import annotations

import copy
import json
import re
import textwrap
from collections.abc import Iterator
from enum import StrEnum
from typing import Any


class Layout(StrEnum):
    """Which layout of a chart: ``wide`` (the spec as written) or ``narrow`` (a phone)."""

    WIDE = "wide"
    NARROW = "narrow"


#: The smallest text of a chart in either layout, in pixels at 1:1.
MIN_FONT_PX = 12
#: The narrow layout's whole width: a 390 px phone's page (less the NHS page's 16 px margins)
#: with room to spare for a chart block's own padding.
NARROW_WIDTH = 340
#: A quantitative axis of the narrow layout has about this many ticks.
NARROW_TICKS = 4
#: Characters of a line of wrapped text: a title (15 px bold), a subtitle or a legend (12 px),
#: a category label beside the plot, in each layout (12 px Arial is about 6.5 px a character).
TITLE_CHARS = 36
SUBTITLE_CHARS = 44
LABEL_CHARS = {Layout.WIDE: 34, Layout.NARROW: 18}
#: Characters of a line under the narrow layout's plot (an x axis's title).
PLOT_CHARS = 28
#: Pixels of 12 px text per character, to fit labels to a band (a generous average for Arial).
CHAR_PX = 7.0
#: The height of a line of a wrapped label, and the space between two rows' labels.
LINE_PX = 14
ROW_GAP_PX = 4
#: How much wider than Vega measured a label may be drawn, and Vega's padding around a chart.
FONT_SLACK = 0.12
DEFAULT_PADDING = 5
#: Where the narrow layout's plot starts: room for a y axis's labels and title.
NARROW_Y_AXIS_PX = 70
#: The number formats of pounds, and their whole-pound form for a narrow cell.
_PENCE_FORMAT = re.compile(r"\.2f$")

_POSITION = ("x", "y")


#: The ``usermeta`` key of a spec drawn at most :data:`NARROW_WIDTH` wide with text of at least
#: :data:`MIN_FONT_PX` as written: one layout serves every screen (the profiles' charts).
FITS_PHONE = "fits_phone"


def fits_phone(spec: dict[str, Any]) -> bool:
    """Whether the spec says it reads on a phone as it is (:data:`FITS_PHONE`)."""
    return bool((spec.get("usermeta") or {}).get(FITS_PHONE))


def layout_spec(spec: dict[str, Any], layout: Layout) -> dict[str, Any]:
    """The spec ``layout`` draws (a new dict; ``spec`` is left as it is, and its data's values,
    which nothing here changes, are shared rather than copied: a thousand points took a copy
    longer than the layout)."""
    out = copy.deepcopy({k: v for k, v in spec.items() if k != "data"})
    if "data" in spec:
        out["data"] = {k: v if k == "values" else copy.deepcopy(v) for k, v in spec["data"].items()}
    values = out.get("data", {}).get("values", [])
    meta = out.pop("usermeta", {}) or {}
    _config_fonts(out)
    for part in ("mark", "axis", "legend", "title"):
        # The chart is one image (role="img", named by its title, described by its reading):
        # ARIA labels on each of its marks are never read, and were half of a heat map's bytes.
        out["config"].setdefault(part, {})["aria"] = False
    if layout == Layout.NARROW:
        _narrow_frame(out)
    for node in _views(out):
        _mark_fonts(node, layout)
        for channel, encoding in node.get("encoding", {}).items():
            if channel in _POSITION and isinstance(encoding, dict):
                _axis(out, encoding, channel, values, layout)
            elif layout == Layout.NARROW and isinstance(encoding, dict):
                _legend(encoding)
    if layout == Layout.NARROW:
        out = _merge(out, meta.get("narrow", {}))
    return out


def _views(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The spec and its layers, at any depth."""
    yield spec
    for layer in spec.get("layer", []):
        yield from _views(layer)


def _config_fonts(spec: dict[str, Any]) -> None:
    config = spec.setdefault("config", {})
    spec["config"] = config = copy.deepcopy(config)
    for part in config.values():
        if isinstance(part, dict):
            for key, size in part.items():
                if key.lower().endswith("fontsize") and isinstance(size, int | float):
                    part[key] = max(size, MIN_FONT_PX)
    title = spec.get("title")
    if isinstance(title, dict) and isinstance(title.get("fontSize"), int | float):
        title["fontSize"] = max(title["fontSize"], MIN_FONT_PX)


def _mark_fonts(node: dict[str, Any], layout: Layout) -> None:
    mark = node.get("mark")
    if not isinstance(mark, dict) or mark.get("type") != "text":
        return
    if isinstance(mark.get("fontSize"), int | float):
        mark["fontSize"] = max(mark["fontSize"], MIN_FONT_PX)
    text = node.get("encoding", {}).get("text")
    if layout == Layout.NARROW and isinstance(text, dict) and "format" in text:
        # A cell of a narrow heat map is about 40 px: "£123.45" would run into the next.
        text["format"] = _PENCE_FORMAT.sub(".0f", text["format"])


def _narrow_frame(spec: dict[str, Any]) -> None:
    spec["width"] = NARROW_WIDTH
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    title = spec.get("title")
    if isinstance(title, dict):
        title["text"] = _lines(title.get("text", ""), TITLE_CHARS)
        if title.get("subtitle"):
            title["subtitle"] = _lines(title["subtitle"], SUBTITLE_CHARS)
    legend = spec["config"].setdefault("legend", {})
    legend.update({"orient": "bottom", "columns": 1, "labelLimit": NARROW_WIDTH})


def _legend(encoding: dict[str, Any]) -> None:
    legend = encoding.get("legend")
    if isinstance(legend, dict):
        # A legend's own spacing is for a wide row of entries; below the plot they stack.
        encoding["legend"] = {
            k: v for k, v in legend.items() if k not in ("columnPadding", "columns")
        }


def _axis(
    spec: dict[str, Any],
    encoding: dict[str, Any],
    channel: str,
    values: list[dict[str, Any]],
    layout: Layout,
) -> None:
    axis = encoding.get("axis", {})
    if axis is None:
        return
    axis = dict(axis)
    title = encoding.get("title")
    if layout == Layout.NARROW and isinstance(title, str):
        encoding["title"] = _lines(title, PLOT_CHARS if channel == "x" else TITLE_CHARS)
    if layout == Layout.NARROW and channel == "x" and axis.get("orient") == "top":
        # Wrapped labels above a plot grow into it; below it they grow away from it.
        axis["orient"] = "bottom"
    if axis.get("labels") is False:
        # No labels between the plot and the title: the other axis's lowest label would
        # reach into the title.
        axis.setdefault("titlePadding", LINE_PX)
    if encoding.get("type") == "quantitative":
        if layout == Layout.NARROW:
            axis.setdefault("tickCount", NARROW_TICKS)
        encoding["axis"] = axis
        return
    field = encoding.get("field")
    if axis.get("labelExpr") or axis.get("labels") is False or not isinstance(field, str):
        return
    labels = _categories(values, field, encoding.get("sort"))
    if not labels:
        return
    chars = LABEL_CHARS[layout]
    band = 0.0
    if channel == "x" and layout == Layout.NARROW:
        band = (NARROW_WIDTH - NARROW_Y_AXIS_PX) / len(labels)
        chars = max(int(band / CHAR_PX), 4)
    wrapped = {label: _wrap(label, chars) for label in labels}
    most = max(len(lines) for lines in wrapped.values())
    if channel == "x" and layout == Layout.NARROW:
        # The last label is centred on its band, which may be narrower than the label.
        longest = max(len(line) for lines in wrapped.values() for line in lines)
        _pad(spec, "right", round(longest * CHAR_PX / 2 * (1 + FONT_SLACK) - band / 2))
    if channel == "y":
        # Room for a browser whose font is wider than the renderer measured (Vega measures
        # Arial; a browser without it may draw DejaVu Sans, about a tenth wider).
        longest = max(len(line) for lines in wrapped.values() for line in lines)
        _pad(spec, "left", round(longest * CHAR_PX * FONT_SLACK))
    if most > 1:
        axis["labelExpr"] = _lookup(wrapped)
        axis["labelLineHeight"] = LINE_PX
        if channel == "x":
            axis["labelAngle"] = 0
        elif isinstance(spec.get("height"), int | float):
            # Rows as tall as their labels, so that a label of three lines meets no other.
            spec["height"] = max(spec["height"], (most * LINE_PX + ROW_GAP_PX) * len(labels))
    axis["labelLimit"] = 0 if layout == Layout.WIDE else NARROW_WIDTH
    encoding["axis"] = axis


def _pad(spec: dict[str, Any], side: str, pixels: int) -> None:
    padding = spec.get("padding", DEFAULT_PADDING)
    if isinstance(padding, int | float):
        padding = dict.fromkeys(("left", "right", "top", "bottom"), padding)
    padding[side] = max(padding.get(side, DEFAULT_PADDING), DEFAULT_PADDING + pixels)
    spec["padding"] = padding


def _categories(values: list[dict[str, Any]], field: str, sort: Any) -> list[str]:
    """The distinct values of ``field`` (sorted as the axis sorts them, when a list)."""
    seen = [str(v[field]) for v in values if isinstance(v, dict) and v.get(field) is not None]
    labels = list(dict.fromkeys(seen))
    if isinstance(sort, list):
        labels = list(dict.fromkeys([str(s) for s in sort] + labels))
    return labels


def _lookup(wrapped: dict[str, list[str]]) -> str:
    """A Vega expression giving each label's lines (a label it does not know: as it is)."""
    keys = json.dumps(list(wrapped))
    lines = json.dumps(list(wrapped.values()))
    return f"indexof({keys}, datum.value) < 0 ? datum.label : {lines}[indexof({keys}, datum.value)]"


def _wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, words kept whole."""
    return textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False) or [text]


def _lines(text: str | list[str], chars: int) -> list[str]:
    parts = [text] if isinstance(text, str) else text
    return [line for part in parts for line in _wrap(part, chars)]


def _merge(base: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = value
    return base


def prefix_svg_ids(svg: str, prefix: str) -> str:
    """Make the ``id``s of an SVG unique on a page that inlines several (gradients, clips):
    each ``id`` and each reference to it, in one pass over the SVG (a practice's peers strip
    is 150 kB, with no ``id`` at all)."""
    names = set(_SVG_ID.findall(svg)) if 'id="' in svg else set()
    if not names:
        return svg
    return _SVG_REFERENCE.sub(
        lambda m: f"{m[1]}{prefix}-{m[2]}{m[3]}" if m[2] in names else m[0], svg
    )


#: The names ``id`` attributes in a rendered SVG may take (the heat map's gradients).
_SVG_ID = re.compile(r'\bid="([^"]+)"')
#: An ``id`` and the two ways an SVG refers to one: ``url(#name)`` and ``href="#name"``.
_SVG_REFERENCE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)(["\)])')
