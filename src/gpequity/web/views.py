"""The view types every page family fills in and the templates place: form fields, tables,
links, charts, errors.

A presenter builds these from results (every text already formatted); a template only lays
them out (``templates/partials``). Nothing here knows about a particular page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, replace
from decimal import Decimal, InvalidOperation

from markupsafe import Markup

from gpequity.errors import FieldProblem

# The table, summary-list and link types live below the front ends, where the datapacks can share
# them; they are named here too, so that a page imports every view type from one place.
from gpequity.views import Cell as Cell
from gpequity.views import Column as Column
from gpequity.views import Link as Link
from gpequity.views import SummaryItem as SummaryItem
from gpequity.views import TableView as TableView
from gpequity.views import figure_columns as figure_columns
from gpequity.views import text_table as text_table

ASCENDING = "asc"
DESCENDING = "desc"


# --- form fields ---------------------------------------------------------------------------------


#: A problem with one field of a form: the id of its control (the error summary links to it).
FieldError = FieldProblem


@dataclass(frozen=True)
class Option:
    """One choice of a select, a radio group or a filter: the value sent, its words, whether it
    is chosen; a radio also has its input's ``id`` and, optionally, a hint."""

    value: str
    text: str
    selected: bool = False
    id: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class OptionGroup:
    """Options of a select; ``label`` ``None``: not in an ``optgroup``."""

    label: str | None
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Control:
    """What every control of a form has: the id its label (and the error summary) points at,
    the name it sends, its label (a radio group's legend), and optionally a hint and the
    message of its error."""

    id: str
    name: str
    label: str
    _: KW_ONLY
    hint: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class SelectField(Control):
    groups: tuple[OptionGroup, ...]
    hx_refresh: bool = False


@dataclass(frozen=True)
class TextField(Control):
    value: str
    width: int | None = None
    numeric: bool = False
    prefix: str | None = None
    suffix: str | None = None
    multiline: bool = False
    data_weight: bool = False


@dataclass(frozen=True)
class RadioGroup(Control):
    items: tuple[Option, ...]
    inline: bool = False
    small: bool = False


def errors_by_field(errors: Iterable[FieldError]) -> dict[str, str]:
    """Each field's messages, joined: what its control shows."""
    out: dict[str, str] = {}
    for e in errors:
        out[e.field] = f"{out[e.field]} {e.message}" if e.field in out else e.message
    return out


def radio_group(
    group_id: str,
    name: str,
    legend: str,
    choices: Sequence[tuple[str, str, str | None]],
    value: str,
    errors: Mapping[str, str],
    *,
    hint: str | None = None,
    inline: bool = False,
    small: bool = False,
) -> RadioGroup:
    """Radios for ``choices`` (value, label, hint), ``value`` checked (else the first)."""
    values = [c[0] for c in choices]
    chosen = value if value in values else values[0]
    items = tuple(
        Option(
            value=choice,
            text=label,
            selected=choice == chosen,
            id=group_id if index == 0 else f"{group_id}-{choice or 'usual'}",
            hint=item_hint,
        )
        for index, (choice, label, item_hint) in enumerate(choices)
    )
    return RadioGroup(
        group_id, name, legend, items, inline, small, hint=hint, error=errors.get(group_id)
    )


def page_title(heading: str, errors: Sequence[FieldError]) -> str:
    """The page's ``<title>``: "Error: " first when the form has errors."""
    return f"Error: {heading}" if errors else heading


# --- tables --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortChoice:
    """The order of a table: a column key (``None``: by the first column) and the direction."""

    key: str | None = None
    descending: bool = False

    def items(self) -> list[tuple[str, str]]:
        if self.key is None:
            return []
        return [("sort", self.key), ("order", DESCENDING if self.descending else ASCENDING)]


def read_sort(sort: str | None, order: str | None, keys: Sequence[str]) -> SortChoice:
    """``?sort=allocation&order=desc``; anything unknown falls back to the first column."""
    key = (sort or "").strip().lower()
    if key not in keys:
        return SortChoice()
    return SortChoice(key, (order or "").strip().lower() == DESCENDING)


def _sort_key(value: str | None) -> tuple[int, Decimal | str]:
    if value is None or value == "":
        return (1, "")
    try:
        return (0, Decimal(value))
    except InvalidOperation:
        return (0, value.lower())


def sort_rows(
    rows: Sequence[tuple[Cell, ...]], index: int, descending: bool
) -> list[tuple[Cell, ...]]:
    """Rows in the order of column ``index``'s sort values; rows without a value stay last."""
    present = [r for r in rows if _sort_key(r[index].sort_value)[0] == 0]
    missing = [r for r in rows if _sort_key(r[index].sort_value)[0] == 1]
    ordered = sorted(present, key=lambda r: _sort_key(r[index].sort_value)[1], reverse=descending)
    return ordered + missing


def sort_table_rows(
    rows: Sequence[tuple[Cell, ...]], columns: Sequence[Column], sort: SortChoice
) -> list[tuple[Cell, ...]]:
    """Rows in the chosen order (as given when the choice is no column of the table)."""
    keys = [c.key for c in columns]
    if sort.key in keys:
        return sort_rows(rows, keys.index(sort.key), sort.descending)
    return list(rows)


def sortable_columns(
    columns: Sequence[Column], sort: SortChoice, href: Callable[[SortChoice], str]
) -> tuple[Column, ...]:
    """Columns with links that sort by them (ascending first, then descending)."""
    out = []
    for column in columns:
        if column.key is None:
            out.append(column)
            continue
        current = sort.key == column.key
        next_choice = SortChoice(column.key, current and not sort.descending)
        aria = None
        if current:
            aria = "descending" if sort.descending else "ascending"
        out.append(
            replace(
                column,
                href=href(next_choice),
                aria_sort=aria,
                next_order=DESCENDING if next_choice.descending else ASCENDING,
            )
        )
    return tuple(out)


# --- the rest ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartView:
    """A chart as the page shows it: its SVG, its reading and (optionally) its data table."""

    id: str
    heading: str
    reading: str
    svg: Markup
    table: TableView | None
