"""``gpequity payments ...``: NHS payments to general practice, nationally and by deprivation.

Thin: each command opens the warehouse, calls :mod:`gpequity.analysis.payments` (or
:mod:`gpequity.charts`) and formats the result. The JSON of each command is the result's
``as_dict()``, the documented contract (``docs/payments-analysis.md``); table and CSV show the
result's ``table()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol

import duckdb
import typer
from rich.console import Console

from gpequity import config
from gpequity.analysis.payments import (
    By,
    DeprivationResult,
    Dispensing,
    Exclusion,
    Table,
    Total,
    national_summary,
    payments_by_deprivation,
    payments_trend,
    resolve_year,
)
from gpequity.commands.options import DbOption, FormatOption, YearOption, check_out_file
from gpequity.formats import (
    format_count,
    format_index,
    format_people,
    format_pounds,
    format_with_interval,
)
from gpequity.intervals import MEANING as INTERVAL_MEANING
from gpequity.output import Format, render_rows
from gpequity.warehouse.icbs import IcbMap, uses_current_map

payments_app = typer.Typer(
    help="NHS payments to general practice: national totals, and who gets the money by "
    "deprivation, dispensing status and place.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help texts: "[default: ...]" is shown as written
)


def _console() -> Console:
    # Made per command, so that the terminal's width (COLUMNS) is read when it runs.
    return Console()


TotalOption = Annotated[
    Total,
    typer.Option(
        "--total",
        help="Which official total: core (Total NHS Payments to General Practice), incl_covid "
        "or incl_covid_pcn.",
    ),
]
ExcludePrescribingOption = Annotated[
    bool,
    typer.Option(
        "--exclude-prescribing",
        help="Leave out the prescribing- and dispensing-related payments (prescribing and "
        "dispensing fees, reimbursement of drugs).",
    ),
]

#: Columns shown in pounds and pence in the table format.
MONEY_COLUMNS = frozenset(
    {
        "payments",
        "total_payments",
        "total_payments_incl_covid",
        "total_payments_incl_covid_pcn",
        "total_payments_minus_deductions",
        "prescribing_dispensing_payments",
        "per_registered_patient",
        "per_weighted_patient",
    }
)
PATIENT_COLUMNS = frozenset({"registered_patients", "weighted_patients"})


@contextmanager
def _warehouse(db: Path | None) -> Iterator[duckdb.DuckDBPyConnection]:
    from gpequity.warehouse.build import connect

    con = connect(config.db_path(db))
    try:
        yield con
    finally:
        con.close()


def _cell(name: str, value: Any) -> Any:
    """One value of a table for people, written as the web pages and datapacks write it."""
    if (
        name in MONEY_COLUMNS
        or name.endswith("_per_weighted_patient")
        or name.startswith("per_weighted_patient_ci_")
    ):
        return format_pounds(value)
    if name in PATIENT_COLUMNS:
        return format_people(value)
    return value  # render_rows writes counts and missing values


def _display(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows for people: money in pounds and pence, patients in whole numbers."""
    return [[_cell(name, value) for name, value in zip(header, row, strict=True)] for row in rows]


class _Result(Protocol):
    """A payments result: a table of figures, and the same as a JSON document."""

    def table(self) -> Table: ...

    def as_dict(self) -> dict[str, Any]: ...


def _render(console: Console, fmt: Format, result: _Result, *, title: str) -> None:
    table = result.table()
    if fmt is Format.table:
        # The label says the rank in words; the bare number is for CSV and JSON.
        keep = [i for i, h in enumerate(table.header) if h not in ("quintile", "decile")]
        header = [table.header[i] for i in keep]
        rows = [[row[i] for i in keep] for row in table.rows]
        render_rows(console, fmt, header, _display(header, rows), title=title)
    else:
        render_rows(console, fmt, table.header, table.rows, json_value=result.as_dict())


def _print_exclusions(console: Console, excluded: Sequence[Exclusion]) -> None:
    for e in excluded:
        console.print(
            f"Excluded ({e.key}): {format_count(e.practices)} practices, "
            f"{format_pounds(e.payments)} — {e.reason}",
            highlight=False,
            soft_wrap=True,
        )


def _print_notes(console: Console, notes: Sequence[str]) -> None:
    for note in notes:
        console.print(f"Note: {note}", highlight=False, soft_wrap=True)


@payments_app.command("summary")
def summary(
    year: YearOption = None, db: DbOption = None, format: FormatOption = Format.table
) -> None:
    """England's totals for a year: practices, patients, payments under each official total,
    prescribing/dispensing payments, and the same by dispensing status."""
    console = _console()
    with _warehouse(db) as con:
        result = national_summary(con, resolve_year(con, year))
    table = result.table()
    if format is not Format.table:
        render_rows(console, format, table.header, table.rows, json_value=result.as_dict())
        return
    # For people: the national figures down the page, then one column per dispensing status.
    rows = _display(table.header, table.rows)
    render_rows(
        console,
        format,
        ["measure", "England"],
        [[h, v] for h, v in zip(table.header[2:], rows[0][2:], strict=True)],
        title=f"NHS payments to general practice, {result.year}",
    )
    status_columns = [2, 3, 5, 9]
    render_rows(
        console,
        format,
        ["measure", *(r[1] for r in rows[1:])],
        [[table.header[i], *(r[i] for r in rows[1:])] for i in status_columns],
        title="By dispensing status",
    )
    _print_notes(console, result.notes)


