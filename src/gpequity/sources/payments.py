"""NHS Payments to General Practice, England: the annual practice-level CSV (NHS Digital).

Each file holds one financial year, one row per practice, with its list sizes and every
payment line. The column names drift between years (renamed lines, trailing spaces, lines
added for PCNs and COVID from 2019/20, a byte-order mark on some files); ``COLUMNS`` below is
the single mapping from every year's headers to the canonical schema. A column it does not
know is not lost: it is kept in ``payment_lines`` (numeric) or ``payments_unmapped`` (text)
and reported as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gpequity.errors import InputFileError
from gpequity.sources.base import (
    LoadReport,
    normalise_header,
    quote_ident,
    read_csv_text,
    read_header,
    reject_where,
    require_year_in_name,
    year_in_name,
)
from gpequity.tables import has_table

NAME = "payments"
TITLE = "NHS Payments to General Practice"

#: ``nhspaymentsgp-22-23-prac-csv.csv`` -> 2022/23.
FILE_NAME = re.compile(r"nhspaymentsgp-(\d{2})-(\d{2})-prac", re.IGNORECASE)

#: How money is stored: pounds and pence, exactly.
MONEY = "DECIMAL(18,2)"
#: A money value as the files write it: pounds with at most two decimals.
MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]{1,2})?$"
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
#: What the averages columns hold when a practice has no patients.
NOT_APPLICABLE = ("", "N/A", "-")
DISPENSING_VALUES = {"yes": "Yes", "no": "No", "unknown": "Unknown"}


@dataclass(frozen=True)
class Column:
    """A canonical column: its name in the warehouse, kind, and the headers it has had."""

    name: str
    kind: str  # "text", "patients", "average", "money", "total"
    label: str
    headers: tuple[str, ...]
    group: str = ""


def _c(name: str, kind: str, label: str, *headers: str, group: str = "") -> Column:
    return Column(name, kind, label, headers or (label,), group)


def _payment_lines(group: str, *lines: tuple[str, ...]) -> tuple[Column, ...]:
    """The payment lines of one group, each ``(name, label, *headers if they differ)``."""
    return tuple(_c(name, "money", label, *headers, group=group) for name, label, *headers in lines)


# One mapping, in one place. Headers are matched after folding case, spaces, dots and
# underscores (normalise_header), so 'Appraisal Costs ' and 'Doctors.Retainer.Scheme.Payments'
# need no entries of their own.
COLUMNS: tuple[Column, ...] = (
    _c("region_code", "text", "NHS England (Region) code"),
    _c("region_name", "text", "NHS England (Region) Name"),
    _c("ccg_code", "text", "CCG Code"),
    # 2022/23 calls the sub-ICB name "Sub ICB NAME"; see YEAR_OVERRIDES for 'CCG NAME'.
    _c("ccg_name", "text", "CCG NAME", "CCG NAME", "Sub ICB NAME"),
    _c("pcn_code", "text", "PCN Code"),
    _c("pcn_name", "text", "PCN Name"),
    _c("practice_code", "text", "Practice Code"),
    _c("practice_name", "text", "Practice Name"),
    _c("address", "text", "Practice Address"),
    _c("postcode", "text", "Practice Postcode"),
    _c("open_date", "text", "Practice Open Date"),
    _c("close_date", "text", "Practice Close Date"),
    _c("contract_type", "text", "Contract Type"),
    _c("dispensing", "text", "Dispensing Practice"),
    # 2016/17 ran the words of these three headers together.
    _c("practice_type", "text", "Practice Type", "Practice Type", "PracticeType"),
    _c("rurality", "text", "Practice Rurality", "Practice Rurality", "PracticeRurality"),
    _c(
        "atypical",
        "text",
        "Atypical Characteristics",
        "Atypical Characteristics",
        "AtypicalCharacteristics",
    ),
    _c("quarter_used", "text", "Quarter used for patient data"),
    _c("registered_patients", "patients", "Number of Registered Patients (Last Known Figure)"),
    _c("weighted_patients", "patients", "Number of Weighted Patients (Last Known Figure)"),
    _c("avg_per_registered", "average", "Average payments per registered patient"),
    _c("avg_per_weighted", "average", "Average payments per weighted patient"),
    _c(
        "avg_per_registered_incl_pcn",
        "average",
        "Average payments per registered patient including PCN Workforce, Leadership and Support",
    ),
    _c(
        "avg_per_weighted_incl_pcn",
        "average",
        "Average payments per weighted patient including PCN Workforce, Leadership and Support",
    ),
    _c(
        "avg_per_registered_incl_covid",
        "average",
        "Average payments per registered patient including covid payments",
        # 2020/21 named it after covid support and expansion; 2021/22 added long covid.
        "Average payments per registered patient including covid vaccination and covid "
        "support and expansion payments",
        "Average payments per registered patient including covid vaccination, covid support "
        "and long covid payments",
    ),
    _c(
        "avg_per_weighted_incl_covid",
        "average",
        "Average payments per weighted patient including covid payments",
        "Average payments per weighted patient including covid vaccination and covid "
        "support and expansion payments",
        "Average payments per weighted patient including covid vaccination, covid support "
        "and long covid payments",
    ),
    # Core
    *_payment_lines(
        "core",
        ("global_sum", "Global Sum"),
        ("mpig_correction_factor", "MPIG Correction factor"),
        ("balance_of_pms", "Balance of PMS Expenditure"),
    ),
    # QOF
    *_payment_lines("qof", ("qof", "Total QOF Payments")),
    # Enhanced services and vaccination schemes
    *_payment_lines(
        "enhanced",
        ("alcohol", "Alcohol"),
        ("childhood_vaccination", "Childhood Vaccination and Immunisation Scheme"),
        ("extended_hours_access", "GP Extended Hours Access"),
        (
            "dementia_diagnosis",
            "Facilitating Timely Diagnosis and Support for People with Dementia",
        ),
        ("patient_online_access", "Improving Patient Online Access"),
        ("flu_pneumococcal", "Influenza and Pneumococcal Immunisations"),
        ("learning_disabilities", "Learning Disabilities"),
        ("minor_surgery", "Minor Surgery"),
        ("patient_participation", "Patient Participation"),
        ("remote_care_monitoring", "Remote Care Monitoring"),
        ("risk_profiling", "Risk Profiling and Case Management"),
        ("rotavirus_shingles", "Rotavirus and Shingles Immunisation"),
        ("violent_patients", "Services for Violent Patients"),
        ("unplanned_admissions", "Unplanned Admissions"),
        ("out_of_area_urgent_care", "Out Of Area in Hours Urgent Care"),
        ("meningitis", "Meningitis"),
        ("pertussis", "Pertussis"),
        ("medical_assessment_reviews", "Medical Assessment Reviews"),
        ("weight_management", "Weight Management Service"),
        ("national_enhanced_services", "Total National Enhanced Services"),
    ),
    *_payment_lines(
        "local",
        # 2015/16 split local enhanced services by payment system before totalling them.
        ("local_enhanced_services_nhais", "LocalEnhancedServices_NHAIS_"),
        ("local_enhanced_services_isfe", "LocalEnhancedServices_ISFE_"),
        ("local_enhanced_services", "Total Local Enhanced Services"),
        # Renamed "Local Incentive Schemes" in 2022/23.
        (
            "local_incentive_schemes",
            "Total Local Incentive Schemes",
            "Total Local Incentive Schemes",
            "Local Incentive Schemes",
        ),
    ),
    # Allowances, premises, IT
    *_payment_lines("premises", ("premises", "Premises Payments")),
    *_payment_lines(
        "allowances",
        ("seniority", "Seniority"),
        ("doctors_retainer_scheme", "Doctors Retainer Scheme Payments"),
        ("locum_allowances", "Total Locum Allowances"),
        ("prolonged_study_leave", "Prolonged Study Leave"),
        # Renamed in 2022/23 to say what it is.
        (
            "appraisal_costs",
            "Appraisal Costs",
            "Appraisal Costs",
            "Appraisal - Appraiser Costs in Respect of Locums",
        ),
    ),
    *_payment_lines("other", ("pco_admin_other", "PCO Admin Other")),
    *_payment_lines("it", ("information_technology", "Information Management and Technology")),
    *_payment_lines(
        "enhanced",
        (
            "non_des_pneumococcal",
            "Non DES Item Pneumococcal Vaccine, Childhood Immunisation Main Programme",
        ),
    ),
    *_payment_lines(
        "other",
        # "General Practice Forward View" funding was renamed "General Practice Transformation"
        # in 2021/22.
        (
            "gp_forward_view",
            "General Practice Forward View / Transformation",
            "General Practice Forward View",
            "General Practice Transformation",
        ),
    ),
    *_payment_lines("pcn", ("pcn_participation", "PCN Participation")),
    # Prescribing and dispensing
    *_payment_lines(
        "prescribing",
        ("prescribing_fee", "Prescribing Fee Payments"),
        ("dispensing_fee", "Dispensing Fee Payments"),
        ("drug_reimbursement", "Reimbursement of Drugs"),
    ),
    *_payment_lines(
        "other",
        ("winter_access_fund", "Winter Access Fund"),
        ("other_payments", "Other Payments"),
    ),
    # PCN and COVID lines (from 2019/20 and 2020/21)
    *_payment_lines(
        "pcn",
        ("pcn_leadership", "PCN Leadership"),
        ("pcn_support", "PCN Support"),
        ("pcn_extended_hours_access", "PCN Extended Hours Access"),
        ("pcn_workforce", "PCN Workforce"),
        ("pcn_investment_impact_fund", "PCN Investment and impact Fund"),
        ("pcn_care_home_premium", "PCN Care Home Premium"),
        ("pcn_enhanced_access", "PCN Enhanced Access"),
    ),
    *_payment_lines(
        "covid",
        ("covid_immunisation", "Covid Immunisation"),
        ("covid_support_expansion", "Covid Support and Expansion"),
        ("long_covid", "Long Covid"),
    ),
    # Totals
    _c("total_payments", "total", "Total NHS Payments to General Practice"),
    _c("deductions", "total", "Deductions for Pensions, Levies and Prescription Charge Income"),
    _c(
        "total_minus_deductions", "total", "Total NHS Payments to General Practice Minus Deductions"
    ),
    _c(
        "total_incl_covid",
        "total",
        "Total NHS Payments to General Practice including covid vaccination, covid support "
        "and long covid payments",
        # 2020/21's name, before long covid payments began.
        "Total NHS Payments including covid vaccination and covid support and expansion payments",
        "Total NHS Payments to General Practice including covid vaccination, covid support "
        "and long covid payments",
    ),
    _c(
        "total_incl_pcn",
        "total",
        "Total NHS Payments including PCN Workforce, Leadership and Support",
    ),
    _c(
        "total_incl_covid_pcn",
        "total",
        "Total NHS Payments to General Practice including Covid and PCN payments",
    ),
    _c(
        "total_incl_covid_pcn_minus_deductions",
        "total",
        "Total NHS Payments to General Practice including Covid and PCN payments minus deductions",
    ),
)

#: Headers that mean something else in one year. NHS Digital's 2022/23 file labels the PCN
#: code column "Code" and the PCN name column "CCG NAME" (its sub-ICB name is "Sub ICB NAME").
YEAR_OVERRIDES: dict[str, dict[str, str]] = {
    "2022/23": {"code": "pcn_code", "ccg name": "pcn_name"},
}

#: Columns every year has; a file without one of them cannot be loaded.
REQUIRED = (
    "practice_code",
    "practice_name",
    "ccg_code",
    "dispensing",
    "registered_patients",
    "weighted_patients",
    "total_payments",
)

MONEY_KINDS = ("money", "total")
BY_NAME = {c.name: c for c in COLUMNS}
_HEADER_INDEX = {normalise_header(h): c.name for c in COLUMNS for h in c.headers}

#: Payment lines that are prescribing- or dispensing-related (domain.md).
PRESCRIBING_DISPENSING_LINES = ("prescribing_fee", "dispensing_fee", "drug_reimbursement")


#: The ICB each practice was counted in, by period: from the payments files' own columns, and
#: from the eFIT tool's files (``sources/efit.py``), which create the same table.
PRACTICE_ICB_DDL = """
CREATE TABLE IF NOT EXISTS practice_icb (
    practice_code VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    icb_code VARCHAR NOT NULL,
    icb_name VARCHAR,
    source VARCHAR NOT NULL
);
"""


def _schema() -> str:
    types = {"text": "VARCHAR", "patients": "DOUBLE", "average": "DOUBLE"}
    cols = ",\n    ".join(
        f"{c.name} {types.get(c.kind, MONEY)}" for c in COLUMNS if c.name != "practice_code"
    )
    money = ", ".join(c.name for c in COLUMNS if c.kind in MONEY_KINDS)
    return f"""
