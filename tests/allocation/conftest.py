"""Small warehouses for the allocation service's tests, built from files in the official layouts
(every figure the tests check is worked out from the rows written here)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pytest

from gpequity.sources.demo import FINGERTIPS_HEADER
from gpequity.warehouse.build import build_warehouse, connect

# --- writing the official files --------------------------------------------------------------


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


LOOKUP = [("01A", "QAA", "NHS Alpha Integrated Care Board"), ("02B", "QBB", "NHS Beta ICB")]
PAYMENTS_HEADER = [
    "Practice Code",
    "Practice Name",
    "CCG Code",
    "PCN Code",
    "PCN Name",
    "Dispensing Practice",
    "Number of Registered Patients (Last Known Figure)",
    "Number of Weighted Patients (Last Known Figure)",
    "Total NHS Payments to General Practice",
]
#: 2021/22: code, name, CCG, PCN code, PCN name, registered, weighted, total payments.
PAYMENTS_21_22 = [
    ("A00001", "Alpha One Surgery", "01A", "U00001", "Alpha PCN", 1000, 1100, 100000),
    ("A00002", "Alpha Two Practice", "01A", "U00001", "Alpha PCN", 2000, 1800, 180000),
    ("A00003", "Alpha Three Health", "01A", "U00002", "Alpha South PCN", 3000, 3300, 297000),
    ("A00004", "Alpha Four", "01A", "", "", 500, 500, 60000),
    ("B00001", "Beta One", "02B", "U00003", "Beta PCN", 4000, 4000, 400000),
]
#: 2020/21 also had Z00009, which closed before 2021/22.
PAYMENTS_20_21 = [
    *((*row[:5], row[5] - 10, row[6] - 10, row[7] - 1000) for row in PAYMENTS_21_22),
    ("Z00009", "Closed Practice", "01A", "U00001", "Alpha PCN", 800, 800, 70000),
]
IMD_HEADER = ["IndicatorID", "Year", "AreaCode", "AreaName", "IsAreaCurrent", "Value"]
#: IMD 2019 scores (A00004 has none; it has a 2015 score only).
IMD_2019 = {"A00001": 10.0, "A00002": 30.0, "A00003": 20.0, "B00001": 40.0, "Z00009": 50.0}
#: The columns the fixture rows give; the files are written in the full official export layout
#: (the other columns blank), as the Fingertips website writes them.
FINGERTIPS_COLUMNS = [
    "Indicator ID",
    "Indicator Name",
    "Parent Code",
    "Parent Name",
    "Area Code",
    "Area Name",
    "Area Type",
    "Sex",
    "Age",
    "Category Type",
    "Category",
    "Time period",
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Count",
    "Denominator",
]


def _official_fingertips(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """The rows laid out under the full official export header."""
    out = []
    for row in rows:
        given = dict(zip(FINGERTIPS_COLUMNS, row, strict=True))
        out.append([given.get(name, "") for name in FINGERTIPS_HEADER])
    return out


REGISTERED_HEADER = [
    "PUBLICATION",
    "EXTRACT_DATE",
    "TYPE",
    "CODE",
    "POSTCODE",
    "SEX",
    "AGE_GROUP_5",
    "NUMBER_OF_PATIENTS",
]
#: Patients by five-year band (a few bands; the rest are 0): practice -> sex -> band -> n.
BANDS = {
    "A00001": {"FEMALE": {"0_4": 50, "65_69": 100, "95+": 10}, "MALE": {"0_4": 40, "65_69": 80}},
    "A00002": {"FEMALE": {"0_4": 200, "20_24": 300}, "MALE": {"0_4": 100, "85_89": 20}},
    "A00003": {"FEMALE": {"75_79": 60}, "MALE": {"5_9": 40}},
    "A00004": {"FEMALE": {"65_69": 5}, "MALE": {}},
    "B00001": {"FEMALE": {"0_4": 1}, "MALE": {"0_4": 1}},
}


def _fingertips_row(
    indicator: str, name: str, code: str, sex: str, age: str, period: str, count: int, den: int
) -> list[object]:
    scale = 100 if indicator == "91547" else 1000
    value = scale * count / den
    return [
        indicator,
        name,
        "E38000001",
        "Sub ICB",
        code,
        code,
        "GPs",
        sex,
        age,
        "",
        "",
        period,
        value,
        "",
        "",
        count,
        den,
    ]


def write_payments_era_files(root: Path) -> Path:
    """Lookup, two payments years, IMD, two Fingertips exports, QOF, registered patients."""
    _write(root / "lookups/ccg-icb-lookup.csv", ["CCG Code", "ICB Code", "ICB NAME"], LOOKUP)
    _write(
        root / "nhs-payments/nhspaymentsgp-20-21-prac-csv.csv",
        PAYMENTS_HEADER,
        [[*r[:5], "No", *r[5:]] for r in PAYMENTS_20_21],
    )
    _write(
        root / "nhs-payments/nhspaymentsgp-21-22-prac-csv.csv",
        PAYMENTS_HEADER,
        [[*r[:5], "No", *r[5:]] for r in PAYMENTS_21_22],
    )
    imd_rows: list[list[object]] = [
        [93553, 2019, code, code, 1, score] for code, score in IMD_2019.items()
    ]
    imd_rows.append([93553, 2015, "A00004", "Alpha Four", 1, 25.0])
    _write(root / "deprivation/practice-imd-93553.csv", IMD_HEADER, imd_rows)
    smoking = "Smoking prevalence in adults (15+) - current smokers (QOF)"
    _write(
        root / "fingertips/indicator-91547-smoking.csv",
        FINGERTIPS_HEADER,
        _official_fingertips(
            [
                _fingertips_row(
                    "91547", smoking, "A00001", "Persons", "15+ yrs", "2021/22", 20, 100
                ),
                _fingertips_row(
                    "91547", smoking, "A00002", "Persons", "15+ yrs", "2021/22", 30, 200
                ),
                _fingertips_row("91547", smoking, "A00003", "Persons", "15+ yrs", "2021/22", 5, 50),
                # Ignored: another sex, and an older period.
                _fingertips_row("91547", smoking, "A00004", "Male", "15+ yrs", "2021/22", 9, 10),
                _fingertips_row("91547", smoking, "A00004", "Persons", "15+ yrs", "2020/21", 9, 10),
                [
                    "91547",
                    smoking,
                    "",
                    "",
                    "E92000001",
                    "England",
                    "England",
                    "Persons",
                    "15+ yrs",
                    "",
                    "",
                    "2021/22",
                    14.7,
                    "",
                    "",
                    1470,
                    10000,
                ],
            ]
        ),
    )
    ae = "A&E attendances (0 to 4 years)"
    _write(
        root / "fingertips/indicator-93930-ae.csv",
        FINGERTIPS_HEADER,
        _official_fingertips(
            [
                _fingertips_row("93930", ae, "A00001", "Persons", "0-4 yrs", "2021/22", 90, 100),
                _fingertips_row("93930", ae, "A00002", "Persons", "0-4 yrs", "2021/22", 600, 1000),
            ]
        ),
    )
    _write(
        root / "qof/childhood-vaccination-achievement-2021-22.csv",
        ["Practice code", "Practice name", "perc_achievement"],
        [["A00001", "x", 90], ["A00002", "x", 80], ["A00003", "x", ":"]],
    )
    rows: list[list[object]] = []
    for code, sexes in BANDS.items():
        for sex, bands in sexes.items():
            for band, n in bands.items():
                rows.append(["GP_PRAC_PAT_LIST", "01APR2022", "GP", code, "X1 1XX", sex, band, n])
            rows.append(
                [
                    "GP_PRAC_PAT_LIST",
                    "01APR2022",
                    "GP",
                    code,
                    "X1 1XX",
                    sex,
                    "ALL",
                    sum(bands.values()),
                ]
            )
    _write(root / "registered/gp-reg-pat-prac-quin-age.csv", REGISTERED_HEADER, rows)
    return root


EFIT_COLUMNS = [
    "Hypertension: QOF prevalence",
    "Cervical screening coverage: aged 25 to 49 years old",
    "Deprivation score (IMD 2025)",
    "Widgets: QOF prevalence",
    "Weighted population",
]
#: eFIT indicator rows: ICB file -> (practice, name, hypertension, cervical, IMD, widgets, WP).
EFIT_INDICATORS = {
    "X1Y2Z": [
        ("A00001", "Alpha One (eFIT)", 15.0, 70.0, 12.5, 1.0, 1200),
        ("A00002", "Alpha Two (eFIT)", 10.0, "", 33.0, "", 2100),
        ("B00001", "Beta One (eFIT)", 20.0, 60.0, 44.0, 3.0, 4100),
        # In the indicator file but in no population file: not in the 2026/27 list.
        ("Y00007", "Gone Surgery", 12.0, 65.0, 20.0, 2.0, 900),
    ],
    "QAA": [("A00003", "Alpha Three (eFIT)", 11.0, 75.0, 22.0, 2.5, 3200)],
}
#: eFIT population: ICB -> practice -> sex -> {age: patients} (other ages blank).
EFIT_POPULATION = {
    "X1Y2Z": {
        "A00001": {"f": {0: 10, 18: 5, 64: 7, 65: 3, 95: 1}, "m": {30: 4}},
        "A00002": {"f": {40: 20}, "m": {17: 6, 18: 9, 95: 2}},
        "B00001": {"f": {25: 11, 49: 13, 50: 17}, "m": {70: 8}},
    },
    "QAA": {"A00003": {"f": {80: 30}, "m": {1: 2}}},
}


def write_efit_files(root: Path) -> Path:
    """eFIT files: a merged 2026 ICB X1Y2Z (two of QAA's practices and QBB's) and QAA."""
    for icb, rows in EFIT_INDICATORS.items():
        _write(
            root / f"efit/indicators/indicator_{icb}_2025-26_v1.csv",
            ["ICB name", "GP code", "GP name", *EFIT_COLUMNS],
            [["Alpha and Beta ICB - 01A ", *row] for row in rows],
        )
    for icb, practices in EFIT_POPULATION.items():
        for sex in ("f", "m"):
            _write(
                root / f"efit/population/{sex}_pop_{icb}_2026-27.csv",
                ["GP code", *(str(a) for a in range(96))],
                [
                    [code, *(f"{ages[sex][a]}.0" if a in ages[sex] else "" for a in range(96))]
                    for code, ages in practices.items()
                ],
            )
    return root


def _build(tmp: Path, name: str, *, efit: bool) -> Path:
    files = write_payments_era_files(tmp / name)
    if efit:
        write_efit_files(files)
    db = tmp / f"{name}.duckdb"
    build_warehouse(db, [files])
    return db


@pytest.fixture(scope="session")
def payments_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("catalogue"), "payments-era", efit=False)


@pytest.fixture(scope="session")
def efit_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("catalogue"), "with-efit", efit=True)


@pytest.fixture
def con(payments_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(payments_db) as connection:
        yield connection


@pytest.fixture
def econ(efit_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(efit_db) as connection:
        yield connection


@pytest.fixture
def bands() -> dict[str, dict[str, dict[str, int]]]:
    """Registered patients by practice, sex and five-year band, as written to the files."""
    return BANDS
