"""Reading a previous allocation (``allocation/previous.py``): CSV and XLSX, every bad row named
by its row and column, the good rows kept, and the indicator upload's limits on size."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook

from gpequity.allocation.previous import describe_problem, parse_previous_allocation


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def test_a_csv_with_bad_rows_keeps_the_good_ones_and_names_the_bad() -> None:
    upload = parse_previous_allocation(
        csv_bytes(
            "Practice code,Practice name,Amount\n"
            'a81001,One,"£1,234.50"\n'
            "A81002,Two,abc\n"
            "A81003,Three,-5\n"
            ",Four,10\n"
            "A81001,Again,12\n"
            "A81005,Five,\n"
            "A81006,Six,99.999\n"
        ),
        "previous.csv",
    )
    assert dict(upload.amounts) == {"A81001": Decimal("1234.50"), "A81006": Decimal("100.00")}
    assert [describe_problem(p, "previous.csv") for p in upload.problems] == [
        "previous.csv, row 3, column 'Amount': 'abc' is not an amount; row left out.",
        "previous.csv, row 4, column 'Amount': -5 is negative; row left out.",
        "previous.csv, row 5, column 'Practice code': No practice code; row left out.",
        "previous.csv, row 6, column 'Practice code': Practice A81001 appears again (first on "
        "row 2); this row was left out.",
        "previous.csv, row 7, column 'Amount': No amount; row left out.",
    ]
    assert (upload.code_column, upload.amount_column, upload.rows_read) == (
        "Practice code",
        "Amount",
        7,
    )


def test_an_xlsx_is_read_the_same() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["GP code", "Allocation"])
    sheet.append(["A81001", 1000.5])
    sheet.append(["A81002", 250])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = parse_previous_allocation(buffer.getvalue(), "previous.xlsx")
    assert dict(upload.amounts) == {"A81001": Decimal("1000.50"), "A81002": Decimal("250.00")}
    assert upload.problems == ()


def test_files_that_cannot_be_read_say_why() -> None:
    def message(data: bytes, name: str = "p.csv", **limits: int) -> str:
        upload = parse_previous_allocation(data, name, **limits)  # type: ignore[arg-type]
        assert not upload.amounts
        [problem] = upload.problems
        return problem.message

    assert message(b"") == "The file is empty."
    assert "No amount column" in message(csv_bytes("Practice code,Money\nA81001,5\n"))
    assert "No practice-code column" in message(csv_bytes("Code,Amount\nA81001,5\n"))
    assert "neither" in message(csv_bytes("x"), "p.pdf")
    assert "largest file accepted" in message(
        csv_bytes("Practice code,Amount\n" * 10), max_bytes=20
    )
    many = "Practice code,Amount\n" + "".join(f"A{n:05d},1\n" for n in range(20))
    assert "more than 10 rows" in message(csv_bytes(many), max_rows=10)
    assert "no rows of data" in message(csv_bytes("Practice code,Amount\n"))
