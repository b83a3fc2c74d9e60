"""The ONS list of the April 2026 ICBs: recognised, loaded, and its bad rows named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gpequity.errors import LoadFailed
from gpequity.sources.icb_names import DATASET

HEADER = ["ICB26CD", "ICB26CDH", "ICB26NM", "ObjectId"]
ESSEX = "NHS Essex Integrated Care Board"
DEVON = "NHS Devon Integrated Care Board"


def test_detect_recognises_the_names_file_and_not_the_lsoa_lookup(tmp_path: Path) -> None:
    path = tmp_path / "icb-april-2026-names-and-codes.csv"
    assert DATASET.detect(path, HEADER) == "2026"
    assert (
        DATASET.detect(path, ["LSOA21CD", "SICBL26CD", "SICBL26CDH", "SICBL26NM", *HEADER]) is None
    )
    assert DATASET.detect(path, ["ICB26CD", "ICB26NM"]) is None


def test_loads_codes_and_names_and_names_the_new_icbs(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "names.csv",
        HEADER,
        [["E54000066", " d7t5g ", f" {ESSEX} ", 1], ["E54000037", "QJK", DEVON, 2]],
        bom=True,
    )
    result, con = build(tmp_path / "src")
    assert con.execute("SELECT * FROM icb_official_names ORDER BY ods_code").fetchall() == [
        (date(2026, 4, 1), "E54000066", "D7T5G", ESSEX),
        (date(2026, 4, 1), "E54000037", "QJK", DEVON),
    ]
    assert con.execute("SELECT * FROM icbs ORDER BY icb_code").fetchall() == [
        ("D7T5G", ESSEX, "icb_names", "2026/27"),
        ("QJK", DEVON, "icb_names", "2026/27"),
    ]
    (report,) = result.reports
    assert (report.dataset, report.period, report.rows_read, report.rows_loaded) == (
        "icb_names",
        "2026",
        2,
        2,
    )


def test_bad_rows_are_rejected_with_their_reason(write_csv, build, tmp_path):
    path = write_csv(
        tmp_path / "src" / "names.csv",
        HEADER,
        [
            ["E54000066", "D7T5G", ESSEX, 1],
            ["X1", "QJK", DEVON, 2],
            ["E54000037", "D7T5G", DEVON, 3],
            ["E54000038", "", DEVON, 4],
        ],
    )
    with pytest.raises(LoadFailed) as failed:
        build(tmp_path / "src")
    assert failed.value.problems == [
        f"{path}, row 5, column 'ICB26CDH': no ODS code",
        f"{path}, row 3, column 'ICB26CD': 'X1' is not an ONS ICB code (E54 and six digits)",
        f"{path}, row 4, column 'ICB26CDH': ODS code D7T5G appears again (first on row 2)",
    ]


def test_a_geography_the_warehouse_does_not_model_is_a_clear_error(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "names.csv",
        ["ICB23CD", "ICB23CDH", "ICB23NM"],
        [["E54000066", "X", "Y"]],
    )
    with pytest.raises(LoadFailed, match="the ICB geography of 2023"):
        build(tmp_path / "src")
