"""The view objects of the Funding and deprivation page: what its template reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from gpequity.web.funding.query import FieldError
from gpequity.web.views import ChartView, Option, SummaryItem, TableView

# --- view objects -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingForm:
    """The year picker and the choice of total; ``errors`` maps a field to its message."""

    action: str
    years: list[Option]
    totals: list[Option]
    exclude_prescribing: bool
    year_error: str | None
    total_error: str | None
    exclude_error: str | None


@dataclass(frozen=True)
class FundingResults:
    """Everything the page shows for one year."""

    year: str
    choice: str
    notes: list[str]
    summary_heading: str
    summary_sentences: list[str]
    summary_list: list[SummaryItem]
    dispensing_status_table: TableView
    deprivation_missing: str | None
    deprivation_sentences: list[str]
    deprivation_table: TableView | None
    measures: list[SummaryItem]
    split_chart: ChartView | None
    dispensing_sentences: list[str]
    distribution_chart: ChartView | None
    by_dispensing_table: TableView | None
    lines_chart: ChartView | None
    lines_table: TableView | None
    trend_chart: ChartView | None
    trend_sentences: list[str]
    exclusions_sentences: list[str]
    exclusions_table: TableView | None
    imd_sentence: str


@dataclass(frozen=True)
class FundingPage:
    """The Funding and deprivation page in any of its states.

    No warehouse (``has_data`` false), no payments loaded (``no_payments``), a request with
    problems (``errors``, shown in an error summary and at their fields) or the figures of a
    year (``results``).
    """

    title: str
    heading: str
    has_data: bool
    no_payments: bool
    form: FundingForm | None
    errors: list[FieldError]
    results: FundingResults | None
    status_text: str
    method: list[str] = field(default_factory=list)
