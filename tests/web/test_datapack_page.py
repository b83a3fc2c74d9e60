"""``/icbs/{code}/datapack``: the pack in the site's frame, its PDF and HTML downloads, and
the 404 page (never a 500) for an ICB or a year the warehouse does not have."""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from gpequity.chart_layouts import Layout
from gpequity.charts import Chart
from gpequity.reports.render import external_links
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.warehouse.cache import cache_folder
from gpequity.warehouse.version import file_version
from gpequity.web.app import create_app

ICB_NAME = "NHS North East and North Cumbria Integrated Care Board"
#: How long the background process may take to print a PDF (a failure, not a speed target).
PDF_DEADLINE_SECONDS = 240.0


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
    # The charts are images of the page (the HTML and PDF files inline them).
    assert "<svg" not in page
    charts = re.findall(r'<img src="(/icbs/QHM/datapack/figure-\d+\.svg\?year=[^"]+)"', page)
    assert len(charts) >= 5
    chart = client.get(html.unescape(charts[0]))
    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/svg+xml"
    assert chart.text.startswith('<svg role="img"') and "<title>" in chart.text
    # A phone's browser asks for the chart's narrow layout instead (<picture>).
    narrow = re.findall(r'<source media="[^"]+" srcset="([^"]+)"><img src="([^"]+)"', page)
    assert len(narrow) == len(charts) and narrow[0][1] == charts[0]
    assert html.unescape(narrow[0][0]) == html.unescape(charts[0]) + "&layout=narrow"
    phone = client.get(html.unescape(narrow[0][0]))
    assert phone.status_code == 200 and 'data-layout="narrow"' in phone.text
    assert 'data-layout="wide"' in chart.text
    assert client.get(html.unescape(charts[0]) + "&layout=tiny").status_code == 404
    assert client.get("/icbs/QHM/datapack/figure-999.svg").status_code == 404
    for name in ("figure-1x", "summary", "figure-" + "1" * 400):
        assert client.get(f"/icbs/QHM/datapack/{name}.svg").status_code == 404
    assert 'href="/icbs/QHM/datapack.pdf?year=2022%2F23"' in page
    assert 'href="/icbs/QHM/datapack.html?year=2022%2F23"' in page
    assert "This site is showing synthetic demonstration data" in page


def test_the_pdf_link_gives_a_progress_page_at_once_then_the_file_kept_on_disk(
    client: TestClient,
) -> None:
    path = "/icbs/QHM/datapack.pdf?year=2022%2F23"
    first = client.get(path)
    # Not made yet: a page saying so, which reloads itself without JavaScript.
    assert first.status_code == 202
    assert '<meta http-equiv="refresh" content="3">' in first.text
    assert f'<a href="{path}">Check again now</a>' in first.text
    deadline = time.monotonic() + PDF_DEADLINE_SECONDS
    response = first
    while response.status_code == 202:
        assert time.monotonic() < deadline, "the PDF was never made"
        time.sleep(0.5)
        response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="gpequity-datapack-QHM-2022-23.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.content))
    assert ICB_NAME in " ".join(reader.pages[0].extract_text().split())
    # Kept beside the warehouse, in the folder of this version of the file.
    db: Path = client.app.state.warehouse.db_path  # type: ignore[attr-defined]
    version = file_version(db)
    assert version is not None
    kept = cache_folder(version) / "gpequity-datapack-QHM-2022-23.pdf"
    assert kept.read_bytes() == response.content
    assert kept.parent.parent == db.with_name(f"{db.name}.cache")
    assert client.get(path).content == response.content  # the same file, at once


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


def test_the_page_draws_no_chart_and_each_chart_is_the_one_the_file_carries(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack's page is made without drawing its 30-odd charts (a second of a server's warm-up
    per pack): each chart is drawn when its image is asked for, the same drawing as the HTML
    file's inline one."""
    import gpequity.reports.datapack as datapack

    drawn: list[str] = []
    render_svg = datapack.render_svg

    def counted(chart: Chart, layout: Layout = Layout.WIDE) -> str:
        drawn.append(chart.title)
        return render_svg(chart, layout)

    monkeypatch.setattr(datapack, "render_svg", counted)
    page = client.get("/icbs/QOX/datapack")  # an ICB no other test of this file asks for
    assert page.status_code == 200 and drawn == []
    charts = re.findall(r'<img src="(/icbs/QOX/datapack/(figure-\d+)\.svg\?year=[^"]+)"', page.text)
    href, figure = charts[-1]
    chart = client.get(html.unescape(href))
    assert chart.status_code == 200 and len(drawn) == 1
    assert client.get(html.unescape(href)).text == chart.text and len(drawn) == 1  # kept
    whole = client.get("/icbs/QOX/datapack.html").text
    inline = re.search(rf'id="{figure}".*?(<svg role="img".*?</svg>)', whole, re.S)
    assert inline is not None and inline.group(1) == chart.text
