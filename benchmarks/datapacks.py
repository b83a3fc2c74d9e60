"""Benchmark: ICB datapacks, one and all 42, one after the other and across the cores.

A measurement, not a timed test. It reports:

1. one pack (the largest ICB, warm: after a first pack has loaded the fonts and the chart
   renderer), median of ``--runs``, and its three steps apart: the analyses
   (``build_datapack``), the charts and words (``present_datapack``) and the PDF (WeasyPrint);
2. every ICB's pack (42) made by ``gpequity datapack --all --jobs 1``: one worker, the in-run
   reference (the same start-up as below);
3. the same by ``gpequity datapack --all`` as it runs by default (one worker process per core,
   or ``--jobs``); for both, the cores their processes kept busy on average (CPU time over
   wall time); and the speed-up over the reference, with the efficiency per worker: PASS when
   it is at least 70% (issue 12: ``--all`` uses every core).

The machine's load average is printed beside the figures: on a shared machine other work
competes for the same cores.

Data: ``--db WAREHOUSE``; else a warehouse built in a temporary folder from links to the real
files the real-data tests use (lookups, nhs-payments, deprivation, fingertips) at
``gpequity.config.shared_data_dir()``; else from synthetic demonstration data (6,500 practices).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from gpequity.analysis.icb import icbs_in_year
from gpequity.analysis.payments import loaded_years
from gpequity.config import shared_data_dir
from gpequity.reports.batch import default_jobs
from gpequity.reports.datapack import build_datapack, present_datapack
from gpequity.reports.render import Format, render_html, render_pdf
from gpequity.warehouse.build import build_warehouse

REAL_FOLDERS = ("lookups", "nhs-payments", "deprivation", "fingertips")
#: ``gpequity datapack --all`` on N workers is at least this share of N times as fast as the
#: packs made one after the other (issue 12: it uses every core).
TARGET_EFFICIENCY = 0.7


def build(tmp: Path) -> tuple[Path, str]:
    """A warehouse from the real files, else from demonstration data; and which it is."""
    db = tmp / "bench.duckdb"
    source = shared_data_dir()
    if source.is_dir():
        files = tmp / "files"
        files.mkdir()
        for name in REAL_FOLDERS:
            (files / name).symlink_to(source.resolve() / name, target_is_directory=True)
        build_warehouse(db, [files])
        return db, f"real files at {source} ({', '.join(REAL_FOLDERS)})"
    from gpequity.sources.demo import generate_demo

    generate_demo(tmp / "demo")
    build_warehouse(db, [tmp / "demo"])
    return db, "synthetic demonstration data (no real files found)"


def load() -> str:
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing warehouse")
    parser.add_argument("--year", help="financial year (default: the latest loaded)")
    parser.add_argument("--format", choices=[f.value for f in Format], default="pdf")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="parallel workers")
    parser.add_argument("--runs", type=int, default=3, help="runs of the one-pack timing")
    args = parser.parse_args()
    fmt = Format(args.format)

    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            db, data = args.db, f"warehouse {args.db}"
        else:
            db, data = build(Path(tmp))
        with duckdb.connect(str(db), read_only=True) as con:
            year = args.year or loaded_years(con)[-1]
            icbs = icbs_in_year(con, year)
            largest = max(icbs, key=lambda i: (i.practices, i.code))
            print(f"data: {data}; {year}; {len(icbs)} ICBs; format {fmt.value}")
            print(f"cores available: {default_jobs()} (os.cpu_count() = {os.cpu_count()})")

            # 1. One pack, warm.
            present_datapack(build_datapack(con, largest.code, year))  # fonts, chart renderer
            render_pdf(render_html(present_datapack(build_datapack(con, largest.code, year))))
            steps: dict[str, list[float]] = {"analyses": [], "charts and words": [], "file": []}
            totals = []
            for _ in range(args.runs):
                start = time.perf_counter()
                pack = build_datapack(con, largest.code, year)
                steps["analyses"].append(time.perf_counter() - start)
                view = present_datapack(pack)
                steps["charts and words"].append(
                    time.perf_counter() - start - steps["analyses"][-1]
                )
                mark = time.perf_counter()
                html = render_html(view)
                if fmt is Format.pdf:
                    render_pdf(html)
                steps["file"].append(time.perf_counter() - mark)
                totals.append(time.perf_counter() - start)
        one = statistics.median(totals)
        print(
            f"\none pack ({largest.code}, {largest.practices} practices), median of {args.runs}: "
            f"{one:6.2f} s   ({load()})"
        )
        for name, values in steps.items():
            print(f"  {name:<18} {statistics.median(values):6.2f} s")

        # 2. and 3. Every ICB, sequential then parallel.
        codes = [i.code for i in icbs]
        out = Path(tmp) / "packs"

        def every(jobs: int | None) -> tuple[float, float]:
            """``gpequity datapack --all`` (``--jobs`` when given): seconds, and the cores its
            processes kept busy on average (their CPU time over the wall time)."""
            command = [sys.executable, "-m", "gpequity", "datapack", "--all", "--year", year]
            command += ["--format", fmt.value, "--out", str(out / str(jobs)), "--db", str(db)]
            command += [] if jobs is None else ["--jobs", str(jobs)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - began
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                failures.append(done.stderr.strip()[-2000:])
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            return seconds, cpu / seconds

        failures: list[str] = []
        # 2. The reference: the command on one worker (the same start-up as on several).
        sequential, busy_one = every(1)
        print(
            f"\nall {len(codes)} packs, gpequity datapack --all --jobs 1: {sequential:7.1f} s "
            f"({load()}); cores kept busy: {busy_one:.2f}"
        )
        # 3. The command as it runs by default: one worker per core (or --jobs).
        jobs = args.jobs
        parallel, busy = every(None if jobs == default_jobs() else jobs)
        print(
            f"all {len(codes)} packs, gpequity datapack --all ({jobs} workers): {parallel:7.1f} s "
            f"({load()}); cores kept busy: {busy:.2f}"
        )
        speed_up = sequential / parallel
        met = speed_up >= TARGET_EFFICIENCY * jobs
        print(
            f"{'PASS' if met else 'FAIL'} speed-up {speed_up:.2f}x on {jobs} workers "
            f"(efficiency {speed_up / jobs:.0%}, target >= {TARGET_EFFICIENCY:.0%}); "
            f"{sequential / len(codes):.2f} s a pack on one worker, "
            f"{parallel / len(codes):.2f} s a pack with --all"
        )
        if failures:
            print("failed packs:", *failures, sep="\n  ")
            return 1
        files = sorted((out / str(None if jobs == default_jobs() else jobs)).iterdir())
        size = sum(f.stat().st_size for f in files) / max(len(files), 1)
        print(f"{len(files)} files written in parallel, {size / 1024:.0f} KiB each on average")
        if len(files) != len(codes) or not met:
            return 1
    print(
        "The workers start fresh (spawn) and each loads the fonts and the chart renderer once; "
        "the PDF layout (WeasyPrint) is most of a pack's time."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
