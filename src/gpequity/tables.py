"""Asking DuckDB which tables there are: a warehouse may hold only some datasets."""

from __future__ import annotations

import duckdb


def table_names(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The tables and views on this connection (temporary ones included), in one query."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
    ).fetchall()
    return frozenset(str(r[0]) for r in rows)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the connection has a table or view ``name``."""
    found = con.execute(
        "SELECT count(*) FROM (SELECT table_name AS name FROM duckdb_tables() "
        "UNION ALL SELECT view_name FROM duckdb_views()) WHERE name = ?",
        [name],
    ).fetchone()
    return bool(found and found[0])
