"""The compare page (``/allocate/compare``): two scenarios side by side.

The figures are a :class:`~gpequity.allocation.compare.Comparison` (the same the CLI's
``gpequity compare`` and the API give); this module writes them as the page's sentences and
tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias
from urllib.parse import urlencode

from gpequity.allocation import Unit
from gpequity.allocation.catalogue import IndicatorEntry
from gpequity.allocation.compare import ClassicFlaw, Comparison, PracticeChange, QuintileChange
from gpequity.allocation.icbs import IcbEntry
from gpequity.allocation.scenario import ScenarioOutcome
from gpequity.charts import format_indicator_value
from gpequity.formats import (
    NOT_AVAILABLE,
    format_change,
    format_index,
    format_per_patient,
    format_points,
    format_pounds,
    format_share,
)
from gpequity.web.allocate.common import (
    ALLOCATE_PATH,
    COMPARE_PATH,
    ToolPage,
    ToolResults,
    describe_components,
    present_page,
    quintile_sentence,
    result_heading,
)
from gpequity.web.allocate.fields import MethodFields, ToolForm, method_fields, shared_fields
from gpequity.web.allocate.form import SIDES, ScenarioInput, compare_query
from gpequity.web.allocate.formatting import count, format_times, sort_text
from gpequity.web.views import (
    Cell,
    Column,
    FieldError,
    Link,
    SortChoice,
    TableView,
    errors_by_field,
    sort_table_rows,
    sortable_columns,
)

COMPARE_HEADING = "Compare two allocations"
#: Columns of the practices table that can be sorted, by their ``sort`` value.
COMPARE_SORT_KEYS = ("practice", "imd", "a", "b", "difference", "a_per_patient", "b_per_patient")


@dataclass(frozen=True)
class ScenarioSummary:
    label: str
    method: str
    components: str
    index: str
    sentence: str


@dataclass(frozen=True)
class CompareResults(ToolResults):
    scenarios: tuple[ScenarioSummary, ...]
    sentences: tuple[str, ...]
    flaw: tuple[str, ...]
    quintiles: TableView
    practices: TableView


@dataclass(frozen=True)
class CompareForm(ToolForm):
    sides: tuple[MethodFields, ...]


#: The compare page.
ComparePage: TypeAlias = ToolPage[CompareForm, CompareResults]


def _imd_text(p: PracticeChange) -> str:
    if p.imd_score is None:
        return NOT_AVAILABLE
    return f"Q{p.imd_quintile} ({format_indicator_value(p.imd_score, Unit.SCORE)})"


def compare_practices_table(
    comparison: Comparison, sort: SortChoice, href: Callable[[SortChoice], str]
) -> TableView:
    """Each practice under A and B, and the difference (B − A)."""
    columns = (
        Column("Practice", key="practice"),
        Column("IMD quintile (score)", key="imd"),
        Column("Allocation A", numeric=True, key="a"),
        Column("Allocation B", numeric=True, key="b"),
        Column("Difference (B − A)", numeric=True, key="difference"),
        Column("Per patient A", numeric=True, key="a_per_patient"),
        Column("Per patient B", numeric=True, key="b_per_patient"),
    )
    rows: list[tuple[Cell, ...]] = []
    for p in comparison.practices:
        rows.append(
            (
                Cell(p.name, header=True, sort_value=f"{p.name} {p.code}", secondary=p.code),
                Cell(_imd_text(p), sort_value=sort_text(p.imd_score)),
                *(
                    Cell(
                        format_pounds(money),
                        numeric=True,
                        sort_value=sort_text(money),
                        note=reason,
                    )
                    for money, reason in (
                        (p.money_a, p.reason_a),
                        (p.money_b, p.reason_b),
                    )
                ),
                Cell(format_change(p.difference), numeric=True, sort_value=sort_text(p.difference)),
                Cell(
                    format_per_patient(p.per_patient_a),
                    numeric=True,
                    sort_value=sort_text(p.per_patient_a),
                ),
                Cell(
                    format_per_patient(p.per_patient_b),
                    numeric=True,
                    sort_value=sort_text(p.per_patient_b),
                ),
            )
        )
    return TableView(
        id="compare-practices",
        caption="By practice: allocation under A and B",
        columns=sortable_columns(columns, sort, href),
        rows=tuple(sort_table_rows(rows, columns, sort)),
        sortable=True,
        small=True,
    )


def _or_not_available(text: str | None) -> str:
    return NOT_AVAILABLE if text is None else text


def compare_quintiles_table(comparison: Comparison) -> TableView:
    """Each quintile's share of the money under A and B, and the change in points."""
    same_patients = comparison.same_patients
    columns = [Column("IMD quintile")]
    if same_patients:
        columns.append(Column("Share of patients", numeric=True))
    else:
        columns += [
            Column("Share of patients A", numeric=True),
            Column("Share of patients B", numeric=True),
        ]
    columns += [
        Column("Share of money A", numeric=True),
        Column("Share of money B", numeric=True),
        Column("Change (B − A)", numeric=True),
        Column("Per patient A", numeric=True),
        Column("Per patient B", numeric=True),
    ]
    rows = []
    for q in comparison.quintiles:
        cells = [Cell(q.label, header=True), Cell(format_share(q.population_share_a), numeric=True)]
        if not same_patients:
            cells.append(Cell(_share_or_not(q.population_share_b), numeric=True))
        cells += [
            Cell(format_share(q.money_share_a), numeric=True),
            Cell(_share_or_not(q.money_share_b), numeric=True),
            Cell(
                _or_not_available(None if q.change is None else format_points(q.change)),
                numeric=True,
            ),
            Cell(format_per_patient(q.per_patient_a), numeric=True),
            Cell(format_per_patient(q.per_patient_b), numeric=True),
        ]
        rows.append(tuple(cells))
    return TableView(
        id="compare-quintiles",
        caption="By IMD quintile: share of the money under A and B",
        columns=tuple(columns),
        rows=tuple(rows),
    )


