"""The ICBs' outlines as SVG paths (``gpequity.analysis.icb_boundaries``): the projection keeps
areas, the simplification keeps the shape within its tolerance, and a loaded warehouse's 36
outlines are drawn small enough for a page."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.analysis.icb_boundaries import (
    TOLERANCE,
    WIDTH,
    icb_boundary_map,
    project,
    ring_area,
    simplify,
)
from gpequity.sources.demo.boundaries import write_icb_boundaries
from gpequity.warehouse.build import build_warehouse
from gpequity.web.presenters_icb_map import icb_layout

#: The outlines of 36 ICBs may take this much of a page.
PATHS_BUDGET = 150_000


def test_the_projection_keeps_areas() -> None:
    # Two cells of one degree square, in Cornwall and in Northumberland: on the sphere their
    # areas are in the ratio of the sines' differences, and so in the projection.
    def cell(lat: float) -> float:
        corners = [project(-2, lat), project(-1, lat), project(-1, lat + 1), project(-2, lat + 1)]
        return ring_area(corners)

    south, north = cell(50), cell(55)
    sphere = (math.sin(math.radians(51)) - math.sin(math.radians(50))) / (
        math.sin(math.radians(56)) - math.sin(math.radians(55))
    )
    assert south / north == pytest.approx(sphere)


def test_the_unit_square_has_area_one() -> None:
    assert ring_area([(0, 0), (1, 0), (1, 1), (0, 1)]) == pytest.approx(1)


def test_points_on_a_line_are_dropped_and_corners_kept() -> None:
    line = [(float(x), 0.0) for x in range(10)] + [(9.0, 5.0)]
    assert simplify(line, 0.5) == [(0.0, 0.0), (9.0, 0.0), (9.0, 5.0)]


def line_distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance from p to the line through a and b (to a when they coincide)."""
    (x, y), (x1, y1), (x2, y2) = p, a, b
    length = math.hypot(x2 - x1, y2 - y1)
    if length == 0:
        return math.hypot(x - x1, y - y1)
    return abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length


@settings(max_examples=100)
@given(
    st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=3, max_size=40, unique=True)
)
def test_every_dropped_point_is_within_the_tolerance(points: list[tuple[float, float]]) -> None:
    kept = simplify(points, TOLERANCE)
    indices = [points.index(p) for p in kept]
    assert indices[0] == 0 and indices[-1] == len(points) - 1 and indices == sorted(indices)
    for start, end in itertools.pairwise(indices):
        for between in points[start + 1 : end]:
            assert line_distance(between, points[start], points[end]) <= TOLERANCE + 1e-9


def test_a_warehouse_without_boundaries_has_no_map(tmp_path: Path) -> None:
    write_icb_boundaries(tmp_path / "src" / "b.geojson", [("E54000050", "NHS X", 0, 0)])
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [tmp_path / "src"])
    with duckdb.connect(str(db), read_only=True) as con:
        drawn = icb_boundary_map(con)
    assert drawn is not None and [p.ons_code for p in drawn.paths] == ["E54000050"]
    with duckdb.connect() as empty:
        assert icb_boundary_map(empty) is None


def test_the_36_outlines_are_drawn_within_the_map(tmp_path: Path) -> None:
    icbs = [(t.ons_code, f"NHS {t.short_name}", t.column, t.row) for t in icb_layout()]
    write_icb_boundaries(tmp_path / "src" / "b.geojson", icbs)
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [tmp_path / "src"])
    with duckdb.connect(str(db), read_only=True) as con:
        drawn = icb_boundary_map(con)
    assert drawn is not None and len(drawn.paths) == 36
    assert drawn.width == WIDTH and drawn.height > 0
    for path in drawn.paths:
        assert re.fullmatch(r"(M[0-9. ]+(L[0-9. ]+)+Z)+", path.d), path.d[:80]
        numbers = [float(n) for n in re.findall(r"[0-9.]+", path.d)]
        assert max(numbers) <= max(drawn.width, drawn.height)
    # 96 points an outline in the file; the simplified ones are far fewer.
    assert sum(len(p.d) for p in drawn.paths) < PATHS_BUDGET
    assert max(p.d.count("L") for p in drawn.paths) < 95
