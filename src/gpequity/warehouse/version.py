"""Versions of the warehouse file: what identifies one, and opening exactly that one.

``gpequity data load`` builds a new file beside the old one and renames it over the old one
(:func:`gpequity.warehouse.build.build_warehouse`), which gives the path a new inode. So a
result computed from the warehouse can be kept under the file's :class:`FileVersion` and is
never stale: a rebuilt warehouse is a new version.

DuckDB keeps one database instance per path in a process while any connection to it is open,
and ``duckdb.connect(path)`` returns that instance, however the file has changed since: a
server holding a connection would go on reading the old file. :func:`open_version` attaches the
file to a database of its own instead, so it always reads the file now at the path, and
:func:`use_version` records on each cursor which version it reads (:func:`version_of`), since
the file at the path may since have been replaced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import duckdb

#: The name the warehouse file is attached under by :func:`open_version`.
ATTACHED_AS = "warehouse"
#: The DuckDB variable in which :func:`use_version` records the version a cursor reads.
VERSION_VARIABLE = "gpequity_file_version"


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

    Raises :class:`duckdb.Error` when the file is missing or is not a DuckDB database. Each
    cursor of the connection starts in the in-memory database: :func:`use_version` it.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH ? AS {ATTACHED_AS} (READ_ONLY)", [str(path)])
    except BaseException:
        con.close()
        raise
    return con


def use_version(
    cursor: duckdb.DuckDBPyConnection, version: FileVersion
) -> duckdb.DuckDBPyConnection:
    """Make the attached warehouse the default database of ``cursor`` (of a connection from
    :func:`open_version` of the file at ``version``), record the version, return ``cursor``."""
    cursor.execute(f"USE {ATTACHED_AS}")
    cursor.execute(f"SET VARIABLE {VERSION_VARIABLE} = ?", [json.dumps(list(version))])
    return cursor


def version_of(con: duckdb.DuckDBPyConnection) -> FileVersion | None:
    """The version of the warehouse file ``con`` reads: the one recorded by :func:`use_version`,
    else (a connection opened on a path) the version of the file now at its path; ``None`` for
    a database that is not a file.

    The key for anything kept per version of the file: a cursor that began on a file since
    replaced still reads the old one, and must not store what it reads under the new version.
    """
    row = con.execute(
        f"SELECT getvariable('{VERSION_VARIABLE}'), path FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchone()
    if row is None:
        return None
    recorded, path = row
    if recorded is not None:
        return FileVersion(*json.loads(recorded))
    return file_version(Path(path)) if path else None
