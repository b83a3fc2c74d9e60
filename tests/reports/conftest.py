"""Warehouses for the datapack tests: a small synthetic one, the same without indicators (or
without deprivation scores), and one of the real files.

Each is built once per test session (per xdist worker) from the demonstration files
(``demo_files`` in tests/conftest.py) or linked from the real data folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gpequity.warehouse.build import build_warehouse

#: The year and ICB most tests make a pack of.
YEAR = "2022/23"
ICB = "QHM"
#: The synthetic folders most packs are made from: those of the real-data pack. (The eFIT files
#: add 28 indicators, and pages, to every pack: the analysis tests cover them.)
DEMO_FOLDERS = ("lookups", "nhs-payments", "deprivation", "fingertips")
#: The real files a real-data pack needs (folders of ``../shared/data``).
REAL_FOLDERS = ("lookups", "nhs-payments", "deprivation", "fingertips")


@pytest.fixture(scope="session")
def demo_db(demo_files: Path) -> Path:
    """A synthetic warehouse of payments, deprivation scores and Fingertips indicators."""
    db = demo_files.parent / "demo.duckdb"
    build_warehouse(db, [demo_files / d for d in DEMO_FOLDERS], synthetic=True)
    return db


@pytest.fixture(scope="session")
def bare_db(demo_files: Path) -> Path:
    """The same payments and deprivation scores, but no practice-level indicators."""
    db = demo_files.parent / "bare.duckdb"
    folders = [demo_files / d for d in ("lookups", "nhs-payments", "deprivation")]
    build_warehouse(db, folders, synthetic=True)
    return db


@pytest.fixture(scope="session")
def payments_only_db(demo_files: Path) -> Path:
    """Payments without any practice IMD score: no section by deprivation can be made."""
    db = demo_files.parent / "payments-only.duckdb"
    build_warehouse(db, [demo_files / d for d in ("lookups", "nhs-payments")], synthetic=True)
    return db


@pytest.fixture(scope="session")
def real_db(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of the real files, loaded from links to them (never copies)."""
    tmp = tmp_path_factory.mktemp("datapack-real")
    source = tmp / "files"
    source.mkdir()
    for name in REAL_FOLDERS:
        (source / name).symlink_to(real_data_dir / name, target_is_directory=True)
    db = tmp / "real.duckdb"
    build_warehouse(db, [source])
    return db
