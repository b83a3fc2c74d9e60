"""``gpequity compare`` and ``gpequity sensitivity``: two allocations side by side, and how an
allocation moves with one component's weight, from the command line.

Thin: the scenarios are read with ``gpequity allocate``'s options
(:mod:`gpequity.commands.allocate`); the figures are :mod:`gpequity.allocation.compare`'s and
:mod:`gpequity.allocation.sensitivity`'s, the same as the web's compare and sensitivity pages.
``--format json`` prints :func:`~gpequity.allocation.compare.comparison_as_dict` and
:func:`~gpequity.allocation.sensitivity.sensitivity_as_dict`, the API's JSON.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any

import typer

from gpequity.allocation import Method
from gpequity.allocation.catalogue import IMD_ID
from gpequity.allocation.compare import Comparison, compare_outcomes, comparison_as_dict
from gpequity.allocation.pools import Sex
from gpequity.allocation.scenario import allocate_scenario
from gpequity.allocation.sensitivity import Sensitivity, run_sensitivity, sensitivity_as_dict
from gpequity.commands.allocate import (
    AgeOption,
    AllowSparseOption,
    AmountOption,
    BaselineChoice,
    BaselineOption,
    ComponentOption,
    DbOption,
    ExcludeOption,
    IcbOption,
    MethodOption,
    MissingChoice,
    MissingOption,
    SexOption,
    connect_warehouse,
    console,
    parse_components,
    print_problems,
    read_scenario,
    reading_warehouse,
)
from gpequity.formats import (
    format_change,
    format_index,
    format_points,
    format_pounds,
    format_share,
)
from gpequity.output import Format, render_rows

FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]

COMPARE_COLUMNS = [
    "practice_code",
    "practice_name",
    "imd_quintile",
    "allocation_a",
    "allocation_b",
    "difference",
    "allocation_per_patient_a",
    "allocation_per_patient_b",
]


def _comparison_rows(comparison: Comparison) -> list[list[Any]]:
    return [
        [
            p.code,
            p.name,
            p.imd_quintile,
            p.allocation_a,
            p.allocation_b,
            p.difference,
            p.per_patient_a,
            p.per_patient_b,
        ]
        for p in comparison.practices
    ]


def _print_comparison(comparison: Comparison) -> None:
    data = comparison_as_dict(comparison)
    for label, outcome in (("A", comparison.a), ("B", comparison.b)):
        components = ", ".join(f"{pot.id} {pot.weight}%" for pot in outcome.result.pots)
        console.print(
            f"{label}: {outcome.result.method_label}; {components}; concentration index "
            f"{format_index(outcome.result.concentration_index)}",
            highlight=False,
            markup=False,
        )
    summary = data["summary"]
    console.print(
        f"B gives more to {summary['practices_gaining']} practices and less to "
        f"{summary['practices_losing']}.",
        highlight=False,
    )
    rows = [
        [
            p.code,
            p.name,
            "" if p.imd_quintile is None else f"Q{p.imd_quintile}",
            format_pounds(p.money_a),
            format_pounds(p.money_b),
            format_change(p.difference),
        ]
        for p in comparison.practices
    ]
    render_rows(
        console,
        Format.table,
        ["Practice", "Name", "IMD", "Allocation A", "Allocation B", "Difference (B − A)"],
        rows,
        title=f"{format_pounds(comparison.a.result.request.amount)} for {comparison.a.icb.code}: "
        "A and B by practice",
    )
    quintiles = [
        [
            q.label,
            format_share(q.money_share_a),
            format_share(q.money_share_b),
            format_points(q.change),
        ]
        for q in comparison.quintiles
    ]
    render_rows(
        console,
        Format.table,
        ["Quintile", "Share of money A", "Share of money B", "Change (B − A)"],
        quintiles,
        title="By IMD quintile",
    )


def compare_command(
    icb: IcbOption,
    amount: AmountOption,
    component: ComponentOption,
    method: MethodOption = Method.RECOMMENDED,
    with_component: Annotated[
        list[str] | None,
        typer.Option(
            "--with-component",
            help="Scenario B's components, like --component (default: A's); repeatable.",
        ),
    ] = None,
    with_method: Annotated[
        Method | None,
        typer.Option("--with-method", help="Scenario B's method (default: A's)."),
    ] = None,
    sex: SexOption = Sex.ALL,
    age: AgeOption = None,
    missing: MissingOption = MissingChoice.impute,
    exclude_practice: ExcludeOption = None,
    baseline: BaselineOption = BaselineChoice.per_head,
    allow_sparse: AllowSparseOption = False,
    format: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Compare two allocations of the same amount: A (--component, --method) and B
    (--with-component, --with-method), practice by practice and quintile by quintile."""
    a, problems = read_scenario(
        icb, amount, component, method, sex, age, missing, exclude_practice, baseline
    )
    if problems:
        print_problems(problems, component)
        raise typer.Exit(1)
    b_texts = with_component or component
    b_choices, b_problems = parse_components(b_texts)
    if b_problems:
        print_problems(b_problems, b_texts, "--with-component")
        raise typer.Exit(1)
    a = replace(a, allow_sparse=allow_sparse)
    b = replace(a, components=tuple(b_choices), method=with_method or method)
    with reading_warehouse(), connect_warehouse(db) as con:
        with reading_warehouse(component):
            outcome_a = allocate_scenario(con, a)
        with reading_warehouse(b_texts, "--with-component"):
            outcome_b = allocate_scenario(con, b)
    comparison = compare_outcomes(outcome_a, outcome_b)
    if format is Format.json:
        print(json.dumps(comparison_as_dict(comparison), indent=2, ensure_ascii=False))
    elif format is Format.csv:
        render_rows(console, format, COMPARE_COLUMNS, _comparison_rows(comparison))
    else:
        _print_comparison(comparison)


