"""The eFIT tool's input files: per-ICB practice populations and indicator values.

For each ICB in force from 1 April 2026, a female and a male population file (single years of
age 0 to 95, the 2026/27 list) and an indicator file (2025/26) whose values follow the
practice's deprivation and age. As in the real files, a practice of a merged ICB is in its
successor's files, labelled with its 2022 ICB and sub-ICB location ("Sussex ICB - 09D").
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from gpequity.sources.demo.files import Writer, clamp, decimals, official_header
from gpequity.sources.demo.icbs2026 import ICBS_2026, successor
from gpequity.sources.demo.practices import AGE_BANDS, FEMALE_SHARE, Practice, age_profile

EFIT_POPULATION_YEAR = "2026-27"
EFIT_INDICATOR_YEAR = "2025-26"
EFIT_INDICATOR_HEADER = official_header("efit-indicator.csv")
#: Single years of age 0 to 95 (95 means 95 and over), as in the eFIT population files.
EFIT_AGES = 96
EFIT_POPULATION_HEADER: tuple[str, ...] = ("GP code", *(str(a) for a in range(EFIT_AGES)))


@dataclass(frozen=True)
class IndicatorModel:
    """How a synthetic practice value of an eFIT indicator is drawn.

    value = base + slope_imd * (IMD - 20) + slope_old * (share aged 65+ - 0.18) + noise,
    clamped to [low, high]; fitted on the real 2025/26 eFIT files against their practices'
    populations.
    """

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


def write_efit(writer: Writer, practices: list[Practice], rng: random.Random) -> None:
    by_icb: dict[str, list[Practice]] = {}
    for p in practices:
        if p.in_year(2):
            by_icb.setdefault(successor(p).code, []).append(p)
    for icb in sorted(ICBS_2026, key=lambda i: i.code):
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
            [_efit_indicator_row(p, lists[p.code], rng) for p in members],
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


def _efit_indicator_row(p: Practice, listed: float, rng: random.Random) -> list[str]:
    values: dict[str, str] = {}
    for model in EFIT_MODELS:
        value = (
            model.base
            + model.slope_imd * (p.imd - 20)
            + model.slope_old * (p.old_share - 0.18)
            + rng.gauss(0.0, model.noise)
        )
        blank = rng.random() < model.blank
        values[model.name] = "" if blank else decimals(clamp(value, model.low, model.high), 4)
    score = p.imd * math.exp(rng.gauss(0.0, 0.06))
    values[EFIT_IMD_COLUMN] = decimals(score, 3) if p.imd_scores else ""
    ratio = p.weighted[2] / (p.registered[2] * 25)
    values[EFIT_WEIGHTED_COLUMN] = str(round(listed * ratio))
    ident = [f"{p.icb.short_name} - {p.sub.code}", p.code, p.name]
    return [*ident, *(values[c] for c in EFIT_INDICATOR_HEADER[3:])]
