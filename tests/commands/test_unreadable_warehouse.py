"""A warehouse file the engine cannot read, as a user meets it: every command that reads the
warehouse says in one ``error:`` line which file it is and how to rebuild it, never DuckDB's
text ("IO Error: Could not read enough bytes from file ... at location 32256000") and never a
traceback (``payments summary`` and ``data status`` printed one). A real process each.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

#: The share of a warehouse kept when it is cut short: it still opens (its header and catalogue
#: are at the front) but every table's rows are past the cut, so the commands fail mid-query.
KEPT = 0.3

COMMANDS = [
    ("allocate", "--icb", "QZZ", "--amount", "1000", "--component", "imd:100"),
    ("compare", "--icb", "QZZ", "--amount", "1000", "--component", "imd:100"),
    ("indicators", "--icb", "QZZ"),
    ("payments", "summary"),
    ("data", "status"),
    ("datapack", "--all", "--format", "html", "--jobs", "1"),
]


def gpequity(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "COLUMNS": "200"}
    if "PYTHONPATH" in os.environ:  # this tree's source, not the installed one
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-m", "gpequity", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Synthetic files in the official layouts and the warehouse built from them."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.duckdb"
    made = gpequity(
        "data", "demo", "--out", str(folder / "files"), "--seed", "3", "--practices", "60",
        "--load", "--db", str(db), cwd=folder,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return folder / "files", db


@pytest.fixture(scope="module")
def damaged(demo: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three files that are not readable warehouses: cut short, not DuckDB at all, empty."""
    folder = tmp_path_factory.mktemp("damaged")
    cut = folder / "cut.duckdb"
    data = demo[1].read_bytes()
    cut.write_bytes(data[: int(len(data) * KEPT)])
    # the premise: the cut file opens, and a query then fails (the error comes mid-command)
    with duckdb.connect(str(cut), read_only=True) as con, pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM sources").fetchall()
    junk = folder / "junk.duckdb"
    junk.write_text("practice_code,value\nA81001,1\n")
    empty = folder / "empty.duckdb"
    empty.write_bytes(b"")
    return {"cut": cut, "junk": junk, "empty": empty}


@pytest.mark.parametrize("file", ["cut", "junk", "empty"])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_one_clear_line_naming_the_file_and_the_rebuild(
    damaged: dict[str, Path], file: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    db = damaged[file]
    done = gpequity(*args, "--db", str(db), cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    expected = (
        f"The warehouse {db} cannot be read: the file is damaged or is not a gpequity "
        f"warehouse. Rebuild it with 'gpequity data load --source DIR --db {db}' (or "
        f"'gpequity data demo --load --db {db}')."
    )
    assert expected in done.stderr
    assert errors, done.stderr
    for text in ("Traceback", "IO Error", "IOException", "DuckDB", "bytes from"):
        assert text not in done.stderr + done.stdout


def test_the_rebuild_it_names_replaces_the_damaged_file(
    demo: tuple[Path, Path], damaged: dict[str, Path], tmp_path: Path
) -> None:
    """The remedy the message gives works: a load over a damaged file (which compares as an
    empty warehouse for the shrink check) writes a good one."""
    db = tmp_path / "w.duckdb"
    db.write_bytes(damaged["cut"].read_bytes())
    made = gpequity("data", "load", "--source", str(demo[0]), "--db", str(db), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert gpequity("data", "status", "--db", str(db), cwd=tmp_path).returncode == 0


def test_serve_says_so_once_and_answers_503(damaged: dict[str, Path], tmp_path: Path) -> None:
    """``gpequity serve`` starts (the file may be rebuilt while it runs) but says first, in
    one line, that the warehouse cannot be read and what to do."""
    db = damaged["cut"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "COLUMNS": "200"}
    command = ["serve", "--workers", "1", "--port", str(port), "--db", str(db)]
    server = subprocess.Popen(
        [sys.executable, "-m", "gpequity", *command],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while status is None and time.monotonic() < deadline:
            assert server.poll() is None
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
            except httpx.TransportError:
                time.sleep(0.3)
        assert status == 503
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, log = server.communicate(timeout=30)
    first = log.splitlines()[0]
    assert first.startswith(f"warning: The warehouse {db} cannot be read: the file is damaged")
    assert first.endswith(
        "Until then the pages say the data cannot be read and the API answers 503."
    )
