"""NHS Payments to General Practice (NHS Digital), 2020/21 to 2022/23, in the official layout.

Each practice open in a year gets a row: its details, list sizes, every payment line of that
year's file, the totals, deductions and averages the real files derive from them. Pounds are
written as the files write them (``2240``, ``25270.8``, ``-0.06``).
"""

from __future__ import annotations

import math
import random

from gpequity.sources.demo.files import Writer, official_header
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

# ---------------------------------------------------------------------------------------------
# Payment lines. Each rate is (share of practices paid the line, median pounds per weighted
# patient when paid, log-normal spread), one per financial year (None: the line is not in that
# year's file). They are the medians of the real files for non-dispensing practices, rounded,
# times FUNDING_UPLIFT.
# ---------------------------------------------------------------------------------------------

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

LINE_RATES: dict[str, YearRates] = {
    "MPIG Correction factor": ((0.01, 0.3, 0.8), (0.005, 0.12, 0.8), (0.003, 0.24, 0.8)),
    "Total QOF Payments": ((0.99, 12.0, 0.15), (0.99, 12.9, 0.15), (0.99, 12.2, 0.15)),
    "Childhood Vaccination and Immunisation Scheme": (
        (1.0, 1.45, 0.5),
        (0.99, 0.43, 0.5),
        (0.98, 0.09, 0.5),
    ),
    "GP Extended Hours Access": ((0.07, 1.5, 0.7), (0.06, 3.5, 0.7), (0.05, 2.2, 0.7)),
    "Influenza and Pneumococcal Immunisations": (
        (1.0, 2.1, 0.4),
        (1.0, 1.9, 0.4),
        (1.0, 1.7, 0.4),
    ),
    "Learning Disabilities": ((0.88, 0.36, 0.6), (0.96, 0.52, 0.6), (0.98, 0.51, 0.6)),
    "Meningitis": ((0.99, 0.28, 0.4), (1.0, 0.28, 0.4), (0.99, 0.28, 0.4)),
    "Minor Surgery": ((0.75, 0.8, 0.7), (0.74, 0.59, 0.7), (0.71, 0.55, 0.7)),
    "Out Of Area in Hours Urgent Care": ((0.02, 0.2, 0.7), (0.02, 0.2, 0.7), (0.02, 0.2, 0.7)),
    "Pertussis": ((0.98, 0.04, 0.6), (0.97, 0.04, 0.6), (0.96, 0.03, 0.6)),
    "Rotavirus and Shingles Immunisation": (
        (1.0, 0.14, 0.4),
        (1.0, 0.23, 0.4),
        (1.0, 0.25, 0.4),
    ),
    "Services for Violent Patients": ((0.01, 1.3, 0.8), (0.02, 1.24, 0.8), (0.02, 2.0, 0.8)),
    "Medical Assessment Reviews": (None, (0.53, 0.01, 0.5), (0.33, 0.01, 0.5)),
    "Weight Management Service": (None, (0.67, 0.03, 0.7), (0.9, 0.08, 0.7)),
    "Local Incentive Schemes": ((1.0, 7.3, 0.5), (1.0, 7.6, 0.5), (1.0, 6.6, 0.5)),
    "Premises Payments": ((0.96, 10.8, 0.45), (0.97, 10.7, 0.45), (0.96, 10.9, 0.45)),
    "Seniority": ((0.05, 0.14, 0.8), (0.01, 0.17, 0.8), (0.003, 0.14, 0.8)),
    "Doctors Retainer Scheme Payments": (
        (0.11, 1.3, 0.6),
        (0.12, 1.31, 0.6),
        (0.13, 1.19, 0.6),
    ),
    "Total Locum Allowances": ((0.36, 2.5, 0.7), (0.37, 2.2, 0.7), (0.37, 2.2, 0.7)),
    "Appraisal - Appraiser Costs in Respect of Locums": (
        (0.003, 0.9, 0.5),
        (0.05, 0.54, 0.5),
        (0.003, 0.23, 0.5),
    ),
    "Prolonged Study Leave": ((0.002, 1.0, 0.5), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
    "PCO Admin Other": ((0.88, 0.73, 0.7), (0.86, 0.71, 0.7), (0.85, 0.71, 0.7)),
    "Information Management and Technology": (
        (0.03, 0.13, 0.8),
        (0.05, 0.35, 0.8),
        (0.11, 0.74, 0.8),
    ),
    "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme": (
        (0.003, 0.03, 0.5),
        (0.99, 0.2, 0.4),
        (0.99, 0.27, 0.4),
    ),
    "General Practice Transformation": ((0.31, 1.78, 0.8), (0.35, 1.78, 0.8), (0.35, 1.19, 0.8)),
    "PCN Participation": ((0.98, 1.76, 0.1), (1.0, 1.74, 0.1), (1.0, 1.74, 0.1)),
    "winter Access Fund": (None, (0.3, 0.89, 0.7), (0.47, 1.02, 0.7)),
    "Other Payments": ((0.89, 4.2, 0.7), (0.91, 3.76, 0.7), (0.88, 3.23, 0.7)),
    # Outside "Total NHS Payments to General Practice": the covid lines.
    "Covid Immunisation": ((0.16, 11.4, 0.8), (0.29, 16.3, 0.8), (0.24, 3.8, 0.8)),
    "Covid Support and Expansion": ((0.74, 2.31, 0.7), (0.11, 1.59, 0.7), (0.0, 0.0, 0.0)),
    "Long Covid": (None, (0.86, 0.37, 0.2), (0.71, 0.12, 0.4)),
}

#: Older names of the same lines (NHS Digital renamed them in 2021/22 and 2022/23).
LINE_ALIASES = {
    "Total Local Incentive Schemes": "Local Incentive Schemes",
    "Appraisal Costs ": "Appraisal - Appraiser Costs in Respect of Locums",
    "General Practice Forward View": "General Practice Transformation",
}

#: Prescribing and dispensing lines by dispensing status: dispensing practices are reimbursed
#: for the drugs they dispense and paid a fee per item, which inflates their totals; from
#: 2021/22 their prescribing fee line is negative in the real files.
DISPENSING_FEE_RATES: dict[str, YearRates] = {
    "Yes": ((1.0, 14.0, 0.35),) * 3,
    "Unknown": ((0.3, 5.0, 0.6),) * 3,
    "No": ((0.01, 0.1, 1.0),) * 3,
}
DRUG_REIMBURSEMENT_RATES: dict[str, YearRates] = {
    "Yes": ((1.0, 36.0, 0.35),) * 3,
    "Unknown": ((0.97, 6.0, 0.6),) * 3,
    "No": ((0.97, 3.4, 0.6),) * 3,
}
PRESCRIBING_FEE_RATES: dict[str, YearRates] = {
    "Yes": ((0.12, 0.7, 0.5), (0.97, -2.3, 0.5), (0.98, -2.8, 0.5)),
    "Unknown": ((0.95, 0.66, 0.5), (0.96, 0.54, 0.5), (0.94, 0.68, 0.5)),
    "No": ((0.95, 0.66, 0.5), (0.96, 0.54, 0.5), (0.94, 0.68, 0.5)),
}
SPECIAL_LINES = {
    "Global Sum": "core",
    "Balance of PMS Expenditure": "pms",
    "Prescribing Fee Payments": "prescribing",
    "Dispensing Fee Payments": "dispensing",
    "Reimbursement of Drugs": "drugs",
}

#: PCN payments go to one practice of each PCN (its lead), per weighted patient of the PCN.
PCN_RATES: dict[str, YearRates] = {
    "PCN Leadership": ((1.0, 0.6, 0.3), (1.0, 0.65, 0.3), (1.0, 0.45, 0.3)),
    "PCN Support": ((1.0, 1.3, 0.3), (1.0, 0.75, 0.3), (1.0, 0.55, 0.3)),
    "PCN Extended Hours Access": ((1.0, 1.0, 0.3), (1.0, 0.8, 0.3), (1.0, 0.47, 0.3)),
    "PCN Workforce": ((0.8, 1.5, 0.5), (0.95, 3.7, 0.5), (1.0, 6.4, 0.5)),
    "PCN Investment and impact Fund": ((0.15, 0.15, 0.5), (1.0, 0.7, 0.4), (1.0, 0.82, 0.4)),
    "PCN Care Home Premium": ((0.8, 0.3, 0.5), (0.8, 0.35, 0.5), (0.8, 0.3, 0.5)),
    "PCN Enhanced Access": (None, None, (0.08, 1.7, 0.5)),
}

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
