"""CCG / sub-ICB location to Integrated Care Board lookup (NHS England, July 2022).

Since July 2022 the 42 ICBs have replaced the CCGs, which live on as sub-ICB locations under
their old codes. The payments files give each practice's CCG / sub-ICB code; this lookup gives
its ICB. File: ``lookups/ccg-icb-lookup.csv``, columns ``CCG Code, ICB Code, ICB NAME`` (with a
byte-order mark).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from gpequity.sources.base import (
    LoadReport,
    finish_load,
    has_columns,
    quote_ident,
    read_raw,
    reject_blanks,
    reject_where,
)

NAME = "lookup"
TITLE = "CCG / sub-ICB location to ICB lookup (NHS England)"

#: The financial year the 42 ICBs began (1 July 2022).
ICB_FIRST_PERIOD = "2022/23"

COLUMNS = {
    "ccg_code": ("CCG Code", "Sub ICB Location Code", "SICBL22CDH"),
    "icb_code": ("ICB Code", "ICB22CDH"),
    "icb_name": ("ICB NAME", "ICB22NM"),
}

SCHEMA = """
CREATE TABLE ccg_icb (
    ccg_code VARCHAR PRIMARY KEY,
    icb_code VARCHAR NOT NULL,
    icb_name VARCHAR NOT NULL
);
CREATE TABLE icbs (
    icb_code VARCHAR PRIMARY KEY,
    icb_name VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    first_period VARCHAR
);
"""

RAW = "raw_lookup"


class LookupDataset:
    """Loader of the CCG / sub-ICB to ICB lookup."""

    name = NAME
    title = TITLE
    schema = SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        if has_columns(header, "Practice Code"):
            return None  # a payments file names the CCG too
        if all(any(has_columns(header, n) for n in names) for names in COLUMNS.values()):
            return ""
        return None

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        col = read_raw(con, path, RAW, report, COLUMNS)
        ccg = f"upper(trim({quote_ident(col['ccg_code'])}))"
        icb = f"upper(trim({quote_ident(col['icb_code'])}))"
        name = f"trim({quote_ident(col['icb_name'])})"
        reject_blanks(
            con,
            RAW,
            report,
            [
                (ccg, col["ccg_code"], "CCG / sub-ICB code"),
                (icb, col["icb_code"], "ICB code"),
                (name, col["icb_name"], "ICB name"),
            ],
        )
        # A CCG mapped to two different ICBs (in this file, or by a lookup loaded before) is
        # wrong somewhere, and nothing says which: every row of that CCG is rejected.
        reject_where(
            con,
            RAW,
            report,
            f"{ccg} IN (SELECT c FROM (SELECT {ccg} AS c, {icb} AS i FROM {RAW} "
            "WHERE NOT _rejected UNION SELECT ccg_code, icb_code FROM ccg_icb) "
            "GROUP BY c HAVING count(DISTINCT i) > 1)",
            col["icb_code"],
            lambda v: f"CCG / sub-ICB code {v} is mapped to more than one ICB",
            value_expr=ccg,
        )
        reject_where(
            con,
            RAW,
            report,
            f"{icb} IN (SELECT i FROM (SELECT {icb} AS i, {name} AS n FROM {RAW} "
            "WHERE NOT _rejected UNION SELECT icb_code, icb_name FROM icbs) "
            "GROUP BY i HAVING count(DISTINCT n) > 1)",
            col["icb_name"],
            lambda v: f"ICB {v} has more than one name in the lookup",
            value_expr=icb,
        )
        # The same mapping twice is harmless: it is loaded once.
        con.execute(
            f"INSERT INTO ccg_icb SELECT DISTINCT {ccg}, {icb}, {name} FROM {RAW} "
            f"WHERE NOT _rejected AND {ccg} NOT IN (SELECT ccg_code FROM ccg_icb)"
        )
        con.execute(
            f"INSERT INTO icbs SELECT DISTINCT {icb}, {name}, '{NAME}', '{ICB_FIRST_PERIOD}' "
            f"FROM {RAW} WHERE NOT _rejected AND {icb} NOT IN (SELECT icb_code FROM icbs)"
        )
        repeated = con.execute(
            f"SELECT count(*) - count(DISTINCT {ccg}) FROM {RAW} WHERE NOT _rejected"
        ).fetchall()[0][0]
        if repeated:
            report.warn(f"rows repeating an earlier row's CCG and ICB, loaded once: {repeated:,}")
        finish_load(con, RAW, report)

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


DATASET = LookupDataset()
