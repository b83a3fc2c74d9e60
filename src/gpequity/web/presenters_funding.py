"""The Funding and deprivation page: the payments analysis of one year, as the page shows it.

The route (``routes/funding.py``) reads the request and runs the analyses of
:mod:`gpequity.analysis.payments`; this module turns their results into the page's view objects:
every label, sentence and format, and the tables offered as CSV. It computes no figure: each
number on the page is a field of an analysis result (or of a chart that :mod:`gpequity.charts`
builds from them), formatted here, so the page, the CLI and the CSV downloads agree.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from gpequity.analysis.payment_results import (
    CONCENTRATION_METHOD,
    PATIENT_PLACES,
    PER_PATIENT_METHOD,
    QUINTILE_METHOD,
    QUINTILES,
    SLOPE_METHOD,
    TOTAL_LABELS,
    DeprivationGroup,
    DeprivationResult,
    Exclusion,
    NationalSummary,
    PaymentLinesResult,
    Table,
    Total,
    TrendResult,
    rank_label,
)
from gpequity.analysis.payments import (
    DERIVED_INCL_COVID_PCN_NOTE,
    EXCLUDE_PRESCRIBING_NOTE,
    parse_year,
)
from gpequity.charts import (
    Chart,
    dispensing_distribution_chart,
    dispensing_split_chart,
    payment_lines_chart,
    render_svg,
    trend_chart,
)

#: Where the page is served; its tables are ``/funding/<table>.csv``.
FUNDING_PATH = "/funding"
PAGE_HEADING = "Funding and deprivation"
#: Query values read as "leave out prescribing and dispensing" (a checkbox sends ``1``).
TRUE_VALUES = frozenset({"1", "true", "on", "yes"})
FALSE_VALUES = frozenset({"", "0", "false", "off", "no"})
#: Shown where an analysis gives no value (a deprivation fifth with no practice).
NOT_AVAILABLE = "Not available"
#: The first year whose file publishes the COVID totals.
FIRST_COVID_YEAR = "2020/21"
#: The columns of the exclusions download (the analysis results give them as objects).
EXCLUSIONS_HEADER = (
    "reason_key",
    "reason",
    "practices",
    "registered_patients",
    "weighted_patients",
    "payments",
)
#: The tables offered as CSV, by the name in their URL: ``/funding/<name>.csv``.
CSV_TABLES = (
    "summary",
    "by-deprivation",
    "by-dispensing",
    "payment-lines",
    "exclusions",
    "chart-dispensing-split",
    "chart-dispensing-distribution",
    "chart-trend",
)
#: How each dispensing status (``Dispensing Practice`` in the payments file) is named.
DISPENSING_LABELS = {
    "Yes": "Dispensing practices",
    "No": "Non-dispensing practices",
    "Unknown": "Dispensing status unknown",
}
#: The same, as a column of a table headed "Dispensing status".
DISPENSING_STATUS_WORDS = {"Yes": "Dispensing", "No": "Non-dispensing", "Unknown": "Unknown"}
TOTAL_CHOICES: dict[Total, str] = {
    Total.core: "Core total: Total NHS Payments to General Practice",
    Total.incl_covid: "Including COVID payments",
    Total.incl_covid_pcn: "Including COVID and PCN payments",
}
#: How the page's sentences name each total.
TOTAL_WORDS: dict[Total, str] = {
    Total.core: "the core total",
    Total.incl_covid: "the total including COVID payments",
    Total.incl_covid_pcn: "the total including COVID and PCN payments",
}
THOUSAND = Decimal(1_000)
MILLION = Decimal(1_000_000)
BILLION = Decimal(1_000_000_000)


# --- the request's choices ----------------------------------------------------------------------


@dataclass(frozen=True)
class FundingQuery:
    """What the page is asked to show: a loaded year, a total, with or without prescribing."""

    year: str
    total: Total = Total.core
    exclude_prescribing: bool = False

    def query_string(self) -> str:
        """The URL query naming this choice (the default total and the checkbox left out)."""
        params = {"year": self.year}
        if self.total is not Total.core:
            params["total"] = self.total.value
        if self.exclude_prescribing:
            params["exclude_prescribing"] = "1"
        return urlencode(params)


@dataclass(frozen=True)
class FieldError:
    """A problem with one of the form's fields: the id of its control, and what to do."""

    field: str
    message: str


