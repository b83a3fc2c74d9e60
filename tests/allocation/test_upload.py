"""Users' own indicator files: every bad file gets its plain message, good rows stay usable."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from gpequity.allocation.upload import UploadProblem, UploadResult, parse_indicator_upload

ICB = {"A81001", "A81002", "A81003"}
KNOWN = ICB | {"B82001"}


def parse_csv(text: str, **limits: int) -> UploadResult:
    return parse_indicator_upload(text.encode("utf-8"), "indicator.csv", ICB, KNOWN, **limits)


def xlsx(rows: list[list[object]], leading_blank_rows: int = 0) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for _ in range(leading_blank_rows):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def only_problem(result: UploadResult) -> UploadProblem:
    assert result.columns == ()
    (problem,) = result.problems
    return problem


def values(result: UploadResult) -> dict[str, dict[str, float]]:
    return {column.id: dict(column.values) for column in result.columns}


# --- files that cannot be read at all ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "a.csv", "The file is empty."),
        (b"\r\n ,  \r\n\r\n", "a.csv", "The file is empty."),
        (b"%PDF-1.4", "report.pdf", "Upload a CSV or Excel (.xlsx) file; 'report.pdf' is neither."),
        (
            b"\xd0\xcf\x11\xe0",
            "old.xls",
            "Old Excel (.xls) files are not supported. Save it as .xlsx or CSV.",
        ),
        (
            b"Practice code,x\n",
            "a.xlsx",
            "This is not a valid Excel (.xlsx) file. Save it again as .xlsx or CSV.",
        ),
        (
            b"PK\x03\x04 broken",
            "a.xlsx",
            "This Excel file cannot be opened. Save it again as .xlsx or CSV.",
        ),
        (
            b"Practice code\x00,x",
            "a.csv",
            "This does not look like a CSV file (it is not text). Save it as CSV.",
        ),
        (
            b"PK\x03\x04\x14\x00",
            "a.csv",
            "This does not look like a CSV file (it is not text). Save it as CSV.",
        ),
    ],
)
def test_unreadable_files(data: bytes, filename: str, message: str) -> None:
    assert only_problem(parse_indicator_upload(data, filename, ICB, KNOWN)) == UploadProblem(
        None, None, message
    )


def test_file_over_the_size_limit() -> None:
    problem = only_problem(
        parse_indicator_upload(b"x" * 2_000_000, "a.csv", ICB, KNOWN, max_bytes=1024 * 1024)
    )
    assert problem.message == "The file is 1.9 MB; the largest file accepted is 1.0 MB."


def test_default_size_limit_is_five_megabytes() -> None:
    problem = only_problem(
        parse_indicator_upload(b"x" * (5 * 1024 * 1024 + 1), "a.csv", ICB, KNOWN)
    )
    assert problem.message == "The file is 5.0 MB; the largest file accepted is 5.0 MB."


def test_too_many_rows() -> None:
    text = "Practice code,Value\n" + "A81001,1\n" * 3
    assert only_problem(parse_csv(text, max_rows=2)).message == (
        "The file has more than 2 rows of data; upload at most 2."
    )
    assert parse_csv(text, max_rows=3).rows_read == 3


def test_no_practice_code_column() -> None:
    problem = only_problem(parse_csv("Surgery,Value\nA81001,1\n"))
    assert problem == UploadProblem(
        1,
        None,
        "No practice-code column: name the column of practice codes 'Practice code' "
        "(or 'GP code' or 'ODS code').",
    )


def test_no_value_columns() -> None:
    problem = only_problem(parse_csv("Practice code,Practice name,Notes\nA81001,Castle,ok\n"))
    assert problem.message == (
        "No value columns: add at least one column of numbers beside the practice codes."
    )


# --- rows with problems, beside good rows ------------------------------------------------------


def test_bad_rows_are_reported_and_good_rows_kept() -> None:
    text = (
        "Practice code,Practice name,BP control %,Smoking rate\n"  # row 1
        "A81001,Castle,55.5,12\n"  # row 2: good
        "Z99999,Nowhere,50,3\n"  # row 3: unknown practice
        "B82001,Elsewhere,50,3\n"  # row 4: another ICB
        "A81001,Castle again,40,4\n"  # row 5: repeated
        "A81002,Bridge,abc,-2\n"  # row 6: not a number, negative
        "A81003,Hill,120,7\n"  # row 7: percentage above 100
        ",No code,1,1\n"  # row 8: no code
    )
    result = parse_csv(text)
    assert list(result.problems) == [
        UploadProblem(3, "Practice code", "'Z99999' is not a known practice code; row left out."),
        UploadProblem(4, "Practice code", "Practice B82001 belongs to another ICB; row left out."),
        UploadProblem(
            5,
            "Practice code",
            "Practice A81001 appears again (first on row 2); this row was left out.",
        ),
        UploadProblem(6, "BP control %", "'abc' is not a number; it was left out."),
        UploadProblem(
            6, "Smoking rate", "-2 is negative; values must be 0 or more, so it was left out."
        ),
        UploadProblem(
            7, "BP control %", "120 is not a percentage between 0 and 100; it was left out."
        ),
        UploadProblem(8, "Practice code", "No practice code; row left out."),
    ]
    assert values(result) == {
        "upload:bp-control": {"A81001": 55.5},
        "upload:smoking-rate": {"A81001": 12.0, "A81003": 7.0},
    }
    assert [c.is_percentage for c in result.columns] == [True, False]
    assert [c.name for c in result.columns] == ["BP control %", "Smoking rate"]
    assert result.ignored_columns == ("Practice name",)
    assert result.practice_code_column == "Practice code"


@pytest.mark.parametrize("header", ["Percent screened", "Perc screened", "Screening percentage"])
def test_percentage_headers(header: str) -> None:
    result = parse_csv(f"Practice code,{header}\nA81001,101\nA81002,99\n")
    assert result.columns[0].is_percentage
    assert [p.row for p in result.problems] == [2]


def test_blank_cells_are_missing_not_problems() -> None:
    result = parse_csv("Practice code,A,B\nA81001,,2\nA81002,1,\n")
    assert result.problems == ()
    assert values(result) == {"upload:a": {"A81002": 1.0}, "upload:b": {"A81001": 2.0}}


def test_a_column_with_values_but_no_header_is_reported() -> None:
    result = parse_csv("Practice code,Value,\nA81001,1,5\n")
    assert result.problems == (
        UploadProblem(1, "column 3", "This column has values but no header, so it was ignored."),
    )
    assert values(result) == {"upload:value": {"A81001": 1.0}}


# --- what is accepted --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["Practice code", "GP code", "practice_code", "ODS code", "PRACTICE-CODE", "Area Code"],
)
def test_practice_code_headers(header: str) -> None:
    result = parse_csv(f"{header},Value\na81001 ,1\n")
    assert values(result) == {"upload:value": {"A81001": 1.0}}


def test_utf8_with_byte_order_mark() -> None:
    data = "Practice code,Spend £\nA81001,3\n".encode("utf-8-sig")
    result = parse_indicator_upload(data, "a.CSV", ICB, KNOWN)
    assert result.practice_code_column == "Practice code"
    assert [c.name for c in result.columns] == ["Spend £"]


def test_windows_1252_text() -> None:
    # Excel's "CSV (comma delimited)" on Windows: the pound sign is byte 0xA3.
    data = "Practice code,Spend £,Practice name\nA81001,3,Caf\xe9\n".encode("cp1252")
    result = parse_indicator_upload(data, "a.csv", ICB, KNOWN)
    assert [c.name for c in result.columns] == ["Spend £"]
    assert result.problems == ()


def test_semicolons_thousands_and_percent_signs() -> None:
    result = parse_csv('Practice code;List size;Uptake\nA81001;"12,345";55%\n')
    assert values(result) == {
        "upload:list-size": {"A81001": 12345.0},
        "upload:uptake": {"A81001": 55.0},
    }


def test_repeated_headers_get_distinct_ids() -> None:
    result = parse_csv("Practice code,Value,value,%\nA81001,1,2,3\n")
    assert [c.id for c in result.columns] == ["upload:value", "upload:value-2", "upload:column-4"]


def test_xlsx_rows_are_numbered_as_in_excel() -> None:
    data = xlsx(
        [
            ["ODS code", "Practice name", "Uptake %", "Rate"],  # row 3
            ["A81001", "Castle", 55.5, 10],  # row 4
            ["A81002", "Bridge", "n/a", "7"],  # row 5
            [None, None, None, None],  # row 6: blank, skipped
            ["A81003", "Hill", 101, True],  # row 7
        ],
        leading_blank_rows=2,
    )
    result = parse_indicator_upload(data, "mine.xlsx", ICB, KNOWN)
    assert list(result.problems) == [
        UploadProblem(5, "Uptake %", "'n/a' is not a number; it was left out."),
        UploadProblem(7, "Uptake %", "101 is not a percentage between 0 and 100; it was left out."),
        UploadProblem(7, "Rate", "'True' is not a number; it was left out."),
    ]
    assert values(result) == {
        "upload:uptake": {"A81001": 55.5},
        "upload:rate": {"A81001": 10.0, "A81002": 7.0},
    }
    assert result.rows_read == 3


# --- values too large, infinite or not numbers ---------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "1e26",
            "1e26 is too large: values must be at most 1,000,000,000,000, so it was left out.",
        ),
        ("inf", "inf is too large: values must be at most 1,000,000,000,000, so it was left out."),
        (
            "1e400",
            "1e400 is too large: values must be at most 1,000,000,000,000, so it was left out.",
        ),
        (
            "-1e400",
            "-1e400 is too large: values must be at most 1,000,000,000,000, so it was left out.",
        ),
        ("nan", "'nan' is not a number; it was left out."),
        ("NaN", "'NaN' is not a number; it was left out."),
    ],
)
def test_huge_infinite_and_nan_values_are_refused_by_row_and_column(
    cell: str, message: str
) -> None:
    result = parse_csv(f"Practice code,Value,Other\nA81001,{cell},1\nA81002,5,2\n")
    assert result.problems == (UploadProblem(2, "Value", message),)
    assert values(result) == {
        "upload:value": {"A81002": 5.0},
        "upload:other": {"A81001": 1.0, "A81002": 2.0},
    }


def test_the_largest_value_is_accepted() -> None:
    assert values(parse_csv("Practice code,Value\nA81001,1e12\n")) == {
        "upload:value": {"A81001": 1e12}
    }


def test_a_column_of_only_huge_values_is_reported_not_ignored() -> None:
    result = parse_csv("Practice code,Value\nA81001,1e30\n")
    assert [p.row for p in result.problems] == [2]
    assert [c.id for c in result.columns] == ["upload:value"]


def test_huge_numbers_in_a_workbook_are_refused() -> None:
    # openpyxl writes an infinite number as an empty cell, so none is tried here.
    result = parse_indicator_upload(
        xlsx([["Practice code", "Value"], ["A81001", 1e26], ["A81002", 1e300]]),
        "a.xlsx",
        ICB,
        KNOWN,
    )
    assert [(p.row, p.column) for p in result.problems] == [(2, "Value"), (3, "Value")]
    assert all("too large" in p.message for p in result.problems)


# --- limits on what is read --------------------------------------------------------------------


def test_blank_rows_count_toward_the_rows_read() -> None:
    text = "Practice code,Value\n\n\nA81001,1\n"
    assert only_problem(parse_csv(text, max_rows=2)).message == (
        "The file has more than 3 rows, counting blank rows; at most 3 are read "
        "(a header and 2 rows of data)."
    )
    assert parse_csv(text, max_rows=3).rows_read == 1


def test_too_many_columns() -> None:
    text = "Practice code" + ",Value" * 200 + "\nA81001" + ",1" * 200 + "\n"
    assert only_problem(parse_csv(text)) == UploadProblem(
        1, None, "The file has 201 columns; at most 200 are read."
    )
    assert len(parse_csv(text.replace(",Value", "", 1).replace(",1", "", 1)).columns) == 199


# --- issue 13: a misread file says what is wrong -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('Practice code,Need\nA81001,"12\nA81002,13\nA81003,14\n', 2),
        ('Practice code,Need\nA81001,"12\nA81002,13', 2),
        ('Practice code,"Need\nA81001,12\n', 1),
    ],
)
def test_an_unclosed_quote_names_its_line(text: str, line: int) -> None:
    """The rest of the file became one value, and the message was "No value columns"."""
    problem = only_problem(parse_csv(text))
    assert problem.row == line
    assert problem.message == (
        f'A quote mark (") on line {line} starts a value that is never closed, so everything '
        "after it was read as one value. Remove the stray quote mark, or close it, and upload "
        "the file again."
    )


def test_a_closed_quote_over_two_lines_is_a_value_not_a_problem_of_the_file() -> None:
    result = parse_csv('Practice code,Need\nA81001,12\nA81002,"a\nb"\n')
    assert values(result) == {"upload:need": {"A81001": 12.0}}
    assert [p.row for p in result.problems] == [3]


def test_decimal_commas_are_named() -> None:
    problem = only_problem(parse_csv("Practice code;Need\nA81001;12,5\nA81002;13,25\n"))
    assert problem.message == (
        "No value columns: in column 'Need', the numbers are written with a decimal comma "
        "(like '12,5'), which is not read, so the column was ignored. Save the file with "
        "decimal points (12.5), or upload it as .xlsx."
    )
    result = parse_csv("Practice code;Need;Other\nA81001;12,5;1\nA81002;13,25;2\n")
    assert values(result) == {"upload:other": {"A81001": 1.0, "A81002": 2.0}}
    assert [(p.row, p.column) for p in result.problems] == [(1, "Need")]
    assert result.problems[0].message.startswith("The numbers are written with a decimal comma")
    result = parse_csv("Practice code;Need\nA81001;12\nA81002;13,25\n")
    assert [p.message for p in result.problems] == [
        "'13,25' has a decimal comma; write it with a decimal point (13.25). It was left out."
    ]


def test_formulas_without_saved_results_are_named() -> None:
    data = xlsx([["Practice code", "Need"], ["A81001", "=1+2"], ["A81002", "=B2*2"]])
    problem = only_problem(parse_indicator_upload(data, "f.xlsx", ICB, KNOWN))
    assert problem.message.startswith(
        "No value columns: the values of this Excel file are formulas whose results were never "
        "saved in it"
    )
    text_only = xlsx([["Practice code", "Need"], ["A81001", "lots"]])
    problem = only_problem(parse_indicator_upload(text_only, "f.xlsx", ICB, KNOWN))
    assert problem.message.startswith("No value columns: add at least one column of numbers")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_read_with_its_mark_and_named_without(encoding: str) -> None:
    data = "Practice code\tNeed\nA81001\t12\n".encode(encoding)
    result = parse_indicator_upload(data, "unicode.txt", ICB, KNOWN)
    if encoding == "utf-16":  # with a byte-order mark: Excel's "Unicode Text"
        assert values(result) == {"upload:need": {"A81001": 12.0}}
    else:
        assert only_problem(result).message == (
            "This file is saved as UTF-16 text without the mark that says so, which cannot be "
            "read reliably. Save it as 'CSV UTF-8' and upload it again."
        )
