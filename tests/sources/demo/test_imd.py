"""The practice IMD scores (Fingertips 93553)."""

from __future__ import annotations

import statistics
from pathlib import Path

from .conftest import PAYMENT_FILES, imd_2019, read


def test_imd_scores_are_right_skewed_urban_and_some_are_missing(out: Path) -> None:
    _header, rows = read(out / "deprivation/practice-imd-93553.csv")
    assert {r["Year"] for r in rows} == {"2010", "2015", "2019"}
    assert {r["IndicatorID"] for r in rows} == {"93553"}
    scores = list(imd_2019(out).values())
    assert min(scores) > 2 and max(scores) < 75
    assert 16 < statistics.median(scores) < 25
    assert statistics.mean(scores) > statistics.median(scores)
    _, payments = read(out / PAYMENT_FILES["2022/23"])
    imd = imd_2019(out)
    missing = [r for r in payments if r["Practice Code"] not in imd]
    assert 0 < len(missing) < 0.05 * len(payments)
    urban = [
        imd[r["Practice Code"]]
        for r in payments
        if r["Practice Rurality"] == "Urban" and r["Practice Code"] in imd
    ]
    rural = [
        imd[r["Practice Code"]]
        for r in payments
        if r["Practice Rurality"] == "Rural" and r["Practice Code"] in imd
    ]
    assert statistics.median(urban) > statistics.median(rural) + 5
    closed = {r["AreaCode"] for r in rows if r["IsAreaCurrent"] == "0"}
    assert closed and not closed & {r["Practice Code"] for r in payments}
