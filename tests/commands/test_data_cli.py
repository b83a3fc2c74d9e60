"""The ``gpequity data`` commands end to end, as a user runs them (a real process each)."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def gpequity(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gpequity", *args],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_demo_then_status_says_synthetic(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    made = gpequity(
        "data",
        "demo",
        "--out",
        str(tmp_path / "demo"),
        "--seed",
        "5",
        "--practices",
        "120",
        "--load",
        "--db",
        str(db),
    )
    assert made.returncode == 0, made.stderr
    status = gpequity("data", "status", "--db", str(db), "--format", "json")
    assert status.returncode == 0, status.stderr
    value = json.loads(status.stdout)
    assert value["synthetic"] is True
    assert value["datasets"]["payments"] == ["2020/21", "2021/22", "2022/23"]
    assert all(s["rows_read"] == s["rows_loaded"] for s in value["sources"])


def test_status_without_a_warehouse_is_one_clear_line(tmp_path: Path) -> None:
    done = gpequity("data", "status", "--db", str(tmp_path / "none.duckdb"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "No warehouse at" in done.stderr and "gpequity data load" in done.stderr


def test_load_of_a_folder_with_nothing_supported_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    done = gpequity("data", "load", "--source", str(tmp_path), "--db", str(tmp_path / "w.duckdb"))
    assert done.returncode == 1
    assert "no supported files found" in done.stderr
    assert not (tmp_path / "w.duckdb").exists()


@pytest.fixture
def mirror(real_data_dir: Path) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 serving ../shared/data."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(real_data_dir))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.realdata
def test_fetch_downloads_then_loads_the_warehouse(mirror: str, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    done = gpequity(
        "data",
        "fetch",
        "--mirror",
        mirror,
        "--dest",
        str(tmp_path / "raw"),
        "--only",
        "lookup",
        "--only",
        "payments",
        "--db",
        str(db),
    )
    assert done.returncode == 0, done.stderr
    status = json.loads(gpequity("data", "status", "--db", str(db), "--format", "json").stdout)
    assert status["synthetic"] is False
    assert len(status["datasets"]["payments"]) == 9
    assert status["datasets"]["lookup"] == []