CREATE TABLE payments (
    year VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    icb_code VARCHAR NOT NULL,
    icb_name VARCHAR NOT NULL,
    {cols}
);
CREATE TABLE payment_columns (
    year VARCHAR NOT NULL,
    payment_line VARCHAR NOT NULL,
    source_column VARCHAR NOT NULL,
    mapped BOOLEAN NOT NULL
);
CREATE TABLE payment_lines_unmapped (
    year VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    payment_line VARCHAR NOT NULL,
    amount {MONEY}
);
-- The long form, for time series: one row per practice, year and payment line. A view over the
-- wide table (the same amounts need not be stored twice) plus the lines the mapping does not
-- know; ``source_column`` is the header the line had in that year's file.
CREATE VIEW payment_lines AS
SELECT u.year, u.practice_code, u.payment_line, c.source_column, true AS mapped, u.amount
FROM (
    UNPIVOT (SELECT year, practice_code, {money} FROM payments)
    ON {money} INTO NAME payment_line VALUE amount
) u
JOIN payment_columns c ON c.year = u.year AND c.payment_line = u.payment_line AND c.mapped
UNION ALL
SELECT x.year, x.practice_code, x.payment_line, c.source_column, false, x.amount
FROM payment_lines_unmapped x
JOIN payment_columns c ON c.year = x.year AND c.payment_line = x.payment_line AND NOT c.mapped;
CREATE TABLE payments_unmapped (
    year VARCHAR NOT NULL,
    practice_code VARCHAR NOT NULL,
    source_column VARCHAR NOT NULL,
    value VARCHAR
);
CREATE TABLE payment_line_catalogue (
    payment_line VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL,
    line_group VARCHAR NOT NULL,
    is_total BOOLEAN NOT NULL
);
{PRACTICE_ICB_DDL}"""


def year_from_name(path: Path) -> str | None:
    """Return ``2022/23`` for ``nhspaymentsgp-22-23-prac-csv.csv``, else ``None``."""
    return year_in_name(path, FILE_NAME)


def map_header(header: Sequence[str], year: str) -> dict[str, str]:
    """Map each source header to its canonical column name ('' when unknown)."""
    overrides = YEAR_OVERRIDES.get(year, {})
    out: dict[str, str] = {}
    for raw in header:
        key = normalise_header(raw)
        out[raw] = overrides.get(key) or _HEADER_INDEX.get(key, "")
    return out


class PaymentsDataset:
    """Loader of the practice-level NHS Payments to General Practice CSV."""

    name = NAME
    title = TITLE
    schema = _schema()

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        folded = {normalise_header(h) for h in header}
        if "practice code" not in folded or not any(
            h.startswith("total nhs payments") for h in folded
        ):
            return None
        return require_year_in_name(path, FILE_NAME, TITLE, "nhspaymentsgp-22-23-prac-csv.csv")

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        year = report.period or ""
        header = read_header(path)
        mapping = map_header(header, year)
        _check_header(path, header, mapping)
        report.rows_read = read_csv_text(con, path, "raw_payments", header, report)
        if not con.execute("SELECT count(*) FROM ccg_icb").fetchone()[0]:  # type: ignore[index]
            raise InputFileError(
                path,
                "the CCG/sub-ICB to ICB lookup (ccg-icb-lookup.csv) must be loaded with the "
                "payments files: every practice needs an ICB",
            )
        col = {canonical: raw for raw, canonical in mapping.items() if canonical}
        _validate(con, report, col)
        _insert(con, year, col, report)
        unmapped = [raw for raw, canonical in mapping.items() if not canonical]
        if unmapped:
            _keep_unmapped(con, year, col, unmapped, report)

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        pending = (
            con.execute("SELECT year, select_sql FROM payments_pending ORDER BY year").fetchall()
            if has_table(con, "payments_pending")
            else []
        )
        if pending:
            con.execute(
                "INSERT INTO payments BY NAME "
                + " UNION ALL BY NAME ".join(f"({sql})" for _, sql in pending)
            )
            con.execute(
                "INSERT INTO practice_icb SELECT practice_code, year, icb_code, icb_name, "
                "'payments' FROM payments ORDER BY year, practice_code"
            )
            for year, _ in pending:
                con.execute(f"DROP TABLE {_raw_table(year)}")
            con.execute("DROP TABLE payments_pending")
        con.executemany(
            "INSERT INTO payment_line_catalogue VALUES (?, ?, ?, ?)",
            [
                [c.name, c.label, c.group or "total", c.kind == "total"]
                for c in COLUMNS
                if c.kind in MONEY_KINDS
            ],
        )
        return []


def _raw_table(year: str) -> str:
    """The temporary table holding a year's file until derive() inserts it."""
    return "raw_payments_" + re.sub(r"\W", "_", year)


