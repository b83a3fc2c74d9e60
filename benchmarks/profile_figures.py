"""Benchmark: the figures and charts of the practice and ICB profiles, for every practice.

Issue 14 asks what the whole set costs, to decide between computing it in the server's
warm-up and computing each practice's on its first request. On ``--db`` (a built warehouse,
read-only; default: the configured warehouse, or a demo one built in a temporary folder when
there is none) it times, each from a cold cache:

1. the tables every practice shares, read once per build of the warehouse: each practice-year's
   payments per weighted patient with its ICB and decile (``peer_rows``), the indicators'
   ranges over England's practices (``indicator_ranges``) and the ICBs' yearly sums
   (``icb_yearly_sums``);
2. every practice of the latest year: its profile, its peers and its indicator spine;
3. every ICB's trend and summary;
4. the three charts of ``--sample`` practices rendered to SVG (the renderer's cost per page).

Nothing here is a pass/fail test: it prints the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from gpequity.analysis.payments import latest_year
from gpequity.analysis.profile_figures import (
    icb_summary,
    icb_trend,
    icb_yearly_sums,
    indicator_ranges,
    indicator_spine,
    peer_rows,
    practice_peers,
)
from gpequity.analysis.profiles import icb_profile, practice_profile, profile_comparators
from gpequity.charts import render_svg
from gpequity.config import db_path
from gpequity.reports.profile_charts import peers_chart, practice_trend_chart, spine_chart
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse

T = TypeVar("T")


def timed(label: str, run: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = run()
    print(f"{label:<58} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or db_path()
        if not db.is_file():
            generate_demo(Path(tmp) / "demo")
            db = Path(tmp) / "demo.duckdb"
            build_warehouse(db, [Path(tmp) / "demo"])
        run(db, args.sample)


def run(db: Path, sample: int) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        year = latest_year(con)
        codes = [
            str(r[0])
            for r in con.execute(
                "SELECT practice_code FROM payments WHERE year = ? ORDER BY practice_code", [year]
            ).fetchall()
        ]
        icbs = [
            str(r[0])
            for r in con.execute(
                "SELECT DISTINCT icb_code FROM payments WHERE year = ? ORDER BY 1", [year]
            ).fetchall()
        ]
        print(f"{db}: {len(codes):,} practices and {len(icbs)} ICBs in {year}")
        timed("comparators (medians; already in the warm-up)", lambda: profile_comparators(con))
        timed("shared: peer_rows of the latest year", lambda: peer_rows(con, year))
        timed("shared: indicator_ranges", lambda: indicator_ranges(con))
        timed("shared: icb_yearly_sums", lambda: icb_yearly_sums(con))

        def every_practice() -> int:
            rows = 0
            for code in codes:
                profile = practice_profile(con, code)
                assert profile is not None
                rows += len(practice_peers(con, profile).groups)
                rows += len(indicator_spine(con, profile))
            return rows

        timed(f"every practice: profile, peers, spine ({len(codes):,})", every_practice)

        def every_icb() -> None:
            for code in icbs:
                profile = icb_profile(con, code)
                if profile is not None:
                    icb_summary(profile)
                    icb_trend(con, code)

        timed(f"every ICB: profile, summary, trend ({len(icbs)})", every_icb)

        def render_sample() -> None:
            for code in codes[:sample]:
                profile = practice_profile(con, code)
                assert profile is not None
                charts = [
                    practice_trend_chart(profile),
                    peers_chart(practice_peers(con, profile), profile.details.name),
                    spine_chart(indicator_spine(con, profile)),
                ]
                for chart in charts:
                    if chart is not None:
                        render_svg(chart)

        timed(f"render the three charts of {sample} practices", render_sample)


if __name__ == "__main__":
    main()
