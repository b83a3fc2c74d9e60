"""Fixtures for the web app's in-process tests: small warehouses written row by row.

The warehouses are written directly (the core tables ``meta``, ``sources``, ``load_warnings``)
so that every value the pages show is known here, checksums and times included, and the
expected pages and CSV can be written out exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.warehouse.build import CORE_SCHEMA
from gpequity.web.app import create_app


@dataclass(frozen=True)
class Loaded:
    """One row of the ``sources`` table."""

    dataset: str
    period: str | None
    path: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    loaded_at: str


#: Three files of two datasets: a payments year with a rejected row, a second year, a lookup.
SOURCES = (
    Loaded(
        "payments",
        "2021/22",
        "/srv/raw/nhspaymentsgp-21-22-prac-csv.csv",
        "a" * 12 + "0123456789abcdef" * 3 + "0123",
        6731,
        6730,
        1,
        "2026-11-23 12:00:19",
    ),
    Loaded(
        "payments",
        "2022/23",
        "/srv/raw/nhspaymentsgp-22-23-prac-csv.csv",
        "b" * 64,
        6669,
        6669,
        0,
        "2026-11-23 12:00:19",
    ),
    Loaded(
        "lookup",
        None,
        "https://example.org/lookups/ccg-icb-lookup.csv",
        "c" * 64,
        106,
        106,
        0,
        "2026-11-23 12:00:20",
    ),
)
WARNINGS = ("2 practices have no IMD score in 2022/23",)
BUILT_AT = "2026-11-23T12:00:21.123456"


def write_warehouse(
    path: Path,
    *,
    synthetic: bool,
    sources: Sequence[Loaded] = SOURCES,
    warnings: Sequence[str] = WARNINGS,
) -> Path:
    """Write a warehouse holding only the load's record of itself."""
    with duckdb.connect(str(path)) as con:
        con.execute(CORE_SCHEMA)
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                ["synthetic", "true" if synthetic else "false"],
                ["built_at", BUILT_AT],
                ["gpequity_version", "0.1.0"],
            ],
        )
        for s in sources:
            con.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP))",
                [
                    s.dataset,
                    s.period,
                    s.path,
                    s.sha256,
                    s.rows_read,
                    s.rows_loaded,
                    s.rows_rejected,
                    s.loaded_at,
                ],
            )
        for warning in warnings:
            con.execute("INSERT INTO load_warnings VALUES (NULL, ?)", [warning])
    return path


@pytest.fixture
def make_warehouse() -> Callable[..., Path]:
    """``write_warehouse(path, *, synthetic, sources=SOURCES, warnings=WARNINGS)``."""
    return write_warehouse


@pytest.fixture
def synthetic_db(tmp_path: Path) -> Path:
    return write_warehouse(tmp_path / "synthetic.duckdb", synthetic=True)


@pytest.fixture
def real_db(tmp_path: Path) -> Path:
    return write_warehouse(tmp_path / "real.duckdb", synthetic=False, warnings=())


@pytest.fixture
def client(synthetic_db: Path) -> Iterator[TestClient]:
    """The app over a small synthetic warehouse."""
    with TestClient(create_app(synthetic_db)) as test_client:
        yield test_client


@pytest.fixture
def real_client(real_db: Path) -> Iterator[TestClient]:
    """The app over a small warehouse of (supposedly) real data, without warnings."""
    with TestClient(create_app(real_db)) as test_client:
        yield test_client


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    """The app before any data is loaded: its warehouse file does not exist."""
    with TestClient(create_app(tmp_path / "missing.duckdb")) as test_client:
        yield test_client
