"""The ICBs' boundaries as SVG paths: projected, simplified, once per build of the warehouse.

ONS's boundaries (``icb_boundaries``, :mod:`gpequity.sources.icb_boundaries`) are polygons of
longitude and latitude. For a map drawn on the server they are:

* **projected** with a cylindrical equal-area projection whose standard parallel is 53°N, the
  middle of England (x = λ·cos 53°, y = sin φ / cos 53°): areas keep their proportions, so a
  large rural ICB does not look larger than it is, and England's shape is close to the
  British National Grid's;
* **simplified** with the Douglas–Peucker algorithm to :data:`TOLERANCE` of the drawing's units
  (the map is :data:`WIDTH` units wide), dropping islands too small to see, so that the page
  stays small (the generalised ONS file has hundreds of thousands of points);
* written as SVG path data, one ``d`` per ICB, with its ODS code (from the ONS code, through the
  official list of the April 2026 ICBs) so that the map can colour it and link it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import duckdb

from gpequity.tables import has_table
from gpequity.warehouse.cache import per_version

#: The drawing's width, in SVG units; its height follows England's shape.
WIDTH = 500.0
#: Points nearer than this to the simplified line are dropped (SVG units).
TOLERANCE = 0.6
#: Rings whose area is under this (square SVG units) are dropped: specks of islands.
MIN_RING_AREA = 2.0
#: The standard parallel of the projection, in degrees.
STANDARD_PARALLEL = 53.0
#: Margin around the drawing, in SVG units.
MARGIN = 4.0

Point = tuple[float, float]


class BoundaryPath(NamedTuple):
    """One ICB's outline: its codes, official name and SVG path data."""

    ons_code: str
    code: str | None
    name: str
    d: str


class BoundaryMap(NamedTuple):
    """Every ICB's outline and the drawing's size."""

    width: float
    height: float
    paths: tuple[BoundaryPath, ...]


def project(lon: float, lat: float) -> Point:
    """Cylindrical equal-area, standard parallel :data:`STANDARD_PARALLEL` (y grows north)."""
    parallel = math.cos(math.radians(STANDARD_PARALLEL))
    return math.radians(lon) * parallel, math.sin(math.radians(lat)) / parallel


def _perpendicular(point: Point, start: Point, end: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    if length == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / length


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker: the points of ``points`` that keep the line within ``tolerance``
    (first and last always kept; iterative, so a long ring cannot exhaust the stack)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, first
        for i in range(first + 1, last):
            distance = _perpendicular(points[i], points[first], points[last])
            if distance > farthest:
                farthest, index = distance, i
        if farthest > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def ring_area(points: Sequence[Point]) -> float:
    """The area a ring encloses (shoelace formula), unsigned."""
    following = [*points[1:], points[0]]
    return (
        abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, following, strict=True)))
        / 2
    )


def _rings(geometry: Any) -> Iterator[list[list[float]]]:
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    else:
        for polygon in geometry["coordinates"]:
            yield from polygon


def boundary_map(rows: Sequence[tuple[str, str | None, str, Any]]) -> BoundaryMap:
    """The outlines of ``(ons_code, ods_code, name, geometry)`` rows, projected, fitted to
    :data:`WIDTH` and simplified."""
    projected = [
        (ons, code, name, [[project(p[0], p[1]) for p in ring] for ring in _rings(geometry)])
        for ons, code, name, geometry in rows
    ]
    xs = [x for *_, rings in projected for ring in rings for x, _ in ring]
    ys = [y for *_, rings in projected for ring in rings for _, y in ring]
    if not xs:
        return BoundaryMap(WIDTH, WIDTH, ())
    scale = (WIDTH - 2 * MARGIN) / ((max(xs) - min(xs)) or 1.0)
    left, top = min(xs), max(ys)
    height = round((max(ys) - min(ys)) * scale + 2 * MARGIN, 1)
    paths = []
    for ons, code, name, rings in projected:
        parts = []
        for ring in rings:
            drawn = [(MARGIN + (x - left) * scale, MARGIN + (top - y) * scale) for x, y in ring]
            if ring_area(drawn) < MIN_RING_AREA:
                continue
            kept = simplify(drawn, TOLERANCE)
            if len(kept) < 4:
                continue
            parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in kept[:-1]) + "Z")
        paths.append(BoundaryPath(ons, code, name, "".join(parts)))
    return BoundaryMap(WIDTH, height, tuple(paths))


@per_version
def icb_boundary_map(con: duckdb.DuckDBPyConnection) -> BoundaryMap | None:
    """The loaded ICB boundaries as SVG paths (``None`` when none are loaded)."""
    if not has_table(con, "icb_boundaries"):
        return None
    names = (
        "LEFT JOIN icb_official_names n ON n.ons_code = b.ons_code"
        if has_table(con, "icb_official_names")
        else ""
    )
    code = "n.ods_code" if names else "NULL"
    rows = con.execute(
        f"SELECT b.ons_code, {code}, b.name, b.geometry FROM icb_boundaries b {names} "
        "ORDER BY b.ons_code"
    ).fetchall()
    if not rows:
        return None
    return boundary_map([(str(o), c, str(n), json.loads(g)) for o, c, n, g in rows])
