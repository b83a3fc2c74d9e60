"""The sensitivity page (``/allocate/sensitivity``): each IMD quintile's share of the money as
the weight on deprivation goes from 0% to 100%, the rest on one other component.

The sweep is :mod:`gpequity.allocation.sensitivity`'s (the same the CLI's ``gpequity
sensitivity`` and the API give); this module reads the form's choice of the other component
and writes the sweep as the page's table and chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TypeAlias

from gpequity.allocation.catalogue import IMD_ID, POPULATION_ID, IndicatorEntry
from gpequity.allocation.icbs import IcbEntry
from gpequity.allocation.sensitivity import Sensitivity
from gpequity.charts import sensitivity_chart
from gpequity.formats import format_index, format_share
from gpequity.web.allocate.common import (
    ALLOCATE_PATH,
    METHOD_CHOICES,
    SENSITIVITY_PATH,
    ToolPage,
    ToolResults,
    chart_view,
    present_page,
    result_heading,
)
from gpequity.web.allocate.fields import ToolForm, indicator_groups, shared_fields
from gpequity.web.allocate.form import ComponentInput, ScenarioInput, component_inputs
from gpequity.web.allocate.formatting import format_weight
from gpequity.web.views import (
    Cell,
    ChartView,
    Column,
    FieldError,
    Link,
    RadioGroup,
    SelectField,
    TableView,
    errors_by_field,
    radio_group,
)

SENSITIVITY_HEADING = "How the shares move with the deprivation weight"
#: The weight on deprivation of the allocation the page links to.
LINKED_WEIGHT = 50
#: How the form's scenario is typed before the sweep: half deprivation, half the other.
HALF = str(LINKED_WEIGHT)


def sensitivity_other(inp: ScenarioInput) -> ComponentInput:
    """The component that takes the rest of the weight: the scenario's first component other
    than deprivation, else population only."""
    for row in inp.components:
        if row.id and row.id != IMD_ID:
            return ComponentInput(row.id, "", row.direction)
    return ComponentInput(POPULATION_ID)


def sweep_input(inp: ScenarioInput, other: ComponentInput) -> ScenarioInput:
    """The scenario the sweep starts from: the form's, with half the weight on deprivation
    (in the direction the form gives it) and half on ``other``."""
    deprivation = next((r for r in inp.components if r.id == IMD_ID), ComponentInput(IMD_ID))
    rows = (
        ComponentInput(IMD_ID, HALF, deprivation.direction),
        ComponentInput(other.id, HALF, other.direction),
        ComponentInput(),
    )
    return replace(inp, components=rows)


@dataclass(frozen=True)
class SensitivityResults(ToolResults):
    reading: str
    table: TableView
    chart: ChartView


@dataclass(frozen=True)
class SensitivityForm(ToolForm):
    method: RadioGroup
    other: SelectField


#: The sensitivity page.
SensitivityPage: TypeAlias = ToolPage[SensitivityForm, SensitivityResults]


def sensitivity_table(sensitivity: Sensitivity) -> TableView:
    """Each quintile's share of the money and the concentration index, weight by weight."""
    groups = [q for q in sensitivity.outcome(0).result.quintiles if q.practices > 0]
    columns = [Column("Weight on deprivation")]
    columns += [Column(f"{q.label}: share of money", numeric=True) for q in groups]
    columns.append(Column("Concentration index", numeric=True))
    rows = [
        (
            Cell("Share of patients", header=True),
            *(Cell(format_share(q.population_share), numeric=True) for q in groups),
            Cell("", numeric=True),
        )
    ]
    for weight, outcome in sensitivity.outcomes.items():
        shares = {q.quintile: q.money_share for q in outcome.result.quintiles}
        rows.append(
            (
                Cell(format_weight(Decimal(weight)), header=True),
                *(
                    Cell(format_share(shares.get(q.quintile, Decimal(0))), numeric=True)
                    for q in groups
                ),
                Cell(format_index(outcome.result.concentration_index), numeric=True),
            )
        )
    return TableView(
        id="sensitivity-table",
        caption="Share of the money by IMD quintile, for each weight on deprivation",
        columns=tuple(columns),
        rows=tuple(rows),
        small=True,
    )


def present_sensitivity(
    *,
    icbs: Sequence[IcbEntry],
    catalogue: Sequence[IndicatorEntry],
    inp: ScenarioInput,
    other: ComponentInput,
    errors: Sequence[FieldError] = (),
    sensitivity: Sensitivity | None = None,
) -> SensitivityPage:
    by_field = errors_by_field(errors)
    choices = [e for e in catalogue if e.id != IMD_ID]
    other_select = SelectField(
        "other",
        "other",
        "The rest of the weight goes to",
        indicator_groups(choices, other.id, allow_none=False),
        hint="Population only gives the rest as a plain per-head share.",
        error=by_field.get("other"),
    )
    form = SensitivityForm(
        action=SENSITIVITY_PATH,
        shared=shared_fields(inp, icbs, by_field),
        method=radio_group(
            "method",
            "method",
            "Method",
            [(m.value, label, hint) for m, label, hint in METHOD_CHOICES],
            inp.method,
            by_field,
        ),
        other=other_select,
    )
    results = None
    if sensitivity is not None and not errors:
        other_name = next((e.name for e in catalogue if e.id == other.id), other.id)
        chart = sensitivity_chart(sensitivity, other_name)
        linked = sensitivity.outcome(LINKED_WEIGHT).scenario
        linked_input = replace(inp, components=component_inputs(linked.components))
        results = SensitivityResults(
            heading=result_heading(sensitivity.outcome(0)),
            reading=chart.reading,
            table=sensitivity_table(sensitivity),
            chart=chart_view(chart),
            links=(
                Link(
                    f"Open the allocation with {LINKED_WEIGHT}% on deprivation",
                    f"{ALLOCATE_PATH}?{linked_input.query()}",
                ),
            ),
        )
    return present_page(
        SENSITIVITY_HEADING,
        form,
        errors,
        "Choose the ICB and the amount.",
        results,
        lambda r: f"Results: {r.reading}",
    )
