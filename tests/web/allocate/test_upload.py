"""The user's own indicators on the allocation page: read in memory, checked row by row."""

from __future__ import annotations

import csv
import io
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from gpequity.allocation import Direction
from gpequity.allocation.icbs import IcbEntry, icb_practice_codes, list_icbs
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.exports import FORMULA_TRIGGERS
from gpequity.formats import format_pounds
from gpequity.warehouse.build import connect

from .conftest import (
    AMOUNT,
    Page,
    allocations_shown,
    query,
    read,
)

# --- uploads ------------------------------------------------------------------------------------


def icb_codes(db: Path, icb: IcbEntry) -> list[str]:
    with connect(db) as con:
        return sorted(icb_practice_codes(con, icb.code))


def other_icb_code(db: Path, icb: IcbEntry) -> str:
    with connect(db) as con:
        other = next(i for i in list_icbs(con) if i.code != icb.code)
        return sorted(icb_practice_codes(con, other.code))[0]


def upload_form(icb: IcbEntry, /, **changes: str) -> dict[str, str]:
    return {**query(icb, c2="", w2="", w1="100"), "action": "upload", **changes}


def post_file(
    client: TestClient, icb: IcbEntry, name: str, data: bytes, /, **changes: str
) -> tuple[int, Page, str]:
    response = client.post(
        "/allocate",
        data=upload_form(icb, **changes),
        files={"indicators_file": (name, data, "application/octet-stream")},
    )
    return response.status_code, read(response.text), response.text


def problems(page: Page) -> list[list[str]]:
    return page.tables.get("upload-problems-table", [])


def test_an_upload_lists_its_problems_by_row_and_keeps_the_good_rows(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    codes = icb_codes(db, icb)
    lines = ["Practice code,Local need %,Notes"]
    lines += [f"{code},{10 + n}," for n, code in enumerate(codes)]
    lines += [
        "ZZ9999,5,unknown",
        f"{other_icb_code(db, icb)},5,other ICB",
        f"{codes[0]},7,twice",
        ",5,no code",
    ]
    body = "\n".join(lines).encode()
    bad_value = f"{codes[1]},lots,not a number\n{codes[2]},150,over 100".encode()
    # Rows 2 and 3 of the first file are replaced by bad values (and reported).
    body = body.replace(f"{codes[1]},11,\n{codes[2]},12,".encode(), bad_value)
    status, page, html = post_file(client, icb, "local.csv", body)
    assert status == 200
    found = problems(page)
    messages = [" ".join(row) for row in found]
    n = len(codes)
    assert any(r[0] == "3" and "'lots' is not a number" in r[2] for r in found), messages
    assert any(r[0] == "4" and "not a percentage between 0 and 100" in r[2] for r in found)
    assert any(
        r[0] == str(n + 2) and "'ZZ9999' is not a known practice code" in r[2] for r in found
    )
    assert any(r[0] == str(n + 3) and "belongs to another ICB" in r[2] for r in found)
    assert any(r[0] == str(n + 4) and "appears again (first on row 2)" in r[2] for r in found)
    assert any(r[0] == str(n + 5) and "No practice code" in r[2] for r in found)
    # The good rows give a component to choose, carried to the next submission.
    assert ("upload:local-need", "Local need % — ", False) in [
        (v, t[: len("Local need % — ")], s) for v, t, s in page.options["c2"]
    ]
    assert 'name="upload_data"' in html and 'name="upload_name" value="local.csv"' in html


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "The file is empty."),
        ("big.csv", b"x" * (5 * 1024 * 1024 + 1), "the largest file accepted is 5.0 MB"),
        ("notes.pdf", b"%PDF-1.4", "CSV"),
        ("broken.xlsx", b"PK\x03\x04 not really", "cannot be opened"),
        ("nocode.csv", b"Name,Value\nA,1\n", "practice code"),
        ("novalues.csv", b"Practice code,Notes\nA81001,hello\n", "value"),
    ],
)
def test_a_bad_file_is_explained(
    client: TestClient, icb: IcbEntry, name: str, data: bytes, message: str
) -> None:
    status, page, _ = post_file(client, icb, name, data)
    assert status == 422
    assert page.errors and page.errors[0][0] == "indicators_file"
    assert message.lower() in page.errors[0][1].lower(), page.errors


