"""The organisation model: ICB geographies of 2022 and 2026, successors, memberships, defects."""

from __future__ import annotations

import csv
import importlib.util
import json
from collections.abc import Iterator, Sequence
from datetime import date
from importlib import import_module
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
from typer.testing import CliRunner

from gpequity.allocation.icbs import SupersededIcbError, find_icb, icb_practice_codes, list_icbs
from gpequity.cli import app
from gpequity.warehouse.build import build_warehouse
from gpequity.warehouse.organisations import GEOGRAPHY_2022, GEOGRAPHY_2026
from gpequity.warehouse.status import read_status


def _payments_helpers() -> ModuleType:
    # The payments tests' 2018/19 layout and practice row (whose lines add up): one place.
    path = Path(__file__).parents[1] / "sources" / "test_payments.py"
    spec = importlib.util.spec_from_file_location("payments_layout", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PAYMENTS = _payments_helpers()
HEADER_2018_19: list[str] = _PAYMENTS.HEADER_2018_19
practice_row = _PAYMENTS.practice_row
LOOKUP = ["CCG Code", "ICB Code", "ICB NAME"]
NAMES = ["ICB26CD", "ICB26CDH", "ICB26NM", "ObjectId"]
POPULATION = ["GP code", *(str(a) for a in range(96))]
INDICATORS = ["ICB name", "GP code", "GP name", "Deprivation score (IMD 2025)"]
#: The 2022 ICBs of the fixture: two merge into one new ICB (NEW01), one is split between the
#: new ICB and one that keeps its code (QKP), one is offered by the eFIT files though abolished.
OLD = {
    "QAA": "NHS Alpha Integrated Care Board",
    "QBB": "NHS Beta Integrated Care Board",
    "QCC": "NHS Gamma Integrated Care Board",
    "QKP": "NHS Kept Integrated Care Board",
}
#: Sub-ICB location -> ICB of 2022, and the practices of each (2022/23 payments).
SUB_ICBS = {"01A": "QAA", "02B": "QBB", "03C": "QCC", "04K": "QKP"}
PRACTICES = {
    "A00001": "01A",
    "A00002": "01A",
    "B00001": "02B",
    "C00001": "03C",
    "C00002": "03C",
    "K00001": "04K",
}


def write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def efit_files(src: Path, icb: str, practices: Sequence[tuple[str, str]], *, pop: bool = True):
    """An ICB's eFIT files: ``practices`` as (code, indicator label or '' for no row)."""
    labelled = [(code, label) for code, label in practices if label]
    if labelled:
        write(
            src / "efit" / f"indicator_{icb}_2025-26_v1.csv",
            INDICATORS,
            [[label, code, f"{code} Surgery", "20"] for code, label in labelled],
        )
    if pop:
        for sex in ("f", "m"):
            write(
                src / "efit" / f"{sex}_pop_{icb}_2026-27.csv",
                POPULATION,
                [[code, *(["1"] * 96)] for code, _ in practices],
            )


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    write(
        src / "lookups" / "ccg-icb-lookup.csv",
        LOOKUP,
        [[s, i, OLD[i]] for s, i in SUB_ICBS.items()],
    )
    write(
        src / "nhs-payments" / "nhspaymentsgp-22-23-prac-csv.csv",
        HEADER_2018_19,
        [practice_row(code, sub_icb) for code, sub_icb in PRACTICES.items()],
    )
    # NEW01 holds Alpha, Beta and one of Gamma's practices; QKP the other and its own.
    efit_files(
        src,
        "NEW01",
        [
            ("A00001", "Alpha ICB - 01A "),
            ("A00002", "Alpha ICB - 01A "),
            ("C00001", "Gamma ICB - (old 03C  - now N1C0X)"),
        ],
    )
    efit_files(src, "QKP", [("K00001", "Kept ICB - 04K "), ("C00002", "Gamma ICB - 03C ")])
    # Beta's practice is offered under its old code, with population files only, and listed in
    # the new ICB's indicator file (as QXU's practices are in S9B9J's).
    efit_files(src, "QBB", [("B00001", "")])
    with (src / "efit" / "indicator_NEW01_2025-26_v1.csv").open("a", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["Beta ICB - 02B ", "B00001", "B00001 Surgery", "20"])
    # A practice of Kept listed by NEW01's file too (as QF7's file lists South West London's).
    with (src / "efit" / "indicator_NEW01_2025-26_v1.csv").open("a", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["Kept ICB - 04K ", "K00001", "K00001 Surgery", "20"])
    return src


@pytest.fixture
def build(tmp_path: Path) -> Iterator:
    opened: list[duckdb.DuckDBPyConnection] = []

    def run(src: Path) -> tuple[list[str], duckdb.DuckDBPyConnection, Path]:
        db = tmp_path / f"w{len(opened)}.duckdb"
        result = build_warehouse(db, [src])
        con = duckdb.connect(str(db), read_only=True)
        opened.append(con)
        return result.warnings, con, db

    yield run
    for con in opened:
        con.close()


def icbs(con: duckdb.DuckDBPyConnection, start: date) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT code, ons_code, name, short_name, valid_to, source FROM organisations "
        "WHERE kind = 'icb' AND valid_from = ? ORDER BY code",
        [start],
    ).fetchall()