def read_funding_query(
    years: Sequence[str],
    year: str | None,
    total: str | None,
    exclude_prescribing: str | None,
) -> tuple[FundingQuery, tuple[FieldError, ...]]:
    """Read the page's query parameters against the loaded ``years`` (oldest first).

    Returns the choice to show in the form (the latest year where the given one is missing or
    wrong) and the problems found; the page shows figures only when there are none.
    """
    errors: list[FieldError] = []
    chosen = years[-1]
    if year is not None and year.strip():
        canonical = parse_year(year)
        if canonical is None:
            errors.append(
                FieldError(
                    "year",
                    f"‘{year.strip()}’ is not a financial year like 2022/23. "
                    f"Choose one of the loaded years: {list_in_words(years)}",
                )
            )
        elif canonical not in years:
            errors.append(
                FieldError(
                    "year",
                    f"There are no payments figures for {canonical}. "
                    f"Choose one of the loaded years: {list_in_words(years)}",
                )
            )
        else:
            chosen = canonical
    chosen_total = Total.core
    if total is not None and total.strip():
        try:
            chosen_total = Total(total.strip())
        except ValueError:
            errors.append(
                FieldError(
                    "total",
                    f"‘{total.strip()}’ is not a total. Choose "
                    + list_in_words([t.value for t in Total], last="or"),
                )
            )
    exclude = False
    if exclude_prescribing is not None:
        value = exclude_prescribing.strip().lower()
        if value in TRUE_VALUES:
            exclude = True
        elif value not in FALSE_VALUES:
            errors.append(
                FieldError(
                    "exclude_prescribing",
                    f"‘{exclude_prescribing.strip()}’ is not a choice: leave out prescribing "
                    "and dispensing payments with exclude_prescribing=1",
                )
            )
    return FundingQuery(chosen, chosen_total, exclude), tuple(errors)


def total_unavailable(year: str, reason: str) -> FieldError:
    """The problem of a total the year's file does not publish (the analysis says why)."""
    return FieldError("total", f"For {year}, {reason}. Choose another total or year.")


def query_status(errors: Sequence[FieldError]) -> int:
    """The page's HTTP status for these problems: 404 for a year with no figures, 400 for
    another malformed choice, 200 when the request itself was fine."""
    if any(e.field == "year" for e in errors):
        return HTTPStatus.NOT_FOUND
    if any(e.field in ("total", "exclude_prescribing") for e in errors):
        return HTTPStatus.BAD_REQUEST
    return HTTPStatus.OK


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


def exclusions_table(excluded: Sequence[Exclusion]) -> Table:
    """The practices an analysis left out, one row per reason (as in its JSON ``excluded``)."""
    return Table(
        EXCLUSIONS_HEADER,
        tuple(
            (
                e.key,
                e.reason,
                e.practices,
                round(e.registered_patients, PATIENT_PLACES),
                round(e.weighted_patients, PATIENT_PLACES),
                e.payments,
            )
            for e in excluded
        ),
    )


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


def csv_filename(name: str, query: FundingQuery) -> str:
    """``gpequity-funding-by-deprivation-2022-23-core.csv``: the table and the choice."""
    parts = ["gpequity-funding", name, query.year.replace("/", "-"), query.total.value]
    if query.exclude_prescribing:
        parts.append("excluding-prescribing")
    return "-".join(parts) + ".csv"


def csv_href(name: str, query: FundingQuery) -> str:
    return f"{FUNDING_PATH}/{name}.csv?{query.query_string()}"


# --- view objects -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option of a select."""

    value: str
    text: str
    selected: bool


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
class Cell:
    """One cell of a table: a row header (``th scope="row"``) or data, numeric or text."""

    text: str
    header: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class DataTable:
    """A table as the page shows it, with the link to its exact CSV."""

    id: str
    caption: str
    columns: list[Column]
    rows: list[list[Cell]]
    csv_href: str
    small: bool = False


@dataclass(frozen=True)
class SummaryItem:
    """One row of a summary list: a name, its value and, optionally, what it means."""

    key: str
    value: str
    explanation: str = ""


@dataclass(frozen=True)
class ChartView:
    """A chart: its heading, its reading in words, the inline SVG and its data as a table."""

    id: str
    heading: str
    reading: str
    svg: Markup
    table: DataTable | None


@dataclass(frozen=True)
class FundingResults:
    """Everything the page shows for one year."""

    year: str
    choice: str
    notes: list[str]
    summary_heading: str
    summary_sentences: list[str]
    summary_list: list[SummaryItem]
    dispensing_status_table: DataTable
    deprivation_missing: str | None
    deprivation_sentences: list[str]
    deprivation_table: DataTable | None
    measures: list[SummaryItem]
    split_chart: ChartView | None
    dispensing_sentences: list[str]
    distribution_chart: ChartView | None
    by_dispensing_table: DataTable | None
    lines_chart: ChartView | None
    lines_table: DataTable | None
    trend_chart: ChartView | None
    trend_sentences: list[str]
    exclusions_sentences: list[str]
    exclusions_table: DataTable | None
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


