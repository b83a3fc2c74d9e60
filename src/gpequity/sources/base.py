"""What every official dataset's loader shares: the load report, and reading a CSV file.

A loader reads its file into a temporary all-text table with DuckDB (fast), validates it with
SQL, and inserts the good rows into the warehouse. When DuckDB cannot read a file at all, a slow
Python pass over the file finds the first problem and names its row, so the user gets
"row 12: 3 fields where the header has 5" rather than a parser's internals.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from gpequity.errors import InputFileError

#: How every official CSV is read: all text, RFC 4180 quoting, no guessing (the header was
#: read already, and a file that does not parse is diagnosed by :func:`diagnose_csv`).
CSV_OPTIONS = (
    "header = false, skip = 1, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
    "strict_mode = true"
)
#: Bytes read to recognise a file's dataset from its header.
HEADER_PEEK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Rejection:
    """One source row that was not loaded, and why (``row`` as a spreadsheet shows it)."""

    row: int | None
    column: str | None
    reason: str

    def describe(self, path: str) -> str:
        where = [path]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.reason}"


@dataclass
class LoadReport:
    """What happened to one file: rows read, loaded and rejected (with reasons), warnings."""

    dataset: str
    period: str | None
    path: str
    sha256: str
    rows_read: int = 0
    rows_loaded: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Rows read but not loaded: every one of them has a reason in ``rejections``."""
        return self.rows_read - self.rows_loaded

    def reject(self, row: int | None, column: str | None, reason: str) -> None:
        self.rejections.append(Rejection(row, column, reason))

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class Dataset(Protocol):
    """One official dataset: how to recognise its files and how to load them.

    A dataset with many small files may also offer ``load_batch(con, [(path, report), ...])``
    to load them together; the warehouse builder then calls it instead of ``load``.
    """

    #: Short stable name, e.g. ``payments``; recorded in the ``sources`` table.
    name: str
    #: The publication's name, for people.
    title: str
    #: DuckDB DDL creating this dataset's tables (run once per new warehouse).
    schema: str

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        """Return the file's period (e.g. ``2022/23``) if it is this dataset's, else ``None``.

        A dataset without periods returns ``""``.
        """

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        """Load the file into the warehouse, filling in the report."""

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Compute derived tables once every file is loaded; return warnings."""


def financial_year(start: int, end: int) -> str | None:
    """``2022/23`` for a financial year written ``22``-``23`` or ``2022``-``23``.

    ``None`` unless ``end`` is the year after ``start`` (``14-16`` is not a financial year).
    """
    if (start + 1) % 100 != end:
        return None
    return f"20{start % 100:02d}/{end:02d}"


def year_in_name(path: Path, pattern: re.Pattern[str]) -> str | None:
    """The financial year in a file's name, whose start and end ``pattern`` captures."""
    match = pattern.search(path.name)
    return financial_year(int(match.group(1)), int(match.group(2))) if match else None


def require_year_in_name(path: Path, pattern: re.Pattern[str], what: str, example: str) -> str:
    """The financial year in the name of a file that looks like ``what``, or an error.

    Publishers put the year only in the file name, so a renamed file cannot be loaded: the
    message names the dataset and an ``example`` name to rename it to.
    """
    year = year_in_name(path, pattern)
    if year is None:
        raise InputFileError(
            path,
            f"looks like {what} but the financial year is not in its name: name it like {example}",
        )
    return year


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_header(path: Path) -> list[str]:
    """Return the CSV header of a file (byte-order mark removed); raise if it has none."""
    with path.open("rb") as fh:
        head = fh.read(HEADER_PEEK_BYTES)
    if not head.strip():
        raise InputFileError(path, "the file is empty")
    # Decode only the header line: a bad byte further down is the load's to report, by row.
    end = head.find(b"\n")
    text = _decode(head if end < 0 else head[: end + 1], path, partial=True)
    first = next(csv.reader(io.StringIO(text)), [])
    if not first or all(not c.strip() for c in first):
        raise InputFileError(path, "the first row is empty: expected a header row", row=1)
    return first


def _decode(data: bytes, path: Path, *, partial: bool = False) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if partial and exc.start >= len(data) - 4:
            # The peek may have cut a multi-byte character in two.
            return data[: exc.start].decode("utf-8-sig")
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputFileError(
            path,
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded); "
            "save it as CSV UTF-8",
            row=line,
        ) from None


