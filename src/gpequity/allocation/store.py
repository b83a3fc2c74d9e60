"""How the allocation service reads the warehouse: queries, and what is read once per file.

The catalogue's definitions, the newest membership period, the registered-population source and
the list of tables are the same for every request against one version of the warehouse file, so
they are read once per version (:func:`remembered`). A warehouse is never changed in place
(``gpequity data load`` renames a new file over it), so a rebuilt file is always a new key
(:func:`gpequity.warehouse.version.version_of`: the version a cursor reads, which may be older
than the file now at the path); in-memory databases are read afresh each time.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import duckdb

from gpequity.tables import table_names
from gpequity.warehouse.version import FileVersion, version_of

Connection = duckdb.DuckDBPyConnection
T = TypeVar("T")

#: How many (file version, name) entries are kept before the memory is cleared.
REMEMBERED_KEPT = 32

_REMEMBERED: dict[tuple[FileVersion, str], object] = {}
#: The file version each open connection (or cursor) reads, asked once: a cursor keeps reading
#: the file it began on, so its version does not change while it lives.
_VERSIONS: weakref.WeakKeyDictionary[Connection, FileVersion | None] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def fetch_rows(con: Connection, sql: str, params: Mapping[str, object] | None = None) -> list[Any]:
    """Every row of a query with named parameters."""
    return con.execute(sql, dict(params or {})).fetchall()


def fetch_value(con: Connection, sql: str, params: Mapping[str, object] | None = None) -> Any:
    """The first column of the first row of a query, or ``None`` when it returns no row."""
    rows = fetch_rows(con, sql, params)
    return rows[0][0] if rows else None


def _version(con: Connection) -> FileVersion | None:
    """:func:`version_of` ``con``, asked of DuckDB once per connection (``has_table`` runs on
    every step of a request, and was one query each)."""
    with _LOCK:
        if con in _VERSIONS:
            return _VERSIONS[con]
    version = version_of(con)
    with _LOCK:
        _VERSIONS[con] = version
    return version


def remembered(con: Connection, name: str, read: Callable[[Connection], T]) -> T:
    """``read(con)``, computed once per version of the warehouse file and ``name``."""
    version = _version(con)
    if version is None:
        return read(con)
    key = (version, name)
    with _LOCK:
        if key in _REMEMBERED:
            return _REMEMBERED[key]  # type: ignore[return-value]
    value = read(con)
    with _LOCK:
        if len(_REMEMBERED) >= REMEMBERED_KEPT:
            _REMEMBERED.clear()
        _REMEMBERED[key] = value
    return value


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
