"""The England map of ICBs: a tile (hex) map of the 36 ICBs of April 2026, coloured by a measure.

The layout is package data, ``web/maps/icb_hexes.csv`` (ICB code, ONS code, short name, the
tile's abbreviation, column and row of a hex grid whose odd rows are shifted half a tile right):
a fixed, geographically sensible arrangement (North East and North Cumbria at the top right,
Cornwall at the bottom left, the four London ICBs together), drawn here as inline SVG with no
script. The figures are :func:`gpequity.analysis.icb_measures.icb_measures`'; this module only
places them: the colour of each tile (the class of its value, a ColorBrewer palette that readers
with a colour vision deficiency can tell apart), the tile's link and accessible name (the ICB
and its value: colour is never the only cue), the legend, the table beside the map and its CSV.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import NamedTuple

from gpequity.analysis.icb_boundaries import BoundaryMap
from gpequity.analysis.icb_measures import (
    DIVERGING,
    MEASURE_NAMES,
    IcbMeasure,
    IcbMeasures,
    Measure,
    class_of,
)
from gpequity.formats import NOT_AVAILABLE, format_number, format_pounds
from gpequity.views import Cell, Column, TableView
from gpequity.web.views import (
    FieldError,
    Option,
    SortChoice,
    page_title,
    read_sort,
    sort_table_rows,
    sortable_columns,
)

MAP_PATH = "/icbs"
MAP_TITLE = "ICBs of England: a map"
CSV_PATH = "/icbs.csv"
#: The measure a map shows when none is asked for.
DEFAULT_MEASURE = Measure.gap

#: ColorBrewer "Blues" (5 classes, colour-blind safe), lightest (lowest) first.
SEQUENTIAL = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
#: ColorBrewer "PuOr" (5 classes, colour-blind safe): orange below nought, purple above.
DIVERGING_PALETTE = ("#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99")
#: A tile with no value: white, outlined with dashes (told apart by more than its colour).
MISSING_FILL = "#ffffff"
#: Black, not the design system's #212b32: on the middle blues and oranges only black reaches 4.5:1.
DARK_TEXT = "#000000"
LIGHT_TEXT = "#ffffff"
#: WCAG 2.2 AA contrast for text.
TEXT_CONTRAST = 4.5

#: The tiles' size: circumradius of a pointy-top hexagon, and the margin around the map.
HEX_RADIUS = 34.0
MARGIN = 4.0

#: The table's sortable columns, by key (``?sort=``).
SORT_KEYS = ("name", *(m.value for m in Measure))

#: What each measure means, under the map.
MEASURE_DEFINITIONS: dict[Measure, str] = {
    Measure.gap: (
        "Payments per weighted patient to the ICB's practices in England's least deprived fifth "
        "(Q1) minus those in its most deprived fifth (Q5), the fifths being England's: positive "
        "when the least deprived practices receive more. Not available when the ICB has no "
        "practice in one of the two fifths."
    ),
    Measure.per_weighted: (
        "All payments to the ICB's practices divided by their weighted patients (practices "
        "with an IMD score and patients)."
    ),
    Measure.imd: (
        "The IMD scores of the ICB's practices weighted by their registered patients: the "
        "deprivation of its average patient (higher is more deprived)."
    ),
}


@dataclass(frozen=True)
class HexTile:
    """One ICB's place on the map (a row of ``icb_hexes.csv``)."""

    code: str
    ons_code: str
    short_name: str
    label: str
    column: int
    row: int


@functools.cache
def icb_layout() -> tuple[HexTile, ...]:
    """The shipped layout of the 36 ICBs of April 2026."""
    text = resources.files("gpequity.web").joinpath("maps", "icb_hexes.csv").read_text("utf-8")
    return tuple(
        HexTile(
            r["code"], r["ons_code"], r["short_name"], r["label"], int(r["column"]), int(r["row"])
        )
        for r in csv.DictReader(text.splitlines())
    )


