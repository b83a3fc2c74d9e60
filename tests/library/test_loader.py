"""Loading the library: every resource of the project, and a clear error for a bad one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from gpequity.library import (
    DEFAULT_CONTENT_DIR,
    ContentError,
    Library,
    ResourceType,
    load_resources,
)

#: The ``make_resource`` fixture (conftest.py): writes a resource file.
WriteResource = Callable[..., Path]


def test_every_resource_of_the_project_loads() -> None:
    resources = load_resources(DEFAULT_CONTENT_DIR)

    assert len(resources) >= 8
    types = Counter(r.meta.type for r in resources)
    assert set(types) == set(ResourceType), "at least one resource of each type"
    slugs = {r.slug for r in resources}
    assert "how-the-allocation-tool-splits-money" in slugs
    # The data analysis the issue asks for embeds the live quintile table.
    methods = next(r for r in resources if r.slug == "payments-per-weighted-patient-methods")
    assert [s.name for s in methods.shortcodes] == ["quintile-table"]
    for resource in resources:
        assert resource.path.stem == resource.slug, "file named after its slug"
        assert resource.text, resource.path


def test_a_valid_resource_is_read_field_by_field(
    tmp_path: Path, make_resource: WriteResource
) -> None:
    make_resource(
        tmp_path,
        "first.md",
        "## A heading\n\nA paragraph with *emphasis*.\n",
        title="'First: a test'",
        authors="[Ann Author, Bo Builder]",
        tags="[funding, deprivation]",
        related="{links: [{title: Data, href: /data}], practices: [A81001], icbs: [QHM]}",
    )

    [resource] = load_resources(tmp_path)

    meta = resource.meta
    assert meta.title == "First: a test"
    assert meta.type is ResourceType.blog
    assert meta.published.isoformat() == "2025-01-02"
    assert meta.authors == ("Ann Author", "Bo Builder")
    assert meta.tags == ("funding", "deprivation")
    assert meta.related.practices == ("A81001",)
    assert meta.related.links[0].href == "/data"
    assert resource.html_parts == (
        "<h2>A heading</h2>\n<p>A paragraph with <em>emphasis</em>.</p>\n",
    )
    assert resource.text == "A heading A paragraph with emphasis."


def problems_of(tmp_path: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_resources(tmp_path)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("fields", "body", "expected"),
    [
        ({"title": None}, "", "field 'title': is required"),
        ({"type": "Podcast"}, "", "field 'type': Input should be 'Blog', 'Evidence brief'"),
        ({"published": "14 March 2025"}, "", "field 'published': Value error, must be a date"),
        ({"published": "2025-02-30"}, "", "field 'published': Input should be a valid date"),
        ({"published": "2025-03-14 10:00"}, "", "field 'published'"),
        ({"authors": "[]"}, "", "field 'authors': Tuple should have at least 1 item"),
        ({"slug": "Not A Slug"}, "", "field 'slug': String should match pattern"),
        ({"tag": "[funding]"}, "", "field 'tag': is not a field of a resource"),
        ({"tags": "[funding, Funding]"}, "", "field 'tags': Value error, tag 'Funding' is listed"),
        ({"related": "{resources: [no-such-resource]}"}, "", "field 'related.resources[0]'"),
        ({"related": "{icbs: [toolong]}"}, "", "field 'related.icbs[0]'"),
        ({}, "# A second title\n", "line 10: a level-1 heading"),
        ({}, "Text.\n\n{{< quintile-tabel >}}\n", "line 12: unknown shortcode 'quintile-tabel'"),
        ({}, '{{< quintile-table year="2050" >}}\n', "year='2050' must be 'latest' or a financial"),
        ({}, '{{< quintile-table colour="red" >}}\n', "has no parameter 'colour'"),
        ({}, "{{< quintile-table year=latest >}}\n", "a shortcode is written"),
        ({}, "- item\n\n  {{< trend-table >}}\n", "line 12: a shortcode must stand on its own"),
        ({}, "- item\n  {{< trend-table >}}\n", "line 11: a shortcode must stand on its own"),
        ({}, "> {{< trend-table >}}\n", "line 10: a shortcode must stand on its own"),
        ({}, "1. {{< trend-table >}}\n", "line 10: a shortcode must stand on its own"),
        ({}, "    {{< trend-table >}}\n", "line 10: a shortcode must stand on its own"),
    ],
)
def test_a_malformed_resource_is_an_error_naming_file_and_field(
    tmp_path: Path,
    fields: dict[str, object],
    body: str,
    expected: str,
    make_resource: WriteResource,
) -> None:
    path = make_resource(tmp_path, "broken.md", body, **fields)

    problems = problems_of(tmp_path)

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: "), problems
    assert expected in problems[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No front matter here.\n", "front matter: the file must start with a line '---'"),
        ("---\ntitle: x\n", "front matter: no closing '---' line"),
        # The line where the YAML parser gives up (libyaml: the end of the front matter).
        ("---\ntitle: [unclosed\n---\n", "front matter, line 3: the YAML does not parse"),
        ("---\n- a list\n---\n", "front matter: must be YAML fields"),
    ],
)
def test_front_matter_that_cannot_be_read_is_named(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "bad.md").write_text(text, encoding="utf-8")

    [problem] = problems_of(tmp_path)

    assert problem.startswith(f"{tmp_path / 'bad.md'}: {expected}")


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))

    [problem] = problems_of(tmp_path)

    assert problem.startswith(f"{tmp_path / 'latin1.md'}: file: is not UTF-8 text")


def test_every_problem_of_every_file_is_reported_at_once(
    tmp_path: Path, make_resource: WriteResource
) -> None:
    make_resource(tmp_path, "a.md", title=None, type="Podcast")
    make_resource(tmp_path, "b.md", slug="a-test-resource")
    make_resource(tmp_path, "c.md", slug="a-test-resource")

    with pytest.raises(ContentError) as caught:
        load_resources(tmp_path)

    message = str(caught.value)
    assert message.startswith(f"The library in {tmp_path} has 3 problems")
    assert f"{tmp_path / 'a.md'}: field 'title': is required" in message
    assert f"{tmp_path / 'a.md'}: field 'type'" in message
    assert (
        f"{tmp_path / 'c.md'}: field 'slug': 'a-test-resource' is already the slug of "
        f"{tmp_path / 'b.md'}"
    ) in message


def test_a_resource_cannot_be_related_to_itself(
    tmp_path: Path, make_resource: WriteResource
) -> None:
    make_resource(tmp_path, "a.md", related="{resources: [a-test-resource]}")

    [problem] = problems_of(tmp_path)

    assert "a resource cannot be related to itself" in problem


def test_a_missing_folder_that_was_asked_for_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="does not exist"):
        Library.load(tmp_path / "nowhere")


def test_the_app_does_not_start_with_a_malformed_resource(
    tmp_path: Path, make_resource: WriteResource
) -> None:
    from gpequity.web.app import create_app

    make_resource(tmp_path, "broken.md", type="Podcast")

    with pytest.raises(ContentError, match=r"broken\.md: field 'type'"):
        create_app(tmp_path / "missing.duckdb", content_dir=tmp_path)


def test_shortcodes_in_code_examples_are_left_as_text(
    tmp_path: Path, make_resource: WriteResource
) -> None:
    body = "Write:\n\n```\n{{< no-such-shortcode >}}\n```\n"
    make_resource(tmp_path, "a.md", body)

    [resource] = load_resources(tmp_path)

    assert resource.shortcodes == ()
    assert "{{&lt; no-such-shortcode &gt;}}" in resource.html_parts[0]
