"""Fixtures of the dataset loaders' tests: the real data, writing CSV files, building warehouses."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb
import pytest

from gpequity.warehouse.build import BuildResult, build_warehouse

WriteCsv = Callable[..., Path]
Build = Callable[..., tuple[BuildResult, duckdb.DuckDBPyConnection]]


def write_rows(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    bom: bool = False,
    crlf: bool = False,
) -> Path:
    """Write a CSV file as the publishers do (optionally with a byte-order mark or CRLF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n" if crlf else "\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def write_csv() -> WriteCsv:
    """``write_csv(path, header, rows, bom=False, crlf=False)``: write a CSV file."""
    return write_rows


def data_rows(path: Path) -> int:
    """The number of records after the header, counted the slow, obvious way."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@pytest.fixture
def count_rows() -> Callable[[Path], int]:
    """``count_rows(path)``: the records after the header, counted with Python's csv."""
    return data_rows


@pytest.fixture
def link(tmp_path: Path) -> Callable[[str, Sequence[Path]], Path]:
    """``link(name, files)``: a new folder of symbolic links to (read-only) real files."""

    def make(name: str, files: Sequence[Path]) -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for path in files:
            (folder / path.name).symlink_to(path)
        return folder

    return make


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Build]:
    """``build(*sources, allow_rejects=False)``: build a warehouse, return it open read-only."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def run(
        *sources: Path, allow_rejects: bool = False
    ) -> tuple[BuildResult, duckdb.DuckDBPyConnection]:
        db = tmp_path / f"w{len(opened)}.duckdb"
        result = build_warehouse(db, list(sources), allow_rejects=allow_rejects)
        con = duckdb.connect(str(db), read_only=True)
        opened.append(con)
        return result, con

    yield run
    for con in opened:
        con.close()
