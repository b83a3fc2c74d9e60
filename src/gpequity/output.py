"""Print data for people (Rich tables) or programs (CSV, JSON): ``--format table|csv|json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gpequity.formats import NOT_AVAILABLE, format_count


class Format(StrEnum):
    """Output formats of data commands."""

    table = "table"
    csv = "csv"
    json = "json"


def progress_bar(console: Console) -> Progress:
    """A progress bar of the long commands (load, demo, datapacks), shown on ``console``.

    It is transient: it disappears when the work is done, leaving only what the command prints.
    """
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
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
            table.add_row(*(_table_cell(v) for v in row))
        console.print(table)


def _table_cell(value: Any) -> str:
    """A value in a table for people: counts with commas, the one word for no value."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, int) and not isinstance(value, bool):
        return format_count(value)
    return str(value)
