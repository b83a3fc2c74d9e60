"""Users' own indicators: a CSV or Excel file of practice codes and values, read in memory.

A commissioner may bring a local indicator (say, the share of patients with an up-to-date
blood pressure reading) as a spreadsheet: one column of practice codes and one or more columns
of values. :func:`parse_indicator_upload` reads the bytes as they arrived (nothing is written to
disk), keeps every good row and reports every bad one with the row number the user sees in
their file (the header is row 1), the column and a plain-English message. Each value column
becomes a component the user can choose, with the id ``upload:<slug of the header>``.

A small file can ask for a great deal of work: a spreadsheet is a zip of XML, and a few hundred
kilobytes can unpack to gigabytes, hold twenty million pieces of text, or declare a sheet 16,384
columns wide. So every limit below is enforced while the file is read, before the work it asks
for is done: the zip's parts are measured (declared and actual sizes), and the shared text and
the formats counted by a streaming parser, before openpyxl sees the file; the sheet's declared
size is checked before its rows are read; rows, columns, cells and the time spent are counted
as the rows arrive. A breach stops the reading with a message naming the limit and what was found.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from xml.parsers import expat

from openpyxl import load_workbook

#: Limits on what a user may upload. A file of every practice in England (about 6,300) with a
#: few dozen columns is far inside each of them.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Rows of data after the header; blank rows count toward ``MAX_UPLOAD_ROWS + 1`` rows in all.
MAX_UPLOAD_ROWS = 20_000
MAX_UPLOAD_COLUMNS = 200
#: Cells of every row read, blank ones included.
MAX_UPLOAD_CELLS = 1_000_000
#: The different pieces of text of an Excel file (its shared strings), and their total length.
MAX_SHARED_STRINGS = 500_000
MAX_SHARED_STRING_CHARACTERS = 10_000_000
#: What the parts of an Excel file (a zip) may unpack to, together.
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
#: XML elements in the parts of an Excel file other than its sheets and shared strings:
#: formats, names, properties. A heavily formatted workbook has a few thousand.
MAX_XLSX_OTHER_ELEMENTS = 50_000
#: Wall-clock time spent reading one file; a normal upload takes a fraction of a second.
MAX_UPLOAD_SECONDS = 10.0
#: The largest value accepted (in either direction): far above any practice's indicator, far
#: below where the figures shown with it lose precision (1e26 broke the money formatter).
MAX_VALUE = 1e12
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
#: How much of a part of an Excel file is unpacked and parsed at a time.
XML_CHUNK_BYTES = 64 * 1024
CONTENT_TYPES_PART = "[Content_Types].xml"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
#: Where Excel puts the shared strings when the content types do not say.
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
CANNOT_OPEN_XLSX = "This Excel file cannot be opened. Save it again as .xlsx or CSV."
#: The byte-order marks of UTF-16 text, and how much of a file is looked at to spot UTF-16
#: written without one.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF16_SNIFF_BYTES = 64
#: "12,5": a number written with a decimal comma (a ';'-separated file of a European locale).
DECIMAL_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+%?$")
NO_VALUE_COLUMNS = "No value columns: add at least one column of numbers beside the practice codes."

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


class _Budget:
    """The wall-clock time one upload may take, from when its reading starts."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()

    def check(self) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed >= self.seconds:
            raise _Fatal(
                f"Reading the file was stopped after {elapsed:.1f} seconds; at most "
                f"{self.seconds:g} seconds are spent on one file. Upload a smaller file."
            )


def _fail(message: str, *, row: int | None = None) -> UploadResult:
    return UploadResult(columns=(), problems=(UploadProblem(row, None, message),))


def _normalised_header(header: str) -> str:
    return " ".join(header.lower().replace("_", " ").replace("-", " ").split())


