"""The JSON API's errors (``gpequity.web.api_errors``): always JSON in the documented shapes,
from both routers (the allocation API and the open-data API), never a page or a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.web.api_errors import UNREADABLE_BODY
from gpequity.web.app import create_app
from gpequity.web.routes import api
from gpequity.web.warehouse import UNREADABLE


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
