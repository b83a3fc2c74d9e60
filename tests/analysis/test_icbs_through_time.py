"""Every ICB code of either period on every surface, over the real files (issue 10).

The warehouse is built from every real file of ``../shared/data`` (payments 2014/15 to 2022/23,
the lookups with the ONS April 2026 ICB names, the eFIT files, IMD scores): the 2022/23
practices are grouped by the 36 ICBs of April 2026 by default, or by the 42 of that year.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.analysis.icb import SupersededIcb, resolve_icb
from gpequity.analysis.payments import By, payments_by_deprivation
from gpequity.analysis.profiles import icb_profile
from gpequity.cli import app
from gpequity.warehouse.icbs import IcbMap
from gpequity.web.app import create_app

pytestmark = pytest.mark.realdata

YEAR = "2022/23"
runner = CliRunner()


@pytest.fixture(scope="module")
def real_db(real_warehouse: Path) -> Path:
    return real_warehouse


@pytest.fixture(scope="module")
def con(real_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(real_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def client(real_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(real_db)) as test_client:
        yield test_client


def _practices(con: duckdb.DuckDBPyConnection, icb: str) -> set[str]:
    rows = con.execute(
        "SELECT practice_code FROM payments WHERE year = ? AND icb_code = ?", [YEAR, icb]
    ).fetchall()
    return {str(r[0]) for r in rows}


# --- the analysis -----------------------------------------------------------------------------


def test_by_icb_groups_a_past_year_by_todays_icbs_or_the_years_own(con):
    today = payments_by_deprivation(con, YEAR, by=By.icb)
    then = payments_by_deprivation(con, YEAR, by=By.icb, icb_map=IcbMap.historic)
    assert len(today.gap_q1_minus_q5) == 36 and "Z9B2Z" in today.gap_q1_minus_q5
    assert len(then.gap_q1_minus_q5) == 42 and "QRV" in then.gap_q1_minus_q5
    assert "Z9B2Z" not in then.gap_q1_minus_q5
    assert any("in force since 1 April 2026" in n for n in today.notes)
    assert any("each year's payments file" in n for n in then.notes)
    # The same practices, only grouped otherwise: every group's count adds up to England's.
    assert sum(g.practices for g in today.groups) == sum(g.practices for g in then.groups)
    z9b2z = sum(g.practices for g in today.groups if g.group == "Z9B2Z")
    both = sum(g.practices for g in then.groups if g.group in ("QRV", "QMJ"))
    assert z9b2z == both
    names = {g.group_name for g in today.groups if g.group == "Z9B2Z"}
    assert names == {"NHS West and North London Integrated Care Board"}


def test_the_profile_of_a_new_icb_holds_both_predecessors_practices(con):
    profile = icb_profile(con, "Z9B2Z", YEAR)
    assert profile is not None
    assert profile.name == "NHS West and North London Integrated Care Board"
    assert profile.short_name == "West and North London ICB"
    codes = {p.code for p in profile.practices}
    assert codes == _practices(con, "QRV") | _practices(con, "QMJ")
    assert icb_profile(con, "QRV", YEAR) is None
    historic = icb_profile(con, "QRV", YEAR, IcbMap.historic)
    assert historic is not None and {p.code for p in historic.practices} == _practices(con, "QRV")


def test_a_datapack_for_a_predecessor_names_its_successors(con):
    assert resolve_icb(con, YEAR, "d7t5g").name == "NHS Essex Integrated Care Board"
    with pytest.raises(SupersededIcb) as caught:
        resolve_icb(con, YEAR, "QM7")
    assert caught.value.successors == ("D7T5G", "S1Y5D")
    assert resolve_icb(con, YEAR, "QM7", IcbMap.historic).code == "QM7"


# --- the CLI ----------------------------------------------------------------------------------


def test_payments_by_icb_on_both_maps_says_which(real_db):
    for icb_map, count, present in (("current", 36, "Z9B2Z"), ("historic", 42, "QRV")):
        result = runner.invoke(
            app,
            [
                "payments", "by-deprivation", "--year", YEAR, "--by", "icb",
                "--icb-map", icb_map, "--db", str(real_db), "--format", "json",
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        body = json.loads(result.output)
        assert len(body["gap_q1_minus_q5"]) == count and present in body["gap_q1_minus_q5"]
        assert any("grouped by the ICBs" in n for n in body["notes"])
    table = runner.invoke(app, ["payments", "by-deprivation", "--by", "icb", "--db", str(real_db)])
    assert table.exit_code == 0 and "(the ICBs of today)" in table.output


def test_datapack_cli_for_a_new_icb_and_a_split_one(real_db, tmp_path):
    made = runner.invoke(
        app,
        ["datapack", "--icb", "D7T5G", "--format", "html", "--out", str(tmp_path),
         "--db", str(real_db), "--jobs", "1"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    [pack] = tmp_path.glob("*D7T5G*.html")
    text = pack.read_text(encoding="utf-8")
    # The official name first (the title), the short one after.
    assert text.index("NHS Essex Integrated Care Board") < text.index("Essex ICB")
    assert "vary with deprivation in Essex ICB, against England" in text
    split = runner.invoke(
        app, ["datapack", "--icb", "QM7", "--format", "html", "--out", str(tmp_path),
              "--db", str(real_db)],
    )  # fmt: skip
    # The CLI's entry point prints a GpequityError as one line ("error: ..."), exit 1.
    assert isinstance(split.exception, SupersededIcb)
    assert "(D7T5G)" in str(split.exception) and "(S1Y5D)" in str(split.exception)


def test_allocate_for_a_split_icb_names_both_successors(real_db):
    result = runner.invoke(
        app,
        ["allocate", "--icb", "QM7", "--amount", "250000", "--component", "imd:100",
         "--db", str(real_db)],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "S1Y5D" in result.output and "D7T5G" in result.output
    assert "Traceback" not in result.output


# --- the web and the API ----------------------------------------------------------------------


def test_a_merged_icb_redirects_to_its_successor_saying_so(client):
    moved = client.get("/icbs/QRV", follow_redirects=False)
    assert moved.status_code == 302
    assert moved.headers["location"] == "/icbs/Z9B2Z?from=QRV"
    page = client.get(moved.headers["location"])
    assert page.status_code == 200
    assert "NHS West and North London Integrated Care Board" in page.text
    assert "became part of NHS West and North London ICB (Z9B2Z)" in page.text
    pack = client.get("/icbs/QXU/datapack", follow_redirects=False)
    assert pack.headers["location"] == "/icbs/S9B9J/datapack?from=QXU"


def test_a_split_icb_names_and_links_every_successor(client):
    page = client.get("/icbs/QNQ")
    assert page.status_code == 200
    for code in ("QRL", "S0E4D", "S9B9J"):
        assert f'href="/icbs/{code}?from=QNQ"' in page.text
    assert 'href="/icbs/QNQ?icb_map=historic"' in page.text
    assert client.get("/icbs/QNQ?icb_map=historic").status_code == 200


def test_the_api_answers_a_predecessor_with_its_successors(client):
    gone = client.get("/api/v1/icbs/QM7")
    assert gone.status_code == 404
    assert "/api/v1/icbs/D7T5G" in gone.json()["detail"]
    assert "/api/v1/icbs/S1Y5D" in gone.json()["detail"]
    body = client.get("/api/v1/icbs/Z9B2Z").json()
    assert body["short_name"] == "West and North London ICB" and body["icb_map"] == "current"
    assert len(client.get("/api/v1/icbs").json()) == 36


@pytest.mark.parametrize(
    ("icb", "says"),
    [
        ("QF7", "the file lists 169 practices of sub-ICB 36L"),
        ("S9B9J", "QXU is not an ICB from 1 April 2026"),
        ("QOQ", "49 practices have population rows and no indicator row"),
    ],
)
def test_the_allocation_page_shows_the_efit_defects_of_its_icb(client, icb, says):
    page = client.get(
        "/allocate",
        params={
            "icb": icb, "amount": "250000", "method": "recommended", "c1": "imd",
            "w1": "100", "sex": "all", "age_from": "0", "missing": "impute",
            "baseline": "per-head",
        },
    )  # fmt: skip
    assert page.status_code == 200
    assert 'data-testid="data-warnings"' in page.text
    assert says in page.text
    quiet = client.get("/allocate", params={"icb": "QGH", "amount": "250000", "c1": "imd",
                                            "w1": "100"})  # fmt: skip
    assert quiet.status_code == 200 and 'data-testid="data-warnings"' not in quiet.text


# --- counts that say what they count, and old IMD scores flagged -------------------------------


def test_the_profile_and_the_pack_count_the_unranked_practices_alike(con, client):
    """The row of practices in no fifth is the same on the profile and in the datapack, and says
    what it counts: 2022/23's 27 practices with no IMD score and 198 with a score and no patients
    (the pack once called all 225 "No IMD score")."""
    england = payments_by_deprivation(con, YEAR)
    unranked = sum(e.practices for e in england.excluded)
    assert unranked == 27 + 198
    profile = icb_profile(con, "Z9B2Z", YEAR)
    assert profile is not None and profile.overview is not None
    assert profile.overview.england_no_score_practices == unranked
    label = "Not ranked (no IMD score or no patients)"
    page = client.get("/icbs/Z9B2Z").text
    pack = client.get("/icbs/Z9B2Z/datapack.html").text
    assert label in page and label in pack
    assert "No IMD score<" not in pack
    assert f"{profile.overview.no_score_practices:,}" in page


def test_imd_scores_older_than_the_newest_release_are_flagged_on_each_surface(con, client):
    """57 practices' 2022/23 score is carried forward from IMD 2015 or 2010: the analysis says
    so for England, and the profile and datapack of an ICB holding some say how many are its."""
    england = payments_by_deprivation(con, YEAR)
    assert any(
        n.startswith("57 practices' IMD score for 2022/23 is older than the newest release")
        and "3 from IMD 2010" in n
        for n in england.notes
    )
    profile = icb_profile(con, "D7T5G", YEAR)
    assert profile is not None and profile.overview is not None
    note = profile.overview.old_imd_note
    assert note is not None and note.startswith("1 of the ICB's practices has an IMD score")
    assert note in client.get("/icbs/D7T5G").text.replace("&#39;", "'")
    assert note in client.get("/icbs/D7T5G/datapack.html").text.replace("&#39;", "'")


def test_the_allocation_names_the_icb_in_full_and_counts_its_pool(real_db):
    made = runner.invoke(
        app,
        ["allocate", "--icb", "D7T5G", "--amount", "250000", "--component", "imd:100",
         "--db", str(real_db)],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    first = " ".join(made.output.split())
    assert "for D7T5G (NHS Essex Integrated Care Board):" in first
    assert "shared across 205 practices of the ICB's allocation pool." in first
    listed = runner.invoke(app, ["indicators", "--icb", "Z9B2Z", "--db", str(real_db)])
    assert listed.exit_code == 0, listed.output
    assert (
        "Indicators for Z9B2Z (NHS West and North London Integrated Care Board) (coverage: "
        "share of its 513 practices in the allocation pool)"
    ) in " ".join(listed.output.split())
