"""The trailer check: a file cut short has its last row rejected with a reason, never loaded.

Files in the IMD short layout (``practice-imd-93553.csv``), written as the publisher does
(CRLF, no line break after the last row), then cut the ways a copy or download is cut: inside
a quoted name, between fields, inside the last number.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from gpequity.errors import LoadFailed
from gpequity.sources.base import LoadReport, cut_last_row, read_raw
from gpequity.warehouse.build import build_warehouse

SHORT = ["IndicatorID", "Year", "AreaCode", "AreaName", "IsAreaCurrent", "Value"]
COLUMNS = {"code": ["AreaCode"], "value": ["Value"]}


def imd_bytes(rows: int = 60, *, seed: int = 3) -> bytes:
    """An IMD file of ``rows`` practices, scores with eight decimals, no final line break."""
    rng = random.Random(seed)
    lines = [",".join(SHORT)]
    for i in range(rows):
        score = f"{rng.uniform(5, 60):.8f}"
        lines.append(f'93553,2019,A{i:05d},"Surgery {i}, High St",1,{score}')
    return "\r\n".join(lines).encode()


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "src" / "practice-imd-93553.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def read(path: Path) -> tuple[LoadReport, int]:
    """Read the file as every loader does; the report and the rows in the table."""
    con = duckdb.connect()
    report = LoadReport("imd", None, str(path), "")
    read_raw(con, path, "raw", report, COLUMNS)
    return report, con.execute("SELECT count(*) FROM raw").fetchone()[0]  # type: ignore[index]


def test_a_whole_file_without_a_final_line_break_has_no_cut_row(tmp_path: Path) -> None:
    path = write(tmp_path, imd_bytes())
    assert cut_last_row(path, len(SHORT)) is None
    report, rows = read(path)
    assert (report.rows_read, rows, report.rejections) == (60, 60, [])


@pytest.mark.parametrize(
    ("cut", "reason"),
    [
        # inside the quoted name of the last row
        (lambda d: d[: d.rindex(b'"Surgery') + 9], "ends inside a quoted field"),
        # between the fields of the last row
        (lambda d: d[: d.rindex(b",1,")], "has 4 fields where the header has 6"),
        # inside the last number: two of its eight decimals left
        (lambda d: d[: d.rindex(b".") + 3], "has 2 decimal places where 95%"),
        # just after the last comma: the last value blank
        (lambda d: d[: d.rindex(b",") + 1], "last value is blank where every other row"),
    ],
    ids=["quoted-field", "fields", "number", "blank"],
)
def test_a_cut_last_row_is_rejected_with_the_reason_and_counted(
    tmp_path: Path, cut, reason: str
) -> None:
    path = write(tmp_path, cut(imd_bytes()))
    report, rows = read(path)
    assert report.rows_read == 60
    assert rows == 59  # the cut row is not in the table the loader checks and inserts
    [rejection] = report.rejections
    assert rejection.row == 61  # the header is row 1
    assert "the file looks cut short" in rejection.reason and reason in rejection.reason


def test_a_last_row_with_a_line_break_is_whole_whatever_its_value(tmp_path: Path) -> None:
    data = imd_bytes()
    path = write(tmp_path, data[: data.rindex(b".") + 3] + b"\r\n")
    assert cut_last_row(path, len(SHORT)) is None


def test_a_file_of_a_header_only_is_not_cut(tmp_path: Path) -> None:
    path = write(tmp_path, ",".join(SHORT).encode())
    assert cut_last_row(path, len(SHORT)) is None


def test_the_load_of_a_cut_file_fails_naming_the_row_and_writes_no_warehouse(
    tmp_path: Path,
) -> None:
    data = imd_bytes()
    write(tmp_path, data[: data.rindex(b".") + 4])
    db = tmp_path / "w.duckdb"
    with pytest.raises(LoadFailed) as failed:
        build_warehouse(db, [tmp_path / "src"])
    assert "no warehouse was written" in str(failed.value)
    assert "practice-imd-93553.csv, row 61: the file looks cut short" in str(failed.value)
    assert not db.exists()


def test_with_allow_rejects_the_rows_before_the_cut_one_load(tmp_path: Path) -> None:
    data = imd_bytes()
    write(tmp_path, data[: data.rindex(b",1,")])
    db = tmp_path / "w.duckdb"
    result = build_warehouse(db, [tmp_path / "src"], allow_rejects=True)
    [report] = result.reports
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (60, 59, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM practice_imd").fetchone() == (59,)
        assert con.execute("SELECT row_number, reason FROM load_rejections").fetchall() == [
            (61, "the file looks cut short: the last row has 4 fields where the header has 6")
        ]


@pytest.mark.realdata
def test_the_real_imd_file_cut_in_half_is_refused(real_data_dir: Path, tmp_path: Path) -> None:
    """Issue 13: half of the real file loaded with exit 0, its cut last value accepted."""
    data = (real_data_dir / "deprivation" / "practice-imd-93553.csv").read_bytes()
    assert cut_last_row(real_data_dir / "deprivation" / "practice-imd-93553.csv", 6) is None
    path = write(tmp_path, data[: len(data) // 2])
    report, rows = read(path)
    assert report.rows_read == rows + 1
    assert "'22.987406' has 6 decimal places" in report.rejections[-1].reason
