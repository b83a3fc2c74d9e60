"""Build the warehouse: load every file into a new DuckDB file, validate, then swap it in.

Build, then swap: the new warehouse is written beside the old one and renamed over it only
once every file has loaded and every check has passed, so a failed or interrupted load leaves
the previous warehouse intact and usable. One load runs at a time per warehouse (a lock file
beside it, :mod:`gpequity.warehouse.lock`); a dataset that would lose more than a tenth of its
rows against the current warehouse is refused unless the shrink is allowed; a failure of the
operating system (disk full, permission denied, read-only file system) is one clear line.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from gpequity import __version__
from gpequity.errors import (
    GpequityError,
    InputFileError,
    LoadFailed,
    WarehouseMissing,
    WarehouseUnreadable,
    untouched,
)
from gpequity.sources import icb_boundaries
from gpequity.sources.base import Dataset, LoadReport, read_header, sha256_file
from gpequity.sources.registry import DATASETS
from gpequity.warehouse import organisations
from gpequity.warehouse.lock import StaleFile, building_path, load_lock, remove_stale_builds

CORE_SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE sources (
    dataset VARCHAR NOT NULL,
    period VARCHAR,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE load_rejections (path VARCHAR, row_number BIGINT, column_name VARCHAR, reason VARCHAR);
CREATE TABLE load_warnings (path VARCHAR, message VARCHAR);
"""

#: File endings a load looks at; anything else in the folder is listed as ignored.
LOADABLE_SUFFIXES = (".csv", *icb_boundaries.SUFFIXES)

#: A file of this name in a source folder marks its data as synthetic (``gpequity data demo``).
SYNTHETIC_MARKER = "SYNTHETIC"

#: A dataset may lose at most this share of its rows against the current warehouse.
SHRINK_LIMIT = 0.10

Progress = Callable[[str], None]


class LoadSystemError(GpequityError):
    """The operating system refused the load (disk full, permission denied, ...): one line."""

    def __init__(self, what: str, *, previous: bool) -> None:
        self.previous = previous
        super().__init__(f"{what}; {untouched(previous)}")


@dataclass
class DetectedFile:
    """A file recognised as one dataset's, for one period."""

    path: Path
    dataset: Dataset
    period: str


@dataclass
class BuildResult:
    """What a successful build did."""

    db_path: Path
    reports: list[LoadReport]
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Whether a warehouse was there before (and has been replaced).
    previous: bool = False
    #: Build files of stopped loads that this load removed.
    stale: list[StaleFile] = field(default_factory=list)
    #: Datasets that lost more than :data:`SHRINK_LIMIT` of their rows (allowed).
    shrunk: list[str] = field(default_factory=list)


def detect_files(paths: Iterable[Path]) -> tuple[list[DetectedFile], list[str]]:
    """Recognise each file's dataset from its name and header.

    Returns the recognised files in load order and a note for each file that was not.
    """
    found: list[DetectedFile] = []
    ignored: list[str] = []
    for path in sorted(paths):
        if path.suffix.lower() not in LOADABLE_SUFFIXES:
            ignored.append(f"{path}: not a CSV file, ignored")
            continue
        # GeoJSON (the ICB boundaries) has no header: its dataset reads the file's start.
        header = [] if path.suffix.lower() in icb_boundaries.SUFFIXES else read_header(path)
        for dataset in DATASETS:
            period = dataset.detect(path, header)
            if period is not None:
                found.append(DetectedFile(path, dataset, period))
                break
        else:
            ignored.append(f"{path}: not recognised as any supported dataset, ignored")
    order = {d.name: i for i, d in enumerate(DATASETS)}
    found.sort(key=lambda f: (order[f.dataset.name], f.period, str(f.path)))
    return found, ignored


def files_in(source: Path) -> list[Path]:
    """Every file below a folder (or the file itself), hidden ones excepted."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise GpequityError(f"{source}: no such file or folder")
    # os.walk, not Path.rglob: a folder may be a symbolic link to where the files really are.
    found: list[Path] = []
    for folder, dirs, names in os.walk(source, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder) / n for n in sorted(names) if not n.startswith("."))
    return found


def build_warehouse(
    db_path: Path,
    sources: Sequence[Path],
    *,
    synthetic: bool = False,
    allow_rejects: bool = False,
    allow_shrink: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Build a new warehouse from the files under ``sources`` and swap it in atomically.

    Any fatal file error, any rejected row unless ``allow_rejects``, or a dataset losing more
    than :data:`SHRINK_LIMIT` of its rows unless ``allow_shrink``, raises :class:`LoadFailed`
    and leaves the existing warehouse untouched; so does an error of the operating system
    (:class:`LoadSystemError`), and another load running into the same warehouse
    (:class:`~gpequity.warehouse.lock.LoadLocked`, raised at once).
    """
    previous = db_path.exists()
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        with load_lock(db_path):
            stale = remove_stale_builds(db_path)
            result = _build(
                db_path,
                sources,
                synthetic=synthetic,
                allow_rejects=allow_rejects,
                allow_shrink=allow_shrink,
                progress=progress,
                previous=previous,
            )
    except OSError as exc:
        raise LoadSystemError(describe_os_error(exc), previous=previous) from None
    except duckdb.Error as exc:
        # What the data could cause is an InputFileError by now: what reaches here is the
        # machine's (a write refused, as "Failed to commit: ... No space left on device").
        raise LoadSystemError(
            f"the database engine stopped the load: {_first_line(str(exc))}", previous=previous
        ) from None
    result.stale = stale
    return result


