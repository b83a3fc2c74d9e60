"""Synthetic demonstration data, written in the exact layouts of the official files.

``gpequity data demo`` calls :func:`generate_demo` to write a folder that the warehouse loads
exactly as it loads the real publications: the CCG-to-ICB lookup (NHS England), NHS Payments to
General Practice for 2020/21 to 2022/23 (NHS Digital), the practice IMD scores (OHID Fingertips
indicator 93553), three Fingertips indicator exports, "Patients Registered at a GP Practice" by
five-year age band (NHS Digital) and the eFIT tool's per-ICB population and indicator files.

Every figure is invented. The ICB, sub-ICB and region codes and names are the real public
reference codes (so the lookup and the maps behave as with real data); practices, PCNs, names,
addresses, list sizes, payments and indicator values are drawn from a seeded random generator,
shaped by distributions summarised from the real 2020/21 to 2022/23 files (see
``docs/demo-data.md``). The same seed and size always give byte-identical files.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

#: Default seed and size of ``gpequity data demo``.
DEFAULT_SEED = 2023
DEFAULT_PRACTICES = 6500
#: Fewer practices than this cannot give every one of the 42 ICBs a practice.
MIN_PRACTICES = 50

#: The financial years of the payments files written, oldest first.
YEARS = ("2020/21", "2021/22", "2022/23")
#: Name of the marker file; its presence makes the warehouse flag itself as synthetic.
SYNTHETIC_MARKER = "SYNTHETIC"

# Fingertips and the eFIT tool use these for England and for practices.
ENGLAND_CODE = "E92000001"
FINGERTIPS_GP_AREA_TYPE = "GPs"
FINGERTIPS_PCN_AREA_TYPE = "PCNs (v. 27/10/23)"
IMD_INDICATOR_ID = 93553
IMD_RELEASES = (2010, 2015, 2019)
#: The quinary-age file's publication and extract date (April after the last payments year).
REGISTERED_PUBLICATION = "GP_PRAC_PAT_LIST"
REGISTERED_EXTRACT_DATE = "01APR2023"
EFIT_POPULATION_YEAR = "2026-27"
EFIT_INDICATOR_YEAR = "2025-26"

# z values of two-sided 95% and 99.8% confidence intervals (Fingertips publishes both).
Z95 = 1.959963984540054
Z998 = 3.090232306167813

# ---------------------------------------------------------------------------------------------
# Official headers, copied from the real files (../shared/data) with their quirks: the 2022/23
# payments file calls the sub-ICB name "Sub ICB NAME" and puts the PCN code and name under
# "Code" and "CCG NAME"; 2020/21 and 2021/22 keep a trailing space in "Appraisal Costs ".
# ---------------------------------------------------------------------------------------------

PAYMENTS_HEADER_20_21: tuple[str, ...] = (
    "NHS England (Region) code",
    "NHS England (Region) Name",
    "CCG Code",
    "CCG NAME",
    "PCN Code",
    "PCN Name",
    "Practice Code",
    "Practice Name",
    "Practice Address",
    "Practice Postcode",
    "Practice Open Date",
    "Practice Close Date",
    "Contract Type",
    "Dispensing Practice",
    "Practice type",
    "Practice Rurality",
    "Atypical characteristics",
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
    "PCN Participation",
    "Prescribing Fee Payments",
    "Dispensing Fee Payments",
    "Reimbursement of Drugs",
    "Other Payments",
    "Total NHS Payments to General Practice",
    "Deductions for Pensions, Levies and Prescription Charge Income",
    "Total NHS Payments to General Practice Minus Deductions",
    "Total NHS Payments including covid vaccination and covid support and expansion payments",
    "Total NHS Payments including PCN Workforce, Leadership and Support",
    "PCN Leadership",
    "PCN Support",
    "PCN Extended Hours Access",
    "PCN Workforce",
    "PCN Investment and impact Fund",
    "PCN Care Home Premium",
    "Covid Immunisation",
    "Covid Support and Expansion",
    "Average payments per registered patient including PCN Workforce, Leadership and Support",
    "Average payments per weighted patient including PCN Workforce, Leadership and Support",
    (
        "Average payments per registered patient including covid vaccination and covid "
        "support and expansion payments"
    ),
    (
        "Average payments per weighted patient including covid vaccination and covid "
        "support and expansion payments"
    ),
)

PAYMENTS_HEADER_21_22: tuple[str, ...] = (
    "NHS England (Region) code",
    "NHS England (Region) Name",
    "CCG Code",
    "CCG NAME",
    "PCN Code",
    "PCN Name",
    "Practice Code",
    "Practice Name",
    "Practice Address",
    "Practice Postcode",
    "Practice Open Date",
    "Practice Close Date",
    "Contract Type",
    "Dispensing Practice",
    "Practice type",
    "Practice Rurality",
    "Atypical characteristics",
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
    "Medical Assessment Reviews",
    "Weight Management Service",
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
    "General Practice Transformation",
    "PCN Participation",
    "Prescribing Fee Payments",
    "Dispensing Fee Payments",
    "Reimbursement of Drugs",
    "winter Access Fund",
    "Other Payments",
    "Total NHS Payments to General Practice",
    "Deductions for Pensions, Levies and Prescription Charge Income",
    "Total NHS Payments to General Practice Minus Deductions",
    (
        "Total NHS Payments to General Practice including covid vaccination, covid "
        "support and long covid payments"
    ),
    "Total NHS Payments including PCN Workforce, Leadership and Support",
    "Total NHS Payments to General Practice including Covid and PCN payments",
    "Total NHS Payments to General Practice including Covid and PCN payments minus deductions",
    "PCN Leadership",
    "PCN Support",
    "PCN Extended Hours Access",
    "PCN Workforce",
    "PCN Investment and impact Fund",
    "PCN Care Home Premium",
    "Covid Immunisation",
    "Covid Support and Expansion",
    "Long Covid",
    "Average payments per registered patient including PCN Workforce, Leadership and Support",
    "Average payments per weighted patient including PCN Workforce, Leadership and Support",
    (
        "Average payments per registered patient including covid vaccination, covid "
        "support and long covid payments"
    ),
    (
        "Average payments per weighted patient including covid vaccination, covid support "
        "and long covid payments"
    ),
)

PAYMENTS_HEADER_22_23: tuple[str, ...] = (
    "NHS England (Region) code",
    "NHS England (Region) Name",
    "CCG Code",
    "Sub ICB NAME",
    "Code",
    "CCG NAME",
    "Practice Code",
    "Practice Name",
    "Practice Address",
    "Practice Postcode",
    "Practice Open Date",
    "Practice Close Date",
    "Contract Type",
    "Dispensing Practice",
    "Practice type",
    "Practice Rurality",
    "Atypical characteristics",
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
    "Medical Assessment Reviews",
    "Weight Management Service",
    "Local Incentive Schemes",
    "Premises Payments",
    "Seniority",
    "Doctors Retainer Scheme Payments",
    "Total Locum Allowances",
    "Appraisal - Appraiser Costs in Respect of Locums",
    "Prolonged Study Leave",
    "PCO Admin Other",
    "Information Management and Technology",
    "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme",
    "General Practice Transformation",
    "PCN Participation",
    "Prescribing Fee Payments",
    "Dispensing Fee Payments",
    "Reimbursement of Drugs",
    "winter Access Fund",
    "Other Payments",
    "Total NHS Payments to General Practice",
    "Deductions for Pensions, Levies and Prescription Charge Income",
    "Total NHS Payments to General Practice Minus Deductions",
    (
        "Total NHS Payments to General Practice including covid vaccination, covid "
        "support and long covid payments"
    ),
    "Total NHS Payments including PCN Workforce, Leadership and Support",
    "Total NHS Payments to General Practice including Covid and PCN payments",
    "Total NHS Payments to General Practice including Covid and PCN payments minus deductions",
    "PCN Leadership",
    "PCN Support",
    "PCN Extended Hours Access",
    "PCN Workforce",
    "PCN Investment and impact Fund",
    "PCN Care Home Premium",
    "PCN Enhanced Access",
    "Covid Immunisation",
    "Covid Support and Expansion",
    "Long Covid",
    "Average payments per registered patient including PCN Workforce, Leadership and Support",
    "Average payments per weighted patient including PCN Workforce, Leadership and Support",
    (
        "Average payments per registered patient including covid vaccination, covid "
        "support and long covid payments"
    ),
    (
        "Average payments per weighted patient including covid vaccination, covid support "
        "and long covid payments"
    ),
)

LOOKUP_HEADER: tuple[str, ...] = (
    "CCG Code",
    "ICB Code",
    "ICB NAME",
)

IMD_HEADER: tuple[str, ...] = (
    "IndicatorID",
    "Year",
    "AreaCode",
    "AreaName",
    "IsAreaCurrent",
    "Value",
)

FINGERTIPS_HEADER: tuple[str, ...] = (
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
    "Lower CI 99.8 limit",
    "Upper CI 99.8 limit",
    "Count",
    "Denominator",
    "Value note",
    "Recent Trend",
    "Compared to England value or percentiles",
    "Column not used",
    "Time period Sortable",
    "New data",
    "Compared to goal",
    "Time period range",
)

EFIT_INDICATOR_HEADER: tuple[str, ...] = (
    "ICB name",
    "GP code",
    "GP name",
    "Asthma: QOF prevalence",
    "Bowel cancer screening coverage: aged 60 to 74 years old",
    "Breast screening coverage: aged 53 to 70 years old",
    "CHD: QOF prevalence",
    "CKD: QOF prevalence",
    "COPD: QOF prevalence",
    "Cancer: QOF prevalence",
    "Cervical screening coverage: aged 25 to 49 years old",
    "Cervical screening coverage: aged 50 to 64 years old",
    "Children who received at least 1 dose of MMR vaccine between the ages of 1 and 1.5 yrs",
    "Dementia: QOF prevalence",
    "Depression: QOF incidence - new diagnosis",
    "Deprivation score (IMD 2025)",
    "Diabetes: QOF prevalence",
    "Hypertension: QOF prevalence",
    (
        "Last BP reading of patients (80+ yrs, with hypertension), in the last 12 months "
        "is <= 150/90 mmHg (denominator incl. PCAs)"
    ),
    (
        "Last BP reading of patients (<80 yrs, with hypertension), in the last 12 months "
        "is <= 140/90 mmHg (denominator incl. PCAs)"
    ),
    "Learning disability: QOF prevalence",
    "Mental Health: QOF prevalence",
    "Obesity: QOF prevalence (new definition)",
    "Osteoporosis: QOF prevalence",
    (
        "Patients (aged 45+ yrs), who have a record of blood pressure in the last 5 yrs "
        "(denominator incl. PCAs)"
    ),
    (
        "Patients with diabetes and a history of CVD (excl. haem. stroke) treated with a "
        "statin (denominator incl. PCAs)"
    ),
    "People with type 2 diabetes who have received an annual foot check",
    "People with type 2 diabetes who received a cholesterol check",
    "Smoking: QOF prevalence",
    "Stroke: QOF prevalence",
    "Weighted population",
)

#: The payments header of each financial year.
PAYMENTS_HEADERS: dict[str, tuple[str, ...]] = {
    "2020/21": PAYMENTS_HEADER_20_21,
    "2021/22": PAYMENTS_HEADER_21_22,
    "2022/23": PAYMENTS_HEADER_22_23,
}

#: The A&E attendances export compares each practice with its PCN, and names that column so.
FINGERTIPS_HEADER_PCN = (
    *FINGERTIPS_HEADER[:22],
    "Compared to PCNs (v. 27/10/23) value or percentiles",
    *FINGERTIPS_HEADER[23:],
)

REGISTERED_HEADER: tuple[str, ...] = (
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
)

#: Single years of age 0 to 95 (95 means 95 and over), as in the eFIT population files.
EFIT_AGES = 96
EFIT_POPULATION_HEADER: tuple[str, ...] = ("GP code", *(str(a) for a in range(EFIT_AGES)))

#: Five-year age bands of the quinary-age file, youngest first.
AGE_BANDS: tuple[str, ...] = (
    *(f"{a}_{a + 4}" for a in range(0, 95, 5)),
    "95+",
)
#: Index of the first band aged 65 and over, and of the first aged 15 and over.
OLD_BAND = 13
ADULT_BAND = 3

# Shares of the list by five-year band (percent) for a young, urban list and an old, rural
# one; a practice's age profile is a mixture of the two. Together they span the real range of
# the share aged 65+ (about 5% to 35%).
YOUNG_PROFILE = (
    7.0, 6.5, 6.0, 5.5, 9.0, 11.0, 11.0, 9.5, 7.5, 6.2,
    5.0, 4.0, 3.0, 2.4, 1.7, 1.1, 0.7, 0.4, 0.15, 0.05,
)  # fmt: skip
OLD_PROFILE = (
    3.8, 4.5, 5.0, 4.6, 3.5, 3.8, 4.2, 4.6, 5.0, 6.0,
    7.2, 8.0, 7.6, 7.0, 7.5, 6.2, 4.2, 2.4, 1.1, 0.3,
)  # fmt: skip
#: Share of each band that is female (more women at older ages).
FEMALE_SHARE = (
    0.488, 0.488, 0.487, 0.487, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
    0.5, 0.505, 0.51, 0.515, 0.52, 0.53, 0.55, 0.6, 0.66, 0.76,
)  # fmt: skip

#: Region code: name in 2020/21 and 2021/22, and in 2022/23 (which shortened one).
REGIONS: dict[str, tuple[str, str]] = {
    "Y56": ("LONDON COMMISSIONING REGION", "LONDON COMMISSIONING REGION"),
    "Y58": ("SOUTH WEST COMMISSIONING REGION", "SOUTH WEST COMMISSIONING REGION"),
    "Y59": ("SOUTH EAST COMMISSIONING REGION", "SOUTH EAST COMMISSIONING REGION"),
    "Y60": ("MIDLANDS COMMISSIONING REGION", "MIDLANDS COMMISSIONING REGION"),
    "Y61": ("EAST OF ENGLAND COMMISSIONING REGION", "EAST OF ENGLAND COMMISSIONING REGION"),
    "Y62": ("NORTH WEST COMMISSIONING REGION", "NORTH WEST COMMISSIONING REGION"),
    "Y63": (
        "NORTH EAST AND YORKSHIRE COMMISSIONING REGION",
        "NORTH EAST AND YORKSHIRE COMM REGION",
    ),
}
#: First letter of the synthetic practice codes of each region (as real ODS codes are).
REGION_LETTERS = {
    "Y56": "F",
    "Y58": "L",
    "Y59": "K",
    "Y60": "M",
    "Y61": "D",
    "Y62": "P",
    "Y63": "A",
}


@dataclass(frozen=True)
class SubIcb:
    """A sub-ICB location (former CCG): code, 2021/22 CCG name, real number of practices."""

    code: str
    ccg_name: str
    weight: int


@dataclass(frozen=True)
class Icb:
    """An Integrated Care Board with what the demo needs to place practices in it.

    ``place`` is its name without "NHS" and "Integrated Care Board". ``rural_share`` and
    ``urban_imd`` (share of rural practices, median IMD 2019 score of its urban practices) and
    ``postcode_areas`` (its most common, space-separated) summarise the real 2022/23 files.
    """

    code: str
    place: str
    region: str
    rural_share: float
    urban_imd: float
    postcode_areas: str
    subs: tuple[SubIcb, ...]

    @property
    def name(self) -> str:
        """``NHS North East and North Cumbria Integrated Care Board``, as the lookup has it."""
        return f"NHS {self.place} Integrated Care Board"

    @property
    def short_name(self) -> str:
        """``North East and North Cumbria ICB``, as the eFIT files and 2022/23 payments put it."""
        return f"{self.place} ICB"


# The 42 ICBs (July 2022) and their 106 sub-ICB locations: public reference codes and names
# (NHS England), embedded so that the demo needs no other file.
# fmt: off
ICBS: tuple[Icb, ...] = (
    Icb("QKK", "South East London", "Y56", 0.0, 23.8, "SE BR SW", (
        SubIcb("72Q", "NHS SOUTH EAST LONDON CCG", 202),
    )),
    Icb("QMF", "North East London", "Y56", 0.0, 28.1, "E RM IG", (
        SubIcb("A3A8R", "NHS NORTH EAST LONDON CCG", 281),
    )),
    Icb("QMJ", "North Central London", "Y56", 0.0, 23.6, "N NW EN", (
        SubIcb("93C", "NHS NORTH CENTRAL LONDON CCG", 192),
    )),
    Icb("QRV", "North West London", "Y56", 0.0, 22.0, "W HA UB", (
        SubIcb("W2U3Z", "NHS NORTH WEST LONDON CCG", 351),
    )),
    Icb("QWE", "South West London", "Y56", 0.0, 14.4, "SW CR SM", (
        SubIcb("36L", "NHS SOUTH WEST LONDON CCG", 182),
    )),
    Icb("QJK", "Devon", "Y58", 0.39, 20.5, "EX TQ PL", (
        SubIcb("15N", "NHS DEVON CCG", 123),
    )),
    Icb("QOX", "Bath and North East Somerset, Swindon and Wiltshire", "Y58", 0.37, 14.3,
        "SN BA SP", (
        SubIcb("92G", "NHS BATH AND NORTH EAST SOMERSET, SWINDON AND WILTSHIRE CCG", 91),
    )),
    Icb("QR1", "Gloucestershire", "Y58", 0.34, 14.8, "GL", (
        SubIcb("11M", "NHS GLOUCESTERSHIRE CCG", 74),
    )),
    Icb("QSL", "Somerset", "Y58", 0.55, 20.5, "TA BA BS", (
        SubIcb("11X", "NHS SOMERSET CCG", 64),
    )),
    Icb("QT6", "Cornwall and the Isles of Scilly", "Y58", 0.6, 24.5, "TR PL EX", (
        SubIcb("11N", "NHS KERNOW CCG", 57),
    )),
    Icb("QUY", "Bristol, North Somerset and South Gloucestershire", "Y58", 0.05, 20.3, "BS", (
        SubIcb("15C", "NHS BRISTOL, NORTH SOMERSET AND SOUTH GLOUCESTERSHIRE CCG", 80),
    )),
    Icb("QVV", "Dorset", "Y58", 0.24, 16.0, "BH DT SP", (
        SubIcb("11J", "NHS DORSET CCG", 80),
    )),
    Icb("QKS", "Kent and Medway", "Y59", 0.3, 21.5, "ME CT TN", (
        SubIcb("91Q", "NHS KENT AND MEDWAY CCG", 203),
    )),
    Icb("QNQ", "Frimley", "Y59", 0.05, 11.0, "SL GU RG", (
        SubIcb("D4U1Y", "NHS FRIMLEY CCG", 78),
    )),
    Icb("QNX", "Sussex", "Y59", 0.2, 18.8, "BN RH TN", (
        SubIcb("09D", "NHS BRIGHTON AND HOVE CCG", 34),
        SubIcb("70F", "NHS WEST SUSSEX CCG", 78),
        SubIcb("97R", "NHS EAST SUSSEX CCG", 59),
    )),
    Icb("QRL", "Hampshire and Isle of Wight", "Y59", 0.2, 16.2, "SO PO RG", (
        SubIcb("10R", "NHS PORTSMOUTH CCG", 13),
        SubIcb("D9Y0V", "NHS HAMPSHIRE, SOUTHAMPTON AND ISLE OF WIGHT CCG", 144),
    )),
    Icb("QU9", "Buckinghamshire, Oxfordshire and Berkshire West", "Y59", 0.28, 11.8, "OX RG HP", (
        SubIcb("10Q", "NHS OXFORDSHIRE CCG", 70),
        SubIcb("14Y", "NHS BUCKINGHAMSHIRE CCG", 48),
        SubIcb("15A", "NHS BERKSHIRE WEST CCG", 45),
    )),
    Icb("QXU", "Surrey Heartlands", "Y59", 0.16, 10.2, "KT GU RH", (
        SubIcb("92A", "NHS SURREY HEARTLANDS CCG", 104),
    )),
    Icb("QGH", "Herefordshire and Worcestershire", "Y60", 0.34, 18.3, "WR B HR", (
        SubIcb("18C", "NHS HEREFORDSHIRE AND WORCESTERSHIRE CCG", 80),
    )),
    Icb("QHL", "Birmingham and Solihull", "Y60", 0.01, 41.0, "B CV", (
        SubIcb("15E", "NHS BIRMINGHAM AND SOLIHULL CCG", 195),
    )),
    Icb("QJ2", "Derby and Derbyshire", "Y60", 0.27, 22.5, "DE S SK", (
        SubIcb("15M", "NHS DERBY AND DERBYSHIRE CCG", 118),
    )),
    Icb("QJM", "Lincolnshire", "Y60", 0.54, 22.5, "LN PE NG", (
        SubIcb("71E", "NHS LINCOLNSHIRE CCG", 85),
    )),
    Icb("QK1", "Leicester, Leicestershire and Rutland", "Y60", 0.21, 21.7, "LE DE NG", (
        SubIcb("03W", "NHS EAST LEICESTERSHIRE AND RUTLAND CCG", 30),
        SubIcb("04C", "NHS LEICESTER CITY CCG", 57),
        SubIcb("04V", "NHS WEST LEICESTERSHIRE CCG", 47),
    )),
    Icb("QNC", "Staffordshire and Stoke-on-Trent", "Y60", 0.17, 20.6, "ST WS DE", (
        SubIcb("04Y", "NHS CANNOCK CHASE CCG", 22),
        SubIcb("05D", "NHS EAST STAFFORDSHIRE CCG", 18),
        SubIcb("05G", "NHS NORTH STAFFORDSHIRE CCG", 30),
        SubIcb("05Q", "NHS SOUTH EAST STAFFORDSHIRE AND SEISDON PENINSULA CCG", 23),
        SubIcb("05V", "NHS STAFFORD AND SURROUNDS CCG", 14),
        SubIcb("05W", "NHS STOKE ON TRENT CCG", 39),
    )),
    Icb("QOC", "Shropshire, Telford and Wrekin", "Y60", 0.47, 18.7, "SY TF WV", (
        SubIcb("M2L0M", "NHS SHROPSHIRE, TELFORD AND WREKIN CCG", 51),
    )),
    Icb("QPM", "Northamptonshire", "Y60", 0.31, 22.7, "NN PE MK", (
        SubIcb("78H", "NHS NORTHAMPTONSHIRE CCG", 71),
    )),
    Icb("QT1", "Nottingham and Nottinghamshire", "Y60", 0.16, 25.6, "NG DN S", (
        SubIcb("02Q", "NHS BASSETLAW CCG", 9),
        SubIcb("52R", "NHS NOTTINGHAM AND NOTTINGHAMSHIRE CCG", 126),
    )),
    Icb("QUA", "Black Country", "Y60", 0.0, 35.3, "B WS WV", (
        SubIcb("D2P2L", "NHS BLACK COUNTRY AND WEST BIRMINGHAM CCG", 190),
    )),
    Icb("QWU", "Coventry and Warwickshire", "Y60", 0.19, 22.1, "CV B", (
        SubIcb("B2M3M", "NHS COVENTRY AND WARWICKSHIRE CCG", 120),
    )),
    Icb("QH8", "Mid and South Essex", "Y61", 0.18, 17.6, "SS CM RM", (
        SubIcb("06Q", "NHS MID ESSEX CCG", 42),
        SubIcb("07G", "NHS THURROCK CCG", 27),
        SubIcb("99E", "NHS BASILDON AND BRENTWOOD CCG", 35),
        SubIcb("99F", "NHS CASTLE POINT AND ROCHFORD CCG", 23),
        SubIcb("99G", "NHS SOUTHEND CCG", 25),
    )),
    Icb("QHG", "Bedfordshire, Luton and Milton Keynes", "Y61", 0.19, 19.7, "MK LU SG", (
        SubIcb("M1J4Y", "NHS BEDFORDSHIRE, LUTON AND MILTON KEYNES CCG", 99),
    )),
    Icb("QJG", "Suffolk and North East Essex", "Y61", 0.41, 18.7, "IP CO CB", (
        SubIcb("06L", "NHS IPSWICH AND EAST SUFFOLK CCG", 37),
        SubIcb("06T", "NHS NORTH EAST ESSEX CCG", 32),
        SubIcb("07K", "NHS WEST SUFFOLK CCG", 24),
    )),
    Icb("QM7", "Hertfordshire and West Essex", "Y61", 0.17, 13.9, "SG WD CM", (
        SubIcb("06K", "NHS EAST AND NORTH HERTFORDSHIRE CCG", 54),
        SubIcb("06N", "NHS HERTS VALLEYS CCG", 58),
        SubIcb("07H", "NHS WEST ESSEX CCG", 30),
    )),
    Icb("QMM", "Norfolk and Waveney", "Y61", 0.51, 23.6, "NR PE IP", (
        SubIcb("26A", "NHS NORFOLK AND WAVENEY CCG", 106),
    )),
    Icb("QUE", "Cambridgeshire and Peterborough", "Y61", 0.4, 15.7, "PE CB SG", (
        SubIcb("06H", "NHS CAMBRIDGESHIRE AND PETERBOROUGH CCG", 88),
    )),
    Icb("QE1", "Lancashire and South Cumbria", "Y62", 0.18, 30.8, "BB PR LA", (
        SubIcb("00Q", "NHS BLACKBURN WITH DARWEN CCG", 22),
        SubIcb("00R", "NHS BLACKPOOL CCG", 17),
        SubIcb("00X", "NHS CHORLEY AND SOUTH RIBBLE CCG", 26),
        SubIcb("01A", "NHS EAST LANCASHIRE CCG", 49),
        SubIcb("01E", "NHS GREATER PRESTON CCG", 24),
        SubIcb("01K", "NHS MORECAMBE BAY CCG", 33),
        SubIcb("02G", "NHS WEST LANCASHIRE CCG", 15),
        SubIcb("02M", "NHS FYLDE AND WYRE CCG", 19),
    )),
    Icb("QOP", "Greater Manchester", "Y62", 0.01, 32.5, "M OL BL", (
        SubIcb("00T", "NHS BOLTON CCG", 49),
        SubIcb("00V", "NHS BURY CCG", 25),
        SubIcb("00Y", "NHS OLDHAM CCG", 40),
        SubIcb("01D", "NHS HEYWOOD, MIDDLETON AND ROCHDALE CCG", 37),
        SubIcb("01G", "NHS SALFORD CCG", 39),
        SubIcb("01W", "NHS STOCKPORT CCG", 36),
        SubIcb("01Y", "NHS TAMESIDE AND GLOSSOP CCG", 31),
        SubIcb("02A", "NHS TRAFFORD CCG", 27),
        SubIcb("02H", "NHS WIGAN BOROUGH CCG", 58),
        SubIcb("14L", "NHS MANCHESTER CCG", 84),
    )),
    Icb("QYG", "Cheshire and Merseyside", "Y62", 0.07, 30.5, "L CH WA", (
        SubIcb("01F", "NHS HALTON CCG", 14),
        SubIcb("01J", "NHS KNOWSLEY CCG", 26),
        SubIcb("01T", "NHS SOUTH SEFTON CCG", 30),
        SubIcb("01V", "NHS SOUTHPORT AND FORMBY CCG", 18),
        SubIcb("01X", "NHS ST HELENS CCG", 33),
        SubIcb("02E", "NHS WARRINGTON CCG", 26),
        SubIcb("12F", "NHS WIRRAL CCG", 52),
        SubIcb("27D", "NHS CHESHIRE CCG", 81),
        SubIcb("99A", "NHS LIVERPOOL CCG", 87),
    )),
    Icb("QF7", "South Yorkshire", "Y63", 0.1, 30.4, "S DN", (
        SubIcb("02P", "NHS BARNSLEY CCG", 33),
        SubIcb("02X", "NHS DONCASTER CCG", 39),
        SubIcb("03L", "NHS ROTHERHAM CCG", 29),
        SubIcb("03N", "NHS SHEFFIELD CCG", 77),
    )),
    Icb("QHM", "North East and North Cumbria", "Y63", 0.24, 29.7, "NE TS CA", (
        SubIcb("00L", "NHS NORTHUMBERLAND CCG", 39),
        SubIcb("00N", "NHS SOUTH TYNESIDE CCG", 22),
        SubIcb("00P", "NHS SUNDERLAND CCG", 38),
        SubIcb("01H", "NHS NORTH CUMBRIA CCG", 38),
        SubIcb("13T", "NHS NEWCASTLE GATESHEAD CCG", 60),
        SubIcb("16C", "NHS TEES VALLEY CCG", 82),
        SubIcb("84H", "NHS COUNTY DURHAM CCG", 62),
        SubIcb("99C", "NHS NORTH TYNESIDE CCG", 26),
    )),
    Icb("QOQ", "Humber and North Yorkshire", "Y63", 0.34, 27.9, "HU YO DN", (
        SubIcb("02Y", "NHS EAST RIDING OF YORKSHIRE CCG", 30),
        SubIcb("03F", "NHS HULL CCG", 36),
        SubIcb("03H", "NHS NORTH EAST LINCOLNSHIRE CCG", 25),
        SubIcb("03K", "NHS NORTH LINCOLNSHIRE CCG", 19),
        SubIcb("03Q", "NHS VALE OF YORK CCG", 25),
        SubIcb("42D", "NHS NORTH YORKSHIRE CCG", 51),
    )),
    Icb("QWO", "West Yorkshire", "Y63", 0.07, 32.0, "LS BD WF", (
        SubIcb("02T", "NHS CALDERDALE CCG", 23),
        SubIcb("03R", "NHS WAKEFIELD CCG", 36),
        SubIcb("15F", "NHS LEEDS CCG", 92),
        SubIcb("36J", "NHS BRADFORD DISTRICT AND CRAVEN CCG", 66),
        SubIcb("X2C4Y", "NHS KIRKLEES CCG", 65),
    )),
)
# fmt: on

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

# ---------------------------------------------------------------------------------------------
# eFIT indicators: value = base + slope_imd * (IMD - 20) + slope_old * (share aged 65+ - 0.18)
# + noise, fitted on the real 2025/26 eFIT files against their practices' populations.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorModel:
    """How a synthetic practice value of an eFIT indicator is drawn."""

    name: str
    base: float
    slope_imd: float
    slope_old: float
    noise: float
    low: float
    high: float
    #: Share of practices with no value (blank cell).
    blank: float = 0.0


EFIT_MODELS: tuple[IndicatorModel, ...] = (
    IndicatorModel(EFIT_INDICATOR_HEADER[3], 6.379, 0.0382, 15.03, 1.0, 0.7, 12.4),
    IndicatorModel(EFIT_INDICATOR_HEADER[4], 70.209, -0.3396, 60.7, 4.0, 15.0, 86.0, 0.001),
    IndicatorModel(EFIT_INDICATOR_HEADER[5], 68.966, -0.3467, 65.07, 5.0, 16.0, 91.0, 0.001),
    IndicatorModel(EFIT_INDICATOR_HEADER[6], 2.835, 0.0349, 14.56, 0.45, 0.0, 19.5),
    IndicatorModel(EFIT_INDICATOR_HEADER[7], 4.466, 0.0353, 21.67, 1.2, 0.0, 41.5),
    IndicatorModel(EFIT_INDICATOR_HEADER[8], 1.71, 0.0546, 9.21, 0.6, 0.0, 15.3),
    IndicatorModel(EFIT_INDICATOR_HEADER[9], 3.749, -0.0148, 17.62, 0.45, 0.1, 16.7),
    IndicatorModel(EFIT_INDICATOR_HEADER[10], 69.111, -0.1741, 74.52, 5.5, 15.0, 100.0, 0.0003),
    IndicatorModel(EFIT_INDICATOR_HEADER[11], 74.919, -0.1777, 24.8, 4.0, 28.0, 100.0, 0.0003),
    IndicatorModel(EFIT_INDICATOR_HEADER[12], 88.332, -0.2112, 37.59, 5.5, 27.0, 100.0, 0.002),
    IndicatorModel(EFIT_INDICATOR_HEADER[13], 0.695, 0.0146, 8.04, 0.35, 0.0, 10.0),
    IndicatorModel(EFIT_INDICATOR_HEADER[14], 1.353, 0.0223, -0.07, 0.6, 0.02, 26.3),
    # EFIT_INDICATOR_HEADER[15] is the IMD score, drawn from the practice's own.
    IndicatorModel(EFIT_INDICATOR_HEADER[16], 7.707, 0.1339, 12.46, 1.6, 0.2, 30.2),
    IndicatorModel(EFIT_INDICATOR_HEADER[17], 14.89, 0.0897, 55.78, 1.6, 0.2, 63.0),
    IndicatorModel(EFIT_INDICATOR_HEADER[18], 81.722, 0.0255, -0.35, 5.0, 0.0, 100.0, 0.001),
    IndicatorModel(EFIT_INDICATOR_HEADER[19], 68.497, -0.0002, 2.04, 6.0, 32.0, 100.0),
    IndicatorModel(EFIT_INDICATOR_HEADER[20], 0.546, 0.0136, 1.13, 0.2, 0.0, 5.0),
    IndicatorModel(EFIT_INDICATOR_HEADER[21], 0.979, 0.0177, 0.23, 0.45, 0.05, 30.9),
    IndicatorModel(EFIT_INDICATOR_HEADER[22], 13.411, 0.2264, 19.53, 3.0, 1.2, 34.5),
    IndicatorModel(EFIT_INDICATOR_HEADER[23], 1.023, -0.0027, 3.65, 0.7, 0.0, 10.0),
    IndicatorModel(EFIT_INDICATOR_HEADER[24], 86.936, 0.1072, 31.35, 3.5, 55.0, 100.0),
    IndicatorModel(EFIT_INDICATOR_HEADER[25], 84.618, 0.1071, -19.95, 3.5, 54.0, 100.0, 0.0005),
    IndicatorModel(EFIT_INDICATOR_HEADER[26], 82.039, -0.046, -5.58, 7.0, 0.0, 100.0, 0.006),
    IndicatorModel(EFIT_INDICATOR_HEADER[27], 91.019, -0.0049, 4.01, 3.8, 0.0, 100.0, 0.006),
    IndicatorModel(EFIT_INDICATOR_HEADER[28], 12.773, 0.2593, -6.54, 2.6, 3.2, 45.0, 0.001),
    IndicatorModel(EFIT_INDICATOR_HEADER[29], 1.784, 0.0176, 10.85, 0.35, 0.0, 23.6),
)
EFIT_IMD_COLUMN = "Deprivation score (IMD 2025)"
EFIT_WEIGHTED_COLUMN = "Weighted population"

# ---------------------------------------------------------------------------------------------
# Names: every practice and PCN name says "Synthetic", so no one mistakes them for real ones.
# ---------------------------------------------------------------------------------------------

NAME_WORDS = (
    "Alder", "Ash", "Aspen", "Beech", "Birch", "Blackthorn", "Bramble", "Cedar", "Chestnut",
    "Elder", "Elm", "Fern", "Hawthorn", "Hazel", "Heather", "Holly", "Hornbeam", "Juniper",
    "Larch", "Laurel", "Lime", "Linden", "Maple", "Oak", "Orchard", "Pine", "Poplar", "Rowan",
    "Sycamore", "Willow", "Yew", "Meadow", "Brook", "Riverside", "Parkside", "Hillside",
    "Valley", "Harbour", "Market", "Abbey", "Priory", "Castle", "Bridge", "Mill", "Station",
    "Green", "Heath", "Moor", "Field", "Vale",
)  # fmt: skip
PRACTICE_KINDS = (
    "Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice",
    "Group Practice", "Primary Care Centre",
)  # fmt: skip
STREETS = (
    "HIGH STREET", "STATION ROAD", "CHURCH LANE", "MARKET PLACE", "PARK ROAD", "MILL LANE",
    "LONDON ROAD", "VICTORIA ROAD", "GREEN LANE", "MANOR ROAD", "CHURCH STREET", "KING STREET",
    "QUEEN STREET", "NEW ROAD", "SCHOOL LANE", "THE AVENUE", "HEALTH CENTRE WAY",
)  # fmt: skip
TOWN_ENDINGS = ("TON", "BY", "FORD", "HAM", "BURY", "LEY", "WICK", "FIELD", "WORTH", "STEAD")
PCN_QUALIFIERS = ("North", "South", "East", "West", "Central", "Rural", "City", "Valley", "")
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


# ---------------------------------------------------------------------------------------------
# The synthetic practices.
# ---------------------------------------------------------------------------------------------


@dataclass
class Pcn:
    """A synthetic Primary Care Network: code ``U#####``, a name, its member practices."""

    code: str
    name: str
    members: list[Practice] = field(default_factory=list)

    def lead(self, year: int) -> Practice | None:
        """The member paid the PCN's payments in a year: the first one open that year."""
        return next((p for p in self.members if p.in_year(year)), None)

    def weighted(self, year: int) -> int:
        """Weighted patients of the PCN's practices in a year, in hundredths."""
        return sum(p.weighted[year] for p in self.members if p.in_year(year))


