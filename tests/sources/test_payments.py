"""NHS Payments to General Practice: the mapping, the loader's checks, and the real files."""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from gpequity.errors import LoadFailed
from gpequity.sources.base import normalise_header
from gpequity.sources.payments import BY_NAME, MONEY_KINDS, map_header, year_from_name
from gpequity.warehouse.build import build_warehouse

# The real 2018/19 header, in the publisher's order (NHS Digital, practice-level CSV).
HEADER_2018_19 = [
    "NHS England (Region) code",
    "NHS England (Region) Name",
    "CCG Code",
    "CCG NAME",
    "Practice Code",
    "Practice Name",
    "Practice Address",
    "Practice Postcode",
    "Practice Open Date",
    "Practice Close Date",
    "Contract Type",
    "Dispensing Practice",
    "Practice Type",
    "Practice Rurality",
    "Atypical Characteristics",
    "Number of Registered Patients (Last Known Figure)",
    "Number of Weighted Patients (Last Known Figure)",
    "Average payments per registered patient",
    "Average payments per weighted patient",
    "Global Sum",
    "MPIG Correction factor",
    "Balance of PMS Expenditure",
    "Total QOF Payments",
    "Childhood Vaccination and Immunisation Scheme",
    "GP Extended Hours Access",
    "Influenza and Pneumococcal Immunisations",
    "Learning Disabilities",
    "Meningitis",
    "Minor Surgery",
    "Out Of Area in Hours Urgent Care",
    "Pertussis",
    "Rotavirus and Shingles Immunisation",
    "Services for Violent Patients",
    "Total Local Incentive Schemes",
    "Premises Payments",
    "Seniority",
    "Doctors Retainer Scheme Payments",
    "Total Locum Allowances",
    "Appraisal Costs ",
    "Prolonged Study Leave",
    "PCO Admin Other",
    "Information Management and Technology",
    "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme",
    "General Practice Forward View",
    "Prescribing Fee Payments",
    "Dispensing Fee Payments",
    "Reimbursement of Drugs",
    "Other Payments",
    "Total NHS Payments to General Practice",
    "Deductions for Pensions, Levies and Prescription Charge Income",
    "Total NHS Payments to General Practice Minus Deductions",
]
FIRST_MONEY = HEADER_2018_19.index("Global Sum")


