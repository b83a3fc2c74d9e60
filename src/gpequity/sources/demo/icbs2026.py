"""The ICBs of 1 April 2026 and the ONS list of their names and codes that the demo writes.

``icbs-2026.csv`` (package data) holds the 36 ICBs in force from 1 April 2026: ONS code, ODS
code and official name (public reference data, as ONS publishes them) and what each was formed
from: 2022 ICB codes (all their practices), sub-ICB location codes (the practices of that
location) and, for Frimley's D4U1Y, split between two ICBs, a location with the postcode areas
of its practices that went there (``D4U1Y@SL+RG``). The eFIT files put every practice in its
ICB of today; the names-and-codes file is ONS's *Integrated Care Boards (April 2026) Names and
Codes in EN*.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpequity.sources.demo.files import Writer, official_header, read_table
from gpequity.sources.demo.practices import Practice

ICB_NAMES_FILE = "lookups/icb-april-2026-names-and-codes.csv"
ICB_NAMES_HEADER = official_header("icb-april-2026-names-and-codes.csv")


@dataclass(frozen=True)
class Icb2026:
    """An ICB in force from 1 April 2026 and the 2022 places whose practices it holds."""

    ons_code: str
    code: str
    name: str
    #: 2022 ICB or sub-ICB location code -> postcode areas it took (empty: all its practices).
    formed_from: dict[str, frozenset[str]]


def read_icbs_2026() -> tuple[Icb2026, ...]:
    """The 36 ICBs of ``icbs-2026.csv``, in ONS code order."""
    _, *rows = read_table("icbs-2026.csv")
    icbs = []
    for ons, ods, name, formed in rows:
        parts: dict[str, frozenset[str]] = {}
        for token in formed.split():
            place, _, areas = token.partition("@")
            parts[place] = frozenset(areas.split("+")) if areas else frozenset()
        icbs.append(Icb2026(ons, ods, name, parts))
    return tuple(icbs)


ICBS_2026 = read_icbs_2026()


def _postcode_area(postcode: str) -> str:
    return postcode[: next(i for i, c in enumerate(postcode) if c.isdigit())]


def successor(p: Practice) -> Icb2026:
    """The one ICB of 1 April 2026 that holds a practice of 2022/23."""
    for icb in ICBS_2026:
        for place in (p.sub.code, p.icb.code):
            if place in icb.formed_from:
                areas = icb.formed_from[place]
                if not areas or _postcode_area(p.postcode) in areas:
                    return icb
    raise ValueError(f"no ICB of April 2026 holds {p.code} ({p.icb.code}, {p.sub.code})")


def write_icb_names(writer: Writer) -> None:
    rows = [[i.ons_code, i.code, i.name, str(n)] for n, i in enumerate(ICBS_2026, start=1)]
    writer.csv(ICB_NAMES_FILE, ICB_NAMES_HEADER, rows)
