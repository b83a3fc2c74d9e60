"""The demo warehouse has today's ICBs: the 36 of April 2026 that the England map lays out,
every demo practice in exactly one, each tile of ``/icbs`` linking to a profile with its
practices, and a merged ICB's code leading to its successor as on the real data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.warehouse.icbs import CURRENT_MEMBERS_SQL, list_current_icbs
from gpequity.web.app import create_app
from gpequity.web.presenters_icb_map import icb_layout

from .test_icb_map import tile_links


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path) -> Path:
    return demo_warehouse


@pytest.fixture(scope="module")
def client(warehouse: Path) -> Iterator[TestClient]:
    with TestClient(create_app(warehouse)) as client:
        yield client


def test_the_demo_current_icbs_are_the_36_of_the_map(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        current = {icb.code: icb for icb in list_current_icbs(con)}
        members = con.execute(
            f"SELECT practice_code, count(DISTINCT icb_code) FROM ({CURRENT_MEMBERS_SQL}) "
            "GROUP BY 1"
        ).fetchall()
        last_year = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT practice_code FROM payments WHERE year = "
                "(SELECT max(year) FROM payments)"
            ).fetchall()
        }
    layout = {t.code: t for t in icb_layout()}
    assert current.keys() == layout.keys()
    assert all(current[c].ons_code == t.ons_code for c, t in layout.items())
    # Named officially, from the ONS list the demo writes.
    assert current["Z9B2Z"].name == "NHS West and North London Integrated Care Board"
    # Every practice of the last payments year is in exactly one ICB of today.
    assert {code for code, _ in members} == last_year
    assert all(count == 1 for _, count in members)


def test_every_tile_of_the_map_links_to_a_profile_with_practices(client: TestClient) -> None:
    # Payments per weighted patient needs only a practice: every ICB of today has a value.
    page = client.get("/icbs?measure=per-weighted")
    assert page.status_code == 200
    links = tile_links(page.text)
    assert sorted(links) == sorted(f"/icbs/{t.code}" for t in icb_layout())
    assert not any(name.endswith("Not available") for name in links.values())
    for href in links:
        profile = client.get(href)
        assert profile.status_code == 200, href
        assert re.search(r'href="/practices/[A-Z0-9]+"', profile.text), href


@pytest.mark.parametrize(
    ("old", "new"), [("QRV", "Z9B2Z"), ("QMJ", "Z9B2Z"), ("QH8", "D7T5G"), ("QXU", "S9B9J")]
)
def test_a_merged_icb_redirects_to_its_successor(client: TestClient, old: str, new: str) -> None:
    response = client.get(f"/icbs/{old}", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"/icbs/{new}?from={old}"
