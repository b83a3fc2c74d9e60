"""Making datapacks: one, or every ICB's at once across the machine's cores.

Each pack is written to a temporary file in the output folder and renamed into place, so a
folder never holds a half-written pack. The web's PDFs are made by :class:`BackgroundPacks`:
once per (ICB, year, version of the warehouse), in a process of their own, into the version's
cache folder beside the warehouse, while the page asking for one says it is being made. A
batch runs the packs in a
:class:`~concurrent.futures.ProcessPoolExecutor` (WeasyPrint and the chart renderer are
single-threaded Python work, so processes, not threads, use the cores); every worker opens
the warehouse read-only once and keeps England's figures for the packs it makes. A pack that
fails is reported with its reason and the others carry on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gpequity.errors import GpequityError, WarehouseUnreadable, os_error_message
from gpequity.reports.datapack import build_datapack, present_datapack
from gpequity.reports.render import Format, file_name, render_html, render_pdf
from gpequity.warehouse.build import connect, last_opened
from gpequity.warehouse.cache import cache_folder, drop_other_versions
from gpequity.warehouse.version import FileVersion, file_version, open_version, use_version


@dataclass(frozen=True)
class PackOutcome:
    """What became of one ICB's pack: the file written, or why there is none."""

    icb_code: str
    path: Path | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def make_datapack(
    con: duckdb.DuckDBPyConnection,
    icb_code: str,
    year: str,
    fmt: Format,
) -> bytes:
    """One ICB's pack for ``year``: the HTML file's bytes (UTF-8) or the PDF's."""
    view = present_datapack(build_datapack(con, icb_code, year))
    html = render_html(view)
    return html.encode("utf-8") if fmt is Format.html else render_pdf(html)


def write_datapack(
    con: duckdb.DuckDBPyConnection,
    icb_code: str,
    year: str,
    fmt: Format,
    out: Path,
) -> Path:
    """Write one ICB's pack into the folder ``out`` (made if needed) and return its path."""
    content = make_datapack(con, icb_code, year, fmt)
    out.mkdir(parents=True, exist_ok=True)
    path = out / file_name(icb_code.upper(), year, fmt)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(content)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------------------------------------
# A batch: one warehouse connection per worker process


class _Worker:
    """The state of one worker: its read-only connection (the figures the packs share, England's
    and every ICB's by deprivation, are kept per build of the warehouse in the process)."""

    con: duckdb.DuckDBPyConnection | None = None


def _start_worker(db_path: str) -> None:
    _Worker.con = connect(Path(db_path))


def _make_one(icb_code: str, year: str, fmt: Format, out: str) -> PackOutcome:
    assert _Worker.con is not None
    start = time.perf_counter()
    try:
        path = write_datapack(_Worker.con, icb_code, year, fmt, Path(out))
    except GpequityError as exc:
        return PackOutcome(icb_code, None, str(exc), time.perf_counter() - start)
    except OSError as exc:
        # The pack's folder or file could not be written (a folder the system refuses, a
        # full disk): said in words, not as "FileNotFoundError: [Errno 2] ...".
        error = f"cannot be written: {os_error_message(exc)}"
        return PackOutcome(icb_code, None, error, time.perf_counter() - start)
    except duckdb.Error:
        # A block of the file could not be read: the file named, not the engine's offsets.
        error = str(WarehouseUnreadable(last_opened()))
        return PackOutcome(icb_code, None, error, time.perf_counter() - start)
    except Exception as exc:
        # One pack's unexpected failure must not stop the batch: it is reported by ICB, with
        # its type, and the command fails at the end.
        error = f"{type(exc).__name__}: {exc}"
        return PackOutcome(icb_code, None, error, time.perf_counter() - start)
    return PackOutcome(icb_code, path, None, time.perf_counter() - start)


