"""The practice and ICB directory: a search that understands places, codes and misspelt names.

:func:`search_directory` answers ``/practices?q=`` (and ``GET /api/v1/practices?q=``) from a
:class:`Directory` built once per build of the warehouse (:func:`directory`, kept by
:mod:`gpequity.warehouse.cache`), so a search reads no table: a rebuilt warehouse is a new
version, whose directory is built on its first search.

Each practice is listed as of the latest payments file it is in (a practice that has closed
keeps its last row), in the ICB in force today that holds it (``payments_sql`` with today's map;
the year's own ICB when the ICBs of April 2026 are not loaded).

What a query finds, best first (the rules, also in docs/library.md):

1. a **practice code**, exactly, case aside (``a81001``);
2. a **full postcode**, case and spaces aside (``SW2 1AA``, ``sw21aa``, ``sw2  1aa``);
3. a **postcode sector** (``SW2 1``: the outward code, a space, the inward code's digit) or an
   **outward code**, matched whole (``SW2`` finds SW2 practices, never SW20's);
4. the start of a practice code of at least four characters (``A8100``);
5. a **PCN code** (``U12345``): the network's practices;
6. words of a **practice name**: every word of the query must be a word of the name, the start
   of one, or (words of four letters or more) one with a slip of spelling: one letter wrong,
   missing, added or two swapped (two slips in words of eight letters or more). A word with a
   digit in it must be whole and right. Exact words rank above starts of words, above
   misspellings;
7. words of a **PCN name**, by the same rules: the network's practices.

ICBs are found by code (today's ``QWE`` or ``D7T5G``; an abolished code lists the ICB(s) it
became part of) or by the words of their name, by the same rules as practice names.

At most :data:`SEARCH_LIMIT` practices are listed, with the number found. An empty query or one
over :data:`MAX_QUERY_CHARS` characters finds nothing and says why (:class:`QueryProblem`).
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum

import duckdb

from gpequity.analysis.icb import Icb, icbs_in_year
from gpequity.analysis.payments import latest_year
from gpequity.tables import has_table
from gpequity.warehouse.cache import per_version
from gpequity.warehouse.icbs import IcbMap, has_current_membership, payments_sql

#: Practices listed at most (the page says how many matched).
SEARCH_LIMIT = 50
#: The longest query searched (a longer one is refused with a message, not cut).
MAX_QUERY_CHARS = 100
#: The shortest word that may be misspelt (shorter ones must match, or start a word).
TYPO_MIN_CHARS = 4
#: Words this long may have two slips of spelling.
TWO_TYPOS_MIN_CHARS = 8

#: A UK postcode's two halves, spaces removed: outward (area, district) and inward code.
FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
#: An outward code alone: ``SW2``, ``SW1A``, ``M1``, ``EC2V``.
OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
#: A postcode sector: the outward code, spaces, and the inward code's first digit.
SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) +([0-9])$")
#: The start of a practice code long enough to be no outward code (a letter and 3-4 digits).
CODE_PREFIX = re.compile(r"^[A-Z][0-9]{3,4}$")
#: A word of a name: letters and digits (an apostrophe inside a word is dropped: ST JOHN'S).
WORD = re.compile(r"[A-Z0-9]+")


class MatchedOn(StrEnum):
    """How a practice matched the query (its rank: the order of the members)."""

    code = "code"
    postcode = "postcode"
    sector = "postcode sector"
    outward = "outward code"
    code_start = "start of code"
    pcn_code = "PCN code"
    name = "name"
    name_spelling = "name (spelling)"
    pcn_name = "PCN name"


#: The members in rank order (best first).
RANK = {m: i for i, m in enumerate(MatchedOn)}


class Cost(IntEnum):
    """How well a query word matched a word (summed over the query's words)."""

    exact = 0
    start = 1
    #: Per slip of spelling.
    typo = 3


@dataclass(frozen=True)
class PracticeMatch:
    """A practice found: who and where it is, and how it matched."""

    code: str
    name: str
    postcode: str | None
    #: The ICB in force today that holds the practice (the year's own without the 2026 ICBs).
    icb_code: str
    icb_name: str
    pcn_code: str | None
    pcn_name: str | None
    #: The latest payments file the practice is in.
    year: str
    matched_on: MatchedOn


class QueryProblem(StrEnum):
    """Why a query was not searched."""

    empty = "empty"
    too_long = "too_long"


@dataclass(frozen=True)
class DirectoryResults:
    """What a search of practices and ICBs found (at most ``limit`` practices)."""

    query: str
    practices: tuple[PracticeMatch, ...]
    practices_found: int
    #: Today's ICBs (the latest payments year's, grouped by today's map) that match.
    icbs: tuple[Icb, ...]
    #: Why the query was not searched (``None``: it was).
    problem: QueryProblem | None = None


# --- normalising ------------------------------------------------------------------------------


def clean_query(query: str) -> str:
    """The query as searched: compatibility characters folded (NFKC), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", query).split())


def normalise_postcode(text: str) -> str | None:
    """A full postcode written any way (``sw21aa``, `` SW2  1AA``) as ``SW2 1AA``; ``None`` for
    anything that is not one."""
    compact = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    found = FULL_POSTCODE.match(compact)
    return None if found is None else f"{found[1]} {found[2]}"


def words_of(text: str) -> tuple[str, ...]:
    """The words of a name or query, upper case (apostrophes dropped, other marks split)."""
    folded = unicodedata.normalize("NFKC", text).upper().replace("'", "").replace("’", "")
    return tuple(WORD.findall(folded))


def spelling_distance(a: str, b: str) -> int:
    """The optimal string alignment (Damerau-Levenshtein) distance: letters replaced, missing,
    added, or two neighbours swapped."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def slips_allowed(word: str) -> int:
    """How many slips of spelling a query word of this length may have."""
    if len(word) >= TWO_TYPOS_MIN_CHARS:
        return 2
    return 1 if len(word) >= TYPO_MIN_CHARS else 0


def _deletes(word: str, depth: int) -> set[str]:
    """``word`` with up to ``depth`` letters taken out (itself included)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


# --- the index --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WordIndex:
    """Names' words, each to the keys (practices, PCNs, ICBs) whose name has it, with a
    symmetric-delete index so that a misspelt word finds its neighbours without comparing it
    with every word."""

    keys_of: Mapping[str, Collection[str]]
    #: Every word, sorted (the words a query word starts are a slice of it).
    sorted_words: tuple[str, ...]
    #: A word with up to two letters taken out -> the words it came from.
    near: Mapping[str, Sequence[str]]

    @classmethod
    def of(cls, names: Iterable[tuple[str, str]]) -> WordIndex:
        """The index of ``(key, name)`` pairs."""
        keys_of: dict[str, set[str]] = {}
        for key, name in names:
            for word in words_of(name):
                keys_of.setdefault(word, set()).add(key)
        near: dict[str, list[str]] = {}
        for word in keys_of:
            # A query word of n letters may have up to slips_allowed(n) slips, and differ from
            # the word by that many letters: a word of 6+ letters may meet an 8-letter query.
            depth = 2 if len(word) >= TWO_TYPOS_MIN_CHARS - 2 else 1
            if len(word) < TYPO_MIN_CHARS - 1:
                continue
            for deleted in _deletes(word, depth):
                near.setdefault(deleted, []).append(word)
        # Tuples of strings: the garbage collector stops looking into them (a quarter of a
        # million lists would be walked at every full collection of a server's process).
        return cls(
            keys_of={w: tuple(k) for w, k in keys_of.items()},
            sorted_words=tuple(sorted(keys_of)),
            near={d: tuple(ws) for d, ws in near.items()},
        )

    def words_like(self, query_word: str) -> dict[str, int]:
        """The words ``query_word`` matches, each with its :class:`Cost`: itself, the words it
        starts, and those within its slips of spelling. A word with a digit (``SW2``, ``3D``)
        matches only itself: ``SW2`` is no start of ``SW20``, nor a slip of it."""
        if any(c.isdigit() for c in query_word):
            return {query_word: Cost.exact} if query_word in self.keys_of else {}
        found: dict[str, int] = {}
        start = bisect.bisect_left(self.sorted_words, query_word)
        for word in itertools.islice(self.sorted_words, start, None):
            if not word.startswith(query_word):
                break
            found[word] = Cost.exact if word == query_word else Cost.start
        slips = slips_allowed(query_word)
        if slips:
            candidates = {w for d in _deletes(query_word, slips) for w in self.near.get(d, ())}
            for word in candidates - found.keys():
                distance = spelling_distance(query_word, word)
                if distance <= slips:
                    found[word] = Cost.typo * distance
        return found

    def search(self, query_words: tuple[str, ...]) -> dict[str, int]:
        """The keys whose name matches every query word, each with its summed cost (each query
        word at its best word of the name)."""
        if not query_words:
            return {}
        total: dict[str, int] | None = None
        for query_word in query_words:
            best: dict[str, int] = {}
            for word, cost in self.words_like(query_word).items():
                for key in self.keys_of[word]:
                    if total is not None and key not in total:
                        continue
                    if cost < best.get(key, cost + 1):
                        best[key] = cost
            total = (
                best if total is None else {k: total[k] + c for k, c in best.items() if k in total}
            )
            if not total:
                return {}
        return total or {}


@dataclass(frozen=True)
class Entry:
    """A practice as the directory lists it."""

    match: PracticeMatch
    #: The postcode as ``SW2 1AA`` (``None`` when the file's is missing or no postcode).
    postcode: str | None
    outward: str | None
    sector: str | None


@dataclass(frozen=True)
class Directory:
    """Every practice and today's ICBs, indexed for :func:`search_directory`."""

    practices: Mapping[str, Entry]
    by_postcode: Mapping[str, tuple[str, ...]]
    by_sector: Mapping[str, tuple[str, ...]]
    by_outward: Mapping[str, tuple[str, ...]]
    by_pcn: Mapping[str, tuple[str, ...]]
    names: WordIndex
    pcn_names: WordIndex
    icbs: Mapping[str, Icb]
    icb_names: WordIndex
    #: Every practice code, sorted (the codes a query starts are a slice of it).
    sorted_codes: tuple[str, ...]
    #: The code of each ICB abolished on 1 April 2026 -> today's ICB(s) it became part of.
    successors: Mapping[str, tuple[str, ...]]


def _group(pairs: Iterable[tuple[str | None, str]]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for key, code in pairs:
        if key is not None:
            grouped.setdefault(key, []).append(code)
    return {k: tuple(v) for k, v in grouped.items()}


def _entry(row: tuple[object, ...]) -> Entry:
    code, name, postcode, icb_code, icb_name, pcn_code, pcn_name, year = (
        None if v is None else str(v) for v in row
    )
    assert code is not None and icb_code is not None and year is not None
    normal = None if postcode is None else normalise_postcode(postcode)
    outward = None if normal is None else normal.split()[0]
    return Entry(
        match=PracticeMatch(
            code=code,
            name=name or code,
            postcode=normal or (" ".join(postcode.split()) if postcode else None),
            icb_code=icb_code,
            icb_name=icb_name or icb_code,
            pcn_code=pcn_code,
            pcn_name=pcn_name,
            year=year,
            matched_on=MatchedOn.name,
        ),
        postcode=normal,
        outward=outward,
        sector=None if normal is None else normal[:-2],
    )


@per_version
def directory(con: duckdb.DuckDBPyConnection) -> Directory | None:
    """The directory of the warehouse's practices and ICBs, built once per build of the
    warehouse; ``None`` when it has no payments."""
    if not has_table(con, "payments"):
        return None
    rows = con.execute(
        f"""
        SELECT practice_code, practice_name, postcode, icb_code, icb_name, pcn_code, pcn_name,
               year
        FROM {payments_sql(con, IcbMap.current)} p
        QUALIFY row_number() OVER (PARTITION BY practice_code ORDER BY year DESC) = 1
        """
    ).fetchall()
    entries = {e.match.code: e for e in map(_entry, rows)}
    pcns = {e.match.pcn_code: e.match.pcn_name or "" for e in entries.values() if e.match.pcn_code}
    icbs = {i.code: i for i in icbs_in_year(con, latest_year(con), IcbMap.current)}
    successors: dict[str, tuple[str, ...]] = {}
    if has_current_membership(con) and has_table(con, "organisation_successors"):
        # As superseded() answers for each code, for every abolished code at once.
        rows = con.execute(
            """
            SELECT s.code, list(DISTINCT o.code ORDER BY o.code)
            FROM organisation_successors s
            JOIN organisations o ON o.code = s.successor_code AND o.kind = 'icb'
                AND o.valid_to IS NULL
            WHERE s.code NOT IN (SELECT code FROM organisations
                                 WHERE kind = 'icb' AND valid_to IS NULL)
            GROUP BY s.code
            """
        ).fetchall()
        successors = {str(code): tuple(str(c) for c in codes) for code, codes in rows}
    return Directory(
        practices=entries,
        by_postcode=_group((e.postcode, c) for c, e in entries.items()),
        by_sector=_group((e.sector, c) for c, e in entries.items()),
        by_outward=_group((e.outward, c) for c, e in entries.items()),
        by_pcn=_group((e.match.pcn_code, c) for c, e in entries.items()),
        names=WordIndex.of((c, e.match.name) for c, e in entries.items()),
        pcn_names=WordIndex.of(pcns.items()),
        icbs=icbs,
        icb_names=WordIndex.of((c, i.name) for c, i in icbs.items()),
        sorted_codes=tuple(sorted(entries)),
        successors=successors,
    )


# --- searching --------------------------------------------------------------------------------


def _practice_matches(found: Directory, text: str) -> dict[str, tuple[int, int]]:
    """Each practice the query finds, with its (rank, cost): the best of the ways it matched."""
    upper = text.upper()
    compact = "".join(upper.split())
    best: dict[str, tuple[int, int]] = {}

    def add(codes: Iterable[str], how: MatchedOn, cost: int = 0) -> None:
        for code in codes:
            score = (RANK[how], cost)
            if score < best.get(code, (len(RANK), 0)):
                best[code] = score

    if compact in found.practices:
        add([compact], MatchedOn.code)
    postcode = normalise_postcode(compact)
    if postcode is not None:
        add(found.by_postcode.get(postcode, ()), MatchedOn.postcode)
    sector = SECTOR.match(upper)
    if sector is not None:
        add(found.by_sector.get(f"{sector[1]} {sector[2]}", ()), MatchedOn.sector)
    if OUTWARD.match(upper):
        add(found.by_outward.get(upper, ()), MatchedOn.outward)
    if CODE_PREFIX.match(compact):
        start = bisect.bisect_left(found.sorted_codes, compact)
        codes = []
        for code in itertools.islice(found.sorted_codes, start, None):
            if not code.startswith(compact):
                break
            codes.append(code)
        add(codes, MatchedOn.code_start)
    add(found.by_pcn.get(compact, ()), MatchedOn.pcn_code)
    words = words_of(text)
    for code, cost in found.names.search(words).items():
        exact_words = cost < Cost.typo
        add([code], MatchedOn.name if exact_words else MatchedOn.name_spelling, cost)
    for pcn, cost in found.pcn_names.search(words).items():
        add(found.by_pcn.get(pcn, ()), MatchedOn.pcn_name, cost)
    return best


def _icb_matches(found: Directory, text: str) -> tuple[Icb, ...]:
    compact = "".join(text.upper().split())
    codes: dict[str, int] = {}
    # Today's ICB of that code, or those an abolished one became part of; then names.
    for code in (compact, *found.successors.get(compact, ())):
        if code in found.icbs:
            codes[code] = -1
    for code, cost in found.icb_names.search(words_of(text)).items():
        codes.setdefault(code, cost)
    ordered = sorted(codes, key=lambda c: (codes[c], found.icbs[c].name, c))
    return tuple(found.icbs[c] for c in ordered)


def search_directory(
    con: duckdb.DuckDBPyConnection, query: str, limit: int = SEARCH_LIMIT
) -> DirectoryResults:
    """The practices and ICBs ``query`` finds (the rules are the module's), best first: by how
    they matched, then how well (exact words before starts before misspellings), then name."""
    text = clean_query(query)
    problem = (
        QueryProblem.empty
        if not text
        else QueryProblem.too_long
        if len(text) > MAX_QUERY_CHARS
        else None
    )
    found = None if problem is not None else directory(con)
    if found is None:
        return DirectoryResults(text, (), 0, (), problem)
    best = _practice_matches(found, text)
    order = sorted(best, key=lambda c: (best[c], found.practices[c].match.name.upper(), c))
    ranks = list(MatchedOn)
    practices = tuple(
        replace(found.practices[c].match, matched_on=ranks[best[c][0]]) for c in order[:limit]
    )
    return DirectoryResults(text, practices, len(order), _icb_matches(found, text))
