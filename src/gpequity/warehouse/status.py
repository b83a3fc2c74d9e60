"""What is in the warehouse: datasets, periods, row counts, sources, synthetic or real."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from gpequity.sources.registry import DATASETS
from gpequity.warehouse.build import connect


@dataclass(frozen=True)
class SourceRow:
    """One loaded file as recorded in the ``sources`` table."""

    dataset: str
    title: str
    period: str | None
    path: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    loaded_at: str


@dataclass(frozen=True)
class WarehouseStatus:
    """The content of ``gpequity data status`` and of the web app's Data page."""

    db_path: str
    synthetic: bool
    built_at: str | None
    sources: list[SourceRow]
    tables: dict[str, int]
    warnings: list[str]

    @property
    def datasets(self) -> dict[str, list[str]]:
        """Dataset name -> periods loaded, in load order."""
        out: dict[str, list[str]] = {}
        for s in self.sources:
            out.setdefault(s.dataset, [])
            if s.period and s.period not in out[s.dataset]:
                out[s.dataset].append(s.period)
        return out


def read_status(db_path: Path) -> WarehouseStatus:
    """Read the warehouse's own record of what it holds."""
    with connect(db_path) as con:
        return status_of(con, db_path)


def status_of(con: duckdb.DuckDBPyConnection, db_path: Path) -> WarehouseStatus:
    """The record of what it holds of the warehouse open on ``con`` (the file ``db_path``)."""
    titles = {d.name: d.title for d in DATASETS}
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    rows = con.execute(
        "SELECT dataset, period, path, sha256, rows_read, rows_loaded, rows_rejected, "
        "strftime(loaded_at, '%Y-%m-%d %H:%M:%S') FROM sources ORDER BY dataset, period, path"
    ).fetchall()
    tables = {
        name: int(count)
        for name, count in con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() "
            "WHERE schema_name = 'main' ORDER BY table_name"
        ).fetchall()
    }
    warnings = [w for (w,) in con.execute("SELECT message FROM load_warnings").fetchall()]
    return WarehouseStatus(
        db_path=str(db_path),
        synthetic=meta.get("synthetic") == "true",
        built_at=meta.get("built_at"),
        sources=[SourceRow(r[0], titles.get(r[0], r[0]), *r[1:]) for r in rows],
        tables=tables,
        warnings=warnings,
    )
