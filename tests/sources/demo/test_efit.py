"""The eFIT tool's population and indicator files."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from gpequity.sources import demo

from .conftest import PAYMENT_FILES, read


def test_efit_files_cover_every_icb_and_the_last_year_practices(out: Path) -> None:
    _, payments = read(out / PAYMENT_FILES["2022/23"])
    sub_to_icb = {s.code: icb for icb in demo.ICBS for s in icb.subs}
    expected: dict[str, set[str]] = defaultdict(set)
    for row in payments:
        expected[sub_to_icb[row["CCG Code"]].code].add(row["Practice Code"])
    blanks = 0
    for icb in demo.ICBS:
        _, indicators = read(out / f"efit/indicators/indicator_{icb.code}_2025-26_v1.csv")
        assert {r["GP code"] for r in indicators} == expected[icb.code]
        for row in indicators:
            name, sub = row["ICB name"].rsplit(" - ", 1)
            assert name == f"{icb.place} ICB" and sub_to_icb[sub] is icb
            assert "Synthetic" in row["GP name"]
            assert int(row["Weighted population"]) > 0
            blanks += sum(1 for v in row.values() if v == "")
            for column in demo.EFIT_INDICATOR_HEADER[3:-1]:
                if row[column]:
                    assert 0 <= float(row[column]) <= 100
        for sex in ("f", "m"):
            _, population = read(out / f"efit/population/{sex}_pop_{icb.code}_2026-27.csv")
            assert {r["GP code"] for r in population} == expected[icb.code]
            for row in population:
                values = [row[str(a)] for a in range(96)]
                assert all(v == "" or re.fullmatch(r"[1-9]\d*\.0", v) for v in values)
    assert blanks > 0
