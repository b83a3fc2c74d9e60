"""The page's figures in sentences and tables: the national summary, by deprivation, by
dispensing status, the payment lines, year by year and the practices left out."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from gpequity.analysis.payment_results import (
    ALL,
    PENCE_PLACES,
    QUINTILES,
    TOTAL_LABELS,
    DeprivationGroup,
    DeprivationResult,
    Exclusion,
    NationalSummary,
    PaymentLinesResult,
    Total,
    TrendResult,
    rank_label,
)
from gpequity.analysis.payments import DERIVED_INCL_COVID_PCN_NOTE
from gpequity.formats import (
    INDEX_PLACES,
    NOT_AVAILABLE,
    compare_word,
    format_count,
    format_index,
    format_people,
    format_people_short,
    format_pounds,
    format_pounds_short,
    format_pounds_whole,
    format_with_interval,
    sentence_case,
    sign_as_written,
)
from gpequity.intervals import MEANING as INTERVAL_MEANING
from gpequity.intervals import Interval
from gpequity.web.funding.query import FundingQuery, choice_words, csv_href
from gpequity.web.views import Cell, Column, SummaryItem, TableView, figure_columns

#: The first year whose file publishes the COVID totals.
FIRST_COVID_YEAR = "2020/21"
#: How each dispensing status (``Dispensing Practice`` in the payments file) is named.
DISPENSING_LABELS = {
    "Yes": "Dispensing practices",
    "No": "Non-dispensing practices",
    "Unknown": "Dispensing status unknown",
}
#: The same, as a column of a table headed "Dispensing status".
DISPENSING_STATUS_WORDS = {"Yes": "Dispensing", "No": "Non-dispensing", "Unknown": "Unknown"}


def _num(text: str) -> Cell:
    return Cell(text, numeric=True)


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


def dispensing_status_table(summary: NationalSummary, query: FundingQuery) -> TableView:
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
    return TableView(
        id="summary",
        caption=f"Payments by dispensing status, {summary.year} (core total)",
        columns=figure_columns(
            "Practices",
            "Number of practices",
            "Registered patients",
            "Total payments",
            "Prescribing and dispensing payments",
        ),
        rows=tuple(tuple(row) for row in rows),
        csv_href=csv_href("summary", query),
    )


# --- by deprivation -----------------------------------------------------------------------------


def _group_cells(group: DeprivationGroup, result: DeprivationResult) -> list[Cell]:
    return [
        _num(format_count(group.practices)),
        _num(format_people(group.registered_patients)),
        _num(format_people(group.weighted_patients)),
        _num(format_pounds_whole(group.payments)),
        _num(format_pounds(group.per_registered_patient)),
        _num(
            format_with_interval(
                group.per_weighted_patient,
                result.group_interval(group),
                level=result.interval_settings.level,
            )
        ),
    ]


#: The figures of a group of practices, after the column(s) naming the group.
GROUP_TABLE_FIGURES = (
    "Number of practices",
    "Registered patients",
    "Weighted patients",
    "Payments",
    "Per registered patient",
    "Per weighted patient (95% confidence interval)",
)


def deprivation_table(result: DeprivationResult, query: FundingQuery) -> TableView:
    """Payments by deprivation fifth: ``payments_by_deprivation(...).table()``."""
    return TableView(
        id="by-deprivation",
        caption=f"Payments by deprivation, {result.year} ({choice_words(query)})",
        columns=figure_columns("Deprivation fifth", *GROUP_TABLE_FIGURES),
        rows=tuple((Cell(g.label, header=True), *_group_cells(g, result)) for g in result.groups),
        csv_href=csv_href("by-deprivation", query),
    )


def deprivation_sentences(result: DeprivationResult, query: FundingQuery) -> list[str]:
    q1, q5 = result.group(1), result.group(QUINTILES)
    gap = result.gap_q1_minus_q5.get("all")
    return [
        f"Ranked by the deprivation of their patients, the least deprived fifth of practices, "
        f"Q1, received {_with_interval(result, q1)} per weighted "
        f"patient and the most deprived fifth, Q{QUINTILES}, "
        f"{_with_interval(result, q5)} "
        f"({choice_words(query)}): {gap_words(gap, result.interval_of(ALL).gap)}.",
        "Per-patient figures are ratios of sums: a fifth's payments divided by its patients.",
        INTERVAL_MEANING,
    ]


def _with_interval(result: DeprivationResult, group: DeprivationGroup | None) -> str:
    """A group's money per weighted patient and its confidence interval."""
    if group is None:
        return format_pounds(None)
    return format_with_interval(
        group.per_weighted_patient,
        result.group_interval(group),
        level=result.interval_settings.level,
    )


def gap_words(gap: float | None, interval: Interval | None = None) -> str:
    """The Q1 - Q5 gap per weighted patient in words, by the sign of the pence shown, and its
    confidence interval (of Q1 minus Q5, signed) when there is one."""
    if gap is None:
        return "no gap can be given, as a fifth has no practices"
    said = "both received the same per weighted patient"
    if compare_word(gap) != "the same":
        first, second = ("least", "most") if gap > 0 else ("most", "least")
        said = (
            f"the {first} deprived fifth received {format_pounds(abs(gap))} more per weighted "
            f"patient than the {second} deprived"
        )
    if interval is None:
        return said
    return f"{said} (95% CI of Q1 minus Q5 {_interval_words(interval)})"


def _interval_words(interval: Interval) -> str:
    return f"{format_pounds(interval.lower)} to {format_pounds(interval.upper)}"