def unique_names(header: Sequence[str]) -> list[str]:
    """Return the header with repeated names made unique (``Name``, ``Name (2)``)."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out


def read_csv_text(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    header: Sequence[str],
    report: LoadReport,
    *,
    has_header: bool = True,
) -> int:
    """Read a CSV into temporary table ``table``: every column text, plus ``_row``.

    ``_row`` is the row number as a spreadsheet shows it (the header is row 1). Returns the
    number of data rows read. A file without a header row (ODS's files) has ``has_header``
    false: ``header`` then names its columns, and its first row is data (row 1). Raises
    :class:`InputFileError` naming the row of the first problem. A last row cut short
    (:func:`cut_last_row`) is not read into ``table``: it is counted and rejected in ``report``
    with the reason.
    """
    columns = dict.fromkeys(unique_names(header), "VARCHAR")
    options = CSV_OPTIONS if has_header else CSV_OPTIONS.replace("skip = 1", "skip = 0")
    first = 2 if has_header else 1
    cut = cut_last_row(path, len(header))
    with tempfile.TemporaryDirectory(prefix="gpequity-") as folder:
        source = path
        if cut is not None:
            # The rows before the cut one, for DuckDB to read as a whole file.
            source = Path(folder) / "rows-before-the-cut-one.csv"
            source.write_bytes(cut.before)
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {table} AS "
                f"SELECT row_number() OVER () + {first - 1} AS _row, * FROM read_csv(?, "
                f"{options}, columns = ?)",
                [str(source), columns],
            )
        except duckdb.Error as exc:
            raise diagnose_csv(path, len(header)) or InputFileError(
                path, f"cannot be read as CSV ({_first_line(str(exc))})"
            ) from None
    found = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    rows = int(found[0]) if found else 0
    if cut is None:
        return rows
    report.reject(rows + first, None, cut.reason)
    return rows + 1


@dataclass(frozen=True)
class CutRow:
    """The last row of a file that looks cut short, and the bytes of the rows before it."""

    before: bytes
    reason: str


#: The rows before the last one that :func:`cut_last_row` compares its last value with.
TRAILER_SAMPLE_BYTES = 256 * 1024
#: A last value with fewer decimal places than this share of the column's looks cut.
CUT_DECIMALS_QUANTILE = 0.05
#: The numbers a column needs before a last value is judged against them.
CUT_MIN_SAMPLE = 20


def cut_last_row(path: Path, width: int) -> CutRow | None:
    """The trailer check: whether the file's last row looks cut short, and why.

    Only a file that does not end with a line break can end in a cut row (the publishers'
    files often end without one). Its last row is cut when it ends inside a quoted field or
    has fewer fields than the header; or when its last value is blank where every other row
    has one, or is a number with fewer decimal places than 95% of the same column's numbers
    in a column of fractions (``22.987406`` cut from ``22.98740636``). A number cut in a column
    with whole numbers is not caught here; the load's shrink check against the current
    warehouse catches the rows lost with it.
    """
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return None
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) in (b"\n", b"\r"):
            return None
    data = path.read_bytes()
    start = _last_record_start(data)
    if start == 0:
        return None  # the header is the only line
    before = data[:start]
    last = data[start:].decode("utf-8", "replace")
    what = "the file looks cut short: the last row"
    if data.count(b'"') % 2:
        return CutRow(before, f"{what} ends inside a quoted field")
    fields = next(csv.reader([last]), [])
    if len(fields) < width:
        return CutRow(before, f"{what} has {len(fields)} fields where the header has {width}")
    if len(fields) != width:
        return None  # too many fields: the read reports it
    value = fields[-1].strip()
    column = _last_column(before, width)
    numbers = [v for v in column if re.fullmatch(NUMBER_REGEX, v)]
    if len(numbers) < CUT_MIN_SAMPLE or len(numbers) < 0.9 * len(column):
        return None
    if not value and all(column):
        return CutRow(before, f"{what}'s last value is blank where every other row has one")
    decimals = sorted(_decimals(v) for v in numbers)
    # Only in a column of fractions: where whole numbers occur (payments write 587960 for
    # 587960.00), a number without decimals is no sign of a cut.
    if re.fullmatch(NUMBER_REGEX, value) and decimals[0] > 0:
        usual = decimals[int(CUT_DECIMALS_QUANTILE * len(decimals))]
        if _decimals(value) < usual:
            return CutRow(
                before,
                f"{what}'s last value {value!r} has {_decimals(value)} decimal places where "
                f"95% of the column's values have {usual} or more",
            )
    return None


def _last_record_start(data: bytes) -> int:
    """Where the last record of CSV bytes starts: after a line break outside quotes."""
    end = len(data)
    while True:
        brk = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end))
        if brk < 0:
            return 0
        if data.count(b'"', 0, brk) % 2 == 0:
            return brk + 1
        end = brk


def _last_column(before: bytes, width: int) -> list[str]:
    """The last column's values in the rows just before the last one (a sample)."""
    first_break = max(before.find(b"\n"), 0)
    sample = before[max(first_break + 1, len(before) - TRAILER_SAMPLE_BYTES) :]
    # Start at a line break outside quotes, so that the sample's first record is whole.
    while sample.count(b'"') % 2 and b"\n" in sample:
        sample = sample[sample.index(b"\n") + 1 :]
    text = sample.decode("utf-8", "replace")
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]  # the first may be partial
    return [r[-1].strip() for r in rows if len(r) == width]


