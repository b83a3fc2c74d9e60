"""Benchmark: library search over 5,000 resources, and page latency under 20 concurrent clients.

Issue 5 asks for two measurements, each reported next to an in-run reference:

1. **Search latency** over ``--resources`` (5,000) generated resources: the library's ranked
   search (quoting the words, BM25, filters, the page's snippets), next to a bare FTS5
   ``MATCH`` count on the same index. Loading and indexing the resources is timed too.
2. **Page latency** under ``--clients`` (20) concurrent clients on 127.0.0.1: p50 and p99 of
   ``/resources?q=...`` (on the same 5,000 resources) and of a practice profile, next to a
   static file (``/static/css/library.css``) served by the same server in the same run. The
   server is ``uvicorn`` in a subprocess (one worker), on a demo warehouse of ``--practices``
   practices; each kind of request is sent ``--requests`` times (a bounded count).

Nothing here is a pass/fail test: it prints the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx

from gpequity.library import Library, ResourceType
from gpequity.library.search import match_expression, search_terms

#: Words every resource draws on most (the domain's own), then a long tail of made-up words
#: drawn with Zipf's law, as in real text: a few words everywhere, most words rare.
COMMON = [
    "funding",
    "practice",
    "patients",
    "deprivation",
    "allocation",
    "weighted",
    "payments",
    "quintile",
    "evidence",
    "general",
    "commissioners",
    "board",
    "primary",
    "care",
    "network",
    "dispensing",
    "rural",
    "urban",
    "formula",
]
TAIL_WORDS = 4000
SYLLABLES = ["ka", "lo", "mi", "ter", "ven", "dra", "sul", "pe", "nor", "bix", "qua", "zen"]
RARE = ["quokka", "zeppelin", "marmalade", "tamarind", "obsidian", "saxophone"]
QUERIES = [
    "allocate",
    "deprivation funding",
    "weighted patients quintile",
    "dispensing rural",
    "quokka",
    "zeppelin marmalade",
    "kalo",
    "mitervendra",
]
TYPES = list(ResourceType)
STATIC_PATH = "/static/css/library.css"
SERVER_START_SECONDS = 120.0


def tail_vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = {"kalo", "mitervendra"}
    while len(words) < TAIL_WORDS:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def write_resources(folder: Path, count: int, seed: int) -> None:
    """``count`` resources of 300-800 words each, with a few rare words sprinkled in."""
    rng = random.Random(seed)
    tail = tail_vocabulary(rng)
    # Zipf's law: the k-th most frequent word is used about 1/k as often as the first.
    weights = [1 / (k + 1) for k in range(len(tail))]
    start = date(2015, 1, 1)
    for n in range(count):
        size = rng.randint(300, 800)
        words = rng.choices(tail, weights=weights, k=size)
        for _ in range(size // 10):
            words[rng.randrange(size)] = rng.choice(COMMON)
        if rng.random() < 0.02:
            words.insert(rng.randrange(len(words)), rng.choice(RARE))
        paragraphs = [
            " ".join(words[i : i + 60]).capitalize() + "." for i in range(0, len(words), 60)
        ]
        (folder / f"r{n:05d}.md").write_text(
            "---\n"
            f"title: {' '.join(rng.choices(tail, weights=weights, k=5)).capitalize()} {n}\n"
            f"slug: r{n:05d}\n"
            f"type: {TYPES[n % len(TYPES)].value}\n"
            f"published: {(start + timedelta(days=n % 3650)).isoformat()}\n"
            "authors: [Benchmark Author]\n"
            f"summary: {' '.join(rng.choices(COMMON + tail[:50], k=20))}.\n"
            f"tags: [{rng.choice(COMMON)}, {rng.choice(tail[:30])}]\n"
            "---\n" + "\n\n## Section\n\n".join(paragraphs) + "\n",
            encoding="utf-8",
        )


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def describe(name: str, times: Sequence[float], reference: float | None = None) -> None:
    p50, p99 = percentile(times, 0.50), percentile(times, 0.99)
    ratio = f"   {p50 / reference:6.1f}x the reference p50" if reference else ""
    print(f"  {name:<46} p50 {p50 * 1000:8.2f} ms   p99 {p99 * 1000:8.2f} ms{ratio}")


def bench_search(library: Library, runs: int) -> None:
    """Ranked, filtered, snippeted search vs a bare FTS5 MATCH count, per query."""
    raw: list[float] = []
    raw_ranked: list[float] = []
    ranked: list[float] = []
    filtered: list[float] = []
    db = library.index._db  # the same index, queried directly, as the reference
    for _ in range(runs):
        for query in QUERIES:
            expression = match_expression(search_terms(query))
            start = time.perf_counter()
            db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", [expression]).fetchone()
            raw.append(time.perf_counter() - start)
            start = time.perf_counter()
            db.execute(
                "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 9", [expression]
            ).fetchall()
            raw_ranked.append(time.perf_counter() - start)
            start = time.perf_counter()
            library.find(query)
            ranked.append(time.perf_counter() - start)
            start = time.perf_counter()
            library.find(query, type_=ResourceType.data_analysis, page=2)
            filtered.append(time.perf_counter() - start)
    reference = percentile(raw, 0.5)
    describe("bare FTS5 MATCH count (reference)", raw)
    describe("bare FTS5 MATCH, top 9 by rank (reference)", raw_ranked, reference)
    describe("library.find: ranked, page 1 with snippets", ranked, reference)
    describe("library.find: + type filter, page 2", filtered, reference)
    for query in QUERIES:
        print(f"    {query!r}: {library.find(query).total:,} results")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, content: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "GPEQUITY_DB": str(db), "GPEQUITY_CONTENT": str(content)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "gpequity.web.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server stopped while starting")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).json().get("warehouse"):
                return process, url
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server did not start in {SERVER_START_SECONDS:.0f}s")


def load_test(url: str, paths: Sequence[str], clients: int) -> list[float]:
    """Send every path once, from ``clients`` threads at a time; the seconds of each request."""
    times: list[float] = []
    lock = threading.Lock()
    queue = list(paths)
    failures: list[str] = []

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    path = queue.pop()
                start = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - start
                with lock:
                    times.append(elapsed)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {path}")

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return times


def bench_pages(db: Path, content: Path, clients: int, requests: int, seed: int) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        codes = [
            str(r[0])
            for r in con.execute(
                "SELECT practice_code FROM payments WHERE year = (SELECT max(year) FROM payments)"
            ).fetchall()
        ]
    rng = random.Random(seed)
    kinds: dict[str, Callable[[int], str]] = {
        f"static file {STATIC_PATH} (reference)": lambda i: STATIC_PATH,
        "/resources?q=... (5,000 resources)": lambda i: (
            f"/resources?q={QUERIES[i % len(QUERIES)].replace(' ', '+')}&page={1 + i % 3}"
        ),
        "/practices/{code} (practice profile)": lambda i: f"/practices/{rng.choice(codes)}",
    }
    process, url = start_server(db, content)
    try:
        # Warm up: the first requests open the warehouse and fill caches.
        load_test(url, [make(i) for make in kinds.values() for i in range(clients)], clients)
        reference: float | None = None
        for name, make in kinds.items():
            start = time.perf_counter()
            times = load_test(url, [make(i) for i in range(requests)], clients)
            wall = time.perf_counter() - start
            describe(name, times, reference)
            print(f"  {'':<46} {requests / wall:8.1f} requests/s")
            if reference is None:
                reference = percentile(times, 0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=25, help="repeats of the search queries")
    parser.add_argument("--practices", type=int, default=2000, help="demo warehouse size")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400, help="requests per kind of page")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    from gpequity.sources.demo import generate_demo
    from gpequity.warehouse.build import build_warehouse

    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        content.mkdir()
        start = time.perf_counter()
        write_resources(content, args.resources, args.seed)
        print(f"wrote {args.resources:,} resources in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        library = Library.load(content)
        print(
            f"loaded, rendered and indexed {len(library.resources):,} resources in "
            f"{time.perf_counter() - start:.2f} s"
        )
        print(f"\n1. Search over {len(library.resources):,} resources ({args.runs} runs each)")
        bench_search(library, args.runs)

        demo = Path(tmp) / "demo"
        db = Path(tmp) / "gpequity.duckdb"
        start = time.perf_counter()
        generate_demo(demo, seed=args.seed, practices=args.practices)
        build_warehouse(db, [demo])
        print(
            f"\nbuilt a demo warehouse of {args.practices:,} practices in "
            f"{time.perf_counter() - start:.1f} s"
        )
        print(
            f"\n2. Pages under {args.clients} concurrent clients, {args.requests} requests each, "
            "one uvicorn worker on 127.0.0.1"
        )
        bench_pages(db, content, args.clients, args.requests, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
