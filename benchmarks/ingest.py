"""Benchmark: loading every real file into the warehouse vs DuckDB merely scanning them.

Target (issue 2): the full load takes at most twice as long as DuckDB's own ``read_csv``
count over the same CSV files, measured in the same run on the same machine.
Prints both times (median of ``--runs``), the ratio, and whether the target is met.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from gpequity.config import shared_data_dir
from gpequity.warehouse.build import build_warehouse, detect_files, files_in

TARGET_RATIO = 2.0


def scan(files: list[Path]) -> float:
    """Seconds for DuckDB to count the rows of every file with read_csv."""
    con = duckdb.connect()
    start = time.perf_counter()
    for path in files:
        con.execute("SELECT count(*) FROM read_csv(?)", [str(path)]).fetchone()
    return time.perf_counter() - start


def load(source: Path) -> float:
    """Seconds to build a warehouse from every file in ``source``."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        build_warehouse(Path(tmp) / "bench.duckdb", [source])
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=shared_data_dir())
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.source.is_dir():
        print(f"no real data at {args.source}: nothing to measure", file=sys.stderr)
        return 1
    detected, _ = detect_files(files_in(args.source))
    files = [d.path for d in detected]
    size = sum(p.stat().st_size for p in files) / 1e6
    scans, loads = [], []
    for _ in range(args.runs):
        scans.append(scan(files))
        loads.append(load(args.source))
    scan_s, load_s = statistics.median(scans), statistics.median(loads)
    ratio = load_s / scan_s
    print(f"files: {len(files)} ({size:.1f} MB)")
    print(
        f"duckdb read_csv count (reference): {scan_s:.2f} s  (runs: "
        f"{', '.join(f'{s:.2f}' for s in scans)})"
    )
    print(
        f"gpequity full load:                {load_s:.2f} s  (runs: "
        f"{', '.join(f'{s:.2f}' for s in loads)})"
    )
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"ratio load/scan: {ratio:.2f} (target <= {TARGET_RATIO}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