# --- the page's states --------------------------------------------------------------------------


def present_funding_without_payments(has_data: bool) -> FundingPage:
    """The page when there is no warehouse, or one without any payments file."""
    return FundingPage(
        title=PAGE_HEADING,
        heading=PAGE_HEADING,
        has_data=has_data,
        no_payments=has_data,
        form=None,
        errors=[],
        results=None,
        status_text="",
    )


def present_funding_problem(
    years: Sequence[str], query: FundingQuery, errors: Sequence[FieldError]
) -> FundingPage:
    """The page with the form and an error summary, and no figures."""
    return FundingPage(
        title=f"Error: {PAGE_HEADING}",
        heading=PAGE_HEADING,
        has_data=True,
        no_payments=False,
        form=present_form(years, query, errors),
        errors=list(errors),
        results=None,
        status_text="There is a problem: " + " ".join(e.message for e in errors),
        method=method_paragraphs(),
    )


def present_funding(years: Sequence[str], analysis: FundingAnalysis) -> FundingPage:
    """The page with the figures of one year."""
    query = analysis.query
    results = present_results(analysis)
    return FundingPage(
        title=f"{PAGE_HEADING}, {query.year}",
        heading=PAGE_HEADING,
        has_data=True,
        no_payments=False,
        form=present_form(years, query, ()),
        errors=[],
        results=results,
        status_text=f"Showing {query.year}: {results.choice}.",
        method=method_paragraphs(),
    )


def present_form(
    years: Sequence[str], query: FundingQuery, errors: Sequence[FieldError]
) -> FundingForm:
    messages = {e.field: e.message for e in errors}
    return FundingForm(
        action=FUNDING_PATH,
        years=[Option(y, y, y == query.year) for y in reversed(years)],
        totals=[Option(t.value, text, t is query.total) for t, text in TOTAL_CHOICES.items()],
        exclude_prescribing=query.exclude_prescribing,
        year_error=messages.get("year"),
        total_error=messages.get("total"),
        exclude_error=messages.get("exclude_prescribing"),
    )


def choice_words(query: FundingQuery) -> str:
    """``core total`` / ``total including COVID payments, less prescribing and dispensing``."""
    words = TOTAL_WORDS[query.total].removeprefix("the ")
    if query.exclude_prescribing:
        words += ", less prescribing and dispensing"
    return words


def present_results(analysis: FundingAnalysis) -> FundingResults:
    query = analysis.query
    charts = {name: present_chart(chart, query) for name, chart in funding_charts(analysis).items()}
    deprivation, by_dispensing = analysis.deprivation, analysis.by_dispensing
    notes = list(analysis.summary.notes)
    for result in (deprivation, analysis.trend):
        for note in result.notes if result is not None else ():
            if note not in notes:
                notes.append(note)
    return FundingResults(
        year=query.year,
        choice=choice_words(query),
        notes=notes,
        summary_heading=f"NHS payments to general practice in {query.year}",
        summary_sentences=summary_sentences(analysis.summary),
        summary_list=summary_list(analysis.summary),
        dispensing_status_table=dispensing_status_table(analysis.summary, query),
        deprivation_missing=analysis.deprivation_missing,
        deprivation_sentences=deprivation_sentences(deprivation, query) if deprivation else [],
        deprivation_table=deprivation_table(deprivation, query) if deprivation else None,
        measures=measures(deprivation) if deprivation else [],
        split_chart=charts.get("dispensing-split"),
        dispensing_sentences=dispensing_sentences(by_dispensing) if by_dispensing else [],
        distribution_chart=charts.get("dispensing-distribution"),
        by_dispensing_table=by_dispensing_table(by_dispensing, query) if by_dispensing else None,
        lines_chart=charts.get("payment-lines"),
        lines_table=lines_table(analysis.lines, query) if analysis.lines else None,
        trend_chart=charts.get("trend"),
        trend_sentences=trend_sentences(analysis.trend) if analysis.trend else [],
        exclusions_sentences=(
            exclusions_sentences(deprivation, by_dispensing) if deprivation else []
        ),
        exclusions_table=(
            exclusions_data_table(deprivation.excluded, query)
            if deprivation is not None and deprivation.excluded
            else None
        ),
        imd_sentence=imd_sentence(query.year, analysis.imd_methods),
    )


