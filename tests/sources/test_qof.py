"""QOF childhood vaccination achievement: the year from the name, percentages, bad rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gpequity.errors import InputFileError
from gpequity.sources.base import LoadReport
from gpequity.sources.qof import DATASET, year_from_name

HEADER = [
    "Sub ICB Loc ODS code",
    "Sub ICB Loc ONS code",
    "Sub ICB Loc name",
    "PCN ODS code",
    "PCN name",
    "Practice code",
    "Practice name",
    "perc_achievement",
]
FILE = "childhood-vaccination-achievement-2023-24.csv"


def practice(code: str, value: str) -> list[str]:
    return ["", "", "", "", "", code, f"{code} Surgery", value]


def test_the_year_comes_from_the_file_name(tmp_path: Path) -> None:
    assert year_from_name(Path(FILE)) == "2023/24"
    assert year_from_name(Path("qof-2019-20.csv")) == "2019/20"
    assert year_from_name(Path("qof-2019-21.csv")) is None
    assert DATASET.detect(tmp_path / FILE, HEADER) == "2023/24"
    assert DATASET.detect(tmp_path / FILE, ["Practice code", "Value"]) is None
    with pytest.raises(InputFileError, match="name it like childhood-vaccination"):
        DATASET.detect(tmp_path / "qof.csv", HEADER)


def test_loads_achievement_with_blank_and_not_available_as_missing(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / FILE,
        HEADER,
        [
            practice("A84006", "89.62962963"),
            practice(" a84005 ", "100"),
            practice("A84008", "0"),
            practice("A84009", ""),
            practice("A84010", ":"),
        ],
    )
    result, con = build(tmp_path / "src")
    (report,) = result.reports
    assert (report.dataset, report.period, report.rows_read, report.rows_loaded) == (
        "qof",
        "2023/24",
        5,
        5,
    )
    assert report.warnings == [
        "practices whose achievement is ':' (not available), loaded as missing: 1"
    ]
    assert con.execute("SELECT * FROM practice_indicators ORDER BY practice_code").fetchall() == [
        (
            "qof",
            "qof-childhood-vaccination",
            "Childhood vaccination achievement (QOF)",
            "2023/24",
            code,
            None,
            None,
            value,
            None,
            None,
            None,
            None,
        )
        for code, value in [
            ("A84005", 100.0),
            ("A84006", 89.62962963),
            ("A84008", 0.0),
            ("A84009", None),
            ("A84010", None),
        ]
    ]


def test_bad_rows_are_rejected_naming_row_and_column(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / FILE,
        HEADER,
        [
            practice("A84006", "89.6"),
            practice("A84007", "n/a"),
            practice("A84008", "100.5"),
            practice("A84009", "-1"),
            practice("", "50"),
            practice("A84006", "70"),
        ],
    )
    result, con = build(tmp_path / "src", allow_rejects=True)
    (report,) = result.reports
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (6, "Practice code", "no practice code"),
        (3, "perc_achievement", "achievement 'n/a' is not a number"),
        (4, "perc_achievement", "achievement 100.5 is not a percentage between 0 and 100"),
        (5, "perc_achievement", "achievement -1 is not a percentage between 0 and 100"),
        (7, "Practice code", "practice A84006 appears again (first on row 2)"),
    ]
    assert report.rows_loaded == 1
    assert con.execute("SELECT practice_code, value FROM practice_indicators").fetchall() == [
        ("A84006", 89.6)
    ]


def test_a_missing_column_is_fatal(write_csv, tmp_path):
    path = write_csv(tmp_path / FILE, ["Practice code", "Practice name"], [])
    con = duckdb.connect()
    con.execute(DATASET.schema)
    with pytest.raises(InputFileError, match="missing required column 'perc_achievement'"):
        DATASET.load(con, path, LoadReport("qof", "2023/24", str(path), ""))


@pytest.mark.realdata
def test_every_row_of_the_real_file_is_loaded(real_data_dir, link, build, count_rows):
    path = real_data_dir / "qof" / FILE
    result, con = build(link("src", [path]))
    (report,) = result.reports
    assert report.rows_read == report.rows_loaded == count_rows(path) == 6267
    assert not report.rejections
    assert con.execute(
        "SELECT count(*), count(value), count(DISTINCT practice_code), min(value), max(value) "
        "FROM practice_indicators WHERE source = 'qof'"
    ).fetchall() == [(6267, 6240, 6267, 0.0, 100.0)]
