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
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any, NoReturn

import duckdb
import typer

from gpequity.allocation import AllocationInputError, InputProblem, Method
from gpequity.allocation.catalogue import IMD_ID
from gpequity.allocation.compare import Comparison, compare_outcomes, comparison_as_dict
from gpequity.allocation.scenario import Scenario, ScenarioOutcome, allocate_scenario
from gpequity.allocation.sensitivity import Sensitivity, run_sensitivity, sensitivity_as_dict
from gpequity.commands.allocate import (
    connect_warehouse,
    console,
    parse_components,
    print_problem_groups,
    print_problems,
    read_scenario,
    reading_warehouse,
    scenario_problems,
)
from gpequity.commands.options import (
    DbOption,
    FormatOption,
    ScenarioOptions,
    with_scenario_options,
)
from gpequity.formats import (
    format_change,
    format_index,
    format_points,
    format_pounds,
    format_share,
)
from gpequity.output import Format, render_rows

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


@with_scenario_options
def compare_command(
    options: ScenarioOptions,
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
    format: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Compare two allocations of the same amount: A (--component, --method) and B
    (--with-component, --with-method), practice by practice and quintile by quintile."""
    a, a_problems = read_scenario(options)
    b_texts = with_component or options.component
    b_choices, b_problems = parse_components(b_texts)
    b = replace(a, components=tuple(b_choices), method=with_method or options.method)
    if a_problems or b_problems:
        # Every problem at once: --with-component's were left for a second round.
        a_problems += scenario_problems(db, a, a_problems)
        b_problems += _own_problems(scenario_problems(db, b, b_problems), a_problems)
        _refuse(options.component, a_problems, b_texts, b_problems)
    with reading_warehouse(), connect_warehouse(db) as con:
        outcome_a, a_problems = _allocate(con, a)
        outcome_b, b_problems = _allocate(con, b)
    if outcome_a is None or outcome_b is None:
        _refuse(options.component, a_problems, b_texts, _own_problems(b_problems, a_problems))
    comparison = compare_outcomes(outcome_a, outcome_b)
    if format is Format.json:
        print(json.dumps(comparison_as_dict(comparison), indent=2, ensure_ascii=False))
    elif format is Format.csv:
        render_rows(console, format, COMPARE_COLUMNS, _comparison_rows(comparison))
    else:
        _print_comparison(comparison)


def _allocate(
    con: duckdb.DuckDBPyConnection, scenario: Scenario
) -> tuple[ScenarioOutcome | None, list[InputProblem]]:
    try:
        return allocate_scenario(con, scenario), []
    except AllocationInputError as error:
        return None, list(error.problems)


def _own_problems(
    b_problems: Sequence[InputProblem], a_problems: Sequence[InputProblem]
) -> list[InputProblem]:
    """B's problems that are not A's too (B shares A's amount, ICB and population)."""
    return [p for p in b_problems if p not in a_problems and p.field.startswith("components")]


def _refuse(
    a_texts: Sequence[str],
    a_problems: Sequence[InputProblem],
    b_texts: Sequence[str],
    b_problems: Sequence[InputProblem],
) -> NoReturn:
    print_problem_groups(
        [(a_problems, a_texts, "--component"), (b_problems, b_texts, "--with-component")]
    )
    raise typer.Exit(1)


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


@with_scenario_options
def sensitivity_command(
    options: ScenarioOptions,
    vary: Annotated[
        str,
        typer.Option(
            "--vary",
            help="The component whose weight goes from 0% to 100% in steps of 10 (the others "
            "share the rest in proportion to their weights).",
        ),
    ] = IMD_ID,
    format: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Each IMD quintile's share of the money as one component's weight goes from 0% to 100%."""
    scenario, problems = read_scenario(options)
    if problems:

        def sweep(con: duckdb.DuckDBPyConnection, swept: Scenario) -> object:
            return run_sensitivity(con, swept, vary.strip())

        problems += scenario_problems(db, scenario, problems, sweep)
        print_problems(problems, options.component)
        raise typer.Exit(1)
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
