"""Integrated Care Boards (April 2026) Boundaries EN BGC (ONS Open Geography Portal), GeoJSON.

The outline of each of the 36 ICBs of April 2026, generalised (20 m) and clipped to the
coastline, as ONS publishes it: a GeoJSON ``FeatureCollection`` with one ``Feature`` per ICB,
``properties`` ``ICB26CD`` (ONS code, E54...) and ``ICB26NM`` (official name), and a
``Polygon`` or ``MultiPolygon`` geometry in longitude and latitude (WGS84, as the portal's
GeoJSON and its feature service with ``outSR=4326`` give it). Optional: the map of ICBs draws
them as a choropleth when they are loaded, and tiles otherwise.

Each feature is a row: loaded, or rejected with its reason (no code, a code that is no ONS ICB
code, a repeated code, no name, a geometry that is not polygons of longitude and latitude in
and around England, e.g. British National Grid metres). The geometry is kept as compact GeoJSON;
:mod:`gpequity.analysis.icb_boundaries` projects and simplifies it once per build.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from gpequity.errors import InputFileError
from gpequity.sources.base import LoadReport

NAME = "icb_boundaries"
TITLE = "Integrated Care Boards (April 2026) Boundaries EN BGC (ONS)"
#: The file suffixes a boundary file may have.
SUFFIXES = (".geojson", ".json")
#: The ONS property names of the April 2026 geography.
CODE_PROPERTY = "ICB26CD"
NAME_PROPERTY = "ICB26NM"
ONS_ICB_CODE = re.compile(r"^E54[0-9]{6}$")
#: Longitude and latitude around England (the Isles of Scilly and Berwick included): a point
#: outside is not WGS84, or not England.
LONGITUDE = (-8.0, 2.5)
LATITUDE = (49.5, 56.0)
#: How far into a file its dataset is recognised (the first feature's properties).
PEEK_BYTES = 64 * 1024

SCHEMA = """
CREATE TABLE icb_boundaries (
    ons_code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    -- The feature's geometry, a GeoJSON Polygon or MultiPolygon in longitude and latitude.
    geometry VARCHAR NOT NULL
);
"""


def _rings(geometry: Any) -> Iterator[Any]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Polygon" and isinstance(coordinates, list):
        yield from coordinates
    elif kind == "MultiPolygon" and isinstance(coordinates, list):
        for polygon in coordinates:
            if not isinstance(polygon, list):
                raise ValueError("a MultiPolygon's polygon is not a list of rings")
            yield from polygon
    else:
        raise ValueError(f"the geometry is {kind or 'missing'}, not a Polygon or MultiPolygon")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def geometry_problem(geometry: Any) -> str | None:
    """Why a feature's geometry cannot be drawn, or ``None``: polygons whose rings have at
    least four points, each a longitude and latitude around England."""
    try:
        rings = list(_rings(geometry))
    except ValueError as error:
        return str(error)
    if not rings:
        return "the geometry has no ring"
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            return "a ring has fewer than four points"
        for point in ring:
            if not isinstance(point, list) or len(point) < 2 or not all(map(_is_number, point[:2])):
                return f"a point is not a pair of numbers: {str(point)[:40]}"
            lon, lat = point[0], point[1]
            if not (LONGITUDE[0] <= lon <= LONGITUDE[1] and LATITUDE[0] <= lat <= LATITUDE[1]):
                return (
                    f"the point ({lon}, {lat}) is not a longitude and latitude in England: the "
                    "file must be in WGS84 (download it as GeoJSON, not in British National Grid)"
                )
    return None


def _features(path: Path) -> list[Any]:
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InputFileError(path, f"the file is not UTF-8 text ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise InputFileError(
            path, f"the file is not valid JSON: {error.msg} (line {error.lineno})"
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InputFileError(path, "the file is not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise InputFileError(path, "the FeatureCollection has no list of features")
    return features


class IcbBoundariesDataset:
    """Loader of ONS's GeoJSON boundaries of the ICBs of April 2026."""

    name, title, schema = NAME, TITLE, SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        if path.suffix.lower() not in SUFFIXES:
            return None
        with path.open("rb") as fh:
            head = fh.read(PEEK_BYTES)
        return "2026" if b'"FeatureCollection"' in head and CODE_PROPERTY.encode() in head else None

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        features = _features(path)
        already = con.execute("SELECT count(*) FROM icb_boundaries").fetchall()[0][0]
        if already:
            raise InputFileError(path, "another file of ICB boundaries is loaded too: keep one")
        seen: dict[str, int] = {}
        rows = []
        report.rows_read = len(features)
        for number, feature in enumerate(features, start=1):
            properties = feature.get("properties") if isinstance(feature, dict) else None
            if not isinstance(properties, dict):
                report.reject(number, None, "the feature has no properties")
                continue
            code = str(properties.get(CODE_PROPERTY) or "").strip().upper()
            name = re.sub(r"\s+", " ", str(properties.get(NAME_PROPERTY) or "").strip())
            if not code:
                report.reject(number, CODE_PROPERTY, "the ONS code is blank")
            elif not ONS_ICB_CODE.match(code):
                report.reject(number, CODE_PROPERTY, f"{code!r} is not an ONS ICB code")
            elif code in seen:
                report.reject(
                    number, CODE_PROPERTY, f"{code} appears again (first as feature {seen[code]})"
                )
            elif not name:
                report.reject(number, NAME_PROPERTY, "the name is blank")
            elif (problem := geometry_problem(feature.get("geometry"))) is not None:
                report.reject(number, "geometry", problem)
            else:
                seen[code] = number
                geometry = json.dumps(feature["geometry"], separators=(",", ":"))
                rows.append((code, name, geometry))
        if rows:
            con.executemany("INSERT INTO icb_boundaries VALUES (?, ?, ?)", rows)
        report.rows_loaded = len(rows)

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


DATASET = IcbBoundariesDataset()
