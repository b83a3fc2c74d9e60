"""What a resource's live figure shows: the analysis its shortcode names, run on the warehouse.

``{{< quintile-table year="latest" total="core" >}}`` is the payments by deprivation of the
latest loaded year; ``national-summary`` the year's national summary; ``trend-table`` the
series of every year. A figure that cannot be shown is a sentence saying why.
"""

from __future__ import annotations

import duckdb

from gpequity.analysis.payments import (
    DeprivationMissing,
    DeprivationResult,
    NationalSummary,
    Total,
    TotalUnavailable,
    TrendResult,
    UnknownYear,
    national_summary,
    payments_by_deprivation,
    payments_trend,
    resolve_year,
)
from gpequity.analysis.profiles import has_payments
from gpequity.library.model import ShortcodeCall
from gpequity.library.shortcodes import LATEST

NO_PAYMENTS = "The payments files are not loaded yet, so this figure cannot be shown."


def figure_result(
    con: duckdb.DuckDBPyConnection, call: ShortcodeCall
) -> DeprivationResult | TrendResult | NationalSummary | str:
    """What the shortcode ``call`` shows, from the analysis modules; a reason (text) when it
    cannot be shown."""
    if not has_payments(con):
        return NO_PAYMENTS
    total = Total(call.param("total", "core"))
    try:
        if call.name == "trend-table":
            return payments_trend(con, total=total)
        year_text = call.param("year", LATEST)
        year = resolve_year(con, None if year_text == LATEST else year_text)
        if call.name == "national-summary":
            return national_summary(con, year)
        return payments_by_deprivation(
            con,
            year,
            total=total,
            exclude_prescribing=call.param("exclude-prescribing", "no") == "yes",
        )
    except (UnknownYear, TotalUnavailable, DeprivationMissing) as exc:
        return f"This figure cannot be shown: {exc}."
