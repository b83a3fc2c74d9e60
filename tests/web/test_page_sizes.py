"""Pages sized for reading, over the demo warehouse (every ICB, about 6,500 practices): no page
is over 400 KB of HTML, and the ICB profile pages its practice table (50 a page) with a CSV of
them all."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.web.app import create_app
from gpequity.web.presenters_profiles import PRACTICES_PER_PAGE

#: The most HTML a page may have.
MAX_PAGE_BYTES = 400 * 1024


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, str]]:
    """The app over the full demo warehouse, its largest ICB and one of its practices."""
    tmp = tmp_path_factory.mktemp("page-sizes")
    generate_demo(tmp / "demo")
    db = tmp / "demo.duckdb"
    build_warehouse(db, [tmp / "demo"])
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT icb_code, min(practice_code) FROM payments "
            "WHERE year = (SELECT max(year) FROM payments) "
            "GROUP BY icb_code ORDER BY count(*) DESC, icb_code LIMIT 1"
        ).fetchone()
    assert row is not None
    with TestClient(create_app(db)) as client:
        yield client, str(row[0]), str(row[1])


def test_no_page_is_over_400_kb(demo: tuple[TestClient, str, str]) -> None:
    client, icb, practice = demo
    pages = [
        "/",
        "/funding",
        "/funding?total=incl_covid_pcn&exclude_prescribing=1",
        "/data",
        f"/icbs/{icb}",
        f"/icbs/{icb}?sort=imd&order=desc&page=3",
        f"/icbs/{icb}/datapack",
        f"/practices/{practice}",
        "/practices?q=a",
        "/resources",
        "/allocate",
        f"/allocate?icb={icb}",
    ]
    sizes = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        sizes[path] = len(response.content)
    assert {p: s for p, s in sizes.items() if s > MAX_PAGE_BYTES} == {}


def practice_codes(page: str) -> list[str]:
    return re.findall(r'<tr class="nhsuk-table__row" role="row" data-practice="([^"]+)">', page)


def test_the_icb_practice_table_is_paged_and_its_csv_has_every_practice(
    demo: tuple[TestClient, str, str],
) -> None:
    client, icb, _ = demo
    first = client.get(f"/icbs/{icb}", params={"sort": "code"}).text
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/icbs/{icb}/practices.csv?sort=code").text))
    )
    codes = [r["practice_code"] for r in rows]
    assert len(codes) > 2 * PRACTICES_PER_PAGE  # the largest ICB needs several pages
    pages = -(-len(codes) // PRACTICES_PER_PAGE)
    assert practice_codes(first) == codes[:PRACTICES_PER_PAGE]
    assert f"page 1 of {pages}: practices 1 to {PRACTICES_PER_PAGE}" in first
    assert f"Download this table (CSV): all {len(codes)} practices" in first
    # Each page link keeps the sort; the pages together are the CSV's rows, in its order.
    seen: list[str] = []
    for number in range(1, pages + 1):
        link = f'href="/icbs/{icb}?year={html.escape("2022/23".replace("/", "%2F"))}'
        page = client.get(f"/icbs/{icb}", params={"sort": "code", "page": str(number)}).text
        assert link in page
        seen += practice_codes(page)
    assert seen == codes
    # A page past the last shows the last; one that is not a number, the first.
    last = client.get(f"/icbs/{icb}", params={"sort": "code", "page": "999"}).text
    assert practice_codes(last) == codes[(pages - 1) * PRACTICES_PER_PAGE :]
    assert practice_codes(client.get(f"/icbs/{icb}?sort=code&page=x").text) == practice_codes(first)