def practice_row(code: str, ccg: str = "00C", *, registered: str = "5000.5") -> list[str]:
    """One practice in the 2018/19 layout whose payment lines add up to its total."""
    row = [
        "Y63",
        "North East and Yorkshire",
        ccg,
        "NHS Darlington CCG",
        code,
        f"Test Surgery {code}",
        "1 High Street",
        "DL1 1AA",
        "01/04/1974",
        "",
        "GMS",
        "No",
        "GP Practice",
        "Urban",
        "",
        registered,
        "5200.25",
        "150.00",
        "144.23",
    ]
    lines = [f"{1000 + i}.{i % 100:02d}" for i in range(FIRST_MONEY, len(HEADER_2018_19) - 3)]
    total = sum(Decimal(v) for v in lines)
    deductions = Decimal("-100.10")
    return [*row, *lines, str(total), str(deductions), str(total + deductions)]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A folder with a small lookup and a good 2018/19 payments file."""
    folder = tmp_path / "source"
    write_csv(
        folder / "lookups" / "ccg-icb-lookup.csv",
        ["CCG Code", "ICB Code", "ICB NAME"],
        [
            ["00C", "QHM", "NHS North East and North Cumbria Integrated Care Board"],
            ["00D", "QHM", "NHS North East and North Cumbria Integrated Care Board"],
        ],
        bom=True,
    )
    write_csv(
        folder / "nhs-payments" / "nhspaymentsgp-18-19-prac-csv.csv",
        HEADER_2018_19,
        [practice_row("A81001"), practice_row("A81002", "00D"), practice_row("A81003")],
    )
    return folder


PAYMENTS = Path("nhs-payments") / "nhspaymentsgp-18-19-prac-csv.csv"


def test_year_is_read_from_the_official_file_name() -> None:
    assert year_from_name(Path("nhspaymentsgp-22-23-prac-csv.csv")) == "2022/23"
    assert year_from_name(Path("nhspaymentsgp-14-15-prac-csv.csv")) == "2014/15"
    assert year_from_name(Path("nhspaymentsgp-14-16-prac-csv.csv")) is None
    assert year_from_name(Path("payments.csv")) is None


def test_2022_23_pcn_columns_are_mapped_by_their_meaning_not_their_labels() -> None:
    header = ["CCG Code", "Sub ICB NAME", "Code", "CCG NAME", "Practice Code"]
    assert map_header(header, "2022/23") == {
        "CCG Code": "ccg_code",
        "Sub ICB NAME": "ccg_name",
        "Code": "pcn_code",
        "CCG NAME": "pcn_name",
        "Practice Code": "practice_code",
    }
    assert map_header(["CCG NAME"], "2021/22") == {"CCG NAME": "ccg_name"}


def test_header_drift_is_folded() -> None:
    mapping = map_header(
        [
            "Doctors.Retainer.Scheme.Payments",
            "Appraisal Costs ",
            "PracticeRurality",
            "winter Access Fund",
            "Brand New Line",
        ],
        "2016/17",
    )
    assert mapping == {
        "Doctors.Retainer.Scheme.Payments": "doctors_retainer_scheme",
        "Appraisal Costs ": "appraisal_costs",
        "PracticeRurality": "rurality",
        "winter Access Fund": "winter_access_fund",
        "Brand New Line": "",
    }


def test_a_good_file_loads_every_row_with_its_icb_and_lines(source: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = build_warehouse(db, [source])
    (report,) = [r for r in result.reports if r.dataset == "payments"]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 3, 0)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT practice_code, icb_code, registered_patients, global_sum, total_payments "
            "FROM payments ORDER BY 1"
        ).fetchall()
        assert rows[0] == (
            "A81001",
            "QHM",
            5000.5,
            Decimal("1019.19"),
            sum(Decimal(v) for v in practice_row("A81001")[FIRST_MONEY:-3]),
        )
        lines = con.execute(
            "SELECT count(*) FROM payment_lines WHERE practice_code = 'A81002'"
        ).fetchone()
        assert lines == (len(HEADER_2018_19) - FIRST_MONEY,)
        assert con.execute("SELECT DISTINCT period, icb_code FROM practice_icb").fetchall() == [
            ("2018/19", "QHM")
        ]


def test_an_unknown_column_is_kept_and_reported(source: Path, tmp_path: Path) -> None:
    path = source / PAYMENTS
    rows = list(csv.reader(path.open(encoding="utf-8")))
    write_csv(path, [*rows[0], "Brand New Line"], [[*r, "12.50"] for r in rows[1:]])
    db = tmp_path / "w.duckdb"
    result = build_warehouse(db, [source])
    (report,) = [r for r in result.reports if r.dataset == "payments"]
    assert any("Brand New Line" in w for w in report.warnings)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "SELECT count(*), sum(amount), bool_or(mapped) FROM payment_lines "
            "WHERE source_column = 'Brand New Line'"
        ).fetchone() == (3, Decimal("37.50"), False)


def _edit(path: Path, row: int, column: str, value: str) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[row - 1][rows[0].index(column)] = value
    write_csv(path, rows[0], rows[1:])


BAD_CELLS = [
    ("Global Sum", "12,34x", "amount '12,34x' is not a number"),
    ("Global Sum", "10.125", "more than two decimal places"),
    ("Number of Registered Patients (Last Known Figure)", "-5", "negative list size -5"),
    ("Number of Weighted Patients (Last Known Figure)", "many", "is not a number"),
    ("CCG Code", "99X", "'99X' is not in the CCG-to-ICB lookup"),
    ("Practice Code", "A81001", "practice A81001 appears more than once"),
    ("Dispensing Practice", "Maybe", "is not Yes, No or Unknown"),
]


@pytest.fixture
def existing(source: Path, tmp_path: Path) -> tuple[Path, str]:
    """A good warehouse already in place, and its checksum."""
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [source])
    return db, hashlib.sha256(db.read_bytes()).hexdigest()


def _untouched(existing: tuple[Path, str]) -> None:
    db, digest = existing
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM payments").fetchone() == (3,)
    assert [p.name for p in db.parent.iterdir() if "building" in p.name] == []


@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS)
def test_a_bad_cell_names_file_row_and_column_and_leaves_the_warehouse(
    source: Path, existing: tuple[Path, str], column: str, value: str, message: str
) -> None:
    _edit(source / PAYMENTS, 3, column, value)
    with pytest.raises(LoadFailed) as info:
        build_warehouse(existing[0], [source])
    text = str(info.value)
    assert f"{source / PAYMENTS}, row 3, column '{column}'" in text
    assert message in text
    _untouched(existing)


def test_rejected_rows_can_be_allowed_and_are_recorded(source: Path, tmp_path: Path) -> None:
    _edit(source / PAYMENTS, 2, "Global Sum", "n/a")
    db = tmp_path / "w.duckdb"
    result = build_warehouse(db, [source], allow_rejects=True)
    (report,) = [r for r in result.reports if r.dataset == "payments"]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 2, 1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT row_number, column_name FROM load_rejections").fetchall() == [
            (2, "Global Sum")
        ]
        assert con.execute(
            "SELECT rows_rejected FROM sources WHERE dataset = 'payments'"
        ).fetchone() == (1,)


def test_a_truncated_file_is_named_with_its_last_row(
    source: Path, existing: tuple[Path, str]
) -> None:
    path = source / PAYMENTS
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    with pytest.raises(LoadFailed) as info:
        build_warehouse(existing[0], [source])
    assert f"{path}, row 4:" in str(info.value)
    assert "truncated" in str(info.value)
    _untouched(existing)


def test_an_unclosed_quote_is_malformed(source: Path, existing: tuple[Path, str]) -> None:
    path = source / PAYMENTS
    path.write_text(path.read_text().replace("Test Surgery A81002", '"Test Surgery A81002'))
    with pytest.raises(LoadFailed) as info:
        build_warehouse(existing[0], [source])
    assert str(path) in str(info.value)
    assert "quoted field" in str(info.value)
    _untouched(existing)


def test_a_file_that_is_not_utf8_is_named_with_its_row(
    source: Path, existing: tuple[Path, str]
) -> None:
    path = source / PAYMENTS
    path.write_bytes(path.read_bytes().replace(b"Test Surgery A81003", b"Test Surg\xe9ry A81003"))
    with pytest.raises(LoadFailed) as info:
        build_warehouse(existing[0], [source])
    assert f"{path}, row 4: the file is not UTF-8 text" in str(info.value)
    _untouched(existing)


def test_a_missing_required_column_is_fatal(source: Path, existing: tuple[Path, str]) -> None:
    path = source / PAYMENTS
    rows = list(csv.reader(path.open(encoding="utf-8")))
    drop = rows[0].index("Number of Weighted Patients (Last Known Figure)")
    write_csv(
        path,
        [h for i, h in enumerate(rows[0]) if i != drop],
        [[v for i, v in enumerate(r) if i != drop] for r in rows[1:]],
    )
    with pytest.raises(LoadFailed) as info:
        build_warehouse(existing[0], [source])
    assert (
        f"{path}: missing required column 'Number of Weighted Patients (Last Known Figure)'"
        in str(info.value)
    )
    _untouched(existing)


def test_the_cli_exits_non_zero_with_one_clear_message(
    source: Path, existing: tuple[Path, str]
) -> None:
    _edit(source / PAYMENTS, 4, "CCG Code", "ZZZ")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gpequity",
            "data",
            "load",
            "--source",
            str(source),
            "--db",
            str(existing[0]),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "row 4, column 'CCG Code'" in done.stderr
    assert "previous warehouse is untouched" in done.stderr
    _untouched(existing)


# --- the real files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_payments(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of the real lookup and all nine real payments files."""
    folder = tmp_path_factory.mktemp("real")
    (folder / "lookups").mkdir()
    (folder / "lookups" / "ccg-icb-lookup.csv").symlink_to(
        real_data_dir / "lookups" / "ccg-icb-lookup.csv"
    )
    (folder / "nhs-payments").symlink_to(real_data_dir / "nhs-payments")
    db = folder / "w.duckdb"
    build_warehouse(db, [folder])
    return db