def hex_centre(column: int, row: int, radius: float = HEX_RADIUS) -> tuple[float, float]:
    """The centre of a tile: odd rows are shifted half a tile right."""
    width = math.sqrt(3) * radius
    x = MARGIN + width / 2 + (column + 0.5 * (row % 2)) * width
    y = MARGIN + radius + row * 1.5 * radius
    return x, y


def hex_points(x: float, y: float, radius: float = HEX_RADIUS) -> str:
    """The SVG ``points`` of a pointy-top hexagon centred on (x, y)."""
    corners = (
        (x + radius * math.cos(math.radians(a)), y + radius * math.sin(math.radians(a)))
        for a in range(-90, 270, 60)
    )
    return " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)


# --- colours ----------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour(fill: str) -> str:
    """The label colour that reads best on ``fill``."""
    return max((DARK_TEXT, LIGHT_TEXT), key=lambda text: contrast(fill, text))


def palette(measure: Measure, classes: int) -> tuple[str, ...]:
    """``classes`` colours of the measure's palette, spread over it (the middle of a diverging
    one stays the middle)."""
    colours = DIVERGING_PALETTE if measure in DIVERGING else SEQUENTIAL
    if classes <= 1:
        return (colours[len(colours) // 2],)
    last = len(colours) - 1
    return tuple(colours[round(i * last / (classes - 1))] for i in range(classes))


# --- the page ---------------------------------------------------------------------------------


def format_measure(measure: Measure, value: float | None) -> str:
    """A measure's value as the map, its legend and the table write it."""
    if measure is Measure.imd:
        return format_number(value, 1)
    return format_pounds(value)


def tile_name(short_name: str, label: str, measure: Measure, value: float | None) -> str:
    """A tile's accessible name: the ICB, the abbreviation the tile shows (so that speech
    input can say what is seen), and its value."""
    return f"{short_name}, {label}, {MEASURE_NAMES[measure]}: {format_measure(measure, value)}"


class TileLabel(NamedTuple):
    """The abbreviation a tile shows, where, and in which colour."""

    text: str
    x: float
    y: float
    fill: str


@dataclass(frozen=True)
class MapArea:
    """One ICB on a map: its link (``None``: an outline no ICB of the map matches), accessible
    name, colour and shape: a tile's hexagon (``points``) and label, or an outline's path."""

    code: str
    href: str | None
    name: str
    fill: str
    missing: bool
    shape: str
    label: TileLabel | None = None


@dataclass(frozen=True)
class LegendItem:
    fill: str
    text: str
    missing: bool = False


class Legend(NamedTuple):
    """The legend's heading (the measure) and its classes."""

    heading: str
    items: tuple[LegendItem, ...]


@dataclass(frozen=True)
class MapView:
    """A map as the template draws it: tiles (``kind`` tiles) or outlines, in a drawing of
    ``size`` (width, height) units."""

    title: str
    areas: tuple[MapArea, ...]
    size: tuple[float, float]
    legend: Legend
    kind: MapKind


def _legend(measure: Measure, breaks: Sequence[float], colours: Sequence[str]) -> list[LegendItem]:
    texts = [format_measure(measure, b) for b in breaks]
    items = []
    for index, fill in enumerate(colours):
        if not breaks:
            text = "All ICBs"
        elif index == 0:
            text = f"Under {texts[0]}"
        elif index == len(breaks):
            text = f"{texts[-1]} or more"
        else:
            text = f"{texts[index - 1]} to under {texts[index]}"
        items.append(LegendItem(fill, text))
    return items


@dataclass(frozen=True)
class Colouring:
    """How a measure's values are coloured: the classes' breaks and colours."""

    measure: Measure
    breaks: tuple[float, ...]
    colours: tuple[str, ...]

    def fill(self, value: float | None) -> str:
        return MISSING_FILL if value is None else self.colours[class_of(value, self.breaks)]


def colouring(measures: IcbMeasures, measure: Measure) -> Colouring:
    breaks = measures.breaks(measure)
    return Colouring(measure, breaks, palette(measure, len(breaks) + 1))


def _legend_of(colours: Colouring, missing: bool) -> tuple[LegendItem, ...]:
    legend = _legend(colours.measure, colours.breaks, colours.colours)
    if missing:
        legend.append(LegendItem(MISSING_FILL, NOT_AVAILABLE, missing=True))
    return tuple(legend)


def _value_of(measures: IcbMeasures, code: str | None, measure: Measure) -> float | None:
    icb = measures.of(code) if code is not None else None
    return icb.value(measure) if icb is not None else None


def _short_name(measures: IcbMeasures, code: str, fallback: str) -> str:
    icb = measures.of(code)
    return icb.short_name if icb is not None and icb.short_name else fallback


def present_hex_map(measures: IcbMeasures, measure: Measure) -> MapView:
    """The 36 tiles, each linked to its ICB's profile and named with its value."""
    layout = icb_layout()
    colours = colouring(measures, measure)
    tiles = []
    for tile in layout:
        value = _value_of(measures, tile.code, measure)
        fill = colours.fill(value)
        x, y = hex_centre(tile.column, tile.row)
        short = _short_name(measures, tile.code, tile.short_name)
        tiles.append(
            MapArea(
                code=tile.code,
                href=f"/icbs/{tile.code}",
                name=tile_name(short, tile.label, measure, value),
                fill=fill,
                missing=value is None,
                shape=hex_points(x, y, HEX_RADIUS - 1),
                label=TileLabel(tile.label, x, y, text_colour(fill)),
            )
        )
    columns = max(t.column for t in layout) + 1.5
    rows = max(t.row for t in layout)
    name = MEASURE_NAMES[measure]
    return MapView(
        title=f"Map of the {len(layout)} ICBs of England coloured by {name.lower()} in "
        f"{measures.year}",
        areas=tuple(tiles),
        size=(
            round(2 * MARGIN + columns * math.sqrt(3) * HEX_RADIUS, 1),
            round(2 * MARGIN + 2 * HEX_RADIUS + rows * 1.5 * HEX_RADIUS, 1),
        ),
        legend=Legend(name, _legend_of(colours, any(t.missing for t in tiles))),
        kind=MapKind.tiles,
    )


def present_boundary_map(
    boundaries: BoundaryMap, measures: IcbMeasures, measure: Measure
) -> MapView:
    """ONS's outlines coloured as the tiles are, each a link named with its value."""
    colours = colouring(measures, measure)
    # The warehouse names each ONS code's ODS code when the official list of the ICBs is loaded;
    # the layout knows the 36 too.
    ods_codes = {tile.ons_code: tile.code for tile in icb_layout()}
    areas = []
    for path in boundaries.paths:
        code = path.code or ods_codes.get(path.ons_code)
        value = _value_of(measures, code, measure)
        short = _short_name(measures, code, path.name) if code else path.name
        areas.append(
            MapArea(
                code=code or path.ons_code,
                href=f"/icbs/{code}" if code else None,
                name=f"{short}, {MEASURE_NAMES[measure]}: {format_measure(measure, value)}",
                fill=colours.fill(value),
                missing=value is None,
                shape=path.d,
            )
        )
    name = MEASURE_NAMES[measure]
    return MapView(
        title=f"Map of the boundaries of {len(areas)} ICBs of England coloured by "
        f"{name.lower()} in {measures.year}",
        areas=tuple(areas),
        size=(boundaries.width, boundaries.height),
        legend=Legend(name, _legend_of(colours, any(a.missing for a in areas))),
        kind=MapKind.boundaries,
    )


def measure_options(chosen: Measure) -> tuple[Option, ...]:
    return tuple(Option(m.value, MEASURE_NAMES[m], m is chosen) for m in Measure)


def read_measure(text: str) -> Measure | None:
    """``?measure=``: blank is the default; anything not a measure is ``None``."""
    text = text.strip().lower()
    if not text:
        return DEFAULT_MEASURE
    try:
        return Measure(text)
    except ValueError:
        return None


def _icbs_in_layout(measures: IcbMeasures) -> list[tuple[HexTile, IcbMeasure | None]]:
    return [(tile, measures.of(tile.code)) for tile in icb_layout()]


TABLE_COLUMNS = (
    Column("ICB", key="name"),
    *(Column(MEASURE_NAMES[m], numeric=True, key=m.value) for m in Measure),
)


def _value_cell(measure: Measure, icb: IcbMeasure | None) -> Cell:
    value = icb.value(measure) if icb is not None else None
    return Cell(
        format_measure(measure, value),
        numeric=True,
        sort_value=None if value is None else repr(value),
    )


@dataclass(frozen=True)
class IcbTable:
    """The table beside the map, and the profile each of its rows links to."""

    view: TableView
    links: tuple[str, ...]


def present_icb_table(
    measures: IcbMeasures, sort: SortChoice, href: Callable[[SortChoice], str]
) -> IcbTable:
    """Every ICB of the map with its three measures, in the order asked (England last)."""
    rows = []
    for tile, icb in _icbs_in_layout(measures):
        short = icb.short_name if icb is not None and icb.short_name else tile.short_name
        rows.append(
            (
                Cell(short, header=True, sort_value=short),
                *(_value_cell(m, icb) for m in Measure),
                # The profile's address, after the columns: taken off once sorted.
                Cell(f"/icbs/{tile.code}"),
            )
        )
    ordered = sort_table_rows(rows, TABLE_COLUMNS, sort if sort.key else SortChoice("name"))
    table = TableView(
        id="icb-measures",
        caption=f"The ICBs' measures in {measures.year}; select a column heading to sort by it",
        columns=sortable_columns(TABLE_COLUMNS, sort, href),
        rows=tuple(row[:-1] for row in ordered),
        foot=(
            Cell("England", header=True),
            *(_value_cell(m, measures.england) for m in Measure),
        ),
        sortable=True,
        csv_href=CSV_PATH,
    )
    return IcbTable(table, tuple(row[-1].text for row in ordered))


CSV_HEADER = (
    "icb_code",
    "ons_code",
    "icb_name",
    "year",
    "practices",
    "gap_q1_minus_q5",
    "per_weighted_patient",
    "mean_imd_score",
)


def _rounded(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def icb_measures_csv(measures: IcbMeasures) -> tuple[tuple[object, ...], ...]:
    """The table's rows for its CSV: every ICB of the map (money to the penny, IMD to 0.01)."""
    return tuple(
        (
            tile.code,
            tile.ons_code,
            icb.name if icb is not None else tile.short_name,
            measures.year,
            icb.practices if icb is not None else 0,
            _rounded(icb.gap_q1_minus_q5 if icb else None, 2),
            _rounded(icb.per_weighted_patient if icb else None, 2),
            _rounded(icb.mean_imd_score if icb else None, 2),
        )
        for tile, icb in _icbs_in_layout(measures)
    )


class MapKind(StrEnum):
    """How the map draws the ICBs (``?view=``)."""

    tiles = "tiles"
    boundaries = "boundaries"


VIEW_NAMES: dict[MapKind, str] = {
    MapKind.tiles: "Tiles: one hexagon per ICB",
    MapKind.boundaries: "Boundaries: the ICBs' outlines (ONS)",
}

#: Said instead of the outlines when they are not loaded.
BOUNDARIES_MISSING = (
    "The ICBs' boundaries are not loaded, so the map shows tiles. To draw their outlines, run "
    "gpequity data fetch --only icb_boundaries (ONS's \"Integrated Care Boards (April 2026) "
    'Boundaries EN BGC" as GeoJSON), or download that file from the ONS Open Geography Portal '
    "as GeoJSON and load it with gpequity data load --source."
)


@dataclass(frozen=True)
class MapForm:
    """The map's form: its choices, and what is wrong with the ones asked."""

    measure_options: tuple[Option, ...]
    view_options: tuple[Option, ...]
    errors: tuple[FieldError, ...] = ()

    def error_of(self, field: str) -> str | None:
        return next((e.message for e in self.errors if e.field == field), None)


class MapAbout(NamedTuple):
    """What the page says around the map: the measure's definition, the notes, why there is
    no map or no outline."""

    definition: str
    notes: tuple[str, ...]
    year: str | None
    boundaries_missing: str | None
    no_data_reason: str | None


@dataclass(frozen=True)
class IcbMapPage:
    """``/icbs``: the map (tiles or outlines), its form and legend, the table and what the
    measures mean."""

    title: str
    map: MapView | None
    form: MapForm
    table: IcbTable | None
    about: MapAbout


def map_href(measure: Measure, view: MapKind, sort: SortChoice) -> str:
    items = [("measure", measure.value)]
    if view is not MapKind.tiles:
        items.append(("view", view.value))
    query = "&".join(f"{k}={v}" for k, v in [*items, *sort.items()])
    return f"{MAP_PATH}?{query}"


def map_form(measure: Measure, view: MapKind, errors: tuple[FieldError, ...] = ()) -> MapForm:
    """The form with ``measure`` and ``view`` chosen."""
    return MapForm(
        measure_options(measure),
        tuple(Option(v.value, VIEW_NAMES[v], v is view) for v in MapKind),
        errors,
    )


class HomeMap(NamedTuple):
    """The home page's map: the tiles coloured by the default measure, and the form."""

    map: MapView
    form: MapForm


def present_home_map(measures: IcbMeasures) -> HomeMap:
    return HomeMap(
        present_hex_map(measures, DEFAULT_MEASURE), map_form(DEFAULT_MEASURE, MapKind.tiles)
    )


def read_view(text: str) -> MapKind | None:
    """``?view=``: blank is tiles; anything not a view is ``None``."""
    try:
        return MapKind(text.strip().lower() or MapKind.tiles.value)
    except ValueError:
        return None


def present_icb_map_page(
    measures: IcbMeasures | None,
    measure: Measure | None,
    sort: SortChoice,
    *,
    view: MapKind | None = MapKind.tiles,
    asked: tuple[str, str] = ("", ""),
    boundaries: BoundaryMap | None = None,
    no_data_reason: str | None = None,
) -> IcbMapPage:
    """The page for a measure and a view; ``None`` for either is a choice (``asked``: the
    measure's and the view's text) that is not one: the default is shown, with an error naming
    the choices."""
    errors = []
    if measure is None:
        choices = ", ".join(m.value for m in Measure)
        errors.append(
            FieldError(
                "icb-map-measure", f"There is no measure {asked[0].strip()!r}: choose {choices}."
            )
        )
        measure = DEFAULT_MEASURE
    if view is None:
        choices = ", ".join(v.value for v in MapKind)
        errors.append(
            FieldError("icb-map-view", f"There is no map {asked[1].strip()!r}: choose {choices}.")
        )
        view = MapKind.tiles
    chosen, drawn = measure, view
    table = (
        present_icb_table(measures, sort, lambda s: map_href(chosen, drawn, s) + "#icb-measures")
        if measures is not None
        else None
    )
    drawn_map = None
    if measures is not None and view is MapKind.boundaries and boundaries is not None:
        drawn_map = present_boundary_map(boundaries, measures, measure)
    elif measures is not None:
        drawn_map = present_hex_map(measures, measure)
    return IcbMapPage(
        title=page_title(MAP_TITLE, errors),
        map=drawn_map,
        form=map_form(measure, view, tuple(errors)),
        table=table,
        about=MapAbout(
            definition=MEASURE_DEFINITIONS[measure],
            notes=(measures.icb_map_note,) if measures is not None else (),
            year=measures.year if measures is not None else None,
            boundaries_missing=(
                BOUNDARIES_MISSING if view is MapKind.boundaries and boundaries is None else None
            ),
            no_data_reason=no_data_reason,
        ),
    )


def read_map_sort(sort: str, order: str) -> SortChoice:
    return read_sort(sort, order, SORT_KEYS)
