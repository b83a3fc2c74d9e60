"""Benchmark: the practice search (``/practices?q=``, issue 14) on a real warehouse.

Over a copy of ``--db`` (default ``$GPEQUITY_DB``, else ``/work/real.duckdb``; without it, a
demo warehouse of 6,000 practices), it times:

1. the **directory's build** (:func:`gpequity.analysis.directory.directory`, once per build of
   the warehouse; the server's warm-up makes it before the first search);
2. **searches**, each kind ``--runs`` times over queries taken from the warehouse itself: full
   postcodes written ``sw21aa``, outward codes, practice codes, a practice name with one letter
   dropped, the first word of a name, a PCN name and an ICB's name: p50 and p99 per kind, and
   over all;
3. the **page** ``/practices?q=`` through the app (in-process HTTP), p50 over queries of the
   same kinds (other practices).

Each query is asked once (the search before the directory kept each query's answer), so the
figures are what a reader of a query nobody asked before waits for. With
``PYTHONPATH`` pointing at a tree from before :mod:`gpequity.analysis.directory`, the same
script times that tree's search (``gpequity.analysis.profiles.search_directory``), for a
before/after comparison. It prints the figures; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.warehouse.cache import RESULTS
from gpequity.web.app import create_app

try:
    from gpequity.analysis.directory import directory as build_directory
    from gpequity.analysis.directory import search_directory
except ImportError:  # a tree from before the directory: its search read the table each time
    from gpequity.analysis.profiles import search_directory  # type: ignore[attr-defined,no-redef]

    build_directory = None  # type: ignore[assignment]


#: Practices of the demo warehouse timed when the real one is absent.
DEMO_PRACTICES = 6000


def queries(con: duckdb.DuckDBPyConnection, per_kind: int, seed: int) -> dict[str, list[str]]:
    """Queries of each kind, taken from the latest payments file."""
    rows = con.execute(
        "SELECT practice_code, practice_name, postcode, pcn_name, icb_name FROM payments "
        "WHERE year = (SELECT max(year) FROM payments) ORDER BY practice_code"
    ).fetchall()
    rng = random.Random(seed)
    chosen = rng.sample(rows, min(per_kind, len(rows)))

    def misspelt(name: str) -> str:
        words = [w for w in re.findall(r"[A-Z]+", name.upper()) if len(w) >= 5]
        if not words:
            return name
        word = max(words, key=len)
        return name.upper().replace(word, word[:2] + word[3:], 1).lower()

    kinds = {
        "full postcode": ["".join(str(r[2]).split()).lower() for r in chosen],
        "outward code": [str(r[2]).split()[0] for r in chosen],
        "practice code": [str(r[0]).lower() for r in chosen],
        "misspelt name": [misspelt(str(r[1])) for r in chosen],
        "name word": [str(r[1]).split()[0].lower() for r in chosen],
        "PCN name": [str(r[3] or r[1]).lower() for r in chosen],
        "ICB name": [str(r[4]).removeprefix("NHS ").split(" Integrated")[0] for r in chosen],
    }
    # Each query once: the search before the directory kept each query's answer.
    return {kind: list(dict.fromkeys(texts)) for kind, texts in kinds.items()}


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("GPEQUITY_DB", "/work/real.duckdb")
    parser.add_argument("--db", type=Path, default=Path(default))
    parser.add_argument("--runs", type=int, default=30, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "gpequity.duckdb"
        if args.db.is_file():
            shutil.copy(args.db, db)
        else:  # no real warehouse here: demonstration data of about England's size
            print(f"{args.db} is not here: timing a demo warehouse of {DEMO_PRACTICES} practices")
            generate_demo(Path(tmp) / "files", seed=args.seed, practices=DEMO_PRACTICES)
            build_warehouse(db, [Path(tmp) / "files"], synthetic=True)
        with duckdb.connect(str(db), read_only=True) as con:
            kinds = queries(con, args.runs, args.seed)
            if build_directory is not None:
                builds = []
                for _ in range(3):
                    RESULTS.clear()
                    start = time.perf_counter()
                    build_directory(con)
                    builds.append(time.perf_counter() - start)
                print(f"directory build: median {statistics.median(builds) * 1000:.0f} ms")

            everything: list[float] = []
            print(f"{'kind':<16} {'p50 ms':>8} {'p99 ms':>8}")
            for kind, texts in kinds.items():
                times = []
                for text in texts:
                    start = time.perf_counter()
                    search_directory(con, text)
                    times.append(time.perf_counter() - start)
                everything += times
                p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
                print(f"{kind:<16} {p50 * 1000:8.2f} {p99 * 1000:8.2f}")
            p50, p99 = percentile(everything, 0.5), percentile(everything, 0.99)
            print(f"{'all':<16} {p50 * 1000:8.2f} {p99 * 1000:8.2f}")

        with TestClient(create_app(db)) as client:
            client.get("/practices", params={"q": "warm"})  # the directory, built once
            pages = []
            # Other queries than those timed above (which the old search kept the answers of).
            with duckdb.connect(str(db), read_only=True) as con:
                page_kinds = queries(con, args.runs, args.seed + 1)
            for texts in page_kinds.values():
                for text in texts:
                    start = time.perf_counter()
                    response = client.get("/practices", params={"q": text})
                    pages.append(time.perf_counter() - start)
                    assert response.status_code == 200, response.text[:200]
            print(
                f"page /practices?q= p50 {percentile(pages, 0.5) * 1000:.1f} ms, "
                f"p99 {percentile(pages, 0.99) * 1000:.1f} ms over {len(pages)} queries"
            )


if __name__ == "__main__":
    main()
