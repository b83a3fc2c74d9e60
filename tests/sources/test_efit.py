"""The eFIT tool's per-ICB population and indicator files: loading, membership, warnings."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gpequity.errors import InputFileError
from gpequity.sources.efit import DATASET, indicator_id, label_icb_name, label_sub_icb

AGES = [str(a) for a in range(96)]
POPULATION = ["GP code", *AGES]
INDICATORS = [
    "Hypertension: QOF prevalence",
    "Last BP reading of patients (80+ yrs, with hypertension), in the last 12 months is "
    "<= 150/90 mmHg (denominator incl. PCAs)",
    "Deprivation score (IMD 2025)",
]
IND_HEADER = ["ICB name", "GP code", "GP name", *INDICATORS]
LOOKUP = ["CCG Code", "ICB Code", "ICB NAME"]
NE = "NHS North East and North Cumbria Integrated Care Board"


def population(code: str, base: int = 1, blanks: int = 0) -> list[str]:
    """A practice's row: ``base + age`` patients of each age, the oldest ``blanks`` left blank."""
    counts = [f"{base + a}.0" for a in range(96)]
    for a in range(96 - blanks, 96):
        counts[a] = ""
    return [code, *counts]


def indicators(label: str, code: str, *values: str) -> list[str]:
    return [label, code, f"{code} Surgery", *values]


@pytest.fixture
def source(write_csv, tmp_path: Path) -> Path:
    """Two ICBs of the tool, one of them new in 2026, and a third with population only."""
    src = tmp_path / "src"
    write_csv(src / "lookups" / "ccg-icb-lookup.csv", LOOKUP, [["00L", "QHM", NE]], bom=True)
    pop = src / "efit" / "population"
    write_csv(
        pop / "f_pop_QHM_2026-27.csv",
        POPULATION,
        [population("A81001", blanks=2), population("a81002 "), population("A81003")],
    )
    write_csv(
        pop / "m_pop_QHM_2026-27.csv", POPULATION, [population("A81001"), population("A81002")]
    )
    write_csv(pop / "f_pop_D7T5G_2026-27.csv", POPULATION, [population("F81011")])
    write_csv(pop / "m_pop_D7T5G_2026-27.csv", POPULATION, [population("F81011")])
    write_csv(pop / "f_pop_QXU_2026-27.csv", POPULATION, [population("H81002")])
    write_csv(pop / "m_pop_QXU_2026-27.csv", POPULATION, [population("H81002")])
    ind = src / "efit" / "indicators"
    label = "North East and North Cumbria ICB - 00L "
    write_csv(
        ind / "indicator_QHM_2025-26_v2.csv",
        IND_HEADER,
        [
            indicators(label, "A81001", "14.5", "80.2", "30.1"),
            indicators(label, "A81002", "15.5", "", "31"),
            indicators(label, "A81004", "16.5", "100", "5"),
        ],
    )
    write_csv(
        ind / "indicator_D7T5G_2025-26_v1.csv",
        IND_HEADER,
        [
            indicators("Mid and South Essex ICB - 06Q ", "F81011", "1", "2", "3"),
            indicators("Suffolk and North East Essex ICB - 06T ", "F81014", "1", "2", "3"),
            indicators("Mid and South Essex ICB - 99E ", "F81015", "1", "2", "3"),
        ],
    )
    return src


def test_indicator_ids_are_readable_stable_slugs() -> None:
    assert indicator_id("Hypertension: QOF prevalence") == "efit:hypertension-qof-prevalence"
    assert indicator_id(INDICATORS[1]) == (
        "efit:last-bp-reading-of-patients-80-plus-yrs-with-hypertension-in-the-last-12-months-"
        "is-le-150-90-mmhg-denominator-incl-pcas"
    )
    assert indicator_id("Last BP reading of patients (<80 yrs, with hypertension)") == (
        "efit:last-bp-reading-of-patients-lt-80-yrs-with-hypertension"
    )


def test_detect_reads_icb_and_year_from_the_name(tmp_path: Path) -> None:
    assert DATASET.detect(tmp_path / "f_pop_QHM_2026-27.csv", POPULATION) == "2026/27"
    assert DATASET.detect(tmp_path / "m_pop_D7T5G_2026-27.csv", POPULATION) == "2026/27"
    assert DATASET.detect(tmp_path / "indicator_QHM_2025-26_v2.csv", IND_HEADER) == "2025/26"
    assert DATASET.detect(tmp_path / "x.csv", ["Practice code", "Value"]) is None
    with pytest.raises(InputFileError, match=r"name it like f_pop_QHM_2026-27\.csv"):
        DATASET.detect(tmp_path / "population.csv", POPULATION)
    with pytest.raises(InputFileError, match=r"name it like indicator_QHM_2025-26_v2\.csv"):
        DATASET.detect(tmp_path / "indicator_QHM.csv", IND_HEADER)


