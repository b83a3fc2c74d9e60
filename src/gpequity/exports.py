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
