"""The library as the site uses it: every resource, newest first, filtered, searched, paged."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gpequity.library.loader import content_dir, load_resources
from gpequity.library.model import Resource, ResourceType
from gpequity.library.search import IndexedText, SearchIndex, SnippetPart, search_terms

#: Resources on a page of ``/resources``.
PER_PAGE = 9
#: Related resources shown under an article (the author's own choices first).
RELATED_SHOWN = 3


@dataclass(frozen=True)
class Hit:
    """A resource in a list of results, with its matching snippet when searched for."""

    resource: Resource
    snippet: tuple[SnippetPart, ...] | None


@dataclass(frozen=True)
class ResultPage:
    """One page of a listing: its resources, and where it is in the whole.

    ``first`` and ``last`` are the 1-based positions of the page's first and last result
    (``10`` and ``18`` of ``52``); both 0 when there is none.
    """

    hits: tuple[Hit, ...]
    total: int
    page: int
    pages: int
    per_page: int
    terms: tuple[str, ...]

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last(self) -> int:
        return self.first + len(self.hits) - 1 if self.hits else 0


@dataclass(frozen=True)
class TagCount:
    tag: str
    resources: int


class Library:
    """Every resource of the content folder, with its search index."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        # Newest first; resources of the same day by title, so the order is stable.
        self.resources: tuple[Resource, ...] = tuple(
            sorted(resources, key=lambda r: (-r.meta.published.toordinal(), r.meta.title))
        )
        self._by_slug = {r.slug: r for r in self.resources}
        self._position = {r.slug: i for i, r in enumerate(self.resources)}
        self._tags = self._count_tags(self.resources)
        self.index = SearchIndex(
            [
                IndexedText(
                    title=r.meta.title,
                    summary=r.meta.summary,
                    body=r.text,
                    authors=" ".join(r.meta.authors),
                    tags=" ".join(r.meta.tags),
                )
                for r in self.resources
            ]
        )

    @classmethod
    def load(cls, folder: Path | None = None) -> Library:
        """Load the content folder (default :func:`~gpequity.library.loader.content_dir`).

        The default folder is package data, so every installation has it: a missing folder is
        an error naming it, never a silently empty library.
        """
        return cls(load_resources(content_dir(folder)))

    def get(self, slug: str) -> Resource | None:
        return self._by_slug.get(slug)

    def tags(self) -> list[TagCount]:
        """Every tag used, with its number of resources, alphabetically (case aside)."""
        return list(self._tags)

    @staticmethod
    def _count_tags(resources: Sequence[Resource]) -> tuple[TagCount, ...]:
        counts: Counter[str] = Counter()
        spelling: dict[str, str] = {}
        for resource in resources:
            for tag in resource.meta.tags:
                spelling.setdefault(tag.casefold(), tag)
                counts[tag.casefold()] += 1
        return tuple(TagCount(spelling[key], counts[key]) for key in sorted(counts))

    def types(self) -> list[ResourceType]:
        """The resource types, in their fixed order."""
        return list(ResourceType)

    def find(
        self,
        query: str = "",
        *,
        type_: ResourceType | None = None,
        tag: str | None = None,
        page: int = 1,
        per_page: int = PER_PAGE,
    ) -> ResultPage:
        """One page of the resources matching ``query`` (ranked), of a type, with a tag.

        Without a query, newest first. ``page`` counts from 1; a page past the last is empty.
        """
        terms = tuple(search_terms(query))
        if terms:
            positions = self.index.ranked(terms)
        elif query.strip():
            positions = []  # only punctuation: nothing to look for, so nothing found
        else:
            positions = list(range(len(self.resources)))
        wanted_tag = tag.casefold() if tag else None
        matching = [
            p
            for p in positions
            if (type_ is None or self.resources[p].meta.type is type_)
            and (
                wanted_tag is None
                or any(t.casefold() == wanted_tag for t in self.resources[p].meta.tags)
            )
        ]
        page = max(page, 1)
        shown = matching[(page - 1) * per_page : page * per_page]
        snippets = self.index.snippets(terms, shown) if terms else {}
        return ResultPage(
            hits=tuple(Hit(self.resources[p], snippets.get(p)) for p in shown),
            total=len(matching),
            page=page,
            pages=max(math.ceil(len(matching) / per_page), 1),
            per_page=per_page,
            terms=terms,
        )

    def related(self, resource: Resource, limit: int = RELATED_SHOWN) -> list[Resource]:
        """The resources to read next: the author's choices, then those sharing most tags."""
        chosen = [self._by_slug[s] for s in resource.meta.related.resources if s in self._by_slug]
        if len(chosen) >= limit:
            return chosen[:limit]
        tags = {t.casefold() for t in resource.meta.tags}
        scored = []
        for other in self.resources:
            if other.slug == resource.slug or other in chosen:
                continue
            shared = len(tags & {t.casefold() for t in other.meta.tags})
            if shared:
                scored.append((-shared, self._position[other.slug], other))
        scored.sort(key=lambda s: (s[0], s[1]))
        return chosen + [s[2] for s in scored[: limit - len(chosen)]]
