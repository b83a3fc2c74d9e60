"""Full-text search of the library: an in-memory SQLite FTS5 index, built at start-up.

Title, summary, body, authors and tags are indexed with the Porter stemmer (so "allocate"
finds "allocation" and "practices" finds "practice") and ranked by BM25, a title match
counting most. Results come with a snippet of the best-matching text, its matched words marked.

**User input never reaches FTS5 as syntax.** FTS5 has its own query language (``AND``, ``OR``,
``NOT``, ``NEAR``, ``*``, ``^``, ``:``, quotes, brackets), and a stray quote in it is an error.
A query is therefore cut to :data:`MAX_QUERY_CHARS`, split into words (letters and digits),
at most :data:`MAX_TERMS` of them, and each word is sent as a quoted string: ``"nhs" "or"``
means the two words, nothing else. Whatever the user types, the result is results or none.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass

#: Longer input is cut: nobody searches with a paragraph, and it bounds the work.
MAX_QUERY_CHARS = 200
#: At most this many words of a query are searched for (all must match).
MAX_TERMS = 12
#: Words around a match in a snippet.
SNIPPET_TOKENS = 24
#: Column weights for BM25, in the order of the columns: a title match counts most.
COLUMNS = ("title", "summary", "body", "authors", "tags")
WEIGHTS = (10.0, 5.0, 1.0, 3.0, 4.0)
#: Marks around a matched word in a snippet. Control characters, which the loader removes
#: from every text, so they cannot come from a resource.
HIT_START = "\x02"
HIT_END = "\x03"
ELLIPSIS = "…"
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class IndexedText:
    """What is indexed of one resource."""

    title: str
    summary: str
    body: str
    authors: str
    tags: str


@dataclass(frozen=True)
class SnippetPart:
    """A piece of a snippet: its text, and whether it is a matched word."""

    text: str
    hit: bool


def search_terms(query: str) -> list[str]:
    """The words searched for in ``query``: letters and digits only, at most :data:`MAX_TERMS`."""
    return WORD.findall(query[:MAX_QUERY_CHARS].casefold())[:MAX_TERMS]


def match_expression(terms: Sequence[str]) -> str:
    """The FTS5 query for ``terms``: each a quoted string, all required.

    The terms come from :func:`search_terms`, so they hold no double quote; each is quoted
    anyway, so that FTS5 keywords (``OR``, ``NEAR``) and operators are read as plain words.
    """
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def parse_snippet(text: str) -> tuple[SnippetPart, ...]:
    """Split a snippet marked with :data:`HIT_START`/:data:`HIT_END` into its parts."""
    parts: list[SnippetPart] = []
    for i, piece in enumerate(re.split(f"[{HIT_START}{HIT_END}]", text)):
        if piece:
            parts.append(SnippetPart(piece, hit=i % 2 == 1))
    return tuple(parts)


class SearchIndex:
    """An FTS5 index of texts, each known by its position in the list it was built from.

    One in-memory SQLite connection, used by one thread at a time (the web app serves
    requests from a thread pool); a search takes well under a millisecond on the project's
    library and a few on thousands of resources.
    """

    def __init__(self, texts: Sequence[IndexedText]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        columns = ", ".join(COLUMNS)
        self._db.execute(
            f"CREATE VIRTUAL TABLE docs USING fts5({columns}, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        self._db.executemany(
            f"INSERT INTO docs (rowid, {columns}) VALUES (?, ?, ?, ?, ?, ?)",
            [(i, t.title, t.summary, t.body, t.authors, t.tags) for i, t in enumerate(texts)],
        )
        self._db.commit()
        self._weights = ", ".join(str(w) for w in WEIGHTS)

    def ranked(self, terms: Sequence[str]) -> list[int]:
        """Positions of the texts holding every term, best match first (BM25)."""
        if not terms:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT rowid FROM docs WHERE docs MATCH ? "
                f"ORDER BY bm25(docs, {self._weights}), rowid",
                [match_expression(terms)],
            ).fetchall()
        return [int(r[0]) for r in rows]

    def snippets(
        self, terms: Sequence[str], positions: Sequence[int]
    ) -> dict[int, tuple[SnippetPart, ...]]:
        """The best-matching snippet of each text at ``positions`` (found by ``terms``)."""
        if not terms or not positions:
            return {}
        marks = ", ".join("?" for _ in positions)
        with self._lock:
            rows = self._db.execute(
                f"SELECT rowid, snippet(docs, -1, ?, ?, ?, ?) FROM docs "
                f"WHERE docs MATCH ? AND rowid IN ({marks})",
                [HIT_START, HIT_END, ELLIPSIS, SNIPPET_TOKENS, match_expression(terms), *positions],
            ).fetchall()
        return {int(rowid): parse_snippet(str(text)) for rowid, text in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()
