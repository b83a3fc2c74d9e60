"""Users' own indicators: a CSV or Excel file of practice codes and values, read in memory.

A commissioner may bring a local indicator (say, the share of patients with an up-to-date
blood pressure reading) as a spreadsheet: one column of practice codes and one or more columns
of values. :func:`parse_indicator_upload` reads the bytes as they arrived (nothing is written to
disk), keeps every good row and reports every bad one with the row number the user sees in
their file (the header is row 1), the column and a plain-English message. Each value column
becomes a component the user can choose, with the id ``upload:<slug of the header>``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from openpyxl import load_workbook

#: Limits on what a user may upload.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_ROWS = 20_000
#: The id prefix of components read from an upload.
UPLOAD_ID_PREFIX = "upload:"
#: Headers (lower case, with ``_`` and ``-`` read as spaces) that name the practice-code column.
PRACTICE_CODE_HEADERS = frozenset(
    {
        "practice code",
        "gp code",
        "ods code",
        "practice ods code",
        "gp practice code",
        "org code",
        "organisation code",
        "organization code",
        # Fingertips exports name the practice code "Area Code".
        "area code",
    }
)
#: Headers of descriptive columns, which are not values.
LABEL_HEADERS = frozenset(
    {
        "name",
        "practice name",
        "gp name",
        "gp practice name",
        "area name",
        "organisation name",
        "pcn",
        "pcn code",
        "pcn name",
        "icb",
        "icb code",
        "icb name",
        "sub icb",
        "sub icb code",
        "sub icb name",
        "ccg",
        "ccg code",
        "ccg name",
        "postcode",
        "address",
        "notes",
        "comments",
    }
)
#: A header naming a percentage: "%", or a word starting "perc" (percent, percentage, perc).
PERCENT_HEADER = re.compile(r"%|\bperc", re.IGNORECASE)
PERCENT_MIN = 0.0
PERCENT_MAX = 100.0
#: "1,234,567.8": commas between groups of three digits are thousands separators.
THOUSANDS_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
CSV_EXTENSIONS = (".csv", ".txt")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
CSV_DELIMITERS = (",", "\t", ";")
MEGABYTE = 1024 * 1024

Row = tuple[int, list[object]]


@dataclass(frozen=True, slots=True)
class UploadProblem:
    """Something wrong in the file: the row as the user numbers it (header = 1) and the column,
    when the problem has one, and what is wrong in plain English."""

    row: int | None
    column: str | None
    message: str


@dataclass(frozen=True, slots=True)
class UploadedColumn:
    """A column of values, usable as a component: practice code -> value (good cells only).

    Practices without a good value are absent, so the allocation treats their value as missing.
    """

    id: str
    name: str
    is_percentage: bool
    values: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What was read: the usable columns, every problem, and the columns ignored as labels."""

    columns: tuple[UploadedColumn, ...]
    problems: tuple[UploadProblem, ...]
    practice_code_column: str | None = None
    ignored_columns: tuple[str, ...] = ()
    rows_read: int = 0


