"""The view types every front end fills in to show a table, a summary list or a link: the web
pages (through :mod:`gpequity.web.views`, which adds the form fields and charts) and the
datapacks alike.

Every text is already formatted (:mod:`gpequity.formats`); a template only lays them out. Pure:
no imports from the rest of gpequity, so both ``reports`` and ``web`` can use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# --- tables --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and the value it sorts by (``None``: sorts last)."""

    text: str
    numeric: bool = False
    header: bool = False
    sort_value: str | None = None
    note: str | None = None
    secondary: str | None = None


@dataclass(frozen=True)
class Column:
    """A column heading; ``key``, ``href``, ``aria_sort`` and ``next_order`` for a column the
    reader can sort by (:func:`gpequity.web.views.sortable_columns`)."""

    label: str
    numeric: bool = False
    key: str | None = None
    href: str | None = None
    aria_sort: str | None = None
    next_order: str | None = None


def figure_columns(first: str, *figures: str) -> tuple[Column, ...]:
    """The columns of a table whose first column names the row and the rest are figures."""
    return (Column(first), *(Column(label, numeric=True) for label in figures))


@dataclass(frozen=True)
class TableView:
    """A table as a page prints it: caption, column headings, rows of cells (and a foot)."""

    id: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    foot: tuple[Cell, ...] | None = None
    sortable: bool = False
    small: bool = False
    csv_href: str | None = None
    #: Sentences printed under the table (the datapacks' notes on a measure).
    notes: tuple[str, ...] = ()


def text_table(
    caption: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[str]],
    notes: Sequence[str] = (),
    *,
    id: str = "",
    csv_href: str | None = None,
) -> TableView:
    """A table of formatted texts, as the datapacks, the allocation report and the profile
    pages print them: the first cell of a row names it, each other cell is numeric when its
    column is."""
    return TableView(
        id=id,
        caption=caption,
        columns=tuple(columns),
        rows=tuple(
            tuple(
                Cell(text, header=index == 0, numeric=index > 0 and column.numeric)
                for index, (text, column) in enumerate(zip(row, columns, strict=True))
            )
            for row in rows
        ),
        notes=tuple(notes),
        csv_href=csv_href,
    )


# --- the rest ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryItem:
    """One row of a summary list: a name, its value and, optionally, what it means and where
    the value links to."""

    key: str
    value: str
    explanation: str = ""
    href: str | None = None


@dataclass(frozen=True)
class Link:
    """A link, and (optionally) a line of detail shown under it."""

    text: str
    href: str
    detail: str = ""
