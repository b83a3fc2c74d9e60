"""``gpequity allocate`` and ``gpequity indicators``: the eFIT allocation from the command line.

Thin: each command opens the warehouse, calls :mod:`gpequity.allocation.catalogue` (which calls
the allocation engine) and formats the result. ``--format json`` prints
:func:`~gpequity.allocation.scenario.outcome_as_dict`, the same JSON the API returns. CSV and XLSX
are :mod:`gpequity.allocation.exports`' files, the same as the web tool's downloads
(formula-safe; the scenario's inputs and method in the file).

Input problems are printed field by field, named after the options (``--amount: ...``), and the
command exits with status 1; never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

import duckdb
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gpequity import config
from gpequity.allocation import (
    CLASSIC_REMAINDER_ID,
    AllocationInputError,
    AllocationLimits,
    Direction,
    InputProblem,
    Method,
    UploadedColumn,
    UploadProblem,
    parse_indicator_upload,
)
from gpequity.allocation.catalogue import OLDEST_AGE, build_catalogue
from gpequity.allocation.exports import allocation_csv, allocation_xlsx
from gpequity.allocation.icbs import find_icb, icb_practice_codes, known_practice_codes
from gpequity.allocation.measures import allocation_intervals
from gpequity.allocation.pools import TargetPopulation
from gpequity.allocation.previous import describe_problem, parse_previous_allocation
from gpequity.allocation.published_tool import (
    DEFECT_WORDS,
    ToolCheck,
    ToolFileError,
    check_published_tool,
    load_tool_files,
    load_warehouse_tool_files,
    parse_percentage,
    tool_check_as_dict,
    tool_request,
)
from gpequity.allocation.scenario import (
    ALLOCATE_PATH,
    ComponentChoice,
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
    outcome_as_dict,
    share_query,
)
from gpequity.allocation.upload import UPLOAD_ID_PREFIX
from gpequity.commands.options import (
    DbOption,
    FormatOption,
    IcbOption,
    ScenarioOptions,
    UnwritableOutput,
    check_out_file,
    with_scenario_options,
)
from gpequity.errors import GpequityError, WarehouseUnreadable
from gpequity.exports import write_csv
from gpequity.formats import (
    NOT_AVAILABLE,
    format_count,
    format_index,
    format_people,
    format_pounds,
    format_share,
    format_with_interval,
)
from gpequity.intervals import MEANING as INTERVAL_MEANING
from gpequity.output import Format, print_table, render_rows
from gpequity.reports.allocation_pdf import allocation_pdf, limits_table, quintile_table
from gpequity.views import TableView

#: Where the web tool is served, for the link in a report (``gpequity serve``'s default).
SITE_URL_VARIABLE = "GPEQUITY_SITE_URL"
DEFAULT_SITE_URL = "http://127.0.0.1:8000"

# No emoji codes: "bowel-screening:x" must not print a cross.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


class AllocateFormat(StrEnum):
    """Output formats of ``gpequity allocate``."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    pdf = "pdf"


#: The format a file name's suffix asks for, when ``--format`` is not given.
FORMAT_OF_SUFFIX = {f".{f.value}": f for f in AllocateFormat if f is not AllocateFormat.table}
#: Formats that are binary files, written only with ``--out``.
BINARY_FORMATS = frozenset({AllocateFormat.xlsx, AllocateFormat.pdf})


#: The option each engine field comes from, for messages.
OPTION_OF_FIELD = {
    "icb_code": "--icb",
    "amount": "--amount",
    "method": "--method",
    "components": "--component",
    "missing_policy": "--missing",
    "baseline": "--baseline",
    "excluded_practices": "--exclude-practice",
    "sex": "--sex",
    "age_from": "--age",
    "age_to": "--age",
    "age": "--age",
    "practices": "--icb",
    "indicators_file": "--indicators-file",
    "allow_sparse": "--allow-sparse",
    "component": "--vary",
    "limits.floor": "--floor",
    "limits.cap": "--cap",
    "limits.unit": "--limit-unit",
    "limits.previous": "--previous",
    "limits.max_change": "--max-change",
}
DIRECTIONS = {d.value for d in Direction}


