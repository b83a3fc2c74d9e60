"""Print data for people (Rich tables) or programs (CSV, JSON): ``--format table|csv|json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from gpequity.formats import NOT_AVAILABLE, format_count


class Format(StrEnum):
    """Output formats of data commands."""

    table = "table"
    csv = "csv"
    json = "json"


def progress_bar(console: Console, done: ProgressColumn | None = None) -> Progress:
    """A progress bar of the long commands (load, demo, datapacks, fetch), shown on ``console``;
    ``done`` says how far it is (by default "3/42": steps done of all).

    It is transient: it disappears when the work is done, leaving only what the command prints.
    """
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        done or MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def to_jsonable(value: Any) -> Any:
    """Make Decimals numbers and dataclass-like values plain, for ``json.dumps``."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """JSON text with Decimals as numbers."""
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)


def render_rows(
    console: Console,
    fmt: Format,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    json_value: Any = None,
) -> None:
    """Print rows as a table, CSV (formula-safe) or JSON (``json_value`` or a list of objects)."""
    if fmt is Format.json:
        value = (
            json_value
            if json_value is not None
            else [dict(zip(header, r, strict=True)) for r in rows]
        )
        console.print_json(dumps(value)) if console.is_terminal else print(dumps(value))
    elif fmt is Format.csv:
        from gpequity.exports import write_csv

        print(write_csv(rows, header), end="")
    else:
        table = Table(title=title)
        for name in header:
            table.add_column(name)
        for row in rows:
            # Text, not markup: a value's own brackets are shown as they are
            table.add_row(*(Text(_table_cell(v)) for v in row))
        print_table(console, table)


#: Wider than any table: the width at which a table's natural layout is measured.
UNBOUNDED_WIDTH = 100_000


def print_table(console: Console, table: Table) -> None:
    """Print ``table`` without cutting any value (Rich's "£2,277,…" hid the digits, and
    "payments-per-weighted-pati…" the id users must type).

    In a terminal a value too wide for its column folds onto the next line. Anywhere else (a
    pipe or a file, where Rich assumes 80 columns) the table is printed at its natural width,
    whatever the width of the terminal, so every value stays whole on its line.
    """
    for column in table.columns:
        column.overflow = "fold"
    if console.is_terminal:
        console.print(table)
        return
    natural = Console(width=UNBOUNDED_WIDTH).measure(table).maximum
    console.print(_AtWidth(table, max(natural, console.width)), crop=False)


class _AtWidth:
    """A renderable laid out at ``width`` columns, whatever the console's width."""

    def __init__(self, renderable: RenderableType, width: int) -> None:
        self.renderable = renderable
        self.width = width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from console.render(self.renderable, options.update_width(self.width))


def _table_cell(value: Any) -> str:
    """A value in a table for people: counts with commas, the one word for no value."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, int) and not isinstance(value, bool):
        return format_count(value)
    return str(value)