def _sensitivity_rows(sensitivity: Sensitivity) -> tuple[list[str], list[list[Any]]]:
    groups = [q for q in sensitivity.outcome(0).result.quintiles if q.practices > 0]
    header = ["weight", *(f"{q.label} share of money" for q in groups), "concentration_index"]
    rows = []
    for weight, outcome in sensitivity.outcomes.items():
        shares = {q.quintile: q.money_share for q in outcome.result.quintiles}
        rows.append(
            [
                weight,
                *(shares.get(q.quintile) for q in groups),
                outcome.result.concentration_index,
            ]
        )
    return header, rows


def sensitivity_command(
    icb: IcbOption,
    amount: AmountOption,
    component: ComponentOption,
    vary: Annotated[
        str,
        typer.Option(
            "--vary",
            help="The component whose weight goes from 0% to 100% in steps of 10 (the others "
            "share the rest in proportion to their weights).",
        ),
    ] = IMD_ID,
    method: MethodOption = Method.RECOMMENDED,
    sex: SexOption = Sex.ALL,
    age: AgeOption = None,
    missing: MissingOption = MissingChoice.impute,
    exclude_practice: ExcludeOption = None,
    baseline: BaselineOption = BaselineChoice.per_head,
    allow_sparse: AllowSparseOption = False,
    format: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Each IMD quintile's share of the money as one component's weight goes from 0% to 100%."""
    scenario, problems = read_scenario(
        icb, amount, component, method, sex, age, missing, exclude_practice, baseline
    )
    if problems:
        print_problems(problems, component)
        raise typer.Exit(1)
    scenario = replace(scenario, allow_sparse=allow_sparse)
    # The problems are those of a scenario of the sweep, not of a --component as typed.
    with reading_warehouse(), connect_warehouse(db) as con:
        sensitivity = run_sensitivity(con, scenario, vary.strip())
    if format is Format.json:
        print(json.dumps(sensitivity_as_dict(sensitivity), indent=2, ensure_ascii=False))
        return
    header, rows = _sensitivity_rows(sensitivity)
    if format is Format.table:
        rows = [
            [f"{row[0]}%", *(format_share(v) for v in row[1:-1]), format_index(row[-1])]
            for row in rows
        ]
    render_rows(
        console,
        format,
        header,
        rows,
        title=f"Share of the money by IMD quintile as the weight on {sensitivity.component_id} "
        f"goes from 0% to 100% (the rest on {', '.join(sensitivity.other_ids)})",
    )
