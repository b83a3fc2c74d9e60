"""A real server notices a rebuilt warehouse on its next request.

``gpequity serve`` runs for weeks while ``gpequity data load`` rebuilds the warehouse under it
(a new file renamed over the old one). This starts uvicorn on 127.0.0.1, asks the JSON API and
the pages, rebuilds the warehouse with other data through the real build, and checks that the
next answers are those of the new build: equal to what a fresh app over the new file answers,
and different from before.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.web.app import create_app

#: Long enough for a slow shared machine; only a bound on waiting, never asserted on.
STARTUP_WAIT_SECONDS = 60.0


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different synthetic data sets in the official layouts."""
    tmp = tmp_path_factory.mktemp("live")
    generate_demo(tmp / "first", seed=41, practices=60)
    generate_demo(tmp / "second", seed=42, practices=90)
    return tmp / "first", tmp / "second"


@pytest.fixture
def server(tmp_path: Path, demos: tuple[Path, Path]) -> Iterator[tuple[httpx.Client, Path]]:
    """uvicorn serving the first build on a free port; a client of it, and the warehouse."""
    db = tmp_path / "gpequity.duckdb"
    build_warehouse(db, [demos[0]], synthetic=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held until uvicorn serves on it
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(db), log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not uv.started and thread.is_alive():
        started.wait(0.05)
    assert uv.started, "uvicorn did not start"
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=STARTUP_WAIT_SECONDS) as c:
            yield c, db
    finally:
        uv.should_exit = True
        thread.join(STARTUP_WAIT_SECONDS)
        sock.close()


def answers(client: httpx.Client | TestClient) -> dict[str, object]:
    """The JSON API's and a few pages' answers, by request."""
    icbs = client.get("/api/v1/icbs")
    assert icbs.status_code == 200, icbs.text
    icb = icbs.json()[0]["code"]
    allocation = client.post(
        "/api/v1/allocations",
        json={"icb": icb, "amount": "100000", "components": [{"id": "imd", "weight": 100}]},
    )
    assert allocation.status_code == 200, allocation.text
    profile = client.get(f"/api/v1/icbs/{icb}")  # the payments of the ICB's practices
    assert profile.status_code == 200, profile.text
    pages = {path: client.get(path) for path in ("/funding", "/data", "/practices?q=a")}
    assert all(page.status_code == 200 for page in pages.values())
    return {
        "icbs": icbs.json(),
        "allocation": allocation.json(),
        "icb profile": profile.json(),
        **{path: page.text for path, page in pages.items()},
    }


def test_the_next_request_after_a_rebuild_sees_the_new_warehouse(
    server: tuple[httpx.Client, Path], demos: tuple[Path, Path]
) -> None:
    client, db = server
    before = answers(client)
    assert answers(client) == before  # the same file, the same answers

    build_warehouse(db, [demos[1]], synthetic=True)

    after = answers(client)
    with TestClient(create_app(db)) as fresh:
        assert after == answers(fresh)
    for name, answer in after.items():
        assert answer != before[name], name