def default_jobs() -> int:
    """How many packs to make at once: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def write_datapacks(
    db_path: Path,
    icb_codes: Sequence[str],
    year: str,
    fmt: Format,
    out: Path,
    *,
    jobs: int | None = None,
    on_done: Callable[[PackOutcome], None] | None = None,
) -> list[PackOutcome]:
    """Write the packs of ``icb_codes`` for ``year`` into ``out``, ``jobs`` at a time.

    ``jobs=1`` makes them one after the other in this process; otherwise in worker processes
    (started fresh, ``spawn``: a forked copy of a process holding a DuckDB connection is not
    safe). ``on_done`` is called with each outcome as it comes. The outcomes are returned in
    the order of ``icb_codes``.
    """
    jobs = default_jobs() if jobs is None else jobs
    outcomes: dict[str, PackOutcome] = {}

    def done(outcome: PackOutcome) -> None:
        outcomes[outcome.icb_code] = outcome
        if on_done is not None:
            on_done(outcome)

    if jobs <= 1 or len(icb_codes) <= 1:
        _start_worker(str(db_path))
        try:
            for code in icb_codes:
                done(_make_one(code, year, fmt, str(out)))
        finally:
            assert _Worker.con is not None
            _Worker.con.close()
            _Worker.con = None
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(icb_codes)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(str(db_path),),
        ) as pool:
            futures: dict[Future[PackOutcome], str] = {
                pool.submit(_make_one, code, year, fmt, str(out)): code for code in icb_codes
            }
            for future in as_completed(futures):
                code = futures[future]
                try:
                    done(future.result())
                except Exception as exc:
                    # The worker itself died (e.g. killed for memory): the pack is reported.
                    done(PackOutcome(code, None, f"{type(exc).__name__}: {exc}", 0.0))
    return [outcomes[code] for code in icb_codes]


# ---------------------------------------------------------------------------------------------
# The web's PDFs: made once per version of the warehouse, in the background, kept on disk

#: A marker of a pack being made older than this was left by a worker that stopped: made again.
PENDING_STALE_SECONDS = 600.0


@dataclass(frozen=True)
class PackState:
    """Where a PDF pack is (or will be), and whether it is ready or why it could not be made."""

    path: Path
    ready: bool
    error: str | None = None


def _make_for_version(db_path: str, version: FileVersion, icb_code: str, year: str) -> None:
    """Write the PDF pack of ``version`` of the warehouse into its cache folder (in the
    background process). Raises :class:`GpequityError` when the file was rebuilt meanwhile."""
    folder = cache_folder(version)
    con = open_version(Path(db_path))
    try:
        if file_version(Path(db_path)) != version:
            raise GpequityError("the warehouse was rebuilt while its datapack was being made")
        cursor = use_version(con.cursor(), version)
        write_datapack(cursor, icb_code, year, Format.pdf, folder)
    except GpequityError as exc:
        raise GpequityError(str(exc)) from None  # its message only: errors cross processes
    except Exception as exc:
        raise GpequityError(f"{type(exc).__name__}: {exc}") from None
    finally:
        con.close()
        _pending(folder / file_name(icb_code, year, Format.pdf)).unlink(missing_ok=True)


def _pending(path: Path) -> Path:
    return path.with_name(f".{path.name}.pending")


def _claim(path: Path) -> bool:
    """Whether this process is the one to make ``path`` (no other worker is making it)."""
    marker = _pending(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            try:
                age = time.time() - marker.stat().st_mtime
            except FileNotFoundError:
                continue  # just finished or given up: try again
            if age < PENDING_STALE_SECONDS:
                return False
            marker.unlink(missing_ok=True)
    return False


def _ready() -> None:
    """Nothing: asked of the printing process to start it (:meth:`BackgroundPacks.start`)."""


#: How much lower than the web workers' the printing process's CPU priority is (``nice``): a
#: pack printed in the background takes a core for seconds, and the readers come first.
PRINTING_NICENESS = 10


#: Seconds between two looks of the printing process at whether its web worker still lives.
PARENT_CHECK_SECONDS = 1.0


def _printing_process(parent: int) -> None:
    """The printing process's initializer: lower its priority (best effort), and end it when
    the web worker that started it is gone. A worker stopped by a signal (``kill``, a stopping
    server, a container's stop) never tells its pool, and the pool's processes would wait for
    work for ever: each stop of ``gpequity serve`` left one idle 60 MB process per worker."""
    with contextlib.suppress(OSError):
        os.nice(PRINTING_NICENESS)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)  # orphaned: nothing will ask for its packs again

    threading.Thread(target=watch, name="gpequity-parent-watch", daemon=True).start()


class BackgroundPacks:
    """The web app's PDF packs: each made once per (ICB, year, version of the warehouse) in a
    process of its own (WeasyPrint would hold a web worker for tens of seconds), written
    atomically into :func:`~gpequity.warehouse.cache.cache_folder`, where every worker and
    every later start finds it. Workers agree through a marker file which of them makes it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[Path, Future[None]] = {}
        self._pool: ProcessPoolExecutor | None = None

    def request(self, db_path: Path, version: FileVersion, icb_code: str, year: str) -> PackState:
        """The pack's state now; asking for one not made yet starts making it."""
        path = cache_folder(version) / file_name(icb_code, year, Format.pdf)
        with self._lock:
            job = self._jobs.get(path)
            if job is not None and job.done():
                del self._jobs[path]
                error = job.exception()
                if error is not None:  # reported once; the next request tries again
                    return PackState(path, False, str(error))
            if path.is_file():
                return PackState(path, True)
            if job is None and _claim(path):
                if file_version(db_path) == version:
                    drop_other_versions(version)
                self._jobs[path] = self._executor().submit(
                    _make_for_version, str(db_path), version, icb_code, year
                )
        return PackState(path, False)

    def start(self) -> None:
        """Start the process that prints the packs now (a served app does, as it starts), so
        that the first request for a PDF does not wait for a Python process to start."""
        with self._lock:
            self._executor().submit(_ready)

    def close(self) -> None:
        """Stop making packs (the app is stopping); a pack being made is abandoned."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            for path in self._jobs:
                _pending(path).unlink(missing_ok=True)
            self._jobs.clear()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_printing_process,
                initargs=(os.getpid(),),
            )
        return self._pool
