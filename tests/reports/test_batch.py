"""Making several packs: in this process or across worker processes, each written whole
(through a temporary file), one failure reported without stopping the others."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpequity.reports.batch import (
    PRINTING_NICENESS,
    BackgroundPacks,
    PackOutcome,
    default_jobs,
    write_datapacks,
)
from gpequity.reports.render import Format, file_name

from .conftest import YEAR

ICBS = ("QHM", "QE1", "QOP")


@pytest.mark.parametrize("jobs", [1, 2])
def test_packs_are_written_and_one_failure_does_not_stop_the_others(
    demo_db: Path, tmp_path: Path, jobs: int
) -> None:
    out = tmp_path / "packs"
    # A folder where QE1's pack should go: that pack cannot be written, the others can.
    (out / file_name("QE1", YEAR, Format.html)).mkdir(parents=True)
    seen: list[PackOutcome] = []
    outcomes = write_datapacks(
        demo_db, ICBS, YEAR, Format.html, out, jobs=jobs, on_done=seen.append
    )
    assert [o.icb_code for o in outcomes] == list(ICBS)
    assert sorted(o.icb_code for o in seen) == sorted(ICBS)
    by_code = {o.icb_code: o for o in outcomes}
    # in words, naming the file asked for (it was "IsADirectoryError: [Errno 21] ...")
    in_the_way = out / file_name("QE1", YEAR, Format.html)
    assert by_code["QE1"].error == f"cannot be written: {in_the_way}: Is a directory."
    for code in ("QHM", "QOP"):
        outcome = by_code[code]
        assert outcome.ok and outcome.path == out / file_name(code, YEAR, Format.html)
        assert outcome.path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(out.glob(".*.partial"))  # nothing half-written is left behind


def test_an_unknown_icb_is_reported_by_code(demo_db: Path, tmp_path: Path) -> None:
    [outcome] = write_datapacks(demo_db, ["QZZ"], YEAR, Format.html, tmp_path, jobs=1)
    assert outcome.path is None
    assert outcome.error is not None and outcome.error.startswith("no ICB 'QZZ'")


def test_default_jobs_is_at_least_one() -> None:
    assert default_jobs() >= 1


def test_the_web_apps_packs_are_printed_behind_its_readers() -> None:
    """The process printing the web app's PDFs runs at a lower CPU priority than the app, so
    that a pack printed in the background does not slow the pages being read meanwhile."""
    packs = BackgroundPacks()
    try:
        packs.start()
        printing = packs._executor().submit(os.nice, 0).result(timeout=120)
    finally:
        packs.close()
    assert printing == min(os.nice(0) + PRINTING_NICENESS, 19)


#: What a web worker does with its packs, run as a process of its own to be killed.
WORKER = """
import os, sys
from gpequity.reports.batch import BackgroundPacks
packs = BackgroundPacks()
packs.start()
print(packs._executor().submit(os.getpid).result(timeout=120), flush=True)
sys.stdin.read()  # until killed
"""
#: Seconds the printing process has to notice that its worker is gone (a liveness deadline).
ORPHAN_DEADLINE_SECONDS = 60.0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended (its new parent may not reap it at once)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to watch a process")
def test_a_killed_web_workers_printing_process_ends_too() -> None:
    """A web worker killed by a signal never closes its pool: its printing process used to
    wait for work for ever (an idle 60 MB process per worker and per stop of the server)."""
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert worker.stdout is not None
        printing = int(worker.stdout.readline())
        assert printing != worker.pid and _alive(printing)
    finally:
        worker.kill()
        worker.wait()
    deadline = time.monotonic() + ORPHAN_DEADLINE_SECONDS
    while _alive(printing) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(printing)
