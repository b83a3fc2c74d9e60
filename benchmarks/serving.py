"""Benchmark: many readers (issue 12, targets a, b and c), against ``gpequity serve`` itself.

``gpequity serve --workers N`` (default: one per core) runs in a subprocess on 127.0.0.1 over
the real warehouse (``--db``, else ``/work/real.duckdb`` or ``$GPEQUITY_DB`` when present,
else one built from the real files, else from demonstration data). Once its workers have warmed
their results, it measures, each against a reference measured on the same server in the same
run, and prints PASS or FAIL per target with the figures:

(a) one client: the p50 of ``/funding``, the largest ICB's profile (the ICBs of the payments
    file), a practice profile, that ICB's datapack page and the JSON API's ICB profile, each
    <= 10x the p50 of ``/healthz`` (there is no ``/api/v1/payments`` route yet);
(b) the issue's mixed load (25% allocation for the largest ICB, 25% the funding page and its
    CSV, 15% ICB pages, 20% practice pages, 15% search) at 20 clients: no errors, and
    throughput >= 5% of ``/healthz``'s throughput at 20 clients;
(c) ``POST /api/v1/allocations`` for the largest ICB under 20 clients: throughput >= 70% of
    (CPU count / the in-process time of the same allocation).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
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

from allocation import build, free_port, median_seconds, percentile
from gpequity.allocation.catalogue import build_catalogue
from gpequity.allocation.icbs import list_icbs
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.reports.batch import default_jobs
from gpequity.warehouse.build import connect

REAL_WAREHOUSE = Path("/work/real.duckdb")
AMOUNT = Decimal("250000")
CLIENTS = 20
#: Seconds each load runs for.
LOAD_SECONDS = 15.0
SINGLE_REQUESTS = 25
SERVER_START_SECONDS = 120.0
#: A page answering within this is taken as warmed (every worker has its results).
WARM_SECONDS = 0.5
WARM_DEADLINE_SECONDS = 400.0
TARGET_A = 10.0
TARGET_B = 0.05
TARGET_C = 0.70
SEARCHES = ("leeds", "surgery", "medical", "M1", "health", "road", "park", "B7", "green")

Request = tuple[str, str, dict[str, Any] | None]  # method, path, JSON body


def start(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gpequity", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--db", str(db)]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise RuntimeError("gpequity serve stopped while starting")
        time.sleep(0.3)
    stop(server)
    raise RuntimeError("gpequity serve did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)  # its own session: the server and its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def send(http: httpx.Client, request: Request) -> httpx.Response:
    method, path, body = request
    return http.post(path, json=body) if method == "POST" else http.get(path)


def wait_until_warm(url: str, requests: list[Request], workers: int) -> float:
    """Ask for every page until a round (enough for every worker) answers each quickly."""
    start = time.perf_counter()
    with httpx.Client(base_url=url, timeout=300) as http:
        while time.perf_counter() - start < WARM_DEADLINE_SECONDS:
            slowest = 0.0
            for request in requests * (2 * workers):
                began = time.perf_counter()
                send(http, request)
                slowest = max(slowest, time.perf_counter() - began)
            if slowest < WARM_SECONDS:
                break
    return time.perf_counter() - start


def single(url: str, request: Request) -> float:
    """The p50 of one client's requests."""
    times = []
    with httpx.Client(base_url=url, timeout=300) as http:
        for _ in range(SINGLE_REQUESTS):
            began = time.perf_counter()
            response = send(http, request)
            times.append(time.perf_counter() - began)
            response.raise_for_status()
    return percentile(times, 0.5)


