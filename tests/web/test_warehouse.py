"""The web app's shared warehouse: one connection per file version, a cursor per request; it
notices a rebuilt warehouse and a removed one, and closes an old connection once unused."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.warehouse.version import file_version
from gpequity.web.app import create_app
from gpequity.web.warehouse import (
    UNREADABLE,
    SharedWarehouse,
    WarehouseUnreadable,
)


def rebuild(
    tmp_path: Path, db: Path, make_warehouse: Callable[..., Path], **kwargs: object
) -> None:
    """A load builds beside the old file and renames over it, as build_warehouse does."""
    building = tmp_path / ".gpequity.duckdb.building"
    make_warehouse(building, **kwargs)
    os.replace(building, db)


def test_reader_sees_a_warehouse_swapped_in_and_removed(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    db = tmp_path / "gpequity.duckdb"
    reader = SharedWarehouse(db)
    assert reader.status() is None

    make_warehouse(db, synthetic=True)
    first = reader.status()
    assert first is not None and first.synthetic
    assert reader.status() is first  # read once per version of the file

    rebuild(tmp_path, db, make_warehouse, synthetic=False, sources=())
    second = reader.status()
    assert second is not None and not second.synthetic and second.sources == []

    db.unlink()
    assert reader.status() is None


def test_a_reading_started_before_a_rebuild_keeps_its_file_until_it_ends(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    db = tmp_path / "gpequity.duckdb"
    make_warehouse(db, synthetic=True)
    shared = SharedWarehouse(db)
    meta = "SELECT value FROM meta WHERE key = 'synthetic'"

    with shared.reading() as old:
        assert old is not None
        rebuild(tmp_path, db, make_warehouse, synthetic=False)
        with shared.reading() as new:
            assert new is not None
            assert new.version == file_version(db) != old.version
            assert new.con.execute(meta).fetchall() == [("false",)]
            # The request that started on the old file reads it to the end.
            assert old.con.execute(meta).fetchall() == [("true",)]
    # Nobody reads the old file any more: its connection is closed, the cursor with it.
    with pytest.raises(duckdb.ConnectionException):
        old.con.execute(meta)
    with shared.reading() as again:
        assert again is not None and again.con.execute(meta).fetchall() == [("false",)]
    shared.close()


def test_readings_of_one_version_share_its_connection(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    db = make_warehouse(tmp_path / "gpequity.duckdb", synthetic=True)
    shared = SharedWarehouse(db)
    with shared.reading() as first, shared.reading() as second:
        assert first is not None and second is not None
        assert first.con is not second.con  # a cursor each
        assert first.version == second.version
        # Both read the one attached database (not the in-memory one a cursor starts in).
        path = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        assert first.con.execute(path).fetchall() == second.con.execute(path).fetchall()
        assert first.con.execute(path).fetchall() == [(str(db),)]
    # The connection of the current version stays open for the next request.
    with shared.reading() as third:
        assert third is not None and third.con.execute("SELECT 1").fetchall() == [(1,)]
    shared.close()


def test_the_warehouse_is_read_only(tmp_path: Path, make_warehouse: Callable[..., Path]) -> None:
    db = make_warehouse(tmp_path / "gpequity.duckdb", synthetic=True)
    with SharedWarehouse(db).reading() as reading:
        assert reading is not None
        with pytest.raises(duckdb.Error, match="read-only"):
            reading.con.execute("DELETE FROM meta")


def test_an_unreadable_file_names_itself_and_why(tmp_path: Path) -> None:
    db = tmp_path / "broken.duckdb"
    db.write_bytes(b"this is not a DuckDB file" * 100)
    shared = SharedWarehouse(db)
    with pytest.raises(WarehouseUnreadable, match=r"broken\.duckdb cannot be read"):
        shared.status()
    with pytest.raises(WarehouseUnreadable), shared.reading():
        pass


def test_the_api_says_an_unreadable_warehouse_is_unavailable_and_nothing_more(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "secret-folder" / "broken.duckdb"
    db.parent.mkdir()
    db.write_bytes(b"this is not a DuckDB file" * 100)
    with TestClient(create_app(db)) as client:
        answers = [
            client.get("/api/v1/icbs"),
            client.get("/api/v1/indicators", params={"icb": "QHM"}),
            client.get("/api/v1/practices/P00001"),
            client.get("/api/v1/icbs/QHM"),
        ]
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json() == {"detail": UNREADABLE}
    # The operator finds the file and DuckDB's reason in the log.
    assert "secret-folder" in caplog.text and "not a valid DuckDB database" in caplog.text
