"""Sub ICB Locations (``eccg.csv``), NHS England's Organisation Data Service (ODS).

ODS publishes its organisation lists as CSV files with no header row, every one in its standard
27-column layout ("Organisation Code, Name, National Grouping, High Level Health Geography,
Address Line 1 ... 5, Postcode, Open Date, Close Date, Null, Organisation Sub-Type Code, ...,
Amended Record Indicator, ..."). The sub-ICB locations (formerly CCGs, whose codes they kept in
July 2022) are ``eccg.csv``, inside ``eccg.zip`` on the ODS "Other NHS organisations" page. For
each location: its ODS code, its name ("NHS ESSEX ICB - 07H": ODS writes names in capitals and
names a sub-ICB location after its ICB and its own code), its NHS England region (National
Grouping, ``Y61``), its ICB (High Level Health Geography, ``D7T5G``), and when it opened and
closed (``YYYYMMDD``).

It is the official statement of which ICB each sub-ICB location belongs to on a date; the
organisation model prefers ONS's LSOA lookup (which has ONS codes too) and, without either,
derives the map from the eFIT files. Rows that are not sub-ICB locations (the closed CCGs of
before 2022, commissioning hubs, reporting entities) are loaded and left out by the model: it
keeps the rows open on the day a geography began whose name ends with their own code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from gpequity.sources.base import (
    LoadReport,
    finish_load,
    read_csv_text,
    reject_blanks,
    reject_repeats,
    reject_where,
)

NAME = "ods_sub_icb"
TITLE = "Sub ICB Locations (eccg.csv), NHS England Organisation Data Service"
#: The file's name as ODS publishes it (inside ``eccg.zip``).
FILE_NAME = "eccg.csv"
#: The columns of ODS's standard layout; the loader reads these (0-based positions).
ODS_COLUMNS = 27
COLUMNS = {
    "code": (0, "Organisation Code"),
    "name": (1, "Name"),
    "region_code": (2, "National Grouping"),
    "icb_code": (3, "High Level Health Geography"),
    "open_date": (10, "Open Date"),
    "close_date": (11, "Close Date"),
}
#: A date as ODS writes it: ``20260401``.
ODS_DATE = r"^[0-9]{8}$"

SCHEMA = """
CREATE TABLE ods_sub_icbs (
    code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    region_code VARCHAR,
    icb_code VARCHAR NOT NULL,
    open_date DATE NOT NULL,
    close_date DATE
);
"""

RAW = "raw_ods_sub_icb"


def _not_a_date(what: str) -> Callable[[str | None], str]:
    return lambda value: f"{what} {value!r} is not a date written YYYYMMDD"


def _header() -> list[str]:
    names = {position: title for position, title in COLUMNS.values()}
    return [names.get(i, f"Column {i + 1}") for i in range(ODS_COLUMNS)]


class OdsSubIcbDataset:
    """Loader of ODS's list of sub-ICB locations (``eccg.csv``, no header row)."""

    name = NAME
    title = TITLE
    schema = SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        # No header row: ``header`` is the first organisation. Its name and shape say it is
        # ODS's file (a renamed copy is not recognised: nothing else in it says what it is).
        if path.name.lower() != FILE_NAME or len(header) != ODS_COLUMNS:
            return None
        return "" if re.fullmatch(ODS_DATE[1:-1], header[10].strip()) else None

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        header = _header()
        report.rows_read = read_csv_text(con, path, RAW, header, report, has_header=False)
        con.execute(f"ALTER TABLE {RAW} ADD COLUMN _rejected BOOLEAN DEFAULT false")
        cell = {key: f'upper(trim("{header[i]}"))' for key, (i, _) in COLUMNS.items()}
        cell["name"] = f"regexp_replace(trim(\"{header[1]}\"), '\\s+', ' ', 'g')"
        reject_blanks(
            con,
            RAW,
            report,
            [
                (cell["code"], header[0], "organisation code"),
                (cell["name"], header[1], "name"),
                (cell["icb_code"], header[3], "ICB code (High Level Health Geography)"),
                (cell["open_date"], header[10], "open date"),
            ],
        )
        for key in ("open_date", "close_date"):
            column = COLUMNS[key][1]
            reject_where(
                con,
                RAW,
                report,
                f"nullif({cell[key]}, '') IS NOT NULL AND (NOT regexp_full_match({cell[key]}, "
                f"'{ODS_DATE}') OR try_strptime({cell[key]}, '%Y%m%d') IS NULL)",
                column,
                _not_a_date(column.lower()),
                value_expr=cell[key],
            )
        reject_repeats(
            con,
            RAW,
            report,
            cell["code"],
            header[0],
            lambda v, first: f"organisation {v} appears again (first on row {first})",
        )
        con.execute(
            f"""
            INSERT INTO ods_sub_icbs
            SELECT {cell["code"]}, {cell["name"]}, nullif({cell["region_code"]}, ''),
                {cell["icb_code"]}, strptime({cell["open_date"]}, '%Y%m%d')::DATE,
                strptime(nullif({cell["close_date"]}, ''), '%Y%m%d')::DATE
            FROM {RAW} WHERE NOT _rejected ORDER BY _row
            """
        )
        finish_load(con, RAW, report)

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


DATASET = OdsSubIcbDataset()
