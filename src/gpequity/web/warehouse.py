"""The web app's one way to the warehouse: a shared connection, a cursor per request.

The app holds one read-only connection to the version of the warehouse file it last saw
(:class:`SharedWarehouse`, ``app.state.warehouse``); each request that reads the warehouse gets
its own cursor of it through a FastAPI dependency (:func:`warehouse_reading` for pages,
:func:`reading_or_unavailable` for the JSON API), so the file is not opened again on every
request. ``gpequity data load`` renames a new file over the old one (a new inode, so a new
:class:`~gpequity.warehouse.version.FileVersion`): the next request opens the new file, and the
old connection is closed as soon as the last request reading it has finished.

Everything computed from the warehouse and kept between requests (its status, the library's
live figures, the home page's headlines, datapacks) is kept under the version it was read from
(:class:`~gpequity.warehouse.cache.VersionedCache`: the process's one cache of results, which
the analyses' own results share), so nothing shown is older than the file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

import duckdb
from fastapi import Depends
from starlette.requests import Request

from gpequity.errors import GpequityError
from gpequity.warehouse.cache import RESULTS, VersionedCache
from gpequity.warehouse.status import WarehouseStatus, status_of
from gpequity.warehouse.version import FileVersion, file_version, open_version, use_version

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Where the dependency leaves the request's reading, so its page is framed from the same file.
READING_STATE = "warehouse_reading"


class WarehouseUnreadable(GpequityError):
    """A warehouse file that DuckDB cannot open (for the log: it names the file and why)."""

    def __init__(self, path: Path, error: Exception) -> None:
        super().__init__(f"The warehouse {path} cannot be read: {error}")


class WarehouseUnavailable(Exception):
    """No warehouse, or one that cannot be read, for a JSON request: ``app.py`` answers 503
    with ``detail`` (which never names the file or DuckDB's error)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Reading:
    """One request's view of the warehouse: the file version it reads and its own cursor."""

    version: FileVersion
    con: duckdb.DuckDBPyConnection


class _Opened:
    """The connection to one version of the file, and how many requests are reading it."""

    def __init__(self, version: FileVersion, con: duckdb.DuckDBPyConnection) -> None:
        self.version = version
        self.con = con
        self.readers = 0
        self.retired = False


class SharedWarehouse:
    """The warehouse file this app serves (it may not exist yet), shared by every request."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.results = RESULTS
        self._statuses = VersionedCache(1)
        self._lock = threading.Lock()
        self._opened: _Opened | None = None

    def version(self) -> FileVersion | None:
        """The version of the file now at the path; ``None`` when there is none."""
        return file_version(self.db_path)

    @contextmanager
    def reading(self) -> Iterator[Reading | None]:
        """A cursor on the current version of the file, or ``None`` when there is no file.

        Raises :class:`WarehouseUnreadable` when the file is not a warehouse DuckDB can open.
        """
        opened = self._acquire()
        if opened is None:
            yield None
            return
        try:
            cursor = use_version(opened.con.cursor(), opened.version)
            try:
                yield Reading(opened.version, cursor)
            finally:
                cursor.close()
        finally:
            self._release(opened)

    def status(self) -> WarehouseStatus | None:
        """What the warehouse holds (read once per version), or ``None`` without one."""
        version = self.version()
        if version is None:
            return None
        with self.reading() as reading:
            return None if reading is None else self.status_of(reading)

    def status_of(self, reading: Reading) -> WarehouseStatus:
        """What the version of the warehouse ``reading`` reads holds (read once per version)."""
        return self._statuses.get(
            reading.version, ("status",), lambda: status_of(reading.con, self.db_path)
        )

    def close(self) -> None:
        """Let go of the file (the app is stopping); requests still reading it finish first."""
        with self._lock:
            self._retire()

    def _acquire(self) -> _Opened | None:
        with self._lock:
            version = self.version()
            if version is None:
                self._retire()
                return None
            if self._opened is None or self._opened.version != version:
                self._retire()
                try:
                    con = open_version(self.db_path)
                except (duckdb.Error, OSError) as error:
                    if self.version() is None:  # removed since it was looked at
                        return None
                    raise WarehouseUnreadable(self.db_path, error) from error
                # The version looked at before opening: if the file was replaced in between,
                # the next request sees a newer version and opens that one.
                self._opened = _Opened(version, con)
            self._opened.readers += 1
            return self._opened

    def _release(self, opened: _Opened) -> None:
        with self._lock:
            opened.readers -= 1
            if opened.retired and opened.readers == 0:
                opened.con.close()

    def _retire(self) -> None:
        """Stop handing out the current connection; close it once nobody reads it (lock held)."""
        opened, self._opened = self._opened, None
        if opened is None:
            return
        opened.retired = True
        if opened.readers == 0:
            opened.con.close()


def shared_warehouse(request: Request) -> SharedWarehouse:
    """The app's warehouse (set by ``create_app``)."""
    warehouse: SharedWarehouse = request.app.state.warehouse
    return warehouse


def remember(
    request: Request, reading: Reading, key: tuple[Hashable, ...], compute: Callable[[], T]
) -> T:
    """``compute()`` (from ``reading``), kept in the app's results while the file is this
    version: for what is the same for every reader until the warehouse is rebuilt."""
    return shared_warehouse(request).results.get(reading.version, key, compute)


def warehouse_reading(request: Request) -> Iterator[Reading | None]:
    """Dependency of a page: the request's cursor on the warehouse, ``None`` without one.

    A warehouse that cannot be read raises :class:`WarehouseUnreadable` (the 500 page).
    """
    with shared_warehouse(request).reading() as reading:
        setattr(request.state, READING_STATE, reading)
        try:
            yield reading
        finally:
            setattr(request.state, READING_STATE, None)


#: A page's parameter: the request's cursor on the warehouse, ``None`` without one.
PageReading = Annotated[Reading | None, Depends(warehouse_reading)]

#: The API's answer when the warehouse cannot be read (the details go to the log only).
UNREADABLE = "The warehouse cannot be read; the error has been logged."


def reading_or_unavailable(missing: str) -> Callable[[Request], Iterator[Reading]]:
    """Dependency of a JSON route: the request's cursor on the warehouse; without one, or with
    one that cannot be read, :class:`WarehouseUnavailable` (503) saying ``missing`` or
    :data:`UNREADABLE`."""

    def dependency(request: Request) -> Iterator[Reading]:
        try:
            with shared_warehouse(request).reading() as reading:
                if reading is None:
                    raise WarehouseUnavailable(missing)
                yield reading
        except WarehouseUnreadable as error:
            logger.exception("%s: the warehouse cannot be read", request.url.path)
            raise WarehouseUnavailable(UNREADABLE) from error

    return dependency


def warehouse_status(request: Request) -> WarehouseStatus | None:
    """The warehouse's status for this request (from the file its reading reads, if it has
    one), or ``None`` when there is no warehouse."""
    warehouse = shared_warehouse(request)
    reading: Reading | None = getattr(request.state, READING_STATE, None)
    if reading is not None:
        return warehouse.status_of(reading)
    return warehouse.status()


#: Held while a worker computes an allocation (:func:`computing`).
_COMPUTING = threading.Lock()


@contextmanager
def computing() -> Iterator[None]:
    """One allocation at a time in this worker process.

    An allocation is pure Python (about 25 ms for the largest ICB), so two of them in one
    process only take turns at the interpreter's lock, each evicting the other's memory from
    the cache: under 20 clients the allocation API answered about 8% more requests a second
    with its allocations one after another (issue 12, target c). Pages, which mostly wait for
    DuckDB, are not held back; the workers (one per core) still allocate side by side.
    """
    with _COMPUTING:
        yield
