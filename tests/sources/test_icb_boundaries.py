"""ONS's "Integrated Care Boards (April 2026) Boundaries EN BGC" GeoJSON: recognised, loaded, each
bad feature rejected with its reason, fetched over real HTTP on 127.0.0.1 (a mirror and the
feature service's query address), then loaded."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gpequity.errors import LoadFailed
from gpequity.sources.demo.boundaries import icb_boundaries_document, write_icb_boundaries
from gpequity.sources.download import fetch_datasets
from gpequity.sources.icb_boundaries import geometry_problem
from gpequity.sources.manifest import MANIFEST
from gpequity.warehouse.build import build_warehouse, detect_files
from gpequity.web.presenters_icb_map import icb_layout

from .conftest import Build

NAME = "boundaries/icb-april-2026-boundaries-en-bgc.geojson"


def layout_icbs() -> list[tuple[str, str, int, int]]:
    return [
        (
            t.ons_code,
            f"NHS {t.short_name.removesuffix(' ICB')} Integrated Care Board",
            t.column,
            t.row,
        )
        for t in icb_layout()
    ]


def write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_file_is_recognised_by_its_content(tmp_path: Path) -> None:
    path = write_icb_boundaries(tmp_path / "any-name.geojson", layout_icbs())
    other = write(tmp_path / "other.json", {"type": "FeatureCollection", "features": []})
    found, ignored = detect_files([path, other])
    assert [(f.path, f.dataset.name, f.period) for f in found] == [(path, "icb_boundaries", "2026")]
    assert ignored == [f"{other}: not recognised as any supported dataset, ignored"]


def test_every_icb_is_loaded(tmp_path: Path, build: Build) -> None:
    write_icb_boundaries(tmp_path / "src" / NAME, layout_icbs())
    result, con = build(tmp_path / "src")
    [report] = result.reports
    assert (report.rows_read, report.rows_loaded) == (36, 36)
    rows = con.execute("SELECT ons_code, name, geometry FROM icb_boundaries").fetchall()
    assert sorted(r[0] for r in rows) == sorted(t.ons_code for t in icb_layout())
    assert all(json.loads(r[2])["type"] == "Polygon" for r in rows)


def bad_document() -> dict[str, Any]:
    """Seven features: two good, five wrong in one way each."""
    document = icb_boundaries_document(layout_icbs()[:7])
    features = document["features"]
    assert isinstance(features, list)
    features[2]["properties"]["ICB26CD"] = " "
    features[3]["properties"]["ICB26CD"] = "E38000001"
    features[4]["properties"]["ICB26CD"] = features[0]["properties"]["ICB26CD"]
    features[5]["properties"]["ICB26NM"] = ""
    # British National Grid metres instead of longitude and latitude.
    features[6]["geometry"]["coordinates"] = [[[400000, 300000]] * 4]
    return document


def test_each_bad_feature_is_rejected_with_its_reason(tmp_path: Path, build: Build) -> None:
    write(tmp_path / "src" / NAME, bad_document())
    with pytest.raises(LoadFailed, match="row 3, column 'ICB26CD': the ONS code is blank"):
        build(tmp_path / "src")

    result, con = build(tmp_path / "src", allow_rejects=True)
    [report] = result.reports
    assert (report.rows_read, report.rows_loaded) == (7, 2)
    reasons = con.execute(
        "SELECT row_number, column_name, reason FROM load_rejections ORDER BY row_number"
    ).fetchall()
    first = bad_document()["features"][0]["properties"]["ICB26CD"]  # type: ignore[index]
    assert reasons == [
        (3, "ICB26CD", "the ONS code is blank"),
        (4, "ICB26CD", "'E38000001' is not an ONS ICB code"),
        (5, "ICB26CD", f"{first} appears again (first as feature 1)"),
        (6, "ICB26NM", "the name is blank"),
        (
            7,
            "geometry",
            "the point (400000, 300000) is not a longitude and latitude in England: the file "
            "must be in WGS84 (download it as GeoJSON, not in British National Grid)",
        ),
    ]


@pytest.mark.parametrize(
    ("geometry", "problem"),
    [
        (None, "the geometry is missing, not a Polygon or MultiPolygon"),
        ({"type": "Point", "coordinates": [0, 52]}, "the geometry is Point, not a Polygon"),
        ({"type": "Polygon", "coordinates": []}, "the geometry has no ring"),
        ({"type": "Polygon", "coordinates": [[[0, 52], [1, 52], [0, 52]]]}, "fewer than four"),
        ({"type": "Polygon", "coordinates": [[[0, 52], ["a", 52], [1, 53], [0, 52]]]}, "numbers"),
        ({"type": "MultiPolygon", "coordinates": [[[[0, 52], [1, 52], [1, 53], [0, 52]]]]}, None),
    ],
)
def test_geometry_problems(geometry: Any, problem: str | None) -> None:
    found = geometry_problem(geometry)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Recognised by its start (a FeatureCollection naming ICB26CD), then cut short.
        ('{"type": "FeatureCollection", "name": "ICB26CD", "features": [', "not valid JSON"),
        (
            '{"type": "FeatureCollection", "name": "ICB26CD", "features": {}}',
            "the FeatureCollection has no list of features",
        ),
    ],
)
def test_a_file_that_cannot_be_read_fails_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "src" / "icbs.geojson"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(LoadFailed) as failed:
        build_warehouse(tmp_path / "w.duckdb", [path.parent])
    assert f"{path}: " in str(failed.value) and message in str(failed.value)
    assert not (tmp_path / "w.duckdb").exists()


def test_two_boundary_files_are_refused(tmp_path: Path) -> None:
    write_icb_boundaries(tmp_path / "src" / "a.geojson", layout_icbs())
    write_icb_boundaries(tmp_path / "src" / "b.geojson", layout_icbs())
    with pytest.raises(LoadFailed, match="another file of ICB boundaries is loaded too"):
        build_warehouse(tmp_path / "w.duckdb", [tmp_path / "src"])


# --- fetched over real HTTP -----------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder laid out like ../shared/data with a generated boundary file, on 127.0.0.1."""
    root = tmp_path / "mirror"
    write_icb_boundaries(root / NAME, layout_icbs())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_fetch_gets_the_boundaries_from_a_mirror_then_they_load(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = served
    dest = tmp_path / "raw"
    result = fetch_datasets(dest, mirror=url, only=["icb_boundaries"], retries=0)
    assert result.ok and result.downloaded == [(dest / NAME).resolve()]
    assert (dest / NAME).read_bytes() == (root / NAME).read_bytes()
    build = build_warehouse(tmp_path / "w.duckdb", [dest])
    assert [(r.dataset, r.rows_loaded) for r in build.reports] == [("icb_boundaries", 36)]


def test_fetch_reads_the_feature_services_query_address(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = served
    [entry] = [e for e in MANIFEST if e.dataset == "icb_boundaries"]
    assert entry.optional and entry.url is not None and "outSR=4326" in entry.url
    # The publisher's address with its query string, served here from the same file.
    local = replace(entry, url=f"{url}/{NAME}?{entry.url.split('?', 1)[1]}")
    dest = tmp_path / "raw"
    result = fetch_datasets(dest, manifest=[local], only=["icb_boundaries"], retries=0)
    assert result.ok, [f.describe() for f in result.failures]
    assert (dest / entry.filename).read_bytes() == (root / NAME).read_bytes()
