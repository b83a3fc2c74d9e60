"""The ICB reference table and the CCG-to-ICB lookup it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpequity.sources import demo
from gpequity.sources.demo.lookup import REGION_LETTERS, REGIONS

from .conftest import read


@pytest.mark.realdata
def test_icb_reference_data_matches_the_real_lookup(real_data_dir: Path) -> None:
    _, rows = read(real_data_dir / "lookups/ccg-icb-lookup.csv")
    real = {r["CCG Code"]: (r["ICB Code"], r["ICB NAME"]) for r in rows}
    ours = {sub.code: (icb.code, icb.name) for icb in demo.ICBS for sub in icb.subs}
    assert len({icb.code for icb in demo.ICBS}) == 42
    assert len(ours) == 106
    assert all(real[code] == value for code, value in ours.items())


def test_the_icb_table_has_every_icb_and_sub_icb_location_once() -> None:
    assert len(demo.ICBS) == 42
    subs = [sub.code for icb in demo.ICBS for sub in icb.subs]
    assert len(subs) == len(set(subs)) == 106
    assert {icb.region for icb in demo.ICBS} == set(REGIONS) == set(REGION_LETTERS)
    assert all(0 <= icb.rural_share <= 1 and icb.urban_imd > 0 for icb in demo.ICBS)
    assert all(sub.weight > 0 for icb in demo.ICBS for sub in icb.subs)


@pytest.mark.realdata
def test_icbs_of_2026_match_the_real_ons_list(real_data_dir: Path) -> None:
    _, rows = read(real_data_dir / "lookups/icb-april-2026-names-and-codes.csv")
    real = {(r["ICB26CD"], r["ICB26CDH"], r["ICB26NM"]) for r in rows}
    assert {(i.ons_code, i.code, i.name) for i in demo.ICBS_2026} == real


def test_the_icb_names_file_lists_the_36_icbs_of_2026_once(out: Path) -> None:
    header, rows = read(out / "lookups/icb-april-2026-names-and-codes.csv")
    assert tuple(header) == demo.ICB_NAMES_HEADER
    assert len(rows) == len({r["ICB26CD"] for r in rows}) == len({r["ICB26CDH"] for r in rows})
    assert {r["ICB26CDH"] for r in rows} == {i.code for i in demo.ICBS_2026}
    assert len(rows) == 36
    assert [r["ObjectId"] for r in rows] == [str(n) for n in range(1, 37)]
    assert all(r["ICB26NM"].endswith(" Integrated Care Board") for r in rows)
    # Every 2022 ICB whose code lives on keeps it; six new codes hold the merged ones.
    kept = {icb.code for icb in demo.ICBS} & {r["ICB26CDH"] for r in rows}
    assert len(kept) == 30
