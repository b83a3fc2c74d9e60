"""The synthetic practices, as the payments files show them year after year."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from gpequity.sources import demo

from .conftest import PAYMENT_FILES, PRACTICES, REGISTERED, WEIGHTED, read


def test_practices_persist_across_years_with_closures_and_openings(out: Path) -> None:
    years = {year: read(out / name)[1] for year, name in PAYMENT_FILES.items()}
    codes = {year: {r["Practice Code"] for r in rows} for year, rows in years.items()}
    assert len(codes["2022/23"]) == PRACTICES
    assert len(codes["2020/21"]) > len(codes["2021/22"]) > len(codes["2022/23"])
    kept = codes["2020/21"] & codes["2022/23"]
    assert len(kept) > 0.97 * PRACTICES
    closed = [r for r in years["2020/21"] if r["Practice Close Date"]]
    assert closed and all(r["Practice Code"] not in codes["2021/22"] for r in closed)
    opened = codes["2022/23"] - codes["2021/22"]
    assert opened and all(code.startswith("Y0") for code in opened)
    # A practice keeps its PCN, ICB and dispensing status.
    first = {r["Practice Code"]: r for r in years["2020/21"]}
    for row in years["2022/23"]:
        if row["Practice Code"] in first:
            before = first[row["Practice Code"]]
            assert (before["PCN Code"], before["CCG Code"]) == (row["Code"], row["CCG Code"])
            assert before["Dispensing Practice"] == row["Dispensing Practice"]


def test_practice_sizes_and_pcns_are_realistic(out: Path) -> None:
    _, rows = read(out / PAYMENT_FILES["2022/23"])
    lists = [float(r[REGISTERED]) for r in rows]
    assert 6500 < statistics.median(lists) < 9500
    assert min(lists) < 2000 and max(lists) > 25000
    ratios = [float(r[WEIGHTED]) / float(r[REGISTERED]) for r in rows]
    deciles = statistics.quantiles(ratios, n=10)
    assert deciles[0] > 0.85 and deciles[-1] < 1.2
    members: dict[str, int] = defaultdict(int)
    for row in rows:
        members[row["Code"]] += 1
    assert 4.5 < statistics.mean(members.values()) < 7.5
    icbs = {
        icb.code for icb in demo.ICBS for s in icb.subs if s.code in {r["CCG Code"] for r in rows}
    }
    assert len(icbs) == 42
