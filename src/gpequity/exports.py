"""Spreadsheets the project hands out (CSV and XLSX), safe to open in Excel.

Every CSV or XLSX the project writes goes through :func:`write_csv` or :func:`write_xlsx`, which
pass each text cell through :func:`neutralise_cell`: a spreadsheet treats text starting with
``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula, so a
practice name such as ``=HYPERLINK(...)`` in a download could run in the user's Excel ("CSV
injection", OWASP). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: A text cell starting with one of these is read as a formula by spreadsheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: What is put in front of such a cell so that it is read as text.
NEUTRALISING_PREFIX = "'"
#: Excel's limits on sheet names.
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _neutralise_text(text: str) -> str:
    return NEUTRALISING_PREFIX + text if text.startswith(FORMULA_TRIGGERS) else text


def neutralise_cell(value: object) -> object:
    """Return ``value`` made safe for a spreadsheet cell.

    A string beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a ``'``
    in front, so the spreadsheet shows it as text instead of running it as a formula; anything
    else (numbers included, negative ones too) is returned unchanged.
    """
    return _neutralise_text(value) if isinstance(value, str) else value


def _csv_text(value: object) -> str:
    """Return a cell as CSV text: numbers in plain notation, ``None`` as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Fraction):
        return repr(float(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return _neutralise_text(value if isinstance(value, str) else str(value))


def write_csv(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    """Return the rows as CSV text (a header line, then one line per row, CRLF line ends).

    Every text cell, header included, is neutralised against formula injection; ``None`` is an
    empty cell; Decimals keep their exact digits (``1234.50``).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(name) for name in header])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return buffer.getvalue()


def _xlsx_value(value: object) -> object:
    if isinstance(value, bool | int | float | Decimal | date | datetime) or value is None:
        return value
    if isinstance(value, Fraction):
        return float(value)
    # openpyxl refuses control characters that XML cannot hold; drop them.
    text = ILLEGAL_CHARACTERS_RE.sub("", value if isinstance(value, str) else str(value))
    return _neutralise_text(text)


def _sheet_title(name: str, taken: set[str]) -> str:
    base = SHEET_NAME_FORBIDDEN.sub(" ", name).strip().strip("'")[:SHEET_NAME_MAX] or "Sheet"
    title, number = base, 1
    while title.lower() in taken:
        number += 1
        suffix = f" ({number})"
        title = base[: SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def write_xlsx(sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """Return an Excel workbook (``.xlsx`` bytes) with one sheet per entry of ``sheets``.

    ``sheets`` maps a sheet name to ``(header, rows)``. Numbers (Decimals included) are written
    as numbers; every text cell, header included, is neutralised against formula injection.
    Sheet names are cut to Excel's 31 characters and made unique.
    """
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for name, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(_sheet_title(name, taken))
        sheet.append([_xlsx_value(value) for value in header])
        for row in rows:
            sheet.append([_xlsx_value(value) for value in row])
    if not sheets:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- workbooks for people: formats, widths, frozen headers, filters, totals ----------------------

#: Excel number formats: pounds and pence (negative in red with a minus), a fraction of 1 as a
#: percentage, and whole numbers.
POUNDS_FORMAT = '"£"#,##0.00;[Red]-"£"#,##0.00'
PER_PATIENT_FORMAT = '"£"#,##0.0000'
SHARE_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
#: Column widths (characters) when not given: the longest text, within these bounds.
MIN_WIDTH = 8
MAX_WIDTH = 60


@dataclass(frozen=True, slots=True)
class SheetColumn:
    """A column of a formatted sheet: its heading, number format and width (``None``: fitted
    to the longest text, between :data:`MIN_WIDTH` and :data:`MAX_WIDTH`)."""

    header: str
    number_format: str | None = None
    width: float | None = None


@dataclass(frozen=True, slots=True)
class FormattedSheet:
    """A sheet for people: bold frozen headings, a filter over the rows (``table``), number
    formats and widths per column, and an optional bold ``totals`` row after the rows."""

    name: str
    columns: Sequence[SheetColumn]
    rows: Sequence[Sequence[object]]
    totals: Sequence[object] | None = None
    table: bool = True


def _width(column: SheetColumn, values: Iterable[object]) -> float:
    if column.width is not None:
        return column.width
    longest = max([len(column.header), *(len(str(v)) for v in values if v is not None)])
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))


def write_formatted_xlsx(sheets: Sequence[FormattedSheet]) -> bytes:
    """Return an Excel workbook (``.xlsx`` bytes) of sheets laid out for people to read.

    As :func:`write_xlsx`, every text cell is neutralised against formula injection and numbers
    stay numbers; each sheet's heading row is bold and frozen, a ``table`` sheet has a filter
    over its heading and rows (not the totals), and each column has its number format and width.
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    default = workbook.active
    taken: set[str] = set()
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(_sheet_title(spec.name, taken))
        sheet.append([_xlsx_value(c.header) for c in spec.columns])
        for cell in sheet[1]:
            cell.font = bold
        rows = [list(row) for row in spec.rows]
        for row in rows:
            sheet.append([_xlsx_value(value) for value in row])
        if spec.totals is not None:
            sheet.append([_xlsx_value(value) for value in spec.totals])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        last_row = sheet.max_row
        for index, column in enumerate(spec.columns, start=1):
            letter = get_column_letter(index)
            values = [row[index - 1] for row in rows if index - 1 < len(row)]
            sheet.column_dimensions[letter].width = _width(column, values)
            if column.number_format:
                for (cell,) in sheet.iter_rows(
                    min_row=2, max_row=last_row, min_col=index, max_col=index
                ):
                    cell.number_format = column.number_format
        sheet.freeze_panes = "A2"
        if spec.table and spec.columns:
            end = get_column_letter(len(spec.columns))
            sheet.auto_filter.ref = f"A1:{end}{len(rows) + 1}"
    if sheets and default is not None:
        workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
