"""Every analysis result the page shows for one choice, its charts and its CSV tables."""

from __future__ import annotations

from dataclasses import dataclass

from gpequity.analysis.payment_results import (
    DeprivationResult,
    NationalSummary,
    PaymentLinesResult,
    Table,
    TrendResult,
    exclusions_table,
)
from gpequity.charts import (
    Chart,
    dispensing_distribution_chart,
    dispensing_split_chart,
    payment_lines_chart,
    trend_chart,
)
from gpequity.web.funding.query import FundingQuery

#: Charts whose data is a table of the page already, shown right after them: the payment
#: lines chart draws the largest lines of the payment lines table.
CHARTS_WITH_OWN_TABLE = frozenset({"payment-lines"})


# --- the analysis results the page shows --------------------------------------------------------


@dataclass(frozen=True)
class FundingAnalysis:
    """Every analysis result the page shows for one choice, as the route gathered them.

    Without practice deprivation scores in the warehouse only the national summary exists, and
    ``deprivation_missing`` says why.
    """

    query: FundingQuery
    summary: NationalSummary
    deprivation: DeprivationResult | None = None
    by_dispensing: DeprivationResult | None = None
    lines: PaymentLinesResult | None = None
    trend: TrendResult | None = None
    imd_methods: tuple[str, ...] = ()
    deprivation_missing: str | None = None


def funding_charts(analysis: FundingAnalysis) -> dict[str, Chart]:
    """The page's charts (:mod:`gpequity.charts`), by name, from the analysis results."""
    charts: dict[str, Chart] = {}
    if analysis.deprivation is not None and analysis.by_dispensing is not None:
        charts["dispensing-split"] = dispensing_split_chart(
            analysis.deprivation, analysis.by_dispensing
        )
        charts["dispensing-distribution"] = dispensing_distribution_chart(analysis.by_dispensing)
    if analysis.lines is not None:
        charts["payment-lines"] = payment_lines_chart(analysis.lines)
    if analysis.trend is not None:
        charts["trend"] = trend_chart(analysis.trend)
    return charts


def funding_tables(analysis: FundingAnalysis) -> dict[str, Table]:
    """Every table the page offers as CSV, by the name in its URL (``/funding/<name>.csv``).

    The analysis results' own ``table()`` (the CLI's ``--format csv``), the exclusions, and
    the data of each chart.
    """
    tables = {"summary": analysis.summary.table()}
    if analysis.deprivation is not None:
        tables["by-deprivation"] = analysis.deprivation.table()
        tables["exclusions"] = exclusions_table(analysis.deprivation.excluded)
    if analysis.by_dispensing is not None:
        tables["by-dispensing"] = analysis.by_dispensing.table()
    if analysis.lines is not None:
        tables["payment-lines"] = analysis.lines.table()
    for name, chart in funding_charts(analysis).items():
        if name not in CHARTS_WITH_OWN_TABLE:
            tables[f"chart-{name}"] = Table(chart.header, chart.rows)
    return tables
