"""The geography of the demo and the CCG-to-ICB lookup file (NHS England) it writes.

The 42 ICBs (July 2022) and their 106 sub-ICB locations are the public reference codes and
names, kept in ``icbs.csv`` beside this module so that the demo needs no other file. Its other
columns summarise the real 2022/23 payments file: the share of rural practices, the median
IMD 2019 score of the urban ones, the most common postcode areas and the number of practices.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from gpequity.sources.demo.files import Writer, official_header, read_table

LOOKUP_FILE = "lookups/ccg-icb-lookup.csv"
LOOKUP_HEADER = official_header("ccg-icb-lookup.csv")

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


def read_icbs() -> tuple[Icb, ...]:
    """The ICBs of ``icbs.csv`` (one row per sub-ICB location), in the file's order."""
    _, *rows = read_table("icbs.csv")
    return tuple(
        Icb(
            code,
            place,
            region,
            float(rural),
            float(imd),
            areas,
            tuple(SubIcb(sub, ccg_name, int(weight)) for *_, sub, ccg_name, weight in subs),
        )
        for (code, place, region, rural, imd, areas), subs in groupby(rows, key=lambda r: r[:6])
    )


ICBS = read_icbs()


def write_lookup(writer: Writer) -> None:
    rows = [[sub.code, icb.code, icb.name] for icb in ICBS for sub in icb.subs]
    writer.csv(LOOKUP_FILE, LOOKUP_HEADER, rows, bom=True)