def _source_sums(path: Path) -> tuple[int, dict[str, Decimal], list[str]]:
    """Rows and the sum of every money column, computed from the CSV with Decimal."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    year = year_from_name(path) or ""
    mapping = map_header(header, year)
    sums = {}
    for i, raw in enumerate(header):
        canonical = mapping[raw]
        if canonical and BY_NAME[canonical].kind in MONEY_KINDS:
            sums[canonical] = sum((Decimal(r[i]) for r in rows if r[i].strip()), Decimal(0))
    return len(rows), sums, header


@pytest.mark.realdata
def test_real_files_load_every_row_and_every_pound_to_the_penny(
    real_payments: Path, real_data_dir: Path
) -> None:
    files = sorted((real_data_dir / "nhs-payments").glob("nhspaymentsgp-*-prac-csv.csv"))
    assert len(files) == 9
    with duckdb.connect(str(real_payments), read_only=True) as con:
        for path in files:
            year = year_from_name(path)
            rows, sums, header = _source_sums(path)
            loaded = con.execute(
                "SELECT rows_read, rows_loaded, rows_rejected FROM sources "
                "WHERE dataset = 'payments' AND period = ?",
                [year],
            ).fetchone()
            assert loaded == (rows, rows, 0), year
            for column, expected in sums.items():
                got = con.execute(
                    f"SELECT sum({column}) FROM payments WHERE year = ?", [year]
                ).fetchone()
                assert got == (expected,), (year, column)
                long = con.execute(
                    "SELECT sum(amount) FROM payment_lines WHERE year = ? AND payment_line = ?",
                    [year, column],
                ).fetchone()
                assert long == (expected,), (year, column)
            warnings = con.execute(
                "SELECT message FROM load_warnings WHERE path = ?", [str(path)]
            ).fetchall()
            assert warnings == [], f"{year}: every real header is in the mapping"
            assert {normalise_header(h) for h in header}


@pytest.mark.realdata
def test_real_2022_23_has_6669_practices_each_with_an_icb(real_payments: Path) -> None:
    with duckdb.connect(str(real_payments), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM payments WHERE year = '2022/23'").fetchone() == (
            6669,
        )
        assert con.execute(
            "SELECT count(*) FROM payments WHERE icb_code IS NULL OR icb_code "
            "NOT IN (SELECT icb_code FROM ccg_icb)"
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT count(DISTINCT icb_code) FROM payments WHERE year = '2022/23'"
        ).fetchone() == (42,)
        assert con.execute(
            "SELECT count(*), count(DISTINCT (practice_code, period)) FROM "
            "practice_icb WHERE source = 'payments'"
        ).fetchone() == (con.execute("SELECT count(*), count(*) FROM payments").fetchone())
        pcn = con.execute(
            "SELECT pcn_code, pcn_name, ccg_name FROM payments WHERE year = "
            "'2022/23' AND practice_code = 'A81001'"
        ).fetchone()
        assert pcn == ("U89141", "STOCKTON PCN", "NHS NORTH EAST AND NORTH CUMBRIA ICB - 16C")
