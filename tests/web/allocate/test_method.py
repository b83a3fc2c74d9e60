"""The method page: the packaged method text, with its worked example."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_method_page_has_the_worked_example(client: TestClient) -> None:
    response = client.get("/allocate/method")
    assert response.status_code == 200
    assert 'id="worked-example"' in response.text
    assert "2,489.18" in response.text
