"""NHS Payments to General Practice (NHS Digital), 2020/21 to 2022/23, in the official layout.

Each practice open in a year gets a row: its details, list sizes, every payment line of that
year's file, the totals, deductions and averages the real files derive from them. Pounds are
written as the files write them (``2240``, ``25270.8``, ``-0.06``).
"""

from __future__ import annotations

import math
import random

from gpequity.sources.demo.files import Writer, official_header, read_table
from gpequity.sources.demo.lookup import REGIONS
from gpequity.sources.demo.practices import Practice

#: The financial years of the payments files written, oldest first.
YEARS = ("2020/21", "2021/22", "2022/23")


def _file_name(year: str) -> str:
    """``2022/23`` -> ``nhspaymentsgp-22-23-prac-csv.csv``."""
    return f"nhspaymentsgp-{year[2:4]}-{year[5:7]}-prac-csv.csv"


#: The payments header of each financial year. NHS Digital's quirks are kept: the 2022/23 file
#: calls the sub-ICB name "Sub ICB NAME" and puts the PCN code and name under "Code" and
#: "CCG NAME"; 2020/21 and 2021/22 keep a trailing space in "Appraisal Costs ".
PAYMENTS_HEADERS: dict[str, tuple[str, ...]] = {
    year: official_header(_file_name(year)) for year in YEARS
}
PAYMENTS_HEADER_20_21, PAYMENTS_HEADER_21_22, PAYMENTS_HEADER_22_23 = PAYMENTS_HEADERS.values()

Rate = tuple[float, float, float]
YearRates = tuple[Rate | None, Rate | None, Rate | None]

#: Raises every line so that a typical non-dispensing practice gets about £165 per weighted
#: patient, mid-way in the £150-£200 the demo is meant to show (the real 2022/23 median is
#: about £149).
FUNDING_UPLIFT = 1.15

#: Core contract funding per weighted patient: Global Sum (GMS and APMS) or the balance of PMS
#: expenditure (PMS, whose Global Sum is zero).
GLOBAL_SUM_RATE = (89.3, 92.4, 95.1)
PMS_BALANCE_RATE = (91.3, 94.0, 97.3)


def read_rates(table: str) -> dict[str, YearRates]:
    """One table of ``payment-rates.csv``: its rates by line (or dispensing status), by year.

    A rate is (share of practices paid the line, median pounds per weighted patient when
    paid, log-normal spread), one per financial year; ``None`` where the line is not in that
    year's file, which is not the same as a rate of zero (a zero rate still draws the line).
    The rates are the medians of the real files for non-dispensing practices, rounded, and are
    raised by ``FUNDING_UPLIFT`` when paid.
    """
    _, *rows = read_table("payment-rates.csv")
    rates: dict[str, dict[str, Rate]] = {}
    for kind, name, year, share, median, spread in rows:
        if kind == table:
            rates.setdefault(name, {})[year] = (float(share), float(median), float(spread))
    return {
        name: (by_year.get(YEARS[0]), by_year.get(YEARS[1]), by_year.get(YEARS[2]))
        for name, by_year in rates.items()
    }


#: Every payment line of the files but the core, prescribing and dispensing lines (below) and
#: the PCN lines; the covid lines are outside "Total NHS Payments to General Practice".
LINE_RATES = read_rates("line")

#: Older names of the same lines (NHS Digital renamed them in 2021/22 and 2022/23).
LINE_ALIASES = {
    "Total Local Incentive Schemes": "Local Incentive Schemes",
    "Appraisal Costs ": "Appraisal - Appraiser Costs in Respect of Locums",
    "General Practice Forward View": "General Practice Transformation",
}

#: Prescribing and dispensing lines by dispensing status: dispensing practices are reimbursed
#: for the drugs they dispense and paid a fee per item, which inflates their totals; from
#: 2021/22 their prescribing fee line is negative in the real files.
DISPENSING_FEE_RATES = read_rates("dispensing fee")
DRUG_REIMBURSEMENT_RATES = read_rates("drug reimbursement")
PRESCRIBING_FEE_RATES = read_rates("prescribing fee")
SPECIAL_LINES = {
    "Global Sum": "core",
    "Balance of PMS Expenditure": "pms",
    "Prescribing Fee Payments": "prescribing",
    "Dispensing Fee Payments": "dispensing",
    "Reimbursement of Drugs": "drugs",
}

