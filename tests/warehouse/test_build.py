"""Loads that cannot go wrong quietly: the lock, stale build files, shrinking datasets, OS errors.

Each builds real warehouses from the synthetic files in the official layouts (tests/faults
does the same with real processes killed, run at once and starved of disk).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from gpequity.errors import LoadFailed
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import (
    LoadSystemError,
    build_warehouse,
    describe_os_error,
    shrinking_datasets,
)
from gpequity.warehouse.lock import LoadLocked, building_path, load_lock, lock_path
from gpequity.warehouse.summary import summarise, warning_kind, warning_kinds


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("build") / "demo"
    generate_demo(folder, seed=7, practices=50)
    return folder


def without(demo: Path, tmp_path: Path, pattern: str) -> Path:
    """A copy of the demo folder without the files whose name matches ``pattern``."""
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy)
    for path in copy.rglob(pattern):
        path.unlink()
    return copy


def rows(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


# --- one load at a time ----------------------------------------------------------------------


def test_a_second_load_is_refused_at_once_naming_the_lock_and_its_holder(
    demo: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    with load_lock(db), pytest.raises(LoadLocked) as locked:
        build_warehouse(db, [demo])
    message = str(locked.value)
    assert f"pid {os.getpid()} holds the lock {lock_path(db)}" in message
    assert "\n" not in message
    assert not db.exists()
    build_warehouse(db, [demo])  # the lock is released with its holder
    assert rows(db, "payments") > 0


def test_the_build_files_of_a_stopped_load_are_removed_by_the_next(
    demo: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    stale = building_path(db, 999_999_999)
    stale.write_bytes(b"half a warehouse")
    wal = stale.with_name(stale.name + ".wal")
    wal.write_bytes(b"x" * 1000)
    result = build_warehouse(db, [demo])
    assert not stale.exists() and not wal.exists()
    assert sorted((s.path.name, s.pid, s.size) for s in result.stale) == [
        (stale.name, 999_999_999, 16),
        (wal.name, 999_999_999, 1000),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".w.duckdb.lock", "w.duckdb"]


# --- a dataset that shrinks -------------------------------------------------------------------


def test_a_dataset_losing_more_than_a_tenth_is_refused_naming_it_and_both_counts(
    demo: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [demo])
    before = db.read_bytes()
    payments = rows(db, "payments")
    smaller = without(demo, tmp_path, "nhspaymentsgp-22-23*")
    with pytest.raises(LoadFailed) as failed:
        build_warehouse(db, [smaller])
    problems = failed.value.problems
    assert len(problems) == 1
    kept = rows(db, "payments WHERE year <> '2022/23'")
    assert problems[0].startswith(
        f"payments: {kept:,} rows loaded against {payments:,} in the current warehouse ("
    )
    assert problems[0].endswith("load again with --allow-shrink")
    assert "the previous warehouse is untouched" in str(failed.value)
    assert db.read_bytes() == before

    result = build_warehouse(db, [smaller], allow_shrink=True)
    assert rows(db, "payments") == kept
    assert [s.split(" (")[0] for s in result.shrunk] == [
        f"payments: {kept:,} rows loaded against {payments:,} in the current warehouse"
    ]
    with duckdb.connect(str(db), read_only=True) as con:
        recorded = [m for (m,) in con.execute("SELECT message FROM load_warnings").fetchall()]
    assert any(m.startswith("allowed by --allow-shrink: payments:") for m in recorded)


def test_a_dataset_missing_from_the_new_load_shrinks_to_nothing(demo: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [demo])
    reports = build_warehouse(tmp_path / "other.duckdb", [demo]).reports
    kept = [r for r in reports if r.dataset != "imd"]
    [found] = shrinking_datasets(db, kept)
    assert found.startswith("imd: 0 rows loaded against ")
    assert "(100% fewer;" in found
    # Growing, or losing a tenth or less, is no shrink.
    assert shrinking_datasets(db, reports) == []


# --- errors of the operating system ---------------------------------------------------------


def test_an_os_error_is_one_line_naming_the_file_and_the_reason(demo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(LoadSystemError) as failed:
        build_warehouse(blocker / "w.duckdb", [demo])
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith(f"the load stopped: {blocker}: File exists (EEXIST)")
    assert message.endswith("; no warehouse was written")


def test_describe_os_error_names_enospc() -> None:
    error = OSError(28, "No space left on device", "/data/.w.duckdb.building-1")
    assert describe_os_error(error) == (
        "the load stopped: /data/.w.duckdb.building-1: No space left on device (ENOSPC)"
    )


# --- the closing summary ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (
            "eFIT QF7 (South Yorkshire ICB): 31 practices have population rows and no "
            "indicator row (sub-ICBs in 2022/23: 02P 31): C85001, C85003",
            "N practice(s) have population rows and no indicator row",
        ),
        (
            "eFIT QJK (Devon ICB): 1 practice has population rows and no indicator row: L83673",
            "N practice(s) have population rows and no indicator row",
        ),
        (
            "2014/15: 17 of 7,959 practices have no IMD score",
            "N of N practice(s) have no IMD score",
        ),
        (
            "rows without an Indicator ID, taken as 91547 (the file's only indicator): 6,267",
            "rows without an Indicator ID, taken as N",
        ),
    ],
)
def test_a_warning_kind_is_its_statement_without_subject_numbers_or_lists(
    message: str, kind: str
) -> None:
    assert warning_kind(message) == kind


def test_warnings_are_counted_by_kind_most_frequent_first() -> None:
    kinds = warning_kinds(
        [
            "eFIT QXU: no indicators file",
            "2014/15: 17 of 7,959 practices have no IMD score",
            "2015/16: 16 of 7,841 practices have no IMD score",
        ]
    )
    assert [(k.kind, k.count, k.example) for k in kinds] == [
        (
            "N of N practice(s) have no IMD score",
            2,
            "2014/15: 17 of 7,959 practices have no IMD score",
        ),
        ("no indicators file", 1, "eFIT QXU: no indicators file"),
    ]


def test_the_summary_adds_up_the_files_of_each_dataset(demo: Path, tmp_path: Path) -> None:
    result = build_warehouse(tmp_path / "w.duckdb", [demo])
    summary = summarise(result.reports, result.warnings)
    payments = next(d for d in summary.datasets if d.dataset == "payments")
    assert payments.files == 3
    assert payments.periods == ("2020/21", "2021/22", "2022/23")
    assert payments.rows_loaded == rows(tmp_path / "w.duckdb", "payments")
    assert summary.rows_loaded == sum(r.rows_loaded for r in result.reports)
    assert summary.files == len(result.reports)
    assert summary.warning_count == len(result.warnings) + sum(
        len(r.warnings) for r in result.reports
    )
    assert sum(k.count for k in summary.warnings) == summary.warning_count
