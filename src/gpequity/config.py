"""Where things live: the warehouse file, the raw-data folder, the shared real data.

Every path can be overridden by an environment variable so that the CLI, the web app and the
tests agree without passing paths around.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable naming the warehouse file when ``--db`` does not.
DB_ENV = "GPEQUITY_DB"
#: The warehouse's file name in the per-user data folder.
DB_FILE_NAME = "gpequity.duckdb"
#: The per-user data folder under ``$XDG_DATA_HOME`` (the XDG base directory specification).
APP_DIR_NAME = "gpequity"
#: ``$XDG_DATA_HOME`` when it is unset or not absolute (as the specification says).
XDG_DATA_HOME_FALLBACK = Path(".local") / "share"
#: Where ``gpequity data fetch`` saves the publishers' files, untouched.
DEFAULT_RAW_DIR = Path("data/raw")
#: Where ``make demo`` writes the synthetic files.
DEFAULT_DEMO_DIR = Path("data/demo")
#: The ``--db`` option's help, the one description of the default warehouse for every command.
DB_HELP = (
    f"Warehouse file [default: ${DB_ENV}, else {DB_FILE_NAME} in the per-user data folder, "
    f"$XDG_DATA_HOME/{APP_DIR_NAME} or ~/.local/share/{APP_DIR_NAME}]."
)


def data_dir() -> Path:
    """Return the per-user data folder: ``$XDG_DATA_HOME/gpequity``, else
    ``~/.local/share/gpequity``.

    The default warehouse lives here, not in the current folder: a relative default meant that
    ``gpequity data load`` run from the checkout replaced the warehouse ``make demo`` serves.
    """
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / XDG_DATA_HOME_FALLBACK
    return base / APP_DIR_NAME


def default_db() -> Path:
    """Return the warehouse file used when neither ``--db`` nor ``GPEQUITY_DB`` names one."""
    return data_dir() / DB_FILE_NAME


def db_path(explicit: Path | None = None) -> Path:
    """Return the warehouse path: the explicit one, else ``GPEQUITY_DB``, else the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get(DB_ENV)
    return Path(env) if env else default_db()


def db_path_origin(explicit: Path | None = None) -> str:
    """Say where :func:`db_path` found the warehouse path, for ``gpequity data status``."""
    if explicit is not None:
        return "given by --db"
    if os.environ.get(DB_ENV):
        return f"given by {DB_ENV}"
    return f"the per-user default; --db or {DB_ENV} to change it"


def shared_data_dir() -> Path:
    """Return the folder of real public NHS files (``../shared/data`` beside the project)."""
    env = os.environ.get("GPEQUITY_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"