#: PCN payments go to one practice of each PCN (its lead), per weighted patient of the PCN.
PCN_RATES = read_rates("pcn")

#: Pension contributions and levies, as a share of the total; dispensing practices also repay
#: the prescription charges they collect, as a share of their drug reimbursement.
DEDUCTION_SHARE = 0.078
PRESCRIPTION_CHARGE_SHARE = 0.06

TOTAL = "Total NHS Payments to General Practice"
DEDUCTIONS = "Deductions for Pensions, Levies and Prescription Charge Income"


def write_payments(writer: Writer, practices: list[Practice], rng: random.Random) -> None:
    """One payments file per financial year, from the same stream in year order."""
    for year, name in enumerate(YEARS):
        writer.csv(
            f"nhs-payments/{_file_name(name)}",
            PAYMENTS_HEADERS[name],
            _payment_rows(practices, year, rng),
            bom=True,
        )


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero."""
    quotient = (2 * abs(numerator) + denominator) // (2 * denominator)
    return quotient if numerator >= 0 else -quotient


def _pounds(pence: int) -> str:
    """Pence as the payments files write pounds: ``2240``, ``25270.8``, ``-0.06``."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    if part == 0:
        return f"{sign}{whole}"
    if part % 10 == 0:
        return f"{sign}{whole}.{part // 10}"
    return f"{sign}{whole}.{part:02d}"


# --- NHS Payments to General Practice ---------------------------------------------------------


def _draw(p: Practice, line: str, rng: random.Random) -> tuple[float, float]:
    """The practice's persistent draw for a line, so it is paid (or not) year after year."""
    draw = p.draws.get(line)
    if draw is None:
        draw = (rng.random(), rng.gauss(0.0, 1.0))
        p.draws[line] = draw
    return draw


def _amount(
    rate: Rate | None, base: int, p: Practice, line: str, rng: random.Random, year: int
) -> int:
    """Pence paid on a line: ``base`` weighted patients (hundredths) times the rate."""
    if rate is None:
        return 0
    share, median, spread = rate
    paid, level = _draw(p, line, rng)
    if paid >= share or median == 0:
        return 0
    noise = math.exp(spread * level + rng.gauss(0.0, 0.08))
    pounds = median * FUNDING_UPLIFT * noise * base / 100 * p.part_year[year]
    return round(pounds * 100)


