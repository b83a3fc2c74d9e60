"""``gpequity serve --workers 2``: real uvicorn worker processes on 127.0.0.1, each with its
own cache of results, serve a rebuilt warehouse's figures (not the old cached ones) on the
next request."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.web.app import create_app

START_SECONDS = 90.0
#: Requests per check: enough for both workers to answer some of them.
ROUNDS = 12


def build(db: Path, folder: Path, seed: int) -> None:
    generate_demo(folder, seed=seed, practices=80)
    build_warehouse(db, [folder])  # built beside the file and renamed over it, as a load does


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db = tmp_path / "gpequity.duckdb"
    build(db, tmp_path / "first", seed=11)
    port = free_port()
    command = ["serve", "--workers", "2", "--port", str(port), "--db", str(db)]
    server = subprocess.Popen(
        [sys.executable, "-m", "gpequity", *command],
        env={**os.environ, "GPEQUITY_DB": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "gpequity serve did not start"
            time.sleep(0.3)
        yield url, db
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server's own session: it and its workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def first_icb(db: Path) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT min(icb_code) FROM payments").fetchone()
    assert row is not None
    return str(row[0])


def expected(db: Path, path: str) -> Any:
    """What a fresh app (no cache) answers for ``path`` from the file now at ``db``."""
    with TestClient(create_app(db)) as client:
        response = client.get(path)
        assert response.status_code == 200
        return response.json()


def answers(url: str, path: str) -> list[Any]:
    with httpx.Client(base_url=url, timeout=60) as client:
        return [client.get(path).json() for _ in range(ROUNDS)]


def test_a_rebuilt_warehouse_is_served_by_every_worker_on_the_next_request(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, db = served
    path = f"/api/v1/icbs/{first_icb(db)}"
    before = expected(db, path)
    assert answers(url, path) == [before] * ROUNDS  # every worker has it cached now
    csv = "/funding/by-deprivation.csv"
    old_csv = {httpx.get(f"{url}{csv}", timeout=60).text for _ in range(ROUNDS)}
    assert len(old_csv) == 1
    build(db, tmp_path / "second", seed=12)
    after_path = f"/api/v1/icbs/{first_icb(db)}"
    after = expected(db, after_path)
    assert after != before
    assert answers(url, after_path) == [after] * ROUNDS
    new_csv = {httpx.get(f"{url}{csv}", timeout=60).text for _ in range(ROUNDS)}
    with TestClient(create_app(db)) as client:
        assert new_csv == {client.get(csv).text} != old_csv
