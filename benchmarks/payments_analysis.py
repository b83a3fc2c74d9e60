"""Benchmark: the full by-deprivation analysis of every loaded year vs a plain DuckDB GROUP BY.

Issue 3 asks for the time of the full analysis (per quintile: practices, patients, payments and
ratios of sums, exclusions with reasons, the Q1-Q5 gap, the slope index of inequality and the
concentration index) for all loaded years, next to the time DuckDB takes for a plain
``GROUP BY year, quintile`` of the same sums over the same table, in the same run. It also
times the one-query time series and, with ``--breakdowns``, every ``--by`` breakdown.

The warehouse is built first (not timed) from the real payments, lookup and deprivation files.
Prints the median of ``--runs`` for each, and the ratio to the reference.

Target (issue 12, (d)): the payments analysis as the site serves it (every year, each total,
the dispensing split and the deciles: computed once per build of the warehouse and kept,
:mod:`gpequity.warehouse.cache`) takes at most 5x the GROUP BY. Computing them from a cold cache
is the materialisation, timed here for information and counted in ``ingest.py``'s load.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from gpequity.analysis.payments import (
    By,
    Total,
    loaded_years,
    payments_by_deprivation,
    payments_trend,
)
from gpequity.config import shared_data_dir
from gpequity.errors import GpequityError
from gpequity.warehouse.build import build_warehouse
from gpequity.warehouse.cache import RESULTS

#: The files the analysis needs, under the real-data folder.
FILES = (
    ("lookups", "ccg-icb-lookup.csv"),
    ("nhs-payments", "nhspaymentsgp-*-prac-csv.csv"),
    ("deprivation", "practice-imd-93553.csv"),
)

#: The served analysis may take at most this many times the plain GROUP BY.
TARGET_RATIO = 5.0

GROUP_BY = """
    SELECT p.year, i.quintile, count(*), sum(p.registered_patients), sum(p.weighted_patients),
           sum(p.total_payments), sum(p.total_payments) / sum(p.weighted_patients)
    FROM payments p JOIN practice_imd_year i USING (year, practice_code)
    WHERE i.quintile IS NOT NULL AND p.registered_patients > 0 AND p.weighted_patients > 0
    GROUP BY ALL ORDER BY ALL
"""


def link_files(source: Path, folder: Path) -> Path:
    for sub, pattern in FILES:
        (folder / sub).mkdir(parents=True)
        for path in sorted((source / sub).glob(pattern)):
            (folder / sub / path.name).symlink_to(path.resolve())
    return folder


def timed(action: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def report(name: str, median: float, times: list[float], reference: float | None) -> None:
    runs = ", ".join(f"{t:.3f}" for t in times)
    ratio = f"  ({median / reference:,.0f}x the GROUP BY)" if reference else ""
    print(f"{name:<44} {median:8.3f} s  (runs: {runs}){ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=shared_data_dir())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--breakdowns", action="store_true", help="also time every --by breakdown of every year"
    )
    args = parser.parse_args()
    if not (args.source / "nhs-payments").is_dir():
        print(f"no real data at {args.source}: nothing to measure", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        build_warehouse(db, [link_files(args.source, Path(tmp) / "files")])
        con = duckdb.connect(str(db), read_only=True)
        years = loaded_years(con)
        practices = con.execute("SELECT count(*) FROM payments").fetchone()
        print(f"years: {len(years)} ({years[0]} to {years[-1]}), practice-years: {practices[0]:,}")

        reference, ref_times = timed(lambda: con.execute(GROUP_BY).fetchall(), args.runs)
        report("plain DuckDB GROUP BY year, quintile (ref.)", reference, ref_times, None)

        def full() -> None:
            for year in years:
                payments_by_deprivation(con, year)

        def cold() -> None:
            RESULTS.clear()
            full()

        median, times = timed(cold, args.runs)
        report("full by-deprivation analysis, every year", median, times, reference)
        print(f"{'':<44} {median / len(years):8.3f} s a year (cold: the materialisation)")

        def served() -> None:
            for year in years:
                for total in Total:
                    for options in ({}, {"by": By.dispensing}, {"deciles": True}):
                        with contextlib.suppress(GpequityError):  # a total a year lacks
                            payments_by_deprivation(con, year, total=total, **options)  # type: ignore[arg-type]

        served()  # materialised once per build, as a server has them
        median, times = timed(served, args.runs)
        report("every year, total, split, deciles (served)", median, times, reference)
        met = median <= TARGET_RATIO * reference
        verdict = "PASS" if met else "FAIL"
        print(
            f"(d) {verdict} served analysis / GROUP BY: {median / reference:.2f} "
            f"(target <= {TARGET_RATIO:.0f})"
        )

        median, times = timed(lambda: (RESULTS.clear(), payments_trend(con)), args.runs)
        report("time series (payments trend)", median, times, reference)

        if args.breakdowns:

            def breakdowns() -> None:
                RESULTS.clear()
                for year in years:
                    for by in By:
                        payments_by_deprivation(con, year, by=by)

            median, times = timed(breakdowns, args.runs)
            report("every --by breakdown, every year", median, times, reference)
        con.close()
    print(
        "The analysis adds to the GROUP BY the exclusions and the two inequality indices, which "
        "are computed exactly (fractions) over every practice."
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
