"""The eFIT tool's population and indicator files."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from gpequity.sources import demo

from .conftest import PAYMENT_FILES, read

#: The ICBs of 1 April 2026 holding each merged 2022 ICB's practices (docs/organisations.md);
#: the demo splits Frimley (QNQ) between Surrey and Sussex and Thames Valley by postcode area.
MERGED = {
    "QHG": {"S1Y5D"},
    "QUE": {"S1Y5D"},
    "QM7": {"D7T5G", "S1Y5D"},
    "QH8": {"D7T5G"},
    "QJG": {"D7T5G", "T6Y0W"},
    "QMM": {"T6Y0W"},
    "QXU": {"S9B9J"},
    "QNX": {"S9B9J"},
    "QNQ": {"S0E4D", "S9B9J"},
    "QU9": {"S0E4D"},
    "QRV": {"Z9B2Z"},
    "QMJ": {"Z9B2Z"},
}


def test_efit_files_cover_every_icb_of_2026_and_the_last_year_practices(out: Path) -> None:
    _, payments = read(out / PAYMENT_FILES["2022/23"])
    sub_to_icb = {s.code: icb for icb in demo.ICBS for s in icb.subs}
    last_year = {row["Practice Code"]: sub_to_icb[row["CCG Code"]] for row in payments}
    current = {icb.code for icb in demo.ICBS_2026}
    assert len(current) == 36
    assert {icb.code for icb in demo.ICBS} - current == set(MERGED)
    seen: dict[str, str] = {}
    successors: dict[str, set[str]] = defaultdict(set)
    blanks = 0
    for code in sorted(current):
        _, indicators = read(out / f"efit/indicators/indicator_{code}_2025-26_v1.csv")
        for row in indicators:
            # Each practice is in exactly one current ICB's files, labelled with its 2022 ICB
            # and sub-ICB location, as the real files are.
            assert row["GP code"] not in seen, row["GP code"]
            seen[row["GP code"]] = code
            old = last_year[row["GP code"]]
            successors[old.code].add(code)
            name, sub = row["ICB name"].rsplit(" - ", 1)
            assert name == f"{old.place} ICB" and sub_to_icb[sub] is old
            assert "Synthetic" in row["GP name"]
            assert int(row["Weighted population"]) > 0
            blanks += sum(1 for v in row.values() if v == "")
            for column in demo.EFIT_INDICATOR_HEADER[3:-1]:
                if row[column]:
                    assert 0 <= float(row[column]) <= 100
        for sex in ("f", "m"):
            _, population = read(out / f"efit/population/{sex}_pop_{code}_2026-27.csv")
            assert [r["GP code"] for r in population] == [r["GP code"] for r in indicators]
            for row in population:
                values = [row[str(a)] for a in range(96)]
                assert all(v == "" or re.fullmatch(r"[1-9]\d*\.0", v) for v in values)
    assert blanks > 0
    assert seen.keys() == last_year.keys()
    assert len(list((out / "efit/indicators").glob("*.csv"))) == len(current)
    assert successors == {icb.code: MERGED.get(icb.code, {icb.code}) for icb in demo.ICBS}
