"""``GET /api/v1/payments/by-deprivation``: the CLI's JSON, confidence intervals included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.analysis.payments import By, payments_by_deprivation
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.web.app import create_app

PATH = "/api/v1/payments/by-deprivation"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("api-payments")
    generate_demo(folder / "files", seed=9, practices=60)
    path = folder / "warehouse.duckdb"
    build_warehouse(path, [folder / "files"])
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def _as_json(value: object) -> object:
    return json.loads(json.dumps(value, default=float))


@pytest.mark.parametrize("by", [None, By.dispensing])
def test_the_answer_is_the_analysis_with_its_intervals(
    client: TestClient, db: Path, by: By | None
) -> None:
    params = {} if by is None else {"by": by.value}
    answer = client.get(PATH, params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    with duckdb.connect(str(db), read_only=True) as con:
        expected = payments_by_deprivation(con, body["year"], by=by).as_dict()
    for key in ("gap_q1_minus_q5_ci", "slope_index_ci", "concentration_index_ci"):
        assert body[key] == _as_json(expected[key])
    assert body["confidence_intervals"]["resamples"] == 2000
    assert "95% confidence interval" in body["confidence_intervals"]["meaning"]
    assert [g["per_weighted_patient_ci"] for g in body["groups"]] == [
        _as_json(g["per_weighted_patient_ci"]) for g in expected["groups"]
    ]
    if by is None:
        gap = body["gap_q1_minus_q5_ci"]
        assert gap["lower"] <= gap["upper"]


def test_the_fields_are_documented_in_openapi(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert PATH in schema["paths"]
    model = schema["components"]["schemas"]["DeprivationOut"]["properties"]
    for field in ("gap_q1_minus_q5_ci", "slope_index_ci", "concentration_index_ci"):
        assert "confidence interval" in model[field]["description"]
    group = schema["components"]["schemas"]["DeprivationGroupOut"]["properties"]
    assert "confidence interval" in group["per_weighted_patient_ci"]["description"]


@pytest.mark.parametrize(
    ("params", "says"),
    [({"year": "2031/32"}, "loaded years"), ({"year": "twenty"}, "not a financial year")],
)
def test_a_bad_year_is_a_clear_404(client: TestClient, params: dict[str, str], says: str) -> None:
    answer = client.get(PATH, params=params)
    assert answer.status_code == 404
    assert says in answer.json()["detail"]
