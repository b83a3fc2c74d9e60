"""Results computed once per build of the warehouse: the process's one cache of them.

A warehouse file is never changed in place (``gpequity data load`` renames a new file over it,
:mod:`gpequity.warehouse.build`), so every figure read from it stays true until the file is
replaced, and a replaced file is a new :class:`~gpequity.warehouse.version.FileVersion`. The
payments analyses, the profiles, the datapack figures and the allocation's pools are therefore
kept here under the version of the file they were read from (:func:`version_of`): a rebuilt
warehouse is a new key, so its figures are computed afresh on the next request and the old
ones are never returned again (they are dropped, least used first, as new ones come in).

* :func:`per_version` decorates an analysis function whose first argument is the connection:
  its result is kept per (file version, function, arguments);
* :func:`remembered` keeps what ``read(con)`` returns under a name;
* :class:`VersionedCache` is the store itself (the web app's status and pages use it too);
* :func:`cache_folder` is where files made from a version (rendered PDFs) are kept on disk.

Only one thread computes a given result: the others asking for it meanwhile wait for it (so
twenty readers of a page just after a rebuild compute it once). In-memory databases (tests,
scratch work) have no version and are read afresh every time.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import ParamSpec, TypeVar, cast

import duckdb

from gpequity.warehouse.version import FileVersion, version_of

T = TypeVar("T")
P = ParamSpec("P")

#: Results kept in the process's cache (the least used dropped first): every analysis of every
#: year, total and split, the 42 ICBs' profiles and datapacks, and the allocation pools asked.
RESULTS_KEPT = 4096


class VersionedCache:
    """Results computed from the warehouse, each kept under the file version it was read from.

    A result of an older version is never returned (its key names that version) and is dropped
    once :data:`size` newer ones are kept.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Hashable, ...], object] = OrderedDict()
        self._computing: dict[tuple[Hashable, ...], threading.Lock] = {}

    def get(self, version: FileVersion, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """``compute()``, or the result kept for ``key`` from this ``version`` of the file."""
        full_key = (version, *key)
        while True:
            with self._lock:
                if full_key in self._kept:
                    self._kept.move_to_end(full_key)
                    return cast(T, self._kept[full_key])
                computing = self._computing.get(full_key)
                if computing is None:
                    computing = self._computing[full_key] = threading.Lock()
                    computing.acquire()
                    break
            # Another thread is computing it: wait, then take its result (or, if it failed,
            # compute it here: a failure is an error of the request, not kept).
            with computing:
                pass
        try:
            value = compute()
            with self._lock:
                self._kept[full_key] = value
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._computing[full_key]
            computing.release()

    def clear(self) -> None:
        """Forget every result (for tests and benchmarks that time a cold start)."""
        with self._lock:
            self._kept.clear()


#: The process's results, for every version of every warehouse file it reads.
RESULTS = VersionedCache(RESULTS_KEPT)


#: The file version each open connection (or cursor) reads, asked once: a cursor keeps reading
#: the file it began on, so its version does not change while it lives (and every kept result
#: asks for it: ``has_table`` alone runs on every step of a request).
_VERSIONS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, FileVersion | None] = (
    weakref.WeakKeyDictionary()
)
_VERSIONS_LOCK = threading.Lock()


def connection_version(con: duckdb.DuckDBPyConnection) -> FileVersion | None:
    """:func:`version_of` ``con``, asked of DuckDB once per connection or cursor."""
    with _VERSIONS_LOCK:
        if con in _VERSIONS:
            return _VERSIONS[con]
    version = version_of(con)
    with _VERSIONS_LOCK:
        _VERSIONS[con] = version
    return version


def remembered(
    con: duckdb.DuckDBPyConnection,
    key: Hashable,
    read: Callable[[duckdb.DuckDBPyConnection], T],
) -> T:
    """``read(con)``, computed once per version of the warehouse file ``con`` reads and ``key``
    (read afresh from a database that is not a file)."""
    version = connection_version(con)
    if version is None:
        return read(con)
    return RESULTS.get(version, (key,), lambda: read(con))


def per_version(
    function: Callable[P, T],
) -> Callable[P, T]:
    """Decorate an analysis function ``f(con, *args, **kwargs)`` so that its result is computed
    once per version of the warehouse file and arguments (computed each time when an argument
    cannot be hashed).

    The result is shared by every caller: results are frozen dataclasses and tuples, never
    changed after they are made.
    """
    name = f"{function.__module__}.{function.__qualname__}"
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        con = cast(duckdb.DuckDBPyConnection, args[0])
        # Bound to the parameters' names with their defaults, so that f(con, "2022/23") and
        # f(con, "2022/23", total=Total.core) are one result.
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = (name, tuple(bound.arguments.items())[1:])
        try:
            hash(key)
        except TypeError:  # an argument that cannot be a key (a dict of figures): computed
            return function(*args, **kwargs)
        return remembered(con, key, lambda _: function(*args, **kwargs))

    return wrapper


def cache_folder(version: FileVersion) -> Path:
    """Where files made from this version of the warehouse are kept on disk (rendered PDF
    datapacks): beside the warehouse, ``<file>.cache/<inode>-<mtime>-<size>/``, so every worker
    and every later start finds them, and a rebuilt warehouse has a folder of its own.

    When nothing can be written beside the warehouse (a container mounts its folder read-only,
    docs/deployment.md), the same folders are made under the system's temporary folder instead,
    in a folder named after the warehouse's path."""
    path = Path(version.path)
    name = f"{version.inode}-{version.mtime_ns}-{version.size}"
    beside = path.with_name(f"{path.name}.cache")
    try:
        beside.mkdir(exist_ok=True)
    except OSError:
        pass
    else:
        if os.access(beside, os.W_OK):
            return beside / name
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "gpequity-cache" / f"{path.name}-{digest}" / name


def drop_other_versions(version: FileVersion) -> None:
    """Remove the cache folders of the other versions of the file (no reader asks for them once
    the file is replaced); best effort, since another worker may be removing them too."""
    folder = cache_folder(version)
    if not folder.parent.is_dir():
        return
    for other in folder.parent.iterdir():
        if other != folder and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
