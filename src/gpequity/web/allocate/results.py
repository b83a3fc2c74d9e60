"""The allocation page (``/allocate``): the form, and one scenario's results.

The route (``routes/allocate.py``) reads the request and the warehouse; this module turns the
engine's results (``ScenarioOutcome.result``) and the figures derived from them
(:mod:`gpequity.allocation.measures`) into the page's views: every label, sentence, format,
table and chart. It computes nothing: it formats, orders and selects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypeAlias
from urllib.parse import urlencode

from gpequity.allocation import AllocationResult, Baseline, Method, Unit
from gpequity.allocation.catalogue import POPULATION_ID, IndicatorEntry
from gpequity.allocation.icbs import IcbEntry
from gpequity.allocation.scenario import ScenarioOutcome
from gpequity.charts import Chart, allocation_chart, format_indicator_value
from gpequity.formats import (
    INDEX_PLACES,
    NOT_AVAILABLE,
    format_change,
    format_index,
    format_people,
    format_per_patient,
    format_pounds,
    format_share,
    sign_as_written,
)
from gpequity.web.allocate.common import (
    ALLOCATE_PATH,
    BASELINE_CHOICES,
    DOWNLOAD_PATH,
    METHOD_PATH,
    METHOD_WORDS,
    MISSING_CHOICES,
    PAGE_HEADING,
    SENSITIVITY_PATH,
    WORKED_EXAMPLE_ANCHOR,
    ToolPage,
    chart_svg,
    component_columns,
    describe_components,
    present_page,
    present_without_data,
    quintile_sentence,
    result_heading,
)
from gpequity.web.allocate.fields import MethodFields, SharedFields, method_fields, shared_fields
from gpequity.web.allocate.form import (
    ComponentInput,
    ScenarioInput,
    compare_href,
    without_uploads,
)
from gpequity.web.allocate.formatting import count, sort_text
from gpequity.web.allocate.upload import UploadState, UploadView, present_upload, upload_fields
from gpequity.web.views import (
    Cell,
    ChartView,
    Column,
    FieldError,
    Link,
    SortChoice,
    SummaryItem,
    TableView,
    errors_by_field,
    sort_table_rows,
    sortable_columns,
)

#: Columns of the results table that can be sorted, by their ``sort`` value.
SORT_KEYS = (
    "practice",
    "pcn",
    "imd",
    "population",
    "c1",
    "c2",
    "c3",
    "allocation",
    "per_patient",
    "baseline",
    "difference",
)


@dataclass(frozen=True)
class ResultsView:
    """Everything the results part of the page shows."""

    heading: str
    sentences: tuple[str, ...]
    inputs: tuple[SummaryItem, ...]
    practices: TableView
    quintiles: TableView
    quintile_sentence: str | None
    pcns: TableView
    chart: ChartView | None
    excluded: TableView | None
    excluded_sentence: str
    method: tuple[str, ...]
    method_href: str
    csv_href: str | None
    xlsx_href: str | None
    share_url: str | None
    explore: tuple[Link, ...]
    uploaded: bool
    table_note: str
    hidden: tuple[tuple[str, str], ...]
    #: Defects of the ICB's input files found while loading them (the eFIT files' strays).
    data_warnings: tuple[str, ...] = ()


def index_sentence(index: float | None) -> str:
    """The concentration index and which way it leans, in words that agree with the figure."""
    if index is None:
        return "The concentration index cannot be worked out (too few practices with an IMD score)."
    # The words follow the figure as written: an index that reads 0.0000 is 0.
    sign = sign_as_written(index, INDEX_PLACES)
    if sign < 0:
        lean = "negative: the money goes more to the practices in more deprived areas"
    elif sign > 0:
        lean = "positive: the money goes more to the practices in less deprived areas"
    else:
        lean = "0: money per patient does not vary with deprivation"
    return f"Concentration index of the money per patient: {format_index(index)} ({lean})."


def practices_table(
    outcome: ScenarioOutcome, sort: SortChoice, href: Callable[[SortChoice], str] | None
) -> TableView:
    """One row per practice: the engine's figures, in the chosen order."""
    result = outcome.result
    shown = component_columns(result)
    columns = [
        Column("Practice", key="practice"),
        Column("PCN", key="pcn"),
        Column("IMD quintile (score)", key="imd"),
        Column("Target population", numeric=True, key="population"),
    ]
    for number, (_, name, _) in enumerate(shown, start=1):
        columns.append(Column(name, numeric=True, key=f"c{number}"))
    columns += [
        Column("Allocation", numeric=True, key="allocation"),
        Column("Per patient", numeric=True, key="per_patient"),
        Column("Baseline", numeric=True, key="baseline"),
        Column("Difference", numeric=True, key="difference"),
    ]
    rows: list[tuple[Cell, ...]] = []
    for p in result.practices:
        cells = [
            Cell(p.name, header=True, sort_value=f"{p.name} {p.code}", secondary=p.code),
            Cell(p.pcn_name or "No PCN", sort_value=p.pcn_name or ""),
            Cell(
                NOT_AVAILABLE
                if p.imd_score is None
                else f"Q{p.imd_quintile} ({format_indicator_value(p.imd_score, Unit.SCORE)})",
                sort_value=sort_text(p.imd_score),
            ),
            Cell(
                format_people(p.target_population),
                numeric=True,
                sort_value=sort_text(p.target_population),
            ),
        ]
        for index, _, unit in shown:
            cell = p.components[index]
            note = None
            if cell.imputed:
                note = "imputed"
            elif cell.excluded:
                note = "no share"
            cells.append(
                Cell(
                    format_indicator_value(cell.value, unit),
                    numeric=True,
                    sort_value=sort_text(cell.value),
                    note=note,
                )
            )
        cells += [
            Cell(format_pounds(p.allocation), numeric=True, sort_value=sort_text(p.allocation)),
            Cell(
                format_per_patient(p.allocation_per_patient),
                numeric=True,
                sort_value=sort_text(p.allocation_per_patient),
            ),
            Cell(format_pounds(p.baseline), numeric=True, sort_value=sort_text(p.baseline)),
            Cell(format_change(p.difference), numeric=True, sort_value=sort_text(p.difference)),
        ]
        rows.append(tuple(cells))
    rows = sort_table_rows(rows, columns, sort)
    amount = result.request.amount
    blanks = [Cell("", numeric=True) for _ in range(len(columns) - 7)]
    foot = (
        Cell(f"All {count(len(result.practices), 'practice', 'practices')}", header=True),
        *blanks,
        Cell("", numeric=True),
        Cell("", numeric=True),
        Cell(format_pounds(amount), numeric=True),
        Cell("", numeric=True),
        Cell(format_pounds(amount), numeric=True),
        Cell(format_change(Decimal(0)), numeric=True),
    )
    return TableView(
        id="allocation-table",
        caption="Allocation by practice",
        columns=sortable_columns(columns, sort, href) if href else tuple(columns),
        rows=tuple(rows),
        foot=foot,
        sortable=href is not None,
        small=True,
    )


