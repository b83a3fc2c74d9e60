"""``/healthz``: exact JSON for each state of the warehouse."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from gpequity.web.app import create_app


def test_healthz_with_a_synthetic_warehouse(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == '{"status":"ok","warehouse":true,"synthetic":true}'


def test_healthz_with_a_real_warehouse(real_client: TestClient) -> None:
    assert real_client.get("/healthz").text == (
        '{"status":"ok","warehouse":true,"synthetic":false}'
    )


def test_healthz_without_a_warehouse(empty_client: TestClient) -> None:
    response = empty_client.get("/healthz")

    assert response.status_code == 200
    assert response.text == '{"status":"ok","warehouse":false,"synthetic":null}'


def test_healthz_with_an_unreadable_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "broken.duckdb"
    db.write_bytes(b"this is not a DuckDB file" * 100)

    with TestClient(create_app(db)) as client:
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.text == '{"status":"error","warehouse":false,"synthetic":null}'
