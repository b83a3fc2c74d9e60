"""The CCG / sub-ICB to ICB lookup: recognised, loaded, and its bad rows named."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gpequity.errors import InputFileError, LoadFailed
from gpequity.sources.base import LoadReport
from gpequity.sources.lookup import DATASET

HEADER = ["CCG Code", "ICB Code", "ICB NAME"]
NE = "NHS North East and North Cumbria Integrated Care Board"
LSC = "NHS Lancashire and South Cumbria Integrated Care Board"


def test_detect_recognises_the_lookup_and_not_a_payments_file(tmp_path: Path) -> None:
    path = tmp_path / "ccg-icb-lookup.csv"
    assert DATASET.detect(path, HEADER) == ""
    assert DATASET.detect(path, ["ccg code", "ICB_Code", "icb name"]) == ""
    assert DATASET.detect(path, ["Practice Code", "CCG Code", "ICB Code", "ICB NAME"]) is None
    assert DATASET.detect(path, ["CCG Code", "ICB Code"]) is None


def test_loads_codes_trimmed_and_upper_cased_with_each_icb_once(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "ccg-icb-lookup.csv",
        HEADER,
        [["99C", "QHM", NE], [" 00c ", "qhm", f" {NE} "], ["00Q", "QE1", LSC]],
        bom=True,
        crlf=True,
    )
    result, con = build(tmp_path / "src")
    assert con.execute("SELECT * FROM ccg_icb ORDER BY ccg_code").fetchall() == [
        ("00C", "QHM", NE),
        ("00Q", "QE1", LSC),
        ("99C", "QHM", NE),
    ]
    assert con.execute("SELECT * FROM icbs ORDER BY icb_code").fetchall() == [
        ("QE1", LSC, "lookup", "2022/23"),
        ("QHM", NE, "lookup", "2022/23"),
    ]
    (report,) = result.reports
    assert (report.dataset, report.period, report.rows_read, report.rows_loaded) == (
        "lookup",
        None,
        3,
        3,
    )


def test_a_repeated_mapping_is_loaded_once(write_csv, build, tmp_path):
    write_csv(tmp_path / "src" / "lookup.csv", HEADER, [["99C", "QHM", NE], ["99C", "QHM", NE]])
    result, con = build(tmp_path / "src")
    assert con.execute("SELECT count(*) FROM ccg_icb").fetchall() == [(1,)]
    assert result.reports[0].rows_loaded == 2
    assert result.reports[0].warnings == [
        "rows repeating an earlier row's CCG and ICB, loaded once: 1"
    ]


def test_a_ccg_mapped_to_two_icbs_is_rejected_on_every_row(write_csv, build, tmp_path):
    path = write_csv(
        tmp_path / "src" / "lookup.csv",
        HEADER,
        [["99C", "QHM", NE], ["00Q", "QE1", LSC], ["99C", "QE1", LSC]],
    )
    with pytest.raises(LoadFailed) as failed:
        build(tmp_path / "src")
    assert failed.value.problems == [
        f"{path}, row 2, column 'ICB Code': CCG / sub-ICB code 99C is mapped to more than one ICB",
        f"{path}, row 4, column 'ICB Code': CCG / sub-ICB code 99C is mapped to more than one ICB",
    ]
    result, con = build(tmp_path / "src", allow_rejects=True)
    assert con.execute("SELECT ccg_code FROM ccg_icb").fetchall() == [("00Q",)]
    assert result.reports[0].rows_loaded == 1


def test_blank_codes_and_names_and_a_second_name_for_an_icb_are_rejected(
    write_csv, build, tmp_path
):
    write_csv(
        tmp_path / "src" / "lookup.csv",
        HEADER,
        [
            ["", "QHM", NE],
            ["00C", " ", NE],
            ["00D", "QHM", ""],
            ["00F", "QHM", NE],
            ["00G", "QHM", "North East ICB"],
        ],
    )
    result, _ = build(tmp_path / "src", allow_rejects=True)
    assert [(r.row, r.column, r.reason) for r in result.reports[0].rejections] == [
        (2, "CCG Code", "no CCG / sub-ICB code"),
        (3, "ICB Code", "no ICB code"),
        (4, "ICB NAME", "no ICB name"),
        (5, "ICB NAME", "ICB QHM has more than one name in the lookup"),
        (6, "ICB NAME", "ICB QHM has more than one name in the lookup"),
    ]


def test_a_missing_column_is_fatal(write_csv, tmp_path):
    path = write_csv(tmp_path / "lookup.csv", ["CCG Code", "ICB Code"], [["99C", "QHM"]])
    con = duckdb.connect()
    con.execute(DATASET.schema)
    with pytest.raises(InputFileError, match="missing required column 'ICB NAME'"):
        DATASET.load(con, path, LoadReport("lookup", None, str(path), ""))


@pytest.mark.realdata
def test_the_real_lookup_maps_every_ccg_to_one_of_42_icbs(real_data_dir, link, build, count_rows):
    path = real_data_dir / "lookups" / "ccg-icb-lookup.csv"
    result, con = build(link("src", [path]))
    (report,) = result.reports
    assert report.rows_read == report.rows_loaded == count_rows(path)
    assert not report.rejections
    assert con.execute("SELECT count(*) FROM ccg_icb").fetchall() == [(count_rows(path),)]
    assert con.execute("SELECT count(*), count(DISTINCT icb_name) FROM icbs").fetchall() == [
        (42, 42)
    ]
