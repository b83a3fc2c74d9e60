"""What a library resource is: its front matter, validated by pydantic, and the loaded resource.

A resource is a Markdown file in ``library/content/`` whose YAML front matter says what it is (see
``docs/library.md``). The model forbids unknown fields, so a misspelt field (``tag:`` for
``tags:``) is an error naming the field instead of a value quietly ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

#: A slug: lower-case words of letters and digits joined by single hyphens.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
#: A practice's ODS code (``A81001``) and an ICB's (``QHM``), upper case as published.
PRACTICE_CODE_PATTERN = r"^[A-Z][0-9A-Z]{5}$"
ICB_CODE_PATTERN = r"^[A-Z0-9]{3}$"
#: Longest title and summary: they are shown in lists and in the page's ``<title>``.
TITLE_MAX = 150
SUMMARY_MAX = 400


class ResourceType(StrEnum):
    """The kinds of resource, as written in front matter and shown on the site."""

    blog = "Blog"
    evidence_brief = "Evidence brief"
    data_analysis = "Data analysis"
    tool = "Tool"

    @property
    def slug(self) -> str:
        """The value used in URLs: ``/resources?type=evidence-brief``."""
        return self.name.replace("_", "-")

    @classmethod
    def from_slug(cls, slug: str) -> ResourceType | None:
        """The type whose URL value is ``slug``, or ``None``."""
        for member in cls:
            if member.slug == slug:
                return member
        return None


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
PracticeCode = Annotated[str, StringConstraints(pattern=PRACTICE_CODE_PATTERN)]
IcbCode = Annotated[str, StringConstraints(pattern=ICB_CODE_PATTERN)]
#: A link to a page: a path on this site (``/data``) or an ``https://`` address.
Href = Annotated[str, StringConstraints(pattern=r"^(/[^\s]*|https://[^\s]+)$")]


class Link(BaseModel):
    """A titled link to a page of the site (an analysis, a tool) or of another site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: NonEmpty
    href: Href


class Related(BaseModel):
    """What a resource points to: other resources, practices, ICBs, analyses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resources: tuple[Slug, ...] = ()
    practices: tuple[PracticeCode, ...] = ()
    icbs: tuple[IcbCode, ...] = ()
    links: tuple[Link, ...] = ()


class FrontMatter(BaseModel):
    """The YAML block at the top of a resource file, between two ``---`` lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)
    ]
    slug: Slug
    type: ResourceType
    published: date
    authors: Annotated[tuple[NonEmpty, ...], Field(min_length=1)]
    summary: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SUMMARY_MAX)
    ]
    tags: tuple[NonEmpty, ...] = ()
    related: Related = Related()

    @field_validator("published", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        # YAML reads 2025-03-14 as a date but 2025-03-14 10:00 as a datetime; a resource is
        # published on a day, and a time would silently be dropped.
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError("must be a date written YYYY-MM-DD")
        if hasattr(value, "hour"):
            raise ValueError("must be a date written YYYY-MM-DD, without a time")
        return value

    @field_validator("tags")
    @classmethod
    def _distinct_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for tag in tags:
            if tag.casefold() in seen:
                raise ValueError(f"tag '{tag}' is listed twice")
            seen.add(tag.casefold())
        return tags


@dataclass(frozen=True)
class Resource:
    """A loaded resource: its front matter, its Markdown body and what it renders to.

    ``html_parts`` is the sanitised article: HTML fragments with the shortcodes between them
    (their figures come from the warehouse when the page is shown). ``text`` is the body as
    plain text, for the search index.
    """

    path: Path
    meta: FrontMatter
    body: str
    html_parts: tuple[str | ShortcodeCall, ...]
    text: str

    @property
    def slug(self) -> str:
        return self.meta.slug

    @property
    def shortcodes(self) -> tuple[ShortcodeCall, ...]:
        return tuple(p for p in self.html_parts if isinstance(p, ShortcodeCall))


@dataclass(frozen=True)
class ShortcodeCall:
    """A shortcode in a resource, ``{{< quintile-table year="latest" >}}``: where, what, with."""

    name: str
    params: tuple[tuple[str, str], ...]
    line: int
    #: Its position among the resource's shortcodes (0, 1, ...): its CSV is ``tables/{n}.csv``.
    index: int

    def param(self, key: str, default: str) -> str:
        return dict(self.params).get(key, default)
