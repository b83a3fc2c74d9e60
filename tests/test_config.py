"""Where the warehouse lives: ``--db``, else ``GPEQUITY_DB``, else the per-user data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpequity import config


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of the test's own, with neither GPEQUITY_DB nor XDG_DATA_HOME set."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("GPEQUITY_DB", raising=False)
    return tmp_path / "home"


def test_the_default_warehouse_is_in_the_per_user_data_folder(home: Path) -> None:
    assert config.db_path() == home / ".local" / "share" / "gpequity" / "gpequity.duckdb"
    assert config.db_path_origin() == "the per-user default; --db or GPEQUITY_DB to change it"


def test_xdg_data_home_moves_the_data_folder(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    assert config.db_path() == home / "xdg" / "gpequity" / "gpequity.duckdb"


@pytest.mark.parametrize("value", ["", "relative/share"])
def test_an_empty_or_relative_xdg_data_home_is_ignored(
    home: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # The XDG specification: a relative path in $XDG_DATA_HOME is invalid and is ignored.
    monkeypatch.setenv("XDG_DATA_HOME", value)
    assert config.data_dir() == home / ".local" / "share" / "gpequity"


def test_gpequity_db_overrides_the_default_and_db_overrides_both(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPEQUITY_DB", str(home / "env.duckdb"))
    assert config.db_path() == home / "env.duckdb"
    assert config.db_path_origin() == "given by GPEQUITY_DB"
    assert config.db_path(Path("given.duckdb")) == Path("given.duckdb")
    assert config.db_path_origin(Path("given.duckdb")) == "given by --db"


def gpequity(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user does, in ``cwd``, with this test's HOME and environment."""
    return subprocess.run(
        [sys.executable, "-m", "gpequity", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "300", "TERM": "dumb"},
    )


def test_help_of_every_db_option_names_the_default(home: Path) -> None:
    for command in (["data", "load"], ["serve"], ["allocate"], ["payments", "summary"]):
        shown = gpequity(*command, "--help").stdout
        flat = " ".join(shown.replace("│", " ").split())
        assert "$GPEQUITY_DB" in flat and "~/.local/share/gpequity" in flat, (command, shown)


def test_a_load_without_db_writes_the_per_user_warehouse_not_the_current_folder(
    home: Path, tmp_path: Path
) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    made = gpequity("data", "demo", "--out", "demo", "--practices", "50", "--load", cwd=work)
    assert made.returncode == 0, made.stderr
    assert (home / ".local" / "share" / "gpequity" / "gpequity.duckdb").is_file()
    assert not (work / "data").exists(), "nothing written under the current folder's data/"
    status = gpequity("data", "status", "--format", "json", cwd=work)
    assert status.returncode == 0, status.stderr
    value = json.loads(status.stdout)
    assert value["db"] == str(home / ".local" / "share" / "gpequity" / "gpequity.duckdb")
    assert value["db_origin"] == "the per-user default; --db or GPEQUITY_DB to change it"
