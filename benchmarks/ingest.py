"""Benchmark: loading every real file into the warehouse vs DuckDB merely scanning them.

Target (issue 2, and issue 12's (e)): the full load, with the materialisation of the results
included, takes at most twice as long as DuckDB's own ``read_csv`` count over the same CSV
files, measured in the same run on the same machine. The materialisation is what a server
computes once per build of the warehouse (:func:`gpequity.web.warm.warm_steps`: the payments
analyses of every year, total and split, the profiles and the datapacks' figures; a datapack's
charts are drawn when first asked, so not here), from a cold cache. Prints the times (median
of ``--runs``), the ratio, and PASS or FAIL.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from gpequity.config import shared_data_dir
from gpequity.errors import GpequityError
from gpequity.reports.datapack import datapack_figures_view
from gpequity.warehouse.build import build_warehouse, connect, detect_files, files_in
from gpequity.warehouse.cache import RESULTS
from gpequity.web.warm import warm_steps

TARGET_RATIO = 2.0


def scan(files: list[Path]) -> float:
    """Seconds for DuckDB to count the rows of every file with read_csv."""
    con = duckdb.connect()
    start = time.perf_counter()
    for path in files:
        con.execute("SELECT count(*) FROM read_csv(?)", [str(path)]).fetchone()
    return time.perf_counter() - start


def load(source: Path) -> tuple[float, float, float]:
    """Seconds to build a warehouse from every file in ``source``, then to materialise its
    results (from a cold cache), and of those the datapacks' views."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        start = time.perf_counter()
        build_warehouse(db, [source])
        loaded = time.perf_counter() - start
        RESULTS.clear()
        views = 0.0
        start = time.perf_counter()
        with connect(db) as con:
            for step in warm_steps(con):
                began = time.perf_counter()
                with contextlib.suppress(GpequityError):  # e.g. a total a year lacks
                    step(con)
                if isinstance(step, functools.partial) and step.func is datapack_figures_view:
                    views += time.perf_counter() - began
        return loaded, time.perf_counter() - start, views


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=shared_data_dir())
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if not args.source.is_dir():
        print(f"no real data at {args.source}: nothing to measure", file=sys.stderr)
        return 1
    detected, _ = detect_files(files_in(args.source))
    files = [d.path for d in detected]
    size = sum(p.stat().st_size for p in files) / 1e6
    scans, loads, materialised, views = [], [], [], []
    for _ in range(args.runs):
        scans.append(scan(files))
        loaded, computed, drawn = load(args.source)
        loads.append(loaded)
        materialised.append(computed)
        views.append(drawn)
    scan_s, load_s = statistics.median(scans), statistics.median(loads)
    results_s = statistics.median(materialised)
    ratio = (load_s + results_s) / scan_s
    print(f"files: {len(files)} ({size:.1f} MB)")
    print(
        f"duckdb read_csv count (reference): {scan_s:.2f} s  (runs: "
        f"{', '.join(f'{s:.2f}' for s in scans)})"
    )
    print(
        f"gpequity full load:                {load_s:.2f} s  (runs: "
        f"{', '.join(f'{s:.2f}' for s in loads)})"
    )
    print(
        f"materialising the results:         {results_s:.2f} s  (runs: "
        f"{', '.join(f'{s:.2f}' for s in materialised)}), of which the datapacks' views "
        f"{statistics.median(views):.2f} s"
    )
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(
        f"(e) {verdict} load and materialisation / scan: {ratio:.2f} "
        f"(load alone {load_s / scan_s:.2f}; target <= {TARGET_RATIO})"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