# --- the national summary -----------------------------------------------------------------------


def summary_sentences(summary: NationalSummary) -> list[str]:
    """The year's national figures in plain words."""
    year = summary.year
    sentences = [
        f"In {year}, {format_count(summary.practices)} practices received "
        f"{format_pounds_short(summary.total_payments)} in NHS payments to general practice "
        f"(the core total, “{TOTAL_LABELS[Total.core]}”), for "
        f"{format_people_short(summary.registered_patients)} registered patients "
        f"({format_people_short(summary.weighted_patients)} weighted patients)."
    ]
    covid, covid_pcn = summary.total_payments_incl_covid, summary.total_payments_incl_covid_pcn
    derived = " (derived: see how this is calculated)" if _derives_covid_pcn(summary) else ""
    if covid is not None and covid_pcn is not None:
        sentences.append(
            f"Including COVID payments the total was {format_pounds_short(covid)}, and "
            f"including COVID and PCN payments {format_pounds_short(covid_pcn)}{derived}."
        )
    elif covid is not None:
        sentences.append(f"Including COVID payments the total was {format_pounds_short(covid)}.")
    else:
        sentences.append(
            f"The {year} file publishes no COVID or PCN totals (they begin in {FIRST_COVID_YEAR})."
        )
    sentences.append(
        f"Of the core total, {format_pounds_short(summary.prescribing_dispensing_payments)} "
        "was for prescribing and dispensing (prescribing fees, dispensing fees and the "
        "reimbursement of drugs)."
    )
    dispensing = summary.by_dispensing_status.get("Yes")
    if dispensing is not None and dispensing.practices:
        sentences.append(
            f"The {format_count(dispensing.practices)} dispensing practices, with "
            f"{format_people_short(dispensing.registered_patients)} registered patients, "
            f"received {format_pounds_short(dispensing.total_payments)}, of which "
            f"{format_pounds_short(dispensing.prescribing_dispensing_payments)} was for "
            "prescribing and dispensing."
        )
    return sentences


def _derives_covid_pcn(summary: NationalSummary) -> bool:
    return DERIVED_INCL_COVID_PCN_NOTE.format(year=summary.year) in summary.notes


def summary_list(summary: NationalSummary) -> list[SummaryItem]:
    """The year's national figures in full (whole pounds and patients)."""

    def total(value: Decimal | None, derived: bool = False) -> str:
        if value is None:
            return f"Not published for {summary.year}"
        return format_pounds_whole(value) + (" (derived)" if derived else "")

    return [
        SummaryItem("Practices", format_count(summary.practices)),
        SummaryItem("Registered patients", format_people(summary.registered_patients)),
        SummaryItem("Weighted patients", format_people(summary.weighted_patients)),
        SummaryItem(TOTAL_LABELS[Total.core], total(summary.total_payments)),
        SummaryItem("Including COVID payments", total(summary.total_payments_incl_covid)),
        SummaryItem(
            "Including COVID and PCN payments",
            total(summary.total_payments_incl_covid_pcn, _derives_covid_pcn(summary)),
        ),
        SummaryItem("Minus deductions", total(summary.total_payments_minus_deductions)),
        SummaryItem(
            "Prescribing and dispensing payments",
            format_pounds_whole(summary.prescribing_dispensing_payments),
        ),
    ]


def dispensing_status_table(summary: NationalSummary, query: FundingQuery) -> DataTable:
    """All practices, then each dispensing status: the national summary's ``table()``."""
    rows = [
        [
            Cell("All practices", header=True),
            _num(format_count(summary.practices)),
            _num(format_people(summary.registered_patients)),
            _num(format_pounds_whole(summary.total_payments)),
            _num(format_pounds_whole(summary.prescribing_dispensing_payments)),
        ]
    ]
    rows.extend(
        [
            Cell(DISPENSING_LABELS.get(s.status, s.status), header=True),
            _num(format_count(s.practices)),
            _num(format_people(s.registered_patients)),
            _num(format_pounds_whole(s.total_payments)),
            _num(format_pounds_whole(s.prescribing_dispensing_payments)),
        ]
        for s in summary.by_dispensing_status.values()
    )
    return DataTable(
        id="summary",
        caption=f"Payments by dispensing status, {summary.year} (core total)",
        columns=[
            Column("Practices"),
            Column("Number of practices", numeric=True),
            Column("Registered patients", numeric=True),
            Column("Total payments", numeric=True),
            Column("Prescribing and dispensing payments", numeric=True),
        ],
        rows=rows,
        csv_href=csv_href("summary", query),
    )


