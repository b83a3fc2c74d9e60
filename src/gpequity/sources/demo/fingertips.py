"""Three OHID Fingertips indicator exports, in the official layout.

Smoking prevalence (91547) and hypertension prevalence (219), practices under England, and
A&E attendances aged 0 to 4 (93930), practices under their PCN; each with the England row,
values correlated with the practice's deprivation and age, Fingertips' confidence intervals
(Wilson for proportions, Byar for rates) and its comparisons with England and the parent.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from gpequity.sources.demo.files import Writer, clamp, official_header, sig10
from gpequity.sources.demo.practices import ADULT_BAND, Pcn, Practice, age_profile

# Fingertips and the eFIT tool use these for England and for practices.
ENGLAND_CODE = "E92000001"
FINGERTIPS_GP_AREA_TYPE = "GPs"
FINGERTIPS_PCN_AREA_TYPE = "PCNs (v. 27/10/23)"

# z values of two-sided 95% and 99.8% confidence intervals (Fingertips publishes both).
Z95 = 1.959963984540054
Z998 = 3.090232306167813

FINGERTIPS_HEADER = official_header("fingertips-indicator.csv")
#: The A&E attendances export compares each practice with its PCN, and names that column so.
FINGERTIPS_HEADER_PCN = (
    *FINGERTIPS_HEADER[:22],
    "Compared to PCNs (v. 27/10/23) value or percentiles",
    *FINGERTIPS_HEADER[23:],
)


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
        value = clamp(value + rng.gauss(0.0, 2.4), 3.0, 45.0)
    elif ind.id == 93930:
        denominator = round(listed * shares[0])
        value = clamp(640 + 12 * (p.imd - 20) + rng.gauss(0.0, 120), 150.0, 2000.0)
    else:
        denominator = listed
        value = 14.89 + 0.0897 * (p.imd - 20) + 55.78 * (p.old_share - 0.18)
        value = clamp(value + rng.gauss(0.0, 1.6), 1.0, 40.0)
    denominator = max(denominator, 1)
    return round(value * denominator / ind.per), denominator


def write_fingertips(
    writer: Writer, practices: list[Practice], pcns: list[Pcn], rng: random.Random
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
            cells += [sig10(value), sig10(low), sig10(high)]
            if with_998 and area[2] != "England":
                cells += [sig10(v) for v in limits(count, denominator, Z998)]
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
