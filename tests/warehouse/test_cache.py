"""The process's one cache of results: kept per version of the warehouse file, computed once
however many readers ask at the same time, and never returned for a rebuilt file."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from gpequity.warehouse.cache import VersionedCache, cache_folder, per_version
from gpequity.warehouse.version import FileVersion, file_version


def write(path: Path, value: int) -> None:
    """A one-table DuckDB file, built beside ``path`` and renamed over it (as a load does)."""
    building = path.with_name(f".{path.name}.building")
    with duckdb.connect(str(building)) as con:
        con.execute(f"CREATE TABLE t AS SELECT {value} AS v")
    os.replace(building, path)


def a_version(tmp_path: Path) -> FileVersion:
    path = tmp_path / "file"
    path.write_text("one")
    version = file_version(path)
    assert version is not None
    return version


CALLS: list[int] = []


@per_version
def read_value(con: duckdb.DuckDBPyConnection, plus: int, *, times: int = 1) -> int:
    CALLS.append(plus)
    row = con.execute("SELECT v FROM t").fetchone()
    assert row is not None
    return (int(row[0]) + plus) * times


def test_an_analysis_is_computed_once_per_version_and_arguments(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    write(db, 10)
    CALLS.clear()
    with duckdb.connect(str(db), read_only=True) as con:
        assert read_value(con, 1) == 11
        assert read_value(con, 1) == 11
        # Given by name or left to its default, an argument is the same result.
        assert read_value(con, plus=1, times=1) == 11
        assert read_value(con, 2, times=2) == 24
        assert read_value(con, 2, times=2) == 24
    assert CALLS == [1, 2]
    write(db, 20)  # rebuilt: a new version, so computed afresh
    with duckdb.connect(str(db), read_only=True) as con:
        assert read_value(con, 1) == 21
    assert CALLS == [1, 2, 1]


def test_an_in_memory_database_is_read_afresh() -> None:
    CALLS.clear()
    with duckdb.connect(":memory:") as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS v")
        assert read_value(con, 0) == 1
        con.execute("UPDATE t SET v = 5")
        assert read_value(con, 0) == 5
    assert CALLS == [0, 0]


def test_readers_asking_at_once_wait_for_one_computation(tmp_path: Path) -> None:
    version = a_version(tmp_path)
    cache = VersionedCache(4)
    started = threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "result"

    answers: list[str] = []
    first = threading.Thread(target=lambda: answers.append(cache.get(version, ("k",), slow)))
    first.start()
    started.wait()
    others = [
        threading.Thread(target=lambda: answers.append(cache.get(version, ("k",), slow)))
        for _ in range(5)
    ]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join()
    assert answers == ["result"] * 6
    assert calls == [1]


def test_a_failed_computation_is_not_kept(tmp_path: Path) -> None:
    version = a_version(tmp_path)
    cache = VersionedCache(4)

    def fail() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        cache.get(version, ("k",), fail)
    assert cache.get(version, ("k",), lambda: "second") == "second"


def test_the_cache_keeps_a_result_per_version_and_drops_the_least_used(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("one")
    old = file_version(path)
    assert old is not None
    cache = VersionedCache(2)
    calls: list[str] = []

    def compute(value: str) -> Callable[[], str]:
        def run() -> str:
            calls.append(value)
            return value

        return run

    assert cache.get(old, ("a",), compute("a1")) == "a1"
    assert cache.get(old, ("a",), compute("a2")) == "a1"
    path.unlink()
    path.write_text("a new file")
    new = file_version(path)
    assert new is not None and new != old
    assert cache.get(new, ("a",), compute("a3")) == "a3"
    assert cache.get(new, ("b",), compute("b1")) == "b1"
    # Two kept: the old version's result went first.
    assert cache.get(old, ("a",), compute("a4")) == "a4"
    assert calls == ["a1", "a3", "b1", "a4"]


def test_files_are_kept_beside_the_warehouse_or_else_in_the_temporary_folder(
    tmp_path: Path,
) -> None:
    """Beside the file when its folder can be written; otherwise (a container mounts the
    warehouse's folder read-only) under the system's temporary folder, one folder per warehouse
    path and version, the same for every worker."""
    version = a_version(tmp_path)
    assert cache_folder(version).parent == tmp_path / "file.cache"
    assert (tmp_path / "file.cache").is_dir()
    # Nothing can be made beside the second warehouse: a file has the cache folder's name.
    other = tmp_path / "other"
    other.mkdir()
    (other / "file").write_text("two")
    (other / "file.cache").write_text("not a folder")
    second = file_version(other / "file")
    assert second is not None
    folder = cache_folder(second)
    assert folder.parent.parent == Path(tempfile.gettempdir()) / "gpequity-cache"
    assert folder.parent.name.startswith("file-") and folder == cache_folder(second)
    assert folder.parent != cache_folder(version).parent
    folder.mkdir(parents=True)
    (folder / "pack.pdf").write_bytes(b"%PDF")  # what a background process then writes there
    assert (folder / "pack.pdf").read_bytes() == b"%PDF"
    shutil.rmtree(folder.parent)
