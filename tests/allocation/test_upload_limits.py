"""Hostile uploads: tiny files that ask for minutes of work and gigabytes of memory are refused
early, with a message naming the limit, within a time budget and a bounded memory growth.

Every file is built here. An Excel file is a zip of XML; the big ones are deflated without
ever being held whole (see :func:`deflated`), and the zip is written by hand (:func:`zip_of`)
so that a test can also state a false size, as a zip bomb does. ``benchmarks/uploads.py``
times and measures these same files.
"""

from __future__ import annotations

import functools
import io
import resource
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Generic, TypeVar

import pytest
from fastapi.testclient import TestClient

from gpequity.allocation.upload import (
    MAX_SHARED_STRING_CHARACTERS,
    MAX_SHARED_STRINGS,
    MAX_UPLOAD_CELLS,
    MAX_UPLOAD_COLUMNS,
    MAX_UPLOAD_ROWS,
    MAX_XLSX_OTHER_ELEMENTS,
    UploadResult,
    parse_indicator_upload,
)
from gpequity.web.app import create_app
from gpequity.web.routes import allocate as allocate_routes

ICB = {"A81001", "A81002", "A81003"}
KNOWN = ICB | {"B82001"}
MEGABYTE = 1024 * 1024
#: What reading one hostile file may take and add to the process's memory. Generous (the
#: machine is shared): the files refused here took up to 294 s and 1.8 GB before the limits.
SECONDS_PER_FILE = 5.0
MEMORY_GROWTH_BYTES = 150 * MEGABYTE
#: How often the memory of the process is looked at while a file is read.
SAMPLE_SECONDS = 0.005
#: A file far over the upload limit (5 MB), refused before it is read, and one just over it.
FAR_OVER_BYTES = 11 * MEGABYTE
JUST_OVER_BYTES = 6 * MEGABYTE + 1
TOO_LARGE = "The file is too large: the largest file accepted is 5 MB."

T = TypeVar("T")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Practice code</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>Value</t></is></c></row>'
)
GOOD_ROWS = HEADER_ROW + (
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>A81001</t></is></c><c r="B2"><v>7</v></c></row>'
)


# --- building files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One member of a zip, deflated; ``size`` is what it unpacks to, ``declared`` what the
    zip says it unpacks to (a zip bomb may say less)."""

    name: str
    deflated: bytes
    crc: int
    size: int
    declared: int


def deflated(name: str, head: bytes, chunk: bytes = b"", times: int = 0, tail: bytes = b"") -> Part:
    """``head + chunk * times + tail`` as a zip member, deflating ``chunk`` once.

    After a full flush a deflate block never refers back, so the chunk's block can be repeated:
    hundreds of megabytes are written in a fraction of a second, never held whole.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) if times else b""
    end = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(chunk) * times + len(tail)
    return Part(name, start + block * times + end, crc, size, size)


def zip_of(*parts: Part) -> bytes:
    """A zip file of the parts (deflated, no zip64), sizes as each part declares them."""
    body, directory = bytearray(), bytearray()
    for part in parts:
        name = part.name.encode()
        sizes = (part.crc, len(part.deflated), part.declared, len(name), 0)
        directory += struct.pack("<IHHHHHH", 0x02014B50, 20, 20, 0, 8, 0, 0)
        directory += struct.pack("<IIIHH", *sizes) + struct.pack("<HHHII", 0, 0, 0, 0, len(body))
        directory += name
        body += struct.pack("<IHHHHH", 0x04034B50, 20, 0, 8, 0, 0)
        body += struct.pack("<IIIHH", *sizes) + name + part.deflated
    count = len(parts)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(body), 0)
    return bytes(body + directory + end)


