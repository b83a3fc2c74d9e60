"""A previous allocation, for the pace-of-change limit: a CSV or Excel file of practice codes
and amounts in pounds, read in memory like an indicator upload (:mod:`.upload`).

The same limits apply (size, rows, columns, cells, time, an Excel file's zip measured before it
is opened), and every bad row is reported with the row number the user sees (the header is row 1)
and the column; the good rows stay usable. Rows for practices not in the pool are kept here: the
allocation reports them (a practice that closed or left the ICB since).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType

from gpequity.allocation.rounding import PENCE
from gpequity.allocation.upload import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    MAX_UPLOAD_SECONDS,
    MEGABYTE,
    PRACTICE_CODE_HEADERS,
    UploadProblem,
    _Budget,
    _cell,
    _Fatal,
    _is_blank,
    _normalised_header,
    _number,
    _read_table,
    repeated_code,
)

#: Headers (lower case, ``_`` and ``-`` read as spaces) of the column of amounts.
AMOUNT_HEADERS = frozenset(
    {
        "amount",
        "allocation",
        "previous allocation",
        "previous amount",
        "amount £",
        "allocation £",
        "£",
        "pounds",
    }
)
#: The largest previous amount accepted for one practice, in pounds.
MAX_PREVIOUS_AMOUNT = Decimal(10) ** 12


@dataclass(frozen=True, slots=True)
class PreviousUpload:
    """What was read: practice code -> previous amount in pounds (good rows only), every
    problem, and the columns used."""

    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    problems: tuple[UploadProblem, ...] = ()
    code_column: str | None = None
    amount_column: str | None = None
    rows_read: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "amounts", MappingProxyType(dict(self.amounts)))


#: What is said when a column cannot be found, by the headers that name it.
MISSING_COLUMN = {
    PRACTICE_CODE_HEADERS: "No practice-code column: name the column of practice codes "
    "'Practice code' (or 'GP code' or 'ODS code').",
    AMOUNT_HEADERS: "No amount column: name the column of previous amounts in pounds 'Amount' "
    "(or 'Allocation').",
}


def _columns(names: Sequence[str], header_row: int) -> tuple[int, int]:
    """The indexes of the practice-code and the amount columns."""
    normalised = [_normalised_header(name) for name in names]
    found = []
    for headers, message in MISSING_COLUMN.items():
        index = next((i for i, n in enumerate(normalised) if n in headers), None)
        if index is None:
            raise _Fatal(message, row=header_row)
        found.append(index)
    return found[0], found[1]


def _amount(value: object) -> Decimal | None:
    text = str(value).strip().replace("£", "") if isinstance(value, str) else value
    number = _number(text)
    if number is None or number != number or abs(number) == float("inf"):
        return None
    try:
        return Decimal(str(number)).quantize(PENCE, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def parse_previous_allocation(
    data: bytes,
    filename: str,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = MAX_UPLOAD_ROWS,
    max_seconds: float = MAX_UPLOAD_SECONDS,
) -> PreviousUpload:
    """Read a previous allocation (CSV or XLSX bytes): a practice-code column and an amount
    column in pounds (rounded to the penny).

    Rows with no code, a repeated code, or an amount that is missing, not a number, negative or
    too large are reported and left out. A file that cannot be read at all gives no amounts and
    a single problem saying why.
    """
    if not data:
        return PreviousUpload(problems=(UploadProblem(None, None, "The file is empty."),))
    if len(data) > max_bytes:
        return PreviousUpload(
            problems=(
                UploadProblem(
                    None,
                    None,
                    f"The file is {len(data) / MEGABYTE:.1f} MB; the largest file accepted is "
                    f"{max_bytes / MEGABYTE:.1f} MB.",
                ),
            )
        )
    budget = _Budget(max_seconds)
    try:
        header, body = _read_table(data, filename, max_rows, budget)
        names = ["" if _is_blank(value) else str(value).strip() for value in header[1]]
        code_index, amount_index = _columns(names, header[0])
    except _Fatal as fatal:
        return PreviousUpload(problems=(fatal.problem,))
    code_column, amount_column = names[code_index], names[amount_index]
    amounts: dict[str, Decimal] = {}
    first_seen: dict[str, int] = {}
    problems: list[UploadProblem] = []
    for row, values in body:
        raw_code = _cell(values, code_index)
        code = "" if _is_blank(raw_code) else str(raw_code).strip().upper()
        raw = _cell(values, amount_index)
        amount = None if _is_blank(raw) else _amount(raw)
        if not code:
            problems.append(UploadProblem(row, code_column, "No practice code; row left out."))
        elif code in first_seen:
            problems.append(repeated_code(row, code_column, code, first_seen[code]))
        elif _is_blank(raw):
            problems.append(UploadProblem(row, amount_column, "No amount; row left out."))
        elif amount is None:
            problems.append(
                UploadProblem(row, amount_column, f"'{raw}' is not an amount; row left out.")
            )
        elif amount < 0:
            problems.append(UploadProblem(row, amount_column, f"{raw} is negative; row left out."))
        elif amount >= MAX_PREVIOUS_AMOUNT:
            problems.append(
                UploadProblem(
                    row,
                    amount_column,
                    f"{raw} is too large: at most £{MAX_PREVIOUS_AMOUNT:,} a practice; row "
                    "left out.",
                )
            )
        else:
            first_seen[code] = row
            amounts[code] = amount
    if not amounts and not problems:
        problems.append(UploadProblem(None, None, "The file has no rows of data."))
    return PreviousUpload(
        amounts=dict(sorted(amounts.items())),
        problems=tuple(problems),
        code_column=code_column,
        amount_column=amount_column,
        rows_read=len(body),
    )


def describe_problem(problem: UploadProblem, file_name: str | None = None) -> str:
    """A problem of a file in one line: "prev.csv, row 3, column 'Amount': ..."."""
    where = [] if file_name is None else [file_name]
    if problem.row is not None:
        where.append(f"row {problem.row}")
    if problem.column is not None:
        where.append(f"column '{problem.column}'")
    return f"{', '.join(where)}: {problem.message}" if where else problem.message


#: The headers of the carried previous allocation (read back by :func:`parse_previous_allocation`).
CARRIED_HEADER = ("Practice code", "Amount")


def previous_as_csv(amounts: Mapping[str, Decimal]) -> str:
    """The good rows of a previous allocation as CSV text, which the web form carries to the
    next submission in a hidden field (read back with the same checks as the file)."""
    lines = [",".join(CARRIED_HEADER)]
    lines += [f"{code},{amount}" for code, amount in sorted(amounts.items())]
    return "\n".join(lines) + "\n"
