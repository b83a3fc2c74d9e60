"""ODS's list of sub-ICB locations (``eccg.csv``), in ODS's standard layout: no header row,
27 columns (code, name, national grouping, high level health geography, five address lines,
postcode, open date, close date, ...)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from gpequity.errors import LoadFailed
from gpequity.sources.download import fetch_datasets
from gpequity.sources.manifest import MANIFEST
from gpequity.sources.ods_sub_icb import DATASET, ODS_COLUMNS

from .test_download import serving


def ods_row(code: str, name: str, icb: str, opened: str, closed: str = "") -> list[str]:
    """One organisation as ODS writes it: address lines, postcode and the rest filled in."""
    row = [""] * ODS_COLUMNS
    row[:4] = [code, name, "Y61", icb]
    row[4:10] = ["PHOENIX COURT", "CHRISTOPHER MARTIN ROAD", "BASILDON", "ESSEX", "", "SS14 3HG"]
    row[10:14] = [opened, closed, "", "C"]
    row[21] = "0"
    return row


def write_ods(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


ESSEX_07H = ods_row("07H", "NHS ESSEX ICB - 07H", "D7T5G", "20130401")


def test_detect_recognises_odss_file_by_its_name_and_shape(tmp_path: Path) -> None:
    assert DATASET.detect(tmp_path / "eccg.csv", ESSEX_07H) == ""
    assert DATASET.detect(tmp_path / "ECCG.CSV", ESSEX_07H) == ""
    # Another name, another width or no date where the open date is: not this file.
    assert DATASET.detect(tmp_path / "sub-icbs.csv", ESSEX_07H) is None
    assert DATASET.detect(tmp_path / "eccg.csv", ESSEX_07H[:14]) is None
    assert DATASET.detect(tmp_path / "eccg.csv", [*ESSEX_07H[:10], "", *ESSEX_07H[11:]]) is None


def test_loads_every_organisation_with_its_icb_and_dates(build, tmp_path: Path) -> None:
    write_ods(
        tmp_path / "src" / "eccg.csv",
        [
            ESSEX_07H,
            ods_row("99E", "NHS ESSEX ICB - 99E", "D7T5G", "20130401"),
            # A CCG closed before the ICBs: loaded, and left out of a geography by its dates.
            ods_row("99F", "NHS CASTLE POINT AND ROCHFORD CCG", "Q57", "20130401", "20200331"),
        ],
    )
    result, con = build(tmp_path / "src")
    assert con.execute(
        "SELECT code, name, region_code, icb_code, open_date, close_date FROM ods_sub_icbs "
        "ORDER BY code"
    ).fetchall() == [
        ("07H", "NHS ESSEX ICB - 07H", "Y61", "D7T5G", date(2013, 4, 1), None),
        ("99E", "NHS ESSEX ICB - 99E", "Y61", "D7T5G", date(2013, 4, 1), None),
        ("99F", "NHS CASTLE POINT AND ROCHFORD CCG", "Y61", "Q57", date(2013, 4, 1),
         date(2020, 3, 31)),
    ]  # fmt: skip
    # The first row is data: ODS's files have no header row.
    assert (result.reports[0].rows_read, result.reports[0].rows_loaded) == (3, 3)


def test_bad_rows_are_rejected_naming_the_row_and_the_column(build, tmp_path: Path) -> None:
    path = write_ods(
        tmp_path / "src" / "eccg.csv",
        [
            ESSEX_07H,
            ods_row("06T", "NHS ESSEX ICB - 06T", "", "20130401"),
            ods_row("99E", "NHS ESSEX ICB - 99E", "D7T5G", "2013-04-01"),
            ods_row("07H", "NHS ESSEX ICB - 07H", "D7T5G", "20130401"),
            ods_row("99G", "NHS ESSEX ICB - 99G", "D7T5G", "20130401", "20261399"),
        ],
    )
    with pytest.raises(LoadFailed) as failed:
        build(tmp_path / "src")
    assert failed.value.problems == [
        f"{path}, row 2, column 'High Level Health Geography': no ICB code (High Level Health "
        "Geography)",
        f"{path}, row 3, column 'Open Date': open date '2013-04-01' is not a date written YYYYMMDD",
        f"{path}, row 5, column 'Close Date': close date '20261399' is not a date written YYYYMMDD",
        f"{path}, row 4, column 'Organisation Code': organisation 07H appears again (first on "
        "row 1)",
    ]


def test_data_fetch_knows_the_file_and_the_load_recognises_what_it_saves(
    tmp_path: Path, build
) -> None:
    """``--only ods_sub_icb`` from a mirror (real HTTP on 127.0.0.1) saves ODS's file under the
    name the loader recognises; it is optional, so a plain fetch leaves it out."""
    [entry] = [e for e in MANIFEST if e.dataset == "ods_sub_icb"]
    assert entry.optional and entry.filename == "lookups/eccg.csv"
    source = write_ods(tmp_path / "mirror" / entry.mirror_path, [ESSEX_07H])
    with serving(tmp_path / "mirror") as (url, _state):
        result = fetch_datasets(tmp_path / "raw", mirror=url, only=["ods_sub_icb"])
    [saved] = result.downloaded
    assert saved.read_bytes() == source.read_bytes()
    _, con = build(saved.parent)
    assert con.execute("SELECT code, icb_code FROM ods_sub_icbs").fetchall() == [("07H", "D7T5G")]
