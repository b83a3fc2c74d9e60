"""The allocation page (``/allocate``): the form, and one scenario's results.

The route (``routes/allocate.py``) reads the request and the warehouse; this module turns the
engine's results (``ScenarioOutcome.result``) and the figures derived from them
(:mod:`gpequity.allocation.measures`) into the page's views: every label, sentence, format,
table and chart. It computes nothing: it formats, orders and selects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypeAlias
from urllib.parse import urlencode

from gpequity.allocation import (
    AllocationResult,
    Baseline,
    Method,
    PracticeAllocation,
    PracticeInput,
    QuintileSummary,
    Unit,
    UploadProblem,
)
from gpequity.allocation.catalogue import POPULATION_ID, IndicatorEntry
from gpequity.allocation.icbs import IcbEntry
from gpequity.allocation.measures import (
    GainsAndLosses,
    Headline,
    allocation_intervals,
    headline,
    quintile_of,
)
from gpequity.allocation.scenario import ScenarioOutcome
from gpequity.allocation.warnings import AllocationWarning
from gpequity.charts import allocation_bars_chart, format_indicator_value
from gpequity.formats import (
    INDEX_PLACES,
    NOT_AVAILABLE,
    format_change,
    format_count,
    format_index,
    format_people,
    format_per_patient,
    format_pounds,
    format_share,
    format_with_interval,
    sign_as_written,
)
from gpequity.intervals import MEANING as INTERVAL_MEANING
from gpequity.intervals import Interval
from gpequity.reports.allocation_pdf import limits_table
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
    chart_view,
    component_columns,
    describe_components,
    present_page,
    quintile_sentence,
    result_heading,
)
from gpequity.web.allocate.fields import MethodFields, SharedFields, method_fields, shared_fields
from gpequity.web.allocate.form import (
    ComponentInput,
    ExclusionPicker,
    ScenarioInput,
    compare_href,
    exclusion_picker,
    without_uploads,
)
from gpequity.web.allocate.formatting import count, sort_text
from gpequity.web.allocate.limits import LimitsFields, limits_fields, previous_view
from gpequity.web.allocate.published_tool import PATH as TOOL_CHECK_PATH
from gpequity.web.allocate.upload import UploadState, UploadView, present_upload, upload_fields
from gpequity.web.views import (
    Cell,
    ChartView,
    Column,
    FieldError,
    Link,
    Option,
    SortChoice,
    SummaryItem,
    TableView,
    errors_by_field,
    figure_columns,
    sort_table_rows,
    sortable_columns,
)

#: Columns of the results table that can be sorted, by their ``sort`` value.
SORT_KEYS = (
    "practice",
    "allocation",
    "difference",
    "per_patient",
    "baseline",
    "imd",
    "pcn",
    "population",
    "c1",
    "c2",
    "c3",
)
#: What the "Sort by" list offers (the columns of the table without its details).
SORT_CHOICES = (
    ("", "Practice name"),
    ("allocation", "Allocation"),
    ("difference", "Difference from the baseline"),
    ("per_patient", "Allocation per patient"),
    ("imd", "IMD score"),
)
#: The query parameters of the practice table's view (besides ``sort`` and ``order``).
VIEW_KEYS = ("detail", "name", "pcn", "quintile")
#: The quintile filter's value for the practices without an IMD score.
NO_SCORE = "none"
NO_PCN = "none"
MAX_NAME_FILTER = 100


@dataclass(frozen=True)
class TableOptions:
    """How the practice table is shown: its detail columns, and the practices it shows.

    ``name`` keeps the practices whose name or code contains it (any case), ``pcn`` those of
    one PCN (``none``: no PCN), ``quintile`` those of one IMD quintile (``1``..``5``, ``none``:
    no IMD score). Query parameters ``detail=1``, ``name``, ``pcn``, ``quintile``.
    """

    detail: bool = False
    name: str = ""
    pcn: str = ""
    quintile: str = ""

    @property
    def filtered(self) -> bool:
        return bool(self.name or self.pcn or self.quintile)

    def items(self) -> list[tuple[str, str]]:
        """The query items of these options (the defaults left out)."""
        items = [("detail", "1")] if self.detail else []
        items += [(key, value) for key, value in self.filter_items() if value]
        return items

    def filter_items(self) -> list[tuple[str, str]]:
        return [("name", self.name), ("pcn", self.pcn), ("quintile", self.quintile)]

    def keeps(self, p: PracticeAllocation) -> bool:
        """Whether practice ``p`` passes the filters."""
        needle = self.name.casefold()
        if needle and needle not in p.name.casefold() and needle not in p.code.casefold():
            return False
        if self.pcn and (p.pcn_code or NO_PCN) != self.pcn:
            return False
        if self.quintile:
            return str(p.imd_quintile or NO_SCORE) == self.quintile
        return True


def read_table_options(params: Mapping[str, str]) -> TableOptions:
    """The practice table's options from the query (anything unreadable is no filter)."""
    quintile = params.get("quintile", "").strip().lower()
    if quintile not in {*(str(q) for q in range(1, 6)), NO_SCORE}:
        quintile = ""
    pcn = params.get("pcn", "").strip()
    return TableOptions(
        detail=params.get("detail", "") == "1",
        name=" ".join(params.get("name", "").split())[:MAX_NAME_FILTER],
        pcn=pcn.upper() if pcn.lower() != NO_PCN else NO_PCN,
        quintile=quintile,
    )


