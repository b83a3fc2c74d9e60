"""Synthetic ICB boundaries in the layout of ONS's "Integrated Care Boards (April 2026)
Boundaries EN BGC" GeoJSON: one ``Feature`` per ICB (``ICB26CD``, ``ICB26NM``, and the portal's
``FID``, ``Shape__Area`` and ``Shape__Length``), each an invented outline in longitude and
latitude (WGS84) around England.

The outlines are not the ICBs' real shapes: each is a wobbly hexagon of many points (so that a
map has something to simplify) placed on a grid of columns and rows that the caller gives, the
same grid as the map of tiles. ``gpequity data load`` reads the file as it reads ONS's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

#: The grid's origin (the top left tile's centre) and spacing, in degrees.
WEST, NORTH = -5.6, 55.3
COLUMN_DEGREES, ROW_DEGREES = 1.1, 0.58
#: Points per outline.
POINTS = 96


def _outline(column: int, row: int) -> list[list[float]]:
    lon0 = WEST + (column + 0.5 * (row % 2)) * COLUMN_DEGREES
    lat0 = NORTH - row * ROW_DEGREES
    ring = []
    for i in range(POINTS):
        angle = 2 * math.pi * i / POINTS
        # A hexagon's radius at this angle, with a small wobble: a coastline-like edge.
        corner = math.cos(math.pi / 6) / math.cos((angle % (math.pi / 3)) - math.pi / 6)
        radius = corner * (1 + 0.03 * math.sin(7 * angle))
        ring.append(
            [
                round(lon0 + 0.64 * radius * math.sin(angle), 6),
                round(lat0 + 0.39 * radius * math.cos(angle), 6),
            ]
        )
    ring.append(ring[0])
    return ring


def icb_boundaries_document(icbs: Sequence[tuple[str, str, int, int]]) -> dict[str, object]:
    """The GeoJSON of ``(ons_code, official name, column, row)`` ICBs."""
    features = []
    for fid, (code, name, column, row) in enumerate(icbs, start=1):
        features.append(
            {
                "type": "Feature",
                "id": fid,
                "geometry": {"type": "Polygon", "coordinates": [_outline(column, row)]},
                "properties": {
                    "FID": fid,
                    "ICB26CD": code,
                    "ICB26NM": name,
                    "Shape__Area": 0,
                    "Shape__Length": 0,
                },
            }
        )
    return {"type": "FeatureCollection", "name": "ICB_APR_2026_EN_BGC", "features": features}


def write_icb_boundaries(path: Path, icbs: Sequence[tuple[str, str, int, int]]) -> Path:
    """Write :func:`icb_boundaries_document` to ``path`` (folders made as needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(icb_boundaries_document(icbs)), encoding="utf-8")
    return path
