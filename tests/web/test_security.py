"""Security headers on every kind of response, and templates the strict policy can serve."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gpequity.reports.render import stylesheet as datapack_stylesheet
from gpequity.web.app import create_app
from gpequity.web.security import content_security_policy, security_headers, style_hash
from gpequity.web.warehouse import SharedWarehouse

TEMPLATES = Path(__file__).parents[2] / "src" / "gpequity" / "web" / "templates"
EXPECTED = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' {style_hash(datapack_stylesheet())}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()"
    ),
}


def assert_secured(headers: dict[str, str]) -> None:
    assert {name: headers.get(name) for name in EXPECTED} == EXPECTED


@pytest.mark.parametrize(
    ("method", "path", "status", "content_type"),
    [
        ("GET", "/", 200, "text/html"),
        ("GET", "/static/css/app.css", 200, "text/css"),
        ("GET", "/static/js/allocate.js", 200, "text/javascript"),
        ("GET", "/no-such-page", 404, "text/html"),
        ("POST", "/funding", 405, "text/html"),
        ("GET", "/api/v1/icbs", 200, "application/json"),
        ("GET", "/api/v1/resources/no-such-resource", 404, "application/json"),
        ("GET", "/data/sources.csv", 200, "text/csv"),
        ("GET", "/healthz", 200, "application/json"),
    ],
)
def test_every_kind_of_response_has_the_security_headers(
    client: TestClient, method: str, path: str, status: int, content_type: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    assert_secured(dict(response.headers))


@pytest.fixture
def failing_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client of an app whose warehouse access fails unexpectedly: every data page is a 500."""

    def broken(self: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SharedWarehouse, "reading", broken)
    monkeypatch.setattr(SharedWarehouse, "status", broken)
    with TestClient(create_app(tmp_path / "w.duckdb"), raise_server_exceptions=False) as c:
        yield c


def test_the_unexpected_error_page_has_them_too(failing_client: TestClient) -> None:
    # Starlette answers an unhandled error outside every middleware.
    response = failing_client.get("/data")
    assert response.status_code == 500
    assert_secured(dict(response.headers))


def test_the_unreadable_warehouse_page_has_them_too(tmp_path: Path) -> None:
    (tmp_path / "broken.duckdb").write_bytes(b"not a DuckDB file" * 100)
    with TestClient(create_app(tmp_path / "broken.duckdb")) as client:
        response = client.get("/data")
    assert response.status_code == 503
    assert_secured(dict(response.headers))


def test_the_policy_allows_exactly_the_datapack_stylesheet() -> None:
    css = datapack_stylesheet()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in content_security_policy()
    assert style_hash(css + " ") not in content_security_policy()
    assert security_headers()["Content-Security-Policy"] == content_security_policy()


# --- templates the policy can serve --------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
#: The only inline style: the datapack's stylesheet, allowed by its hash.
DATAPACK_STYLE = "{{ page.css }}"


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert INLINE_SCRIPT.findall(text) == []
    assert STYLE_ATTRIBUTE.findall(text) == []
    assert EVENT_ATTRIBUTE.findall(text) == []
    assert [s for s in STYLE_ELEMENT.findall(text) if s != DATAPACK_STYLE] == []
