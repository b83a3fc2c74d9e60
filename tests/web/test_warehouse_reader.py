"""The web app's warehouse reader notices a rebuilt warehouse and a removed one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from gpequity.web.warehouse import WarehouseReader


def test_reader_sees_a_warehouse_swapped_in_and_removed(
    tmp_path: Path, make_warehouse: Callable[..., Path]
) -> None:
    db = tmp_path / "gpequity.duckdb"
    reader = WarehouseReader(db)
    assert reader.status() is None

    make_warehouse(db, synthetic=True)
    first = reader.status()
    assert first is not None and first.synthetic
    assert reader.status() is first  # read once per version of the file

    # A load builds beside the old file and renames over it, as build_warehouse does.
    make_warehouse(tmp_path / ".gpequity.duckdb.building", synthetic=False, sources=())
    os.replace(tmp_path / ".gpequity.duckdb.building", db)
    second = reader.status()
    assert second is not None and not second.synthetic and second.sources == []

    db.unlink()
    assert reader.status() is None