def workbook(sheet: Part | None = None, shared_strings: Part | None = None) -> bytes:
    """An Excel file of one sheet (by default a header and one good row), and shared strings."""
    overrides = [
        f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEET}.sheet.main+xml"/>',
        f'<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{SPREADSHEET}.worksheet+xml"/>',
    ]
    if shared_strings is not None:
        overrides.append(
            f'<Override PartName="/{shared_strings.name}" '
            f'ContentType="{SPREADSHEET}.sharedStrings+xml"/>'
        )
    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(overrides)
        + "</Types>"
    )
    package_rels = (
        f'<Relationships xmlns="{RELATIONSHIPS}"><Relationship Id="rId1" '
        f'Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    book = (
        f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    book_rels = (
        f'<Relationships xmlns="{RELATIONSHIPS}"><Relationship Id="rId1" '
        f'Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    parts = [
        deflated("[Content_Types].xml", types.encode()),
        deflated("_rels/.rels", package_rels.encode()),
        deflated("xl/workbook.xml", book.encode()),
        deflated("xl/_rels/workbook.xml.rels", book_rels.encode()),
        sheet if sheet is not None else worksheet(GOOD_ROWS),
    ]
    return zip_of(*parts, *([] if shared_strings is None else [shared_strings]))


def worksheet(
    rows: bytes, *, dimension: str | None = None, chunk: bytes = b"", times: int = 0
) -> Part:
    """The sheet part: ``rows``, then ``chunk`` repeated ``times`` times, in ``<sheetData>``."""
    declared = "" if dimension is None else f'<dimension ref="{dimension}"/>'
    head = f'<worksheet xmlns="{MAIN}">{declared}<sheetData>'.encode() + rows
    return deflated("xl/worksheets/sheet1.xml", head, chunk, times, b"</sheetData></worksheet>")


def shared_strings(chunk: bytes, times: int, *, attributes: str = "") -> Part:
    """The shared-strings part: ``chunk`` (some ``<si>`` elements) repeated ``times`` times."""
    head = f'<sst xmlns="{MAIN}"{attributes}>'.encode()
    return deflated("xl/sharedStrings.xml", head, chunk, times, b"</sst>")


def lying(part: Part, declared: int) -> Part:
    """The part, with the zip stating that it unpacks to ``declared`` bytes."""
    return Part(part.name, part.deflated, part.crc, part.size, declared)


# --- the hostile files ---------------------------------------------------------------------------


def twenty_million_shared_strings() -> bytes:
    """Issue 13's 807 KB file: 20 million strings (340 MB of XML) took 294 s and 1.8 GB."""
    return workbook(shared_strings=shared_strings(b"<si><t>x</t></si>" * 100_000, 200))


def six_hundred_thousand_shared_strings() -> bytes:
    """Fewer strings, in few megabytes of XML and without a count: they are counted."""
    return workbook(shared_strings=shared_strings(b"<si/>" * 100_000, 6))


def a_false_shared_string_count() -> bytes:
    """A count of 20 million strings, stated by the file: refused before any is read."""
    count = ' count="20000000" uniqueCount="20000000"'
    return workbook(shared_strings=shared_strings(b"<si><t>x</t></si>", 1, attributes=count))


def one_string(megabytes: int) -> bytes:
    """A single string of ``megabytes`` MB in the shared strings."""
    head = f'<sst xmlns="{MAIN}" uniqueCount="1"><si><t>'.encode()
    tail = b"</t></si></sst>"
    part = deflated("xl/sharedStrings.xml", head, b"a" * MEGABYTE, megabytes, tail)
    return workbook(shared_strings=part)


def one_500_megabyte_string() -> bytes:
    """Issue 13's 499 KB file: one string of 500 MB peaked at 1.4 GB."""
    return one_string(500)


def a_20_megabyte_string() -> bytes:
    """Under the unpacked-size limit but over the text limit: counted as it streams."""
    return one_string(20)


def a_sheet_declared_to_column_xfd() -> bytes:
    """Issue 13's 1.5 KB file: a sheet declared A1:XFD60000 took 87 s (25 min in full)."""
    return workbook(worksheet(GOOD_ROWS, dimension="A1:XFD60000"))


def a_cell_in_column_xfd() -> bytes:
    """No declared size, but one cell in the last column: openpyxl pads the row to it."""
    far = b'<row r="3"><c r="XFD3"><v>1</v></c></row>'
    return workbook(worksheet(GOOD_ROWS + far))


def a_cell_in_row_a_million() -> bytes:
    """No declared size, and a cell on row 1,000,000: openpyxl yields every row before it."""
    far = b'<row r="1000000"><c r="A1000000"><v>1</v></c></row>'
    return workbook(worksheet(GOOD_ROWS + far))


def a_zip_bomb() -> bytes:
    """A 1 GB part of zeros in a file of about a megabyte."""
    bomb = deflated("xl/media/image1.bin", b"", b"\0" * MEGABYTE, 1024)
    return zip_of(*_parts(workbook()), bomb)


def a_zip_bomb_that_lies() -> bytes:
    """A sheet of 200 MB that the zip says is 1 KB: never unpacked past the stated size."""
    row = b'<row><c t="inlineStr"><is><t>A81001</t></is></c><c><v>1</v></c></row>' * 10_000
    return workbook(lying(worksheet(HEADER_ROW, chunk=row, times=300), 1024))


def a_million_formats() -> bytes:
    """A 91 KB file whose styles hold a million cell formats: 129 s and 737 MB to read."""
    head = f'<styleSheet xmlns="{MAIN}"><cellXfs count="1000000">'.encode()
    tail = b"</cellXfs></styleSheet>"
    styles = deflated("xl/styles.xml", head, b'<xf numFmtId="0"/>' * 1000, 1000, tail)
    return zip_of(*_parts(workbook()), styles)


def billion_laughs() -> bytes:
    """Entities that expand to gigabytes, in the shared strings."""
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(9)
    )
    text = f'<!DOCTYPE sst [{entities}]><sst xmlns="{MAIN}"><si><t>&j;</t></si></sst>'
    return workbook(shared_strings=deflated("xl/sharedStrings.xml", text.encode()))


