"""The method page: the packaged method text, with its worked example."""

from __future__ import annotations

import tomllib
from pathlib import Path

from fastapi.testclient import TestClient

import gpequity
from gpequity.web.allocate.method import method_html, method_text

REPO = Path(__file__).resolve().parents[3]


def test_the_method_page_has_the_worked_example(client: TestClient) -> None:
    response = client.get("/allocate/method")
    assert response.status_code == 200
    assert 'id="worked-example"' in response.text
    assert "2,489.18" in response.text


def test_the_page_shows_the_packaged_text(client: TestClient) -> None:
    # The text ships inside the package (an installed copy shows it too)...
    text = method_text()
    assert text == (Path(gpequity.__file__).parent / "allocation" / "method.md").read_text(
        encoding="utf-8"
    )
    # ...and the page shows exactly it, rendered.
    assert method_html(text) in client.get("/allocate/method").text


def test_the_docs_point_to_the_one_text_rather_than_copy_it() -> None:
    pointer = (REPO / "docs" / "allocation-method.md").read_text(encoding="utf-8")
    assert "src/gpequity/allocation/method.md" in pointer
    assert "2,489.18" not in pointer and "2,489.18" in method_text()


def test_the_method_text_is_package_data() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "allocation/method.md" in pyproject["tool"]["setuptools"]["package-data"]["gpequity"]