# --- by deprivation -----------------------------------------------------------------------------


def _group_cells(group: DeprivationGroup) -> list[Cell]:
    return [
        _num(format_count(group.practices)),
        _num(format_people(group.registered_patients)),
        _num(format_people(group.weighted_patients)),
        _num(format_pounds_whole(group.payments)),
        _num(format_pounds(group.per_registered_patient)),
        _num(format_pounds(group.per_weighted_patient)),
    ]


GROUP_TABLE_COLUMNS = [
    Column("Number of practices", numeric=True),
    Column("Registered patients", numeric=True),
    Column("Weighted patients", numeric=True),
    Column("Payments", numeric=True),
    Column("Per registered patient", numeric=True),
    Column("Per weighted patient", numeric=True),
]


def deprivation_table(result: DeprivationResult, query: FundingQuery) -> DataTable:
    """Payments by deprivation fifth: ``payments_by_deprivation(...).table()``."""
    return DataTable(
        id="by-deprivation",
        caption=f"Payments by deprivation, {result.year} ({choice_words(query)})",
        columns=[Column("Deprivation fifth"), *GROUP_TABLE_COLUMNS],
        rows=[[Cell(g.label, header=True), *_group_cells(g)] for g in result.groups],
        csv_href=csv_href("by-deprivation", query),
    )


def deprivation_sentences(result: DeprivationResult, query: FundingQuery) -> list[str]:
    q1, q5 = result.group(1), result.group(QUINTILES)
    gap = result.gap_q1_minus_q5.get("all")
    return [
        f"Ranked by the deprivation of their patients, the least deprived fifth of practices, "
        f"Q1, received {format_pounds(q1.per_weighted_patient if q1 else None)} per weighted "
        f"patient and the most deprived fifth, Q{QUINTILES}, "
        f"{format_pounds(q5.per_weighted_patient if q5 else None)} "
        f"({choice_words(query)}): {gap_words(gap)}.",
        "Per-patient figures are ratios of sums: a fifth's payments divided by its patients.",
    ]


def gap_words(gap: float | None) -> str:
    """The Q1 - Q5 gap per weighted patient in words, by its sign."""
    if gap is None:
        return "no gap can be given, as a fifth has no practices"
    pence = round(gap, 2)
    if pence > 0:
        return (
            f"the least deprived fifth received {format_pounds(pence)} more per weighted "
            "patient than the most deprived"
        )
    if pence < 0:
        return (
            f"the most deprived fifth received {format_pounds(-pence)} more per weighted "
            "patient than the least deprived"
        )
    return "both received the same per weighted patient"


def measures(result: DeprivationResult) -> list[SummaryItem]:
    """The gap, the slope index and the concentration index, each with what its sign means."""
    gap = result.gap_q1_minus_q5.get("all")
    slope = result.slope_index.get("all")
    concentration = result.concentration_index.get("all")
    if slope is None:
        slope_meaning = "Not available: no practice could be ranked."
    elif slope < 0:
        slope_meaning = (
            "Negative: payments per weighted patient fall from the least to the most deprived "
            "practices, by this much across the whole range."
        )
    else:
        slope_meaning = (
            "Positive: payments per weighted patient rise from the least to the most deprived "
            "practices, by this much across the whole range."
        )
    if concentration is None:
        concentration_meaning = "Not available: no practice could be ranked."
    elif concentration > 0:
        concentration_meaning = (
            "Positive: money is concentrated in less deprived practices (0 would be the same "
            "share per weighted patient everywhere; the index runs from -1 to 1)."
        )
    elif concentration < 0:
        concentration_meaning = (
            "Negative: money is concentrated in more deprived practices (0 would be the same "
            "share per weighted patient everywhere; the index runs from -1 to 1)."
        )
    else:
        concentration_meaning = "Zero: the same share per weighted patient everywhere."
    return [
        SummaryItem(
            f"Gap, {rank_label(1)} minus {rank_label(QUINTILES)}",
            _per_weighted(gap),
            "Positive when the least deprived fifth receives more per weighted patient, "
            "negative when the most deprived fifth does.",
        ),
        SummaryItem("Slope index of inequality", _per_weighted(slope), slope_meaning),
        SummaryItem("Concentration index", format_index(concentration), concentration_meaning),
    ]


def _per_weighted(value: float | None) -> str:
    return NOT_AVAILABLE if value is None else f"{format_pounds(value)} per weighted patient"