@dataclass(frozen=True)
class HeadlineView:
    """Who gains and who loses against the baseline: sentences, and the table by quintile."""

    sentences: tuple[str, ...]
    table: TableView | None


@dataclass(frozen=True)
class FilterView:
    """The practice table's filter and sort form (a GET form that keeps the scenario)."""

    name: str
    pcns: tuple[Option, ...]
    quintiles: tuple[Option, ...]
    sorts: tuple[Option, ...]
    descending: bool
    hidden: tuple[tuple[str, str], ...]
    clear_href: str | None
    shown: str
    detail_href: str
    detail_text: str
    detail: bool


@dataclass(frozen=True)
class ResultsView:
    """Everything the results part of the page shows."""

    heading: str
    sentences: tuple[str, ...]
    #: The data-quality warnings (``code``, ``message``, ...), as the CLI and API give them.
    warnings: tuple[AllocationWarning, ...]
    headline: HeadlineView
    inputs: tuple[SummaryItem, ...]
    practices: TableView
    detail: bool
    filters: FilterView | None
    quintile_sentence: str | None
    pcns: TableView
    chart: ChartView | None
    excluded: TableView | None
    excluded_sentence: str
    method: tuple[str, ...]
    method_href: str
    csv_href: str | None
    xlsx_href: str | None
    pdf_href: str | None
    share_url: str | None
    explore: tuple[Link, ...]
    uploaded: bool
    table_note: str
    hidden: tuple[tuple[str, str], ...]
    #: Defects of the ICB's input files found while loading them (the eFIT files' strays).
    data_warnings: tuple[str, ...] = ()
    #: What the floors, caps and pace of change did, in words, and the practices they held.
    limits: tuple[str, ...] = ()
    held: TableView | None = None


def index_sentence(index: float | None, interval: Interval | None = None) -> str:
    """The concentration index (and its confidence interval, when there is one) and which way
    it leans, in words that agree with the figure."""
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
    written = format_with_interval(index, interval, format_index)
    return f"Concentration index of the money per patient: {written} ({lean})."


