"""NHS Payments to General Practice: totals to the penny, the files' number format, realism."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from gpequity.sources import demo
from gpequity.sources.demo import payments

from .conftest import PAYMENT_FILES, REGISTERED, WEIGHTED, imd_2019, read

PENNY = Decimal("0.01")
TOTAL = "Total NHS Payments to General Practice"
DEDUCTIONS = "Deductions for Pensions, Levies and Prescription Charge Income"


def pence(value: str) -> int:
    return int(Decimal(value or "0") * 100)


@pytest.mark.parametrize("year", list(PAYMENT_FILES))
def test_totals_equal_the_sum_of_their_parts_to_the_penny(out: Path, year: str) -> None:
    header, rows = read(out / PAYMENT_FILES[year])
    lines = header[header.index("Global Sum") : header.index(TOTAL)]
    after = header[header.index(TOTAL) :]
    pcn = [c for c in after if c.startswith("PCN ")]
    covid = [
        c for c in after if c in ("Covid Immunisation", "Covid Support and Expansion", "Long Covid")
    ]
    with_covid = next(c for c in after if c.startswith("Total NHS") and "covid vaccination" in c)
    with_pcn = "Total NHS Payments including PCN Workforce, Leadership and Support"
    assert len(pcn) >= 6 and len(covid) >= 2
    for row in rows:
        total = pence(row[TOTAL])
        assert total == sum(pence(row[c]) for c in lines), row["Practice Code"]
        assert pence(row[f"{TOTAL} Minus Deductions"]) == total + pence(row[DEDUCTIONS])
        covid_pence = sum(pence(row[c]) for c in covid)
        pcn_pence = sum(pence(row[c]) for c in pcn)
        assert pence(row[with_covid]) == total + covid_pence
        assert pence(row[with_pcn]) == total + pcn_pence
        if year != "2020/21":
            both = pence(row[f"{TOTAL} including Covid and PCN payments"])
            assert both == total + covid_pence + pcn_pence
            minus = pence(row[f"{TOTAL} including Covid and PCN payments minus deductions"])
            assert minus == both + pence(row[DEDUCTIONS])
        amounts = {"": total, "PCN": total + pcn_pence, "covid": total + covid_pence}
        for column in header:
            if not column.startswith("Average payments per"):
                continue
            which = "covid" if "covid" in column else "PCN" if "PCN" in column else ""
            patients = row[REGISTERED] if "registered" in column else row[WEIGHTED]
            average = (Decimal(amounts[which]) / 100 / Decimal(patients)).quantize(
                PENNY, ROUND_HALF_UP
            )
            assert Decimal(row[column]) == average, (row["Practice Code"], column)


@pytest.mark.parametrize("year", list(PAYMENT_FILES))
def test_numbers_are_written_as_the_real_files_write_them(out: Path, year: str) -> None:
    header, rows = read(out / PAYMENT_FILES[year])
    money = header[header.index("Global Sum") :]
    for row in rows:
        for column in money:
            # Pounds with at most two decimals and no trailing zeros: 2240, 25270.8, -0.06.
            assert re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]?[1-9])?", row[column]), row[column]
        # Registered patients are a quarterly average, so quarters.
        assert Decimal(row[REGISTERED]) * 4 % 1 == 0
        assert re.fullmatch(r"[A-Z]\d{5}|Y0\d{4}", row["Practice Code"])
        assert re.fullmatch(r"[A-Z]{1,2}\d{1,2} {1,3}\d[A-Z]{2}", row["Practice Postcode"])
        assert len(row["Practice Postcode"]) == 8
        assert "SYNTHETIC" in row["Practice Name"]
        assert row["Contract Type"] in ("GMS", "PMS", "APMS")
        assert row["Practice Rurality"] in ("Urban", "Rural")
        assert row["Dispensing Practice"] in ("Yes", "No", "Unknown")


def test_2022_23_puts_the_pcn_under_code_and_ccg_name(out: Path) -> None:
    _, rows = read(out / PAYMENT_FILES["2022/23"])
    row = rows[0]
    assert re.fullmatch(r"U\d{5}", row["Code"])
    assert row["CCG NAME"].endswith("SYNTHETIC PCN")
    assert row["Sub ICB NAME"] == next(
        f"NHS {icb.place.upper()} ICB - {row['CCG Code']}"
        for icb in demo.ICBS
        if any(s.code == row["CCG Code"] for s in icb.subs)
    )
    _, older = read(out / PAYMENT_FILES["2021/22"])
    assert older[0]["CCG NAME"].endswith(" CCG")
    assert re.fullmatch(r"U\d{5}", older[0]["PCN Code"])


@pytest.mark.parametrize("year", list(PAYMENT_FILES))
def test_per_weighted_patient_totals_mostly_between_150_and_200(out: Path, year: str) -> None:
    _, rows = read(out / PAYMENT_FILES[year])
    per = [float(r["Average payments per weighted patient"]) for r in rows]
    assert sum(150 <= v <= 200 for v in per) / len(per) > 0.65
    assert 150 < statistics.median(per) < 200


def test_dispensing_practices_are_mostly_rural_less_deprived_and_paid_more(out: Path) -> None:
    _, rows = read(out / PAYMENT_FILES["2022/23"])
    imd = imd_2019(out)
    dispensing = [r for r in rows if r["Dispensing Practice"] == "Yes"]
    others = [r for r in rows if r["Dispensing Practice"] == "No"]
    assert 0.08 < len(dispensing) / len(rows) < 0.22
    assert any(r["Dispensing Practice"] == "Unknown" for r in rows)
    assert sum(r["Practice Rurality"] == "Rural" for r in dispensing) / len(dispensing) > 0.6
    assert sum(r["Practice Rurality"] == "Rural" for r in others) / len(others) < 0.15

    def mean_imd(group: list[dict[str, str]]) -> float:
        return statistics.mean(imd[r["Practice Code"]] for r in group if r["Practice Code"] in imd)

    assert mean_imd(dispensing) < mean_imd(others) - 5

    def median_line(group: list[dict[str, str]], column: str) -> float:
        return statistics.median(float(r[column]) / float(r[WEIGHTED]) for r in group)

    drugs, fees = "Reimbursement of Drugs", "Dispensing Fee Payments"
    assert median_line(dispensing, drugs) > 5 * median_line(others, drugs)
    assert median_line(dispensing, fees) > 10 and median_line(others, fees) == 0
    per = "Average payments per weighted patient"
    assert statistics.median(float(r[per]) for r in dispensing) > statistics.median(
        float(r[per]) for r in others
    )


def test_pcn_payments_go_to_one_practice_per_pcn(out: Path) -> None:
    _, rows = read(out / PAYMENT_FILES["2022/23"])
    paid: dict[str, int] = defaultdict(int)
    for row in rows:
        if pence(row["PCN Leadership"]):
            paid[row["Code"]] += 1
    assert set(paid.values()) == {1}
    assert len(paid) == len({r["Code"] for r in rows})


def test_the_rates_table_covers_every_line_of_every_year() -> None:
    # A line missing from a year's file has no rate; a zero rate is still a rate (it is drawn).
    assert payments.LINE_RATES["Long Covid"][0] is None
    assert payments.LINE_RATES["Prolonged Study Leave"][1] == (0.0, 0.0, 0.0)
    assert payments.PCN_RATES["PCN Enhanced Access"][:2] == (None, None)
    for status in ("Yes", "No", "Unknown"):
        for table in (
            payments.DISPENSING_FEE_RATES,
            payments.DRUG_REIMBURSEMENT_RATES,
            payments.PRESCRIBING_FEE_RATES,
        ):
            assert None not in table[status]
    for year, name in enumerate(demo.YEARS):
        header = demo.PAYMENTS_HEADERS[name]
        for raw in header[header.index("Global Sum") : header.index(TOTAL)]:
            line = payments.LINE_ALIASES.get(raw, raw)
            if line not in payments.SPECIAL_LINES:
                assert payments.LINE_RATES[line][year] is not None, (name, line)
        for line in (c for c in header[header.index(TOTAL) :] if c.startswith("PCN ")):
            assert payments.PCN_RATES[line][year] is not None, (name, line)
