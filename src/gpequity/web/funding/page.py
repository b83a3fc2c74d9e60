"""The page in each of its states, and its "How this is calculated" section."""

from __future__ import annotations

from collections.abc import Sequence

from gpequity.analysis.payment_results import (
    CONCENTRATION_METHOD,
    PER_PATIENT_METHOD,
    QUINTILE_METHOD,
    SLOPE_METHOD,
    Total,
)
from gpequity.analysis.payments import DERIVED_INCL_COVID_PCN_NOTE, EXCLUDE_PRESCRIBING_NOTE
from gpequity.formats import list_in_words
from gpequity.web.funding.charts import present_chart
from gpequity.web.funding.query import FUNDING_PATH, FieldError, FundingQuery, choice_words
from gpequity.web.funding.results import FundingAnalysis, funding_charts
from gpequity.web.funding.sections import (
    FIRST_COVID_YEAR,
    by_dispensing_table,
    deprivation_sentences,
    deprivation_table,
    dispensing_sentences,
    dispensing_status_table,
    exclusions_data_table,
    exclusions_sentences,
    lines_table,
    measures,
    summary_list,
    summary_sentences,
    trend_sentences,
)
from gpequity.web.funding.views import FundingForm, FundingPage, FundingResults
from gpequity.web.views import Option

PAGE_HEADING = "Funding and deprivation"
TOTAL_CHOICES: dict[Total, str] = {
    Total.core: "Core total: Total NHS Payments to General Practice",
    Total.incl_covid: "Including COVID payments",
    Total.incl_covid_pcn: "Including COVID and PCN payments",
}


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
