"""The resource library: Markdown articles with front matter, rendered safely and searchable.

* :mod:`~gpequity.library.model`: what a resource is (front matter validated by pydantic);
* :mod:`~gpequity.library.loader`: reading ``library/content/`` (package data), with errors naming
  file and field;
* :mod:`~gpequity.library.markdown`: Markdown to sanitised HTML (markdown-it-py, nh3);
* :mod:`~gpequity.library.shortcodes`: live warehouse figures inside a resource;
* :mod:`~gpequity.library.search`: the in-memory SQLite FTS5 index;
* :mod:`~gpequity.library.store`: :class:`Library`, what the web app asks.

How to write a resource: ``docs/library.md``.
"""

from __future__ import annotations

from gpequity.library.loader import (
    DEFAULT_CONTENT_DIR,
    ContentError,
    ResourceProblem,
    content_dir,
    load_resource,
    load_resources,
)
from gpequity.library.model import FrontMatter, Resource, ResourceType, ShortcodeCall
from gpequity.library.search import SnippetPart
from gpequity.library.store import PER_PAGE, Hit, Library, ResultPage, TagCount

__all__ = [
    "DEFAULT_CONTENT_DIR",
    "PER_PAGE",
    "ContentError",
    "FrontMatter",
    "Hit",
    "Library",
    "Resource",
    "ResourceProblem",
    "ResourceType",
    "ResultPage",
    "ShortcodeCall",
    "SnippetPart",
    "TagCount",
    "content_dir",
    "load_resource",
    "load_resources",
]
