"""The sensitivity page: the shares as the deprivation weight moves, as the engine gives them."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from gpequity.allocation.icbs import IcbEntry
from gpequity.formats import format_share

from .conftest import (
    engine,
    good_scenario,
    query,
    read,
)


def test_sensitivity_moves_the_deprivation_weight(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    response = client.get("/allocate/sensitivity", params=query(icb))
    assert response.status_code == 200
    page = read(response.text)
    table = page.tables["sensitivity-table"]
    assert [row[0] for row in table] == ["Share of patients", *(f"{w}%" for w in range(0, 101, 10))]
    # The 60% row is the allocation with 60% on deprivation, 40% on hypertension.
    outcome = engine(db, good_scenario(icb))
    groups = [q for q in outcome.result.quintiles if q.practices > 0]
    row = next(r for r in table if r[0] == "60%")
    assert row[1 : 1 + len(groups)] == [format_share(q.money_share) for q in groups]
    assert '<svg role="img"' in response.text


def test_sensitivity_with_a_bad_other_component(client: TestClient, icb: IcbEntry) -> None:
    response = client.get(
        "/allocate/sensitivity", params={**query(icb), "other": "no-such-indicator"}
    )
    assert response.status_code == 422
    assert read(response.text).errors[0][0] == "other"
