"""How the allocation service reads the warehouse: queries, and what is read once per file.

The catalogue's definitions, the newest membership period, the registered-population source and
the list of tables are the same for every request against one version of the warehouse file, so
they are read once per version (:func:`remembered`, the process's one cache of results,
:mod:`gpequity.warehouse.cache`). A warehouse is never changed in place
(``gpequity data load`` renames a new file over it), so a rebuilt file is always a new key
(:func:`gpequity.warehouse.version.version_of`: the version a cursor reads, which may be older
than the file now at the path); in-memory databases are read afresh each time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from gpequity.tables import table_names
from gpequity.warehouse.cache import remembered

__all__ = ["Connection", "fetch_rows", "fetch_value", "has_rows", "has_table", "remembered"]

Connection = duckdb.DuckDBPyConnection


def fetch_rows(con: Connection, sql: str, params: Mapping[str, object] | None = None) -> list[Any]:
    """Every row of a query with named parameters."""
    return con.execute(sql, dict(params or {})).fetchall()


def fetch_value(con: Connection, sql: str, params: Mapping[str, object] | None = None) -> Any:
    """The first column of the first row of a query, or ``None`` when it returns no row."""
    rows = fetch_rows(con, sql, params)
    return rows[0][0] if rows else None


def has_table(con: Connection, name: str) -> bool:
    """Whether the warehouse has this table or view (the list is read once per file version)."""
    return name in remembered(con, "tables", table_names)


def has_rows(con: Connection, table: str, where: str = "true", **params: object) -> bool:
    """Whether ``table`` exists and has a row matching ``where``."""
    if not has_table(con, table):
        return False
    return bool(fetch_value(con, f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where})", params))


def sql_text(value: str) -> str:
    """A SQL string literal (for the few values written into SQL rather than bound)."""
    return "'" + value.replace("'", "''") + "'"
