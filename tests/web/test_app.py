"""The app around the pages: layout, navigation, static files, error pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gpequity.web.app import STATIC_DIR, create_app
from gpequity.web.rendering import compile_templates, create_templates
from gpequity.web.site import NAVIGATION, SERVICE_NAME


def test_every_page_has_the_design_system_layout(client: TestClient) -> None:
    html = client.get("/").text

    assert html.startswith("<!DOCTYPE html>\n")
    assert '<html lang="en">' in html
    assert '<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">' in html
    assert f'<a class="nhsuk-header__service-name" href="/">{SERVICE_NAME}</a>' in html
    assert '<main class="nhsuk-main-wrapper" id="maincontent">' in html
    assert '<footer class="nhsuk-footer" role="contentinfo">' in html
    assert "Open Government Licence v3.0" in html
    assert "<title>Fair general practice funding – gpequity</title>" in html


def test_navigation_lists_every_entry_and_marks_the_current_page(client: TestClient) -> None:
    html = client.get("/data").text

    links = re.findall(r'<a class="nhsuk-header__navigation-link" href="([^"]+)"', html)
    assert links == [entry.href for entry in NAVIGATION]
    assert (
        '<a class="nhsuk-header__navigation-link" href="/data" aria-current="page">'
        '<strong class="nhsuk-header__navigation-item-current-fallback">Data</strong></a>'
    ) in html
    assert '<a class="nhsuk-header__navigation-link" href="/">Home</a>' in html


def test_navigation_links_only_to_pages_that_exist(client: TestClient) -> None:
    for entry in NAVIGATION:
        assert client.get(entry.href).status_code == 200, entry


def test_pages_load_no_external_resource(client: TestClient) -> None:
    for path in ("/", "/data", "/no-such-page"):
        html = client.get(path).text
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            if url.startswith("https://www.nationalarchives.gov.uk/"):
                continue  # the licence, linked as the OGL asks: a link, not a resource
            assert url.startswith(("/", "#", "data:")), (path, url)


def test_static_files_are_served(client: TestClient) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert client.get("/static/js/app.mjs").headers["content-type"].startswith("text/javascript")


def test_vendored_assets_are_served_when_built(client: TestClient) -> None:
    # tools/vendor_assets.py (make assets) writes these; the browser tests need them too.
    vendor = STATIC_DIR / "vendor"
    for path in (
        "nhsuk-frontend/nhsuk-frontend.min.css",
        "nhsuk-frontend/nhsuk-frontend.min.js",
        "htmx/htmx.min.js",
    ):
        assert (vendor / path).is_file(), f"{path}: run 'make assets'"
        assert client.get(f"/static/vendor/{path}").status_code == 200


def test_unknown_page_is_a_design_system_404(client: TestClient) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Page not found</h1>" in response.text
    assert '<header class="nhsuk-header"' in response.text


def test_unsupported_method_is_a_page_too(client: TestClient) -> None:
    response = client.post("/data")

    assert response.status_code == 405
    assert "<h1>Method Not Allowed</h1>" in response.text
    assert response.headers["allow"] == "GET"


def test_unexpected_error_is_a_design_system_500_without_details(synthetic_db: Path) -> None:
    app = create_app(synthetic_db)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert "<h1>Sorry, there is a problem with the service</h1>" in response.text
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert 'data-testid="synthetic-banner"' in response.text


def test_without_a_warehouse_the_home_page_says_how_to_load_data(
    empty_client: TestClient,
) -> None:
    response = empty_client.get("/")

    assert response.status_code == 200
    assert "No data loaded yet" in response.text
    assert 'data-testid="synthetic-banner"' not in response.text


def test_default_warehouse_path_comes_from_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPEQUITY_DB", str(tmp_path / "from-env.duckdb"))
    app = create_app()
    assert app.state.warehouse.db_path == tmp_path / "from-env.duckdb"


def test_interactive_api_docs_are_off_because_they_load_a_cdn(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize("path", ["/", "/allocate", "/funding", "/data", "/practices/A81001"])
def test_an_unreadable_warehouse_is_a_503_page_naming_nothing_of_the_server(
    tmp_path: Path, path: str
) -> None:
    """A damaged warehouse file was a 500 page; it is the service unavailable, and the page
    shows neither the file's path nor DuckDB's text."""
    db = tmp_path / "secret-folder" / "warehouse.duckdb"
    db.parent.mkdir()
    db.write_bytes(b"not a database")
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        response = client.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in response.text
    assert "secret-folder" not in response.text and "IO Error" not in response.text
    assert "Traceback" not in response.text


def test_a_served_app_compiles_every_template_as_it_starts() -> None:
    """So that no reader's first page of a kind waits for its template (about 6 ms each)."""
    templates = create_templates()
    names = templates.env.list_templates()
    assert names and templates.env.cache is not None and len(templates.env.cache) == 0

    compile_templates(templates)

    assert len(templates.env.cache) == len(names)
