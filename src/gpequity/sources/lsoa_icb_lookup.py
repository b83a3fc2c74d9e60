"""LSOA (2021) to SICBL to ICB to NHSER to LAD (April 2026) Lookup in EN (ONS Geography Portal).

One row per Lower layer Super Output Area (2021): its sub-ICB location, ICB, NHS England region
and local authority district, each by ONS code (``...CD``), ODS code (``...CDH``, not for LSOAs
and districts) and name (``...NM``): ``LSOA21CD, LSOA21NM, SICBL26CD, SICBL26CDH, SICBL26NM,
ICB26CD, ICB26CDH, ICB26NM, NHSER26CD, NHSER26CDH, NHSER26NM, LAD26CD, LAD26NM`` (the district
columns may carry another year, e.g. ``LAD25CD``), plus the portal's ``ObjectId``.

It is the official statement of which sub-ICB locations make up each April 2026 ICB; the
warehouse's organisation model prefers it to the map derived from the eFIT files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from gpequity.errors import InputFileError
from gpequity.sources.base import (
    LoadReport,
    finish_load,
    quote_ident,
    read_header,
    read_raw,
    reject_blanks,
    reject_repeats,
    reject_where,
)
from gpequity.sources.icb_names import geography_start, ons_year

NAME = "lsoa_icb_lookup"
TITLE = "LSOA (2021) to SICBL to ICB to NHSER to LAD (April 2026) Lookup in EN (ONS)"

SCHEMA = """
CREATE TABLE lsoa_icb_lookup (
    valid_from DATE NOT NULL,
    lsoa_code VARCHAR NOT NULL,
    lsoa_name VARCHAR,
    sub_icb_ons VARCHAR NOT NULL,
    sub_icb_code VARCHAR NOT NULL,
    sub_icb_name VARCHAR NOT NULL,
    icb_ons VARCHAR NOT NULL,
    icb_code VARCHAR NOT NULL,
    icb_name VARCHAR NOT NULL,
    region_ons VARCHAR,
    region_code VARCHAR,
    region_name VARCHAR,
    lad_code VARCHAR,
    lad_name VARCHAR
);
"""

RAW = "raw_lsoa_icb_lookup"
#: Each column read: its key -> the area (named in the header with its year), the ending
#: (``CD`` the ONS code, ``CDH`` the ODS code, ``NM`` the name) and, for the cells every row
#: must have, what a blank one is called.
COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "lsoa_code": ("LSOA", "CD", "LSOA code"),
    "lsoa_name": ("LSOA", "NM", None),
    "sub_icb_ons": ("SICBL", "CD", "sub-ICB location ONS code"),
    "sub_icb_code": ("SICBL", "CDH", "sub-ICB location ODS code"),
    "sub_icb_name": ("SICBL", "NM", "sub-ICB location name"),
    "icb_ons": ("ICB", "CD", "ICB ONS code"),
    "icb_code": ("ICB", "CDH", "ICB ODS code"),
    "icb_name": ("ICB", "NM", "ICB name"),
    "region_ons": ("NHSER", "CD", None),
    "region_code": ("NHSER", "CDH", None),
    "region_name": ("NHSER", "NM", None),
    "lad_code": ("LAD", "CD", None),
    "lad_name": ("LAD", "NM", None),
}
#: The cells every row must have, and what a blank one is called.
REQUIRED = {key: what for key, (_, _, what) in COLUMNS.items() if what is not None}


def _named(years: dict[str, str], required: bool) -> dict[str, tuple[str, ...]]:
    """The header names of the required (or the optional) columns, each area with its year."""
    return {
        key: (f"{area}{years[area]}{end}",)
        for key, (area, end, what) in COLUMNS.items()
        if (what is not None) == required
    }


def _lad_year(header: Sequence[str]) -> str | None:
    for name in header:
        match = re.fullmatch(r"\s*LAD(\d\d)CD\s*", name, re.IGNORECASE)
        if match:
            return match.group(1)
    return None


class LsoaIcbLookupDataset:
    """Loader of the ONS LSOA to sub-ICB location to ICB to region to district lookup."""

    name = NAME
    title = TITLE
    schema = SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        year = ons_year(header, "SICBL")
        if year is None or ons_year(header, "ICB") is None:
            return None
        if not any(re.fullmatch(r"\s*LSOA\d\dCD\s*", h, re.IGNORECASE) for h in header):
            return None
        return f"20{year}"

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        header = read_header(path)
        year = ons_year(header, "SICBL") or ""
        if ons_year(header, "ICB") != year:
            raise InputFileError(path, "the sub-ICB and ICB columns are of different years")
        start = geography_start(path, year)
        years = {"LSOA": "21", "SICBL": year, "ICB": year, "NHSER": year}
        years["LAD"] = _lad_year(header) or year
        col = read_raw(
            con,
            path,
            RAW,
            report,
            _named(years, required=True),
            _named(years, required=False),
            header=header,
        )
        codes = {"lsoa_code", "sub_icb_ons", "sub_icb_code", "icb_ons", "icb_code", "region_code"}
        expr = {
            key: (
                f"upper(nullif(trim({quote_ident(column)}), ''))"
                if key in codes or key.endswith("_ons") or key == "lad_code"
                else f"nullif(regexp_replace(trim({quote_ident(column)}), '\\s+', ' ', 'g'), '')"
            )
            for key, column in col.items()
        }
        reject_blanks(con, RAW, report, [(expr[k], col[k], what) for k, what in REQUIRED.items()])
        reject_repeats(
            con,
            RAW,
            report,
            expr["lsoa_code"],
            col["lsoa_code"],
            lambda v, first: f"LSOA {v} appears again (first on row {first})",
        )
        # A sub-ICB location lies in one ICB: one in two is wrong somewhere, and nothing says
        # which, so every row of it is rejected.
        reject_where(
            con,
            RAW,
            report,
            f"{expr['sub_icb_code']} IN (SELECT s FROM (SELECT {expr['sub_icb_code']} AS s, "
            f"{expr['icb_code']} AS i FROM {RAW} WHERE NOT _rejected) GROUP BY s "
            "HAVING count(DISTINCT i) > 1)",
            col["icb_code"],
            lambda v: f"sub-ICB location {v} is in more than one ICB",
            value_expr=expr["sub_icb_code"],
        )
        columns = [
            "lsoa_code",
            "lsoa_name",
            "sub_icb_ons",
            "sub_icb_code",
            "sub_icb_name",
            "icb_ons",
            "icb_code",
            "icb_name",
            "region_ons",
            "region_code",
            "region_name",
            "lad_code",
            "lad_name",
        ]
        values = ", ".join(expr.get(c, "NULL") for c in columns)
        con.execute(
            f"INSERT INTO lsoa_icb_lookup SELECT ?, {values} FROM {RAW} WHERE NOT _rejected "
            "ORDER BY _row",
            [start],
        )
        finish_load(con, RAW, report)

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


DATASET = LsoaIcbLookupDataset()
