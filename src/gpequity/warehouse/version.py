"""Versions of the warehouse file: what identifies one, and opening exactly that one.

``gpequity data load`` builds a new file beside the old one and renames it over the old one
(:func:`gpequity.warehouse.build.build_warehouse`), which gives the path a new inode. So a
result computed from the warehouse can be kept under the file's :class:`FileVersion` and is
never stale: a rebuilt warehouse is a new version.

DuckDB keeps one database instance per path in a process while any connection to it is open,
and ``duckdb.connect(path)`` returns that instance, however the file has changed since: a
server holding a connection would go on reading the old file. :func:`open_version` attaches the
file to a database of its own instead, so it always reads the file now at the path.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import duckdb

#: The name the warehouse file is attached under by :func:`open_version`.
ATTACHED_AS = "warehouse"


class FileVersion(NamedTuple):
    """One version of a file: its path, inode, modification time and size."""

    path: str
    inode: int
    mtime_ns: int
    size: int


def file_version(path: Path) -> FileVersion | None:
    """The version of the file at ``path`` now, or ``None`` when there is no file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return FileVersion(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


def open_version(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file at ``path`` now, in a database instance of its own.

    Raises :class:`duckdb.Error` when the file is missing or is not a DuckDB database. A
    cursor of the connection starts in the in-memory database: :func:`use_warehouse` it.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH ? AS {ATTACHED_AS} (READ_ONLY)", [str(path)])
        use_warehouse(con)
    except BaseException:
        con.close()
        raise
    return con


def use_warehouse(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make the attached warehouse the default database of ``con`` (each cursor has its own
    default), and return ``con``."""
    con.execute(f"USE {ATTACHED_AS}")
    return con