def quintiles_table(result: AllocationResult, table_id: str = "quintile-table") -> TableView:
    rows = tuple(
        (
            Cell(q.label, header=True),
            Cell(f"{q.practices:,}", numeric=True),
            Cell(format_people(q.target_population), numeric=True),
            Cell(format_share(q.population_share), numeric=True),
            Cell(format_share(q.money_share), numeric=True),
            Cell(format_pounds(q.allocation), numeric=True),
            Cell(format_per_patient(q.allocation_per_patient), numeric=True),
        )
        for q in result.quintiles
    )
    return TableView(
        id=table_id,
        caption="By IMD quintile (national fifths): share of the money against share of patients",
        columns=(
            Column("IMD quintile"),
            Column("Practices", numeric=True),
            Column("Target population", numeric=True),
            Column("Share of patients", numeric=True),
            Column("Share of money", numeric=True),
            Column("Money", numeric=True),
            Column("Per patient", numeric=True),
        ),
        rows=rows,
    )


def pcns_table(result: AllocationResult) -> TableView:
    rows = tuple(
        (
            Cell(s.pcn_name or "No PCN", header=True, secondary=s.pcn_code),
            Cell(f"{s.practices:,}", numeric=True),
            Cell(format_people(s.target_population), numeric=True),
            Cell(format_pounds(s.allocation), numeric=True),
            Cell(format_pounds(s.baseline), numeric=True),
            Cell(format_change(s.difference), numeric=True),
        )
        for s in result.pcns
    )
    return TableView(
        id="pcn-table",
        caption="By primary care network (PCN)",
        columns=(
            Column("PCN"),
            Column("Practices", numeric=True),
            Column("Target population", numeric=True),
            Column("Allocation", numeric=True),
            Column("Baseline", numeric=True),
            Column("Difference", numeric=True),
        ),
        rows=rows,
        small=True,
    )


