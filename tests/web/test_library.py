"""The library in the app: listing, search, filters, pages, articles, live figures, the API."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.analysis.payments import payments_by_deprivation
from gpequity.warehouse.build import CORE_SCHEMA
from gpequity.web.app import create_app
from gpequity.web.presenters_library import CsvTable, csv_table, page_numbers, results_counter

START = date(2025, 1, 1)


def resource(
    folder: Path,
    slug: str,
    *,
    body: str = "Some text.\n",
    title: str | None = None,
    type_: str = "Blog",
    day: int = 0,
    tags: str = "[funding]",
    extra: str = "",
) -> None:
    title = title or slug.replace("-", " ").capitalize()
    (folder / f"{slug}.md").write_text(
        f"---\ntitle: '{title}'\nslug: {slug}\ntype: {type_}\n"
        f"published: {(START + timedelta(days=day)).isoformat()}\nauthors: [Ann Author]\n"
        f"summary: About {slug}.\ntags: {tags}\n{extra}---\n{body}",
        encoding="utf-8",
    )


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """20 resources, one a day from 1 January 2025 (r19 newest); every third a Tool."""
    folder = tmp_path / "content"
    folder.mkdir()
    for n in range(20):
        resource(
            folder,
            f"r{n:02d}",
            day=n,
            type_="Tool" if n % 3 == 0 else "Blog",
            tags="[funding, tools]" if n % 3 == 0 else "[funding]",
            body=(
                "How money is allocated to practices.\n"
                if n in (3, 4)
                else "A note about general practice.\n"
            )
            + ("\nThe word quokka appears only here.\n" if n == 7 else ""),
        )
    return folder


@pytest.fixture
def make_client(synthetic_db: Path) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(content_dir: Path, db: Path = synthetic_db) -> TestClient:
        client = TestClient(create_app(db, content_dir=content_dir))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient], content: Path) -> TestClient:
    return make_client(content)


def result_slugs(html: str) -> list[str]:
    return (
        re.findall(r'<a href="/resources/([a-z0-9-]+)">', html.split('data-testid="results"')[1])
        if 'data-testid="results"' in html
        else []
    )


def counter(html: str) -> str:
    match = re.search(r'<p class="nhsuk-body" data-testid="results-counter">([^<]*)</p>', html)
    assert match, "no results counter"
    return match.group(1)


# --- listing ------------------------------------------------------------------------------------


def test_newest_first_nine_a_page(client: TestClient) -> None:
    html = client.get("/resources").text

    assert result_slugs(html) == [f"r{n:02d}" for n in range(19, 10, -1)]
    assert counter(html) == "Displaying 1–9 of 20 results"


def test_page_two_has_the_right_counter_and_pagination(client: TestClient) -> None:
    html = client.get("/resources", params={"page": "2"}).text

    assert result_slugs(html) == [f"r{n:02d}" for n in range(10, 1, -1)]
    assert counter(html) == "Displaying 10–18 of 20 results"
    assert "<title>Library (page 2 of 3) – gpequity</title>" in html
    assert '<a href="/resources" class="nhsuk-pagination__previous" rel="prev">' in html
    assert '<a href="/resources?page=3" class="nhsuk-pagination__next" rel="next">' in html
    assert (
        '<a class="nhsuk-pagination__link" href="/resources?page=2" aria-label="Page 2" '
        'aria-current="page">'
    ) in html


def test_the_last_page_and_beyond(client: TestClient) -> None:
    assert counter(client.get("/resources?page=3").text) == "Displaying 19–20 of 20 results"
    html = client.get("/resources?page=9").text
    assert result_slugs(html) == []
    assert "There is no page 9: the results fill 3." in html


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1e9", "２", "", "99999999999999999999"])
def test_a_page_that_is_not_a_page_number_is_never_an_error(client: TestClient, page: str) -> None:
    response = client.get("/resources", params={"page": page})

    assert response.status_code == 200


def test_search_ranks_and_highlights(client: TestClient) -> None:
    html = client.get("/resources", params={"q": "allocate"}).text

    assert result_slugs(html) == ["r04", "r03"]
    assert counter(html) == "Displaying 1–2 of 2 results"
    assert "How money is <mark>allocated</mark> to practices." in html
    assert "<title>Library: results for “allocate” – gpequity</title>" in html


def test_a_word_only_in_one_body_finds_that_resource(client: TestClient) -> None:
    assert result_slugs(client.get("/resources?q=quokka").text) == ["r07"]


def test_type_and_tag_filters_combine_with_the_query(client: TestClient) -> None:
    assert result_slugs(client.get("/resources?q=allocate&type=tool").text) == ["r03"]
    assert result_slugs(client.get("/resources?type=tool&tag=tools").text) == [
        "r18",
        "r15",
        "r12",
        "r09",
        "r06",
        "r03",
        "r00",
    ]
    # The filters are kept in the form and in the pagination links.
    html = client.get("/resources?q=practice&type=blog").text
    assert '<option value="blog" selected>Blog</option>' in html
    assert 'href="/resources?q=practice&amp;type=blog&amp;page=2"' in html
    assert counter(html) == "Displaying 1–9 of 13 results"


def test_an_unknown_type_is_ignored_and_an_unknown_tag_finds_nothing(client: TestClient) -> None:
    assert counter(client.get("/resources?type=podcast").text) == "Displaying 1–9 of 20 results"
    html = client.get("/resources?tag=nothing-like-this").text
    assert counter(html) == "No results"
    assert '<option value="nothing-like-this" selected>' in html


HOSTILE = [
    '"',
    "'",
    'allocate"',
    "allocate OR quokka",
    "NEAR(allocate quokka)",
    "title:quokka",
    "quokka*",
    "^quokka",
    "(((",
    "{title}",
    "-",
    "\\",
    "<script>alert(1)</script>",
    "\x00",
    "a" * 20_000,
    "quokka " * 2_000,
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_fail(client: TestClient, query: str) -> None:
    response = client.get("/resources", params={"q": query})

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    api = client.get("/api/v1/resources", params={"q": query})
    assert api.status_code == 200


def test_punctuation_only_says_there_is_nothing_to_look_for(client: TestClient) -> None:
    html = client.get("/resources", params={"q": '"*()'}).text

    assert counter(html) == "No results"
    assert "Your search has no words to look for" in html


# --- article ------------------------------------------------------------------------------------


def test_an_article_shows_its_metadata_body_and_related(client: TestClient) -> None:
    html = client.get("/resources/r03").text

    assert "<h1>R03</h1>" in html
    assert '<time datetime="2025-01-04" data-testid="published">4 January 2025</time>' in html
    assert '<dd class="nhsuk-summary-list__value" data-testid="authors">Ann Author</dd>' in html
    assert '<a href="/resources?tag=tools">tools</a>' in html
    assert "<p>How money is allocated to practices.</p>" in html
    # Related: those sharing most tags (funding and tools), newest first.
    related = html.split('data-testid="related"')[1].split("</ul>")[0]
    assert re.findall(r'href="/resources/([a-z0-9]+)"', related) == ["r18", "r15", "r12"]


def test_an_unknown_resource_is_the_404_page(client: TestClient) -> None:
    response = client.get("/resources/no-such-thing")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


class ActiveParts(HTMLParser):
    """Elements, attributes and URLs in a fragment that a browser could run."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "object", "embed", "form", "svg", "style", "link"}:
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag} {name}")
            cleaned = "".join(c for c in (value or "") if c > " ").lower()
            if name in {"href", "src", "action", "formaction"} and re.match(
                r"(?:javascript|data|vbscript):", cleaned
            ):
                self.found.append(f"{tag} {name}={value}")


