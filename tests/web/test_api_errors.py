"""The JSON API's errors (``gpequity.web.api_errors``): always JSON in the documented shapes,
from both routers (the allocation API and the open-data API), never a page or a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.web.api_errors import SERVER_ERROR, UNREADABLE_BODY
from gpequity.web.app import create_app
from gpequity.web.routes import api
from gpequity.web.warehouse import UNREADABLE, SharedWarehouse


@pytest.fixture(scope="module")
def client(small_efit_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_efit_db), raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_bad_query_of_the_open_data_api_is_the_same_422(client: TestClient) -> None:
    """FastAPI's own 422 echoes the wrong input; the API's names the field only."""
    response = client.get("/api/v1/resources", params={"page": "first"})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["query", "page"]
    assert set(detail) == {"loc", "msg", "type"}


def test_a_body_that_is_not_utf8_is_a_422_on_the_body(client: TestClient) -> None:
    response = client.post(
        "/api/v1/allocations",
        content=b'{"icb": "\xff"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["body"], "msg": UNREADABLE_BODY, "type": "json_invalid"}]
    }


def test_a_failure_is_a_json_500_and_a_failing_warehouse_a_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(con: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "list_icbs", broken)
    response = client.get("/api/v1/icbs")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on our side; the error has been logged."
    }

    def unreadable(con: object) -> None:
        raise duckdb.IOException("disk gone")

    monkeypatch.setattr(api, "list_icbs", unreadable)
    response = client.get("/api/v1/icbs")
    assert response.status_code == 503
    assert response.json() == {"detail": UNREADABLE}


# --- issue 13 item 5: JSON whatever went wrong, and nothing of the server ----------------------

NOT_FOUND = "There is no such address in the API"


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/nope", "/api/v2/icbs", "/api"])
def test_an_unknown_api_path_is_a_json_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"].startswith(NOT_FOUND)


def test_an_unknown_page_is_still_a_page(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/v1/icbs"), ("POST", "/api/v1/icbs"), ("GET", "/api/v1/allocations")],
)
def test_a_wrong_method_is_a_json_405_with_the_allowed_ones(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert "does not take this method" in response.json()["detail"]
    assert response.headers["allow"]


def test_an_unexpected_failure_outside_a_route_is_json(
    small_efit_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure before the route's own handling (here in the warehouse access) is a JSON 500
    under /api/, not the site's error page."""

    def broken(self: object) -> None:
        raise RuntimeError("/srv/secret/path is gone")

    monkeypatch.setattr(SharedWarehouse, "reading", broken)
    with TestClient(create_app(small_efit_db), raise_server_exceptions=False) as test_client:
        response = test_client.get("/api/v1/icbs")
    assert response.status_code == 500
    assert response.json() == {"detail": SERVER_ERROR}


@pytest.mark.parametrize("content", [b"garbage, not a database", None])
def test_the_503_names_neither_the_file_nor_duckdb(tmp_path: Path, content: bytes | None) -> None:
    """The 503 showed the database path and DuckDB's own text."""
    db = tmp_path / "secret-folder" / "warehouse.duckdb"
    if content is not None:
        db.parent.mkdir()
        db.write_bytes(content)
    with TestClient(create_app(db), raise_server_exceptions=False) as test_client:
        for path in ("/api/v1/icbs", "/api/v1/profiles/icbs"):
            response = test_client.get(path)
            assert response.status_code in {503, 404}, (path, response.text)
            assert response.headers["content-type"] == "application/json"
            text = response.text
            assert "secret-folder" not in text and "duckdb" not in text.lower(), text
            assert "IO Error" not in text and "tmp" not in text, text


def test_a_json_boolean_is_not_an_age(client: TestClient) -> None:
    """``age_to: false`` was read as 0."""
    body = {
        "icb": "QZZ",
        "amount": "1000",
        "components": [{"id": "imd", "weight": 100}],
        "age_to": False,
    }
    response = client.post("/api/v1/allocations", json=body)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body", "age_to"]
    assert detail["msg"] == "Input should be a valid integer"


def test_an_empty_excluded_code_is_named_by_its_position(client: TestClient) -> None:
    """``excluded_practices: [""]`` gave "These codes are not practices of ICB QZZ: ."."""
    body = {
        "icb": "QZZ",
        "amount": "1000",
        "components": [{"id": "imd", "weight": 100}],
        "excluded_practices": ["Z00001", " "],
    }
    response = client.post("/api/v1/allocations", json=body)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body", "excluded_practices"]
    assert detail["msg"].startswith("An empty practice code at position 2")


def test_three_invalid_fields_are_reported_in_one_422(client: TestClient) -> None:
    """Issue 11: a negative amount, weights adding to 90 and ages 64-25, all at once."""
    body = {
        "icb": "QZZ",
        "amount": "-1000",
        "components": [{"id": "imd", "weight": 50}, {"id": "population", "weight": 40}],
        "age_from": 64,
        "age_to": 25,
    }
    response = client.post("/api/v1/allocations", json=body)
    assert response.status_code == 422
    detail = {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}
    assert detail == {
        ("body", "age_to"): "The oldest age must be a whole number from 64 (the youngest age) "
        "to 95, or empty for '64 and over'.",
        ("body", "amount"): "The amount must be more than £0.",
        ("body", "components"): "The weights must add up to exactly 100%; they add up to 90%.",
    }


def test_a_field_that_fails_validation_does_not_hide_the_others(client: TestClient) -> None:
    """``{"icb": "ZZZ", "amount": "abc"}`` named only the amount (the service was never asked):
    one 422 lists the validation's errors, then the service's about the other fields."""
    body = {"icb": "ZZZ", "amount": "abc", "components": [{"id": "imd", "weight": 100}]}
    response = client.post("/api/v1/allocations", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "amount"], ["body", "icb"]]
    assert detail[1]["msg"].startswith("'ZZZ' is not an ICB code of the loaded data.")
    body = {
        "icb": "QZZ",
        "amount": "-5",
        "age_to": False,
        "components": [{"id": "imd", "weight": 90}],
    }
    detail = client.post("/api/v1/allocations", json=body).json()["detail"]
    assert [(d["loc"], d["msg"]) for d in detail] == [
        (["body", "age_to"], "Input should be a valid integer"),
        (["body", "amount"], "The amount must be more than £0."),
        (["body", "components"], "The weights must add up to exactly 100%; they add up to 90%."),
    ]


def test_a_stand_in_is_never_reported(client: TestClient) -> None:
    """A component that fails validation stands in as none: "Choose at least one component"
    would be about the stand-in, not the body."""
    body = {"icb": "QZZ", "amount": "10", "components": [{"id": "imd", "weight": "x"}]}
    detail = client.post("/api/v1/allocations", json=body).json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "components", 0, "weight"]]


@pytest.mark.parametrize("amount", [1.7976931348623155e308, 7.852393643298608e36, "1e16"])
@pytest.mark.parametrize("path", ["", "/sensitivity"])
def test_an_amount_too_large_to_round_is_a_422_not_a_500(
    client: TestClient, amount: float | str, path: str
) -> None:
    """Found by schemathesis: an amount beyond Decimal's precision could not be rounded to
    pence (``decimal.InvalidOperation``), a 500."""
    body = {"icb": "QZZ", "amount": amount, "components": [{"id": "imd", "weight": 100}]}
    response = client.post(f"/api/v1/allocations{path}", json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "amount"],
            "msg": "The amount is too large: enter at most 15 digits before the decimal point.",
        }
    ]