# --- dispensing ---------------------------------------------------------------------------------


def dispensing_sentences(result: DeprivationResult) -> list[str]:
    """The gap among non-dispensing and among dispensing practices."""
    sentences = []
    for status, name in (("No", "non-dispensing"), ("Yes", "dispensing")):
        if status in result.gap_q1_minus_q5:
            sentences.append(
                f"Among {name} practices, {gap_words(result.gap_q1_minus_q5[status])}."
            )
    return sentences


def by_dispensing_table(result: DeprivationResult, query: FundingQuery) -> DataTable:
    """Dispensing status by deprivation fifth: ``payments_by_deprivation(by=dispensing)``."""
    return DataTable(
        id="by-dispensing",
        caption=f"Payments by dispensing status and deprivation, {result.year} "
        f"({choice_words(query)})",
        columns=[Column("Dispensing status"), Column("Deprivation fifth"), *GROUP_TABLE_COLUMNS],
        rows=[
            [
                Cell(DISPENSING_STATUS_WORDS.get(str(g.group), str(g.group)), header=True),
                Cell(g.label, header=True),
                *_group_cells(g),
            ]
            for g in result.groups
        ],
        csv_href=csv_href("by-dispensing", query),
        small=True,
    )


# --- payment lines ------------------------------------------------------------------------------


def lines_table(result: PaymentLinesResult, query: FundingQuery) -> DataTable:
    """Every payment line per weighted patient by fifth: ``payment_lines_by_deprivation``."""
    return DataTable(
        id="payment-lines",
        caption=f"Payment lines per weighted patient by deprivation, {result.year}",
        columns=[
            Column("Payment line"),
            Column("Payments", numeric=True),
            Column("England", numeric=True),
            *(Column(rank_label(q), numeric=True) for q in range(1, QUINTILES + 1)),
            Column(f"Q1 minus Q{QUINTILES}", numeric=True),
            Column("Favours"),
        ],
        rows=[
            [
                Cell(line.label, header=True),
                _num(format_pounds_whole(line.payments)),
                _num(format_pounds(line.per_weighted_patient)),
                *(_num(format_pounds(v)) for v in line.by_quintile),
                _num(format_pounds(line.gap_q1_minus_q5)),
                Cell(FAVOURS_WORDS.get(line.favours, line.favours)),
            ]
            for line in result.lines
        ],
        csv_href=csv_href("payment-lines", query),
        small=True,
    )


FAVOURS_WORDS = {
    "more deprived": "More deprived",
    "less deprived": "Less deprived",
    "neither": "Neither",
}


# --- year by year -------------------------------------------------------------------------------


def trend_sentences(trend: TrendResult) -> list[str]:
    sentences = ["Each year's practices are ranked by that year's IMD score."]
    if trend.skipped:
        sentences.append(
            "Left out: "
            + "; ".join(f"{s.year} ({s.reason})" for s in trend.skipped)
            + ". Choose the core total to see every year."
        )
    return sentences


# --- exclusions ---------------------------------------------------------------------------------


def exclusions_sentences(
    deprivation: DeprivationResult, by_dispensing: DeprivationResult | None
) -> list[str]:
    sentences = [
        "A practice that cannot be placed in a deprivation fifth or weighed by its patients is "
        "left out of the analysis by deprivation and counted here, under the first reason that "
        "applies, so these and the fifths together make up every practice in the year's file."
    ]
    unknown = next(
        (
            e
            for e in (by_dispensing.excluded if by_dispensing else ())
            if e.key.startswith("unknown")
        ),
        None,
    )
    if unknown is not None:
        sentences.append(
            f"The split by dispensing status also leaves out {format_count(unknown.practices)} "
            "practices whose dispensing status is unknown "
            f"({format_people(unknown.registered_patients)} registered patients, "
            f"{format_pounds_whole(unknown.payments)})."
        )
    return sentences


def exclusions_data_table(excluded: Sequence[Exclusion], query: FundingQuery) -> DataTable:
    return DataTable(
        id="exclusions",
        caption=f"Practices left out of the analysis by deprivation, {query.year}",
        columns=[
            Column("Reason"),
            Column("Number of practices", numeric=True),
            Column("Registered patients", numeric=True),
            Column("Payments", numeric=True),
        ],
        rows=[
            [
                Cell(sentence_case(e.reason), header=True),
                _num(format_count(e.practices)),
                _num(format_people(e.registered_patients)),
                _num(format_pounds_whole(e.payments)),
            ]
            for e in excluded
        ],
        csv_href=csv_href("exclusions", query),
    )


