"""``/icbs/{code}/datapack``: the pack in the site's frame, its PDF and HTML downloads, and
the 404 page (never a 500) for an ICB or a year the warehouse does not have."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from gpequity.reports.render import external_links
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.web.app import create_app

ICB_NAME = "NHS North East and North Cumbria Integrated Care Board"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("datapack-web")
    generate_demo(tmp / "demo", seed=41, practices=300)
    db = tmp / "demo.duckdb"
    # Payments, deprivation and Fingertips indicators: a pack like the real data's.
    folders = ("lookups", "nhs-payments", "deprivation", "fingertips")
    build_warehouse(db, [tmp / "demo" / d for d in folders], synthetic=True)
    with TestClient(create_app(db)) as test_client:
        yield test_client


def test_the_page_shows_the_pack_and_offers_the_pdf(client: TestClient) -> None:
    response = client.get("/icbs/QHM/datapack")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"<title>Inequality datapack: {ICB_NAME}, 2022/23" in page
    assert '<div class="gpq-datapack">' in page and '<section class="gpq-cover"' in page
    for section in ("overview", "payments", "payment-lines", "indicators", "practices", "methods"):
        assert f'id="{section}"' in page
    assert page.count("<svg") >= 5
    assert 'href="/icbs/QHM/datapack.pdf?year=2022%2F23"' in page
    assert 'href="/icbs/QHM/datapack.html?year=2022%2F23"' in page
    assert "This site is showing synthetic demonstration data" in page


def test_the_pdf_download(client: TestClient) -> None:
    response = client.get("/icbs/QHM/datapack.pdf", params={"year": "2022/23"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="gpequity-datapack-QHM-2022-23.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.content))
    assert ICB_NAME in " ".join(reader.pages[0].extract_text().split())


def test_the_html_download_is_self_contained(client: TestClient) -> None:
    response = client.get("/icbs/qhm/datapack.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="gpequity-datapack-QHM-2022-23.html"'
    )
    assert external_links(response.text) == []


@pytest.mark.parametrize(
    "path",
    [
        "/icbs/QZZ/datapack",
        "/icbs/QZZ/datapack.pdf",
        "/icbs/QZZ/datapack.html",
        "/icbs/QHM/datapack?year=2030/31",
        "/icbs/QHM/datapack.pdf?year=not-a-year",
        "/icbs/Q%20M/datapack",
        "/icbs/QHMQHMQHMQHM/datapack",
    ],
)
def test_an_unknown_icb_or_year_is_the_404_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text


def test_without_a_warehouse_the_page_says_no_data_is_loaded(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "missing.duckdb")) as empty:
        for path in ("/icbs/QHM/datapack", "/icbs/QHM/datapack.pdf"):
            response = empty.get(path)
            assert response.status_code == 503
            assert "No data loaded yet" in response.text


def test_the_icb_profile_and_home_page_link_to_the_datapack(client: TestClient) -> None:
    code = client.get("/api/v1/icbs").json()[0]["code"]
    profile = client.get(f"/icbs/{code}")
    assert profile.status_code == 200
    assert f'href="/icbs/{code}/datapack"' in profile.text
    assert client.get(f"/icbs/{code}/datapack").status_code == 200
    assert "datapack" in client.get("/").text.lower()