class _Fatal(Exception):
    """A problem that stops the file being read at all."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.problem = UploadProblem(row, None, message)


def _fail(message: str, *, row: int | None = None) -> UploadResult:
    return UploadResult(columns=(), problems=(UploadProblem(row, None, message),))


def _normalised_header(header: str) -> str:
    return " ".join(header.lower().replace("_", " ").replace("-", " ").split())


def _slug(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", header.lower()).strip("-")


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decode_csv(data: bytes) -> str:
    if data.startswith(ZIP_MAGIC) or b"\x00" in data:
        raise _Fatal("This does not look like a CSV file (it is not text). Save it as CSV.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV (comma delimited)" in Windows-1252.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise _Fatal(
            "The text of this file cannot be read. Save it as 'CSV UTF-8' and upload it again."
        ) from None


def _csv_rows(data: bytes) -> Iterator[Row]:
    text = _decode_csv(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            yield number, list(record)
    except csv.Error as error:
        raise _Fatal(f"This CSV file cannot be read: {error}.") from None


def _xlsx_rows(data: bytes) -> Iterator[Row]:
    if not data.startswith(ZIP_MAGIC):
        raise _Fatal("This is not a valid Excel (.xlsx) file. Save it again as .xlsx or CSV.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error on a damaged file
        raise _Fatal("This Excel file cannot be opened. Save it again as .xlsx or CSV.") from None
    try:
        if not workbook.worksheets:
            raise _Fatal("This Excel file has no sheets.")
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, list(values)
    finally:
        workbook.close()


def _rows(data: bytes, filename: str) -> Iterator[Row]:
    name = filename.lower()
    if name.endswith(CSV_EXTENSIONS):
        return _csv_rows(data)
    if name.endswith(XLSX_EXTENSIONS):
        return _xlsx_rows(data)
    if name.endswith(".xls"):
        raise _Fatal("Old Excel (.xls) files are not supported. Save it as .xlsx or CSV.")
    raise _Fatal(f"Upload a CSV or Excel (.xlsx) file; '{filename}' is neither.")


def _read_table(data: bytes, filename: str, max_rows: int) -> tuple[Row, list[Row]]:
    """Return the header row and the non-blank data rows, at most ``max_rows`` of them."""
    header: Row | None = None
    body: list[Row] = []
    for number, values in _rows(data, filename):
        if all(_is_blank(value) for value in values):
            continue
        if header is None:
            header = (number, values)
            continue
        if len(body) == max_rows:
            raise _Fatal(
                f"The file has more than {max_rows:,} rows of data; upload at most {max_rows:,}."
            )
        body.append((number, values))
    if header is None:
        raise _Fatal("The file is empty.")
    return header, body


def _number(value: object) -> float | None:
    """Return the cell as a number, or ``None`` if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        if THOUSANDS_NUMBER.match(text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _cell(values: list[object], index: int) -> object:
    return values[index] if index < len(values) else None


@dataclass(slots=True)
class _Column:
    index: int
    name: str
    id: str
    is_percentage: bool
    values: dict[str, float]


def _choose_columns(
    header: Row, body: Sequence[Row], problems: list[UploadProblem]
) -> tuple[int, list[_Column], list[str]]:
    """Find the practice-code column and the value columns; return the ignored labels too."""
    names = ["" if _is_blank(value) else str(value).strip() for value in header[1]]
    code_index = next(
        (i for i, name in enumerate(names) if _normalised_header(name) in PRACTICE_CODE_HEADERS),
        None,
    )
    if code_index is None:
        raise _Fatal(
            "No practice-code column: name the column of practice codes 'Practice code' "
            "(or 'GP code' or 'ODS code').",
            row=header[0],
        )
    width = max([len(names), *(len(values) for _, values in body)])
    columns: list[_Column] = []
    ignored: list[str] = []
    ids: set[str] = set()
    for index in range(width):
        if index == code_index:
            continue
        name = names[index] if index < len(names) else ""
        cells = [_cell(values, index) for _, values in body]
        if not name:
            if any(not _is_blank(cell) for cell in cells):
                problems.append(
                    UploadProblem(
                        header[0],
                        f"column {index + 1}",
                        "This column has values but no header, so it was ignored.",
                    )
                )
            continue
        if _normalised_header(name) in LABEL_HEADERS or all(
            _number(cell) is None for cell in cells
        ):
            ignored.append(name)
            continue
        slug = _slug(name) or f"column-{index + 1}"
        column_id, suffix = UPLOAD_ID_PREFIX + slug, 1
        while column_id in ids:
            suffix += 1
            column_id = f"{UPLOAD_ID_PREFIX}{slug}-{suffix}"
        ids.add(column_id)
        columns.append(_Column(index, name, column_id, bool(PERCENT_HEADER.search(name)), {}))
    if not columns:
        raise _Fatal(
            "No value columns: add at least one column of numbers beside the practice codes.",
            row=header[0],
        )
    return code_index, columns, ignored


def _read_value(
    column: _Column, row: int, code: str, value: object, problems: list[UploadProblem]
) -> None:
    if _is_blank(value):
        return  # a missing value: the allocation decides what to do with it
    number = _number(value)
    if number is None:
        problems.append(
            UploadProblem(row, column.name, f"'{value}' is not a number; it was left out.")
        )
    elif number < 0:
        problems.append(
            UploadProblem(
                row,
                column.name,
                f"{value} is negative; values must be 0 or more, so it was left out.",
            )
        )
    elif column.is_percentage and not PERCENT_MIN <= number <= PERCENT_MAX:
        problems.append(
            UploadProblem(
                row,
                column.name,
                f"{value} is not a percentage between 0 and 100; it was left out.",
            )
        )
    else:
        column.values[code] = number


def parse_indicator_upload(
    data: bytes,
    filename: str,
    icb_practice_codes: set[str],
    known_practice_codes: set[str],
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = MAX_UPLOAD_ROWS,
) -> UploadResult:
    """Read a user's indicator file (CSV or XLSX bytes) into columns of practice values.

    ``icb_practice_codes`` are the practices of the chosen ICB, ``known_practice_codes`` every
    practice in England. Rows for unknown practices, practices of another ICB, repeated
    practices, and cells that are not numbers (or are negative, or a percentage outside 0-100
    in a column whose header says ``%``, ``percent`` or ``perc``) are reported and left out;
    the good rows stay usable. A file that cannot be read at all (empty, too big, too many
    rows, not CSV or XLSX, no practice-code column, no value columns) gives no columns and a
    single problem saying why.
    """
    if not data:
        return _fail("The file is empty.")
    if len(data) > max_bytes:
        return _fail(
            f"The file is {len(data) / MEGABYTE:.1f} MB; the largest file accepted is "
            f"{max_bytes / MEGABYTE:.1f} MB."
        )
    problems: list[UploadProblem] = []
    try:
        header, body = _read_table(data, filename, max_rows)
        code_index, columns, ignored = _choose_columns(header, body, problems)
    except _Fatal as fatal:
        return UploadResult(columns=(), problems=(*problems, fatal.problem))

    in_icb = {code.strip().upper() for code in icb_practice_codes}
    known = {code.strip().upper() for code in known_practice_codes} | in_icb
    code_column = str(header[1][code_index]).strip()
    first_seen: dict[str, int] = {}
    for row, values in body:
        raw_code = _cell(values, code_index)
        code = "" if _is_blank(raw_code) else str(raw_code).strip().upper()
        if not code:
            problems.append(UploadProblem(row, code_column, "No practice code; row left out."))
            continue
        if code not in known:
            problems.append(
                UploadProblem(
                    row, code_column, f"'{code}' is not a known practice code; row left out."
                )
            )
            continue
        if code not in in_icb:
            problems.append(
                UploadProblem(
                    row,
                    code_column,
                    f"Practice {code} belongs to another ICB; row left out.",
                )
            )
            continue
        if code in first_seen:
            problems.append(
                UploadProblem(
                    row,
                    code_column,
                    f"Practice {code} appears again (first on row {first_seen[code]}); "
                    "this row was left out.",
                )
            )
            continue
        first_seen[code] = row
        for column in columns:
            _read_value(column, row, code, _cell(values, column.index), problems)

    return UploadResult(
        columns=tuple(
            UploadedColumn(
                id=column.id,
                name=column.name,
                is_percentage=column.is_percentage,
                values=MappingProxyType(dict(sorted(column.values.items()))),
            )
            for column in columns
        ),
        problems=tuple(problems),
        practice_code_column=code_column,
        ignored_columns=tuple(ignored),
        rows_read=len(body),
    )


#: The header of the practice-code column of the carried data.
CARRIED_CODE_HEADER = "Practice code"


def upload_as_csv(columns: Sequence[UploadedColumn]) -> str:
    """The good values of an upload as CSV text (code, then one column per upload column).

    The column headers are the user's own, so that reading it back gives the same ids; it is
    read only by :func:`gpequity.allocation.parse_indicator_upload`, never by a spreadsheet.
    """
    if not columns:
        return ""
    codes = sorted({code for column in columns for code in column.values})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([CARRIED_CODE_HEADER, *(column.name for column in columns)])
    for code in codes:
        values = [column.values.get(code) for column in columns]
        writer.writerow([code, *("" if v is None else repr(v) for v in values)])
    return buffer.getvalue()
