"""Patients Registered at a GP Practice (quinary age): every header variant, bands and totals."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gpequity.errors import InputFileError
from gpequity.sources.base import LoadReport
from gpequity.sources.registered import BANDS, DATASET

NEW = [
    "PUBLICATION",
    "EXTRACT_DATE",
    "TYPE",
    "CCG_CODE",
    "ONS_CCG_CODE",
    "CODE",
    "POSTCODE",
    "SEX",
    "AGE_GROUP_5",
    "NUMBER_OF_PATIENTS",
]
OLD = [
    "PUBLICATION",
    "EXTRACT_DATE",
    "ORG_TYPE",
    "ORG_CODE",
    "POSTCODE",
    "SEX",
    "AGE_GROUP_5",
    "NUMBER_OF_PATIENTS",
]
SUB_ICB = [
    "PUBLICATION",
    "EXTRACT_DATE",
    "TYPE",
    "SUB_ICB_LOCATION_CODE",
    "ONS_SUB_ICB_LOCATION_CODE",
    "ICB_CODE",
    "CODE",
    "POSTCODE",
    "SEX",
    "AGE_GROUP_5",
    "NUMBER_OF_PATIENTS",
]
FILE = "gp-reg-pat-prac-quin-age.csv"


def line(header: list[str], code: str, sex: str, age: str, n: object, date: str) -> list[str]:
    """One row of ``header``'s layout."""
    values = {
        "PUBLICATION": "GP_PRAC_PAT_LIST",
        "EXTRACT_DATE": date,
        "TYPE": "GP",
        "ORG_TYPE": "GP",
        "CCG_CODE": "00C",
        "SUB_ICB_LOCATION_CODE": "00C",
        "ONS_CCG_CODE": "E38000042",
        "ONS_SUB_ICB_LOCATION_CODE": "E38000042",
        "ICB_CODE": "QHM",
        "CODE": code,
        "ORG_CODE": code,
        "POSTCODE": "DL1 3RT",
        "SEX": sex,
        "AGE_GROUP_5": age,
        "NUMBER_OF_PATIENTS": str(n),
    }
    return [values[h] for h in header]


def practice(
    header: list[str], code: str, date: str = "01JAN2025", *, off_by: int = 0
) -> list[list[str]]:
    """A practice's rows as NHS Digital writes them: persons ALL, then each sex's ALL and
    bands (female band i has 10 + i patients, male 20 + i)."""
    female = [10 + i for i in range(len(BANDS))]
    male = [20 + i for i in range(len(BANDS))]
    out = [line(header, code, "ALL", "ALL", sum(female) + sum(male) + off_by, date)]
    for sex, counts in (("FEMALE", female), ("MALE", male)):
        out.append(line(header, code, sex, "ALL", sum(counts), date))
        out += [
            line(header, code, sex, band, n, date) for band, n in zip(BANDS, counts, strict=True)
        ]
    return out


@pytest.mark.parametrize(
    ("header", "date", "period"),
    [
        (NEW, "01JAN2025", "2025-01-01"),
        (OLD, "2024-10-01", "2024-10-01"),
        (SUB_ICB, "01apr2023", "2023-04-01"),
    ],
)
def test_every_header_variant_loads_bands_and_totals(
    write_csv, build, tmp_path, header, date, period
):
    path = write_csv(tmp_path / "src" / FILE, header, [*practice(header, "A83005", date)])
    assert DATASET.detect(path, header) == period
    result, con = build(tmp_path / "src")
    (report,) = result.reports
    assert (report.dataset, report.period, report.rows_read, report.rows_loaded) == (
        "registered",
        period,
        43,
        43,
    )
    assert not report.warnings
    bands = con.execute(
        "SELECT sex, age_from, age_to, patients FROM registered_population "
        "WHERE source = 'registered' AND period = ? AND practice_code = 'A83005' "
        "ORDER BY sex, age_from",
        [period],
    ).fetchall()
    assert len(bands) == 40
    assert bands[:2] == [("female", 0, 4, 10.0), ("female", 5, 9, 11.0)]
    assert bands[19] == ("female", 95, None, 29.0)
    assert bands[39] == ("male", 95, None, 39.0)
    assert con.execute(
        "SELECT sex, patients FROM registered_population_totals ORDER BY sex"
    ).fetchall() == [("all", 390.0 + 590.0), ("female", 390.0), ("male", 590.0)]


