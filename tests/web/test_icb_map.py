"""The England map of ICBs (``/icbs``, ``/icbs.csv`` and the home page): the shipped layout,
the colours, the page in each state, the table's order and the exact CSV."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from gpequity.analysis.icb_measures import MEASURE_NAMES, IcbMeasures, Measure, icb_measures
from gpequity.formats import format_number, format_pounds
from gpequity.sources.demo.boundaries import write_icb_boundaries
from gpequity.warehouse.build import build_warehouse
from gpequity.web.app import create_app
from gpequity.web.presenters_icb_map import (
    BOUNDARIES_MISSING,
    DIVERGING_PALETTE,
    MISSING_FILL,
    SEQUENTIAL,
    TEXT_CONTRAST,
    contrast,
    icb_layout,
    palette,
    text_colour,
)

#: The map's page must stay under this many bytes, boundaries included.
PAGE_BUDGET = 400_000


# --- the layout -----------------------------------------------------------------------------


def test_the_layout_has_36_tiles_each_icb_once() -> None:
    layout = icb_layout()
    assert len(layout) == 36
    assert len({t.code for t in layout}) == 36
    assert len({t.ons_code for t in layout}) == 36
    assert len({(t.column, t.row) for t in layout}) == 36
    assert all(re.fullmatch(r"E54\d{6}", t.ons_code) for t in layout)
    assert len({t.label for t in layout}) == 36


def hex_distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Steps between two tiles of the grid (odd rows shifted right): cube coordinates."""

    def cube(column: int, row: int) -> tuple[int, int, int]:
        x = column - (row - (row & 1)) // 2
        return x, row, -x - row

    (x1, y1, z1), (x2, y2, z2) = cube(*a), cube(*b)
    return max(abs(x1 - x2), abs(y1 - y2), abs(z1 - z2))


def test_the_layout_is_geographically_sensible() -> None:
    tiles = {t.code: t for t in icb_layout()}
    rows = [t.row for t in tiles.values()]
    # North East and North Cumbria at the top, Cornwall at the bottom left.
    assert tiles["QHM"].row == min(rows)
    assert tiles["QT6"].row == max(rows)
    assert tiles["QT6"].column == min(t.column for t in tiles.values())
    # The four London ICBs touch one another (at most two steps apart).
    london = [(tiles[c].column, tiles[c].row) for c in ("Z9B2Z", "QMF", "QWE", "QKK")]
    assert all(hex_distance(a, b) <= 2 for a in london for b in london)
    # Every tile touches another: one block, no island.
    places = [(t.column, t.row) for t in tiles.values()]
    assert all(any(hex_distance(p, q) == 1 for q in places if q != p) for p in places)


@pytest.mark.realdata
def test_the_layout_is_the_official_list_of_april_2026(real_data_dir: Path) -> None:
    path = real_data_dir / "lookups" / "icb-april-2026-names-and-codes.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        official = {r["ICB26CDH"]: r for r in csv.DictReader(fh)}
    layout = {t.code: t for t in icb_layout()}
    assert sorted(layout) == sorted(official)
    for code, tile in layout.items():
        assert tile.ons_code == official[code]["ICB26CD"]
        name = official[code]["ICB26NM"].removeprefix("NHS ")
        assert tile.short_name == name.replace("Integrated Care Board", "ICB")


# --- colours --------------------------------------------------------------------------------


@pytest.mark.parametrize("fill", [*SEQUENTIAL, *DIVERGING_PALETTE, MISSING_FILL])
def test_every_tile_label_has_aa_contrast(fill: str) -> None:
    assert contrast(fill, text_colour(fill)) >= TEXT_CONTRAST


def test_contrast_of_black_and_white_is_21() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)


