"""Searching the library: stemming, ranking, snippets, filters, pages, and hostile input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from gpequity.library import Library, ResourceType, load_resources
from gpequity.library.search import MAX_TERMS, match_expression, search_terms

#: The ``make_resource`` fixture (conftest.py): writes a resource file.
WriteResource = Callable[..., Path]


@pytest.fixture
def library(tmp_path: Path, make_resource: WriteResource) -> Library:
    make_resource(
        tmp_path,
        "allocation.md",
        "How the tool splits money between practices fairly.\n",
        slug="allocation",
        title="Allocation methods",
        type="Tool",
        published="2025-03-01",
        tags="[allocation, methods]",
    )
    make_resource(
        tmp_path,
        "body.md",
        "Commissioners allocate a budget; a zebra appears only here.\n",
        slug="body",
        title="A commissioner's diary",
        published="2025-02-01",
        authors="[Priya Patel]",
        tags="[diary]",
    )
    make_resource(
        tmp_path,
        "brief.md",
        "Deprivation and funding.\n",
        slug="brief",
        title="What works",
        type="Evidence brief",
        published="2025-01-01",
        summary="Equitable funding, briefly.",
        tags="[evidence, inverse care law]",
    )
    return Library(load_resources(tmp_path))


def slugs(library: Library, query: str = "", **filters: object) -> list[str]:
    return [h.resource.slug for h in library.find(query, **filters).hits]  # type: ignore[arg-type]


def test_without_a_query_the_newest_come_first(library: Library) -> None:
    assert slugs(library) == ["allocation", "body", "brief"]


def test_stemming_finds_other_forms_of_a_word(library: Library) -> None:
    # "allocate" and "allocation" share the Porter stem "alloc".
    assert set(slugs(library, "allocate")) == {"allocation", "body"}
    assert slugs(library, "commissioners") == ["body"]
    assert slugs(library, "funded") == ["brief"]


def test_a_title_match_ranks_above_a_body_match(library: Library) -> None:
    assert slugs(library, "allocation") == ["allocation", "body"]


def test_every_word_must_match(library: Library) -> None:
    assert slugs(library, "allocate zebra") == ["body"]


def test_authors_and_tags_are_searched(library: Library) -> None:
    assert slugs(library, "patel") == ["body"]
    assert slugs(library, "inverse care") == ["brief"]


def test_a_snippet_marks_the_matched_words(library: Library) -> None:
    [hit] = library.find("zebra").hits

    assert hit.snippet is not None
    assert [p.text for p in hit.snippet if p.hit] == ["zebra"]
    assert "".join(p.text for p in hit.snippet) == (
        "Commissioners allocate a budget; a zebra appears only here."
    )


def test_filters_combine_with_the_query(library: Library) -> None:
    assert slugs(library, "allocate", type_=ResourceType.tool) == ["allocation"]
    assert slugs(library, type_=ResourceType.evidence_brief) == ["brief"]
    assert slugs(library, tag="Diary") == ["body"]
    assert slugs(library, "allocate", tag="evidence") == []


HOSTILE_QUERIES = [
    '"',
    '""',
    "'",
    'a"b',
    "*",
    "allocat*",
    "^allocation",
    "title:allocation",
    "allocation OR zebra",
    "NOT zebra",
    "AND",
    "NEAR(allocation zebra, 2)",
    "(",
    ")",
    "{title summary}: x",
    "-zebra",
    "+zebra",
    "allocation\x00zebra",
    "%",
    "\\",
    ";DROP TABLE docs;--",
    "🙂",
    "ａｌｌｏｃａｔｅ",
    "x" * 100_000,
    "zebra " * 5_000,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_give_results_or_none_never_an_error(library: Library, query: str) -> None:
    page = library.find(query)

    assert page.total == len(page.hits) or page.total > len(page.hits)
    assert len(page.terms) <= MAX_TERMS


def test_fts_operators_are_read_as_plain_words(library: Library) -> None:
    # "OR" would widen the search if it reached FTS5 as an operator.
    assert slugs(library, "allocation OR zebra") == []
    assert slugs(library, "zebra NOT") == []
    assert match_expression(search_terms('NEAR("a" b)')) == '"near" "a" "b"'


def test_punctuation_alone_finds_nothing(library: Library) -> None:
    page = library.find('"*()')

    assert page.total == 0 and page.terms == ()


def test_pages_of_nine_and_their_positions(tmp_path: Path, make_resource: WriteResource) -> None:
    start = date(2025, 1, 1)
    for n in range(52):
        day = (start + timedelta(days=n)).isoformat()
        make_resource(tmp_path, f"r{n:02d}.md", slug=f"r{n:02d}", published=day)
    library = Library(load_resources(tmp_path))

    page = library.find(page=4)

    assert (page.first, page.last, page.total, page.pages) == (28, 36, 52, 6)
    assert page.hits[0].resource.slug == "r24"  # newest first: r51 is first
    last = library.find(page=6)
    assert (last.first, last.last) == (46, 52)
    beyond = library.find(page=7)
    assert beyond.hits == () and (beyond.first, beyond.last) == (0, 0)


def test_related_resources_are_the_authors_choice_then_shared_tags(
    tmp_path: Path, make_resource: WriteResource
) -> None:
    make_resource(tmp_path, "a.md", slug="a", tags="[x, y]", related="{resources: [c]}")
    make_resource(tmp_path, "b.md", slug="b", tags="[x, y]", published="2025-01-05")
    make_resource(tmp_path, "c.md", slug="c", tags="[z]")
    make_resource(tmp_path, "d.md", slug="d", tags="[x]", published="2025-01-09")
    make_resource(tmp_path, "e.md", slug="e", tags="[q]")
    library = Library(load_resources(tmp_path))
    resource = library.get("a")
    assert resource is not None

    assert [r.slug for r in library.related(resource)] == ["c", "b", "d"]
