"""Fixtures shared by every test: where the real data is, and building warehouses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gpequity.config import shared_data_dir


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
