"""Where things live: the warehouse file, the raw-data folder, the shared real data.

Every path can be overridden by an environment variable so that the CLI, the web app and the
tests agree without passing paths around.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The warehouse file used when neither ``--db`` nor ``GPEQUITY_DB`` says otherwise.
DEFAULT_DB = Path("data/gpequity.duckdb")
#: Where ``gpequity data fetch`` saves the publishers' files, untouched.
DEFAULT_RAW_DIR = Path("data/raw")
#: Where ``make demo`` writes the synthetic files.
DEFAULT_DEMO_DIR = Path("data/demo")


def db_path(explicit: Path | None = None) -> Path:
    """Return the warehouse path: the explicit one, else ``GPEQUITY_DB``, else the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get("GPEQUITY_DB")
    return Path(env) if env else DEFAULT_DB


def shared_data_dir() -> Path:
    """Return the folder of real public NHS files (``../shared/data`` beside the project)."""
    env = os.environ.get("GPEQUITY_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"