def _payment_rows(practices: list[Practice], year: int, rng: random.Random) -> list[list[str]]:
    header = PAYMENTS_HEADERS[YEARS[year]]
    first, total_at = header.index("Global Sum"), header.index(TOTAL)
    lines = header[first:total_at]
    extras = header[total_at:]
    pcn_lines = [c for c in extras if c.startswith("PCN ")]
    covid_lines = [c for c in extras if c.startswith("Covid ") or c == "Long Covid"]
    region_col = 1 if year == 2 else 0
    rows = []
    present = [p for p in practices if p.in_year(year)]
    present.sort(key=lambda p: (p.icb.region, p.sub.code, p.code))
    for p in present:
        assert p.pcn is not None
        money: dict[str, int] = {}
        weighted = p.weighted[year]
        for raw in lines:
            line = LINE_ALIASES.get(raw, raw)
            kind = SPECIAL_LINES.get(line)
            if kind == "core":
                rate = (1.0, GLOBAL_SUM_RATE[year], 0.03) if p.contract != "PMS" else None
            elif kind == "pms":
                rate = (1.0, PMS_BALANCE_RATE[year], 0.06) if p.contract == "PMS" else None
            elif kind == "prescribing":
                rate = PRESCRIBING_FEE_RATES[p.dispensing][year]
            elif kind == "dispensing":
                rate = DISPENSING_FEE_RATES[p.dispensing][year]
            elif kind == "drugs":
                rate = DRUG_REIMBURSEMENT_RATES[p.dispensing][year]
            else:
                rate = LINE_RATES[line][year]
            money[raw] = _amount(rate, weighted, p, line, rng, year)
        total = sum(money.values())
        drugs = money["Reimbursement of Drugs"]
        share = DEDUCTION_SHARE * math.exp(rng.gauss(0.0, 0.25))
        charges = PRESCRIPTION_CHARGE_SHARE * drugs if p.dispensing == "Yes" else 0.0
        deductions = -round(share * (total - drugs) + charges)
        for line in covid_lines:
            money[line] = _amount(LINE_RATES[line][year], weighted, p, line, rng, year)
        lead = p.pcn.lead(year) is p
        pcn_weighted = p.pcn.weighted(year)
        for line in pcn_lines:
            rate = PCN_RATES[line][year] if lead else None
            money[line] = _amount(rate, pcn_weighted, p, line, rng, year)
        covid = sum(money[c] for c in covid_lines)
        pcn = sum(money[c] for c in pcn_lines)
        with_covid = total + covid
        with_pcn = total + pcn
        values: dict[str, str] = {c: _pounds(v) for c, v in money.items()}
        values.update(
            {
                TOTAL: _pounds(total),
                DEDUCTIONS: _pounds(deductions),
                f"{TOTAL} Minus Deductions": _pounds(total + deductions),
                "Total NHS Payments including PCN Workforce, Leadership and Support": _pounds(
                    with_pcn
                ),
                f"{TOTAL} including Covid and PCN payments": _pounds(total + covid + pcn),
                f"{TOTAL} including Covid and PCN payments minus deductions": _pounds(
                    total + covid + pcn + deductions
                ),
            }
        )
        averages = {"": total, " including PCN Workforce, Leadership and Support": with_pcn}
        for column in extras:
            if column.startswith("Total NHS Payments") and "covid vaccination" in column:
                values[column] = _pounds(with_covid)
            if column.startswith("Average payments per") and "covid" in column:
                averages[column.split(" patient", 1)[1]] = with_covid
        for suffix, amount in averages.items():
            reg, wtd = p.registered[year], p.weighted[year]
            values[f"Average payments per registered patient{suffix}"] = _pounds(
                _round_half_up(amount * 4, reg)
            )
            values[f"Average payments per weighted patient{suffix}"] = _pounds(
                _round_half_up(amount * 100, wtd)
            )
        sub_name = f"NHS {p.icb.short_name.upper()} - {p.sub.code}" if year == 2 else p.sub.ccg_name
        values.update(
            {
                "NHS England (Region) code": p.icb.region,
                "NHS England (Region) Name": REGIONS[p.icb.region][region_col],
                "CCG Code": p.sub.code,
                "Practice Code": p.code,
                "Practice Name": p.name.upper(),
                "Practice Address": p.address,
                "Practice Postcode": _padded_postcode(p.postcode),
                "Practice Open Date": p.open_date.strftime("%d/%m/%Y"),
                # A closure shows only in the file of the year it happened.
                "Practice Close Date": (
                    p.close_date.strftime("%d/%m/%Y")
                    if p.close_date and year == p.last_year
                    else ""
                ),
                "Contract Type": p.contract,
                "Dispensing Practice": p.dispensing,
                "Practice type": "GP practice",
                "Practice Rurality": "Rural" if p.rural else "Urban",
                "Atypical characteristics": (
                    "| Part year of data |" if p.part_year[year] < 1 else ""
                ),
                "Number of Registered Patients (Last Known Figure)": _pounds(
                    p.registered[year] * 25
                ),
                "Number of Weighted Patients (Last Known Figure)": _pounds(p.weighted[year]),
            }
        )
        if year == 2:
            # 2022/23 names the sub-ICB "Sub ICB NAME" and puts the PCN under "Code" and
            # "CCG NAME".
            values.update(
                {"Sub ICB NAME": sub_name, "Code": p.pcn.code, "CCG NAME": p.pcn.name.upper()}
            )
        else:
            values.update(
                {"CCG NAME": sub_name, "PCN Code": p.pcn.code, "PCN Name": p.pcn.name.upper()}
            )
        rows.append([values[c] for c in header])
    return rows


def _padded_postcode(postcode: str) -> str:
    """The payments files pad the outward code to four characters: ``CA7  4AH``."""
    outward, inward = postcode.split(" ")
    return f"{outward:<4} {inward}"
