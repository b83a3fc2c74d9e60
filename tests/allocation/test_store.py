"""What the allocation service reads once per version of the warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from gpequity.allocation.store import has_table, remembered
from gpequity.warehouse import cache


def _make(path: Path, table: str) -> None:
    tmp = path.with_suffix(".building")
    with duckdb.connect(str(tmp)) as con:
        con.execute(f"CREATE TABLE {table} (x INTEGER)")
    os.replace(tmp, path)  # as `gpequity data load` swaps a rebuilt warehouse in


def test_a_rebuilt_warehouse_is_read_afresh(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _make(db, "first")
    with duckdb.connect(str(db), read_only=True) as con:
        assert has_table(con, "first")
        assert not has_table(con, "second")
    _make(db, "second")
    with duckdb.connect(str(db), read_only=True) as con:
        assert has_table(con, "second")
        assert not has_table(con, "first")


def test_a_value_is_read_once_per_version(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _make(db, "t")
    calls: list[int] = []

    def read(con: duckdb.DuckDBPyConnection) -> int:
        calls.append(1)
        return len(calls)

    with duckdb.connect(str(db), read_only=True) as con:
        assert remembered(con, "test-value", read) == 1
        assert remembered(con, "test-value", read) == 1
    assert len(calls) == 1


def test_in_memory_databases_are_never_remembered() -> None:
    with duckdb.connect(":memory:") as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        assert has_table(con, "t")
        con.execute("CREATE TABLE u (x INTEGER)")
        assert has_table(con, "u")


def test_the_file_version_is_asked_once_per_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    _make(db, "t")
    asked: list[object] = []
    real = cache.version_of

    def counting(con: duckdb.DuckDBPyConnection) -> object:
        asked.append(con)
        return real(con)

    monkeypatch.setattr(cache, "version_of", counting)
    with duckdb.connect(str(db), read_only=True) as con:
        assert has_table(con, "t")
        assert not has_table(con, "u")
        assert has_table(con, "t")
        assert len(asked) == 1
        cursor = con.cursor()
        assert has_table(cursor, "t")
        assert len(asked) == 2  # a new cursor is asked again