def ten_thousand_empty_columns() -> bytes:
    """Issue 13's 185 KB CSV: 10,000 empty columns beside 20,000 short rows took 166 s."""
    header = "Practice code,Value" + "," * 10_000 + "\n"
    return (header + "A81001,1\n" * 20_000).encode()


def twenty_thousand_blank_rows() -> bytes:
    """Blank rows cost as much to read as full ones, and used not to count."""
    return ("Practice code,Value\n" + ",\n" * 20_000 + "A81001,1\n").encode()


def a_million_cells() -> bytes:
    """150 columns of 7,000 practices: under the row and column limits, over the cells'."""
    header = "Practice code," + ",".join(f"V{n}" for n in range(149)) + "\n"
    return (header + ("A81001" + ",1" * 149 + "\n") * 7_000).encode()


def _parts(xlsx: bytes) -> list[Part]:
    """The parts of one of the workbooks above, to add another to it."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [deflated(name, archive.read(name)) for name in archive.namelist()]


@dataclass(frozen=True)
class Hostile:
    """A hostile file, its name, and the message that refuses it."""

    build: Callable[[], bytes]
    filename: str
    message: str


HOSTILE = (
    Hostile(
        twenty_million_shared_strings,
        "strings.xlsx",
        "The file unpacks to 324.3 MB; at most 50 MB is read.",
    ),
    Hostile(
        six_hundred_thousand_shared_strings,
        "strings.xlsx",
        f"The file has more than {MAX_SHARED_STRINGS:,} different pieces of text; at most "
        f"{MAX_SHARED_STRINGS:,} are read.",
    ),
    Hostile(
        a_false_shared_string_count,
        "strings.xlsx",
        f"The file has 20,000,000 different pieces of text; at most {MAX_SHARED_STRINGS:,} "
        "are read.",
    ),
    Hostile(
        one_500_megabyte_string,
        "string.xlsx",
        "The file unpacks to 500.0 MB; at most 50 MB is read.",
    ),
    Hostile(
        a_20_megabyte_string,
        "string.xlsx",
        f"The file's text is more than {MAX_SHARED_STRING_CHARACTERS:,} characters long; at "
        f"most {MAX_SHARED_STRING_CHARACTERS:,} are read.",
    ),
    Hostile(
        a_sheet_declared_to_column_xfd,
        "wide.xlsx",
        "The sheet's size is set to A1:XFD60000, 16,384 columns; at most 200 are read. "
        "Copy the data to a new sheet and save it again.",
    ),
    Hostile(
        a_cell_in_column_xfd,
        "wide.xlsx",
        f"The file has 16,384 columns; at most {MAX_UPLOAD_COLUMNS} are read.",
    ),
    Hostile(
        a_cell_in_row_a_million,
        "long.xlsx",
        "The file has more than 20,001 rows, counting blank rows; at most 20,001 are read "
        f"(a header and {MAX_UPLOAD_ROWS:,} rows of data).",
    ),
    Hostile(a_zip_bomb, "bomb.xlsx", "The file unpacks to 1,024.0 MB; at most 50 MB is read."),
    Hostile(
        a_zip_bomb_that_lies,
        "bomb.xlsx",
        "This Excel file cannot be opened. Save it again as .xlsx or CSV.",
    ),
    Hostile(
        a_million_formats,
        "formats.xlsx",
        f"The file's formatting and other settings have more than {MAX_XLSX_OTHER_ELEMENTS:,} "
        f"entries; at most {MAX_XLSX_OTHER_ELEMENTS:,} are read. Copy the data to a new "
        "workbook, or save it as CSV.",
    ),
    Hostile(
        billion_laughs,
        "laughs.xlsx",
        "This Excel file declares XML entities, which a spreadsheet never does.",
    ),
    Hostile(
        ten_thousand_empty_columns,
        "wide.csv",
        f"The file has 10,002 columns; at most {MAX_UPLOAD_COLUMNS} are read.",
    ),
    Hostile(
        twenty_thousand_blank_rows,
        "blank.csv",
        "The file has more than 20,001 rows, counting blank rows; at most 20,001 are read "
        f"(a header and {MAX_UPLOAD_ROWS:,} rows of data).",
    ),
    Hostile(
        a_million_cells,
        "cells.csv",
        f"The file has more than {MAX_UPLOAD_CELLS:,} cells; at most {MAX_UPLOAD_CELLS:,} "
        "are read.",
    ),
)


# --- measuring -----------------------------------------------------------------------------------


def resident_bytes() -> int:
    """The process's resident memory now (Linux: ``/proc/self/statm``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize()