# --- parsing the options -------------------------------------------------------------------


def parse_component(text: str, index: int) -> tuple[ComponentChoice | None, list[InputProblem]]:
    """Read ``ID:WEIGHT`` or ``ID:WEIGHT:lower|higher`` (the id may itself contain ``:``)."""
    where = f"components[{index}]"
    parts = text.strip().split(":")
    direction: Direction | None = None
    if len(parts) >= 3 and parts[-1].strip().lower() in DIRECTIONS:
        direction = Direction(parts.pop().strip().lower())
    elif len(parts) >= 3 and _is_weight(parts[-2]):
        # "imd:100:sideways": the weight is read, so the last part was meant as a direction
        return None, [
            InputProblem(
                f"{where}.direction",
                f"'{parts[-1]}' in '{text}' is not a direction: give lower or higher "
                "(which end of the indicator means more need), e.g. imd:50:higher.",
            )
        ]
    if len(parts) < 2 or not parts[-1].strip() or not ":".join(parts[:-1]).strip():
        return None, [
            InputProblem(
                where,
                f"'{text}' is not ID:WEIGHT: write it like imd:50 or "
                "hypertension-prevalence:50:lower.",
            )
        ]
    weight_text = parts[-1].strip().removesuffix("%")
    try:
        weight = Decimal(weight_text)
    except InvalidOperation:
        return None, [
            InputProblem(
                f"{where}.weight",
                f"'{parts[-1]}' in '{text}' is not a weight: give a percentage like 50 or 33.33.",
            )
        ]
    return ComponentChoice(":".join(parts[:-1]).strip(), weight, direction), []


def _is_weight(text: str) -> bool:
    try:
        return Decimal(text.strip().removesuffix("%")).is_finite()
    except InvalidOperation:
        return False


def parse_age(text: str | None) -> tuple[int, int | None, list[InputProblem]]:
    """Read ``--age``: ``18-64``, ``65+``, ``0-4`` or a single age ``40``."""
    if text is None or not text.strip():
        return 0, None, []
    value = text.strip()
    problem = [
        InputProblem(
            "age",
            f"'{text}' is not an age range: write it like 18-64, 65+ or 0-4 (ages 0 to "
            f"{OLDEST_AGE}, where {OLDEST_AGE} means {OLDEST_AGE} and over).",
        )
    ]
    try:
        if value.endswith("+"):
            return int(value[:-1]), None, []
        if "-" in value:
            low, high = value.split("-", 1)
            return int(low), int(high), []
        return int(value), int(value), []
    except ValueError:
        return 0, None, problem


def parse_components(texts: Sequence[str]) -> tuple[list[ComponentChoice], list[InputProblem]]:
    """Read every ``--component``; the problems of those that cannot be read."""
    choices: list[ComponentChoice] = []
    problems: list[InputProblem] = []
    for index, text in enumerate(texts):
        choice, found = parse_component(text, index)
        problems += found
        if choice is not None:
            choices.append(choice)
    return choices, problems


def read_scenario(options: ScenarioOptions) -> tuple[Scenario, list[InputProblem]]:
    """The scenario of the options (``allocate``, ``compare``, ``sensitivity``), with every
    problem found reading them (the scenario then has stand-ins for what could not be read)."""
    problems: list[InputProblem] = []
    try:
        money = Decimal(options.amount.strip().replace(",", "").removeprefix("£"))
        if not money.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        money = Decimal(0)
        problems.append(
            InputProblem(
                "amount", f"'{options.amount}' is not an amount: give pounds like 250000.50."
            )
        )
    choices, found = parse_components(options.component)
    problems += found
    age_from, age_to, found = parse_age(options.age)
    problems += found
    limits, found = read_limits(options)
    problems += found
    scenario = Scenario(
        icb_code=options.icb,
        amount=money,
        components=tuple(choices),
        method=options.method,
        target=TargetPopulation(options.sex, age_from, age_to),
        missing_policy=options.missing,
        excluded_practices=frozenset(options.exclude_practice or ()),
        baseline=options.baseline,
        allow_sparse=options.allow_sparse,
        limits=limits,
    )
    return scenario, problems


