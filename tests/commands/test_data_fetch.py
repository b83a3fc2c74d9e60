"""``gpequity data fetch`` when a file fails: reported, the others still fetched, exit 1.

Issue 13: a failed download crashed the progress bar (a ``TypeError`` formatting a size the
server never gave) and every later file was skipped. Real HTTP on 127.0.0.1, a real Rich
progress bar on a console that behaves as a terminal (where the bar is drawn).
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from gpequity.commands.data import RichFetchHooks
from gpequity.sources.download import fetch_datasets
from gpequity.sources.manifest import ManifestEntry


def python_path() -> dict[str, str]:
    """The test run's PYTHONPATH, so that the process runs the code under test."""
    return {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}


def serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    for name in ("a.csv", "c.csv"):
        (folder / name).write_text(f"{name}\n" * 5000)
    return folder  # b.csv is missing: 404


@pytest.fixture
def mirror(files: Path) -> Iterator[str]:
    yield from serve(files)


def entry(name: str) -> ManifestEntry:
    return ManifestEntry("lookup", name, None, name, name, title=name)


def test_a_failed_file_is_reported_and_the_later_ones_still_fetched(
    mirror: str, tmp_path: Path
) -> None:
    screen = io.StringIO()
    hooks = RichFetchHooks(Console(file=screen, force_terminal=True, width=100))
    dest = tmp_path / "raw"
    with hooks.progress:
        result = fetch_datasets(
            dest,
            mirror=mirror,
            progress=hooks,
            retries=0,
            manifest=[entry("a.csv"), entry("b.csv"), entry("c.csv")],
        )
    assert [p.name for p in result.downloaded] == ["a.csv", "c.csv"]
    [failure] = result.failures
    assert failure.filename == "b.csv" and "404" in failure.reason
    assert (dest / "c.csv").read_text() == "c.csv\n" * 5000
    assert "Fetching 3 files" in screen.getvalue()


def test_the_progress_bar_draws_a_file_of_unknown_size() -> None:
    screen = io.StringIO()
    hooks = RichFetchHooks(Console(file=screen, force_terminal=True, width=100))
    with hooks.progress:
        hooks.file_started("b.csv", None)
        hooks.advance(2048)
        hooks.progress.refresh()
        hooks.file_done("b.csv")
    assert "2.0/? kB" in screen.getvalue()


@pytest.fixture
def partial_mirror(real_data_dir: Path, tmp_path: Path) -> Iterator[str]:
    """The real lookup and payments files, but for the payments of 2018/19 (404)."""
    folder = tmp_path / "partial"
    for sub in ("lookups", "nhs-payments"):
        (folder / sub).mkdir(parents=True)
        for path in (real_data_dir / sub).iterdir():
            if "18-19" not in path.name:
                (folder / sub / path.name).symlink_to(path)
    yield from serve(folder)


@pytest.mark.realdata
def test_the_cli_loads_what_it_fetched_then_exits_1_naming_the_failure(
    partial_mirror: str, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    argv = ["data", "fetch", "--mirror", partial_mirror, "--dest", str(tmp_path / "raw")]
    argv += ["--only", "lookup", "--only", "payments", "--db", str(db)]
    done = subprocess.run(
        [sys.executable, "-m", "gpequity", *argv],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", **python_path()},
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "failed: payments 2018/19, nhs-payments/nhspaymentsgp-18-19-prac-csv.csv" in (
        done.stderr
    )
    assert "error: 1 of 10 files could not be fetched" in done.stderr
    assert "downloaded" in done.stdout and "nhspaymentsgp-22-23" in done.stdout
    status = subprocess.run(
        [sys.executable, "-m", "gpequity", "data", "status", "--db", str(db), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", **python_path()},
    )
    years = json.loads(status.stdout)["datasets"]["payments"]
    assert len(years) == 8 and "2018/19" not in years