def excluded_table(result: AllocationResult) -> TableView | None:
    if not result.excluded:
        return None
    return TableView(
        id="excluded-table",
        caption="Practices given nothing, and why",
        columns=(Column("Practice"), Column("Reason")),
        rows=tuple(
            (Cell(e.name, header=True, secondary=e.code), Cell(e.reason)) for e in result.excluded
        ),
        small=True,
    )


def chart_view(chart: Chart) -> ChartView:
    table = TableView(
        id=f"{chart.name}-data",
        caption=f"{chart.title}: the data",
        columns=(
            Column("Practice"),
            Column("IMD score", numeric=True),
            Column("Allocation per patient", numeric=True),
            Column("Baseline per patient", numeric=True),
        ),
        rows=tuple(
            (
                Cell(str(name), header=True, secondary=str(code)),
                Cell(format_indicator_value(score, Unit.SCORE), numeric=True),
                Cell(format_per_patient(Decimal(str(per))), numeric=True),
                Cell(
                    format_per_patient(None if base is None else Decimal(str(base))),
                    numeric=True,
                ),
            )
            for code, name, score, per, base in chart.rows
        ),
        small=True,
    )
    return ChartView(chart.name, chart.title, chart.reading, chart_svg(chart), table)


def present_results(
    outcome: ScenarioOutcome,
    inp: ScenarioInput,
    sort: SortChoice,
    *,
    base_url: str,
    upload: UploadState | None = None,
    data_warnings: Sequence[str] = (),
) -> ResultsView:
    """The results of one scenario: sentences, tables, chart, method, downloads and links.

    ``base_url`` (``http://host:port``) makes the link to the scenario absolute, for pasting.
    With ``uploaded`` (the scenario uses the user's file, which is not kept) the page offers
    no link, and the downloads are forms that send the file's values again.
    """
    result = outcome.result
    query = inp.query_items()
    uploaded = upload is not None

    def href(choice: SortChoice) -> str:
        return f"{ALLOCATE_PATH}?{urlencode(query + choice.items())}#allocation-table"

    scenario = outcome.scenario
    sentences = [
        f"Shared across {count(len(result.practices), 'practice', 'practices')} of "
        f"{outcome.icb.code} by {METHOD_WORDS[Method(scenario.method)]}, for "
        f"{scenario.target.describe()}: {describe_components(result)}.",
        index_sentence(result.concentration_index),
    ]
    quintiles_said = quintile_sentence(result.quintiles)
    if result.excluded:
        excluded_sentence = (
            f"{count(len(result.excluded), 'practice gets', 'practices get')} nothing; the "
            "reasons are below."
        )
    else:
        excluded_sentence = "Every practice of the ICB shares the money."
    inputs = (
        SummaryItem("ICB", f"{outcome.icb.name} ({outcome.icb.code})"),
        SummaryItem("Amount", format_pounds(result.request.amount)),
        SummaryItem("Method", result.method_label),
        SummaryItem("Components", describe_components(result)),
        SummaryItem("Target population", scenario.target.describe()),
        SummaryItem("Population data", outcome.population_source),
        SummaryItem(
            "Missing values",
            next(
                label
                for _, policy, label, _ in MISSING_CHOICES
                if policy == scenario.missing_policy
            ),
        ),
        SummaryItem(
            "Baseline",
            next(label for _, b, label in BASELINE_CHOICES if b == scenario.baseline),
        ),
        SummaryItem(
            "Practices left out at your request",
            ", ".join(sorted(scenario.excluded_practices)) or "None",
        ),
    )
    chart = allocation_chart(outcome)
    baseline_words = (
        "by weighted list" if scenario.baseline == Baseline.WEIGHTED_POPULATION else "per head"
    )
    explore: list[Link] = []
    if not uploaded:
        other = Method.EFIT_CLASSIC if scenario.method == Method.RECOMMENDED else Method.RECOMMENDED
        explore.append(
            Link(
                f"Compare with the same choices under {METHOD_WORDS[other]}",
                compare_href(inp, replace(inp, method=other.value)),
            )
        )
        per_head = replace(
            inp,
            method=Method.RECOMMENDED.value,
            components=(ComponentInput(POPULATION_ID, "100"), ComponentInput(), ComponentInput()),
        )
        explore.append(Link("Compare with a plain per-head split", compare_href(inp, per_head)))
        explore.append(
            Link(
                "See how each quintile's share moves with the deprivation weight",
                f"{SENSITIVITY_PATH}?{urlencode(query)}",
            )
        )
    plain_query = urlencode(query)
    return ResultsView(
        heading=result_heading(outcome),
        sentences=tuple(sentences),
        inputs=inputs,
        practices=practices_table(outcome, sort, href),
        quintiles=quintiles_table(result),
        quintile_sentence=quintiles_said,
        pcns=pcns_table(result),
        chart=None if chart is None else chart_view(chart),
        excluded=excluded_table(result),
        excluded_sentence=excluded_sentence,
        method=result.description,
        method_href=f"{METHOD_PATH}#{WORKED_EXAMPLE_ANCHOR}",
        csv_href=None if uploaded else f"{DOWNLOAD_PATH}.csv?{plain_query}",
        xlsx_href=None if uploaded else f"{DOWNLOAD_PATH}.xlsx?{plain_query}",
        share_url=None if uploaded else f"{base_url}{ALLOCATE_PATH}?{plain_query}",
        explore=tuple(explore),
        uploaded=uploaded,
        table_note=(
            "Select a column heading to sort by it. 'Imputed' marks a missing value replaced by "
            "the median of the ICB's practices; 'no share' a practice left out of that "
            f"component. The baseline is the plain split {baseline_words}; the difference is "
            "the allocation minus the baseline."
        ),
        hidden=tuple(query) + upload_fields(upload),
        data_warnings=tuple(data_warnings),
    )