# --- charts -------------------------------------------------------------------------------------

_ChartColumn = tuple[str, Callable[[Any], str], bool]


def _text(value: Any) -> str:
    return NOT_AVAILABLE if value is None else str(value)


def _count(value: Any) -> str:
    return NOT_AVAILABLE if value is None else format_count(int(value))


def _percent(value: Any) -> str:
    return NOT_AVAILABLE if value is None else f"{value:.1f}%"


def _one_place(value: Any) -> str:
    return NOT_AVAILABLE if value is None else f"{value:.1f}"


def _chart_pounds(value: Any) -> str:
    return format_pounds(value)


#: How the columns of the charts' data (``Chart.header``) are named and formatted.
CHART_COLUMNS: dict[str, _ChartColumn] = {
    "quintile": ("Deprivation fifth", _text, False),
    "series": ("Practices", _text, False),
    "year": ("Financial year", _text, False),
    "payment_line": ("Payment line", _text, False),
    "practices": ("Number of practices", _count, True),
    "per_weighted_patient": ("Per weighted patient", _chart_pounds, True),
    "dispensing_practices": ("Dispensing practices", _count, True),
    "share_of_dispensing_pct": ("Share of all dispensing practices", _percent, True),
    "share_of_quintile_pct": ("Share of the fifth's practices", _percent, True),
    "index_national_100": ("Index (England = 100)", _one_place, True),
    "favours": ("Line favours", _text, False),
}
#: Charts whose data is a table of the page already, shown right after them: the payment
#: lines chart draws the largest lines of the payment lines table.
CHARTS_WITH_OWN_TABLE = frozenset({"payment-lines"})
#: Rendered charts kept in memory (an SVG is 10-60 kB; rendering one takes 0.1-1 s).
SVG_CACHE_SIZE = 64
#: How many leading columns of each chart's data name its row (row headers).
CHART_ROW_HEADERS = {
    "dispensing-split": 2,
    "dispensing-distribution": 1,
    "trend": 2,
    "payment-lines": 2,
}
#: The names ``id`` attributes in a rendered SVG may take (gradients of the heat map).
_SVG_ID = re.compile(r'\bid="([^"]+)"')


def present_chart(chart: Chart, query: FundingQuery) -> ChartView:
    """A chart as inline SVG (``role="img"``, its title and reading as the accessible name and
    description), with its data as a table unless the page shows that table right after it."""
    # Trusted markup: rendered by vl-convert from our spec, its text escaped there.
    svg = Markup(chart_svg(chart))
    if chart.name in CHARTS_WITH_OWN_TABLE:
        return ChartView(f"chart-{chart.name}", chart.title, chart.reading, svg, None)
    row_headers = CHART_ROW_HEADERS.get(chart.name, 1)
    columns = [CHART_COLUMNS.get(key, (key, _text, False)) for key in chart.header]
    table = DataTable(
        id=f"chart-{chart.name}-data",
        caption=f"Data of the chart: {chart.title}, {query.year}",
        columns=[Column(label, numeric) for label, _, numeric in columns],
        rows=[
            [
                Cell(fmt(value), header=i < row_headers, numeric=numeric and i >= row_headers)
                for i, (value, (_, fmt, numeric)) in enumerate(zip(row, columns, strict=True))
            ]
            for row in chart.rows
        ],
        csv_href=csv_href(f"chart-{chart.name}", query),
        small=True,
    )
    return ChartView(
        id=f"chart-{chart.name}",
        heading=chart.title,
        reading=chart.reading,
        svg=svg,
        table=table,
    )


def chart_svg(chart: Chart) -> str:
    """The chart's SVG (:func:`gpequity.charts.render_svg`), its ``id``s prefixed by its name;
    the same chart is rendered once while it stays in the cache."""
    try:
        spec = json.dumps(chart.spec, sort_keys=True)
    except TypeError:  # a value JSON cannot hold: render it uncached
        return prefix_svg_ids(render_svg(chart), f"chart-{chart.name}")
    return _cached_svg(chart.name, chart.title, chart.reading, spec)


@functools.lru_cache(maxsize=SVG_CACHE_SIZE)
def _cached_svg(name: str, title: str, reading: str, spec: str) -> str:
    chart = Chart(name, title, reading, json.loads(spec), (), ())
    return prefix_svg_ids(render_svg(chart), f"chart-{name}")