def _check_header(path: Path, header: Sequence[str], mapping: dict[str, str]) -> None:
    present = set(mapping.values())
    for name in REQUIRED:
        if name not in present:
            raise InputFileError(path, f"missing required column '{BY_NAME[name].label}'")
    seen: dict[str, str] = {}
    for raw, canonical in mapping.items():
        if canonical and canonical in seen:
            raise InputFileError(
                path,
                f"columns '{seen[canonical]}' and '{raw}' both map to '{canonical}'",
                column=raw,
            )
        seen[canonical] = raw
    if len(set(header)) != len(header):
        dup = next(h for h in header if list(header).count(h) > 1)
        raise InputFileError(path, "the header repeats a column name", column=dup)


def _validate(con: duckdb.DuckDBPyConnection, report: LoadReport, col: dict[str, str]) -> None:
    q = {name: quote_ident(raw) for name, raw in col.items()}
    con.execute("ALTER TABLE raw_payments ADD COLUMN _rejected BOOLEAN DEFAULT false")
    code = f"upper(trim({q['practice_code']}))"
    reject_where(
        con,
        "raw_payments",
        report,
        f"coalesce({code}, '') = ''",
        col["practice_code"],
        "no practice code",
    )
    reject_where(
        con,
        "raw_payments",
        report,
        "_row IN (SELECT _row FROM (SELECT _row, row_number() OVER "
        f"(PARTITION BY {code} ORDER BY _row) AS n FROM raw_payments WHERE NOT _rejected) "
        "WHERE n > 1)",
        col["practice_code"],
        lambda v: f"practice {v} appears more than once in this year's file",
        value_expr=code,
    )
    for name in ("registered_patients", "weighted_patients"):
        value = f"trim({q[name]})"
        reject_where(
            con,
            "raw_payments",
            report,
            f"NOT regexp_full_match(coalesce({value}, ''), '{NUMBER_PATTERN}')",
            col[name],
            lambda v: f"list size {v!r} is not a number",
            value_expr=value,
        )
        reject_where(
            con,
            "raw_payments",
            report,
            f"CAST({value} AS DOUBLE) < 0",
            col[name],
            lambda v: f"negative list size {v}",
            value_expr=value,
        )
    for name in ("avg_per_registered", "avg_per_weighted"):
        if name in q:
            value = f"trim({q[name]})"
            reject_where(
                con,
                "raw_payments",
                report,
                f"{value} NOT IN {NOT_APPLICABLE!r} AND NOT regexp_full_match({value}, "
                f"'{NUMBER_PATTERN}')",
                col[name],
                lambda v: f"average {v!r} is not a number",
                value_expr=value,
            )
    money = [name for name in q if BY_NAME[name].kind in MONEY_KINDS]
    # One pass over every money cell: anything but blank or pounds-and-pence is rejected.
    cells = ", ".join(
        f"{{'name': '{col[m].replace(chr(39), chr(39) * 2)}', 'value': trim({q[m]})}}"
        for m in money
    )
    # A whole row is checked with one expression first; only the rare rows that fail it are
    # taken apart cell by cell (3 million cells a load: the cell-by-cell pass alone was slow).
    row_text = "concat_ws('|', " + ", ".join(f"coalesce(trim({q[m]}), '')" for m in money) + ")"
    cell = MONEY_PATTERN.strip("^$")
    suspect = f"NOT regexp_full_match({row_text}, '^({cell})?([|]({cell})?)*$')"
    suspects = (
        [
            r
            for (r,) in con.execute(
                f"SELECT _row FROM raw_payments WHERE NOT _rejected AND {suspect}"
            ).fetchall()
        ]
        if money
        else []
    )
    bad = (
        con.execute(
            f"SELECT _row, c.name, c.value FROM (SELECT * FROM raw_payments "
            f"WHERE _row IN (SELECT unnest(?))), "
            f"(SELECT unnest([{cells}]) AS c) WHERE "
            "coalesce(c.value, '') <> '' "
            f"AND NOT regexp_full_match(c.value, '{MONEY_PATTERN}') "
            "ORDER BY _row",
            [suspects],
        ).fetchall()
        if suspects
        else []
    )
    if bad:
        rows = sorted({int(r) for r, _, _ in bad})
        for row, column, value in bad:
            reason = (
                f"amount {value!r} has more than two decimal places"
                if re.fullmatch(NUMBER_PATTERN, value)
                else f"amount {value!r} is not a number"
            )
            report.reject(int(row), column, reason)
        con.execute(
            "UPDATE raw_payments SET _rejected = true WHERE _row IN (SELECT unnest(?))", [rows]
        )
    dispensing = f"lower(trim({q['dispensing']}))"
    reject_where(
        con,
        "raw_payments",
        report,
        f"coalesce({dispensing}, '') NOT IN {tuple(DISPENSING_VALUES)!r}",
        col["dispensing"],
        lambda v: f"dispensing status {v!r} is not Yes, No or Unknown",
        value_expr=q["dispensing"],
    )
    ccg = f"upper(trim({q['ccg_code']}))"
    reject_where(
        con,
        "raw_payments",
        report,
        f"{ccg} NOT IN (SELECT ccg_code FROM ccg_icb) OR {ccg} IS NULL",
        col["ccg_code"],
        lambda v: (
            f"CCG / sub-ICB code {v!r} is not in the CCG-to-ICB lookup, so the practice has no ICB"
        ),
        value_expr=q["ccg_code"],
    )


