"""``gpequity payments ...`` on a small warehouse built from files in the official layouts.

The fixture is 16 practices in 2022/23 (the real 2022/23 header) and 10 of them in 2020/21 (the
real 2020/21 header, which has no "including Covid and PCN" total), with IMD 2019 scores in the
layout of ``practice-imd-93553.csv``. Every expected figure below was worked out by hand from the
rows in ``PRACTICES``; the JSON is compared exactly, keys in order.

Scores were chosen so that the quintiles do not depend on whether practices without patients
take part in the ranking: the 15 practices with a score cut into fifths of three, each holding
two practices with patients and one without (A8101x), so the groups hold the same practices as
fifths of the 10 with patients would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from typer.testing import CliRunner

from gpequity.analysis.payments import UnknownYear
from gpequity.charts import UnknownChart, UnsupportedChartFile
from gpequity.cli import app
from gpequity.intervals import MEANING, SEED
from gpequity.intervals import METHOD as METHOD_OF_INTERVALS
from gpequity.sources.demo import PAYMENTS_HEADERS
from gpequity.warehouse.build import build_warehouse

# The official headers, as the demo generator writes them (its constants are checked against the
# real files in tests/sources/demo/test_files.py).
HEADER_2022_23 = list(PAYMENTS_HEADERS["2022/23"])
HEADER_2020_21 = list(PAYMENTS_HEADERS["2020/21"])


TOTAL_COVID_2022_23 = (
    "Total NHS Payments to General Practice including covid vaccination, covid support and "
    "long covid payments"
)
TOTAL_COVID_2020_21 = (
    "Total NHS Payments including covid vaccination and covid support and expansion payments"
)
TOTAL_COVID_PCN = "Total NHS Payments to General Practice including Covid and PCN payments"
TOTAL_COVID_PCN_MINUS = f"{TOTAL_COVID_PCN} minus deductions"
for _name in (TOTAL_COVID_2022_23, TOTAL_COVID_PCN, TOTAL_COVID_PCN_MINUS):
    assert _name in HEADER_2022_23
assert TOTAL_COVID_2020_21 in HEADER_2020_21

LOOKUP = (
    "\ufeffCCG Code,ICB Code,ICB NAME\n"
    "00C,QHM,NHS North East and North Cumbria Integrated Care Board\n"
    "99E,QH8,NHS Mid and South Essex Integrated Care Board\n"
)


class Practice(NamedTuple):
    code: str
    score: float | None
    dispensing: str
    rurality: str
    contract: str
    ccg: str
    registered: int
    weighted: int
    global_sum: int
    drugs: int
    dispensing_fee: int
    prescribing_fee: int
    pcn_workforce: int
    covid: int

    @property
    def total(self) -> int:
        return self.global_sum + self.drugs + self.dispensing_fee + self.prescribing_fee


# fmt: off
PRACTICES = [
    Practice("A81001", 8.0, "Yes", "Rural", "GMS", "00C", 1000, 1200, 100000, 30000, 10000, 0, 5000, 2000),  # noqa: E501
    Practice("A81011", 9.0, "Unknown", "Urban", "GMS", "00C", 0, 0, 1000, 0, 0, 0, 0, 0),
    Practice("A81002", 10.0, "No", "Urban", "GMS", "00C", 2000, 2000, 200000, 0, 0, 1000, 8000, 3000),  # noqa: E501
    Practice("F81003", 15.0, "Yes", "Rural", "PMS", "99E", 1500, 1500, 150000, 15000, 5000, 0, 6000, 1000),  # noqa: E501
    Practice("A81012", 17.0, "Unknown", "Urban", "GMS", "00C", 0, 0, 1000, 0, 0, 0, 0, 0),
    Practice("F81004", 20.0, "No", "Urban", "APMS", "99E", 3000, 2800, 280000, 0, 0, 500, 9000, 2000),  # noqa: E501
    Practice("A81005", 25.0, "No", "Urban", "GMS", "00C", 2500, 2500, 240000, 0, 0, 800, 7000, 1500),  # noqa: E501
    Practice("A81013", 27.0, "Unknown", "Urban", "GMS", "00C", 0, 0, 1000, 0, 0, 0, 0, 0),
    Practice("A81006", 30.0, "Unknown", "Urban", "PMS", "00C", 1000, 1000, 95000, 0, 0, 0, 3000, 500),  # noqa: E501
    Practice("F81007", 35.0, "No", "Urban", "GMS", "99E", 2000, 2200, 230000, 0, 0, 600, 8000, 2500),  # noqa: E501
    Practice("A81014", 37.0, "Unknown", "Urban", "GMS", "00C", 0, 0, 1000, 0, 0, 0, 0, 0),
    Practice("F81008", 40.0, "Yes", "Rural", "GMS", "99E", 800, 900, 90000, 10000, 3000, 0, 2000, 800),  # noqa: E501
    Practice("A81009", 45.0, "No", "Urban", "GMS", "00C", 4000, 4400, 450000, 0, 0, 900, 12000, 4000),  # noqa: E501
    Practice("A81015", 47.0, "Unknown", "Urban", "GMS", "00C", 0, 0, 1000, 0, 0, 0, 0, 0),
    Practice("F81010", 50.0, "No", "Urban", "APMS", "99E", 3000, 3300, 330000, 0, 0, 700, 10000, 3000),  # noqa: E501
    Practice("A81016", None, "No", "Urban", "GMS", "00C", 500, 500, 50000, 0, 0, 0, 0, 0),
]
# fmt: on
#: 2020/21: the ten practices with patients and a score, every amount nine tenths of 2022/23's.
PRACTICES_2020_21 = [p for p in PRACTICES if p.registered and p.score is not None]
#: Deductions of a practice with patients (pensions, levies, prescription charges).
DEDUCTIONS = 1000


def _money(value: int) -> str:
    return f"{Decimal(value):.2f}"


def _row(header: list[str], p: Practice, scale: Decimal) -> list[str]:
    def m(value: int) -> int:
        return int(Decimal(value) * scale)

    total = m(p.global_sum) + m(p.drugs) + m(p.dispensing_fee) + m(p.prescribing_fee)
    covid, pcn = m(p.covid), m(p.pcn_workforce)
    deductions = DEDUCTIONS if p.registered else 0

    def average(amount: int, patients: int) -> str:
        return f"{Decimal(amount) / patients:.2f}" if patients else "N/A"

    values = {
        "NHS England (Region) code": "Y63",
        "NHS England (Region) Name": "NORTH EAST AND YORKSHIRE",
        "CCG Code": p.ccg,
        "Sub ICB NAME": f"SUB ICB {p.ccg}",
        "CCG NAME": "THE PCN" if "Sub ICB NAME" in header else f"CCG {p.ccg}",
        "Code": "U00001",
        "PCN Code": "U00001",
        "PCN Name": "THE PCN",
        "Practice Code": p.code,
        "Practice Name": f"PRACTICE {p.code}",
        "Practice Postcode": "TS18 1HU",
        "Practice Open Date": "01/04/1974",
        "Contract Type": p.contract,
        "Dispensing Practice": p.dispensing,
        "Practice type": "GP practice",
        "Practice Rurality": p.rurality,
        "Number of Registered Patients (Last Known Figure)": str(p.registered),
        "Number of Weighted Patients (Last Known Figure)": str(p.weighted),
        "Average payments per registered patient": average(total, p.registered),
        "Average payments per weighted patient": average(total, p.weighted),
        "Global Sum": _money(m(p.global_sum)),
        "Reimbursement of Drugs": _money(m(p.drugs)),
        "Dispensing Fee Payments": _money(m(p.dispensing_fee)),
        "Prescribing Fee Payments": _money(m(p.prescribing_fee)),
        "PCN Workforce": _money(pcn),
        "Covid Immunisation": _money(covid),
        "Total NHS Payments to General Practice": _money(total),
        "Deductions for Pensions, Levies and Prescription Charge Income": _money(-deductions),
        "Total NHS Payments to General Practice Minus Deductions": _money(total - deductions),
        TOTAL_COVID_2022_23: _money(total + covid),
        TOTAL_COVID_2020_21: _money(total + covid),
        "Total NHS Payments including PCN Workforce, Leadership and Support": _money(total + pcn),
        TOTAL_COVID_PCN: _money(total + covid + pcn),
        TOTAL_COVID_PCN_MINUS: _money(total + covid + pcn - deductions),
    }
    text = {"Practice Address", "Practice Close Date", "Atypical characteristics"}
    return [values.get(h, "" if h in text or h.startswith("Average") else "0.00") for h in header]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_fixture_files(folder: Path) -> Path:
    """The small official-layout files: lookup, two payments years, IMD 2019 scores."""
    (folder / "lookups").mkdir(parents=True)
    (folder / "lookups" / "ccg-icb-lookup.csv").write_text(LOOKUP, encoding="utf-8")
    _write_csv(
        folder / "nhs-payments" / "nhspaymentsgp-22-23-prac-csv.csv",
        HEADER_2022_23,
        [_row(HEADER_2022_23, p, Decimal(1)) for p in PRACTICES],
    )
    _write_csv(
        folder / "nhs-payments" / "nhspaymentsgp-20-21-prac-csv.csv",
        HEADER_2020_21,
        [_row(HEADER_2020_21, p, Decimal("0.9")) for p in PRACTICES_2020_21],
    )
    _write_csv(
        folder / "deprivation" / "practice-imd-93553.csv",
        ["IndicatorID", "Year", "AreaCode", "AreaName", "IsAreaCurrent", "Value"],
        [
            ["93553", "2019", p.code, f"Practice {p.code}", "1", str(p.score)]
            for p in PRACTICES
            if p.score is not None
        ],
    )
    return folder


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("payments-cli")
    path = tmp / "gpequity.duckdb"
    build_warehouse(path, [write_fixture_files(tmp / "files")])
    return path


runner = CliRunner()


def invoke(db: Path, *args: str) -> Any:
    result = runner.invoke(app, ["payments", *args, "--db", str(db)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result


def run_json(db: Path, *args: str) -> Any:
    return json.loads(invoke(db, *args, "--format", "json").stdout)


# ---------------------------------------------------------------------------------------------
# Exact JSON

NO_IMD = "no practice IMD score for the year (OHID Fingertips indicator 93553)"
ZERO = "no registered or no weighted patients, so no per-patient figure"
METHOD = {
    "per_patient": "Per-patient figures are ratios of sums: a group's total payments divided "
    "by its total registered (or weighted) patients, not the mean of each practice's own "
    "figure.",
    "groups": "Practices are ranked nationally by the IMD score of their registered population "
    "in that year and cut into groups of equal numbers of practices: Q1 is the least deprived "
    "fifth, Q5 the most deprived. Only the practices with a score and registered and weighted "
    "patients are ranked; practices with the same score are split by practice code.",
    "gap_q1_minus_q5": "Q1 (least deprived) minus Q5 (most deprived), pounds per weighted patient.",
    "slope_index": "Slope index of inequality: population-weighted regression of each "
    "practice's payments per weighted patient on its fractional rank by deprivation (0 = "
    "most, 1 = least deprived); pounds per weighted patient, positive when the least deprived "
    "receive more (as the gap Q1 minus Q5 is).",
    "concentration_index": "Concentration index of payments across weighted patients ranked "
    "by deprivation: negative when money concentrates in deprived practices, positive when in "
    "affluent ones.",
}


#: Said by every analysis by deprivation: the ten practices with a score and patients are the
#: ones ranked (the five without patients and A81016, with no score, are not).
RANKED = (
    "Quintiles are formed among the 10 practices with an IMD score for the year and registered "
    "and weighted patients, ranked by IMD score within the year; practices with the same score "
    "are split by practice code."
)
WITHIN_DISPENSING = (
    "The gap Q1 minus Q5 compares the national fifths; the slope index of inequality and the "
    "concentration index rank the practices of each dispensing status among themselves, so the "
    "two can differ in sign. All three are positive when the least deprived receive more and "
    "negative when the most deprived do."
)


def group(
    quintile: int, practices: int, registered: float, weighted: float, payments: float,
    per_registered: float, per_weighted: float, **by: str,
) -> dict[str, Any]:  # fmt: skip
    labels = {1: "Q1 (least deprived)", 5: "Q5 (most deprived)"}
    return {
        **by,
        "quintile": quintile,
        "label": labels.get(quintile, f"Q{quintile}"),
        "practices": practices,
        "registered_patients": registered,
        "weighted_patients": weighted,
        "payments": payments,
        "per_registered_patient": per_registered,
        "per_weighted_patient": per_weighted,
    }


def assert_exact(actual: Any, expected: Any) -> None:
    assert actual == expected
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_exact(actual[key], expected[key])
    elif isinstance(expected, list):
        for a, e in zip(actual, expected, strict=True):
            assert_exact(a, e)


INTERVAL_FIELDS = ("gap_q1_minus_q5_ci", "slope_index_ci", "concentration_index_ci")


def _check_interval(found: Any) -> None:
    assert found is None or (set(found) == {"lower", "upper"} and found["lower"] <= found["upper"])


def without_intervals(out: dict[str, Any]) -> dict[str, Any]:
    """The JSON without its confidence intervals, once they are checked to be there and well
    formed (their values are tested in tests/test_intervals.py and on the real data)."""
    assert out.pop("confidence_intervals") == {
        "level": 0.95,
        "resamples": 2000,
        "seed": SEED,
        "method": METHOD_OF_INTERVALS,
        "meaning": MEANING,
    }
    for name in INTERVAL_FIELDS:
        found = out.pop(name)
        if "by" in out:
            assert set(found) == set(out["slope_index"])
            for one in found.values():
                _check_interval(one)
        else:
            _check_interval(found)
    for group in out["groups"]:
        _check_interval(group.pop("per_weighted_patient_ci"))
    return out


def test_summary_json(db: Path) -> None:
    assert_exact(
        run_json(db, "summary", "--year", "2022/23"),
        {
            "year": "2022/23",
            "practices": 16,
            "registered_patients": 21300.0,
            "weighted_patients": 22300.0,
            "total_payments": 2297500.0,
            "total_payments_incl_covid": 2317800.0,
            "total_payments_incl_covid_pcn": 2387800.0,
            "total_payments_minus_deductions": 2286500.0,
            "prescribing_dispensing_payments": 77500.0,
            "by_dispensing_status": {
                "Yes": {
                    "practices": 3,
                    "registered_patients": 3300.0,
                    "total_payments": 413000.0,
                    "prescribing_dispensing_payments": 73000.0,
                },
                "No": {
                    "practices": 7,
                    "registered_patients": 17000.0,
                    "total_payments": 1784500.0,
                    "prescribing_dispensing_payments": 4500.0,
                },
                "Unknown": {
                    "practices": 6,
                    "registered_patients": 1000.0,
                    "total_payments": 100000.0,
                    "prescribing_dispensing_payments": 0.0,
                },
            },
            "notes": [],
        },
    )


def test_summary_of_2020_21_derives_the_total_with_covid_and_pcn_and_says_so(db: Path) -> None:
    out = run_json(db, "summary", "--year", "20-21")
    assert out["year"] == "2020/21"
    # Nine tenths of the ten practices' totals plus their COVID and PCN lines.
    assert out["total_payments_incl_covid_pcn"] == 2099520.0
    assert len(out["notes"]) == 1 and "derived" in out["notes"][0]


def test_by_deprivation_json(db: Path) -> None:
    assert_exact(
        without_intervals(run_json(db, "by-deprivation", "--year", "2022-23")),
        {
            "year": "2022/23",
            "total": "core",
            "exclude_prescribing": False,
            "groups": [
                group(1, 2, 3000.0, 3200.0, 341000.0, 113.67, 106.56),
                group(2, 2, 4500.0, 4300.0, 450500.0, 100.11, 104.77),
                group(3, 2, 3500.0, 3500.0, 335800.0, 95.94, 95.94),
                group(4, 2, 2800.0, 3100.0, 333600.0, 119.14, 107.61),
                group(5, 2, 7000.0, 7700.0, 781600.0, 111.66, 101.51),
            ],
            "gap_q1_minus_q5": 5.06,
            "slope_index": 5.67,
            "concentration_index": 0.009,
            "excluded": {
                "no_imd_score": {
                    "practices": 1,
                    "registered_patients": 500.0,
                    "payments": 50000.0,
                    "reason": NO_IMD,
                },
                "zero_patients": {
                    "practices": 5,
                    "registered_patients": 0.0,
                    "payments": 5000.0,
                    "reason": ZERO,
                },
            },
            "method": METHOD,
            "notes": [RANKED],
        },
    )


def test_by_deprivation_by_dispensing_json(db: Path) -> None:
    assert_exact(
        without_intervals(run_json(db, "by-deprivation", "--year", "22-23", "--by", "dispensing")),
        {
            "year": "2022/23",
            "total": "core",
            "by": "dispensing",
            "exclude_prescribing": False,
            "groups": [
                group(1, 1, 2000.0, 2000.0, 201000.0, 100.5, 100.5, dispensing="No"),
                group(2, 1, 3000.0, 2800.0, 280500.0, 93.5, 100.18, dispensing="No"),
                group(3, 1, 2500.0, 2500.0, 240800.0, 96.32, 96.32, dispensing="No"),
                group(4, 1, 2000.0, 2200.0, 230600.0, 115.3, 104.82, dispensing="No"),
                group(5, 2, 7000.0, 7700.0, 781600.0, 111.66, 101.51, dispensing="No"),
                group(1, 1, 1000.0, 1200.0, 140000.0, 140.0, 116.67, dispensing="Yes"),
                group(2, 1, 1500.0, 1500.0, 170000.0, 113.33, 113.33, dispensing="Yes"),
                group(4, 1, 800.0, 900.0, 103000.0, 128.75, 114.44, dispensing="Yes"),
            ],
            # No dispensing practice is in Q5, so there is no gap to give for them.
            "gap_q1_minus_q5": {"No": -1.01, "Yes": None},
            "slope_index": {"No": -2.09, "Yes": 3.65},
            "concentration_index": {"No": -0.0033, "Yes": 0.0046},
            "excluded": {
                "no_imd_score": {
                    "practices": 1,
                    "registered_patients": 500.0,
                    "payments": 50000.0,
                    "reason": NO_IMD,
                },
                "zero_patients": {
                    "practices": 5,
                    "registered_patients": 0.0,
                    "payments": 5000.0,
                    "reason": ZERO,
                },
                "unknown_dispensing": {
                    "practices": 1,
                    "registered_patients": 1000.0,
                    "payments": 95000.0,
                    "reason": "dispensing status unknown, so it cannot be split by it",
                },
            },
            "method": METHOD,
            "notes": [RANKED, WITHIN_DISPENSING],
        },
    )


def test_by_deprivation_excluding_prescribing(db: Path) -> None:
    out = run_json(db, "by-deprivation", "--exclude-prescribing")
    assert out["year"] == "2022/23"  # the latest loaded
    assert out["exclude_prescribing"] is True
    assert [g["payments"] for g in out["groups"]] == [
        300000.0,
        430000.0,
        335000.0,
        320000.0,
        780000.0,
    ]
    assert [g["per_weighted_patient"] for g in out["groups"]] == [
        93.75,
        100.0,
        95.71,
        103.23,
        101.3,
    ]
    assert out["gap_q1_minus_q5"] == -7.55
    assert out["slope_index"] == -7.6
    assert out["concentration_index"] == -0.0125
    assert out["notes"] == [
        "Payments exclude the prescribing- and dispensing-related lines (Prescribing Fee "
        "Payments, Dispensing Fee Payments, Reimbursement of Drugs); a blank line is no payment.",
        RANKED,
    ]


def test_by_deprivation_other_breakdowns_and_deciles(db: Path) -> None:
    rurality = run_json(db, "by-deprivation", "--by", "rurality")
    assert [(g["rurality"], g["quintile"]) for g in rurality["groups"]] == [
        ("Rural", 1),
        ("Rural", 2),
        ("Rural", 4),
        ("Urban", 1),
        ("Urban", 2),
        ("Urban", 3),
        ("Urban", 4),
        ("Urban", 5),
    ]
    assert rurality["excluded"]["unknown_rurality"]["practices"] == 0
    icb = run_json(db, "by-deprivation", "--by", "icb")
    assert sorted(icb["gap_q1_minus_q5"]) == ["QH8", "QHM"]
    contract = run_json(db, "by-deprivation", "--by", "contract", "--total", "incl_covid")
    assert contract["total"] == "incl_covid"
    assert {g["contract"] for g in contract["groups"]} == {"APMS", "GMS", "PMS"}
    deciles = run_json(db, "by-deprivation", "--deciles")
    assert "quintile" not in deciles["groups"][0]
    # Ranked among the ten practices with a score and patients only: one in each tenth.
    assert [g["decile"] for g in deciles["groups"]] == list(range(1, 11))
    assert deciles["notes"] == [RANKED.replace("Quintiles", "Deciles")]
    assert deciles["groups"][0]["label"] == "D1 (least deprived)"
    assert deciles["gap_q1_minus_q5"] == 5.06
    # D1 is A81001 alone (with patients), D10 F81010: 140000/1200 - 330700/3300.
    assert deciles["gap_d1_minus_d10"] == 16.45


def test_trend_json(db: Path) -> None:
    out = run_json(db, "trend")
    imd = [year.pop("imd") for year in out["years"]]
    assert all(methods and all(isinstance(m, str) for m in methods) for methods in imd)
    no_exclusions = {
        "no_imd_score": {
            "practices": 0,
            "registered_patients": 0.0,
            "payments": 0.0,
            "reason": NO_IMD,
        },
        "zero_patients": {
            "practices": 0,
            "registered_patients": 0.0,
            "payments": 0.0,
            "reason": ZERO,
        },
    }
    assert_exact(
        out,
        {
            "total": "core",
            "exclude_prescribing": False,
            "dispensing": "all",
            "years": [
                {
                    "year": "2020/21",
                    "groups": [
                        group(1, 2, 3000.0, 3200.0, 306900.0, 102.3, 95.91),
                        group(2, 2, 4500.0, 4300.0, 405450.0, 90.1, 94.29),
                        group(3, 2, 3500.0, 3500.0, 302220.0, 86.35, 86.35),
                        group(4, 2, 2800.0, 3100.0, 300240.0, 107.23, 96.85),
                        group(5, 2, 7000.0, 7700.0, 703440.0, 100.49, 91.36),
                    ],
                    "gap_q1_minus_q5": 4.55,
                    "excluded": no_exclusions,
                },
                {
                    "year": "2022/23",
                    "groups": [
                        group(1, 2, 3000.0, 3200.0, 341000.0, 113.67, 106.56),
                        group(2, 2, 4500.0, 4300.0, 450500.0, 100.11, 104.77),
                        group(3, 2, 3500.0, 3500.0, 335800.0, 95.94, 95.94),
                        group(4, 2, 2800.0, 3100.0, 333600.0, 119.14, 107.61),
                        group(5, 2, 7000.0, 7700.0, 781600.0, 111.66, 101.51),
                    ],
                    "gap_q1_minus_q5": 5.06,
                    "excluded": {
                        "no_imd_score": {
                            "practices": 1,
                            "registered_patients": 500.0,
                            "payments": 50000.0,
                            "reason": NO_IMD,
                        },
                        "zero_patients": {
                            "practices": 5,
                            "registered_patients": 0.0,
                            "payments": 5000.0,
                            "reason": ZERO,
                        },
                    },
                },
            ],
            "skipped_years": [],
            "method": {"per_patient": METHOD["per_patient"], "groups": METHOD["groups"]},
            "notes": [],
        },
    )


def test_trend_of_a_total_some_years_lack(db: Path) -> None:
    covid = run_json(db, "trend", "--total", "incl_covid_pcn", "--dispensing", "no")
    assert [y["year"] for y in covid["years"]] == ["2020/21", "2022/23"]
    assert covid["dispensing"] == "no"
    assert any("2020/21 publishes no total" in note for note in covid["notes"])
    no = covid["years"][1]["groups"]
    assert [g["practices"] for g in no] == [1, 1, 1, 1, 2]


# ---------------------------------------------------------------------------------------------
# Table and CSV


def test_by_deprivation_csv(db: Path) -> None:
    pytest.importorskip("gpequity.exports")
    # The raw bytes: the CLI runner's ``stdout`` would fold the CSV's CRLF line ends.
    out = invoke(db, "by-deprivation", "--format", "csv").stdout_bytes.decode()
    # Each fifth has two practices, so a quarter of the resamples draw one of them twice, a
    # quarter the other: the middle 95% runs from one practice's £ per weighted patient to the
    # other's (Q1: A81002 £201,000 / 2,000 = £100.50 and A81001 £140,000 / 1,200 = £116.67).
    assert out == (
        "quintile,label,practices,registered_patients,weighted_patients,payments,"
        "per_registered_patient,per_weighted_patient,per_weighted_patient_ci_lower,"
        "per_weighted_patient_ci_upper\r\n"
        "1,Q1 (least deprived),2,3000.0,3200.0,341000.00,113.67,106.56,100.5,116.67\r\n"
        "2,Q2,2,4500.0,4300.0,450500.00,100.11,104.77,100.18,113.33\r\n"
        "3,Q3,2,3500.0,3500.0,335800.00,95.94,95.94,95.0,96.32\r\n"
        "4,Q4,2,2800.0,3100.0,333600.00,119.14,107.61,104.82,114.44\r\n"
        "5,Q5 (most deprived),2,7000.0,7700.0,781600.00,111.66,101.51,100.21,102.48\r\n"
    )


def test_by_deprivation_by_icb_csv_leads_with_the_group(db: Path) -> None:
    pytest.importorskip("gpequity.exports")
    lines = invoke(db, "by-deprivation", "--by", "icb", "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("icb,icb_name,quintile,label,")
    # QH8 holds both Q2 practices (F81003, F81004), so its Q2 is the whole of Q2.
    assert lines[1] == (
        "QH8,NHS Mid and South Essex Integrated Care Board,2,Q2,2,4500.0,4300.0,450500.00,"
        "100.11,104.77,100.18,113.33"
    )


def test_summary_csv_and_table(db: Path) -> None:
    pytest.importorskip("gpequity.exports")
    csv_lines = invoke(db, "summary", "--format", "csv").stdout.splitlines()
    assert csv_lines[1] == (
        "2022/23,All,16,21300.0,22300.0,2297500.00,2317800.00,2387800.00,2286500.00,77500.00"
    )
    assert csv_lines[2] == "2022/23,Yes,3,3300.0,,413000.00,,,,73000.00"
    table = invoke(db, "summary").stdout
    assert "£2,297,500.00" in table and "By dispensing status" in table


def test_by_deprivation_table_says_how_it_is_calculated(db: Path) -> None:
    out = runner.invoke(
        app, ["payments", "by-deprivation", "--db", str(db)], env={"COLUMNS": "200"}
    ).stdout
    assert "Q1 (least deprived)" in out and "Q5 (most deprived)" in out
    assert "ratios of sums" in out
    assert "gap Q1 (least deprived) minus Q5 (most deprived) £5.06 (95% CI " in out
    assert "95% confidence interval shows how much a figure could change" in out
    assert "Excluded (no_imd_score): 1 practices" in out
    trend = runner.invoke(app, ["payments", "trend", "--db", str(db)], env={"COLUMNS": "200"})
    assert "2022/23: gap Q1 minus Q5 £5.06 per weighted patient" in trend.stdout


# ---------------------------------------------------------------------------------------------
# Errors and charts


@pytest.mark.parametrize("year", ["2031/32", "2021/22", "twenty"])
def test_an_unknown_year_is_one_line_listing_the_loaded_years(db: Path, year: str) -> None:
    result = runner.invoke(app, ["payments", "summary", "--year", year, "--db", str(db)])
    assert isinstance(result.exception, UnknownYear)
    message = str(result.exception)
    assert "\n" not in message
    assert message.endswith("; loaded years: 2020/21, 2022/23")


def test_the_command_prints_the_error_on_one_line_and_exits_1(db: Path) -> None:
    env = {**os.environ, "COLUMNS": "300"}
    done = subprocess.run(
        [sys.executable, "-m", "gpequity", "payments", "by-deprivation", "--year", "2019/20",
         "--db", str(db)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: year 2019/20 is not loaded; loaded years: 2020/21, 2022/23"
    ]
    assert done.stdout == ""


@pytest.mark.parametrize(
    "name", ["dispensing-split", "dispensing-distribution", "trend", "payment-lines"]
)
def test_chart_command_writes_svg_and_png(db: Path, tmp_path: Path, name: str) -> None:
    svg = tmp_path / f"{name}.svg"
    out = invoke(db, "chart", name, "--year", "2022/23", "--out", str(svg)).stdout
    assert svg.read_text().startswith('<svg role="img"')
    assert f"Wrote {svg}" in out
    png = tmp_path / f"{name}.png"
    data = run_json(db, "chart", name, "--out", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert data["chart"] == name and data["file"] == str(png)
    assert data["reading"].endswith(".") and data["data"]


def test_chart_reading_on_the_fixture(db: Path, tmp_path: Path) -> None:
    data = run_json(db, "chart", "dispensing-split", "--out", str(tmp_path / "c.svg"))
    # Two practices a fifth (one of each status in Q1, two non-dispensing in Q5): the gap's
    # 2.5th and 97.5th percentiles are its extremes, each drawn in 1/16 of the resamples:
    # Q1 £100.50 - Q5 £102.48 = -£1.98 and Q1 £116.67 - Q5 £100.21 = £16.45; among
    # non-dispensing practices Q1 is the one practice's £100.50: -£1.98 to £0.29.
    assert data["reading"] == (
        "In 2022/23 the least deprived fifth of practices received £106.56 per weighted patient "
        "and the most deprived fifth £101.51, a gap of £5.06 (95% CI \u2212£1.98 to £16.45); "
        "among non-dispensing practices the gap is \u2212£1.01 (95% CI \u2212£1.98 to £0.29). "
        "The black lines on the bars are 95% confidence intervals."
    )
    assert data["data"][:3] == [
        {
            "quintile": "Q1 (least deprived)",
            "series": "All practices",
            "practices": 2,
            "per_weighted_patient": 106.56,
            "ci_lower": 100.5,
            "ci_upper": 116.67,
        },
        {
            "quintile": "Q1 (least deprived)",
            "series": "Dispensing",
            "practices": 1,
            "per_weighted_patient": 116.67,
            "ci_lower": 116.67,
            "ci_upper": 116.67,
        },
        {
            "quintile": "Q1 (least deprived)",
            "series": "Non-dispensing",
            "practices": 1,
            "per_weighted_patient": 100.5,
            "ci_lower": 100.5,
            "ci_upper": 100.5,
        },
    ]


def test_chart_errors(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["payments", "chart", "pie", "--out", str(tmp_path / "x.svg"), "--db", str(db)]
    )
    assert isinstance(result.exception, UnknownChart)
    assert "charts: dispensing-split, dispensing-distribution, trend, payment-lines" in str(
        result.exception
    )
    result = runner.invoke(
        app, ["payments", "chart", "trend", "--out", str(tmp_path / "x.pdf"), "--db", str(db)]
    )
    assert isinstance(result.exception, UnsupportedChartFile)
    assert not (tmp_path / "x.pdf").exists()


def test_a_chart_into_a_missing_folder_is_one_line_not_a_traceback(
    db: Path, tmp_path: Path
) -> None:
    """``--out /missing/dir/x.svg`` printed a FileNotFoundError traceback (issue 13)."""
    out = tmp_path / "missing" / "dir" / "x.svg"
    done = subprocess.run(
        [sys.executable, "-m", "gpequity", "payments", "chart", "trend", "--out", str(out),
         "--db", str(db)],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"}, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: --out {out}: the folder {out.parent} does not exist; create it first."
    ]
    assert not out.parent.exists()


def test_an_os_error_of_any_command_is_one_line(tmp_path: Path) -> None:
    """The last guard of ``main``: an OSError a command did not foresee (no permission, a full
    disk) is one ``error:`` line naming the file."""
    from gpequity.errors import os_error_message

    error = PermissionError(13, "Permission denied", str(tmp_path / "w.duckdb"))
    assert os_error_message(error) == f"{tmp_path / 'w.duckdb'}: Permission denied."
    assert os_error_message(OSError(28, "No space left on device")) == "No space left on device."