@dataclass
class Practice:
    """A synthetic practice and everything about it that the files show."""

    icb: Icb
    sub: SubIcb
    first_year: int
    last_year: int
    rural: bool
    imd: float
    old_share: float
    code: str = ""
    name: str = ""
    address: str = ""
    postcode: str = ""
    open_date: date = date(1974, 4, 1)
    close_date: date | None = None
    contract: str = "GMS"
    dispensing: str = "No"
    pcn: Pcn | None = None
    #: IMD score by release (2010, 2015, 2019); empty for a practice without a score.
    imd_scores: dict[int, float] = field(default_factory=dict)
    #: Registered patients in quarters (the files give a quarterly average) and weighted
    #: patients in hundredths, by year index; 0 where the practice is not in that year.
    registered: list[int] = field(default_factory=lambda: [0, 0, 0])
    weighted: list[int] = field(default_factory=lambda: [0, 0, 0])
    #: Share of the year the practice was open, by year index.
    part_year: list[float] = field(default_factory=lambda: [1.0, 1.0, 1.0])
    #: Persistent draw per payment line: (uniform deciding whether it is paid, normal level).
    draws: dict[str, tuple[float, float]] = field(default_factory=dict)

    def in_year(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year


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


def _sig10(value: float) -> str:
    """A value as Fingertips writes it: up to ten significant digits."""
    return f"{value:.10g}"


def _dp(value: float, places: int) -> str:
    """A value rounded to ``places`` decimals without trailing zeros, as the eFIT files do."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _stream(seed: int, name: str) -> random.Random:
    """An independent random stream per part, so one file's draws do not shift another's."""
    return random.Random(f"gpequity-demo/{seed}/{name}")


def _normalised(profile: Sequence[float]) -> list[float]:
    total = sum(profile)
    return [v / total for v in profile]


_YOUNG = _normalised(YOUNG_PROFILE)
_OLD = _normalised(OLD_PROFILE)
_YOUNG_65 = sum(_YOUNG[OLD_BAND:])
_OLD_65 = sum(_OLD[OLD_BAND:])


def age_profile(old_share: float) -> list[float]:
    """Shares of the list by five-year band for a practice with this share aged 65+."""
    w = _clamp((old_share - _YOUNG_65) / (_OLD_65 - _YOUNG_65), 0.0, 1.0)
    return [(1 - w) * y + w * o for y, o in zip(_YOUNG, _OLD, strict=True)]


def _allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder)."""
    whole = sum(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _fy_start(year: int) -> date:
    return date(2020 + year, 4, 1)


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _make_practices(practices: int, rng: random.Random) -> list[Practice]:
    """Draw the practices: where they are, how deprived, rural, old, big; when open."""
    subs = [(icb, sub) for icb in ICBS for sub in icb.subs]
    final = _allocate(practices, [sub.weight for _, sub in subs])
    # Every ICB needs a practice (the eFIT files are per ICB): move one from the largest.
    for icb in ICBS:
        idx = [i for i, (owner, _) in enumerate(subs) if owner is icb]
        if sum(final[i] for i in idx) == 0:
            donor = max(range(len(final)), key=lambda i: (final[i], -i))
            final[donor] -= 1
            final[idx[0]] += 1
    # About 1.2% of practices close in each of the first two years, 0.4% open in each of the
    # last two (the real files lose about 1% a year net, to mergers and closures).
    closing = [round(practices * 0.012), round(practices * 0.012)]
    opening = [0, round(practices * 0.004), round(practices * 0.004)]
    cum = []
    running = 0
    for _, sub in subs:
        running += sub.weight
        cum.append(running)
    out: list[Practice] = []
    for (icb, sub), n in zip(subs, final, strict=True):
        out.extend(_new_practice(icb, sub, 0, 2, rng) for _ in range(n))
    for year, n in enumerate(closing):
        for _ in range(n):
            icb, sub = rng.choices(subs, cum_weights=cum)[0]
            out.append(_new_practice(icb, sub, 0, year, rng))
    # Openings are among the final year's practices: turn some existing ones into new ones.
    finals = [p for p in out if p.last_year == 2]
    newcomers = rng.sample(finals, opening[1] + opening[2])
    for i, practice in enumerate(newcomers):
        practice.first_year = 1 if i < opening[1] else 2
    return out


def _new_practice(icb: Icb, sub: SubIcb, first: int, last: int, rng: random.Random) -> Practice:
    rural = rng.random() < icb.rural_share
    # IMD: log-normal around the ICB's urban median; rural practices serve less deprived areas.
    median = icb.urban_imd * (0.62 if rural else 1.0)
    imd = _clamp(median * math.exp(rng.gauss(0.0, 0.42)), 2.5, 72.0)
    # Deprived lists are younger; rural ones older.
    old = 0.185 - 0.0035 * (imd - 21.0) + (0.045 if rural else 0.0) + rng.gauss(0.0, 0.045)
    return Practice(
        icb=icb,
        sub=sub,
        first_year=first,
        last_year=last,
        rural=rural,
        imd=imd,
        old_share=_clamp(old, 0.03, 0.42),
    )


def _describe(practices: list[Practice], rng: random.Random) -> None:
    """Give each practice its code, name, address, dates, contract, dispensing, lists, IMD."""
    counters = {letter: 81001 for letter in REGION_LETTERS.values()}
    new_code = 1000 + rng.randrange(500)
    ordered = sorted(practices, key=lambda p: (p.icb.region, p.sub.code))
    for p in ordered:
        if p.first_year > 0:
            new_code += rng.randint(1, 4)
            p.code = f"Y0{new_code:04d}"
        else:
            letter = REGION_LETTERS[p.icb.region]
            p.code = f"{letter}{counters[letter]}"
            counters[letter] += rng.randint(1, 3)
            if counters[letter] > 99999:  # pragma: no cover - only for huge demos
                counters[letter] = 10001
        _describe_one(p, rng)


def _describe_one(p: Practice, rng: random.Random) -> None:
    word = rng.choice(NAME_WORDS)
    if rng.random() < 0.1:
        p.name = f"Synthetic Surgery {rng.randrange(10000):04d}"
    else:
        p.name = f"{word} Synthetic {rng.choice(PRACTICE_KINDS)}"
    town = rng.choice(NAME_WORDS).upper() + rng.choice(TOWN_ENDINGS)
    trailing = " " if rng.random() < 0.3 else ""
    p.address = f"{rng.randint(1, 250)} {rng.choice(STREETS)}  {town}{trailing}"
    outward = f"{rng.choice(p.icb.postcode_areas.split())}{rng.randint(1, 29)}"
    inward = f"{rng.randint(0, 9)}{rng.choice(POSTCODE_LETTERS)}{rng.choice(POSTCODE_LETTERS)}"
    p.postcode = f"{outward} {inward}"

    # Dates: most practices date from the 1974 NHS reorganisation; the rest opened since.
    if p.first_year > 0:
        start = _fy_start(p.first_year)
        m = rng.randrange(12)
        p.open_date = date(start.year + (start.month - 1 + m) // 12, (3 + m) % 12 + 1, 1)
        p.part_year[p.first_year] = (_fy_start(p.first_year + 1) - p.open_date).days / 365
    elif rng.random() < 0.78:
        p.open_date = date(1974, 4, 1)
    else:
        p.open_date = date(1975, 1, 1) + timedelta(days=rng.randrange(45 * 365))
        p.open_date = min(p.open_date, date(2019, 12, 31))
    if p.last_year < 2:
        start = _fy_start(p.last_year)
        m = rng.randrange(12)
        p.close_date = _month_end(start.year + (start.month - 1 + m) // 12, (3 + m) % 12 + 1)
        p.part_year[p.last_year] = ((p.close_date - start).days + 1) / 365

    p.contract = rng.choices(("GMS", "PMS", "APMS"), (0.70, 0.265, 0.035))[0]
    # Dispensing practices: mostly rural (patients far from a pharmacy), so less deprived.
    if p.rural:
        chance = _clamp(0.75 - 0.012 * (p.imd - 14.0), 0.25, 0.9)
    else:
        chance = 0.05 if p.imd < 20 else 0.015
    roll = rng.random()
    p.dispensing = "Yes" if roll < chance else "Unknown" if roll > 0.975 else "No"

    # List size: log-normal, median about 8,000 (smaller in the country); grows ~1% a year.
    size = 8000 * math.exp(rng.gauss(0.0, 0.6)) * (0.8 if p.rural else 1.0)
    size = _clamp(size, 600.0, 60000.0)
    if rng.random() < 0.008:
        # A few tiny lists (new, closing or specialist practices), as in the real files.
        size = rng.uniform(120.0, 900.0)
    # The Carr-Hill weighting favours older lists: weighted/registered about 0.85-1.2.
    ratio = 0.86 + 0.75 * p.old_share + (0.04 if p.rural else 0.0) + rng.gauss(0.0, 0.03)
    ratio = _clamp(ratio, 0.82, 1.25)
    for year in range(3):
        size *= math.exp(rng.gauss(0.01, 0.025))
        if p.in_year(year):
            p.registered[year] = round(size * 4)
            p.weighted[year] = round(size * ratio * math.exp(rng.gauss(0.0, 0.01)) * 100)

    # IMD releases the practice was open for; 2015 and 2010 drift a little from 2019. About
    # 0.5% of practices (and all new ones) have no score, as in the real indicator.
    if p.first_year == 0 and rng.random() > 0.005:
        for release in IMD_RELEASES:
            if p.open_date.year <= release:
                drift = 0.0 if release == 2019 else rng.gauss(0.0, 0.04 * (2019 - release) / 5)
                p.imd_scores[release] = _clamp(p.imd * math.exp(drift), 1.0, 80.0)


def _group_pcns(practices: list[Practice], rng: random.Random) -> list[Pcn]:
    """Group each sub-ICB's practices into PCNs of about six."""
    pcns: list[Pcn] = []
    codes = rng.sample(range(10000, 100000), len(practices))
    by_sub: dict[str, list[Practice]] = {}
    for p in sorted(practices, key=lambda p: p.code):
        by_sub.setdefault(p.sub.code, []).append(p)
    for sub_code in sorted(by_sub):
        members = by_sub[sub_code]
        rng.shuffle(members)
        while members:
            size = rng.choice((3, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 9, 10))
            group, members = members[:size], members[size:]
            qualifier = rng.choice(PCN_QUALIFIERS)
            name = f"{rng.choice(NAME_WORDS)} {qualifier} Synthetic PCN".replace("  ", " ")
            pcn = Pcn(code=f"U{codes[len(pcns)]}", name=name)
            pcn.members = sorted(group, key=lambda p: p.code)
            for p in group:
                p.pcn = pcn
            pcns.append(pcn)
    return pcns


# ---------------------------------------------------------------------------------------------
# Writing files.
# ---------------------------------------------------------------------------------------------


class _Writer:
    """Opens each output file, reports progress and remembers what was written."""

    def __init__(self, out: Path, progress: Callable[[str], None] | None) -> None:
        self.out = out
        self.progress = progress
        self.written: list[Path] = []

    def open(self, relative: str, *, bom: bool = False) -> TextIO:
        path = self.out / relative
        if self.progress:
            self.progress(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(path)
        return path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="")

    def csv(
        self,
        relative: str,
        header: Sequence[str],
        rows: Iterable[Sequence[str]],
        *,
        bom: bool = False,
    ) -> None:
        with self.open(relative, bom=bom) as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(rows)


def generate_demo(
    out: Path,
    seed: int = DEFAULT_SEED,
    practices: int = DEFAULT_PRACTICES,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write synthetic data in the official file layouts into ``out``; return the files.

    ``practices`` is the number of practices in the last payments year (2022/23); earlier
    years also hold the practices that closed since. The same ``seed`` and ``practices``
    always give byte-identical files.
    """
    if practices < MIN_PRACTICES:
        raise ValueError(f"practices must be at least {MIN_PRACTICES}, not {practices}")
    rng = _stream(seed, "practices")
    everyone = _make_practices(practices, rng)
    _describe(everyone, rng)
    everyone.sort(key=lambda p: p.code)
    pcns = _group_pcns(everyone, rng)

    writer = _Writer(out, progress)
    with writer.open(SYNTHETIC_MARKER) as fh:
        fh.write(_marker_text(seed, practices))
    writer.csv("lookups/ccg-icb-lookup.csv", LOOKUP_HEADER, _lookup_rows(), bom=True)
    pay_rng = _stream(seed, "payments")
    for year, name in enumerate(YEARS):
        short = f"{name[2:4]}-{name[5:7]}"
        writer.csv(
            f"nhs-payments/nhspaymentsgp-{short}-prac-csv.csv",
            PAYMENTS_HEADERS[name],
            _payment_rows(everyone, year, pay_rng),
            bom=True,
        )
    writer.csv("deprivation/practice-imd-93553.csv", IMD_HEADER, _imd_rows(everyone), bom=True)
    _write_fingertips(writer, everyone, pcns, _stream(seed, "fingertips"))
    writer.csv(
        "registered/gp-reg-pat-prac-quin-age.csv",
        REGISTERED_HEADER,
        _registered_rows(everyone, _stream(seed, "registered")),
    )
    _write_efit(writer, everyone, _stream(seed, "efit"))
    return writer.written


def _marker_text(seed: int, practices: int) -> str:
    return (
        "SYNTHETIC DEMONSTRATION DATA - NOT REAL\n"
        "\n"
        "Every practice, PCN, list size, payment, deprivation score and indicator value in this\n"
        "folder was invented by 'gpequity data demo' "
        f"(seed {seed}, {practices} practices in 2022/23).\n"
        "Only the ICB, sub-ICB and region codes and names are real public reference data.\n"
        "The files copy the layouts of the official publications so that the warehouse loads\n"
        "them exactly as it loads the real ones. Do not use them to draw conclusions about any\n"
        "real practice, ICB or policy. See docs/demo-data.md.\n"
    )


def _lookup_rows() -> list[list[str]]:
    return [[sub.code, icb.code, icb.name] for icb in ICBS for sub in icb.subs]


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


# --- Deprivation (Fingertips 93553) -------------------------------------------------------


def _imd_rows(practices: list[Practice]) -> list[list[str]]:
    rows = []
    for p in practices:
        current = "1" if p.last_year == 2 else "0"
        for release, score in p.imd_scores.items():
            rows.append(
                [str(IMD_INDICATOR_ID), str(release), p.code, p.name, current, _sig10(score)]
            )
    return rows


# --- Fingertips exports ---------------------------------------------------------------------


@dataclass(frozen=True)
class FingertipsIndicator:
    """One synthetic Fingertips indicator export."""

    id: int
    name: str
    slug: str
    age: str
    period: str
    year: int
    #: 100 for a percentage, 1000 for a rate per 1,000.
    per: int
    #: True when a lower value is better (compared Better/Worse); else Higher/Lower.
    lower_is_better: bool
    #: Parent of the practice rows: England, or the practice's PCN.
    parent_is_pcn: bool
    header: tuple[str, ...]


FINGERTIPS_INDICATORS: tuple[FingertipsIndicator, ...] = (
    FingertipsIndicator(
        91547,
        "Smoking prevalence in adults (15+) - current smokers (QOF)",
        "smoking-prevalence-qof",
        "15+ yrs",
        "2022/23",
        2,
        100,
        True,
        False,
        FINGERTIPS_HEADER,
    ),
    FingertipsIndicator(
        93930,
        "A&E attendances (0 to 4 years)",
        "ae-attendances-0-4",
        "0-4 yrs",
        "2021/22",
        1,
        1000,
        True,
        True,
        FINGERTIPS_HEADER_PCN,
    ),
    FingertipsIndicator(
        219,
        "Hypertension: QOF prevalence (all ages)",
        "hypertension-prevalence-qof",
        "All ages",
        "2022/23",
        2,
        100,
        False,
        False,
        FINGERTIPS_HEADER,
    ),
)

#: Fingertips' note on a value withheld because the count is small.
SUPPRESSED = "Value suppressed for disclosure control reasons"
#: Counts below this are suppressed (A&E attendances).
SUPPRESS_BELOW = 10


def _wilson(count: int, denominator: int, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion, in percent (Fingertips' method)."""
    p = count / denominator
    z2 = z * z
    half = z * math.sqrt(z2 + 4 * count * (1 - p))
    scale = 2 * (denominator + z2)
    return 100 * (2 * count + z2 - half) / scale, 100 * (2 * count + z2 + half) / scale


def _byar(count: int, denominator: int, z: float, per: int) -> tuple[float, float]:
    """Byar's interval of a rate per ``per`` (Fingertips' method for counts)."""
    lower = 0.0
    if count > 0:
        lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * math.sqrt(count + 1))) ** 3
    return per * lower / denominator, per * upper / denominator


def _compare(low: float, high: float, reference: float, lower_is_better: bool) -> str:
    if high < reference:
        return "Better" if lower_is_better else "Lower"
    if low > reference:
        return "Worse" if lower_is_better else "Higher"
    return "Similar"


def _practice_measure(ind: FingertipsIndicator, p: Practice, rng: random.Random) -> tuple[int, int]:
    """(count, denominator) of a practice for an indicator, correlated with its IMD score."""
    listed = p.registered[ind.year] // 4
    shares = age_profile(p.old_share)
    if ind.id == 91547:
        denominator = round(listed * (1 - sum(shares[:ADULT_BAND])))
        value = 12.773 + 0.2593 * (p.imd - 20) - 6.54 * (p.old_share - 0.18)
        value = _clamp(value + rng.gauss(0.0, 2.4), 3.0, 45.0)
    elif ind.id == 93930:
        denominator = round(listed * shares[0])
        value = _clamp(640 + 12 * (p.imd - 20) + rng.gauss(0.0, 120), 150.0, 2000.0)
    else:
        denominator = listed
        value = 14.89 + 0.0897 * (p.imd - 20) + 55.78 * (p.old_share - 0.18)
        value = _clamp(value + rng.gauss(0.0, 1.6), 1.0, 40.0)
    denominator = max(denominator, 1)
    return round(value * denominator / ind.per), denominator


def _write_fingertips(
    writer: _Writer, practices: list[Practice], pcns: list[Pcn], rng: random.Random
) -> None:
    for ind in FINGERTIPS_INDICATORS:
        measures = {
            p.code: _practice_measure(ind, p, rng) for p in practices if p.in_year(ind.year)
        }
        writer.csv(
            f"fingertips/indicator-{ind.id}-{ind.slug}.csv",
            ind.header,
            _fingertips_rows(ind, practices, pcns, measures),
        )


def _fingertips_rows(
    ind: FingertipsIndicator,
    practices: list[Practice],
    pcns: list[Pcn],
    measures: dict[str, tuple[int, int]],
) -> list[list[str]]:
    sortable = f"{ind.period[:4]}0000"
    with_998 = ind.per == 100

    def row(
        parent: tuple[str, str],
        area: tuple[str, str, str],
        count: int,
        denominator: int,
        compared: tuple[str, str],
        trend: str = "",
    ) -> list[str]:
        cells = [str(ind.id), ind.name, *parent, *area, "Persons", ind.age, "", "", ind.period]
        if count < SUPPRESS_BELOW and ind.per == 1000:
            cells += ["", "", "", "", "", "", str(denominator), SUPPRESSED, trend]
            cells += ["Not compared", "Not compared"]
        else:
            value = ind.per * count / denominator
            low, high = limits(count, denominator)
            cells += [_sig10(value), _sig10(low), _sig10(high)]
            if with_998 and area[2] != "England":
                cells += [_sig10(v) for v in limits(count, denominator, Z998)]
            else:
                cells += ["", ""]
            cells += [str(count), str(denominator), "", trend, *compared]
        return [*cells, sortable, "", "", "1y"]

    def limits(count: int, denominator: int, z: float = Z95) -> tuple[float, float]:
        if ind.per == 100:
            return _wilson(count, denominator, z)
        return _byar(count, denominator, z, ind.per)

    def value_of(count: int, denominator: int) -> float:
        return ind.per * count / denominator

    england_count = sum(c for c, _ in measures.values())
    england_denominator = sum(d for _, d in measures.values())
    england = value_of(england_count, england_denominator)
    rows = [
        row(
            ("", ""),
            (ENGLAND_CODE, "England", "England"),
            england_count,
            england_denominator,
            ("Not compared", "Not compared"),
        )
    ]
    trend = "Cannot be calculated" if ind.id == 91547 else ""
    pcn_values: dict[str, float] = {}
    if ind.parent_is_pcn:
        for pcn in pcns:
            counts = [measures[p.code] for p in pcn.members if p.code in measures]
            if not counts:
                continue
            count, denominator = sum(c for c, _ in counts), sum(d for _, d in counts)
            pcn_values[pcn.code] = value_of(count, denominator)
            low, high = limits(count, denominator)
            rows.append(
                row(
                    (ENGLAND_CODE, "England"),
                    (pcn.code, pcn.name, FINGERTIPS_PCN_AREA_TYPE),
                    count,
                    denominator,
                    (_compare(low, high, england, ind.lower_is_better), "Not compared"),
                )
            )
    for p in practices:
        if p.code not in measures:
            continue
        assert p.pcn is not None
        count, denominator = measures[p.code]
        low, high = limits(count, denominator)
        versus_england = _compare(low, high, england, ind.lower_is_better)
        if ind.parent_is_pcn:
            parent = (p.pcn.code, p.pcn.name)
            versus_parent = _compare(low, high, pcn_values[p.pcn.code], ind.lower_is_better)
        else:
            parent = (ENGLAND_CODE, "England")
            versus_parent = "Not compared"
        rows.append(
            row(
                parent,
                (p.code, p.name, FINGERTIPS_GP_AREA_TYPE),
                count,
                denominator,
                (versus_england, versus_parent),
                trend,
            )
        )
    return rows


# --- Patients Registered at a GP Practice (five-year bands) ----------------------------------


def _registered_rows(practices: list[Practice], rng: random.Random) -> Iterable[list[str]]:
    ons = {
        code: f"E38000{i:03d}"
        for i, code in enumerate(sorted(s.code for icb in ICBS for s in icb.subs), start=1)
    }
    final = sorted((p for p in practices if p.in_year(2)), key=lambda p: (p.sub.code, p.code))
    for p in final:
        listed = p.registered[2] / 4 * math.exp(rng.gauss(0.004, 0.01))
        shares = age_profile(p.old_share)
        counts: dict[str, list[int]] = {"FEMALE": [], "MALE": []}
        for band, share in enumerate(shares):
            female = FEMALE_SHARE[band]
            for sex, part in (("FEMALE", female), ("MALE", 1 - female)):
                expected = listed * share * part * math.exp(rng.gauss(0.0, 0.04))
                counts[sex].append(max(0, round(expected)))
        prefix = [
            REGISTERED_PUBLICATION,
            REGISTERED_EXTRACT_DATE,
            "GP",
            p.sub.code,
            ons[p.sub.code],
            p.code,
            p.postcode,
        ]
        everyone = sum(counts["FEMALE"]) + sum(counts["MALE"])
        yield [*prefix, "ALL", "ALL", str(everyone)]
        for sex in ("FEMALE", "MALE"):
            yield [*prefix, sex, "ALL", str(sum(counts[sex]))]
            for label, n in zip(AGE_BANDS, counts[sex], strict=True):
                yield [*prefix, sex, label, str(n)]


# --- eFIT tool input files --------------------------------------------------------------------


def _write_efit(writer: _Writer, practices: list[Practice], rng: random.Random) -> None:
    by_icb: dict[str, list[Practice]] = {}
    for p in practices:
        if p.in_year(2):
            by_icb.setdefault(p.icb.code, []).append(p)
    for icb in sorted(ICBS, key=lambda i: i.code):
        members = sorted(by_icb[icb.code], key=lambda p: (p.sub.code, p.code))
        # The 2026/27 list: the 2022/23 one grown by about 1% a year for four years.
        lists = {p.code: p.registered[2] / 4 * math.exp(rng.gauss(0.04, 0.04)) for p in members}
        for sex in ("f", "m"):
            writer.csv(
                f"efit/population/{sex}_pop_{icb.code}_{EFIT_POPULATION_YEAR}.csv",
                EFIT_POPULATION_HEADER,
                [_efit_population_row(p, lists[p.code], sex, rng) for p in members],
            )
        writer.csv(
            f"efit/indicators/indicator_{icb.code}_{EFIT_INDICATOR_YEAR}_v1.csv",
            EFIT_INDICATOR_HEADER,
            [_efit_indicator_row(icb, p, lists[p.code], rng) for p in members],
        )


def _efit_population_row(p: Practice, listed: float, sex: str, rng: random.Random) -> list[str]:
    row = [p.code]
    for band, share in enumerate(age_profile(p.old_share)):
        part = FEMALE_SHARE[band] if sex == "f" else 1 - FEMALE_SHARE[band]
        ages = 1 if band == len(AGE_BANDS) - 1 else 5
        for _ in range(ages):
            n = round(listed * share * part / ages * math.exp(rng.gauss(0.0, 0.12)))
            # The eFIT files leave an age with no patients blank.
            row.append(f"{n}.0" if n > 0 else "")
    return row


def _efit_indicator_row(icb: Icb, p: Practice, listed: float, rng: random.Random) -> list[str]:
    values: dict[str, str] = {}
    for model in EFIT_MODELS:
        value = (
            model.base
            + model.slope_imd * (p.imd - 20)
            + model.slope_old * (p.old_share - 0.18)
            + rng.gauss(0.0, model.noise)
        )
        blank = rng.random() < model.blank
        values[model.name] = "" if blank else _dp(_clamp(value, model.low, model.high), 4)
    score = p.imd * math.exp(rng.gauss(0.0, 0.06))
    values[EFIT_IMD_COLUMN] = _dp(score, 3) if p.imd_scores else ""
    ratio = p.weighted[2] / (p.registered[2] * 25)
    values[EFIT_WEIGHTED_COLUMN] = str(round(listed * ratio))
    ident = [f"{icb.short_name} - {p.sub.code}", p.code, p.name]
    return [*ident, *(values[c] for c in EFIT_INDICATOR_HEADER[3:])]