def test_without_the_ons_list_the_2026_icbs_are_derived_from_the_efit_files(source, build):
    warnings, con, db = build(source)
    assert icbs(con, GEOGRAPHY_2022) == [
        (
            code,
            None,
            name,
            name.removeprefix("NHS ").replace(" Integrated Care Board", " ICB"),
            date(2026, 3, 31),
            "lookup",
        )
        for code, name in OLD.items()
    ]
    # A kept code keeps its name; a new one has none until an official list names it.
    assert icbs(con, GEOGRAPHY_2026) == [
        ("NEW01", None, None, None, None, "efit"),
        ("QKP", None, OLD["QKP"], "Kept ICB", None, "efit"),
    ]
    assert con.execute(
        "SELECT practice_code, icb_code, sub_icb_code, basis FROM practice_memberships "
        "WHERE valid_from = ? ORDER BY 1",
        [GEOGRAPHY_2026],
    ).fetchall() == [
        ("A00001", "NEW01", "01A", "population file"),
        ("A00002", "NEW01", "01A", "population file"),
        ("B00001", "NEW01", "02B", "population file of QBB, indicator file"),
        ("C00001", "NEW01", "N1C0X", "population file"),
        ("C00002", "QKP", "03C", "population file"),
        ("K00001", "QKP", "04K", "population file"),
    ]
    assert con.execute(
        "SELECT code, successor_code, changed_on, practices FROM organisation_successors "
        "ORDER BY 1, 2"
    ).fetchall() == [
        ("QAA", "NEW01", GEOGRAPHY_2026, 2),
        ("QBB", "NEW01", GEOGRAPHY_2026, 1),
        ("QCC", "NEW01", GEOGRAPHY_2026, 1),
        ("QCC", "QKP", GEOGRAPHY_2026, 1),
        ("QKP", "QKP", GEOGRAPHY_2026, 1),
    ]
    assert [w for w in warnings if "eFIT" in w and "blank" not in w] == [
        "eFIT QBB: no indicators file",
        "eFIT indicators 2025/26: practices in the files of more than one ICB (NEW01, QKP): 1: "
        "K00001",
        "eFIT indicators NEW01: the file lists 1 practice of sub-ICB 04K (Kept ICB) whose "
        "population rows are in the files of QKP (Kept ICB): counted in QKP, not in NEW01",
        "eFIT population files of QBB (Beta ICB): QBB is not an ICB from 1 April 2026; it was "
        "one until 31 March 2026 and is now part of NEW01; its practices are counted in "
        "NEW01 (1)",
    ]
    status = read_status(db)
    assert [g.description for g in status.geographies] == [
        "from 2022-07-01 to 2026-03-31: 4 ICBs (NHS England CCG / sub-ICB to ICB lookup), "
        "4 sub-ICB locations (NHS Payments to General Practice), 6 practices (NHS Payments to "
        "General Practice)",
        "from 2026-04-01 (in force): 2 ICBs (derived from the eFIT tool's files), 5 sub-ICB "
        "locations (derived from the eFIT tool's files), 6 practices (derived from the eFIT "
        "tool's files)",
    ]