#: What the sign of the slope index, as written to the penny, means.
SLOPE_MEANINGS = {
    -1: "Negative: payments per weighted patient rise from the least to the most deprived "
    "practices, by this much across the whole range (positive, like the gap, when the least "
    "deprived receive more).",
    0: "Zero: payments per weighted patient are the same from the least to the most deprived "
    "practices.",
    1: "Positive: payments per weighted patient fall from the least to the most deprived "
    "practices, by this much across the whole range (positive, like the gap, when the least "
    "deprived receive more).",
}
#: What the sign of the concentration index, as written, means.
CONCENTRATION_MEANINGS = {
    -1: "Negative: money is concentrated in more deprived practices (0 would be the same "
    "share per weighted patient everywhere; the index runs from -1 to 1).",
    0: "Zero: the same share per weighted patient everywhere.",
    1: "Positive: money is concentrated in less deprived practices (0 would be the same "
    "share per weighted patient everywhere; the index runs from -1 to 1).",
}
UNRANKED = f"{NOT_AVAILABLE}: no practice could be ranked."


def measures(result: DeprivationResult) -> list[SummaryItem]:
    """The gap, the slope index and the concentration index, each with what its sign means."""
    gap = result.gap_q1_minus_q5.get("all")
    slope = result.slope_index.get("all")
    concentration = result.concentration_index.get("all")
    slope_meaning = (
        UNRANKED if slope is None else SLOPE_MEANINGS[sign_as_written(slope, PENCE_PLACES)]
    )
    concentration_meaning = (
        UNRANKED
        if concentration is None
        else CONCENTRATION_MEANINGS[sign_as_written(concentration, INDEX_PLACES)]
    )
    found, level = result.interval_of(ALL), result.interval_settings.level
    return [
        SummaryItem(
            f"Gap, {rank_label(1)} minus {rank_label(QUINTILES)}",
            _per_weighted(gap, found.gap, level),
            "Positive when the least deprived fifth receives more per weighted patient, "
            "negative when the most deprived fifth does.",
        ),
        SummaryItem(
            "Slope index of inequality",
            _per_weighted(slope, found.slope_index, level),
            slope_meaning,
        ),
        SummaryItem(
            "Concentration index",
            format_with_interval(
                concentration, found.concentration_index, format_index, level=level
            ),
            concentration_meaning,
        ),
    ]


def _per_weighted(value: float | None, interval: Interval | None, level: float) -> str:
    if value is None:
        return NOT_AVAILABLE
    return f"{format_with_interval(value, interval, level=level)} per weighted patient"


# --- dispensing ---------------------------------------------------------------------------------


def dispensing_sentences(result: DeprivationResult) -> list[str]:
    """The gap among non-dispensing and among dispensing practices."""
    sentences = []
    for status, name in (("No", "non-dispensing"), ("Yes", "dispensing")):
        if status in result.gap_q1_minus_q5:
            interval = result.interval_of(status).gap
            sentences.append(
                f"Among {name} practices, {gap_words(result.gap_q1_minus_q5[status], interval)}."
            )
    return sentences


def by_dispensing_table(result: DeprivationResult, query: FundingQuery) -> TableView:
    """Dispensing status by deprivation fifth: ``payments_by_deprivation(by=dispensing)``."""
    return TableView(
        id="by-dispensing",
        caption=f"Payments by dispensing status and deprivation, {result.year} "
        f"({choice_words(query)})",
        columns=(
            Column("Dispensing status"),
            *figure_columns("Deprivation fifth", *GROUP_TABLE_FIGURES),
        ),
        rows=tuple(
            (
                Cell(DISPENSING_STATUS_WORDS.get(str(g.group), str(g.group)), header=True),
                Cell(g.label, header=True),
                *_group_cells(g, result),
            )
            for g in result.groups
        ),
        csv_href=csv_href("by-dispensing", query),
        small=True,
    )


# --- payment lines ------------------------------------------------------------------------------


def lines_table(result: PaymentLinesResult, query: FundingQuery) -> TableView:
    """Every payment line per weighted patient by fifth: ``payment_lines_by_deprivation``."""
    return TableView(
        id="payment-lines",
        caption=f"Payment lines per weighted patient by deprivation, {result.year}",
        columns=(
            Column("Payment line"),
            Column("Payments", numeric=True),
            Column("England", numeric=True),
            *(Column(rank_label(q), numeric=True) for q in range(1, QUINTILES + 1)),
            Column(f"Q1 minus Q{QUINTILES}", numeric=True),
            Column("Favours"),
        ),
        rows=tuple(
            (
                Cell(line.label, header=True),
                _num(format_pounds_whole(line.payments)),
                _num(format_pounds(line.per_weighted_patient)),
                *(_num(format_pounds(v)) for v in line.by_quintile),
                _num(format_pounds(line.gap_q1_minus_q5)),
                Cell(FAVOURS_WORDS.get(line.favours, line.favours)),
            )
            for line in result.lines
        ),
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


def exclusions_data_table(excluded: Sequence[Exclusion], query: FundingQuery) -> TableView:
    return TableView(
        id="exclusions",
        caption=f"Practices left out of the analysis by deprivation, {query.year}",
        columns=figure_columns("Reason", "Number of practices", "Registered patients", "Payments"),
        rows=tuple(
            (
                Cell(sentence_case(e.reason), header=True),
                _num(format_count(e.practices)),
                _num(format_people(e.registered_patients)),
                _num(format_pounds_whole(e.payments)),
            )
            for e in excluded
        ),
        csv_href=csv_href("exclusions", query),
    )