def peak_bytes() -> int:
    """The process's peak resident memory so far (``ru_maxrss`` is in kilobytes on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass(frozen=True)
class Measured(Generic[T]):
    result: T
    seconds: float
    growth: int


@dataclass
class _Sampler:
    peak: int
    running: bool = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, resident_bytes())
            time.sleep(SAMPLE_SECONDS)


def measure(read: Callable[[], T]) -> Measured[T]:
    """Read a file, timing it and watching the memory it adds: sampled while it runs, and the
    process's peak (which catches a spike between two samples once it passes earlier peaks)."""
    before, peak_before = resident_bytes(), peak_bytes()
    sampler = _Sampler(before)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    started = time.perf_counter()
    try:
        result = read()
    finally:
        seconds = time.perf_counter() - started
        sampler.running = False
        thread.join()
    growth = max(sampler.peak - before, peak_bytes() - max(peak_before, before))
    return Measured(result, seconds, growth)


def parse(data: bytes, filename: str) -> UploadResult:
    return parse_indicator_upload(data, filename, ICB, KNOWN)


# --- the tests -----------------------------------------------------------------------------------


def test_the_hand_built_workbook_is_read() -> None:
    # The hostile workbooks differ from this one only in their hostile part.
    result = parse(workbook(), "good.xlsx")
    assert result.problems == ()
    assert {c.id: dict(c.values) for c in result.columns} == {"upload:value": {"A81001": 7.0}}


def test_a_shared_string_within_the_limits_is_read() -> None:
    strings = shared_strings(b"<si><t>Practice code</t></si><si><t>A81001</t></si>", 1)
    rows = (
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Value</t></is>'
        b'</c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>3</v></c></row>'
    )
    result = parse(workbook(worksheet(rows), strings), "good.xlsx")
    assert {c.id: dict(c.values) for c in result.columns} == {"upload:value": {"A81001": 3.0}}


@pytest.fixture(scope="module", params=HOSTILE, ids=lambda hostile: hostile.build.__name__)
def hostile(request: pytest.FixtureRequest) -> Iterator[tuple[Hostile, bytes]]:
    spec: Hostile = request.param
    yield spec, spec.build()