def _decimal_option(
    text: str | None, field: str, what: str
) -> tuple[Decimal | None, list[InputProblem]]:
    if text is None or not text.strip():
        return None, []
    try:
        value = Decimal(text.strip().replace(",", "").removeprefix("£").removesuffix("%"))
        if value.is_finite():
            return value, []
    except InvalidOperation:
        pass
    return None, [InputProblem(field, f"'{text}' is not {what}.")]


def read_limits(options: ScenarioOptions) -> tuple[AllocationLimits | None, list[InputProblem]]:
    """``--floor``, ``--cap``, ``--limit-unit``, ``--previous`` and ``--max-change`` as the
    engine's limits (``None`` when none is given); a row of ``--previous`` that cannot be read
    is printed as a warning, a file with no usable row is a problem."""
    floor, problems = _decimal_option(options.floor, "limits.floor", "an amount like 1.50")
    cap, found = _decimal_option(options.cap, "limits.cap", "an amount like 4.50")
    problems += found
    change, found = _decimal_option(options.max_change, "limits.max_change", "a percentage like 5")
    problems += found
    previous: dict[str, Decimal] = {}
    if options.previous is not None:
        previous, found = _read_previous(options.previous)
        problems += found
    if floor is None and cap is None and change is None and not previous and not problems:
        return None, []
    limits = AllocationLimits(
        floor=floor, cap=cap, unit=options.limit_unit, previous=previous, max_change=change
    )
    return limits, problems


