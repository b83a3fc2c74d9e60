"""Asking DuckDB which tables there are (a warehouse may hold only some datasets), and which
payments years are loaded in them."""

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


def payment_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The financial years in the ``payments`` table, oldest first (none when it is absent)."""
    if not has_table(con, "payments"):
        return []
    rows = con.execute("SELECT DISTINCT year FROM payments ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def latest_payment_year(con: duckdb.DuckDBPyConnection) -> str | None:
    """The one "latest year" rule: the newest financial year in the ``payments`` table, which
    every page, table, datapack and allocation uses unless another is asked for (``None`` when
    no payments file is loaded). The analyses and the allocation service both call it."""
    loaded = payment_years(con)
    return loaded[-1] if loaded else None
