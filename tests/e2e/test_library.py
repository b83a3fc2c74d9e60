"""The library in a real browser: search, pages, filters, and resources with nothing active.

These tests need more resources than the project's own, so they run the app on a library of
52 generated resources (``create_app(..., content_dir=...)``) over the shared demo warehouse:
this module's ``base_url`` is that server's.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect

from gpequity.library import Library, ResourceType
from gpequity.web.app import create_app

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="e2e")]

RESOURCES = 52
#: A word in the body of one resource only (and in no title, summary, author or tag).
UNIQUE_WORD = "quokka"
UNIQUE_SLUG = "resource-37"
HOSTILE_SLUG = "resource-05"
TYPES = list(ResourceType)
START_SECONDS = 30.0


def write_library(folder: Path) -> Path:
    """52 resources, one a day (resource-51 the newest), the four types in turn."""
    folder.mkdir(parents=True, exist_ok=True)
    start = date(2024, 1, 1)
    for n in range(RESOURCES):
        type_ = TYPES[n % len(TYPES)]
        body = (
            f"Resource {n} looks at how funding is allocated to general practice.\n\n"
            "## Details\n\nPractices in deprived areas serve patients with more illness.\n"
        )
        if f"resource-{n:02d}" == UNIQUE_SLUG:
            body += f"\nA {UNIQUE_WORD} appears in this paragraph and nowhere else.\n"
        if f"resource-{n:02d}" == HOSTILE_SLUG:
            body += (
                "\n<script>window.pwned = 'script'</script>\n\n"
                '<img src="/static/css/library.css" onerror="window.pwned = \'img\'" alt="">\n\n'
                '<a href="javascript:window.pwned = \'link\'" id="js-link">a javascript link</a> '
                "and [a markdown one](javascript:window.pwned='md').\n\n"
                '<p onclick="window.pwned = \'click\'" id="clickable">Click me</p>\n'
            )
        (folder / f"resource-{n:02d}.md").write_text(
            "---\n"
            f"title: Resource number {n}\n"
            f"slug: resource-{n:02d}\n"
            f"type: {type_.value}\n"
            f"published: {(start + timedelta(days=n)).isoformat()}\n"
            "authors: [The gpequity team]\n"
            f"summary: A generated resource, number {n}, for the browser tests.\n"
            f"tags: [{'allocation' if n % 2 else 'deprivation'}]\n"
            f"---\n{body}",
            encoding="utf-8",
        )
    return folder


@pytest.fixture(scope="module")
def library_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("library") / "content")


@pytest.fixture(scope="module")
def library(library_content: Path) -> Library:
    return Library.load(library_content)


@pytest.fixture(scope="module")
def base_url(e2e_db: Path, library_content: Path) -> Iterator[str]:
    """The app on the generated library, on 127.0.0.1 (overrides the session's base_url)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(e2e_db, content_dir=library_content)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail(f"the library's server did not start at {url}")
        time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def results(page: Page) -> list[str]:
    """The titles of the results shown, in order."""
    return page.get_by_test_id("resource-result").get_by_role("link").all_inner_texts()


def search(page: Page, words: str) -> None:
    page.get_by_label("Words to search for").fill(words)
    page.get_by_role("button", name="Search", exact=True).click()


def test_a_word_only_in_one_body_is_found_first(page: Page, library: Library) -> None:
    # The word is in that resource's body only, as generated.
    owners = [r.slug for r in library.resources if UNIQUE_WORD in r.text.lower()]
    assert owners == [UNIQUE_SLUG]
    elsewhere = [
        r.slug
        for r in library.resources
        if UNIQUE_WORD in f"{r.meta.title} {r.meta.summary} {r.meta.tags}".lower()
    ]
    assert elsewhere == []

    page.goto("/resources")
    search(page, UNIQUE_WORD)

    expect(page).to_have_url(f"/resources?q={UNIQUE_WORD}&type=&tag=")
    first = page.get_by_test_id("resource-result").first
    expect(first.get_by_role("link")).to_have_text("Resource number 37")
    expect(first.locator("mark")).to_have_text(UNIQUE_WORD)
    expect(page.get_by_test_id("results-counter")).to_have_text("Displaying 1 of 1 result")
    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resource number 37")


def test_stemming_finds_allocation_from_allocate(page: Page, library: Library) -> None:
    page.goto("/resources?q=allocate")

    expect(page.get_by_test_id("results-counter")).to_have_text(
        f"Displaying 1–9 of {library.find('allocate').total} results"
    )
    expect(page.get_by_test_id("snippet").first.locator("mark")).to_have_text("allocated")


def test_page_two_shows_the_right_counter(page: Page) -> None:
    page.goto("/resources")
    expect(page.get_by_test_id("results-counter")).to_have_text("Displaying 1–9 of 52 results")
    expect(page.get_by_test_id("resource-result")).to_have_count(9)

    page.get_by_role("navigation", name="Pagination").get_by_role("link", name="Page 2").click()

    expect(page).to_have_url("/resources?page=2")
    expect(page.get_by_test_id("results-counter")).to_have_text("Displaying 10–18 of 52 results")
    assert results(page) == [f"Resource number {n}" for n in range(42, 33, -1)]
    expect(page.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_test_id("results-counter")).to_have_text("Displaying 19–27 of 52 results")


def test_a_type_filter_and_a_search_combine(page: Page, library: Library) -> None:
    expected = library.find("practices", type_=ResourceType.evidence_brief)
    assert 9 < expected.total < library.find("practices").total

    page.goto("/resources")
    page.get_by_label("Type").select_option(label="Evidence brief")
    search(page, "practices")

    expect(page).to_have_url("/resources?q=practices&type=evidence-brief&tag=")
    expect(page.get_by_test_id("results-counter")).to_have_text(
        f"Displaying 1–9 of {expected.total} results"
    )
    assert results(page) == [h.resource.meta.title for h in expected.hits]
    for tag in page.get_by_test_id("resource-result").locator(".nhsuk-tag").all():
        expect(tag).to_have_text("Evidence brief")
    # The pagination keeps both.
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url("/resources?q=practices&type=evidence-brief&page=2")
    expect(page.get_by_label("Type")).to_have_value("evidence-brief")
    expect(page.get_by_label("Words to search for")).to_have_value("practices")


def test_search_works_without_javascript(nojs_page: Page) -> None:
    nojs_page.goto("/resources")
    nojs_page.get_by_label("Tag").select_option("allocation")
    search(nojs_page, UNIQUE_WORD)

    expect(nojs_page.get_by_test_id("results-counter")).to_have_text("Displaying 1 of 1 result")


@pytest.mark.parametrize("query", ['"', "NEAR(a b)", "allocat*", "x" * 3000, "'; --"])
def test_hostile_searches_show_a_page(page: Page, query: str) -> None:
    page.goto("/resources")
    search(page, query)

    expect(page.get_by_role("heading", level=1)).to_have_text("Library")
    expect(page.get_by_test_id("results-counter")).to_be_visible()


def test_a_hostile_resource_runs_nothing(page: Page) -> None:
    page.goto(f"/resources/{HOSTILE_SLUG}")

    body = page.get_by_test_id("article-body")
    expect(body).to_contain_text("Click me")
    assert body.locator("script").count() == 0
    page.get_by_text("Click me").click()
    page.get_by_text("a javascript link").click()
    expect(page).to_have_url(f"/resources/{HOSTILE_SLUG}")
    assert page.evaluate("() => window.pwned") is None
    attributes = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="article-body"] *'))
            .flatMap(el => Array.from(el.attributes).map(a => a.name + '=' + a.value))"""
    )
    assert not [a for a in attributes if a.startswith("on") or "javascript:" in a.lower()]