def test_the_ons_list_names_the_2026_icbs(source, build):
    write(
        source / "lookups" / "icb-april-2026-names-and-codes.csv",
        NAMES,
        [
            ["E54000901", "NEW01", "NHS New Integrated Care Board", 1],
            ["E54000902", "QKP", "NHS Kept Integrated Care Board", 2],
        ],
    )
    _, con, db = build(source)
    assert icbs(con, GEOGRAPHY_2026) == [
        ("NEW01", "E54000901", "NHS New Integrated Care Board", "New ICB", None, "icb_names"),
        ("QKP", "E54000902", OLD["QKP"], "Kept ICB", None, "icb_names"),
    ]
    # Every page reading ``icbs`` names the new ICB as it names itself.
    assert con.execute("SELECT icb_name FROM icbs WHERE icb_code = 'NEW01'").fetchall() == [
        ("NHS New Integrated Care Board",)
    ]
    assert read_status(db).geographies[1].icb_source == "icb_names"


def test_a_label_naming_another_2022_icb_than_the_payments_is_a_warning(source, build):
    path = source / "efit" / "indicator_QKP_2025-26_v1.csv"
    path.write_text(path.read_text().replace("Gamma ICB - 03C", "Delta ICB - 03C"))
    warnings, _, _ = build(source)
    assert (
        "eFIT indicators QKP: 1 practice labelled 'Delta ICB' was in QCC (Gamma ICB) in "
        "2022/23: C00002"
    ) in warnings


# --- the real files -------------------------------------------------------------------------

#: The six ICBs formed on 1 April 2026 and what they were formed from (issue 10, ODS's ICB
#: mergers 2026 change summary); Frimley (QNQ) was split among three.
MERGERS = {
    "QHG": ["S1Y5D"],
    "QUE": ["S1Y5D"],
    "QM7": ["D7T5G", "S1Y5D"],
    "QH8": ["D7T5G"],
    "QJG": ["D7T5G", "T6Y0W"],
    "QMM": ["T6Y0W"],
    "QXU": ["S9B9J"],
    "QNX": ["S9B9J"],
    "QNQ": ["QRL", "S0E4D", "S9B9J"],
    "QU9": ["S0E4D"],
    "QRV": ["Z9B2Z"],
    "QMJ": ["Z9B2Z"],
}
NEW = {
    "S1Y5D": "NHS Central East Integrated Care Board",
    "D7T5G": "NHS Essex Integrated Care Board",
    "T6Y0W": "NHS Norfolk and Suffolk Integrated Care Board",
    "S9B9J": "NHS Surrey and Sussex Integrated Care Board",
    "S0E4D": "NHS Thames Valley Integrated Care Board",
    "Z9B2Z": "NHS West and North London Integrated Care Board",
}


