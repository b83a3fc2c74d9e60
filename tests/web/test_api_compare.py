"""``POST /api/v1/allocations/compare`` and ``/sensitivity``: the same JSON as ``gpequity compare``
and ``gpequity sensitivity`` (whose figures tests/commands/test_compare_cli.py ties to the web
pages), and every problem of both scenarios at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.cli import app
from gpequity.web.app import create_app

ICB = "QZZ"


@pytest.fixture(scope="module")
def client(small_efit_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_efit_db)) as test_client:
        yield test_client


def cli_json(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def body(*components: tuple[str, int], **fields: Any) -> dict[str, Any]:
    return {
        "icb": ICB,
        "amount": "10000",
        "components": [{"id": c, "weight": w} for c, w in components],
        **fields,
    }


def test_compare_answers_the_cli_json(client: TestClient, small_efit_db: Path) -> None:
    answer = client.post(
        "/api/v1/allocations/compare",
        json={
            "a": body(("breast-screening", 100), method="efit-classic"),
            "b": body(("breast-screening", 100)),
        },
    )
    assert answer.status_code == 200, answer.text
    expected = cli_json(
        small_efit_db,
        "compare",
        "--icb",
        ICB,
        "--amount",
        "10000",
        "--component",
        "breast-screening:100",
        "--method",
        "efit-classic",
        "--with-method",
        "recommended",
    )
    assert answer.json() == expected
    assert [p["difference"] for p in answer.json()["practices"]] != [0, 0, 0, 0]


def test_compare_reports_the_problems_of_both_scenarios_at_once(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/allocations/compare",
        json={"a": body(("no-such-thing", 100)), "b": body(("imd", 100), amount="-5")},
    )
    assert answer.status_code == 422
    locs = [tuple(d["loc"][:3]) for d in answer.json()["detail"]]
    assert ("body", "a", "components") in locs
    assert ("body", "b", "amount") in locs


def test_sensitivity_answers_the_cli_json(client: TestClient, small_efit_db: Path) -> None:
    answer = client.post(
        "/api/v1/allocations/sensitivity",
        json=body(("imd", 60), ("hypertension-prevalence", 40), component="imd"),
    )
    assert answer.status_code == 200, answer.text
    expected = cli_json(
        small_efit_db,
        "sensitivity",
        "--icb",
        ICB,
        "--amount",
        "10000",
        "--component",
        "imd:60",
        "--component",
        "hypertension-prevalence:40",
    )
    assert answer.json() == expected
    assert [p["weight"] for p in answer.json()["weights"]] == list(range(0, 101, 10))


def test_sensitivity_of_an_unknown_component_is_a_field_error(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/allocations/sensitivity",
        json=body(("imd", 100), component="nonsense"),
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"]


def test_a_field_that_fails_validation_hides_no_problem_of_either_scenario(
    client: TestClient,
) -> None:
    """An unreadable amount in A was answered alone: B's unknown indicator and A's own
    weights (adding to 90) came in a second round."""
    answer = client.post(
        "/api/v1/allocations/compare",
        json={
            "a": body(("imd", 50), ("population", 40), amount="abc"),
            "b": body(("no-such-thing", 100), age_from=64, age_to=25),
        },
    )
    assert answer.status_code == 422
    detail = [(tuple(d["loc"]), d["msg"]) for d in answer.json()["detail"]]
    assert detail[0][0] == ("body", "a", "amount")  # pydantic's, then the service's
    assert [loc for loc, _ in detail[1:]] == [
        ("body", "a", "components"),
        ("body", "b", "age_to"),
        ("body", "b", "components", 0, "id"),
    ]
    assert detail[1][1] == "The weights must add up to exactly 100%; they add up to 90%."
    assert detail[3][1].startswith("'no-such-thing' is not an indicator of ICB QZZ.")


def test_a_sensitivity_field_that_fails_validation_hides_no_other(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/allocations/sensitivity",
        json=body(("imd", 100), icb="ZZZ", amount="-5", age_to=False, component="imd"),
    )
    assert answer.status_code == 422
    detail = [(tuple(d["loc"]), d["msg"]) for d in answer.json()["detail"]]
    assert [loc for loc, _ in detail] == [("body", "age_to"), ("body", "icb"), ("body", "amount")]
    assert detail[1][1].startswith("'ZZZ' is not an ICB code of the loaded data.")
    assert detail[2][1] == "The amount must be more than £0."
    # the sweep of a component the scenario does not have is named with the others
    answer = client.post(
        "/api/v1/allocations/sensitivity",
        json=body(("imd", 100), amount="abc", component="nonsense"),
    )
    assert [d["loc"] for d in answer.json()["detail"]] == [
        ["body", "amount"],
        ["body", "component"],
    ]