def load(url: str, choose: Callable[[random.Random], Request]) -> tuple[float, list[str]]:
    """Requests per second of :data:`CLIENTS` clients for :data:`LOAD_SECONDS`, and errors."""
    done = [0]
    errors: list[str] = []
    lock = threading.Lock()
    end = time.perf_counter() + LOAD_SECONDS

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=url, timeout=300) as http:
            while time.perf_counter() < end:
                request = choose(rng)
                try:
                    status = send(http, request).status_code
                except httpx.HTTPError as exc:
                    status, detail = 0, str(exc)
                else:
                    detail = ""
                with lock:
                    done[0] += 1
                    if status != 200:
                        errors.append(f"{request[1]}: {status} {detail}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - began), errors


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="the warehouse to serve")
    parser.add_argument("--workers", type=int, default=default_jobs())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env_db = Path(os.environ.get("GPEQUITY_DB", ""))
        if args.db:
            db, what = args.db, f"warehouse {args.db}"
        elif REAL_WAREHOUSE.is_file():
            db, what = REAL_WAREHOUSE, f"warehouse {REAL_WAREHOUSE}"
        elif os.environ.get("GPEQUITY_DB") and env_db.is_file():
            db, what = env_db, f"warehouse {env_db}"
        else:
            print("building a warehouse ...", file=sys.stderr)
            db, what = build(Path(tmp))
        with connect(db) as con:
            largest = max(list_icbs(con), key=lambda icb: (icb.practices, icb.code))
            catalogue = build_catalogue(con, largest.code)
            second = next(e.id for e in catalogue if e.kind.value == "indicator" and e.id != "imd")
            choices = (ComponentChoice("imd", Decimal(50)), ComponentChoice(second, Decimal(50)))
            scenario = Scenario(largest.code, AMOUNT, choices)
            allocate_scenario(con, scenario)  # as a running worker has: its pool read
            in_process = median_seconds(lambda: allocate_scenario(con, scenario), 5)
            practices = [
                str(r[0])
                for r in con.execute(
                    "SELECT DISTINCT practice_code FROM payments "
                    "WHERE year = (SELECT max(year) FROM payments) ORDER BY 1"
                ).fetchall()
            ]
            # The pages are by the ICBs of the payments files (the allocation's are the newest).
            icbs = [
                str(r[0])
                for r in con.execute(
                    "SELECT icb_code FROM payments WHERE year = (SELECT max(year) FROM payments) "
                    "GROUP BY icb_code ORDER BY count(*) DESC, icb_code"
                ).fetchall()
            ]
        cpus = os.cpu_count() or 1
        print(
            f"data: {what}; {args.workers} workers on {cpus} CPUs; largest ICB {largest.code} "
            f"({largest.practices} practices); in-process allocation {in_process * 1000:.0f} ms"
        )
        allocation: Request = (
            "POST",
            "/api/v1/allocations",
            {
                "icb": largest.code,
                "amount": str(AMOUNT),
                "components": [{"id": c.id, "weight": str(c.weight)} for c in choices],
            },
        )
        pages: dict[str, Request] = {
            "/funding": ("GET", "/funding", None),
            "ICB profile": ("GET", f"/icbs/{icbs[0]}", None),
            "practice profile": ("GET", f"/practices/{practices[len(practices) // 2]}", None),
            "ICB datapack page": ("GET", f"/icbs/{icbs[0]}/datapack", None),
            "API ICB profile": ("GET", f"/api/v1/icbs/{icbs[0]}", None),
        }
        healthz: Request = ("GET", "/healthz", None)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start(db, port, args.workers)
        try:
            warm = wait_until_warm(url, [*pages.values(), allocation], args.workers)
            print(f"workers warmed in {warm:.0f} s")
            results: list[bool] = []

            reference = single(url, healthz)
            print(f"(a) one client, p50; reference /healthz {reference * 1000:.1f} ms")
            for name, request in pages.items():
                p50 = single(url, request)
                ok = p50 <= TARGET_A * reference
                results.append(ok)
                print(
                    f"    {verdict(ok)} {name:<20} {p50 * 1000:8.1f} ms = "
                    f"{p50 / reference:5.1f}x /healthz (target <= {TARGET_A:.0f}x)"
                )

            def mixed(rng: random.Random) -> Request:
                roll = rng.random()
                if roll < 0.25:
                    return allocation
                if roll < 0.50:
                    csv = "/funding/by-deprivation.csv"
                    return ("GET", "/funding" if rng.random() < 0.5 else csv, None)
                if roll < 0.65:
                    return ("GET", f"/icbs/{rng.choice(icbs)}", None)
                if roll < 0.85:
                    return ("GET", f"/practices/{rng.choice(practices)}", None)
                return ("GET", f"/practices?q={rng.choice(SEARCHES)}", None)

            health_rate, _ = load(url, lambda rng: healthz)
            rate, errors = load(url, mixed)
            ok = not errors and rate >= TARGET_B * health_rate
            results.append(ok)
            print(
                f"(b) {verdict(ok)} mixed load, {CLIENTS} clients: {rate:.1f} requests/s, "
                f"{len(errors)} errors; /healthz {health_rate:.1f} requests/s; ratio "
                f"{rate / health_rate:.1%} (target >= {TARGET_B:.0%}, no errors)"
            )
            for error in errors[:5]:
                print(f"    error: {error}")

            rate, errors = load(url, lambda rng: allocation)
            bound = cpus / in_process
            ok = not errors and rate >= TARGET_C * bound
            results.append(ok)
            print(
                f"(c) {verdict(ok)} allocation API, {CLIENTS} clients: {rate:.1f} requests/s = "
                f"{rate / bound:.0%} of {cpus} CPUs / {in_process * 1000:.0f} ms = "
                f"{bound:.1f}/s (target >= {TARGET_C:.0%}), {len(errors)} errors"
            )
        finally:
            stop(server)
    print(f"serving: {sum(results)} of {len(results)} targets met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