def _insert(
    con: duckdb.DuckDBPyConnection, year: str, col: dict[str, str], report: LoadReport
) -> None:
    q = {name: quote_ident(raw) for name, raw in col.items()}
    select = [
        f"'{year}' AS year",
        f"upper(trim({q['practice_code']})) AS practice_code",
        "l.icb_code",
        "l.icb_name",
    ]
    for c in COLUMNS:
        if c.name == "practice_code" or c.name not in q:
            continue
        value = f"nullif(trim({q[c.name]}), '')"
        if c.kind == "text":
            expr = value
            if c.name == "dispensing":
                expr = (
                    f"CASE lower({value}) WHEN 'yes' THEN 'Yes' WHEN 'no' THEN 'No' "
                    "ELSE 'Unknown' END"
                )
            elif c.name in ("ccg_code", "pcn_code", "region_code"):
                expr = f"upper({value})"
            elif c.name in ("contract_type", "rurality", "practice_type"):
                # 2016/17 to 2020/21 write UNKNOWN; later files Unknown.
                expr = f"CASE WHEN upper({value}) = 'UNKNOWN' THEN 'Unknown' ELSE {value} END"
        # Numbers were validated above, so TRY_CAST (which trims, and reads '' as NULL) only
        # meets good values; it is twice as fast as trimming first.
        elif c.kind in ("average", "patients"):
            expr = f"TRY_CAST({q[c.name]} AS DOUBLE)"
        else:
            expr = f"TRY_CAST({q[c.name]} AS {MONEY})"
        select.append(f"{expr} AS {c.name}")
    # The rows go in at derive(), every year in one insert: DuckDB's cost of appending to a
    # table of ninety columns is mostly per insert, so nine inserts took seven times longer.
    con.execute(
        f"ALTER TABLE raw_payments RENAME TO {_raw_table(year)}; "
        "CREATE TEMP TABLE IF NOT EXISTS payments_pending (year VARCHAR, select_sql VARCHAR)"
    )
    con.execute(
        "INSERT INTO payments_pending VALUES (?, ?)",
        [
            year,
            f"SELECT {', '.join(select)} FROM {_raw_table(year)} r JOIN ccg_icb l "
            f"ON l.ccg_code = upper(trim(r.{q['ccg_code']})) WHERE NOT r._rejected",
        ],
    )
    loaded = con.execute(f"SELECT count(*) FROM {_raw_table(year)} WHERE NOT _rejected").fetchone()
    report.rows_loaded = int(loaded[0]) if loaded else 0
    # The long view payment_lines reads the wide table through this record of each year's
    # headers.
    money = [c.name for c in COLUMNS if c.kind in MONEY_KINDS and c.name in q]
    con.execute(
        "INSERT INTO payment_columns SELECT ?, unnest(?), unnest(?), true",
        [year, money, [col[name] for name in money]],
    )


