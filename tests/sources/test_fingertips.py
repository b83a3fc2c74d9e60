"""OHID Fingertips all-data exports: practice rows, every other area's rows, and bad cells."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from gpequity.errors import InputFileError
from gpequity.sources.base import LoadReport
from gpequity.sources.demo import FINGERTIPS_HEADER
from gpequity.sources.fingertips import DATASET

# The export's header as the Fingertips website writes it; the 23rd column's name changes
# with the comparator.
HEADER = [*FINGERTIPS_HEADER[:22], "Compared to percentiles", *FINGERTIPS_HEADER[23:]]
TWENTY_THIRD = (
    "Compared to percentiles",
    "Column not used",
    "Compared to PCNs (v. 27/10/23) value or percentiles",
)
NAME = "Smoking prevalence in adults (15+) - current smokers (QOF)"


def row(
    area: str,
    area_type: str,
    value: str,
    *,
    parent: str = "",
    period: str = "2022/23",
    indicator: str = "91547",
    count: str = "100",
    sex: str = "Persons",
    category: tuple[str, str] = ("", ""),
) -> list[str]:
    """One export row (confidence limits around the value, when it is a number)."""
    try:
        low, high = str(float(value) - 1), str(float(value) + 1)
    except ValueError:
        low = high = ""
    if not math.isfinite(float(low or 0)):
        low = high = ""
    return [
        indicator,
        NAME,
        parent,
        "England" if parent else "",
        area,
        f"Area {area}",
        area_type,
        sex,
        "15+ yrs",
        *category,
        period,
        value,
        low,
        high,
        "",
        "",
        count,
        "1000",
        "",
        "",
        "Not compared",
        "Not compared",
        period[:4] + "0000",
        "",
        "",
        "1y",
    ]


@pytest.mark.parametrize("twenty_third", TWENTY_THIRD)
def test_detect_names_the_indicator_whatever_the_23rd_column(write_csv, tmp_path, twenty_third):
    header = [*HEADER[:22], twenty_third, *HEADER[23:]]
    path = write_csv(tmp_path / "export.csv", header, [row("E92000001", "England", "19.1")])
    assert DATASET.detect(path, header) == "indicator 91547"
    assert DATASET.detect(path, ["IndicatorID", "Year", "AreaCode", "Value"]) is None


def test_practice_rows_and_every_other_row_are_all_loaded(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "indicator-91547-smoking.csv",
        [*HEADER[:22], "Column not used", *HEADER[23:]],
        [
            row("E92000001", "England", "19.17"),
            # England again under another parent: an exact repeat apart from the parent.
            row("E92000001", "England", "19.17", parent="E92000001"),
            row("E92000001", "England", "21.5", category=("Deprivation deciles", "Most")),
            row("U12345", "PCNs (v. 27/10/23)", "22.0", parent="QHM"),
            row(" a81001 ", "GPs", "12.5", parent="U12345"),
            row("A81002", "GPs", "", count=""),
            row("A81003", "GPs", "1.5E-01", sex="Male"),
        ],
        crlf=True,
    )
    result, con = build(tmp_path / "src")
    (report,) = result.reports
    assert (report.dataset, report.period, report.rows_read, report.rows_loaded) == (
        "fingertips",
        "indicator 91547",
        7,
        7,
    )
    assert con.execute(
        "SELECT * FROM practice_indicators ORDER BY practice_code"
    ).fetchall() == [
        ("fingertips", "91547", NAME, "2022/23", "A81001", "Persons", "15+ yrs",
         12.5, 100.0, 1000.0, 11.5, 13.5),
        ("fingertips", "91547", NAME, "2022/23", "A81002", "Persons", "15+ yrs",
         None, None, 1000.0, None, None),
        ("fingertips", "91547", NAME, "2022/23", "A81003", "Male", "15+ yrs",
         0.15, 100.0, 1000.0, -0.85, 1.15),
    ]  # fmt: skip
    assert con.execute(
        "SELECT area_code, area_type, parent_code, category_type, category, value "
        "FROM area_indicators ORDER BY area_code, parent_code NULLS FIRST, value"
    ).fetchall() == [
        ("E92000001", "England", None, None, None, 19.17),
        ("E92000001", "England", None, "Deprivation deciles", "Most", 21.5),
        ("E92000001", "England", "E92000001", None, None, 19.17),
        ("U12345", "PCNs (v. 27/10/23)", "QHM", None, None, 22.0),
    ]


def test_non_numeric_cells_are_rejected_naming_row_and_column(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "export.csv",
        HEADER,
        [
            row("E92000001", "England", "19.1"),
            row("A81001", "GPs", "n/a"),
            row("A81002", "GPs", "12", count="1,234"),
            row("A81003", "GPs", "nan"),
            row("", "GPs", "12"),
            row("A81005", "", "12"),
        ],
    )
    result, con = build(tmp_path / "src", allow_rejects=True)
    (report,) = result.reports
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (6, "Area Code", "no area code"),
        (7, "Area Type", "no area type"),
        (3, "Value", "'n/a' is not a number"),
        (4, "Count", "'1,234' is not a number"),
        (5, "Value", "'nan' is not a number"),
    ]
    assert report.rows_loaded == 1
    assert con.execute("SELECT count(*) FROM practice_indicators").fetchall() == [(0,)]


def test_rows_without_an_indicator_id_take_the_files_only_one(write_csv, build, tmp_path):
    # The real 91547 export leaves Indicator ID blank on its 2023/24 practice rows.
    write_csv(
        tmp_path / "src" / "export.csv",
        HEADER,
        [row("E92000001", "England", "19.1"), row("A81001", "GPs", "9.8", indicator="")],
    )
    result, con = build(tmp_path / "src")
    assert result.reports[0].warnings == [
        "rows without an Indicator ID, taken as 91547 (the file's only indicator): 1"
    ]
    assert con.execute("SELECT indicator_id FROM practice_indicators").fetchall() == [("91547",)]


def test_without_one_indicator_a_row_without_an_id_is_rejected(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "export.csv",
        HEADER,
        [
            row("A81001", "GPs", "1"),
            row("A81001", "GPs", "2", indicator="247"),
            row("A81002", "GPs", "3", indicator=""),
        ],
    )
    result, _ = build(tmp_path / "src", allow_rejects=True)
    assert [(r.row, r.column, r.reason) for r in result.reports[0].rejections] == [
        (4, "Indicator ID", "no indicator ID (and the file has more than one indicator)")
    ]


def test_a_missing_required_column_is_fatal(write_csv, tmp_path):
    header = [h for h in HEADER if h != "Sex"]
    path = write_csv(tmp_path / "export.csv", header, [])
    con = duckdb.connect()
    con.execute(DATASET.schema)
    with pytest.raises(InputFileError, match="missing required column 'Sex'"):
        DATASET.load(con, path, LoadReport("fingertips", None, str(path), ""))


@pytest.mark.realdata
def test_every_row_of_the_real_exports_is_loaded(real_data_dir, link, build, count_rows):
    files = sorted((real_data_dir / "fingertips").glob("*.csv"))
    assert len(files) == 4
    result, con = build(link("src", files))
    by_path = {Path(r.path).name: r for r in result.reports}
    for path in files:
        report = by_path[path.name]
        assert report.rows_read == report.rows_loaded == count_rows(path), path.name
        assert not report.rejections
    loaded = con.execute(
        "SELECT indicator_id, count(*) FROM (SELECT indicator_id FROM practice_indicators "
        "UNION ALL SELECT indicator_id FROM area_indicators) GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert loaded == sorted((p.name.split("-")[1], count_rows(p)) for p in files)
    # England, the comparator, for every indicator; practices for every indicator.
    assert con.execute(
        "SELECT count(DISTINCT indicator_id) FROM area_indicators WHERE area_code = 'E92000001'"
    ).fetchall() == [(4,)]
    assert con.execute(
        "SELECT period, count(*) FROM practice_indicators WHERE indicator_id = '91547' "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("2022/23", 6378), ("2023/24", 6267)]
