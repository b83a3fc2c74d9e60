"""The web app's view of the warehouse: where it is, and what it holds.

Every page needs the warehouse's status (the synthetic-data banner is in the layout), so it is
read once and kept until the file changes. ``gpequity data load`` replaces the warehouse by an
atomic rename, which gives the path a new inode, so a changed file is always noticed.
"""

from __future__ import annotations

import threading
from pathlib import Path

from starlette.requests import Request

from gpequity.errors import WarehouseMissing
from gpequity.warehouse.status import WarehouseStatus, read_status

#: What identifies one version of the warehouse file: inode, modification time, size.
FileVersion = tuple[int, int, int]


class WarehouseReader:
    """Reads the warehouse's status, cached per version of the file."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._lock = threading.Lock()
        self._cached: tuple[FileVersion, WarehouseStatus] | None = None

    def status(self) -> WarehouseStatus | None:
        """The warehouse's status, or ``None`` when no warehouse has been built yet."""
        try:
            stat = self.db_path.stat()
        except FileNotFoundError:
            return None
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._cached is not None and self._cached[0] == version:
                return self._cached[1]
            try:
                status = read_status(self.db_path)
            except WarehouseMissing:
                # Removed between the stat and the read.
                return None
            self._cached = (version, status)
            return status


def warehouse_reader(request: Request) -> WarehouseReader:
    """The app's warehouse reader (set by ``create_app``)."""
    reader: WarehouseReader = request.app.state.warehouse
    return reader


def warehouse_status(request: Request) -> WarehouseStatus | None:
    """The warehouse's status for this request, or ``None`` when there is no warehouse."""
    return warehouse_reader(request).status()


def warehouse_path(request: Request) -> Path:
    """The warehouse file this app serves (it may not exist yet)."""
    return warehouse_reader(request).db_path