def practices_table(
    outcome: ScenarioOutcome,
    sort: SortChoice,
    href: Callable[[SortChoice], str] | None,
    options: TableOptions = TableOptions(),
) -> TableView:
    """One row per practice (those the filters keep), in the chosen order: the practice, its
    allocation and difference first, then per patient, baseline and IMD quintile; with
    ``options.detail`` also its PCN, target population and component values."""
    result = outcome.result
    shown = component_columns(result) if options.detail else []
    columns = [
        Column("Practice", key="practice"),
        Column("Allocation", numeric=True, key="allocation"),
        Column("Difference", numeric=True, key="difference"),
        Column("Per patient", numeric=True, key="per_patient"),
        Column("Baseline", numeric=True, key="baseline"),
        Column("IMD quintile (score)", key="imd"),
    ]
    if options.detail:
        columns += [
            Column("PCN", key="pcn"),
            Column("Target population", numeric=True, key="population"),
        ]
        for number, (_, name, _) in enumerate(shown, start=1):
            columns.append(Column(name, numeric=True, key=f"c{number}"))
    rows: list[tuple[Cell, ...]] = []
    for p in result.practices:
        if not options.keeps(p):
            continue
        cells = [
            Cell(p.name, header=True, sort_value=f"{p.name} {p.code}", secondary=p.code),
            Cell(format_pounds(p.allocation), numeric=True, sort_value=sort_text(p.allocation)),
            Cell(format_change(p.difference), numeric=True, sort_value=sort_text(p.difference)),
            Cell(
                format_per_patient(p.allocation_per_patient),
                numeric=True,
                sort_value=sort_text(p.allocation_per_patient),
            ),
            Cell(format_pounds(p.baseline), numeric=True, sort_value=sort_text(p.baseline)),
            Cell(
                NOT_AVAILABLE
                if p.imd_score is None
                else f"Q{p.imd_quintile} ({format_indicator_value(p.imd_score, Unit.SCORE)})",
                sort_value=sort_text(p.imd_score),
            ),
        ]
        if options.detail:
            cells += [
                Cell(p.pcn_name or "No PCN", sort_value=p.pcn_name or ""),
                Cell(
                    format_people(p.target_population),
                    numeric=True,
                    sort_value=sort_text(p.target_population),
                ),
            ]
            cells += [_component_cell(p, index, unit) for index, _, unit in shown]
        rows.append(tuple(cells))
    # Without a choice, the practices are in alphabetical order, as the "Sort by" list says.
    rows = sort_table_rows(rows, columns, sort if sort.key else SortChoice("practice"))
    foot = None
    if not options.filtered:
        amount = result.request.amount
        foot = (
            Cell(f"All {count(len(result.practices), 'practice', 'practices')}", header=True),
            Cell(format_pounds(amount), numeric=True),
            Cell(format_change(Decimal(0)), numeric=True),
            Cell("", numeric=True),
            Cell(format_pounds(amount), numeric=True),
            *(Cell("") for _ in columns[5:]),
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


def _component_cell(p: PracticeAllocation, index: int, unit: Unit) -> Cell:
    cell = p.components[index]
    note = None
    if cell.imputed:
        note = "imputed"
    elif cell.excluded:
        note = "no share"
    return Cell(
        format_indicator_value(cell.value, unit),
        numeric=True,
        sort_value=sort_text(cell.value),
        note=note,
    )


def _gains_cells(group: GainsAndLosses, shares: QuintileSummary | None) -> tuple[Cell, ...]:
    population_share = Decimal(1) if shares is None else shares.population_share
    money_share = Decimal(1) if shares is None else shares.money_share
    return (
        Cell(group.label, header=True),
        Cell(format_count(group.practices), numeric=True),
        Cell(format_share(population_share), numeric=True),
        Cell(format_share(money_share), numeric=True),
        Cell(format_count(group.gaining), numeric=True),
        Cell(format_count(group.losing), numeric=True),
        Cell(format_pounds(group.allocation), numeric=True),
        Cell(format_pounds(group.baseline), numeric=True),
        Cell(format_change(group.difference), numeric=True),
    )


def headline_sentences(figures: Headline, baseline_words: str) -> tuple[str, ...]:
    """Who gains and who loses, in words: overall, the two ends of deprivation, the extremes."""
    overall = figures.overall
    said = [
        f"{count(overall.gaining, 'practice gets', 'practices get')} more than the baseline "
        f"{baseline_words}, {format_count(overall.losing)} "
        + ("gets" if overall.losing == 1 else "get")
        + " less"
        + (f" and {format_count(overall.level)} the same." if overall.level else ".")
    ]
    ranked = [g for g in figures.quintiles if g.quintile is not None]
    if ranked:
        most, least = ranked[-1], ranked[0]
        sentence = (
            f"In {most.label}, {format_count(most.gaining)} of "
            f"{count(most.practices, 'practice gains', 'practices gain')}: "
            f"{format_change(most.difference)} between them against the baseline."
        )
        if least is not most:
            sentence += (
                f" In {least.label}, {format_count(least.losing)} of "
                f"{count(least.practices, 'practice loses', 'practices lose')}: "
                f"{format_change(least.difference)} between them."
            )
        said.append(sentence)
    extremes = []
    if overall.largest_gain is not None:
        gain = overall.largest_gain
        extremes.append(f"the largest gain is {format_change(gain.difference)} ({gain.name})")
    if overall.largest_loss is not None:
        loss = overall.largest_loss
        extremes.append(f"the largest loss {format_change(loss.difference)} ({loss.name})")
    if extremes:
        text = "; ".join(extremes)
        said.append(text[0].upper() + text[1:] + ".")
    return tuple(said)


def headline_view(result: AllocationResult, baseline_words: str) -> HeadlineView:
    """The headline: sentences, then gains and losses by IMD quintile (and overall)."""
    figures = headline(result)
    table = None
    if figures.quintiles:
        table = TableView(
            id="headline-table",
            caption=f"Who gains and who loses against the baseline {baseline_words}, by IMD "
            "quintile (national fifths)",
            columns=figure_columns(
                "IMD quintile",
                "Practices",
                "Share of patients",
                "Share of money",
                "Gain",
                "Lose",
                "Allocation",
                "Baseline",
                "Difference",
            ),
            # The whole ICB is the last row, not a footer: on a phone the rows become cards.
            rows=(
                *(
                    _gains_cells(group, quintile_of(result.quintiles, group.quintile))
                    for group in figures.quintiles
                ),
                _gains_cells(figures.overall, None),
            ),
            small=True,
        )
    return HeadlineView(headline_sentences(figures, baseline_words), table)


def filter_view(
    outcome: ScenarioOutcome,
    query: list[tuple[str, str]],
    sort: SortChoice,
    options: TableOptions,
    table: TableView,
) -> FilterView:
    """The filter and sort form of the practice table, and the link to its details."""
    result = outcome.result
    pcns = {(p.pcn_code or NO_PCN): (p.pcn_name or "No PCN") for p in result.practices}
    by_name = sorted(pcns.items(), key=lambda item: (item[1].casefold(), item[0]))
    pcn_options = (
        Option("", "All PCNs", not options.pcn),
        *(Option(code, name, code == options.pcn) for code, name in by_name),
    )
    values = [(str(q.quintile or NO_SCORE), q.label) for q in result.quintiles if q.practices]
    quintile_options = (
        Option("", "All quintiles", not options.quintile),
        *(Option(value, label, value == options.quintile) for value, label in values),
    )
    sorts = tuple(Option(key, label, (sort.key or "") == key) for key, label in SORT_CHOICES)
    detail = replace(options, detail=not options.detail)
    total = len(result.practices)
    shown = (
        f"Showing {format_count(len(table.rows))} of {count(total, 'practice', 'practices')}."
        if options.filtered
        else f"Showing all {count(total, 'practice', 'practices')}."
    )
    keep = [("detail", "1")] if options.detail else []
    return FilterView(
        name=options.name,
        pcns=pcn_options,
        quintiles=quintile_options,
        sorts=sorts,
        descending=sort.descending,
        hidden=tuple(query + keep),
        clear_href=(
            f"{ALLOCATE_PATH}?{urlencode(query + sort.items() + keep)}#practices"
            if options.filtered
            else None
        ),
        shown=shown,
        detail_href=f"{ALLOCATE_PATH}?{urlencode(query + sort.items() + detail.items())}#practices",
        detail_text=(
            "Hide the detail columns"
            if options.detail
            else "Show the detail columns (PCN, target population, component values)"
        ),
        detail=options.detail,
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
        columns=figure_columns(
            "PCN", "Practices", "Target population", "Allocation", "Baseline", "Difference"
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


def present_results(
    outcome: ScenarioOutcome,
    inp: ScenarioInput,
    sort: SortChoice,
    *,
    base_url: str,
    upload: UploadState | None = None,
    options: TableOptions = TableOptions(),
    data_warnings: Sequence[str] = (),
) -> ResultsView:
    """The results of one scenario: the headline, the chart, the practice table (filtered,
    sorted, with or without its details), then the rest: method, downloads and links.

    ``base_url`` (``http://host:port``) makes the link to the scenario absolute, for pasting.
    With ``uploaded`` (the scenario uses the user's file, which is not kept) the page offers
    no link, and the downloads are forms that send the file's values again.
    """
    result = outcome.result
    query = inp.query_items()
    # A previous allocation is a file too: not kept, so no link either.
    uploaded = upload is not None or bool(inp.carried_items())
    if uploaded:
        # The page of a posted file has no links to other views of it: all columns at once.
        options = TableOptions(detail=True)

    def href(choice: SortChoice) -> str:
        return f"{ALLOCATE_PATH}?{urlencode(query + choice.items() + options.items())}#practices"

    scenario = outcome.scenario
    intervals = allocation_intervals(result)
    sentences = [
        f"Shared across {count(len(result.practices), 'practice', 'practices')} of the "
        f"allocation pool of {outcome.icb.code} by {METHOD_WORDS[Method(scenario.method)]}, for "
        f"{scenario.target.describe()}: {describe_components(result)}.",
        index_sentence(result.concentration_index, intervals.concentration_index),
    ]
    if intervals.concentration_index is not None:
        sentences.append(INTERVAL_MEANING)
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
    chart = allocation_bars_chart(outcome)
    baseline_words = (
        "by weighted list" if scenario.baseline == Baseline.WEIGHTED_POPULATION else "per head"
    )
    practices = practices_table(outcome, sort, href, options)
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
        explore.append(
            Link(
                "Check what the published eFIT tool's code gives for the same choices",
                f"{TOOL_CHECK_PATH}?{urlencode(query)}",
            )
        )
    plain_query = urlencode(query)
    return ResultsView(
        heading=result_heading(outcome),
        sentences=tuple(sentences),
        warnings=outcome.warnings,
        headline=headline_view(result, baseline_words),
        inputs=inputs,
        practices=practices,
        detail=options.detail,
        filters=None if uploaded else filter_view(outcome, query, sort, options, practices),
        quintile_sentence=quintiles_said,
        pcns=pcns_table(result),
        chart=None if chart is None else chart_view(chart),
        excluded=excluded_table(result),
        excluded_sentence=excluded_sentence,
        method=result.description,
        method_href=f"{METHOD_PATH}#{WORKED_EXAMPLE_ANCHOR}",
        csv_href=None if uploaded else f"{DOWNLOAD_PATH}.csv?{plain_query}",
        xlsx_href=None if uploaded else f"{DOWNLOAD_PATH}.xlsx?{plain_query}",
        pdf_href=None if uploaded else f"{DOWNLOAD_PATH}.pdf?{plain_query}",
        share_url=None if uploaded else f"{base_url}{ALLOCATE_PATH}?{plain_query}",
        explore=tuple(explore),
        uploaded=uploaded,
        table_note=(
            "Select a column heading, or use 'Sort by', to sort. 'Imputed' marks a missing "
            "value replaced by the median of the ICB's practices; 'no share' a practice left "
            f"out of that component. The baseline is the plain split {baseline_words}; the "
            "difference is the allocation minus the baseline."
        ),
        hidden=tuple(query) + upload_fields(upload) + tuple(inp.carried_items()),
        data_warnings=tuple(data_warnings),
        limits=result.limits.description if result.limits else (),
        held=held_table(outcome),
    )


def held_table(outcome: ScenarioOutcome) -> TableView | None:
    """The practices held at a limit, as the board report lists them (``None``: no limits)."""
    table = limits_table(outcome)
    return None if table is None else replace(table, id="held-table", small=True)


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
    picker: ExclusionPicker | None
    limits: LimitsFields


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
    options: TableOptions = TableOptions(),
    practices: Sequence[PracticeInput] = (),
    data_warnings: Sequence[str] = (),
    previous_problems: Sequence[UploadProblem] = (),
) -> AllocatePage:
    """The allocation page: the form (as typed), the errors, and the results when there are.

    ``practices`` (the ICB's) are offered in the picker of practices to leave out; without
    them the form has the field of typed codes.
    """
    by_field = errors_by_field(errors)
    upload_view = present_upload(upload)
    typed = dict(inp.limits)
    carried = inp.carried_items()
    previous = previous_view(
        typed.get("previous_name", "your file"), typed.get("previous_data", ""), previous_problems
    )
    form = FormView(
        action=ALLOCATE_PATH,
        step=step,
        post=upload is not None or bool(carried),
        shared=shared_fields(inp, icbs, by_field),
        own=method_fields(inp, catalogue, by_field),
        upload=upload_view,
        upload_error=by_field.get("indicators_file"),
        hidden=upload_fields(upload) + tuple(carried),
        plain_query=urlencode(without_uploads(inp).query_items()),
        picker=exclusion_picker(inp, practices, by_field.get("exclude")) if practices else None,
        limits=limits_fields(typed, by_field, previous),
    )
    results = None
    if outcome is not None and not errors:
        results = present_results(
            outcome,
            inp,
            sort or SortChoice(),
            base_url=base_url,
            upload=upload,
            options=options,
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
