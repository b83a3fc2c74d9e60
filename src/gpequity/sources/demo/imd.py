"""The practice IMD scores (OHID Fingertips indicator 93553), in the official layout.

One row per practice and IMD release it has a score for; ``IsAreaCurrent`` says whether the
practice is still open in the last payments year.
"""

from __future__ import annotations

from gpequity.sources.demo.files import Writer, official_header, sig10
from gpequity.sources.demo.practices import Practice

IMD_FILE = "deprivation/practice-imd-93553.csv"
IMD_HEADER = official_header("practice-imd-93553.csv")
IMD_INDICATOR_ID = 93553


def write_imd(writer: Writer, practices: list[Practice]) -> None:
    writer.csv(IMD_FILE, IMD_HEADER, _imd_rows(practices), bom=True)


def _imd_rows(practices: list[Practice]) -> list[list[str]]:
    rows = []
    for p in practices:
        current = "1" if p.last_year == 2 else "0"
        for release, score in p.imd_scores.items():
            rows.append(
                [str(IMD_INDICATOR_ID), str(release), p.code, p.name, current, sig10(score)]
            )
    return rows
