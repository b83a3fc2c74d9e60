"""The map's measures over the real files (issue 14, item 3): every one of the 36 ICBs of April
2026 has its payments per weighted patient and mean IMD score in 2022/23, and a Q1−Q5 gap
unless it has no practice in England's least or most deprived fifth; ``/icbs`` links and names
all 36 with a value."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.analysis.icb_measures import icb_measures
from gpequity.analysis.payments import QUINTILES, By, payments_by_deprivation
from gpequity.formats import NOT_AVAILABLE
from gpequity.web.app import create_app

pytestmark = pytest.mark.realdata

YEAR = "2022/23"


@pytest.fixture(scope="module")
def real_db(real_warehouse: Path) -> Path:
    return real_warehouse


def official_codes(real_data_dir: Path) -> list[str]:
    path = real_data_dir / "lookups" / "icb-april-2026-names-and-codes.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sorted(r["ICB26CDH"] for r in csv.DictReader(fh))


def test_the_36_icbs_of_april_2026_have_their_measures(real_db: Path, real_data_dir: Path) -> None:
    with duckdb.connect(str(real_db), read_only=True) as con:
        measures = icb_measures(con)
        by_icb = payments_by_deprivation(con, YEAR, by=By.icb)
    assert measures.year == YEAR
    assert [i.code for i in measures.icbs] == official_codes(real_data_dir)
    for icb in measures.icbs:
        assert icb.practices > 0 and icb.name.startswith("NHS ")
        assert icb.per_weighted_patient is not None and icb.per_weighted_patient > 0
        assert icb.mean_imd_score is not None and 0 < icb.mean_imd_score < 100
        fifths = {g.rank for g in by_icb.groups if g.group == icb.code}
        has_both = {1, QUINTILES} <= fifths
        assert (icb.gap_q1_minus_q5 is not None) == has_both, icb.code
    assert sum(i.practices for i in measures.icbs) == measures.england.practices
    # England's average patient is in between the ICBs'.
    scores = [i.mean_imd_score for i in measures.icbs if i.mean_imd_score is not None]
    assert min(scores) < (measures.england.mean_imd_score or 0) < max(scores)


def test_the_map_names_every_icb_with_its_value(real_db: Path, real_data_dir: Path) -> None:
    with TestClient(create_app(real_db)) as client:
        page = client.get("/icbs?measure=per-weighted").text
    links = dict(
        re.findall(r'<a href="/icbs/([^"]+)" aria-label="([^"]+)" class="app-icb-map__tile"', page)
    )
    assert sorted(links) == official_codes(real_data_dir)
    for name in map(html.unescape, links.values()):
        assert re.search(r": £\d+\.\d\d$", name) and NOT_AVAILABLE not in name, name