@pytest.fixture(scope="module")
def real(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A warehouse of the lookups, the 2022/23 payments and the eFIT files (linked, not copied)."""
    folder = tmp_path_factory.mktemp("organisations-real")
    src = folder / "src"
    (src / "nhs-payments").mkdir(parents=True)
    (src / "lookups").symlink_to(real_data_dir / "lookups")
    (src / "efit").symlink_to(real_data_dir / "efit")
    name = "nhspaymentsgp-22-23-prac-csv.csv"
    (src / "nhs-payments" / name).symlink_to(real_data_dir / "nhs-payments" / name)
    result = build_warehouse(folder / "w.duckdb", [src])
    con = duckdb.connect(str(folder / "w.duckdb"), read_only=True)
    yield result.warnings, con, real_data_dir
    con.close()


@pytest.mark.realdata
def test_the_36_current_icbs_have_their_official_names(real):
    _, con, data = real
    with (data / "lookups" / "icb-april-2026-names-and-codes.csv").open(encoding="utf-8-sig") as fh:
        official = {r["ICB26CDH"]: (r["ICB26CD"], r["ICB26NM"]) for r in csv.DictReader(fh)}
    current = {code: (ons, name) for code, ons, name, *_ in icbs(con, GEOGRAPHY_2026)}
    assert len(current) == 36 and current == official
    assert {c: current[c][1] for c in NEW} == NEW
    assert con.execute("SELECT short_name FROM organisations WHERE code = 'Z9B2Z'").fetchall() == [
        ("West and North London ICB",)
    ]
    assert len(icbs(con, GEOGRAPHY_2022)) == 42


@pytest.mark.realdata
def test_every_practice_of_the_population_files_is_in_exactly_one_current_icb(real):
    _, con, data = real
    practices: set[str] = set()
    for path in (data / "efit" / "population").glob("*_pop_*_2026-27.csv"):
        with path.open(encoding="utf-8-sig") as fh:
            practices |= {r["GP code"].strip().upper() for r in csv.DictReader(fh)}
    rows = con.execute(
        "SELECT practice_code, count(DISTINCT icb_code) FROM practice_memberships m "
        "WHERE valid_from = ? AND icb_code IN (SELECT code FROM organisations WHERE "
        "kind = 'icb' AND valid_to IS NULL) GROUP BY practice_code",
        [GEOGRAPHY_2026],
    ).fetchall()
    counted = {code: n for code, n in rows}
    assert practices <= set(counted)
    assert {counted[p] for p in practices} == {1}
    # Surrey Heartlands' population files (QXU) are Surrey and Sussex's practices.
    assert con.execute(
        "SELECT DISTINCT icb_code FROM practice_memberships WHERE valid_from = ? AND basis "
        "LIKE '%QXU%'",
        [GEOGRAPHY_2026],
    ).fetchall() == [("S9B9J",)]


@pytest.mark.realdata
def test_each_predecessor_maps_to_its_successors(real):
    _, con, _ = real
    links = con.execute(
        "SELECT code, list(successor_code ORDER BY successor_code) FROM organisation_successors "
        "GROUP BY code"
    ).fetchall()
    successors = dict(links)
    assert {c: successors[c] for c in MERGERS} == MERGERS
    kept = [c for c, s in successors.items() if c not in MERGERS]
    assert len(kept) == 30 and all(successors[c] == [c] for c in kept)


@pytest.mark.realdata
def test_the_efit_defects_are_load_warnings(real):
    warnings, _, _ = real
    assert (
        "eFIT indicators QF7 (South Yorkshire ICB): the file lists 169 practices of sub-ICB 36L "
        "(South West London ICB) whose population rows are in the files of QWE (South West "
        "London ICB): counted in QWE, not in QF7"
    ) in warnings
    assert (
        "eFIT population files of QXU (Surrey Heartlands ICB): QXU is not an ICB from 1 April "
        "2026; it was one until 31 March 2026 and is now part of S9B9J; its practices are "
        "counted in S9B9J (109)"
    ) in warnings
    [qoq] = [w for w in warnings if w.startswith("eFIT QOQ") and "population rows" in w]
    assert qoq.startswith(
        "eFIT QOQ (Humber and North Yorkshire ICB): 49 practices have population rows and no "
        "indicator row (sub-ICBs in 2022/23: 42D 49)"
    )


def test_the_ons_lsoa_lookup_gives_the_sub_icb_locations(source, build):
    write(
        source / "lookups" / "lsoa-icb-2026.csv",
        ["LSOA21CD", "SICBL26CD", "SICBL26CDH", "SICBL26NM", "ICB26CD", "ICB26CDH", "ICB26NM"],
        [
            ["E01000001", "E38000901", "01A", "NHS New ICB - 01A", "E54000901", "NEW01", "NHS New"],
            ["E01000002", "E38000902", "04K", "NHS Kept ICB - 04K", "E54000902", "QKP", "NHS Kept"],
            ["E01000003", "E38000903", "03C", "NHS New ICB - 03C", "E54000901", "NEW01", "NHS New"],
        ],
    )
    warnings, con, db = build(source)
    # The eFIT files put C00002 (labelled 03C) in QKP; the official map puts 03C in NEW01.
    assert (
        "eFIT QKP: 1 practice labelled with sub-ICB 03C, which the ONS LSOA to SICBL to ICB "
        "(April 2026) lookup places in NEW01: C00002"
    ) in warnings
    assert con.execute(
        "SELECT code, ons_code, name, icb_code, source FROM organisations "
        "WHERE kind = 'sub-icb' AND valid_from = ? ORDER BY code",
        [GEOGRAPHY_2026],
    ).fetchall() == [
        ("01A", "E38000901", "NHS New ICB - 01A", "NEW01", "lsoa_icb_lookup"),
        ("03C", "E38000903", "NHS New ICB - 03C", "NEW01", "lsoa_icb_lookup"),
        ("04K", "E38000902", "NHS Kept ICB - 04K", "QKP", "lsoa_icb_lookup"),
    ]
    geography = read_status(db).geographies[1]
    assert (geography.icb_source, geography.sub_icb_source) == (
        "lsoa_icb_lookup",
        "lsoa_icb_lookup",
    )


def test_without_the_ons_lookup_odss_list_gives_the_sub_icb_locations(source, build):
    """ODS's eccg.csv (no header row, its standard 27 columns): the locations open on 1 April
    2026 in an ICB of that day, named as ODS names them; data status says it was the source."""
    ods = import_module("tests.sources.test_ods_sub_icb")
    ods.write_ods(
        source / "lookups" / "eccg.csv",
        [
            ods.ods_row("01A", "NHS NEW ICB - 01A", "NEW01", "20130401"),
            ods.ods_row("03C", "NHS NEW ICB - 03C", "NEW01", "20130401"),
            ods.ods_row("04K", "NHS KEPT ICB - 04K", "QKP", "20130401"),
            # Closed the day before: Beta's location of 2022.
            ods.ods_row("02B", "NHS BETA ICB - 02B", "QBB", "20130401", "20260331"),
            # Not sub-ICB locations: a CCG closed long ago, a hub named otherwise, one opened
            # after the day, one in an ICB that is not current.
            ods.ods_row("05D", "NHS DELTA CCG", "QAA", "20130401", "20200331"),
            ods.ods_row("13Q", "NATIONAL COMMISSIONING HUB 1", "NEW01", "20130401"),
            ods.ods_row("06E", "NHS NEW ICB - 06E", "NEW01", "20270401"),
            ods.ods_row("07F", "NHS GAMMA ICB - 07F", "QCC", "20130401"),
        ],
    )
    warnings, con, db = build(source)
    assert con.execute(
        "SELECT code, name, icb_code, source FROM organisations "
        "WHERE kind = 'sub-icb' AND valid_from = ? ORDER BY code",
        [GEOGRAPHY_2026],
    ).fetchall() == [
        ("01A", "NHS NEW ICB - 01A", "NEW01", "ods_sub_icb"),
        ("03C", "NHS NEW ICB - 03C", "NEW01", "ods_sub_icb"),
        ("04K", "NHS KEPT ICB - 04K", "QKP", "ods_sub_icb"),
    ]
    # The eFIT files put C00002 (labelled 03C) in QKP; ODS puts 03C in NEW01.
    assert (
        "eFIT QKP: 1 practice labelled with sub-ICB 03C, which the ODS Sub ICB Locations "
        "(eccg.csv) places in NEW01: C00002"
    ) in warnings
    geography = read_status(db).geographies[1]
    assert geography.sub_icb_source == "ods_sub_icb"
    assert "3 sub-ICB locations (ODS Sub ICB Locations (eccg.csv))" in geography.description


def test_data_status_shows_the_geographies_and_the_warnings(source, build):
    _, _, db = build(source)
    runner = CliRunner()
    table = runner.invoke(app, ["data", "status", "--db", str(db)], catch_exceptions=False)
    assert table.exit_code == 0
    text = " ".join(table.stdout.split())
    assert "ICB geography from 2026-04-01 (in force): 2 ICBs (derived from the eFIT tool's " in text
    assert "warning: eFIT QBB: no indicators file" in text
    done = runner.invoke(
        app, ["data", "status", "--db", str(db), "--format", "json"], catch_exceptions=False
    )
    assert json.loads(done.stdout)["icb_geographies"] == [
        g.description for g in read_status(db).geographies
    ]


@pytest.mark.realdata
def test_without_the_ons_list_the_derived_geography_is_the_official_one(real, tmp_path):
    """The 2026 geography derived from the eFIT files alone agrees with the ONS list."""
    _, official, data = real
    src = tmp_path / "src"
    (src / "lookups").mkdir(parents=True)
    (src / "nhs-payments").mkdir()
    (src / "lookups" / "ccg-icb-lookup.csv").symlink_to(data / "lookups" / "ccg-icb-lookup.csv")
    (src / "efit").symlink_to(data / "efit")
    name = "nhspaymentsgp-22-23-prac-csv.csv"
    (src / "nhs-payments" / name).symlink_to(data / "nhs-payments" / name)
    build_warehouse(tmp_path / "w.duckdb", [src])
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as derived:
        assert [c for c, *_ in icbs(derived, GEOGRAPHY_2026)] == [
            c for c, *_ in icbs(official, GEOGRAPHY_2026)
        ]
        # The six new ICBs have no name until the ONS list is loaded; the others keep theirs.
        unnamed = [c for c, _, name, *_ in icbs(derived, GEOGRAPHY_2026) if name is None]
        assert sorted(unnamed) == sorted(NEW)
        query = (
            "SELECT practice_code, icb_code FROM practice_memberships WHERE valid_from = ? "
            "ORDER BY 1"
        )
        assert (
            derived.execute(query, [GEOGRAPHY_2026]).fetchall()
            == official.execute(query, [GEOGRAPHY_2026]).fetchall()
        )
        links = "SELECT code, successor_code FROM organisation_successors ORDER BY 1, 2"
        assert derived.execute(links).fetchall() == official.execute(links).fetchall()
        assert read_status(tmp_path / "w.duckdb").geographies[1].icb_source == "efit"


# --- the allocation's pools are the ICBs in force ---------------------------------------------


@pytest.mark.realdata
def test_the_allocation_pools_are_the_current_membership(real):
    _, con, _ = real
    icbs_now = {i.code: i for i in list_icbs(con)}
    assert len(icbs_now) == 36 and "QXU" not in icbs_now
    assert icbs_now["Z9B2Z"].name == NEW["Z9B2Z"]
    # Surrey Heartlands' practices (QXU's population files) are in Surrey and Sussex's pool.
    qxu = {
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT practice_code FROM efit_practices WHERE icb_code = 'QXU'"
        ).fetchall()
    }
    assert len(qxu) == 109 and qxu <= icb_practice_codes(con, "S9B9J")
    # South Yorkshire's indicator file lists 169 South West London practices: not its pool.
    south_yorkshire = icb_practice_codes(con, "QF7")
    south_west_london = icb_practice_codes(con, "QWE")
    assert not south_yorkshire & south_west_london
    assert not any(code.startswith("H83") for code in south_yorkshire)
    assert sum(i.practices for i in icbs_now.values()) == len(
        set().union(*(icb_practice_codes(con, c) for c in icbs_now))
    )


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("code", "successors"), [("QXU", ("S9B9J",)), ("QRV", ("Z9B2Z",)), ("QM7", ("D7T5G", "S1Y5D"))]
)
def test_an_allocation_for_a_predecessor_names_its_successors(real, code, successors):
    _, con, _ = real
    with pytest.raises(SupersededIcbError) as caught:
        find_icb(con, code)
    assert caught.value.successors == successors
    [problem] = caught.value.problems
    assert problem.field == "icb_code"
    assert all(f"({s})" in problem.message for s in successors)
    assert "1 April 2026" in problem.message