def _decimals(number: str) -> int:
    mantissa = re.split("[eE]", number, maxsplit=1)[0]
    return len(mantissa.split(".", 1)[1]) if "." in mantissa else 0


def read_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    report: LoadReport,
    required: Mapping[str, Sequence[str]],
    optional: Mapping[str, Sequence[str]] | None = None,
    *,
    header: Sequence[str] | None = None,
) -> dict[str, str]:
    """Read a file into temporary ``table`` with a ``_rejected`` flag; return its columns.

    The first step of every loader: find the columns it needs (:func:`match_columns`), read
    every row as text (:func:`read_csv_text`, counted in ``report.rows_read``) and add the
    flag that the checks set on the rows they reject. ``header``: when already read.
    """
    header = read_header(path) if header is None else header
    col = match_columns(path, header, required, optional)
    report.rows_read = read_csv_text(con, path, table, header, report)
    con.execute(f"ALTER TABLE {table} ADD COLUMN _rejected BOOLEAN DEFAULT false")
    return col


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


def diagnose_csv(path: Path, width: int) -> InputFileError | None:
    """Find the first structural problem of a CSV file the slow, exact way."""
    data = path.read_bytes()
    text = _decode(data, path)
    if text.count('"') % 2 == 1:
        return InputFileError(
            path, "the file ends inside a quoted field: it looks truncated", row=_rows(text)
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for number, record in enumerate(reader, start=1):
            if number == 1 or not record:
                continue
            if len(record) != width:
                truncated = number == _rows(text) and not text.endswith(("\n", "\r"))
                hint = " (the file looks truncated)" if truncated else ""
                return InputFileError(
                    path,
                    f"{len(record)} fields where the header has {width}{hint}",
                    row=number,
                )
    except csv.Error as exc:
        return InputFileError(path, f"malformed CSV: {exc}", row=reader.line_num)
    return None


def _rows(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text)) + (0 if text.endswith(("\n", "\r")) else 1)


def normalise_header(name: str) -> str:
    """Fold a column name for matching: case, spaces, dots and underscores do not count."""
    return re.sub(r"[\s._]+", " ", name).strip().lower()


def reject_where(
    con: duckdb.DuckDBPyConnection,
    table: str,
    report: LoadReport,
    condition: str,
    column: str | None,
    reason: Callable[[str | None], str] | str,
    value_expr: str = "NULL",
) -> None:
    """Add a rejection for each row of ``table`` matching ``condition`` and mark it rejected.

    ``table`` must have columns ``_row`` and ``_rejected`` (BOOLEAN).
    """
    rows = con.execute(
        f"SELECT _row, {value_expr} FROM {table} WHERE NOT _rejected AND ({condition}) "
        "ORDER BY _row"
    ).fetchall()
    if not rows:
        return
    for row, value in rows:
        text = reason(value) if callable(reason) else reason
        report.reject(int(row), column, text)
    con.execute(f"UPDATE {table} SET _rejected = true WHERE NOT _rejected AND ({condition})")


def reject_blanks(
    con: duckdb.DuckDBPyConnection,
    table: str,
    report: LoadReport,
    cells: Iterable[tuple[str, str, str]],
) -> None:
    """Reject each row with a blank required cell: ``cells`` are (SQL, column, what it is).

    The reason is "no <what>", e.g. "no ODS code". ``table`` must have ``_row`` and
    ``_rejected``.
    """
    for expr, column, what in cells:
        reject_where(con, table, report, f"coalesce({expr}, '') = ''", column, f"no {what}")


def finish_load(con: duckdb.DuckDBPyConnection, table: str, report: LoadReport) -> None:
    """Record the rows of ``table`` not rejected as loaded, and drop it."""
    kept = con.execute(f"SELECT count(*) FROM {table} WHERE NOT _rejected").fetchall()
    report.rows_loaded = int(kept[0][0])
    con.execute(f"DROP TABLE {table}")


def reject_non_numbers(
    con: duckdb.DuckDBPyConnection,
    table: str,
    report: LoadReport,
    value: str,
    column: str,
    what: str,
) -> None:
    """Reject the rows whose ``value`` (SQL) is given but is not a number (``NUMBER_REGEX``).

    The reason names ``what`` the value is: "IMD score 'n/a' is not a number". A blank is
    left for the caller to decide: missing is not the same as wrong.
    """
    reject_where(
        con,
        table,
        report,
        f"{value} IS NOT NULL AND NOT regexp_full_match({value}, '{NUMBER_REGEX}')",
        column,
        lambda v: f"{what} {v!r} is not a number",
        value_expr=value,
    )


