"""Benchmark: the eFIT allocation in-process, for all of England, and through the JSON API.

A measurement, not a timed test. It reports:

1. the largest ICB in-process: ``allocate_scenario`` (reading the pool from the warehouse, then
   the engine), median of ``--runs``, and the two parts apart;
2. all of England as one pool: every ICB's practices together, read and allocated in-process;
3. ``POST /api/v1/allocations`` for the largest ICB under ``--clients`` concurrent clients on
   127.0.0.1 (the app under uvicorn in a subprocess on a free port; httpx clients in threads;
   ``--requests`` requests in all, after a short warm-up): p50, p99 and requests per second;

and the in-run reference: the ratio of the API's p50 to the in-process time of the same
allocation (what HTTP, JSON, a fresh warehouse connection per request and queueing behind the
other clients add).

Data: ``--db WAREHOUSE``; else a warehouse built in a temporary folder from the real files at
``gpequity.config.shared_data_dir()``; else from synthetic demonstration data.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from gpequity.allocation import AllocationRequest, ComponentSpec, allocate
from gpequity.allocation.catalogue import build_catalogue
from gpequity.allocation.icbs import list_icbs
from gpequity.allocation.pools import load_pool
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.config import shared_data_dir
from gpequity.warehouse.build import build_warehouse, connect

AMOUNT = Decimal("250000")
#: The second component, when the catalogue has it (the eFIT files do).
PREFERRED_INDICATOR = "hypertension-prevalence"
SERVER_START_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 120.0
WARM_UP_REQUESTS = 5
#: Requests sent one at a time, for the latency without queueing.
SEQUENTIAL_REQUESTS = 20


def build(tmp: Path) -> tuple[Path, str]:
    """A warehouse from the real files, else from demonstration data; and which it is."""
    db = tmp / "bench.duckdb"
    source = shared_data_dir()
    if source.is_dir():
        build_warehouse(db, [source], allow_rejects=True)
        return db, f"real files at {source}"
    from gpequity.sources.demo import generate_demo

    generate_demo(tmp / "demo")
    build_warehouse(db, [tmp / "demo"])
    return db, "synthetic demonstration data (no real files found)"


def median_seconds(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GPEQUITY_DB": str(db)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "gpequity.web.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()["warehouse"]:
                return server
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        if server.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"the server did not start within {SERVER_START_SECONDS:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def load_test(
    url: str, body: dict[str, Any], clients: int, total: int
) -> tuple[list[float], float]:
    """Send ``total`` requests from ``clients`` threads; return latencies and wall time."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    remaining = [total]

    def client() -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS) as http:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                start = time.perf_counter()
                response = http.post(url, json=body)
                elapsed = time.perf_counter() - start
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        failures.append(f"{response.status_code}: {response.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="an existing warehouse to measure")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            db, what = args.db, f"warehouse {args.db}"
        else:
            print("building a warehouse ...", file=sys.stderr)
            db, what = build(Path(tmp))
        print(f"data: {what}")
        with connect(db) as con:
            icbs = list_icbs(con)
            largest = max(icbs, key=lambda icb: (icb.practices, icb.code))
            catalogue = {e.id: e for e in build_catalogue(con, largest.code)}
            second = (
                PREFERRED_INDICATOR
                if PREFERRED_INDICATOR in catalogue
                else next(
                    e.id
                    for e in catalogue.values()
                    if e.kind.value == "indicator" and e.id != "imd"
                )
            )
            choices = (
                ComponentChoice("imd", Decimal(50)),
                ComponentChoice(second, Decimal(50)),
            )
            scenario = Scenario(largest.code, AMOUNT, choices)
            allocate_scenario(con, scenario)  # warm the metadata cache, as a running app has
            in_process = median_seconds(lambda: allocate_scenario(con, scenario), args.runs)
            ids = ["imd", second]
            read = median_seconds(lambda: load_pool(con, largest.code, ids), args.runs)
            pool = load_pool(con, largest.code, ids)
            specs = tuple(
                ComponentSpec(
                    id=catalogue[c.id].id,
                    name=catalogue[c.id].name,
                    weight=c.weight,
                    direction=catalogue[c.id].direction,
                    unit=catalogue[c.id].unit,
                    kind=catalogue[c.id].kind,
                )
                for c in choices
            )
            request = AllocationRequest(largest.code, AMOUNT, specs)
            engine = median_seconds(lambda: allocate(request, pool), args.runs)
            print(
                f"largest ICB {largest.code} ({largest.name}, {largest.practices:,} practices), "
                f"imd 50% + {second} 50%:"
            )
            print(
                f"  in-process allocation: {in_process * 1000:.1f} ms "
                f"(reading the pool {read * 1000:.1f} ms, engine {engine * 1000:.1f} ms; "
                f"median of {args.runs})"
            )

            start = time.perf_counter()
            england: dict[str, Any] = {}
            for icb in icbs:
                for practice in load_pool(con, icb.code, ids):
                    england.setdefault(practice.code, practice)
            england_read = time.perf_counter() - start
            england_request = AllocationRequest("England", AMOUNT, specs)
            start = time.perf_counter()
            result = allocate(england_request, list(england.values()))
            england_engine = time.perf_counter() - start
            print(
                f"all of England as one pool ({len(england):,} practices, "
                f"{len(result.practices):,} with patients): reading {england_read:.2f} s, "
                f"engine {england_engine:.2f} s"
            )

        port = free_port()
        server = start_server(db, port)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/allocations"
            body = {
                "icb": largest.code,
                "amount": str(AMOUNT),
                "components": [{"id": c.id, "weight": str(c.weight)} for c in choices],
            }
            load_test(url, body, 1, WARM_UP_REQUESTS)
            alone, _ = load_test(url, body, 1, SEQUENTIAL_REQUESTS)
            latencies, wall = load_test(url, body, args.clients, args.requests)
        finally:
            stop_server(server)
    p50 = percentile(latencies, 0.50)
    p99 = percentile(latencies, 0.99)
    print(
        f"POST /api/v1/allocations, {args.clients} concurrent clients, {len(latencies)} "
        f"requests: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"{len(latencies) / wall:.1f} requests/s"
    )
    alone_p50 = percentile(alone, 0.50)
    print(f"  one client at a time: p50 {alone_p50 * 1000:.0f} ms")
    print(
        f"ratio of API p50 to in-process time: {p50 / in_process:.1f} under {args.clients} "
        f"clients, {alone_p50 / in_process:.1f} for one client"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
