"""The compare page: two scenarios and their differences, as the engine gives them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from gpequity.allocation import Method
from gpequity.allocation.icbs import IcbEntry
from gpequity.allocation.measures import component_spread
from gpequity.allocation.scenario import ComponentChoice, Scenario
from gpequity.formats import format_change, format_pounds

from .conftest import (
    engine,
    read,
)

# --- compare and sensitivity --------------------------------------------------------------------


def test_compare_shows_both_scenarios_and_their_differences(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    params = {
        "icb": icb.code,
        "amount": "100000",
        "a.method": "efit-classic",
        "a.c1": "bowel-screening",
        "a.w1": "100",
        "b.method": "recommended",
        "b.c1": "bowel-screening",
        "b.w1": "100",
    }
    response = client.get("/allocate/compare", params=params)
    assert response.status_code == 200
    page = read(response.text)
    assert not page.errors
    a = engine(
        db,
        Scenario(
            icb.code,
            Decimal(100000),
            (ComponentChoice("bowel-screening", Decimal(100)),),
            method=Method.EFIT_CLASSIC,
        ),
    )
    b = engine(
        db, Scenario(icb.code, Decimal(100000), (ComponentChoice("bowel-screening", Decimal(100)),))
    )
    rows = {row[0].split()[-1]: row for row in page.tables["compare-practices"]}
    by_b = {p.code: p for p in b.result.practices}
    for p in a.result.practices:
        assert rows[p.code][2] == format_pounds(p.allocation)
        assert rows[p.code][3] == format_pounds(by_b[p.code].allocation)
        assert rows[p.code][4] == format_change(by_b[p.code].allocation - p.allocation)
    assert len(page.tables["compare-quintiles"]) == len(a.result.quintiles)
    spread = component_spread(a.result, "bowel-screening")
    assert spread is not None
    flaw = "barely moves money" in response.text
    assert flaw == (spread < Decimal("0.05"))


def test_compare_errors_name_the_scenario(client: TestClient, icb: IcbEntry) -> None:
    params = {"icb": icb.code, "amount": "1000", "a.c1": "imd", "a.w1": "50", "b.c1": "imd"}
    response = client.get("/allocate/compare", params=params)
    assert response.status_code == 422
    fields = [f for f, _ in read(response.text).errors]
    assert fields == ["a-w1", "b-w1"]


def test_compare_starts_from_per_head_against_deprivation(
    client: TestClient, icb: IcbEntry
) -> None:
    response = client.get("/allocate/compare", params={"icb": icb.code})
    assert response.status_code == 200
    page = read(response.text)
    assert [v for v, _, s in page.options["a.c1"] if s] == ["population"]
    assert [v for v, _, s in page.options["b.c1"] if s] == ["imd"]