def quote_ident(name: str) -> str:
    """Quote a column name for SQL."""
    return '"' + name.replace('"', '""') + '"'


def as_text_list(values: Iterable[str]) -> str:
    """Render strings as a SQL list literal of text constants."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


#: A number as the official files write it: optional sign, digits with optional decimals, and
#: an optional exponent (Fingertips writes some small rates as ``1.2E-05``). Stricter than a
#: cast, which would also take ``nan``, ``inf`` and ``1_000``.
NUMBER_REGEX = r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$"


@functools.lru_cache(maxsize=4096)
def _folded(name: str) -> str:
    # 'AreaCode', 'Area Code' and 'AREA_CODE' are the same column to a loader.
    return normalise_header(name).replace(" ", "")


def match_columns(
    path: Path,
    header: Sequence[str],
    required: Mapping[str, Sequence[str]],
    optional: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Find the columns a loader needs by name, whatever their order, case or spacing.

    ``required`` and ``optional`` map a key to the names the column has had (the first is the
    one messages use). Returns key -> the file's own header text; a missing required column
    raises :class:`InputFileError`.
    """
    index: dict[str, str] = {}
    for raw in unique_names(header):
        index.setdefault(_folded(raw), raw)
    found: dict[str, str] = {}
    for key, names in {**(optional or {}), **required}.items():
        match = next((index[_folded(n)] for n in names if _folded(n) in index), None)
        if match is not None:
            found[key] = match
        elif key in required:
            raise InputFileError(path, f"missing required column '{names[0]}'")
    return found


def has_columns(header: Sequence[str], *names: str) -> bool:
    """Whether the header has every one of ``names`` (matched as :func:`match_columns` does)."""
    folded = {_folded(h) for h in header}
    return all(_folded(n) in folded for n in names)


def first_data_row(path: Path) -> list[str] | None:
    """Return the first row after the header (for detecting a file by its content), or None."""
    with path.open("rb") as fh:
        head = fh.read(HEADER_PEEK_BYTES)
    reader = csv.reader(io.StringIO(_decode(head, path, partial=True), newline=""))
    next(reader, None)
    return next(reader, None)


def reject_cells(
    con: duckdb.DuckDBPyConnection,
    table: str,
    report: LoadReport,
    columns: Sequence[str],
    bad: str,
    reason: Callable[[str, str | None], str],
) -> None:
    """Reject each row of ``table`` with a cell matching ``bad``, naming row and column.

    One pass over many columns of text: ``bad`` is a SQL condition in which ``{value}`` stands
    for a cell's trimmed text (NULL when blank); ``reason(column, value)`` says what is wrong.
    ``table`` must have ``_row`` and ``_rejected``.
    """
    if not columns:
        return
    # A list of the plain columns, not one expression per column: a wide file's query plans
    # ten times faster.
    cells = ", ".join(quote_ident(c) for c in columns)
    found = con.execute(
        f"SELECT _row, name, value FROM (SELECT _row, i, name, nullif(trim(raw), '') AS value "
        f"FROM (SELECT _row, unnest(range({len(columns)})) AS i, unnest(?) AS name, "
        f"unnest([{cells}]) AS raw FROM {table} WHERE NOT _rejected)) "
        f"WHERE {bad.replace('{value}', 'value')} ORDER BY _row, i",
        [list(columns)],
    ).fetchall()
    if not found:
        return
    for row, column, value in found:
        report.reject(int(row), column, reason(column, value))
    con.execute(
        f"UPDATE {table} SET _rejected = true WHERE _row IN (SELECT unnest(?))",
        [sorted({int(r) for r, _, _ in found})],
    )


def reject_repeats(
    con: duckdb.DuckDBPyConnection,
    table: str,
    report: LoadReport,
    key: str,
    column: str | None,
    reason: Callable[[str, int], str],
) -> None:
    """Reject every row whose ``key`` (a SQL expression) repeats an earlier row's.

    The first row of each key is kept; ``reason(key value, first row)`` says what is wrong.
    ``table`` must have ``_row`` and ``_rejected``.
    """
    found = con.execute(
        f"SELECT _row, k, first FROM (SELECT _row, CAST({key} AS VARCHAR) AS k, "
        f"min(_row) OVER (PARTITION BY {key}) AS first FROM {table} WHERE NOT _rejected) "
        "WHERE _row > first ORDER BY _row"
    ).fetchall()
    if not found:
        return
    for row, value, first in found:
        report.reject(int(row), column, reason(str(value), int(first)))
    con.execute(
        f"UPDATE {table} SET _rejected = true WHERE _row IN (SELECT unnest(?))",
        [[int(r) for r, _, _ in found]],
    )
