"""Versions of the warehouse file: a rebuilt file is a new version, and opening a version reads
the file now at the path, whatever connection to the old one is still open."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from gpequity.warehouse.version import (
    ATTACHED_AS,
    file_version,
    open_version,
    use_version,
    version_of,
)


def write(path: Path, value: int) -> None:
    """A one-table DuckDB file, built beside ``path`` and renamed over it (as a load does)."""
    building = path.with_name(f".{path.name}.building")
    con = duckdb.connect(str(building))
    con.execute(f"CREATE TABLE t AS SELECT {value} AS v")
    con.close()
    os.replace(building, path)


def test_a_missing_file_has_no_version(tmp_path: Path) -> None:
    assert file_version(tmp_path / "none.duckdb") is None


def test_a_rebuilt_file_is_a_new_version(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    write(db, 1)
    first = file_version(db)
    assert first is not None
    assert first.path == str(db)
    assert file_version(db) == first
    write(db, 2)
    assert file_version(db) not in (None, first)


def test_open_version_reads_the_new_file_while_the_old_one_is_open(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    write(db, 1)
    # DuckDB hands out its open instance for a path: this connection keeps the old file's.
    held = duckdb.connect(str(db), read_only=True)
    first = file_version(db)
    assert first is not None
    old = use_version(open_version(db).cursor(), first)
    write(db, 2)
    second = file_version(db)
    assert second is not None
    new = use_version(open_version(db).cursor(), second)
    cached = duckdb.connect(str(db), read_only=True)
    try:
        assert cached.execute("SELECT v FROM t").fetchall() == [(1,)]  # the old file still
        assert new.execute("SELECT v FROM t").fetchall() == [(2,)]
        assert old.execute("SELECT v FROM t").fetchall() == [(1,)]
        assert new.execute("SELECT current_database()").fetchall() == [(ATTACHED_AS,)]
        with pytest.raises(duckdb.Error, match="read-only"):
            new.execute("CREATE TABLE u (a INTEGER)")
        # Each cursor knows the version it reads, though the path now holds the second.
        assert version_of(old) == first
        assert version_of(new) == second
    finally:
        for con in (held, old, new, cached):
            con.close()


def test_a_connection_opened_on_a_path_is_of_the_file_there(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    write(db, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert version_of(con) == file_version(db)
    assert version_of(duckdb.connect()) is None  # not a file


def test_open_version_refuses_what_is_not_a_warehouse(tmp_path: Path) -> None:
    with pytest.raises(duckdb.Error, match="does not exist"):
        open_version(tmp_path / "none.duckdb")
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(duckdb.Error, match="not a valid DuckDB database"):
        open_version(junk)