def _slug(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", header.lower()).strip("-")


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decode_csv(data: bytes) -> str:
    if data.startswith(UTF16_BOMS):
        # Excel's "Unicode Text" is UTF-16 with a byte-order mark (and tabs between columns).
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _Fatal(
                "This file says it is UTF-16 text, but its text cannot be read as UTF-16. Save "
                "it as 'CSV UTF-8' and upload it again."
            ) from None
    if not data.startswith(ZIP_MAGIC) and _looks_utf16(data):
        raise _Fatal(
            "This file is saved as UTF-16 text without the mark that says so, which cannot be "
            "read reliably. Save it as 'CSV UTF-8' and upload it again."
        )
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


def _looks_utf16(data: bytes) -> bool:
    """Text of one byte characters written as UTF-16: every other byte of the start is 0."""
    start = data[:UTF16_SNIFF_BYTES]
    if len(start) < 2:
        return False
    return start[1::2].count(0) == len(start[1::2]) or start[0::2].count(0) == len(start[0::2])


def _first_line(text: str, lines_read: int, record: Sequence[str]) -> int:
    """The line a record started on: the lines read, less those its values span (a value
    running to the end of the file may hold the file's last line break)."""
    spanned = sum(field.count("\n") for field in record)
    at_end = text.endswith("\n") and bool(record) and record[-1].endswith("\n")
    return lines_read - spanned + (1 if at_end else 0)


def _csv_rows(data: bytes) -> Iterator[Row]:
    text = _decode_csv(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    multiline_from: int | None = None
    try:
        for number, record in enumerate(reader, start=1):
            line = _first_line(text, reader.line_num, record)
            multiline_from = line if any("\n" in field for field in record) else None
            yield number, list(record)
    except csv.Error as error:
        raise _Fatal(f"This CSV file cannot be read: {error}.") from None
    if multiline_from is not None and not text.rstrip("\r\n").endswith('"'):
        # The csv module reads an unclosed quote to the end of the file as one value: the
        # rows after it vanished into one cell and the file seemed to have no values.
        raise _Fatal(
            f'A quote mark (") on line {multiline_from} starts a value that is never closed, so '
            "everything after it was read as one value. Remove the stray quote mark, or close "
            "it, and upload the file again.",
            row=multiline_from,
        )


class _RootReached(Exception):
    """A part's first element was parsed: its prolog (where a DOCTYPE would be) is behind."""


def _refuse_doctype(*_: object) -> None:
    # A spreadsheet never declares a DOCTYPE or entities; they are how XML bombs are built.
    raise _Fatal("This Excel file declares XML entities, which a spreadsheet never does.")


def _local(name: str) -> str:
    """The element's name without its namespace (the parser joins them with a space)."""
    return name.rpartition(" ")[2]


def _parse_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    start: Callable[[str, dict[str, str]], None],
    budget: _Budget,
    text: Callable[[str], None] | None = None,
) -> None:
    """Stream one part of the workbook through expat, a chunk at a time, counting the bytes it
    really unpacks to (a zip may understate them)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = start
    if text is not None:
        parser.CharacterDataHandler = text
    unpacked = 0
    with archive.open(info) as part:
        while chunk := part.read(XML_CHUNK_BYTES):
            unpacked += len(chunk)
            if unpacked > MAX_XLSX_UNPACKED_BYTES:
                raise _Fatal(
                    f"The file unpacks to more than {MAX_XLSX_UNPACKED_BYTES / MEGABYTE:.0f} MB; "
                    f"at most {MAX_XLSX_UNPACKED_BYTES / MEGABYTE:.0f} MB is read."
                )
            parser.Parse(chunk, False)
            budget.check()
    parser.Parse(b"", True)


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> None:
    """Refuse a part that declares a DOCTYPE, reading only as far as its first element."""

    def stop(name: str, attributes: dict[str, str]) -> None:
        raise _RootReached

    with contextlib.suppress(_RootReached):
        _parse_part(archive, info, stop, budget)


class _ElementCounter:
    """Counts the XML elements of the parts openpyxl turns into objects one by one (formats,
    names, properties, relationships): a file of a million formats took two minutes."""

    def __init__(self) -> None:
        self.elements = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_XLSX_OTHER_ELEMENTS:
            raise _Fatal(
                f"The file's formatting and other settings have more than "
                f"{MAX_XLSX_OTHER_ELEMENTS:,} entries; at most {MAX_XLSX_OTHER_ELEMENTS:,} are "
                "read. Copy the data to a new workbook, or save it as CSV."
            )


def _content_types(
    archive: zipfile.ZipFile, counter: _ElementCounter, budget: _Budget
) -> dict[str, str]:
    """Each part's content type, as the file declares it (part name -> type)."""
    types: dict[str, str] = {}

    def start(name: str, attributes: dict[str, str]) -> None:
        counter.start(name, attributes)
        if _local(name) == "Override":
            types[attributes.get("PartName", "").lstrip("/")] = attributes.get("ContentType", "")

    if CONTENT_TYPES_PART in archive.namelist():  # without it, openpyxl refuses the file
        _parse_part(archive, archive.getinfo(CONTENT_TYPES_PART), start, budget)
    return types


def _check_shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> None:
    """Count the shared strings and their characters as they stream past; stop at a limit.

    openpyxl reads this part whole into a list, even in read-only mode.
    """
    counts = {"strings": 0, "characters": 0}

    def start(name: str, attributes: dict[str, str]) -> None:
        element = _local(name)
        if element == "sst":
            declared = attributes.get("uniqueCount", "")
            if declared.isdigit() and int(declared) > MAX_SHARED_STRINGS:
                raise _Fatal(
                    f"The file has {int(declared):,} different pieces of text; at most "
                    f"{MAX_SHARED_STRINGS:,} are read."
                )
        elif element == "si":
            counts["strings"] += 1
            if counts["strings"] > MAX_SHARED_STRINGS:
                raise _Fatal(
                    f"The file has more than {MAX_SHARED_STRINGS:,} different pieces of text; "
                    f"at most {MAX_SHARED_STRINGS:,} are read."
                )

    def text(data: str) -> None:
        counts["characters"] += len(data)
        if counts["characters"] > MAX_SHARED_STRING_CHARACTERS:
            raise _Fatal(
                f"The file's text is more than {MAX_SHARED_STRING_CHARACTERS:,} characters "
                f"long; at most {MAX_SHARED_STRING_CHARACTERS:,} are read."
            )

    _parse_part(archive, info, start, budget, text)


def _check_xlsx_parts(data: bytes, budget: _Budget) -> None:
    """Measure the workbook's parts before openpyxl reads any of them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            declared = sum(info.file_size for info in infos)
            if declared > MAX_XLSX_UNPACKED_BYTES:
                raise _Fatal(
                    f"The file unpacks to {declared / MEGABYTE:,.1f} MB; at most "
                    f"{MAX_XLSX_UNPACKED_BYTES / MEGABYTE:.0f} MB is read."
                )
            counter = _ElementCounter()
            types = _content_types(archive, counter, budget)
            for info in infos:
                name = info.filename
                if name == CONTENT_TYPES_PART or not name.lower().endswith((".xml", ".rels")):
                    continue
                kind = types.get(name, "")
                if kind == WORKSHEET_TYPE:
                    # Read by openpyxl a row at a time, within the limits on rows and cells.
                    _check_prolog(archive, info, budget)
                elif kind == SHARED_STRINGS_TYPE or name == SHARED_STRINGS_PART:
                    _check_shared_strings(archive, info, budget)
                else:
                    _parse_part(archive, info, counter.start, budget)
    except (zipfile.BadZipFile, zlib.error, expat.ExpatError, EOFError, NotImplementedError):
        raise _Fatal(CANNOT_OPEN_XLSX) from None


def _check_declared_size(max_columns: int | None, max_rows: int | None, limit: int) -> str | None:
    """What is wrong with the size a sheet declares (its ``<dimension>``), if anything."""
    if max_columns is not None and max_columns > MAX_UPLOAD_COLUMNS:
        return f"{max_columns:,} columns; at most {MAX_UPLOAD_COLUMNS:,} are read"
    if max_rows is not None and max_rows > limit:
        return f"{max_rows:,} rows; at most {limit:,} are read (blank rows count)"
    if max_columns is not None and max_rows is not None:
        cells = max_columns * max_rows
        if cells > MAX_UPLOAD_CELLS:
            return f"{cells:,} cells; at most {MAX_UPLOAD_CELLS:,} are read"
    return None


def _xlsx_rows(data: bytes, max_rows: int, budget: _Budget) -> Iterator[Row]:
    if not data.startswith(ZIP_MAGIC):
        raise _Fatal("This is not a valid Excel (.xlsx) file. Save it again as .xlsx or CSV.")
    _check_xlsx_parts(data, budget)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error on a damaged file
        raise _Fatal(CANNOT_OPEN_XLSX) from None
    try:
        if not workbook.worksheets:
            raise _Fatal("This Excel file has no sheets.")
        sheet = workbook.worksheets[0]
        # openpyxl pads every row to the declared width and yields every declared row.
        too_big = _check_declared_size(sheet.max_column, sheet.max_row, max_rows + 1)
        if too_big is not None:
            raise _Fatal(
                f"The sheet's size is set to {sheet.calculate_dimension()}, {too_big}. Copy the "
                "data to a new sheet and save it again."
            )
        rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except Exception:  # a part damaged after its start (a bad checksum, cut XML)
                raise _Fatal(CANNOT_OPEN_XLSX) from None
            yield number, list(values)
    finally:
        workbook.close()


UNCALCULATED_FORMULAS = (
    "No value columns: the values of this Excel file are formulas whose results were never "
    "saved in it (it was written by a program that does not calculate them). Open it in Excel "
    "and save it again, or save it as CSV."
)


def _has_uncalculated_formulas(data: bytes, budget: _Budget) -> bool:
    """Whether a workbook with no numbers read has formulas instead: openpyxl reads a formula's
    saved result, and a file written by a program that does not calculate has none. (Only
    asked once the file was read within the limits, so reading it again is bounded.)"""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of error on a damaged file
        return False
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            budget.check()
            if any(isinstance(value, str) and value.startswith("=") for value in row):
                return True
    except _Fatal:
        return False
    finally:
        workbook.close()
    return False


def _rows(data: bytes, filename: str, max_rows: int, budget: _Budget) -> Iterator[Row]:
    name = filename.lower()
    if name.endswith(CSV_EXTENSIONS):
        return _csv_rows(data)
    if name.endswith(XLSX_EXTENSIONS):
        return _xlsx_rows(data, max_rows, budget)
    if name.endswith(".xls"):
        raise _Fatal("Old Excel (.xls) files are not supported. Save it as .xlsx or CSV.")
    raise _Fatal(f"Upload a CSV or Excel (.xlsx) file; '{filename}' is neither.")


def _read_table(
    data: bytes, filename: str, max_rows: int, budget: _Budget
) -> tuple[Row, list[Row]]:
    """Return the header row and the non-blank data rows, at most ``max_rows`` of them.

    Every row counts toward ``max_rows + 1`` rows in all, blank or not, and every cell toward
    :data:`MAX_UPLOAD_CELLS`: blank rows and columns cost as much to read as full ones.
    """
    header: Row | None = None
    body: list[Row] = []
    cells = 0
    for number, values in _rows(data, filename, max_rows, budget):
        budget.check()
        if len(values) > MAX_UPLOAD_COLUMNS:
            raise _Fatal(
                f"The file has {len(values):,} columns; at most {MAX_UPLOAD_COLUMNS:,} are read.",
                row=number,
            )
        cells += len(values)
        if cells > MAX_UPLOAD_CELLS:
            raise _Fatal(
                f"The file has more than {MAX_UPLOAD_CELLS:,} cells; at most "
                f"{MAX_UPLOAD_CELLS:,} are read.",
                row=number,
            )
        blank = all(_is_blank(value) for value in values)
        if not blank and header is not None and len(body) == max_rows:
            raise _Fatal(
                f"The file has more than {max_rows:,} rows of data; upload at most {max_rows:,}."
            )
        if number > max_rows + 1:
            raise _Fatal(
                f"The file has more than {max_rows + 1:,} rows, counting blank rows; at most "
                f"{max_rows + 1:,} are read (a header and {max_rows:,} rows of data)."
            )
        if blank:
            continue
        if header is None:
            header = (number, values)
            continue
        body.append((number, values))
    if header is None:
        raise _Fatal("The file is empty.")
    return header, body


def _number(value: object) -> float | None:
    """Return the cell as a number, or ``None`` if it is not one (``nan`` is not).

    An infinite number (``inf``, or ``1e400``, too large for a float) is returned as such, so
    that it is reported as too large rather than as text.
    """
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
    return None if math.isnan(number) else number


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
    header: Row, body: Sequence[Row], problems: list[UploadProblem], budget: _Budget
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
    problems_before = len(problems)
    columns: list[_Column] = []
    ignored: list[str] = []
    ids: set[str] = set()
    for index in range(width):
        budget.check()
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
            comma = _decimal_comma_example(cells)
            if comma is not None and _normalised_header(name) not in LABEL_HEADERS:
                message = _decimal_comma_message(comma)
                problems.append(UploadProblem(header[0], name, message[0].upper() + message[1:]))
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
        # The one message says it all: the columns' own problems would repeat it.
        del problems[problems_before:]
        raise _Fatal(_why_no_values(names, body, code_index), row=header[0])
    return code_index, columns, ignored


def _why_no_values(names: Sequence[str], body: Sequence[Row], code_index: int) -> str:
    """Why no column holds numbers, as specifically as the cells say."""
    for index, name in enumerate(names):
        if index == code_index or not name:
            continue
        comma = _decimal_comma_example([_cell(values, index) for _, values in body])
        if comma is not None:
            return f"No value columns: in column '{name}', {_decimal_comma_message(comma)}"
    return NO_VALUE_COLUMNS


def _decimal_comma_example(cells: Sequence[object]) -> str | None:
    """The first cell written with a decimal comma ("12,5"), if any."""
    return next((str(c).strip() for c in cells if DECIMAL_COMMA_NUMBER.match(str(c).strip())), None)


def _decimal_comma_message(example: str) -> str:
    return (
        f"the numbers are written with a decimal comma (like '{example}'), which is not read, "
        f"so the column was ignored. Save the file with decimal points "
        f"({example.replace(',', '.')}), or upload it as .xlsx."
    )


def _read_value(
    column: _Column, row: int, code: str, value: object, problems: list[UploadProblem]
) -> None:
    if _is_blank(value):
        return  # a missing value: the allocation decides what to do with it
    number = _number(value)
    if number is None and DECIMAL_COMMA_NUMBER.match(str(value).strip()):
        problems.append(
            UploadProblem(
                row,
                column.name,
                f"'{value}' has a decimal comma; write it with a decimal point "
                f"({str(value).strip().replace(',', '.')}). It was left out.",
            )
        )
    elif number is None:
        problems.append(
            UploadProblem(row, column.name, f"'{value}' is not a number; it was left out.")
        )
    elif abs(number) > MAX_VALUE:
        problems.append(
            UploadProblem(
                row,
                column.name,
                f"{value} is too large: values must be at most {MAX_VALUE:,.0f}, so it was "
                "left out.",
            )
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


def _read_practices(
    header: Row,
    body: Sequence[Row],
    code_index: int,
    columns: Sequence[_Column],
    in_icb: set[str],
    known: set[str],
    problems: list[UploadProblem],
    budget: _Budget,
) -> None:
    """Read each row's practice code and, for a good one, its values into ``columns``."""
    code_column = str(header[1][code_index]).strip()
    first_seen: dict[str, int] = {}
    for row, values in body:
        budget.check()
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
            problems.append(repeated_code(row, code_column, code, first_seen[code]))
            continue
        first_seen[code] = row
        for column in columns:
            _read_value(column, row, code, _cell(values, column.index), problems)


def repeated_code(row: int, column: str, code: str, first: int) -> UploadProblem:
    """A practice's second row in a file: left out, saying where the first is."""
    return UploadProblem(
        row, column, f"Practice {code} appears again (first on row {first}); this row was left out."
    )


def parse_indicator_upload(
    data: bytes,
    filename: str,
    icb_practice_codes: set[str],
    known_practice_codes: set[str],
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = MAX_UPLOAD_ROWS,
    max_seconds: float = MAX_UPLOAD_SECONDS,
) -> UploadResult:
    """Read a user's indicator file (CSV or XLSX bytes) into columns of practice values.

    ``icb_practice_codes`` are the practices of the chosen ICB, ``known_practice_codes`` every
    practice in England. Rows for unknown practices, practices of another ICB, repeated
    practices, and cells that are not numbers (or are negative, larger than
    :data:`MAX_VALUE`, or a percentage outside 0-100 in a column whose header says ``%``,
    ``percent`` or ``perc``) are reported and left out; the good rows stay usable. A file that
    cannot be read at all (empty, too big, over one of the limits of this module, not CSV or
    XLSX, no practice-code column, no value columns) gives no columns and a single problem
    saying why.
    """
    if not data:
        return _fail("The file is empty.")
    if len(data) > max_bytes:
        return _fail(
            f"The file is {len(data) / MEGABYTE:.1f} MB; the largest file accepted is "
            f"{max_bytes / MEGABYTE:.1f} MB."
        )
    budget = _Budget(max_seconds)
    problems: list[UploadProblem] = []
    in_icb = {code.strip().upper() for code in icb_practice_codes}
    known = {code.strip().upper() for code in known_practice_codes} | in_icb
    try:
        header, body = _read_table(data, filename, max_rows, budget)
        code_index, columns, ignored = _choose_columns(header, body, problems, budget)
        _read_practices(header, body, code_index, columns, in_icb, known, problems, budget)
    except _Fatal as fatal:
        problem = fatal.problem
        if problem.message == NO_VALUE_COLUMNS and _has_uncalculated_formulas(data, budget):
            problem = UploadProblem(problem.row, None, UNCALCULATED_FORMULAS)
        return UploadResult(columns=(), problems=(*problems, problem))

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
        practice_code_column=str(header[1][code_index]).strip(),
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