def _warn_problems(problems: Sequence[UploadProblem], file_name: str) -> None:
    """A file's rows that were left out, one warning each, naming the row and the column."""
    for problem in problems:
        err_console.print(
            f"warning: {describe_problem(problem, file_name)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _read_previous(path: Path) -> tuple[dict[str, Decimal], list[InputProblem]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        return {}, [InputProblem("limits.previous", f"{path}: cannot be read ({error.strerror}).")]
    upload = parse_previous_allocation(data, path.name)
    _warn_problems(upload.problems, path.name)
    if not upload.amounts:
        return {}, [InputProblem("limits.previous", f"{path}: no usable row (see above).")]
    return dict(upload.amounts), []


def out_problems(out: Path | None, option: str = "--out") -> list[InputProblem]:
    """The problem with an output file that cannot be written (none when it can)."""
    if out is None:
        return []
    try:
        check_out_file(out, option)
    except UnwritableOutput as error:
        return [InputProblem(option, f"{out}: {error.reason}")]
    return []


def scenario_problems(
    db: Path | None,
    scenario: Scenario,
    known: Sequence[InputProblem],
    ask: Callable[[duckdb.DuckDBPyConnection, Scenario], object] = allocate_scenario,
) -> list[InputProblem]:
    """The warehouse's problems with a scenario whose options already have ``known`` ones, so
    that every problem is printed at once (``--icb ZZZ --amount abc`` names both): those on
    the options ``known`` does not cover. ``ask`` is the service the command calls (the
    sweep's, for ``sensitivity``, which takes weights of any total). Nothing when the
    warehouse cannot be read (that is said once the options are right)."""
    options = {_option_name(problem.field, ()) for problem in known}
    try:
        with connect_warehouse(db) as con:
            ask(con, scenario)
    except AllocationInputError as error:
        return [
            problem
            for problem in error.problems
            if _option_name(problem.field, ()) not in options
            # a --component that could not be read leaves the weights' total meaningless
            and not (problem.field == "components" and "--component" in options)
        ]
    except (GpequityError, duckdb.Error):
        return []
    return []


def _option_name(field: str, components: Sequence[str]) -> str:
    if field.startswith("components["):
        index_text = field[len("components[") :].split("]", 1)[0]
        if index_text.isdigit() and int(index_text) < len(components):
            return f"--component {components[int(index_text)]}"
        return "--component"
    return OPTION_OF_FIELD.get(field, field)


def print_problems(
    problems: Sequence[InputProblem],
    components: Sequence[str] = (),
    component_option: str = "--component",
) -> None:
    """Print input problems one per line, named after the options they come from
    (``component_option``: the option the ``components`` were given with)."""
    print_problem_groups([(problems, components, component_option)])


#: Problems, the components as typed and the option they were typed with.
ProblemGroup = tuple[Sequence[InputProblem], Sequence[str], str]


def print_problem_groups(groups: Sequence[ProblemGroup]) -> None:
    """Print the problems of several scenarios under one heading (``gpequity compare``'s A,
    given with ``--component``, and B, with ``--with-component``)."""
    err_console.print("error: the inputs need correcting:", highlight=False, markup=False)
    for problems, components, component_option in groups:
        for problem in problems:
            name = _option_name(problem.field, components)
            if name.startswith("--component"):
                name = component_option + name.removeprefix("--component")
            err_console.print(
                f"- {name}: {problem.message}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


def fail(message: str) -> typer.Exit:
    err_console.print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(1)


def connect_warehouse(db: Path | None) -> duckdb.DuckDBPyConnection:
    from gpequity.warehouse.build import connect

    return connect(config.db_path(db))


@contextlib.contextmanager
def reading_warehouse(
    components: Sequence[str] = (), component_option: str = "--component"
) -> Iterator[None]:
    """A command's work on the warehouse: input problems are printed option by option, any
    other error in one line, and the command exits with status 1; never a traceback."""
    try:
        yield
    except AllocationInputError as error:
        print_problems(error.problems, components, component_option)
        raise typer.Exit(1) from None
    except GpequityError as error:
        raise fail(str(error)) from None
    except duckdb.Error:
        from gpequity.warehouse.build import last_opened

        raise fail(str(WarehouseUnreadable(last_opened()))) from None


def _read_upload(
    con: duckdb.DuckDBPyConnection, path: Path, icb_code: str, method: Method
) -> tuple[UploadedColumn, ...]:
    """Read ``--indicators-file``: the good columns; every problem is printed as a warning."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise fail(f"--indicators-file {path}: cannot be read ({error.strerror}).") from None
    icb = find_icb(con, icb_code)
    upload = parse_indicator_upload(
        data, path.name, icb_practice_codes(con, icb.code, method), known_practice_codes(con)
    )
    _warn_problems(upload.problems, path.name)
    if not upload.columns:
        raise fail(f"--indicators-file {path}: no usable column of values (see above).")
    ids = ", ".join(f"{c.id} ({c.name})" for c in upload.columns)
    err_console.print(
        f"note: {path.name} gives the components {ids}", highlight=False, markup=False
    )
    return upload.columns


# --- formatting the result ------------------------------------------------------------------


def _print_warnings(outcome: ScenarioOutcome, out: Console) -> None:
    """The data-quality warnings, one line each (``warning [code]: message``)."""
    for warning in outcome.warnings:
        out.print(
            f"warning [{warning.code}]: {warning.message}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def _icb_named(code: str, name: str) -> str:
    """``D7T5G (NHS Essex Integrated Care Board)``; the code alone when no list names it."""
    return code if not name or name == code else f"{code} ({name})"


def _print_table(outcome: ScenarioOutcome, out: Console) -> None:
    result = outcome.result
    inputs = outcome_as_dict(outcome)["inputs"]
    icb = _icb_named(outcome.icb.code, outcome.icb.name)
    out.print(
        f"{format_pounds(result.request.amount)} for {icb}: {result.method_label}; "
        f"{inputs['target_population']}; shared across "
        f"{format_count(len(result.practices))} practices of the ICB's allocation pool.",
        highlight=False,
        markup=False,
    )
    _print_warnings(outcome, out)
    table = Table(title="Allocation by practice (* = imputed: the median of the pool)")
    table.add_column("Practice", no_wrap=True)
    table.add_column("Name", max_width=24)
    table.add_column("IMD", no_wrap=True)
    table.add_column("Patients", justify="right", no_wrap=True)
    shown = [pot for pot in result.pots if pot.id != CLASSIC_REMAINDER_ID]
    for pot in shown:
        table.add_column(f"{pot.id} ({pot.weight}%)", justify="right")
    for name in ("Allocation", "Baseline", "Difference"):
        table.add_column(name, justify="right", no_wrap=True)
    for p in result.practices:
        cells = {c.component_id: c for c in p.components}
        values = []
        for pot in shown:
            cell = cells[pot.id]
            text = NOT_AVAILABLE if cell.value is None else f"{cell.value:,.4g}"
            values.append(text + ("*" if cell.imputed else ""))
        table.add_row(
            p.code,
            Text(p.name),
            "" if p.imd_quintile is None else f"Q{p.imd_quintile}",
            format_people(p.target_population),
            *values,
            format_pounds(p.allocation),
            format_pounds(p.baseline),
            format_pounds(p.difference),
        )
    print_table(out, table)
    # The report's own table: the same columns and the same words as the PDF.
    _print_view(quintile_table(outcome), out)
    intervals = allocation_intervals(result)
    out.print(
        "Concentration index of allocation per patient: "
        + format_with_interval(
            result.concentration_index, intervals.concentration_index, format_index
        )
        + " (negative: money goes more to deprived practices).",
        highlight=False,
    )
    if intervals.concentration_index is not None:
        out.print(INTERVAL_MEANING, highlight=False)
    held = limits_table(outcome)
    if held is not None:
        _print_view(held, out)
    if result.excluded:
        left_out = Table(title="Practices given nothing")
        for name in ("Practice", "Name", "Reason"):
            left_out.add_column(name)
        for e in result.excluded:
            left_out.add_row(e.code, Text(e.name), Text(e.reason))
        print_table(out, left_out)
    out.print("How it was worked out:", style="bold")
    for paragraph in result.description:
        # Not markup: "[w_pop/100 × P_i / Σ_j P_j + ...]" of the eFIT formula was read as a
        # tag and the formula printed blank.
        out.print(f"- {paragraph}", highlight=False, markup=False)


def _print_view(view: TableView, out: Console) -> None:
    """A table of the report (the same columns and words as the PDF) as a Rich table."""
    table = Table(title=view.caption)
    for column in view.columns:
        table.add_column(column.label, justify="right" if column.numeric else "left")
    for row in view.rows:
        table.add_row(*(Text(cell.text) for cell in row))
    print_table(out, table)


def _shareable_link(outcome: ScenarioOutcome) -> str | None:
    """The web tool's link to the same allocation (``$GPEQUITY_SITE_URL``, else ``gpequity
    serve``'s address); ``None`` when it uses an uploaded file, which is not kept."""
    scenario = outcome.scenario
    if any(c.id.startswith(UPLOAD_ID_PREFIX) for c in scenario.components):
        return None
    if scenario.limits is not None and scenario.limits.previous:
        return None
    site = os.environ.get(SITE_URL_VARIABLE, DEFAULT_SITE_URL).rstrip("/")
    return f"{site}{ALLOCATE_PATH}?{urlencode(share_query(scenario))}"


def _emit_text(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8", newline="")
    err_console.print(f"Wrote {out}", highlight=False)


# --- checking a result of the published eFIT tool ------------------------------------------------


def run_tool_check(
    con: duckdb.DuckDBPyConnection,
    outcome: ScenarioOutcome,
    efit_dir: Path | None,
    unset: Decimal,
) -> ToolCheck:
    """The published tool's code and the formula on the ICB's eFIT files, for the scenario: those
    the warehouse was loaded from, or those of ``efit_dir``."""
    where = "" if efit_dir is None else f" (--efit-dir {efit_dir})"
    try:
        if efit_dir is None:
            files = load_warehouse_tool_files(con, outcome.icb.code)
        else:
            files = load_tool_files(efit_dir, outcome.icb.code)
        request = tool_request(outcome, files, unset)
    except ToolFileError as error:
        raise fail(f"--published-tool{where}: {error}") from None
    return check_published_tool(files, request)


def print_tool_check(
    check: ToolCheck, outcome: ScenarioOutcome, format: AllocateFormat | None, out: Path | None
) -> None:
    """The check as JSON, CSV, or a table of the practices whose figures differ."""
    data = tool_check_as_dict(check)
    if format is AllocateFormat.json:
        _emit_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", out)
        return
    header = ["practice_code", "practice_name", "tool", "formula", "difference", "causes"]
    rows = [
        [p.code, p.name, p.tool, p.formula, p.difference, " ".join(c.value for c in p.causes)]
        for p in check.practices
    ]
    if format is AllocateFormat.csv:
        _emit_text(write_csv(rows, header), out)
        return
    target = Console(file=out.open("w", encoding="utf-8"), width=200) if out else console
    target.print(
        f"The published eFIT tool's code against the formula, {outcome.icb.code} "
        f"({outcome.icb.name}), {format_pounds(check.amount)}: the tool hands out "
        f"{format_pounds(check.tool_total)}, the formula {format_pounds(check.formula_total)}.",
        highlight=False,
        markup=False,
    )
    table = Table(title="Practices whose figures differ")
    for name in ("Practice", "Name", "Tool", "Formula", "Difference", "Why"):
        table.add_column(name)
    for p in check.practices:
        if p.difference:
            why = "; ".join(c.value for c in p.causes) or "rounding"
            table.add_row(
                p.code,
                p.name,
                format_pounds(p.tool),
                format_pounds(p.formula),
                format_pounds(p.difference),
                why,
            )
    target.print(table)
    for defect, words in DEFECT_WORDS.items():
        target.print(f"- {defect.value}: {words}.", highlight=False, markup=False)


# --- the commands -----------------------------------------------------------------------------


@with_scenario_options
def allocate_command(
    options: ScenarioOptions,
    indicators_file: Annotated[
        Path | None,
        typer.Option(
            "--indicators-file",
            help="Your own indicators (CSV or XLSX: a practice code column and value columns); "
            "their ids are upload:<column>.",
        ),
    ] = None,
    published_tool: Annotated[
        bool,
        typer.Option(
            "--published-tool",
            help="Check a result of the published eFIT tool: per practice, what its code gives "
            "beside the formula's answer, and which defect makes them differ (eFIT classic; "
            "reads the ICB's eFIT files the warehouse was loaded from, or --efit-dir's).",
        ),
    ] = False,
    choose_an_option_weight: Annotated[
        str | None,
        typer.Option(
            "--choose-an-option-weight",
            help="With --published-tool: the weight left on the tool's indicator 1 when it was "
            "left at 'Choose an option' (the tool's default is 50).",
        ),
    ] = None,
    efit_dir: Annotated[
        Path | None,
        typer.Option(
            "--efit-dir",
            help="With --published-tool: the folder of the eFIT files (indicators/, "
            "population/) [default: the files the warehouse was loaded from].",
        ),
    ] = None,
    format: Annotated[
        AllocateFormat | None,
        typer.Option(
            "--format",
            help="Output format [default: from the --out file's suffix (.csv, .json, .xlsx, "
            ".pdf), else table].",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the screen.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Split an amount across an ICB's practices by deprivation and need (the eFIT method)."""
    scenario, problems = read_scenario(options)
    if format is None:
        suffix = "" if out is None else out.suffix.lower()
        format = FORMAT_OF_SUFFIX.get(suffix, AllocateFormat.table)
    if format in BINARY_FORMATS and out is None:
        problems.append(
            InputProblem(
                "--out",
                f"{format.value.upper()} is a binary file: give --out FILE.{format.value} to "
                "write it to.",
            )
        )
    problems += out_problems(out)
    if published_tool:
        scenario = replace(scenario, method=Method.EFIT_CLASSIC)
        unset, wrong = parse_percentage(choose_an_option_weight)
        if wrong:
            problems.append(InputProblem("--choose-an-option-weight", wrong))
    if problems:
        # Without the upload read, its components would be reported as unknown indicators.
        if indicators_file is None:
            problems += scenario_problems(db, scenario, problems)
        print_problems(problems, options.component)
        raise typer.Exit(1)
    if published_tool:
        with reading_warehouse(options.component), connect_warehouse(db) as con:
            outcome = allocate_scenario(con, scenario)
            check = run_tool_check(con, outcome, efit_dir, unset)
        print_tool_check(check, outcome, format, out)
        return
    with reading_warehouse(options.component), connect_warehouse(db) as con:
        uploaded: tuple[UploadedColumn, ...] = ()
        if indicators_file is not None:
            uploaded = _read_upload(con, indicators_file, options.icb, options.method)
        outcome = allocate_scenario(con, scenario, uploaded)

    if format is not AllocateFormat.table or out is not None:
        # The file carries the warnings too; the person running the command sees them here.
        _print_warnings(outcome, err_console)
    if format is AllocateFormat.json:
        _emit_text(json.dumps(outcome_as_dict(outcome), indent=2, ensure_ascii=False) + "\n", out)
    elif format is AllocateFormat.csv:
        _emit_text(allocation_csv(outcome), out)
    elif format in BINARY_FORMATS:
        assert out is not None  # checked above
        if format is AllocateFormat.xlsx:
            out.write_bytes(allocation_xlsx(outcome))
        else:
            out.write_bytes(allocation_pdf(outcome, link=_shareable_link(outcome)))
        err_console.print(f"Wrote {out}", highlight=False)
    elif out is not None:
        with out.open("w", encoding="utf-8") as fh:
            _print_table(outcome, Console(file=fh, width=200))
        err_console.print(f"Wrote {out}", highlight=False)
    else:
        _print_table(outcome, console)


INDICATOR_COLUMNS = ["id", "name", "unit", "direction", "period", "source", "coverage"]


def indicators_command(
    icb: IcbOption,
    format: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """List the indicators an ICB's allocation can use (ids for --component), with coverage."""
    with reading_warehouse(), connect_warehouse(db) as con:
        entries = build_catalogue(con, icb)
        pool = find_icb(con, icb)
    data = [entry.as_dict() for entry in entries]
    if format is Format.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    if format is Format.csv:
        rows = [[d[c] for c in INDICATOR_COLUMNS] for d in data]
        render_rows(console, format, INDICATOR_COLUMNS, rows)
        return
    rows = [
        [
            d["id"],
            d["name"],
            d["unit"],
            d["direction"],
            d["period"] or "",
            d["source"],
            format_share(d["coverage"]),
        ]
        for d in data
    ]
    render_rows(
        console,
        format,
        INDICATOR_COLUMNS,
        rows,
        # Named in full, as the organisation names itself; the count is of the pool's practices.
        title=(
            f"Indicators for {_icb_named(pool.code, pool.name)} (coverage: share of its "
            f"{format_count(pool.practices)} practices in the allocation pool)"
        ),
    )