def download_filename(outcome: ScenarioOutcome, extension: str) -> str:
    """``allocation-QHM-250000.00-recommended.csv``: what, where and how much."""
    method = Method(outcome.scenario.method).value
    amount = f"{outcome.result.request.amount:.2f}"
    code = re.sub(r"[^A-Za-z0-9]", "", outcome.icb.code)
    return f"allocation-{code}-{amount}-{method}.{extension}"


# --- the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormView:
    """The allocation form: ``step`` ``icb`` (choose the ICB first) or ``scenario``."""

    action: str
    step: str
    post: bool
    shared: SharedFields
    own: MethodFields
    upload: UploadView | None
    upload_error: str | None
    hidden: tuple[tuple[str, str], ...]
    plain_query: str


#: The allocation page.
AllocatePage: TypeAlias = ToolPage[FormView, ResultsView]


def present_allocate(
    *,
    icbs: Sequence[IcbEntry],
    catalogue: Sequence[IndicatorEntry],
    inp: ScenarioInput,
    errors: Sequence[FieldError] = (),
    outcome: ScenarioOutcome | None = None,
    sort: SortChoice | None = None,
    upload: UploadState | None = None,
    base_url: str = "",
    step: str = "scenario",
    data_warnings: Sequence[str] = (),
) -> AllocatePage:
    """The allocation page: the form (as typed), the errors, and the results when there are."""
    by_field = errors_by_field(errors)
    upload_view = present_upload(upload)
    form = FormView(
        action=ALLOCATE_PATH,
        step=step,
        post=upload is not None,
        shared=shared_fields(inp, icbs, by_field),
        own=method_fields(inp, catalogue, by_field),
        upload=upload_view,
        upload_error=by_field.get("indicators_file"),
        hidden=upload_fields(upload),
        plain_query=urlencode(without_uploads(inp).query_items()),
    )
    results = None
    if outcome is not None and not errors:
        results = present_results(
            outcome,
            inp,
            sort or SortChoice(),
            base_url=base_url,
            upload=upload,
            data_warnings=data_warnings,
        )
    return present_page(
        PAGE_HEADING,
        form,
        errors,
        "Choose the ICB, the amount and the components, then calculate.",
        results,
        lambda r: f"Results: {r.heading}. {r.sentences[0]}",
        has_icbs=bool(icbs),
    )


def present_allocate_without_data(*, has_data: bool) -> AllocatePage:
    """The page when there is no warehouse, or no ICB in it."""
    return present_without_data(PAGE_HEADING, has_data=has_data)
