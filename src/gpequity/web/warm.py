"""Warming the results cache when the server starts, so that the first readers do not wait.

Every figure the pages offer is computed once per build of the warehouse and kept
(:mod:`gpequity.warehouse.cache`); :func:`warm_up` computes the ones most pages need, in a
background thread of each worker, in the order readers meet them: the latest year's funding
page and home page, the practice comparators and every practice's rows, the search's directory,
every ICB's profile and datapack figures, then the other years and totals. The confidence
intervals (a bootstrap, ten times the cost of the figures) are warmed for the latest year's
funding page only: the other years' are computed when their page is first asked. A request for a
result being computed waits for it instead of computing it again. A rebuilt warehouse is
computed on its first request (and warmed by the next start).
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from gpequity.analysis.directory import directory
from gpequity.analysis.icb import icbs_in_year
from gpequity.analysis.icb_measures import icb_measures
from gpequity.analysis.payments import (
    By,
    Total,
    latest_year,
    loaded_years,
    national_summary,
    payment_lines_by_deprivation,
    payments_by_deprivation,
    payments_trend,
)
from gpequity.analysis.profile_figures import icb_yearly_sums, indicator_ranges, peer_rows
from gpequity.analysis.profiles import (
    has_payments,
    icb_profile,
    practice_rows,
    profile_comparators,
)
from gpequity.errors import GpequityError
from gpequity.reports.datapack import datapack_figures_view
from gpequity.warehouse.icbs import IcbMap
from gpequity.web.warehouse import SharedWarehouse

logger = logging.getLogger(__name__)

#: One result to compute from a cursor on the warehouse (the web layer names no DuckDB type).
Step = Callable[[Any], object]


def _payments_year(year: str, total: Total, *, intervals: bool) -> list[Step]:
    """The analyses of the funding page for one year and total (as the page asks them), with
    their confidence intervals or without (then computed on the page's first request: about
    0.5 s on the real files)."""
    return [
        lambda con: national_summary(con, year),
        lambda con: payments_by_deprivation(con, year, total=total, intervals=intervals),
        lambda con: payments_by_deprivation(
            con, year, total=total, by=By.dispensing, intervals=intervals
        ),
        lambda con: payments_trend(con, total=total),
        lambda con: payment_lines_by_deprivation(con, year),
    ]


def _profile_tables(year: str) -> list[Step]:
    """The tables every practice's and ICB's charts share (about 50 ms on the real files); each
    practice's own figures are computed on its first request (about 30 ms:
    ``benchmarks/profile_figures.py``)."""
    return [
        lambda con: peer_rows(con, year),
        indicator_ranges,
        lambda con: icb_yearly_sums(con, IcbMap.current),
    ]


def warm_steps(con: Any) -> list[Step]:
    """What to compute, most asked first (none without payments)."""
    if not has_payments(con) or not loaded_years(con):
        return []
    latest = latest_year(con)
    codes = [icb.code for icb in icbs_in_year(con, latest)]
    steps = [
        *_payments_year(latest, Total.core, intervals=True),
        icb_measures,
        profile_comparators,
        practice_rows,
        directory,
        *_profile_tables(latest),
    ]
    steps += [functools.partial(icb_profile, code=code) for code in codes]
    steps += [
        functools.partial(datapack_figures_view, icb_code=code, year=latest) for code in codes
    ]
    for year in reversed(loaded_years(con)):
        for total in Total:
            if (year, total) != (latest, Total.core):
                steps += _payments_year(year, total, intervals=False)
    return steps


def warm_up(warehouse: SharedWarehouse, stop: threading.Event) -> None:
    """Compute :func:`warm_steps` into the cache; a step that fails is skipped (the page that
    needs it says why), and ``stop`` ends the warm-up early (the server is stopping)."""
    start = time.perf_counter()
    done = 0
    try:
        with warehouse.reading() as reading:
            if reading is None:
                return
            for step in warm_steps(reading.con):
                if stop.is_set():
                    return
                try:
                    step(reading.con)
                except GpequityError:
                    continue  # e.g. a total the year does not publish
                done += 1
    except Exception:
        logger.exception("warming the results cache stopped")
        return
    # The results are kept until the next build: the collector need not look through them again
    # at every collection (an allocation makes hundreds of thousands of short-lived objects).
    gc.freeze()
    logger.info("results cache warmed: %d results in %.1f s", done, time.perf_counter() - start)


def start_warm_up(warehouse: SharedWarehouse) -> Callable[[], None]:
    """Start :func:`warm_up` in a background thread; return what stops it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=warm_up, args=(warehouse, stop), name="gpequity-warm-up", daemon=True
    )
    thread.start()
    return stop.set