def prefix_svg_ids(svg: str, prefix: str) -> str:
    """Make the ``id``s of an SVG unique on a page that inlines several charts."""
    for name in sorted(set(_SVG_ID.findall(svg))):
        new = f"{prefix}-{name}"
        svg = (
            svg.replace(f'id="{name}"', f'id="{new}"')
            .replace(f"url(#{name})", f"url(#{new})")
            .replace(f'href="#{name}"', f'href="#{new}"')
        )
    return svg


# --- how this is calculated ---------------------------------------------------------------------


def imd_sentence(year: str, methods: Sequence[str]) -> str:
    """How the practice IMD scores of ``year`` were derived (``practice_imd_year.method``)."""
    if not methods:
        return f"No practice IMD score is recorded for {year}."
    return f"For {year}, the practice IMD scores are {list_in_words(methods)}."


def method_paragraphs() -> list[str]:
    """The page's "How this is calculated" section, from the analysis's own statements."""
    return [
        "The figures are those of the NHS Payments to General Practice files (NHS England, "
        "formerly NHS Digital): one row per practice, each payment line and the published "
        "totals. The national summary counts every practice in the year's file.",
        PER_PATIENT_METHOD,
        QUINTILE_METHOD
        + " A practice's score is the average IMD score of its registered population (OHID "
        "Fingertips indicator 93553). Between the IMD releases (2010, 2015, 2019) it is "
        "interpolated linearly between the two surrounding releases; after the latest release "
        "it is carried forward, and before the earliest carried back.",
        "The gap is Q1 (least deprived) minus Q5 (most deprived), in pounds per weighted "
        "patient: positive when the least deprived receive more.",
        SLOPE_METHOD,
        CONCENTRATION_METHOD,
        "Totals: the core total is “Total NHS Payments to General Practice”; the totals "
        "including COVID payments, and including COVID and PCN payments, are published from "
        f"{FIRST_COVID_YEAR}. " + DERIVED_INCL_COVID_PCN_NOTE.format(year=FIRST_COVID_YEAR),
        "You can leave out prescribing and dispensing payments. "
        + EXCLUDE_PRESCRIBING_NOTE
        + " Dispensing "
        "practices, mostly rural and less deprived, receive these payments for the medicines "
        "they dispense, which inflates their totals.",
        "Practices left out: a practice with no IMD score for the year, or with no registered "
        "or no weighted patients, cannot be placed or weighed; in the split by dispensing "
        "status, so can a practice whose status is unknown. Each is counted under the first "
        "reason that applies.",
    ]


# --- formats ------------------------------------------------------------------------------------


def _num(text: str) -> Cell:
    return Cell(text, numeric=True)


def format_count(n: int) -> str:
    """A count with thousands separators: ``6,669``."""
    return f"{n:,}"


def format_people(n: float) -> str:
    """Patients to the whole person (the files give averages over quarters): ``62,134,645``."""
    whole = Decimal(repr(n)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole:,}"


def format_people_short(n: float) -> str:
    """``62.1 million``, or the whole number under a million."""
    if abs(n) >= MILLION:
        return f"{_one_decimal(Decimal(repr(n)) / MILLION)} million"
    return format_people(n)


def format_pounds(value: float | Decimal | None) -> str:
    """Pounds and pence: ``£170.74``, ``-£3.25``; ``Not available`` for no value."""
    if value is None:
        return NOT_AVAILABLE
    amount = Decimal(repr(value) if isinstance(value, float) else value).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,}"


def format_pounds_whole(value: Decimal) -> str:
    """Whole pounds: ``£10,230,094,804`` (the CSV downloads keep the pence)."""
    amount = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,}"


def format_pounds_short(value: Decimal) -> str:
    """A large sum for a sentence: ``£10.2bn``, ``£870.3m``, ``£12.5k``, ``£950``."""
    sign = "-" if value < 0 else ""
    size = abs(value)
    if size >= BILLION:
        return f"{sign}£{_one_decimal(size / BILLION)}bn"
    if size >= MILLION:
        return f"{sign}£{_one_decimal(size / MILLION)}m"
    if size >= THOUSAND:
        return f"{sign}£{_one_decimal(size / THOUSAND)}k"
    return f"{sign}£{size.quantize(Decimal(1), rounding=ROUND_HALF_UP)}"


def _one_decimal(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def format_index(value: float | None) -> str:
    """A concentration index to four places: ``0.0235``."""
    return NOT_AVAILABLE if value is None else f"{value:.4f}"


def list_in_words(items: Sequence[str], last: str = "or") -> str:
    """``2020/21, 2021/22 or 2022/23``."""
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def sentence_case(text: str) -> str:
    """The text with its first letter in capitals."""
    return text[:1].upper() + text[1:]