def describe_os_error(exc: OSError) -> str:
    """An error of the operating system as one line: what failed, on which file, and why."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno is not None and exc.errno in errno.errorcode:
        reason = f"{reason} ({errno.errorcode[exc.errno]})"
    where = f"{exc.filename}: " if exc.filename else ""
    return f"the load stopped: {where}{reason}"


def _first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0] if lines else "unknown error"


def _build(
    db_path: Path,
    sources: Sequence[Path],
    *,
    synthetic: bool,
    allow_rejects: bool,
    allow_shrink: bool,
    progress: Progress | None,
    previous: bool,
) -> BuildResult:
    paths = [p for source in sources for p in files_in(source) if p.name != SYNTHETIC_MARKER]
    synthetic = synthetic or any((s / SYNTHETIC_MARKER).is_file() for s in sources)
    try:
        detected, ignored = detect_files(paths)
    except InputFileError as exc:
        raise LoadFailed([str(exc)], previous=previous) from None
    if not detected:
        raise LoadFailed(
            [f"no supported files found in {', '.join(map(str, sources))}"], previous=previous
        )

    tmp_path = building_path(db_path, os.getpid())
    _remove_build(tmp_path)
    con = duckdb.connect(str(tmp_path))
    reports: list[LoadReport] = []
    problems: list[str] = []
    try:
        con.execute(CORE_SCHEMA)
        for dataset in DATASETS:
            con.execute(dataset.schema)
        con.execute(organisations.SCHEMA)
        for dataset, items in _by_dataset(detected):
            batch: list[tuple[Path, LoadReport]] = []
            for item in items:
                if progress:
                    progress(f"{dataset.name} {item.period} {item.path.name}")
                batch.append(
                    (
                        item.path,
                        LoadReport(
                            dataset=dataset.name,
                            period=item.period or None,
                            path=str(item.path),
                            sha256=sha256_file(item.path),
                        ),
                    )
                )
            failed = _load(con, dataset, batch)
            problems.extend(failed.values())
            for path, report in batch:
                if path in failed:
                    continue
                reports.append(report)
                if report.rejections and not allow_rejects:
                    problems.extend(r.describe(report.path) for r in report.rejections)
        shrinks = shrinking_datasets(db_path, reports) if previous else []
        if shrinks and not allow_shrink:
            problems.extend(
                f"{s}; if that is right, load again with --allow-shrink" for s in shrinks
            )
        if problems:
            raise LoadFailed(problems, previous=previous)
        if progress:
            progress("deriving scores, quintiles and memberships")
        warnings: list[str] = []
        for dataset in DATASETS:
            warnings.extend(dataset.derive(con))
        # Across datasets: the ICBs of each geography, their successors and their practices.
        warnings.extend(organisations.derive_organisations(con))
        warnings.extend(f"allowed by --allow-shrink: {s}" for s in shrinks)
        _record(con, reports, synthetic=synthetic, warnings=warnings)
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp_path, db_path)
        _remove(db_path.with_name(db_path.name + ".wal"))
    except BaseException:
        with contextlib.suppress(Exception):
            con.close()
        _remove_build(tmp_path)
        raise
    _remove_build(tmp_path)
    return BuildResult(
        db_path=db_path,
        reports=reports,
        ignored=ignored,
        warnings=warnings,
        previous=previous,
        shrunk=shrinks,
    )


def shrinking_datasets(db_path: Path, reports: Sequence[LoadReport]) -> list[str]:
    """The datasets that would lose more than :data:`SHRINK_LIMIT` of the current rows.

    Rows loaded per dataset, against the ``sources`` table of the warehouse at ``db_path``;
    a dataset absent from the new load has 0 rows. Each as "imd: 11,516 rows loaded against
    23,080 in the current warehouse (50% fewer)". A current warehouse that cannot be read
    compares as empty.
    """
    try:
        with duckdb.connect(str(db_path), read_only=True) as old:
            before = dict(
                old.execute(
                    "SELECT dataset, sum(rows_loaded)::BIGINT FROM sources GROUP BY dataset"
                ).fetchall()
            )
    except duckdb.Error:
        return []
    after: dict[str, int] = {}
    for report in reports:
        after[report.dataset] = after.get(report.dataset, 0) + report.rows_loaded
    found = []
    for dataset, old_rows in sorted(before.items()):
        new_rows = after.get(dataset, 0)
        if old_rows and new_rows < old_rows * (1 - SHRINK_LIMIT):
            fewer = round(100 * (old_rows - new_rows) / old_rows)
            found.append(
                f"{dataset}: {new_rows:,} rows loaded against {old_rows:,} in the current "
                f"warehouse ({fewer}% fewer; a file may be cut short or missing)"
            )
    return found


def _by_dataset(detected: list[DetectedFile]) -> list[tuple[Dataset, list[DetectedFile]]]:
    """The recognised files grouped by dataset, in load order."""
    groups: list[tuple[Dataset, list[DetectedFile]]] = []
    for item in detected:
        if groups and groups[-1][0] is item.dataset:
            groups[-1][1].append(item)
        else:
            groups.append((item.dataset, [item]))
    return groups


def _load(
    con: duckdb.DuckDBPyConnection, dataset: Dataset, batch: list[tuple[Path, LoadReport]]
) -> dict[Path, str]:
    """Load a dataset's files: together when it can (``load_batch``), else one by one.

    Returns the files that could not be loaded at all, with the reason.
    """
    load_batch = getattr(dataset, "load_batch", None)
    if load_batch is not None:
        try:
            load_batch(con, batch)
        except InputFileError as exc:
            return {Path(exc.path): str(exc)}
        return {}
    failed = {}
    for path, report in batch:
        try:
            dataset.load(con, path, report)
        except InputFileError as exc:
            failed[path] = str(exc)
    return failed


def _record(
    con: duckdb.DuckDBPyConnection,
    reports: list[LoadReport],
    *,
    synthetic: bool,
    warnings: list[str],
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    for r in reports:
        if r.rows_read != r.rows_loaded + len({x.row for x in r.rejections if x.row is not None}):
            # Every row read is loaded or rejected with a reason: a loader that loses rows is a
            # bug, and must never produce a warehouse.
            raise GpequityError(
                f"{r.path}: {r.rows_read} rows read but {r.rows_loaded} loaded and "
                f"{r.rows_rejected} rejected with reasons; refusing to build"
            )
    # Column-wise, one insert per table: DuckDB's executemany runs a statement per row.
    _insert_columns(
        con,
        "sources",
        [
            [r.dataset for r in reports],
            [r.period for r in reports],
            [r.path for r in reports],
            [r.sha256 for r in reports],
            [r.rows_read for r in reports],
            [r.rows_loaded for r in reports],
            [r.rows_rejected for r in reports],
            [now for _ in reports],
        ],
    )
    rejections = [(r.path, x) for r in reports for x in r.rejections]
    _insert_columns(
        con,
        "load_rejections",
        [
            [p for p, _ in rejections],
            [x.row for _, x in rejections],
            [x.column for _, x in rejections],
            [x.reason for _, x in rejections],
        ],
    )
    notes = [(r.path, w) for r in reports for w in r.warnings] + [(None, w) for w in warnings]
    _insert_columns(con, "load_warnings", [[p for p, _ in notes], [w for _, w in notes]])
    _insert_columns(
        con,
        "meta",
        [
            ["synthetic", "built_at", "gpequity_version"],
            ["true" if synthetic else "false", now.isoformat(), __version__],
        ],
    )


def _insert_columns(con: duckdb.DuckDBPyConnection, table: str, columns: list[list[Any]]) -> None:
    """Insert rows given column by column, in one statement."""
    if not columns[0]:
        return
    unnests = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
    con.execute(f"INSERT INTO {table} SELECT {unnests}", columns)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _remove_build(path: Path) -> None:
    """Remove a build file and the write-ahead log DuckDB keeps beside it."""
    _remove(path)
    _remove(path.with_name(path.name + ".wal"))


#: The warehouse this process opened last, named when the engine fails later, while a query
#: reads a damaged block (the command line runs one command per process).
_last_opened: list[Path] = []


def connect(db_path: Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (read-only by default); a clear error if there is none, or if the
    file cannot be opened (:class:`~gpequity.errors.WarehouseUnreadable`)."""
    if not db_path.exists():
        raise WarehouseMissing(db_path)
    _last_opened[:] = [db_path]
    try:
        return duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.Error as exc:
        # DuckDB says "Could not set lock on file" when another process has it open to write.
        raise WarehouseUnreadable(db_path, busy="lock" in str(exc).lower()) from None


def last_opened() -> Path | None:
    """The warehouse :func:`connect` opened last in this process (``None`` before any)."""
    return _last_opened[0] if _last_opened else None