def _keep_unmapped(
    con: duckdb.DuckDBPyConnection,
    year: str,
    col: dict[str, str],
    unmapped: list[str],
    report: LoadReport,
) -> None:
    code = f"upper(trim({quote_ident(col['practice_code'])}))"
    table = _raw_table(year)
    for raw in unmapped:
        value = f"nullif(trim({quote_ident(raw)}), '')"
        numeric = con.execute(
            f"SELECT bool_and(regexp_full_match({value}, '{MONEY_PATTERN}')) FROM {table} "
            f"WHERE NOT _rejected AND {value} IS NOT NULL"
        ).fetchone()
        if numeric and numeric[0]:
            con.execute(
                f"INSERT INTO payment_lines_unmapped SELECT '{year}', {code}, ?, "
                f"CAST({value} AS {MONEY}) FROM {table} WHERE NOT _rejected "
                f"AND {value} IS NOT NULL",
                [raw.strip()],
            )
            con.execute(
                "INSERT INTO payment_columns VALUES (?, ?, ?, false)", [year, raw.strip(), raw]
            )
            where = "payment_lines (as an unmapped payment line)"
        else:
            con.execute(
                f"INSERT INTO payments_unmapped SELECT '{year}', {code}, ?, {value} "
                f"FROM {table} WHERE NOT _rejected",
                [raw],
            )
            where = "payments_unmapped"
        report.warn(f"column '{raw}' is not in the payments mapping; kept in {where}")


DATASET = PaymentsDataset()