def test_a_hostile_file_is_refused_quickly_in_bounded_memory(
    hostile: tuple[Hostile, bytes],
) -> None:
    spec, data = hostile
    assert len(data) < 5 * MEGABYTE  # each is small enough to be uploaded
    measured = measure(lambda: parse(data, spec.filename))
    assert measured.result.columns == ()
    assert [p.message for p in measured.result.problems] == [spec.message]
    assert measured.seconds < SECONDS_PER_FILE
    assert measured.growth < MEMORY_GROWTH_BYTES, f"{measured.growth / MEGABYTE:.0f} MB"


def test_the_time_spent_on_one_file_is_bounded() -> None:
    data = ("Practice code,Value\n" + "A81001,1\n" * 10).encode()
    result = parse_indicator_upload(data, "a.csv", ICB, KNOWN, max_seconds=0)
    assert result.columns == ()
    (problem,) = result.problems
    assert problem.message.startswith("Reading the file was stopped after 0.0 seconds; ")
    assert problem.message.endswith(
        "at most 0 seconds are spent on one file. Upload a smaller file."
    )


@pytest.fixture(scope="module")
def client(small_efit_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_efit_db), raise_server_exceptions=False) as test_client:
        yield test_client


def post(client: TestClient, filename: str, data: bytes, icb: str = "QZZ") -> tuple[int, str]:
    """Upload a file on the allocation page (``benchmarks/uploads.py`` posts the same way)."""
    response = client.post(
        "/allocate",
        data={"icb": icb, "amount": "100000", "c1": "imd", "w1": "100", "action": "upload"},
        files={"indicators_file": (filename, data, "application/octet-stream")},
    )
    return response.status_code, response.text


def test_the_web_page_refuses_every_hostile_upload_in_budget_and_bounded_memory(
    client: TestClient, hostile: tuple[Hostile, bytes]
) -> None:
    """Each limit through a real request: a 422 naming the limit, within the same time budget
    and memory growth as the reading alone (the server runs in this process, so its memory is
    the process's)."""
    spec, data = hostile
    measured = measure(lambda: post(client, spec.filename, data))
    status, html = measured.result
    assert status == 422
    assert spec.message in unescape(html)
    assert measured.seconds < SECONDS_PER_FILE
    assert measured.growth < MEMORY_GROWTH_BYTES, f"{measured.growth / MEGABYTE:.0f} MB"


@pytest.mark.parametrize(
    ("size", "status", "message"),
    [
        (FAR_OVER_BYTES, 413, TOO_LARGE),
        (JUST_OVER_BYTES, 422, "The file is 6.0 MB; the largest file accepted is 5.0 MB."),
    ],
    ids=["far-over", "just-over"],
)
def test_a_file_over_the_size_limit_is_refused_in_budget_and_bounded_memory(
    client: TestClient, size: int, status: int, message: str
) -> None:
    """Far over the limit (twice it), the body is refused unread (413); just over, it is read
    to say its size and refused before it is parsed."""
    data = b"Practice code,Value\n" + b"A81001,1\n" * ((size - 20) // 9 + 1)
    measured = measure(lambda: post(client, "big.csv", data))
    answered, html = measured.result
    assert answered == status
    assert message in unescape(html)
    assert measured.seconds < SECONDS_PER_FILE
    assert measured.growth < MEMORY_GROWTH_BYTES, f"{measured.growth / MEGABYTE:.0f} MB"


def test_the_web_page_refuses_an_upload_over_its_time_budget(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wall-clock budget through a real request: the page's reader given no time at all
    (the real reader; only its budget is 0 s instead of 10 s) answers 422 with the message."""
    monkeypatch.setattr(
        allocate_routes,
        "parse_indicator_upload",
        functools.partial(parse_indicator_upload, max_seconds=0),
    )
    measured = measure(lambda: post(client, "a.csv", b"Practice code,Value\nP00001,1\n"))
    status, html = measured.result
    assert status == 422
    assert "at most 0 seconds are spent on one file. Upload a smaller file." in html
    assert measured.seconds < SECONDS_PER_FILE


def test_a_huge_value_on_the_web_page_is_a_listed_problem_not_a_server_error(
    client: TestClient,
) -> None:
    # 1e26 broke the formatting of the page (HTTP 500) before values were limited.
    status, html = post(client, "local.csv", b"Practice code,Need\nP00001,1e26\nP00002,5\n")
    assert status == 200
    assert "1e26 is too large: values must be at most 1,000,000,000,000" in html