def _uncalculated_workbook() -> bytes:
    """A workbook as a program that writes formulas without calculating them leaves it: the
    formulas and no saved results (openpyxl writes no cached values)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Practice code", "Need"])
    sheet.append(["A81001", "=1+2"])
    sheet.append(["A81002", "=B2*2"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


#: Issue 13: each said "No value columns", "not text" or "Invalid multipart data".
MISREAD_FILES = [
    (
        "quote.csv",
        b'Practice code,Need\nA81001,"12\nA81002,13\n',
        'A quote mark (") on line 2 starts a value that is never closed',
    ),
    (
        "semicolons.csv",
        b"Practice code;Need\nA81001;12,5\nA81002;13,25\n",
        "No value columns: in column 'Need', the numbers are written with a decimal comma "
        "(like '12,5')",
    ),
    (
        "formulas.xlsx",
        _uncalculated_workbook(),
        "No value columns: the values of this Excel file are formulas whose results were "
        "never saved in it",
    ),
    (
        "utf16.csv",
        "Practice code,Need\nA81001,12\n".encode("utf-16-le"),
        "This file is saved as UTF-16 text without the mark that says so",
    ),
    (
        "x" * 5_000 + ".csv",
        b"Practice code,Need\nA81001,12\n",
        "The file's name is too long to be sent",
    ),
]


@pytest.mark.parametrize(("name", "data", "message"), MISREAD_FILES, ids=lambda v: str(v)[:12])
def test_a_misread_file_says_what_is_wrong(
    client: TestClient, icb: IcbEntry, name: str, data: bytes, message: str
) -> None:
    status, page, _ = post_file(client, icb, name, data)
    assert status == 422
    assert page.errors[0][0] == "indicators_file"
    assert message in page.errors[0][1], page.errors


def test_utf16_with_its_mark_is_read(client: TestClient, db: Path, icb: IcbEntry) -> None:
    """Excel's "Unicode Text": UTF-16 with a byte-order mark, tabs between the columns."""
    codes = icb_codes(db, icb)
    text = "Practice code\tNeed\n" + "".join(f"{c}\t{n}\n" for n, c in enumerate(codes))
    status, page, _ = post_file(client, icb, "unicode.txt", text.encode("utf-16"))
    assert status == 200, page.errors
    assert "upload:need" in [value for value, _, _ in page.options["c2"]]


def test_too_many_rows(client: TestClient, db: Path, icb: IcbEntry) -> None:
    body = "Practice code,Need\n" + "".join(f"A{n:05d},1\n" for n in range(20_001))
    status, page, _ = post_file(client, icb, "long.csv", body.encode())
    assert status == 422
    assert "20,000" in page.errors[0][1]


def test_a_file_far_over_the_limit_is_refused_unread(client: TestClient, icb: IcbEntry) -> None:
    status, page, _ = post_file(client, icb, "huge.csv", b"x" * (11 * 1024 * 1024))
    assert status == 413
    assert page.errors == [
        ("indicators_file", "The file is too large: the largest file accepted is 5 MB.")
    ]


def test_uploading_needs_an_icb_and_a_file(client: TestClient, icb: IcbEntry) -> None:
    status, page, _ = post_file(client, icb, "x.csv", b"Practice code,Need\n", icb="")
    assert status == 422
    assert [f for f, _ in page.errors] == ["icb", "indicators_file"]
    response = client.post("/allocate", data=upload_form(icb))
    assert response.status_code == 422
    assert read(response.text).errors == [("indicators_file", "Choose a file to upload.")]


