"""The practice search on the real files (issue 14): a real full postcode, however written,
finds its practice; ``SW2`` finds SW2's practices and never SW20's.

The postcodes are read at test time from the real payments files loaded into a warehouse (never
written down here). Skipped without the real files (../shared/data), failed without them under
GPEQUITY_REQUIRE_REAL_DATA=1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.warehouse.build import build_warehouse
from gpequity.warehouse.icbs import IcbMap, payments_sql, superseded
from gpequity.web.app import create_app

pytestmark = pytest.mark.realdata

#: The files the search reads: the payments, and the ICBs of April 2026 that hold practices now.
FOLDERS = ("lookups", "nhs-payments", "efit")


@pytest.fixture(scope="module")
def real_warehouse(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of the real payments and ICB files, loaded from links to them."""
    tmp = tmp_path_factory.mktemp("directory-real")
    source = tmp / "files"
    source.mkdir()
    for name in FOLDERS:
        (source / name).symlink_to(real_data_dir / name, target_is_directory=True)
    db = tmp / "real.duckdb"
    build_warehouse(db, [source], allow_rejects=True)
    return db


@pytest.fixture(scope="module")
def latest(real_warehouse: Path) -> dict[str, tuple[str, str, str]]:
    """Each practice of the latest payments file: (postcode as the file writes it, name, the
    name of the ICB in force today that holds it)."""
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        rows = con.execute(
            f"SELECT practice_code, postcode, practice_name, icb_name "
            f"FROM {payments_sql(con, IcbMap.current)} p "
            "WHERE year = (SELECT max(year) FROM payments) AND postcode IS NOT NULL"
        ).fetchall()
    return {str(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}


@pytest.fixture(scope="module")
def client(real_warehouse: Path) -> Iterator[TestClient]:
    with TestClient(create_app(real_warehouse)) as test_client:
        yield test_client


def found(client: TestClient, query: str) -> list[str]:
    """The practice codes the search page lists, in its order."""
    response = client.get("/practices", params={"q": query})
    assert response.status_code == 200
    results = response.text.split('data-testid="practice-results"', 1)
    if len(results) == 1:
        return []
    return re.findall(r'href="/practices/([A-Z0-9]+)"', results[1].split("</ul>", 1)[0])


def test_a_real_full_postcode_finds_its_practice_however_written(
    client: TestClient, latest: dict[str, tuple[str, str, str]]
) -> None:
    # The first practice (by code) of the latest file whose postcode no other practice shares.
    postcodes = Counter(" ".join(p.split()) for p, _, _ in latest.values())
    code = min(c for c, (p, _, _) in latest.items() if postcodes[" ".join(p.split())] == 1)
    written, _, icb = latest[code]
    postcode = " ".join(written.split())  # the file pads it: "TS5  8SB"

    for query in (postcode, postcode.lower(), postcode.replace(" ", "").lower(), written):
        assert found(client, query) == [code], query
    html = client.get("/practices", params={"q": postcode.replace(" ", "")}).text
    assert f"{postcode} · ICB: {icb}" in html
    assert "found by postcode" in html


def test_sw2_finds_sw2_practices_and_never_sw20s(
    client: TestClient, latest: dict[str, tuple[str, str, str]]
) -> None:
    def outward(code: str) -> str:
        return latest[code][0].split()[0]

    sw2 = {c for c in latest if outward(c) == "SW2"}
    assert sw2, "the real payments file has practices in SW2"
    assert any(outward(c) == "SW20" for c in latest), "and in SW20"

    codes = found(client, "SW2")
    assert set(codes) >= sw2
    assert not [c for c in codes if c in latest and outward(c) != "SW2"]
    assert found(client, "sw2") == codes


def test_a_real_practice_found_by_its_misspelt_name(
    client: TestClient, latest: dict[str, tuple[str, str, str]]
) -> None:
    # The first practice (by code) with a word of nine letters or more in its name: its name
    # with a letter of that word dropped still finds it.
    code, word = min(
        (c, w)
        for c, (_, name, _) in latest.items()
        for w in re.findall(r"[A-Z]+", name.upper())
        if len(w) >= 9
    )
    name = latest[code][1].upper()
    typed = name.replace(word, word[:3] + word[4:], 1)

    assert code in found(client, typed.lower()), typed
    assert code not in found(client, "zzzz " + typed)


def test_an_abolished_icbs_code_finds_the_icbs_it_became_part_of(
    client: TestClient, real_warehouse: Path
) -> None:
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        codes = [
            str(r[0])
            for r in con.execute(
                "SELECT DISTINCT code FROM organisations WHERE kind = 'icb' "
                "AND valid_to IS NOT NULL ORDER BY code"
            ).fetchall()
        ]
        became = {code: superseded(con, code) for code in codes}
    merged = {c: r for c, r in became.items() if r is not None and r.current}
    assert merged, "the real files have ICBs abolished on 1 April 2026"
    for code, resolution in merged.items():
        body = client.get("/api/v1/practices", params={"q": code.lower()}).json()
        assert sorted(i["code"] for i in body["icbs"]) == [i.code for i in resolution.current]
