"""The synthetic practices and PCNs that every demo file describes.

Where each practice is (ICB, sub-ICB), how deprived, rural, old and big its list is, when it
opened or closed, its contract and dispensing status, and its PCN: drawn once, from one seeded
stream, so that the payments, Fingertips, registered-patients and eFIT files agree.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from gpequity.sources.demo.files import clamp, stream
from gpequity.sources.demo.lookup import ICBS, REGION_LETTERS, Icb, SubIcb

#: The IMD releases of the practice scores (Fingertips indicator 93553).
IMD_RELEASES = (2010, 2015, 2019)

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


def _normalised(profile: Sequence[float]) -> list[float]:
    total = sum(profile)
    return [v / total for v in profile]


_YOUNG = _normalised(YOUNG_PROFILE)
_OLD = _normalised(OLD_PROFILE)
_YOUNG_65 = sum(_YOUNG[OLD_BAND:])
_OLD_65 = sum(_OLD[OLD_BAND:])


def age_profile(old_share: float) -> list[float]:
    """Shares of the list by five-year band for a practice with this share aged 65+."""
    w = clamp((old_share - _YOUNG_65) / (_OLD_65 - _YOUNG_65), 0.0, 1.0)
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


def draw_practices(seed: int, practices: int) -> tuple[list[Practice], list[Pcn]]:
    """The practices (sorted by code) and their PCNs, all drawn from the seed's stream."""
    rng = stream(seed, "practices")
    everyone = _place_practices(practices, rng)
    _describe(everyone, rng)
    everyone.sort(key=lambda p: p.code)
    return everyone, _group_pcns(everyone, rng)


def _place_practices(practices: int, rng: random.Random) -> list[Practice]:
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
    imd = clamp(median * math.exp(rng.gauss(0.0, 0.42)), 2.5, 72.0)
    # Deprived lists are younger; rural ones older.
    old = 0.185 - 0.0035 * (imd - 21.0) + (0.045 if rural else 0.0) + rng.gauss(0.0, 0.045)
    return Practice(
        icb=icb,
        sub=sub,
        first_year=first,
        last_year=last,
        rural=rural,
        imd=imd,
        old_share=clamp(old, 0.03, 0.42),
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
        chance = clamp(0.75 - 0.012 * (p.imd - 14.0), 0.25, 0.9)
    else:
        chance = 0.05 if p.imd < 20 else 0.015
    roll = rng.random()
    p.dispensing = "Yes" if roll < chance else "Unknown" if roll > 0.975 else "No"

    # List size: log-normal, median about 8,000 (smaller in the country); grows ~1% a year.
    size = 8000 * math.exp(rng.gauss(0.0, 0.6)) * (0.8 if p.rural else 1.0)
    size = clamp(size, 600.0, 60000.0)
    if rng.random() < 0.008:
        # A few tiny lists (new, closing or specialist practices), as in the real files.
        size = rng.uniform(120.0, 900.0)
    # The Carr-Hill weighting favours older lists: weighted/registered about 0.85-1.2.
    ratio = 0.86 + 0.75 * p.old_share + (0.04 if p.rural else 0.0) + rng.gauss(0.0, 0.03)
    ratio = clamp(ratio, 0.82, 1.25)
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
                p.imd_scores[release] = clamp(p.imd * math.exp(drift), 1.0, 80.0)


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