def test_bands_not_adding_up_to_the_totals_are_a_warning(write_csv, build, tmp_path):
    rows = [*practice(NEW, "A83005", off_by=3), *practice(NEW, "A83006")]
    rows[1] = line(NEW, "A83005", "FEMALE", "ALL", 400, "01JAN2025")
    write_csv(tmp_path / "src" / FILE, NEW, rows)
    result, _ = build(tmp_path / "src")
    assert result.reports[0].warnings == [
        "practices whose age bands do not add up to their ALL totals (1): "
        "A83005 (all: bands 980, ALL 983), A83005 (female: bands 390, ALL 400)"
    ]


def test_bad_rows_are_rejected_naming_row_and_column(write_csv, build, tmp_path):
    good = practice(NEW, "A83005")
    write_csv(
        tmp_path / "src" / FILE,
        NEW,
        [
            *good,
            line(NEW, "A83006", "UNKNOWN", "0_4", 5, "01JAN2025"),
            line(NEW, "A83006", "FEMALE", "100_104", 5, "01JAN2025"),
            line(NEW, "A83006", "FEMALE", "0_4", -5, "01JAN2025"),
            line(NEW, "A83006", "FEMALE", "5_9", "many", "01JAN2025"),
            line(NEW, "A83005", "FEMALE", "0_4", 10, "01JAN2025"),
            line(NEW, "A83006", "ALL", "0_4", 5, "01JAN2025"),
            line(NEW, "", "MALE", "0_4", 5, "01JAN2025"),
            line(NEW, "A83006", "MALE", "0_4", 5, "32JAN2025"),
            [
                *line(NEW, "Q12", "ALL", "ALL", 5, "01JAN2025")[:2],
                "Comm Region",
                *line(NEW, "Q12", "ALL", "ALL", 5, "01JAN2025")[3:],
            ],
        ],
    )
    result, con = build(tmp_path / "src", allow_rejects=True)
    (report,) = result.reports
    assert [(r.row, r.column, r.reason) for r in report.rejections] == [
        (52, "EXTRACT_DATE", "extract date '32JAN2025' is not a date like 01JAN2025"),
        (53, "TYPE", "'Comm Region' rows are not practices: only TYPE GP rows are read"),
        (51, "CODE", "no practice code"),
        (45, "SEX", "sex 'UNKNOWN' is not MALE, FEMALE or ALL"),
        (
            46,
            "AGE_GROUP_5",
            "age group '100_104' is not a five-year band (0_4 ... 90_94, 95+) or ALL",
        ),
        (50, "AGE_GROUP_5", "age group '0_4' with SEX ALL: age bands are read for each sex"),
        (48, "NUMBER_OF_PATIENTS", "number of patients 'many' is not a number"),
        (47, "NUMBER_OF_PATIENTS", "negative number of patients -5"),
        (49, "CODE", "A83005 FEMALE 0_4 2025-01-01 appears again (first on row 4)"),
    ]  # fmt: skip
    assert report.rows_loaded == 43
    assert con.execute("SELECT count(*) FROM registered_population").fetchall() == [(40,)]


def test_a_missing_column_is_fatal(write_csv, tmp_path):
    header = [h for h in NEW if h != "CODE"]
    path = write_csv(tmp_path / FILE, header, [])
    con = duckdb.connect()
    con.execute(DATASET.schema)
    with pytest.raises(InputFileError, match="missing required column 'CODE'"):
        DATASET.load(con, path, LoadReport("registered", "2025-01-01", str(path), ""))


def test_other_files_are_not_taken_for_it(tmp_path: Path) -> None:
    assert DATASET.detect(tmp_path / "x.csv", ["GP code", "0", "1"]) is None
    assert DATASET.detect(tmp_path / "x.csv", [h for h in NEW if h != "AGE_GROUP_5"]) is None
