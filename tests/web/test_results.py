"""Results several routes share: a practice's profile, its comparators kept per version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from gpequity.analysis import profiles
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.web.results import find_practice
from gpequity.web.warehouse import SharedWarehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("results")
    generate_demo(tmp / "demo", seed=41, practices=60)
    path = tmp / "demo.duckdb"
    build_warehouse(path, [tmp / "demo" / d for d in ("lookups", "nhs-payments", "deprivation")])
    return path


@pytest.fixture
def request_(db: Path) -> Iterator[Request]:
    app = FastAPI()
    app.state.warehouse = SharedWarehouse(db)
    yield Request({"type": "http", "app": app, "method": "GET", "path": "/", "headers": []})
    app.state.warehouse.close()


def test_find_practice_is_the_profile_with_comparators_read_once(
    request_: Request, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[duckdb.DuckDBPyConnection] = []
    original = profiles.profile_comparators

    def counted(con: duckdb.DuckDBPyConnection) -> profiles.Comparators:
        calls.append(con)
        return original(con)

    monkeypatch.setattr("gpequity.web.results.profile_comparators", counted)
    shared: SharedWarehouse = request_.app.state.warehouse
    with shared.reading() as reading:
        assert reading is not None
        row = reading.con.execute("SELECT min(practice_code) FROM payments").fetchone()
        assert row is not None
        code = str(row[0])
        found = find_practice(request_, reading, code)
        expected = profiles.practice_profile(reading.con, code, original(reading.con))
        assert found == expected
        assert find_practice(request_, reading, "Z99999") is None
    assert len(calls) == 1  # once for the version of the file, whatever the practice
