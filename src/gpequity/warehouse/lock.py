"""One load at a time per warehouse, and what a stopped load left behind.

A load holds an exclusive lock on a file beside the warehouse (``.NAME.lock``) for as long as
it runs. The lock is the operating system's (``flock``): it is released when the process ends,
however it ends (even ``kill -9``), so a lock is never stale. The file itself stays; it holds
the pid of the last load, which the message of a refused second load names.

While it holds the lock, a load removes the build files (``.NAME.building-<pid>`` and their
``.wal``) of loads that were stopped before they could clean up: no other load can be writing
them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gpequity.errors import GpequityError


class LoadLocked(GpequityError):
    """Another load into the same warehouse is running."""

    def __init__(self, lock: Path, pid: int | None) -> None:
        self.lock = lock
        self.pid = pid
        holder = f"pid {pid}" if pid is not None else "another process"
        super().__init__(
            f"another load into this warehouse is running ({holder} holds the lock {lock}); "
            "wait for it to finish, then load again"
        )


def lock_path(db_path: Path) -> Path:
    """The lock file of a warehouse: ``.NAME.lock`` beside it."""
    return db_path.with_name(f".{db_path.name}.lock")


def building_path(db_path: Path, pid: int) -> Path:
    """Where the load of process ``pid`` builds the new warehouse before the swap."""
    return db_path.with_name(f".{db_path.name}.building-{pid}")


@contextlib.contextmanager
def load_lock(db_path: Path) -> Iterator[Path]:
    """Hold the warehouse's load lock, or raise :class:`LoadLocked` at once (never wait)."""
    lock = lock_path(db_path)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoadLocked(lock, _holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield lock
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> int | None:
    """The pid written in the lock file by the load holding it (None if unreadable)."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class StaleFile:
    """A build file left by a load that stopped before it could remove it."""

    path: Path
    pid: int
    size: int


def remove_stale_builds(db_path: Path) -> list[StaleFile]:
    """Remove the build files of other loads; call only while holding :func:`load_lock`."""
    pattern = re.compile(rf"\.{re.escape(db_path.name)}\.building-(\d+)(\.wal)?")
    removed: list[StaleFile] = []
    if not db_path.parent.is_dir():
        return removed
    for path in sorted(db_path.parent.iterdir()):
        found = pattern.fullmatch(path.name)
        if not found or int(found.group(1)) == os.getpid():
            continue
        with contextlib.suppress(FileNotFoundError):
            size = path.stat().st_size
            path.unlink()
            removed.append(StaleFile(path, int(found.group(1)), size))
    return removed