def _measure_lines(result: DeprivationResult) -> list[str]:
    lines = []
    level = result.interval_settings.level
    for key in result.gap_q1_minus_q5:
        where = "" if result.by is None else f"{result.by.value} {key}: "
        found = result.interval_of(key)
        gap = format_with_interval(result.gap_q1_minus_q5[key], found.gap, level=level)
        slope = format_with_interval(result.slope_index[key], found.slope_index, level=level)
        index = format_with_interval(
            result.concentration_index[key], found.concentration_index, format_index, level=level
        )
        lines.append(
            f"{where}gap Q1 (least deprived) minus Q5 (most deprived) {gap} per weighted "
            f"patient; slope index of inequality {slope}; concentration index {index}"
        )
    lines.append(INTERVAL_MEANING)
    return lines


@payments_app.command("by-deprivation")
def by_deprivation(
    year: YearOption = None,
    by: Annotated[
        By | None,
        typer.Option(
            "--by",
            help="Split each quintile by dispensing status, rurality, ICB or contract type.",
        ),
    ] = None,
    total: TotalOption = Total.core,
    exclude_prescribing: ExcludePrescribingOption = False,
    deciles: Annotated[
        bool, typer.Option("--deciles", help="Deciles (D1 to D10) instead of quintiles.")
    ] = False,
    icb_map: Annotated[
        IcbMap,
        typer.Option(
            "--icb-map",
            help="With --by icb: group the year's practices by today's ICBs (current, the "
            "36 of April 2026) or by the ICBs of that year (historic).",
        ),
    ] = IcbMap.current,
    db: DbOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Payments per registered and per weighted patient by IMD quintile (ratios of sums), the
    Q1-Q5 gap, the slope index of inequality and the concentration index."""
    console = _console()
    with _warehouse(db) as con:
        result = payments_by_deprivation(
            con,
            resolve_year(con, year),
            total=total,
            exclude_prescribing=exclude_prescribing,
            by=by,
            deciles=deciles,
            icb_map=icb_map,
        )
        today = uses_current_map(con, icb_map)
    split = f" by {by.value}" if by else ""
    if by is By.icb:
        split += " (the ICBs of today)" if today else " (the ICBs of the year)"
    title = f"Payments by deprivation{split}, {result.year} ({total.value} total)"
    _render(console, format, result, title=title)
    if format is Format.table:
        for line in _measure_lines(result):
            console.print(line, highlight=False, soft_wrap=True)
        console.print(
            "Per-patient figures are ratios of sums (a group's payments / its patients).",
            highlight=False,
            soft_wrap=True,
        )
        _print_exclusions(console, result.excluded)
        _print_notes(console, result.notes)


@payments_app.command("trend")
def trend(
    total: TotalOption = Total.core,
    exclude_prescribing: ExcludePrescribingOption = False,
    dispensing: Annotated[
        Dispensing,
        typer.Option(
            "--dispensing",
            help="All practices, or only dispensing (yes) or non-dispensing (no) ones.",
        ),
    ] = Dispensing.all,
    db: DbOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Payments per weighted patient by IMD quintile, every loaded year (2014/15 on)."""
    console = _console()
    with _warehouse(db) as con:
        result = payments_trend(
            con, total=total, exclude_prescribing=exclude_prescribing, dispensing=dispensing
        )
    title = f"Payments by deprivation, year by year ({total.value} total)"
    _render(console, format, result, title=title)
    if format is Format.table:
        for y in result.years:
            console.print(
                f"{y.year}: gap Q1 minus Q5 {format_pounds(y.gap_q1_minus_q5)} per weighted "
                f"patient (IMD: {', '.join(y.imd_methods) or 'unknown'})",
                highlight=False,
                soft_wrap=True,
            )
        for s in result.skipped:
            console.print(f"Skipped {s.year}: {s.reason}", highlight=False, soft_wrap=True)
        console.print(
            "Per-patient figures are ratios of sums (a group's payments / its patients).",
            highlight=False,
            soft_wrap=True,
        )
        _print_notes(console, result.notes)


@payments_app.command("chart")
def chart(
    name: Annotated[
        str,
        typer.Argument(
            help="dispensing-split, dispensing-distribution, trend or payment-lines.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="File to write: .svg or .png.", show_default=False)
    ],
    year: YearOption = None,
    total: TotalOption = Total.core,
    db: DbOption = None,
    format: Annotated[
        Format, typer.Option("--format", help="Format of the chart's data printed after it.")
    ] = Format.table,
) -> None:
    """Write chart NAME as SVG or PNG (offline), and print its reading and data."""
    console = _console()
    from gpequity.charts import UnsupportedChartFile, build_chart, write_chart

    if out.suffix.lower() not in (".svg", ".png"):
        raise UnsupportedChartFile(out)
    check_out_file(out)
    with _warehouse(db) as con:
        built = build_chart(con, name, resolve_year(con, year), total=total)
    write_chart(built, out)
    table = Table(built.header, built.rows)
    if format is Format.table:
        console.print(f"Wrote {out}", highlight=False, soft_wrap=True)
        console.print(built.reading, highlight=False, soft_wrap=True)
        render_rows(
            console, format, built.header, _display(built.header, built.rows), title=built.title
        )
    else:
        render_rows(
            console,
            format,
            table.header,
            table.rows,
            json_value={
                "chart": built.name,
                "title": built.title,
                "reading": built.reading,
                "file": str(out),
                "data": built.records(),
            },
        )
