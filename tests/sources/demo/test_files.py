"""The official headers (package data) and the numbers as the publishers write them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gpequity.sources import demo
from gpequity.sources.demo.files import decimals, official_header, sig10

from .conftest import PAYMENT_FILES, read


def raw_header(path: Path) -> tuple[bool, list[str]]:
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    first = data.decode("utf-8-sig").split("\r\n", 1)[0]
    return bom, next(csv.reader([first]))


def test_headers_are_the_official_ones(out: Path) -> None:
    expected: dict[str, tuple[tuple[str, ...], bool]] = {
        "lookups/ccg-icb-lookup.csv": (demo.LOOKUP_HEADER, True),
        "lookups/icb-april-2026-names-and-codes.csv": (demo.ICB_NAMES_HEADER, False),
        "deprivation/practice-imd-93553.csv": (demo.IMD_HEADER, True),
        "registered/gp-reg-pat-prac-quin-age.csv": (demo.REGISTERED_HEADER, False),
        "fingertips/indicator-91547-smoking-prevalence-qof.csv": (demo.FINGERTIPS_HEADER, False),
        "fingertips/indicator-219-hypertension-prevalence-qof.csv": (
            demo.FINGERTIPS_HEADER,
            False,
        ),
        "fingertips/indicator-93930-ae-attendances-0-4.csv": (demo.FINGERTIPS_HEADER_PCN, False),
    }
    for year, name in PAYMENT_FILES.items():
        expected[name] = (demo.PAYMENTS_HEADERS[year], True)
    for name, (header, bom) in expected.items():
        assert raw_header(out / name) == (bom, list(header)), name
    for path in (out / "efit/population").glob("*.csv"):
        assert raw_header(path) == (False, ["GP code", *map(str, range(96))]), path.name
    for path in (out / "efit/indicators").glob("*.csv"):
        assert raw_header(path) == (False, list(demo.EFIT_INDICATOR_HEADER)), path.name
    # Header quirks that loaders must cope with, kept on purpose.
    assert demo.PAYMENTS_HEADERS["2022/23"][2:6] == ("CCG Code", "Sub ICB NAME", "Code", "CCG NAME")
    assert "Appraisal Costs " in demo.PAYMENTS_HEADERS["2020/21"]
    assert len(demo.FINGERTIPS_HEADER) == 27
    assert len(demo.EFIT_INDICATOR_HEADER) == 31


@pytest.mark.realdata
def test_header_constants_match_the_real_files(real_data_dir: Path) -> None:
    real = {
        "lookups/ccg-icb-lookup.csv": demo.LOOKUP_HEADER,
        "lookups/icb-april-2026-names-and-codes.csv": demo.ICB_NAMES_HEADER,
        "deprivation/practice-imd-93553.csv": demo.IMD_HEADER,
        "fingertips/indicator-91547-smoking-prevalence-qof.csv": demo.FINGERTIPS_HEADER,
        "fingertips/indicator-93930-ae-attendances-0-4.csv": demo.FINGERTIPS_HEADER_PCN,
        "efit/indicators/indicator_QHM_2025-26_v2.csv": demo.EFIT_INDICATOR_HEADER,
        "efit/population/f_pop_QHM_2026-27.csv": demo.EFIT_POPULATION_HEADER,
    }
    for year, name in PAYMENT_FILES.items():
        real[name] = demo.PAYMENTS_HEADERS[year]
    for name, header in real.items():
        assert read(real_data_dir / name)[0] == list(header), name


def test_headers_are_read_from_the_package_as_tuples() -> None:
    header = official_header("nhspaymentsgp-20-21-prac-csv.csv")
    assert isinstance(header, tuple)
    assert header == demo.PAYMENTS_HEADERS["2020/21"]


def test_numbers_are_written_as_fingertips_and_efit_write_them() -> None:
    assert sig10(1 / 3) == "0.3333333333"
    assert sig10(25.0) == "25"
    assert decimals(12.50004, 4) == "12.5"
    assert decimals(3.0, 3) == "3"
    assert decimals(-0.00001, 4) == "0"
