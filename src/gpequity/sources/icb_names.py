"""Integrated Care Boards (April 2026) Names and Codes in EN (ONS Open Geography Portal).

The official list of the 36 ICBs in force from 1 April 2026: ONS code (``ICB26CD``, E54...),
ODS code (``ICB26CDH``) and official name (``ICB26NM``, "NHS Essex Integrated Care Board"),
plus the portal's ``ObjectId``. File: ``lookups/icb-april-2026-names-and-codes.csv``.

ONS names its columns by the year of the geography (``ICB22CD`` in July 2022, ``ICB26CD`` in
April 2026); ``GEOGRAPHIES`` lists the years the warehouse models. The six ICBs new in 2026 are
also added to ``icbs`` so that every page can name them as they name themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import duckdb

from gpequity.errors import InputFileError
from gpequity.sources.base import (
    LoadReport,
    finish_load,
    has_columns,
    quote_ident,
    read_header,
    read_raw,
    reject_blanks,
    reject_repeats,
    reject_where,
)

NAME = "icb_names"
TITLE = "Integrated Care Boards (April 2026) Names and Codes in EN (ONS)"

#: The year in an ONS column name ("26" in ``ICB26CD``) -> when that ICB geography began.
GEOGRAPHIES = {"26": date(2026, 4, 1)}
#: The financial year the first allocation of the 2026 ICBs is for.
FIRST_PERIOD = "2026/27"
#: An ONS ICB code: E54 and six digits.
ONS_ICB_CODE = r"^E54[0-9]{6}$"

SCHEMA = """
CREATE TABLE icb_official_names (
    valid_from DATE NOT NULL,
    ons_code VARCHAR NOT NULL,
    ods_code VARCHAR NOT NULL,
    name VARCHAR NOT NULL
);
"""

RAW = "raw_icb_names"


def ons_year(header: Sequence[str], prefix: str) -> str | None:
    """The year of an ONS geography's columns (``ICB26CD``, ``ICB26CDH``, ``ICB26NM`` -> "26")."""
    for name in header:
        match = re.fullmatch(rf"\s*{prefix}(\d\d)CD\s*", name, re.IGNORECASE)
        if match and has_columns(
            header, f"{prefix}{match.group(1)}CDH", f"{prefix}{match.group(1)}NM"
        ):
            return match.group(1)
    return None


def geography_start(path: Path, year: str) -> date:
    """When the ICB geography of an ONS file's columns began; an unknown year is an error."""
    if year not in GEOGRAPHIES:
        known = ", ".join(f"ICB{y}CD" for y in GEOGRAPHIES)
        raise InputFileError(
            path,
            f"the ICB geography of 20{year} (columns ICB{year}CD...) is not one the warehouse "
            f"models (only {known})",
        )
    return GEOGRAPHIES[year]


def _repeated(what: str) -> Callable[[str, int], str]:
    return lambda value, first: f"{what} {value} appears again (first on row {first})"


class IcbNamesDataset:
    """Loader of the ONS list of ICB names and codes."""

    name = NAME
    title = TITLE
    schema = SCHEMA

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        # The LSOA lookup has the same ICB columns, beside its LSOA and sub-ICB ones.
        if ons_year(header, "SICBL") or any(h.strip().upper().startswith("LSOA") for h in header):
            return None
        year = ons_year(header, "ICB")
        return None if year is None else f"20{year}"

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        header = read_header(path)
        year = ons_year(header, "ICB") or ""
        start = geography_start(path, year)
        col = read_raw(
            con,
            path,
            RAW,
            report,
            {
                "ons": (f"ICB{year}CD",),
                "ods": (f"ICB{year}CDH",),
                "name": (f"ICB{year}NM",),
            },
            header=header,
        )
        ons = f"upper(trim({quote_ident(col['ons'])}))"
        ods = f"upper(trim({quote_ident(col['ods'])}))"
        name = f"regexp_replace(trim({quote_ident(col['name'])}), '\\s+', ' ', 'g')"
        reject_blanks(
            con,
            RAW,
            report,
            [
                (ons, col["ons"], "ONS code"),
                (ods, col["ods"], "ODS code"),
                (name, col["name"], "name"),
            ],
        )
        reject_where(
            con,
            RAW,
            report,
            f"NOT regexp_full_match({ons}, '{ONS_ICB_CODE}')",
            col["ons"],
            lambda v: f"{v!r} is not an ONS ICB code (E54 and six digits)",
            value_expr=ons,
        )
        for key, expr, what in (("ods", ods, "ODS code"), ("ons", ons, "ONS code")):
            reject_repeats(con, RAW, report, expr, col[key], _repeated(what))
        already = con.execute(
            "SELECT count(*) FROM icb_official_names WHERE valid_from = ?", [start]
        ).fetchall()[0][0]
        if already:
            raise InputFileError(
                path, f"another list of the ICBs of {start:%B %Y} is loaded too: keep only one"
            )
        con.execute(
            f"INSERT INTO icb_official_names SELECT ?, {ons}, {ods}, {name} FROM {RAW} "
            "WHERE NOT _rejected ORDER BY _row",
            [start],
        )
        # The new ICBs get their official names on every page that reads ``icbs``; an ICB the
        # 2022 lookup named already keeps its row.
        con.execute(
            f"INSERT INTO icbs SELECT {ods}, {name}, '{NAME}', '{FIRST_PERIOD}' FROM {RAW} "
            f"WHERE NOT _rejected AND {ods} NOT IN (SELECT icb_code FROM icbs) ORDER BY _row"
        )
        finish_load(con, RAW, report)

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


DATASET = IcbNamesDataset()