def test_loads_population_indicators_and_membership(source, build):
    result, con = build(source)
    efit = [r for r in result.reports if r.dataset == "efit"]
    assert sorted((Path(r.path).name, r.period, r.rows_read, r.rows_loaded) for r in efit) == [
        ("f_pop_D7T5G_2026-27.csv", "2026/27", 1, 1),
        ("f_pop_QHM_2026-27.csv", "2026/27", 3, 3),
        ("f_pop_QXU_2026-27.csv", "2026/27", 1, 1),
        ("indicator_D7T5G_2025-26_v1.csv", "2025/26", 3, 3),
        ("indicator_QHM_2025-26_v2.csv", "2025/26", 3, 3),
        ("m_pop_D7T5G_2026-27.csv", "2026/27", 1, 1),
        ("m_pop_QHM_2026-27.csv", "2026/27", 2, 2),
        ("m_pop_QXU_2026-27.csv", "2026/27", 1, 1),
    ]
    ages = con.execute(
        "SELECT age_from, age_to, patients FROM registered_population WHERE source = 'efit' "
        "AND period = '2026/27' AND practice_code = 'A81001' AND sex = 'female' ORDER BY 1"
    ).fetchall()
    assert len(ages) == 96
    assert ages[:2] == [(0, 0, 1.0), (1, 1, 2.0)]
    # The oldest two ages were blank: no patients.
    assert ages[-3:] == [(93, 93, 94.0), (94, 94, 0.0), (95, None, 0.0)]
    assert con.execute(
        "SELECT sex, count(DISTINCT practice_code), count(*) FROM registered_population "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall() == [("female", 5, 480), ("male", 4, 384)]
    assert con.execute(
        "SELECT indicator_id, indicator_name, period, value FROM practice_indicators "
        "WHERE source = 'efit' AND practice_code = 'A81002' ORDER BY 1"
    ).fetchall() == [
        ("efit:deprivation-score-imd-2025", INDICATORS[2], "2025/26", 31.0),
        ("efit:hypertension-qof-prevalence", INDICATORS[0], "2025/26", 15.5),
        (indicator_id(INDICATORS[1]), INDICATORS[1], "2025/26", None),
    ]
    assert con.execute("SELECT * FROM icbs WHERE source = 'efit' ORDER BY icb_code").fetchall() == [
        # No official list names them, and D7T5G's practices are labelled with two ICBs of
        # 2022: a merger, named by its code, never by a predecessor's name.
        ("D7T5G", "D7T5G", "efit", "2026/27"),
        ("QXU", "QXU", "efit", "2026/27"),
    ]
    assert con.execute(
        "SELECT practice_code, period, icb_code, icb_name FROM practice_icb "
        "WHERE source = 'efit' ORDER BY period, icb_code, practice_code"
    ).fetchall() == [
        ("F81011", "2025/26", "D7T5G", "D7T5G"),
        ("F81014", "2025/26", "D7T5G", "D7T5G"),
        ("F81015", "2025/26", "D7T5G", "D7T5G"),
        ("A81001", "2025/26", "QHM", NE),
        ("A81002", "2025/26", "QHM", NE),
        ("A81004", "2025/26", "QHM", NE),
        ("F81011", "2026/27", "D7T5G", "D7T5G"),
        ("A81001", "2026/27", "QHM", NE),
        ("A81002", "2026/27", "QHM", NE),
        ("A81003", "2026/27", "QHM", NE),
        ("H81002", "2026/27", "QXU", "QXU"),
    ]
    # Population against indicators is compared by current ICB (the organisation model).
    assert result.warnings == [
        "eFIT population: 2 blank cells in 1 files read as 0 patients (the tool's files leave "
        "an age with no patients blank)",
        "eFIT QXU: no indicators file",
        "eFIT female population QHM: 1 practice has no male population row: A81003",
        "eFIT population files of QXU: QXU is not an ICB from 1 April 2026",
        "eFIT QHM (North East and North Cumbria ICB): 1 practice has population rows and no "
        "indicator row: A81003",
        "eFIT D7T5G: 2 practices have an indicator row and no population row: F81014, F81015",
        "eFIT QHM (North East and North Cumbria ICB): 1 practice has an indicator row and no "
        "population row: A81004",
        "eFIT: 1 practice in no current ICB (their files' ICB is not current and no single "
        "current ICB's indicator file lists them): H81002",
    ]


def test_practices_in_two_icbs_files_are_a_warning(source, write_csv, build):
    # As the real QF7 (South Yorkshire) file holds 169 South West London practices.
    write_csv(
        source / "efit" / "indicators" / "indicator_QWE_2025-26_v2.csv",
        IND_HEADER,
        [indicators("South West London ICB - 36L ", "A81001", "1", "2", "3")],
    )
    result, _ = build(source)
    assert (
        "eFIT indicators 2025/26: practices in the files of more than one ICB (QHM, QWE): 1: "
        "A81001" in result.warnings
    )


def test_bad_rows_are_rejected_naming_row_and_column(write_csv, build, tmp_path):
    src = tmp_path / "src"
    write_csv(
        src / "f_pop_QHM_2026-27.csv",
        POPULATION,
        [
            population("A81001"),
            population("A81001"),
            ["A81002", "x", *population("A81002")[2:]],
            ["A81003", *population("A81003")[1:50], "-1", *population("A81003")[51:]],
            ["", *population("A81004")[1:]],
            ["A81005", *population("A81005")[1:96], "1,2"],
        ],
    )
    write_csv(
        src / "indicator_QHM_2025-26_v2.csv",
        IND_HEADER,
        [
            indicators("NENC ICB - 00L", "A81001", "14.5", "abc", "30.1"),
            indicators("NENC ICB - 00L", "A81002", "-2", "1", "1"),
            indicators("NENC ICB - 00L", "A81002", "1", "1", "1"),
        ],
    )
    result, con = build(src, allow_rejects=True)
    by_name = {Path(r.path).name: r for r in result.reports}
    pop = by_name["f_pop_QHM_2026-27.csv"]
    assert [(r.row, r.column, r.reason) for r in pop.rejections] == [
        (3, "GP code", "practice A81001 appears again (first on row 2)"),
        (6, "GP code", "no practice code"),
        (4, "0", "number of patients 'x' is not a number"),
        (5, "49", "negative number of patients -1"),
        (7, "95", "number of patients '1,2' is not a number"),
    ]
    assert pop.rows_loaded == 1
    ind = by_name["indicator_QHM_2025-26_v2.csv"]
    assert [(r.row, r.column, r.reason) for r in ind.rejections] == [
        (4, "GP code", "practice A81002 appears again (first on row 3)"),
        (2, INDICATORS[1], "'abc' is not a number"),
        (3, INDICATORS[0], "negative value -2"),
    ]
    assert ind.rows_loaded == 0
    assert con.execute("SELECT DISTINCT practice_code FROM registered_population").fetchall() == [
        ("A81001",)
    ]


def test_a_missing_age_column_is_fatal(write_csv, build, tmp_path):
    header = [h for h in POPULATION if h != "37"]
    write_csv(tmp_path / "src" / "f_pop_QHM_2026-27.csv", header, [])
    with pytest.raises(Exception, match="missing required column '37'"):
        build(tmp_path / "src")


def test_two_versions_of_an_icbs_indicator_file_are_fatal(source, write_csv, build):
    write_csv(
        source / "efit" / "indicators" / "indicator_QHM_2025-26_v3.csv",
        IND_HEADER,
        [indicators("NENC ICB - 00L", "A81001", "1", "2", "3")],
    )
    with pytest.raises(Exception, match="another indicator file of ICB QHM for 2025/26"):
        build(source)


@pytest.mark.realdata
def test_every_real_efit_file_is_loaded(real_data_dir, link, build, count_rows):
    pop = sorted((real_data_dir / "efit" / "population").glob("*.csv"))
    ind = sorted((real_data_dir / "efit" / "indicators").glob("*.csv"))
    lookup = real_data_dir / "lookups" / "ccg-icb-lookup.csv"
    assert (len(pop), len(ind)) == (74, 36)
    result, con = build(link("pop", pop), link("ind", ind), link("lookup", [lookup]))
    by_name = {Path(r.path).name: r for r in result.reports}
    for path in [*pop, *ind]:
        report = by_name[path.name]
        assert report.rows_read == report.rows_loaded == count_rows(path), path.name
        assert not report.rejections, path.name
    assert con.execute(
        "SELECT count(DISTINCT icb_code), count(DISTINCT path) FROM efit_practices "
        "WHERE kind = 'population'"
    ).fetchall() == [(37, 74)]
    per_file = con.execute(
        "SELECT icb_code, count(DISTINCT indicator_id) FROM practice_indicators p "
        "JOIN efit_practices e USING (practice_code, period) WHERE p.source = 'efit' "
        "AND e.kind = 'indicators' GROUP BY ALL"
    ).fetchall()
    assert len(per_file) == 36 and {n for _, n in per_file} == {28}
    assert con.execute(
        "SELECT count(*) FROM registered_population WHERE source = 'efit'"
    ).fetchall() == [(96 * sum(count_rows(p) for p in pop),)]
    # The 2026 ICBs the lookup of 2022 does not know.
    assert con.execute(
        "SELECT list(icb_code ORDER BY icb_code) FROM icbs WHERE source = 'efit'"
    ).fetchall() == [(["D7T5G", "S0E4D", "S1Y5D", "S9B9J", "T6Y0W", "Z9B2Z"],)]
    assert "eFIT QXU: no indicators file" in result.warnings


def test_a_batch_of_population_files_names_the_file_and_row_of_each_problem(
    write_csv, build, tmp_path
):
    # Read together in one pass: each problem must still land in its own file's report, and a
    # cell like "1,2" (which would pass a comma-joined check) must be caught on its own.
    src = tmp_path / "src"
    write_csv(
        src / "f_pop_QHM_2026-27.csv", POPULATION, [population("A81001"), population("A81002")]
    )
    write_csv(
        src / "m_pop_QHM_2026-27.csv",
        POPULATION,
        [
            population("A81001"),
            population("A81002"),
            ["A81003", *population("A81003")[1:96], "1,2"],
        ],
    )
    result, con = build(src, allow_rejects=True)
    by_name = {Path(r.path).name: r for r in result.reports}
    assert by_name["f_pop_QHM_2026-27.csv"].rejections == []
    assert by_name["f_pop_QHM_2026-27.csv"].rows_loaded == 2
    male = by_name["m_pop_QHM_2026-27.csv"]
    assert [(r.row, r.column, r.reason) for r in male.rejections] == [
        (4, "95", "number of patients '1,2' is not a number")
    ]
    assert (male.rows_read, male.rows_loaded) == (3, 2)
    assert con.execute(
        "SELECT count(DISTINCT practice_code) FROM registered_population WHERE sex = 'male'"
    ).fetchone() == (2,)


def test_a_batch_of_indicator_files_keeps_each_file_apart(write_csv, build, tmp_path):
    src = tmp_path / "src"
    write_csv(
        src / "indicator_QHM_2025-26_v2.csv",
        IND_HEADER,
        [indicators("NENC ICB - 00L", "A81001", "14.5", "1", "30.1")],
    )
    write_csv(
        src / "indicator_QWE_2025-26_v2.csv",
        IND_HEADER,
        [
            indicators("SWL ICB - 36L", "H81001", "2", "3", "4"),
            indicators("SWL ICB - 36L", "H81002", "2", "1,5", "4"),
        ],
    )
    result, con = build(src, allow_rejects=True)
    by_name = {Path(r.path).name: r for r in result.reports}
    assert by_name["indicator_QHM_2025-26_v2.csv"].rejections == []
    qwe = by_name["indicator_QWE_2025-26_v2.csv"]
    assert [(r.row, r.column, r.reason) for r in qwe.rejections] == [
        (3, INDICATORS[1], "'1,5' is not a number")
    ]
    assert con.execute(
        "SELECT icb_code, count(DISTINCT practice_code) FROM practice_icb "
        "WHERE source = 'efit' GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("QHM", 1), ("QWE", 1)]


def test_a_new_code_whose_practices_share_one_label_keeps_that_name(source, write_csv, build):
    # Every practice labelled with one ICB of 2022: that ICB under a new code, not a merger.
    write_csv(
        source / "efit" / "indicators" / "indicator_Y1Z2X_2025-26_v1.csv",
        IND_HEADER,
        [indicators("Devon ICB - 15N ", "L83001", "1", "2", "3")],
    )
    _, con = build(source)
    assert con.execute("SELECT icb_name FROM icbs WHERE icb_code = 'Y1Z2X'").fetchall() == [
        ("Devon ICB",)
    ]


@pytest.mark.parametrize(
    ("label", "icb", "sub_icb"),
    [
        ("Devon ICB - 15N ", "Devon ICB", "15N"),
        ("Surrey Heartlands  ICB - 92A ", "Surrey Heartlands ICB", "92A"),
        ("North East and North Cumbria ICB - 00L", "North East and North Cumbria ICB", "00L"),
        # Frimley's practices in Thames Valley, under the code their location has now.
        ("Frimley ICB - (old D4U1Y  - now U2G6B)", "Frimley ICB", "U2G6B"),
        ("Zed ICB", "Zed ICB", None),
    ],
)
def test_an_indicator_label_gives_the_icb_of_2022_and_the_sub_icb(label, icb, sub_icb) -> None:
    with duckdb.connect() as con:
        assert con.execute(
            f"SELECT {label_icb_name('x')}, {label_sub_icb('x')} FROM (SELECT ? AS x)", [label]
        ).fetchall() == [(icb, sub_icb)]
