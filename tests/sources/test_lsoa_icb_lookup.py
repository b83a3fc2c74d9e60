"""The ONS LSOA to sub-ICB location to ICB (April 2026) lookup, from its documented layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gpequity.errors import LoadFailed
from gpequity.sources.lsoa_icb_lookup import DATASET

HEADER = [
    "LSOA21CD",
    "LSOA21NM",
    "SICBL26CD",
    "SICBL26CDH",
    "SICBL26NM",
    "ICB26CD",
    "ICB26CDH",
    "ICB26NM",
    "NHSER26CD",
    "NHSER26CDH",
    "NHSER26NM",
    "LAD26CD",
    "LAD26NM",
    "ObjectId",
]
ESSEX = ("E54000066", "D7T5G", "NHS Essex Integrated Care Board")
EAST = ("E40000007", "Y61", "East of England")


def row(lsoa: str, sub_icb: str, icb: tuple[str, str, str] = ESSEX, n: int = 1) -> list[str]:
    return [
        lsoa,
        f"Basildon {lsoa[-3:]}",
        "E38000" + sub_icb[-3:].rjust(3, "0"),
        sub_icb,
        f"NHS Essex ICB - {sub_icb}",
        *icb,
        *EAST,
        "E07000066",
        "Basildon",
        str(n),
    ]


def test_detect_recognises_the_lookup(tmp_path: Path) -> None:
    assert DATASET.detect(tmp_path / "lookup.csv", HEADER) == "2026"
    assert DATASET.detect(tmp_path / "lookup.csv", HEADER[5:8]) is None


def test_loads_each_lsoa_with_its_sub_icb_icb_region_and_district(write_csv, build, tmp_path):
    write_csv(
        tmp_path / "src" / "lookup.csv",
        HEADER,
        [row("E01021277", "99E"), row("E01021278", "07H", n=2)],
        bom=True,
    )
    result, con = build(tmp_path / "src")
    assert con.execute(
        "SELECT valid_from, lsoa_code, sub_icb_code, icb_code, region_code, lad_code "
        "FROM lsoa_icb_lookup ORDER BY lsoa_code"
    ).fetchall() == [
        (date(2026, 4, 1), "E01021277", "99E", "D7T5G", "Y61", "E07000066"),
        (date(2026, 4, 1), "E01021278", "07H", "D7T5G", "Y61", "E07000066"),
    ]
    assert (result.reports[0].rows_read, result.reports[0].rows_loaded) == (2, 2)


def test_a_repeated_lsoa_and_a_sub_icb_in_two_icbs_are_rejected(write_csv, build, tmp_path):
    other = ("E54000069", "S9B9J", "NHS Surrey and Sussex Integrated Care Board")
    path = write_csv(
        tmp_path / "src" / "lookup.csv",
        HEADER,
        [
            row("E01000001", "99E"),
            row("E01000001", "99E"),
            row("E01000002", "D4U1Y"),
            row("E01000003", "D4U1Y", other),
            row("", "99E"),
        ],
    )
    with pytest.raises(LoadFailed) as failed:
        build(tmp_path / "src")
    assert failed.value.problems == [
        f"{path}, row 6, column 'LSOA21CD': no LSOA code",
        f"{path}, row 3, column 'LSOA21CD': LSOA E01000001 appears again (first on row 2)",
        f"{path}, row 4, column 'ICB26CDH': sub-ICB location D4U1Y is in more than one ICB",
        f"{path}, row 5, column 'ICB26CDH': sub-ICB location D4U1Y is in more than one ICB",
    ]