def test_an_xlsx_upload_allocates_like_the_engine(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    codes = icb_codes(db, icb)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["GP code", "Waiting list"])
    for n, code in enumerate(codes):
        sheet.append([code, n % 7 + 1 if n % 5 else None])
    buffer = io.BytesIO()
    book.save(buffer)
    status, page, html = post_file(client, icb, "local.xlsx", buffer.getvalue())
    assert status == 200 and not page.errors
    carried = _hidden(html, "upload_data")

    form = {
        **query(icb, w1="50", c2="upload:waiting-list", w2="50", d2="lower"),
        "action": "calculate",
        "upload_data": carried,
        "upload_name": "local.xlsx",
    }
    response = client.post("/allocate", data=form)
    assert response.status_code == 200, read(response.text).errors
    from gpequity.allocation import parse_indicator_upload
    from gpequity.allocation.icbs import known_practice_codes

    with connect(db) as con:
        upload = parse_indicator_upload(
            buffer.getvalue(), "local.xlsx", set(codes), known_practice_codes(con)
        )
        outcome = allocate_scenario(
            con,
            Scenario(
                icb.code,
                AMOUNT,
                (
                    ComponentChoice("imd", Decimal(50)),
                    ComponentChoice("upload:waiting-list", Decimal(50), Direction.LOWER),
                ),
            ),
            upload.columns,
        )
    assert allocations_shown(read(response.text)) == {
        p.code: format_pounds(p.allocation) for p in outcome.result.practices
    }
    assert "(imputed)" in response.text
    # No link to share (the file is not kept); the downloads post the values again.
    assert 'id="share-url"' not in response.text
    assert response.headers["HX-Push-Url"] == "false"
    download = client.post("/allocate/download.csv", data=form)
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert sum((Decimal(r["allocation"]) for r in rows), Decimal(0)) == AMOUNT
    assert "upload:waiting-list 50% (lower = more need)" in rows[0]["scenario_components"]


def _hidden(html: str, name: str) -> str:
    import html as html_module
    import re

    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None
    return html_module.unescape(match.group(1))


def test_formula_injection_in_an_upload_is_neutralised(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    codes = icb_codes(db, icb)
    header = '"=HYPERLINK(""http://evil.example"",""click"")",+Need,@Notes'
    lines = ["Practice code," + header]
    lines += [f"{code},{n + 1},{n + 2},x" for n, code in enumerate(codes)]
    lines += ["=1+2,5,5,x", "-2+3,5,5,x", "@SUM(A1),5,5,x"]
    status, page, html = post_file(client, icb, "evil.csv", "\n".join(lines).encode())
    assert status == 200, page.errors
    # The page shows the user's text escaped, never as markup.
    assert '<td class="nhsuk-table__cell">&#39;=1+2&#39; is not a known practice code' in html
    component = next(v for v, t, _ in page.options["c2"] if t.startswith("=HYPERLINK"))
    form = {
        **query(icb, w1="50", c2=component, w2="50"),
        "upload_data": _hidden(html, "upload_data"),
        "upload_name": "evil.csv",
    }
    download = client.post("/allocate/download.csv", data=form)
    assert download.status_code == 200
    for row in csv.reader(io.StringIO(download.text)):
        for cell in row:
            if cell.startswith(FORMULA_TRIGGERS):
                # Only numbers may start with "-" or "+"; text is neutralised with a "'".
                Decimal(cell)
    workbook = client.post("/allocate/download.xlsx", data=form)
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    texts = [
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    assert not [t for t in texts if t.startswith(FORMULA_TRIGGERS)]


def test_an_uploaded_file_is_never_written_to_disk(
    client: TestClient, db: Path, icb: IcbEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Starlette spools a file over 1 MB to a temporary file; the tool keeps it in memory.
    def refuse(self: object) -> None:
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", refuse)
    codes = icb_codes(db, icb)
    # Over 1 MB in all, each cell under the CSV reader's limit of 128 kB.
    padding = "x" * 100_000
    body = "Practice code,Need,Notes\n" + "".join(f"{c},1,{padding}\n" for c in codes[:20])
    assert len(body) > 1024 * 1024
    status, page, _ = post_file(client, icb, "padded.csv", body.encode())
    assert status == 200, page.errors
