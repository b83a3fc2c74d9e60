"""The indicator catalogue and the allocation pool, read from small warehouses built from files
in the official layouts (every figure below is worked out from the rows written here), and a
demonstration warehouse for every ICB at once."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from gpequity.allocation import (
    AllocationInputError,
    Baseline,
    ComponentKind,
    Direction,
    Method,
    MissingPolicy,
    Unit,
    UploadedColumn,
    allocate,
)
from gpequity.allocation.catalogue import build_catalogue, upload_entries
from gpequity.allocation.icbs import UnknownIcbError, find_icb, icb_practice_codes, list_icbs
from gpequity.allocation.pools import TargetPopulation, load_pool
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    allocate_scenario,
    outcome_as_dict,
)
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


@pytest.fixture(scope="module")
def payments_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("catalogue"), "payments-era", efit=False)


@pytest.fixture(scope="module")
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


# --- ICBs ---------------------------------------------------------------------------------------


def test_icbs_are_those_of_the_latest_payments_year(con: duckdb.DuckDBPyConnection) -> None:
    assert [(i.code, i.name, i.practices) for i in list_icbs(con)] == [
        ("QAA", "NHS Alpha Integrated Care Board", 4),  # Z00009 closed before 2021/22
        ("QBB", "NHS Beta ICB", 1),
    ]


def test_icbs_with_efit_are_the_2026_ones_merged_included(econ: duckdb.DuckDBPyConnection) -> None:
    icbs = {i.code: i for i in list_icbs(econ)}
    assert sorted(icbs) == ["QAA", "X1Y2Z"]  # QBB merged into X1Y2Z; A00004 and Y00007 gone
    assert icbs["X1Y2Z"].practices == 3
    assert icbs["X1Y2Z"].name == "Alpha and Beta ICB"
    assert icbs["QAA"].practices == 1
    assert icb_practice_codes(econ, "X1Y2Z") == {"A00001", "A00002", "B00001"}


def test_an_unknown_icb_says_how_to_find_the_codes(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownIcbError) as caught:
        find_icb(con, "QAB")
    [problem] = caught.value.problems
    assert problem.field == "icb_code"
    assert "'QAB' is not an ICB code" in problem.message
    assert "Did you mean " in problem.message
    assert "QAA (NHS Alpha Integrated Care Board)" in problem.message
    assert "The ICB codes are: QAA, QBB" in problem.message
    assert find_icb(con, " qaa ").code == "QAA"


# --- the catalogue ----------------------------------------------------------------------------


def test_catalogue_without_efit(con: duckdb.DuckDBPyConnection) -> None:
    entries = build_catalogue(con, "QAA")
    assert [e.as_dict() for e in entries] == [
        {
            "id": "imd",
            "name": "Deprivation score (IMD 2019)",
            "unit": "score",
            "direction": "higher",
            "period": "2019",
            "source": "imd",
            "coverage": 0.75,
        },
        {
            "id": "population",
            "name": "Population only (a plain per-head share)",
            "unit": "count",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "weighted-population",
            "name": "Weighted patients (NHS payments file, 2021/22)",
            "unit": "count",
            "direction": "higher",
            "period": "2021/22",
            "source": "payments",
            "coverage": 1.0,
        },
        {
            "id": "payments-per-weighted-patient",
            "name": "NHS payments per weighted patient (2021/22; lower = more need: money to the "
            "practices that get least today)",
            "unit": "rate",
            "direction": "lower",
            "period": "2021/22",
            "source": "payments",
            "coverage": 1.0,
        },
        {
            "id": "age-under-5",
            "name": "Patients aged under 5 (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "age-65-plus",
            "name": "Patients aged 65 and over (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "age-75-plus",
            "name": "Patients aged 75 and over (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "age-85-plus",
            "name": "Patients aged 85 and over (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "fingertips:93930",
            "name": "A&E attendances (0 to 4 years)",
            "unit": "rate",
            "direction": "higher",
            "period": "2021/22",
            "source": "fingertips",
            "coverage": 0.5,
        },
        {
            "id": "fingertips:91547",
            "name": "Smoking prevalence in adults (15+) - current smokers (QOF)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2021/22",
            "source": "fingertips",
            "coverage": 0.75,
        },
        {
            "id": "childhood-vaccination",
            "name": "Childhood vaccination achievement (QOF)",
            "unit": "percentage",
            "direction": "lower",
            "period": "2021/22",
            "source": "qof",
            "coverage": 0.5,
        },
    ]
    kinds = {e.id: e.kind for e in entries}
    assert kinds["population"] == ComponentKind.POPULATION
    assert kinds["weighted-population"] == ComponentKind.WEIGHTED_POPULATION


def test_catalogue_with_efit(econ: duckdb.DuckDBPyConnection) -> None:
    entries = {e.id: e for e in build_catalogue(econ, "X1Y2Z")}
    assert list(entries)[:4] == [
        "imd",
        "population",
        "weighted-population",
        "payments-per-weighted-patient",
    ]
    imd = entries["imd"]
    assert (imd.name, imd.source, imd.period, imd.coverage) == (
        "Deprivation score (IMD 2025)",
        "efit",
        "2025/26",
        1.0,
    )
    weighted = entries["weighted-population"]
    assert (weighted.source, weighted.kind) == ("efit", ComponentKind.WEIGHTED_POPULATION)
    assert (entries["population"].source, entries["population"].period) == ("efit", "2026/27")
    hypertension = entries["hypertension-prevalence"]
    assert (hypertension.unit, hypertension.direction, hypertension.coverage) == (
        Unit.PERCENTAGE,
        Direction.HIGHER,
        1.0,
    )
    cervical = entries["cervical-screening-25-49"]
    assert (cervical.direction, cervical.coverage) == (Direction.LOWER, round(2 / 3, 4))
    # A column a newer eFIT release might add keeps the loader's id, read from its name.
    widgets = entries["efit:widgets-qof-prevalence"]
    assert (widgets.unit, widgets.direction, widgets.coverage) == (
        Unit.PERCENTAGE,
        Direction.HIGHER,
        round(2 / 3, 4),
    )
    # The eFIT IMD and weighted list are not offered twice.
    assert "efit:deprivation-score-imd-2025" not in entries
    assert "efit:weighted-population" not in entries
    # Payments per weighted patient come from 2021/22, when all three practices were paid.
    assert entries["payments-per-weighted-patient"].coverage == 1.0


def test_catalogue_ids_are_unique_and_always_have_imd_and_population(
    con: duckdb.DuckDBPyConnection, econ: duckdb.DuckDBPyConnection
) -> None:
    for connection, icb in ((con, "QAA"), (con, "QBB"), (econ, "X1Y2Z"), (econ, "QAA")):
        ids = [e.id for e in build_catalogue(connection, icb)]
        assert len(ids) == len(set(ids))
        assert ids[:2] == ["imd", "population"]


def test_upload_entries_cover_the_icb() -> None:
    column = UploadedColumn("upload:uptake", "Uptake %", True, {"A00001": 50.0, "A00002": 60.0})
    [entry] = upload_entries([column], {"A00001", "A00002", "A00003", "A00004"})
    assert entry.as_dict() == {
        "id": "upload:uptake",
        "name": "Uptake %",
        "unit": "percentage",
        "direction": "higher",
        "period": None,
        "source": "upload",
        "coverage": 0.5,
    }


# --- the pool -----------------------------------------------------------------------------------


def _band_total(code: str, sexes: Sequence[str], first: int, last: int | None) -> float:
    total = 0
    for sex in sexes:
        for band, n in BANDS[code][sex].items():
            start = 95 if band == "95+" else int(band.split("_")[0])
            if start >= first and (last is None or start <= last):
                total += n
    return float(total)


def test_pool_from_payments_bands_and_fingertips(con: duckdb.DuckDBPyConnection) -> None:
    pool = load_pool(
        con,
        "QAA",
        ["imd", "fingertips:91547", "age-65-plus", "childhood-vaccination"],
        sex="female",
        age_from=65,
    )
    assert [p.code for p in pool] == ["A00001", "A00002", "A00003", "A00004"]
    first = pool[0]
    assert (first.name, first.pcn_code, first.pcn_name) == (
        "Alpha One Surgery",
        "U00001",
        "Alpha PCN",
    )
    assert first.target_population == _band_total("A00001", ["FEMALE"], 65, None) == 110
    assert first.weighted_population == 1100
    # National quintiles of 2021/22 over the five practices with a score: 10, 20, 30, 40, and
    # A00004 carried forward from IMD 2015 (25).
    assert [(p.imd_score, p.imd_quintile) for p in pool] == [
        (10.0, 1),
        (30.0, 4),
        (20.0, 2),
        (25.0, 3),
    ]
    assert dict(first.values) == {
        "imd": 10.0,
        "fingertips:91547": 20.0,
        "age-65-plus": pytest.approx(100 * (100 + 10 + 80) / (50 + 100 + 10 + 40 + 80)),
        "childhood-vaccination": 90.0,
    }
    # Missing is None, never 0: A00004 has no IMD 2019 score, no persons smoking value in the
    # latest period and no vaccination row; A00003's vaccination is ':' (not available).
    assert pool[3].values["imd"] is None
    assert pool[3].values["fingertips:91547"] is None
    assert pool[3].values["childhood-vaccination"] is None
    assert pool[2].values["childhood-vaccination"] is None
    assert pool[3].pcn_code is None


@pytest.mark.parametrize(
    ("sex", "first", "last"),
    [("all", 0, None), ("male", 0, 4), ("female", 5, 69), ("all", 85, 94), ("male", 95, 95)],
)
def test_pool_target_population_by_bands(
    con: duckdb.DuckDBPyConnection, sex: str, first: int, last: int | None
) -> None:
    pool = load_pool(con, "QAA", [], sex=sex, age_from=first, age_to=last)
    sexes = ["FEMALE", "MALE"] if sex == "all" else [sex.upper()]
    top = None if last is None or last >= 95 else last
    assert {p.code: p.target_population for p in pool} == {
        code: _band_total(code, sexes, first, top) for code in BANDS if code != "B00001"
    }


def test_ages_off_the_band_edges_are_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(AllocationInputError) as caught:
        load_pool(con, "QAA", ["imd"], age_from=18, age_to=66)
    problems = {p.field: p.message for p in caught.value.problems}
    assert set(problems) == {"age_from", "age_to"}
    assert "five-year bands (0-4, 5-9, 10-14" in problems["age_from"]
    assert "90-94, 95+)" in problems["age_from"]
    assert "18 does not" in problems["age_from"]
    assert "66 does not" in problems["age_to"]


def test_unknown_component_ids_are_listed(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(AllocationInputError) as caught:
        load_pool(con, "QAA", ["imd", "nope", "zzz"])
    [problem] = caught.value.problems
    assert problem.field == "components"
    assert "nope, zzz" in problem.message
    assert "gpequity indicators --icb QAA" in problem.message


def test_pool_with_efit_single_years(econ: duckdb.DuckDBPyConnection) -> None:
    pool = load_pool(
        econ,
        "X1Y2Z",
        ["imd", "cervical-screening-25-49", "efit:hypertension-qof-prevalence"],
        age_from=18,
        age_to=64,
    )
    by_code = {p.code: p for p in pool}
    assert sorted(by_code) == ["A00001", "A00002", "B00001"]
    # Single years 18 to 64: A00001 has 5 + 7 women and 4 men; A00002 20 women and 9 men.
    assert by_code["A00001"].target_population == 16
    assert by_code["A00002"].target_population == 29
    assert by_code["B00001"].target_population == 41
    assert by_code["A00001"].name == "Alpha One (eFIT)"
    assert by_code["A00001"].weighted_population == 1200
    assert by_code["A00002"].values["cervical-screening-25-49"] is None
    # The long eFIT id is accepted as an alias of the short one.
    assert by_code["B00001"].values["efit:hypertension-qof-prevalence"] == 20.0
    # IMD 2025 ranked across every practice of the eFIT files (12.5, 20, 22, 33, 44).
    assert [(p.imd_score, p.imd_quintile) for p in pool] == [(12.5, 1), (33.0, 4), (44.0, 5)]


def test_efit_classic_sees_the_icb_as_the_published_tool(econ: duckdb.DuckDBPyConnection) -> None:
    pool = load_pool(econ, "X1Y2Z", ["imd"], method=Method.EFIT_CLASSIC)
    # The practices of the ICB's indicator file, with the patients of its population files:
    # Y00007 is listed but has none.
    assert {p.code: p.target_population for p in pool} == {
        "A00001": 30.0,
        "A00002": 37.0,
        "B00001": 49.0,
        "Y00007": 0.0,
    }


def test_pool_ages_beyond_95_or_reversed_are_errors(econ: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(AllocationInputError) as caught:
        load_pool(econ, "X1Y2Z", [], age_from=40, age_to=30)
    assert [p.field for p in caught.value.problems] == ["age_to"]
    with pytest.raises(AllocationInputError) as caught:
        load_pool(econ, "X1Y2Z", [], age_from=96)
    assert [p.field for p in caught.value.problems] == ["age_from"]
    with pytest.raises(AllocationInputError) as caught:
        load_pool(econ, "X1Y2Z", [], sex="other")
    assert [p.field for p in caught.value.problems] == ["sex"]


# --- whole scenarios ------------------------------------------------------------------------------


def test_scenario_end_to_end(econ: duckdb.DuckDBPyConnection) -> None:
    scenario = Scenario(
        icb_code="x1y2z",
        amount=Decimal("1000"),
        components=(
            ComponentChoice("imd", Decimal(50)),
            ComponentChoice("cervical-screening-25-49", Decimal(50)),
        ),
        target=TargetPopulation(age_from=18, age_to=64),
        missing_policy=MissingPolicy.EXCLUDE,
        excluded_practices=frozenset({"b00001"}),
        baseline=Baseline.WEIGHTED_POPULATION,
    )
    data = outcome_as_dict(allocate_scenario(econ, scenario))
    assert data["icb"] == "X1Y2Z"
    assert [(p["practice_code"], p["allocation"]) for p in data["practices"]] == [
        # IMD pot £500 by 16 × 12.5 : 29 × 33; cervical pot £500 all to A00001 (A00002 has no
        # value and missing values are excluded): 500 × 200/1157 + 500 = 586.43...
        ("A00001", 586.43),
        ("A00002", 413.57),
    ]
    assert data["excluded"] == [
        {
            "practice_code": "B00001",
            "practice_name": "Beta One (eFIT)",
            "reason": "Left out at your request (for example, funded by another route).",
        }
    ]
    # Weighted baseline: 1000 × 1200 / 3300 and 1000 × 2100 / 3300.
    assert [p["baseline"] for p in data["practices"]] == [363.64, 636.36]
    assert data["inputs"]["target_population"] == "patients aged 18 to 64"
    assert data["inputs"]["excluded_practices"] == ["B00001"]


def test_scenario_problems_are_listed_field_by_field(econ: duckdb.DuckDBPyConnection) -> None:
    scenario = Scenario(
        icb_code="X1Y2Z",
        amount=Decimal("10.001"),
        components=(ComponentChoice("imd", Decimal(60)), ComponentChoice("nope", Decimal(40))),
        target=TargetPopulation(age_from=50, age_to=20),
    )
    with pytest.raises(AllocationInputError) as caught:
        allocate_scenario(econ, scenario)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["age_to", "components[1].id"]


# --- the demonstration warehouse: every ICB -----------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gpequity.sources.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder / "files", seed=31, practices=300)
    db = folder / "demo.duckdb"
    build_warehouse(db, [folder / "files"])
    return db


def test_every_demo_icb_has_a_catalogue_and_allocates(demo_db: Path) -> None:
    with connect(demo_db) as connection:
        icbs = list_icbs(connection)
        assert len(icbs) == 42
        for icb in icbs:
            entries = build_catalogue(connection, icb.code)
            ids = [e.id for e in entries]
            assert ids[:3] == ["imd", "population", "weighted-population"]
            assert len(ids) == len(set(ids))
            assert all(e.coverage is not None and 0 <= e.coverage <= 1 for e in entries)
        icb = icbs[0]
        ids = [e.id for e in build_catalogue(connection, icb.code)]
        pool = load_pool(connection, icb.code, ids, sex="female", age_from=18, age_to=64)
        assert len(pool) == icb.practices
        assert all(set(p.values) == set(ids) - {"population", "weighted-population"} for p in pool)
        outcome = allocate_scenario(
            connection,
            Scenario(icb.code, Decimal("99999.99"), (ComponentChoice("imd", Decimal(100)),)),
        )
        total = sum((p.allocation for p in outcome.result.practices), Decimal(0))
        assert total == Decimal("99999.99")
        request = outcome.result.request
        assert allocate(request, pool).practices  # the same pool, straight into the engine
