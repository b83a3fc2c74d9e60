"""Fixtures shared by every test: where the real data is, and building warehouses."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from gpequity.config import shared_data_dir
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse


def require_real_data() -> Path:
    """Return ``../shared/data``; skip when absent, but fail when CI demands real data."""
    path = shared_data_dir()
    if path.is_dir():
        return path.resolve()
    reason = f"the real NHS files are not at {path} (set GPEQUITY_SHARED_DATA to point at them)"
    if os.environ.get("GPEQUITY_REQUIRE_REAL_DATA") == "1":
        pytest.fail(f"GPEQUITY_REQUIRE_REAL_DATA=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder of real public NHS files (``../shared/data``)."""
    return require_real_data()


@pytest.fixture(scope="session")
def real_warehouse(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of every real file, built once per test process and only read by the tests
    (the loads' own tests build theirs)."""
    db = tmp_path_factory.mktemp("real-warehouse") / "real.duckdb"
    build_warehouse(db, [real_data_dir])
    return db


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic files in the official layouts (300 practices), written once per session."""
    folder = tmp_path_factory.mktemp("datapack-demo") / "demo"
    generate_demo(folder, seed=23, practices=300)
    return folder


@pytest.fixture(scope="session")
def demo_warehouse(demo_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of every file of :func:`demo_files`, built once per test process and only
    read by the tests."""
    db = tmp_path_factory.mktemp("demo-warehouse") / "demo.duckdb"
    build_warehouse(db, [demo_files])
    return db


# --- a small warehouse of eFIT files: one ICB (QZZ), four practices -------------------------
# Used by the allocate CLI and API tests, whose expected figures are worked out by hand from
# these rows (tests/commands/test_allocate_cli.py says how).

SMALL_EFIT_ICB = "QZZ"
SMALL_EFIT_INDICATORS = [
    "Deprivation score (IMD 2025)",
    "Hypertension: QOF prevalence",
    "Breast screening coverage: aged 53 to 70 years old",
    "Weighted population",
]
#: code, name, IMD, hypertension (blank = missing), breast screening, weighted population.
SMALL_EFIT_PRACTICES = [
    ("P00001", "North Surgery", 10, 10, 80, 1000),
    ("P00002", "South Practice", 30, 20, 60, 2500),
    ("P00003", "+East Medical", 20, "", 70, 1500),  # a name a spreadsheet would run
    ("P00004", "West Clinic", 40, 15, 50, 500),
]
#: Patients by sex and single year of age (other ages blank, meaning 0).
SMALL_EFIT_POPULATION = {
    "P00001": {"f": {30: 600, 70: 400}, "m": {30: 500, 70: 500}},
    "P00002": {"f": {5: 1000, 40: 1000}, "m": {5: 500, 40: 500}},
    "P00003": {"f": {50: 500}, "m": {50: 500}},
    "P00004": {"f": {20: 2000}, "m": {20: 2000}},
}


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_small_efit(efit_dir: Path) -> Path:
    """Write one ICB's eFIT files (QZZ, four practices) in the tool's layouts below
    ``efit_dir`` (``indicators/``, ``population/``); return ``efit_dir``."""
    icb = SMALL_EFIT_ICB
    _write_csv(
        efit_dir / f"indicators/indicator_{icb}_2025-26_v1.csv",
        ["ICB name", "GP code", "GP name", *SMALL_EFIT_INDICATORS],
        [["Zed ICB - 01Z ", *row] for row in SMALL_EFIT_PRACTICES],
    )
    for sex in ("f", "m"):
        _write_csv(
            efit_dir / f"population/{sex}_pop_{icb}_2026-27.csv",
            ["GP code", *(str(a) for a in range(96))],
            [
                [code, *(f"{ages[sex][a]}.0" if a in ages[sex] else "" for a in range(96))]
                for code, ages in SMALL_EFIT_POPULATION.items()
            ],
        )
    return efit_dir


@pytest.fixture
def small_efit_dir(tmp_path: Path) -> Path:
    """The small eFIT files (QZZ) in the test's own folder ``efit/``, to change or delete."""
    return write_small_efit(tmp_path / "efit")


@pytest.fixture(scope="session")
def small_efit_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of one ICB's eFIT files (QZZ, four practices), in the tool's layouts."""
    folder = tmp_path_factory.mktemp("efit-small")
    path = folder / "warehouse.duckdb"
    build_warehouse(path, [write_small_efit(folder / "efit")])
    return path