def _share_or_not(value: Decimal | None) -> str:
    return NOT_AVAILABLE if value is None else format_share(value)


def flaw_sentence(flaw: ClassicFlaw) -> str:
    """Say that eFIT classic barely moves money on a lower-is-more-need indicator, and why."""
    sentence = (
        f"In {flaw.label} (eFIT classic), '{flaw.pot.name}' (lower value = more need) barely "
        "moves money: per patient, the practice it favours most gets only "
        f"{format_share(flaw.spread)} more from it than the practice it favours least."
    )
    if flaw.recommended_spread is not None:
        sentence += (
            f" Under the recommended method ({flaw.recommended_label}) the same component gives "
            f"the practice it favours most {format_times(flaw.recommended_spread + 1)} times as "
            "much per patient as the one it favours least."
        )
    return sentence + (
        " This is the published formula's known flaw: for a 'lower value = more need' "
        "indicator it uses 1 − x ÷ (the sum of x over the ICB's practices), which is "
        "almost the same for every practice when an ICB has many practices."
    )


def _scenario_summary(label: str, outcome: ScenarioOutcome) -> ScenarioSummary:
    result = outcome.result
    return ScenarioSummary(
        label=label,
        method=result.method_label,
        components=describe_components(result),
        index=format_index(result.concentration_index),
        sentence=quintile_sentence(result.quintiles) or "",
    )


def _most_deprived_sentence(q: QuintileChange) -> str:
    assert q.money_share_b is not None and q.change is not None  # chosen with B's figures
    return (
        f"The ICB's most deprived practices, in {q.label}, get {format_share(q.money_share_a)} "
        f"of the money under A and {format_share(q.money_share_b)} under B "
        f"({format_points(q.change)})."
    )


def compare_sentences(comparison: Comparison) -> tuple[str, ...]:
    """Who gains and who loses under B against A."""
    sentences = [
        f"Against A, B gives more to {count(len(comparison.gains), 'practice', 'practices')} "
        f"and less to {count(len(comparison.losses), 'practice', 'practices')}."
    ]
    largest = comparison.largest
    if largest is not None:
        sentences.append(
            f"The largest change is {largest.name} ({largest.code}): "
            f"{format_change(largest.difference)}."
        )
    if comparison.most_deprived is not None:
        sentences.append(_most_deprived_sentence(comparison.most_deprived))
    return tuple(sentences)


def present_compare(
    *,
    icbs: Sequence[IcbEntry],
    catalogue: Sequence[IndicatorEntry],
    inputs: tuple[ScenarioInput, ScenarioInput],
    errors: Sequence[FieldError] = (),
    comparison: Comparison | None = None,
    sort: SortChoice | None = None,
) -> ComparePage:
    by_field = errors_by_field(errors)
    a_input, b_input = inputs
    form = CompareForm(
        action=COMPARE_PATH,
        shared=shared_fields(a_input, icbs, by_field),
        sides=tuple(
            method_fields(inp, catalogue, by_field, prefix, f"Scenario {name}")
            for inp, (prefix, name) in zip(inputs, SIDES, strict=True)
        ),
    )
    results = None
    if comparison is not None and not errors:
        query = compare_query(a_input, b_input)

        def href(choice: SortChoice) -> str:
            return f"{COMPARE_PATH}?{urlencode(query + choice.items())}#compare-practices"

        results = CompareResults(
            heading=f"{result_heading(comparison.a)}: A and B",
            scenarios=(
                _scenario_summary("A", comparison.a),
                _scenario_summary("B", comparison.b),
            ),
            sentences=compare_sentences(comparison),
            flaw=tuple(flaw_sentence(flaw) for flaw in comparison.flaws),
            quintiles=compare_quintiles_table(comparison),
            practices=compare_practices_table(comparison, sort or SortChoice(), href),
            links=tuple(
                Link(f"Open scenario {name} on its own", f"{ALLOCATE_PATH}?{inp.query()}")
                for inp, (_, name) in zip(inputs, SIDES, strict=True)
            ),
        )
    return present_page(
        COMPARE_HEADING,
        form,
        errors,
        "Choose two scenarios to compare.",
        results,
        lambda r: f"Compared: {r.sentences[0]}",
    )
