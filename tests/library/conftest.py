"""Fixtures of the library's tests: resource files written into a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def front_matter(**fields: object) -> str:
    """YAML front matter for a valid resource, with ``fields`` replacing or adding fields
    (``None`` removes one)."""
    base: dict[str, object] = {
        "title": "A test resource",
        "slug": "a-test-resource",
        "type": "Blog",
        "published": "2025-01-02",
        "authors": "[Ann Author]",
        "summary": "What the resource is about.",
        "tags": "[funding]",
    }
    base.update(fields)
    lines = [f"{key}: {value}" for key, value in base.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\n"


def write_resource(folder: Path, name: str, body: str = "Some text.\n", **fields: object) -> Path:
    """Write ``folder/name`` (a resource with a valid front matter unless ``fields`` say
    otherwise) and return its path."""
    path = folder / name
    path.write_text(front_matter(**fields) + body, encoding="utf-8")
    return path


#: ``write_resource(folder, name, body="Some text.\n", **fields)``.
WriteResource = Callable[..., Path]


@pytest.fixture
def make_resource() -> WriteResource:
    """``make_resource(folder, name, body, **fields)``: see :func:`write_resource`."""
    return write_resource
