"""``POST /api/v1/allocations`` with ``limits``: floors, caps and pace of change, on the small
eFIT warehouse of tests/conftest.py (QZZ, four practices; the figures are worked out in
``tests/commands/test_allocate_limits_cli.py``). Bad limits are a 422 naming the field, never
a 500; the answer is the CLI's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.cli import app as cli_app
from gpequity.web.app import create_app

URL = "/api/v1/allocations"
BODY: dict[str, Any] = {
    "icb": "QZZ",
    "amount": "10000",
    "components": [{"id": "imd", "weight": 50}, {"id": "hypertension-prevalence", "weight": 50}],
}


@pytest.fixture(scope="module")
def db(small_efit_db: Path) -> Path:
    return small_efit_db


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def test_a_floor_is_the_clis_json(client: TestClient, db: Path, tmp_path: Path) -> None:
    previous = [
        {"practice_code": "P00001", "amount": "1000"},
        {"practice_code": "p00002", "amount": 3000},
        {"practice_code": "Z99999", "amount": 50},
    ]
    body = {**BODY, "limits": {"floor": "0.90", "previous": previous, "max_change": 150}}
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    got = {p["practice_code"]: (p["allocation"], p["limit"]) for p in data["practices"]}
    assert got["P00001"] == (1800.00, "floor")
    assert data["limits"]["previous_not_in_pool"] == ["Z99999"]
    path = tmp_path / "previous.csv"
    path.write_text("Practice code,Amount\nP00001,1000\nP00002,3000\nZ99999,50\n", encoding="utf-8")
    cli = CliRunner().invoke(
        cli_app,
        [
            "allocate", "--icb", "QZZ", "--amount", "10000", "--component", "imd:50",
            "--component", "hypertension-prevalence:50", "--floor", "0.90", "--previous",
            str(path), "--max-change", "150", "--format", "json", "--db", str(db),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert cli.exit_code == 0, cli.output
    assert data == json.loads(cli.stdout)


def test_no_limits_is_null(client: TestClient) -> None:
    response = client.post(URL, json=BODY)
    assert response.status_code == 200
    data = response.json()
    assert data["limits"] is None
    assert {p["limit"] for p in data["practices"]} == {None}
    assert {p["moved"] for p in data["practices"]} == {None}


@pytest.mark.parametrize(
    ("limits", "loc", "text"),
    [
        ({"floor": "1.01"}, ["body", "limits", "floor"], "The largest floor that can be met is"),
        ({"cap": "0.5"}, ["body", "limits", "cap"], "The smallest cap that can be met is"),
        ({"floor": -1}, ["body", "limits", "floor"], "greater than or equal to 0"),
        ({"floor": "abc"}, ["body", "limits", "floor"], "decimal"),
        ({"floor": "1.000001"}, ["body", "limits", "floor"], "at most 4 decimal places"),
        ({"floor": 3, "cap": 2}, ["body", "limits", "cap"], "below the floor"),
        ({"unit": "monthly"}, ["body", "limits", "unit"], "per-patient"),
        ({"max_change": 5}, ["body", "limits", "previous"], "needs the previous allocation"),
        ({"max_change": 5000}, ["body", "limits", "max_change"], "less than or equal to 1000"),
        (
            {"previous": [{"practice_code": "P00001", "amount": 1}]},
            ["body", "limits", "max_change"],
            "Give the largest change",
        ),
        (
            {
                "previous": [
                    {"practice_code": "P00001", "amount": 1},
                    {"practice_code": "p00001", "amount": 2},
                ],
                "max_change": 5,
            },
            ["body", "limits", "previous"],
            "Practice P00001 appears again at position 2",
        ),
        (
            {"previous": [{"practice_code": " ", "amount": 1}], "max_change": 5},
            ["body", "limits", "previous"],
            "An empty practice code at position 1",
        ),
        (
            {"previous": [{"practice_code": "P00001", "amount": -1}], "max_change": 5},
            ["body", "limits", "previous", 0, "amount"],
            "greater than or equal to 0",
        ),
        (
            # £8,000 before; £10,000 now: at least 25% more
            {
                "previous": [{"practice_code": f"P0000{n}", "amount": 2000} for n in range(1, 5)],
                "max_change": 0,
            },
            ["body", "limits", "max_change"],
            "The smallest maximum change that can be met is 25.00%.",
        ),
        ({"ceiling": 5}, ["body", "limits", "ceiling"], "Extra inputs"),
    ],
)
def test_bad_limits_are_a_422_naming_the_field(
    client: TestClient, limits: dict[str, Any], loc: list[Any], text: str
) -> None:
    response = client.post(URL, json={**BODY, "limits": limits})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    matching = [d for d in detail if d["loc"] == loc]
    assert matching, detail
    assert any(text in d["msg"] for d in matching), matching


def test_a_bad_limit_and_a_bad_amount_are_reported_together(client: TestClient) -> None:
    body = {**BODY, "amount": "-5", "limits": {"floor": "-1"}}
    response = client.post(URL, json=body)
    assert response.status_code == 422
    locs = [d["loc"] for d in response.json()["detail"]]
    assert ["body", "limits", "floor"] in locs
    assert ["body", "amount"] in locs


def test_the_schema_documents_the_limits(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    limits = components["LimitsIn"]["properties"]
    assert set(limits) == {"floor", "cap", "unit", "previous", "max_change"}
    assert "previous allocation" in limits["previous"]["description"]
    assert set(components["PreviousIn"]["properties"]) == {"practice_code", "amount"}
    assert "held" in components["LimitsOut"]["properties"]