@pytest.mark.parametrize("classes", [1, 2, 3, 4, 5])
def test_a_palette_has_one_colour_per_class(classes: int) -> None:
    sequential = palette(Measure.imd, classes)
    diverging = palette(Measure.gap, classes)
    assert len(sequential) == len(diverging) == classes
    assert len(set(sequential)) == classes
    if classes % 2 == 1:  # the middle class of a diverging scale stays neutral
        assert diverging[classes // 2] == DIVERGING_PALETTE[2]


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouses(
    tmp_path_factory: pytest.TempPathFactory, demo_files: Path, demo_warehouse: Path
) -> dict[str, Path]:
    """The demo warehouse, without and with a generated boundary file."""
    tmp = tmp_path_factory.mktemp("icb-map")
    icbs = [(t.ons_code, f"NHS {t.short_name}", t.column, t.row) for t in icb_layout()]
    boundaries = write_icb_boundaries(tmp / "boundaries" / "icbs.geojson", icbs)
    build_warehouse(tmp / "outlines.duckdb", [demo_files, boundaries.parent])
    return {"tiles": demo_warehouse, "outlines": tmp / "outlines.duckdb"}


@pytest.fixture(scope="module")
def measures(warehouses: dict[str, Path]) -> IcbMeasures:
    with duckdb.connect(str(warehouses["tiles"]), read_only=True) as con:
        return icb_measures(con)


@pytest.fixture(scope="module")
def demo(warehouses: dict[str, Path]) -> Iterator[TestClient]:
    with TestClient(create_app(warehouses["tiles"])) as client:
        yield client


@pytest.fixture(scope="module")
def outlined(warehouses: dict[str, Path]) -> Iterator[TestClient]:
    with TestClient(create_app(warehouses["outlines"])) as client:
        yield client


def tile_links(page: str, kind: str = "app-icb-map__tile") -> dict[str, str]:
    """Each tile's link and accessible name."""
    found = re.findall(rf'<a href="(/icbs/[^"]+)" aria-label="([^"]+)" class="{kind}"', page)
    return {href: html.unescape(name) for href, name in found}


def written(measure: Measure, value: float | None) -> str:
    return format_number(value, 1) if measure is Measure.imd else format_pounds(value)


@pytest.mark.parametrize("measure", list(Measure))
def test_the_map_links_and_names_every_icb(
    demo: TestClient, measures: IcbMeasures, measure: Measure
) -> None:
    response = demo.get(f"/icbs?measure={measure.value}")
    assert response.status_code == 200
    links = tile_links(response.text)
    assert sorted(links) == sorted(f"/icbs/{t.code}" for t in icb_layout())
    for tile in icb_layout():
        icb = measures.of(tile.code)
        value = icb.value(measure) if icb else None
        name = links[f"/icbs/{tile.code}"]
        assert name.startswith(f"{icb.short_name if icb else tile.short_name}, {tile.label}, ")
        assert name.endswith(f"{MEASURE_NAMES[measure]}: {written(measure, value)}")
    assert f'<option value="{measure.value}" selected>' in response.text


def table_names(page: str) -> list[str]:
    body = page.split('data-testid="icb-measures"', 1)[1].split("</tbody>", 1)[0]
    return [html.unescape(n) for n in re.findall(r'<a href="/icbs/[^"]+">([^<]+)</a></th>', body)]


@pytest.mark.parametrize("measure", list(Measure))
def test_the_table_sorts_by_each_measure(
    demo: TestClient, measures: IcbMeasures, measure: Measure
) -> None:
    page = demo.get(f"/icbs?sort={measure.value}&order=desc").text
    rows = []
    for tile in icb_layout():
        icb = measures.of(tile.code)
        name = icb.short_name if icb and icb.short_name else tile.short_name
        rows.append((name, icb.value(measure) if icb else None))
    present = sorted((r for r in rows if r[1] is not None), key=lambda r: -float(r[1] or 0))
    missing = [r for r in rows if r[1] is None]
    assert table_names(page) == [n for n, _ in present + missing]


def test_the_table_is_by_name_by_default(demo: TestClient) -> None:
    names = table_names(demo.get("/icbs").text)
    assert len(names) == 36 and names == sorted(names, key=str.lower)


def test_the_csv_has_every_icb_of_the_map(demo: TestClient, measures: IcbMeasures) -> None:
    response = demo.get("/icbs.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    year = measures.year.replace("/", "-")
    assert f'filename="gpequity-icb-measures-{year}.csv"' in response.headers["content-disposition"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "icb_code",
            "ons_code",
            "icb_name",
            "year",
            "practices",
            "gap_q1_minus_q5",
            "per_weighted_patient",
            "mean_imd_score",
        ]
    )
    for tile in icb_layout():
        icb = measures.of(tile.code)

        def cell(value: float | None) -> str:
            return "" if value is None else str(round(value, 2))

        writer.writerow(
            [
                tile.code,
                tile.ons_code,
                icb.name if icb else tile.short_name,
                measures.year,
                icb.practices if icb else 0,
                cell(icb.gap_q1_minus_q5 if icb else None),
                cell(icb.per_weighted_patient if icb else None),
                cell(icb.mean_imd_score if icb else None),
            ]
        )
    assert response.text == out.getvalue()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("measure=gini", "There is no measure &#39;gini&#39;: choose gap, per-weighted, imd."),
        ("view=globe", "There is no map &#39;globe&#39;: choose tiles, boundaries."),
    ],
)
def test_a_choice_that_is_not_one_is_named(demo: TestClient, query: str, message: str) -> None:
    response = demo.get(f"/icbs?{query}")
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    assert len(tile_links(response.text)) == 36  # the default map is still shown


def test_without_boundaries_the_page_says_how_to_get_them(demo: TestClient) -> None:
    page = demo.get("/icbs?view=boundaries").text
    assert str(escape(BOUNDARIES_MISSING)) in page
    assert len(tile_links(page)) == 36
    assert "icb-boundary-map" not in page


def test_with_boundaries_the_icbs_are_drawn_as_outlines(
    outlined: TestClient, measures: IcbMeasures
) -> None:
    response = outlined.get("/icbs?view=boundaries&measure=per-weighted")
    assert response.status_code == 200
    assert len(response.content) < PAGE_BUDGET
    areas = tile_links(response.text, "app-icb-map__area")
    assert sorted(areas) == sorted(f"/icbs/{t.code}" for t in icb_layout())
    for tile in icb_layout():
        icb = measures.of(tile.code)
        value = icb.per_weighted_patient if icb else None
        assert areas[f"/icbs/{tile.code}"].endswith(f": {format_pounds(value)}")
    assert response.text.count('<path d="M') == 36
    # The tiles stay the default view.
    assert "icb-boundary-map" not in outlined.get("/icbs").text


def test_without_payments_the_map_says_so(client: TestClient, empty_client: TestClient) -> None:
    for test_client in (client, empty_client):
        page = test_client.get("/icbs")
        assert page.status_code == 200
        assert "No payments file is loaded, so there are no ICB figures to map." in page.text
        csv_file = test_client.get("/icbs.csv")
        assert csv_file.status_code == 404
        assert csv_file.text == "No payments file is loaded, so there are no ICB figures to map.\n"


def test_the_home_page_shows_the_map(demo: TestClient, client: TestClient) -> None:
    page = demo.get("/").text
    assert 'data-testid="home-icb-map"' in page and len(tile_links(page)) == 36
    assert 'action="/icbs"' in page
    assert 'data-testid="home-icb-map"' not in client.get("/").text