def test_a_hostile_resource_renders_with_nothing_active(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    resource(
        folder,
        "hostile",
        title="<script>alert(1)</script> title",
        body=(
            "<script>alert('body')</script>\n\n"
            '<a href="javascript:alert(1)">link</a> [md](javascript:alert(2)) '
            '<a href=" JAVASCRIPT:alert(3)">spaced</a>\n\n'
            '<p onclick="alert(4)" onmouseover="alert(5)">text</p>\n'
            '<img src="/x.png" onerror="alert(6)" alt="">\n'
            '<iframe src="javascript:alert(7)"></iframe>\n'
        ),
    )
    client = make_client(folder)

    html = client.get("/resources/hostile").text

    article = html.split('data-testid="article-body">', 1)[1].split("</article>", 1)[0]
    parser = ActiveParts()
    parser.feed(article)
    assert parser.found == []
    assert "<p>text</p>" in article
    # The title is text everywhere it appears.
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; title</h1>" in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; title – gpequity</title>" in html
    listing = client.get("/resources").text
    assert "<script>alert(1)</script>" not in listing


# --- live figures -------------------------------------------------------------------------------


def write_quintile_warehouse(path: Path) -> Path:
    """Five practices, one per quintile, in 2022/23: payments 100, 90, 80, 70, 60 per weighted
    patient (1,000 weighted patients each), Q1 to Q5."""
    with duckdb.connect(str(path)) as con:
        con.execute(CORE_SCHEMA)
        con.execute("INSERT INTO meta VALUES ('synthetic', 'true')")
        con.execute(
            "CREATE TABLE payments AS SELECT '2022/23' AS year, 'P0000' || q AS practice_code, "
            "'AAA' AS icb_code, 'NHS Alpha' AS icb_name, 'PRACTICE ' || q AS practice_name, "
            "NULL::VARCHAR AS postcode, NULL::VARCHAR AS pcn_code, NULL::VARCHAR AS pcn_name, "
            "1100.0::DOUBLE AS registered_patients, 1000.0::DOUBLE AS weighted_patients, "
            "'No' AS dispensing, "
            "'Urban' AS rurality, 'GMS' AS contract_type, "
            "CAST(110000 - 10000 * q AS DECIMAL(18, 2)) AS total_payments, "
            "NULL::DECIMAL(18, 2) AS total_incl_covid, NULL::DECIMAL(18, 2) AS total_incl_pcn, "
            "NULL::DECIMAL(18, 2) AS total_incl_covid_pcn, "
            "NULL::DECIMAL(18, 2) AS total_minus_deductions, "
            "0::DECIMAL(18, 2) AS prescribing_fee, 0::DECIMAL(18, 2) AS dispensing_fee, "
            "0::DECIMAL(18, 2) AS drug_reimbursement FROM range(1, 6) t(q)"
        )
        con.execute(
            "CREATE TABLE practice_imd_year AS SELECT '2022/23' AS year, "
            "'P0000' || q AS practice_code, 10.0::DOUBLE * q AS score, "
            "'carried forward' AS method, "
            "CAST(q AS INTEGER) AS quintile, CAST(2 * q AS INTEGER) AS decile FROM range(1, 6) t(q)"
        )
    return path


@pytest.fixture
def figures_content(tmp_path: Path) -> Path:
    folder = tmp_path / "figures"
    folder.mkdir()
    resource(
        folder,
        "methods",
        type_="Data analysis",
        body='Before.\n\n{{< quintile-table year="latest" >}}\n\nBetween.\n\n'
        '{{< quintile-table year="2019/20" >}}\n\nAfter.\n',
    )
    return folder


def test_a_live_quintile_table_shows_the_analysis_figures(
    make_client: Callable[..., TestClient], figures_content: Path, tmp_path: Path
) -> None:
    db = write_quintile_warehouse(tmp_path / "q.duckdb")
    client = make_client(figures_content, db)

    html = client.get("/resources/methods").text

    with duckdb.connect(str(db), read_only=True) as con:
        result = payments_by_deprivation(con, "2022/23")
    assert [round(g.per_weighted_patient or 0, 2) for g in result.groups] == [100, 90, 80, 70, 60]
    assert "Payments per patient by deprivation quintile, England, 2022/23" in html
    for label, pounds in (("Q1 (least deprived)", "£100.00"), ("Q5 (most deprived)", "£60.00")):
        row = html.split(f"</span>{label}</th>", 1)[1].split("</tr>", 1)[0]
        assert row.rstrip().endswith(f"Per weighted patient </span>{pounds}</td>")
    assert (
        "In 2022/23 practices in the least deprived fifth received £40.00 more per weighted "
        "patient than those in the most deprived fifth."
    ) in html
    # The second shortcode's year is not loaded: it says so, and the page is still there.
    assert "This figure cannot be shown: year 2019/20 is not loaded" in html
    assert html.index("Before.") < html.index("2022/23</caption>") < html.index("Between.")

    csv = client.get("/resources/methods/tables/1.csv")
    assert csv.headers["content-disposition"] == (
        'attachment; filename="methods-table-1-quintiles-2022-23.csv"'
    )
    assert csv.text.splitlines()[:2] == [
        "year,quintile,label,practices,registered_patients,weighted_patients,payments,"
        "per_registered_patient,per_weighted_patient",
        "2022/23,1,Q1 (least deprived),1,1100.0,1000.0,100000.00,90.9090909090909,100.0",
    ]
    assert client.get("/resources/methods/tables/2.csv").status_code == 404
    assert client.get("/resources/methods/tables/3.csv").status_code == 404


def test_live_figures_follow_a_rebuilt_warehouse(
    make_client: Callable[..., TestClient], figures_content: Path, tmp_path: Path
) -> None:
    db = write_quintile_warehouse(tmp_path / "q.duckdb")
    client = make_client(figures_content, db)
    assert "received £40.00 more per weighted" in client.get("/resources/methods").text

    # A load builds the new warehouse beside the old one and renames it over it.
    rebuilt = write_quintile_warehouse(tmp_path / "new.duckdb")
    with duckdb.connect(str(rebuilt)) as con:
        con.execute("UPDATE payments SET total_payments = total_payments * 2")
    os.replace(rebuilt, db)

    assert "received £80.00 more per weighted" in client.get("/resources/methods").text


def test_live_figures_without_data_say_why(
    make_client: Callable[..., TestClient], figures_content: Path, tmp_path: Path
) -> None:
    no_payments = make_client(figures_content).get("/resources/methods").text
    assert "The payments files are not loaded yet" in no_payments

    no_warehouse = make_client(figures_content, tmp_path / "missing.duckdb")
    html = no_warehouse.get("/resources/methods").text
    assert "No data is loaded yet, so this figure cannot be shown." in html


def test_the_projects_own_resources_all_render(synthetic_db: Path) -> None:
    with TestClient(create_app(synthetic_db)) as client:
        library = client.app.state.library  # type: ignore[attr-defined]
        for item in library.resources:
            response = client.get(f"/resources/{item.slug}")
            assert response.status_code == 200, item.slug
            assert f"<h1>{item.meta.title}</h1>" in response.text.replace("&#39;", "'")


# --- home ---------------------------------------------------------------------------------------


def test_the_home_page_lists_the_latest_resources_and_headline_figures(
    make_client: Callable[..., TestClient], content: Path, tmp_path: Path
) -> None:
    db = write_quintile_warehouse(tmp_path / "q.duckdb")
    html = make_client(content, db).get("/").text

    latest = html.split('data-testid="latest-resources"')[1].split("</ul>")[0]
    assert re.findall(r'href="/resources/([a-z0-9]+)"', latest) == ["r19", "r18", "r17"]
    headlines = html.split('data-testid="headlines"')[1].split("</section>")[0]
    assert '<p class="app-headline">£400.0k</p>' in headlines
    assert "paid to 5 general practices in England in 2022/23" in headlines
    assert '<p class="app-headline">£40.00</p>' in headlines
    offers = html.split('data-testid="offers"')[1].split("</ul>")[0]
    assert '<a class="nhsuk-card__link" href="/resources">Library</a>' in offers
    assert '<a class="nhsuk-card__link" href="/practices">Practices and ICBs</a>' in offers


def test_the_home_page_without_payments_has_no_headlines(client: TestClient) -> None:
    html = client.get("/").text

    assert 'data-testid="headlines"' not in html
    assert 'data-testid="latest-resources"' in html


# --- the API ------------------------------------------------------------------------------------


def test_the_resources_api_lists_as_the_page_does(client: TestClient) -> None:
    body = client.get("/api/v1/resources", params={"q": "allocate", "type": "tool"}).json()

    assert body == {
        "query": "allocate",
        "type": "tool",
        "tag": None,
        "total": 1,
        "page": 1,
        "pages": 1,
        "per_page": 9,
        "results": [
            {
                "slug": "r03",
                "title": "R03",
                "type": "Tool",
                "published": "2025-01-04",
                "authors": ["Ann Author"],
                "summary": "About r03.",
                "tags": ["funding", "tools"],
                "url": "/resources/r03",
                "related": {"resources": [], "practices": [], "icbs": [], "links": []},
                "snippet": "How money is [allocated] to practices.",
            }
        ],
    }
    page = client.get("/api/v1/resources", params={"page": 2, "per_page": 5}).json()
    assert [r["slug"] for r in page["results"]] == ["r14", "r13", "r12", "r11", "r10"]
    assert client.get("/api/v1/resources", params={"per_page": 1000}).status_code == 422


def test_one_resource_in_the_api(
    make_client: Callable[..., TestClient], figures_content: Path
) -> None:
    client = make_client(figures_content)

    body = client.get("/api/v1/resources/methods").json()

    assert body["markdown"].startswith("Before.\n")
    assert body["shortcodes"][0] == {
        "name": "quintile-table",
        "params": {"exclude-prescribing": "no", "total": "core", "year": "latest"},
        "csv": "/resources/methods/tables/1.csv",
    }
    missing = client.get("/api/v1/resources/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no resource has the slug 'nothing'"}


# --- presenters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "total", "text"),
    [
        (28, 36, 52, "Displaying 28–36 of 52 results"),
        (1, 1, 1, "Displaying 1 of 1 result"),
        (10, 10, 10, "Displaying 10 of 10 results"),
        (0, 0, 0, "No results"),
        (1, 9, 5200, "Displaying 1–9 of 5,200 results"),
    ],
)
def test_results_counter(first: int, last: int, total: int, text: str) -> None:
    assert results_counter(first, last, total) == text


@pytest.mark.parametrize(
    ("current", "pages", "shown"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 6, [1, 2, 0, 6]),
        (4, 6, [1, 2, 3, 4, 5, 6]),
        (10, 40, [1, 0, 9, 10, 11, 0, 40]),
        (40, 40, [1, 0, 39, 40]),
    ],
)
def test_page_numbers_with_ellipses(current: int, pages: int, shown: list[int]) -> None:
    assert page_numbers(current, pages) == shown


def test_csv_table_puts_the_lead_columns_first_then_each_attribute_or_function() -> None:
    @dataclass(frozen=True)
    class Row:
        code: str
        rank: int

    table = csv_table(
        [Row("A1", 1), Row("B2", 5)],
        ["code", ("quintile", "rank"), ("lower", lambda r: r.code.lower())],
        "rows.csv",
        lead={"year": "2022/23"},
    )
    assert table == CsvTable(
        ("year", "code", "quintile", "lower"),
        (("2022/23", "A1", 1, "a1"), ("2022/23", "B2", 5, "b2")),
        "rows.csv",
    )
