"""Patients Registered at a GP Practice by five-year band."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from gpequity.sources import demo

from .conftest import PRACTICES, imd_2019, read


def test_registered_file_sums_and_younger_deprived_practices(out: Path) -> None:
    _, rows = read(out / "registered/gp-reg-pat-prac-quin-age.csv")
    by_practice: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for row in rows:
        assert (row["PUBLICATION"], row["TYPE"]) == ("GP_PRAC_PAT_LIST", "GP")
        by_practice[row["CODE"]][(row["SEX"], row["AGE_GROUP_5"])] = int(row["NUMBER_OF_PATIENTS"])
    assert len(by_practice) == PRACTICES
    bands = list(demo.AGE_BANDS)
    assert bands[0] == "0_4" and bands[-2:] == ["90_94", "95+"]
    old_share = {}
    for code, cells in by_practice.items():
        assert len(cells) == 1 + 2 * (len(bands) + 1)
        for sex in ("FEMALE", "MALE"):
            assert cells[(sex, "ALL")] == sum(cells[(sex, b)] for b in bands)
        assert cells[("ALL", "ALL")] == cells[("FEMALE", "ALL")] + cells[("MALE", "ALL")]
        old = sum(cells[(s, b)] for s in ("FEMALE", "MALE") for b in bands[13:])
        old_share[code] = old / cells[("ALL", "ALL")]
    imd = imd_2019(out)
    scored = sorted((imd[c], old_share[c]) for c in old_share if c in imd)
    fifth = len(scored) // 5
    assert (
        statistics.mean(s for _, s in scored[-fifth:])
        < statistics.mean(s for _, s in scored[:fifth]) - 0.03
    )
