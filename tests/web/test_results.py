"""Results several routes share: a practice's profile and its comparators, kept per version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def test_find_practice_is_the_profile_computed_once_per_version(request_: Request) -> None:
    shared: SharedWarehouse = request_.app.state.warehouse
    with shared.reading() as reading:
        assert reading is not None
        row = reading.con.execute("SELECT min(practice_code) FROM payments").fetchone()
        assert row is not None
        code = str(row[0])
        found = find_practice(request_, reading, code)
        comparators = profiles.profile_comparators(reading.con)
        assert comparators is profiles.profile_comparators(reading.con)  # kept per version
        assert found == profiles.practice_profile(reading.con, code, comparators)
        assert find_practice(request_, reading, code) is found  # kept, not computed again
        assert find_practice(request_, reading, "Z99999") is None
