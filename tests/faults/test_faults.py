"""Fault injection: loads killed, starved of disk, run twice at once, fed cut or corrupted files.

Every test runs ``gpequity data load`` as a real process over a real warehouse and asserts the
one rule of a load: afterwards the warehouse is the previous one, byte for byte, or the new
one, complete; never a mix, and never a traceback. The full disk is a real one where the
machine allows it (a small tmpfs in a user namespace, ``unshare -Urm``), and always a file
size limit (``RLIMIT_FSIZE``), which makes the kernel refuse DuckDB's writes with ``EFBIG``.
Marked ``faults``; ``make test`` runs them.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
import uvicorn

from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse
from gpequity.warehouse.lock import building_path, lock_path
from gpequity.web.app import create_app

pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults")]

#: Only a bound on waiting for a process or a server, never asserted on.
WAIT_SECONDS = 120.0
#: How often the files of a running load are looked at (leaving the CPU to the load).
POLL_SECONDS = 0.002


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two synthetic data sets in the official layouts; the second one larger."""
    tmp = tmp_path_factory.mktemp("faults")
    generate_demo(tmp / "first", seed=41, practices=50)
    generate_demo(tmp / "second", seed=42, practices=70)
    return tmp / "first", tmp / "second"


@pytest.fixture
def warehouse(tmp_path: Path, demos: tuple[Path, Path]) -> tuple[Path, str]:
    """A warehouse built from the first data set, and its SHA-256."""
    db = tmp_path / "w" / "gpequity.duckdb"
    build_warehouse(db, [demos[0]])
    return db, sha256(db)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def environment() -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "COLUMNS": "200"}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def command(source: Path, db: Path, *extra: str) -> list[str]:
    program = [sys.executable, "-m", "gpequity", "data", "load"]
    return [*program, "--source", str(source), "--db", str(db), *extra]


def load(source: Path, db: Path, *extra: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(source, db, *extra),
        capture_output=True,
        text=True,
        check=False,
        env=environment(),
        timeout=WAIT_SECONDS,
        **kwargs,  # type: ignore[arg-type]
    )


def assert_previous_or_complete(db: Path, previous_sha: str, new_source: Path) -> str:
    """The warehouse is the previous file unchanged ("previous") or all of the new load."""
    if sha256(db) == previous_sha:
        return "previous"
    expected = sorted(str(p) for p in new_source.rglob("*.csv"))
    with duckdb.connect(str(db), read_only=True) as con:
        loaded = sorted(p for (p,) in con.execute("SELECT path FROM sources").fetchall())
        built = con.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchall()
        rows = con.execute("SELECT sum(rows_loaded) FROM sources").fetchone()
    assert loaded == expected, "a warehouse that is neither the previous one nor the new one"
    assert built and rows and rows[0] > 0
    return "complete"


def assert_one_clear_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.lstrip().startswith("error: "), done.stderr
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr


def no_build_files(db: Path) -> list[str]:
    return [p.name for p in db.parent.iterdir() if ".building-" in p.name]


# --- kill -9 during a load ---------------------------------------------------------------------


def _lock_taken(db: Path, pid: int) -> bool:
    lock = lock_path(db)
    return lock.exists() and lock.read_text().strip() == str(pid)


def _building(db: Path, pid: int) -> bool:
    return building_path(db, pid).exists()


def _written(db: Path, pid: int) -> bool:
    path = building_path(db, pid)
    return path.exists() and path.stat().st_size > 2_000_000


@pytest.mark.parametrize(
    "point",
    [_lock_taken, _building, _written],
    ids=["lock-taken", "build-file-created", "build-file-written"],
)
def test_kill_9_at_any_point_leaves_the_previous_warehouse_or_the_new_one(
    warehouse: tuple[Path, str], demos: tuple[Path, Path], point: Callable[[Path, int], bool]
) -> None:
    db, before = warehouse
    process = subprocess.Popen(
        command(demos[1], db), env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    while process.poll() is None and not point(db, process.pid):
        time.sleep(POLL_SECONDS)  # the points are states of the files, watched as they change
    process.send_signal(signal.SIGKILL)
    process.wait(WAIT_SECONDS)
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read().decode()
    process.stderr.close()
    assert_previous_or_complete(db, before, demos[1])

    # The next load takes the lock (released by the kernel), removes what was left and loads.
    left = no_build_files(db)
    done = load(demos[1], db)
    assert done.returncode == 0, done.stderr
    for name in left:
        assert f"removed {db.parent / name}, left by a load that stopped" in done.stderr
    assert no_build_files(db) == []
    assert assert_previous_or_complete(db, before, demos[1]) == "complete"


# --- two loads at once ---------------------------------------------------------------------


def test_a_second_concurrent_load_exits_1_at_once_naming_the_lock_and_the_pid(
    warehouse: tuple[Path, str], demos: tuple[Path, Path]
) -> None:
    db, before = warehouse
    first = subprocess.Popen(
        command(demos[1], db), env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    while first.poll() is None and not _building(db, first.pid):
        time.sleep(POLL_SECONDS)
    assert first.poll() is None, "the first load ended before the second could start"
    second = load(demos[0], db)
    _, err = first.communicate(timeout=WAIT_SECONDS)
    assert_one_clear_error(
        second,
        f"another load into this warehouse is running (pid {first.pid} holds the lock "
        f"{lock_path(db)})",
    )
    assert "\n" not in second.stderr.strip()
    assert first.returncode == 0, err
    assert assert_previous_or_complete(db, before, demos[1]) == "complete"


# --- cut and corrupted files ---------------------------------------------------------------------


def _copy(source: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    return copy


def _imd(folder: Path) -> Path:
    return next(folder.rglob("practice-imd-93553.csv"))


def _separators_spoiled(data: bytes) -> bytes:
    """The file with the commas of its third row turned into semicolons."""
    lines = data.split(b"\n")
    lines[2] = lines[2].replace(b",", b";")
    return b"\n".join(lines)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda d: d[: len(d) // 2], "the file looks cut short: the last row"),
        (lambda d: d[: len(d) // 2] + b"\xff\xfe" + d[len(d) // 2 :], "is not UTF-8 text"),
        (_separators_spoiled, "row 3: 1 fields where the header has"),
    ],
    ids=["cut-in-half", "bad-bytes", "corrupted-separators"],
)
def test_a_cut_or_corrupted_file_fails_the_load_and_changes_nothing(
    warehouse: tuple[Path, str],
    demos: tuple[Path, Path],
    tmp_path: Path,
    spoil: Callable[[bytes], bytes],
    message: str,
) -> None:
    db, before = warehouse
    source = _copy(demos[1], tmp_path)
    imd = _imd(source)
    imd.write_bytes(spoil(imd.read_bytes().rstrip(b"\r\n")))
    done = load(source, db)
    assert_one_clear_error(done, "The load failed; the previous warehouse is untouched.", message)
    assert sha256(db) == before
    assert no_build_files(db) == []


def test_a_cut_file_loaded_with_allow_rejects_is_refused_as_a_shrink(
    warehouse: tuple[Path, str], demos: tuple[Path, Path], tmp_path: Path
) -> None:
    db, before = warehouse
    source = _copy(demos[0], tmp_path)
    imd = _imd(source)
    data = imd.read_bytes()
    imd.write_bytes(data[: len(data) // 2])
    done = load(source, db, "--allow-rejects")
    assert_one_clear_error(done, "imd: ", "rows loaded against", "--allow-shrink")
    assert sha256(db) == before
    allowed = load(source, db, "--allow-rejects", "--allow-shrink")
    assert allowed.returncode == 0, allowed.stderr
    assert "replaced the previous warehouse" in allowed.stdout


# --- a full disk ---------------------------------------------------------------------------------


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_refused_by_the_kernel_is_one_error_line_and_changes_nothing(
    warehouse: tuple[Path, str], demos: tuple[Path, Path]
) -> None:
    db, before = warehouse
    done = load(demos[1], db, preexec_fn=_file_size_limit(1_000_000))
    assert_one_clear_error(done, "the previous warehouse is untouched")
    assert "\n" not in done.stderr.strip()
    assert sha256(db) == before
    assert no_build_files(db) == []
    assert load(demos[1], db).returncode == 0  # with room, the same load succeeds


FULL_DISK_SCRIPT = """
set -u
mount -t tmpfs -o size=24m tmpfs "$DISK" || exit 77
"$PYTHON" -m gpequity data load --source "$FIRST" --db "$DISK/w.duckdb" >/dev/null 2>&1 || exit 3
sha256sum "$DISK/w.duckdb" | cut -d' ' -f1 > "$OUT/before"
# Fill the disk, then leave 512 KB: far less than a new warehouse needs.
dd if=/dev/zero of="$DISK/filler" bs=1M 2>/dev/null
truncate -s -512K "$DISK/filler"
"$PYTHON" -m gpequity data load --source "$SECOND" --db "$DISK/w.duckdb" \
    >"$OUT/stdout" 2>"$OUT/stderr"
echo $? > "$OUT/rc"
sha256sum "$DISK/w.duckdb" | cut -d' ' -f1 > "$OUT/after"
ls -a "$DISK" > "$OUT/files"
"""


def test_a_full_disk_is_one_error_line_and_the_previous_warehouse_intact(
    demos: tuple[Path, Path], tmp_path: Path
) -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare: the full disk is covered by the file size limit test alone")
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    env = environment() | {
        "DISK": str(disk),
        "OUT": str(out),
        "PYTHON": sys.executable,
        "FIRST": str(demos[0]),
        "SECOND": str(demos[1]),
    }
    ran = subprocess.run(
        [unshare, "-Urm", "sh", "-c", FULL_DISK_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=WAIT_SECONDS,
    )
    if ran.returncode == 77 or "unshare failed" in ran.stderr:
        pytest.skip(f"a tmpfs cannot be mounted here ({ran.stderr.strip()[:200]})")
    assert ran.returncode == 0, ran.stderr
    stderr = (out / "stderr").read_text()
    assert (out / "rc").read_text().strip() == "1", stderr
    assert "Traceback" not in stderr
    assert stderr.lstrip().startswith("error: ") and "\n" not in stderr.strip(), stderr
    assert "No space left on device" in stderr
    assert stderr.strip().endswith("the previous warehouse is untouched")
    assert (out / "before").read_text() == (out / "after").read_text()
    assert [n for n in (out / "files").read_text().split() if ".building-" in n] == []


# --- the warehouse replaced under a running server -------------------------------------------


@pytest.fixture
def server(warehouse: tuple[Path, str]) -> Iterator[httpx.Client]:
    db, _ = warehouse
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(db), log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    while not uv.started and thread.is_alive():
        started.wait(0.05)
    assert uv.started, "uvicorn did not start"
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=WAIT_SECONDS) as client:
            yield client
    finally:
        uv.should_exit = True
        thread.join(WAIT_SECONDS)
        sock.close()


def practices(client: httpx.Client) -> object:
    response = client.get("/api/v1/icbs")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_server_answers_throughout_a_load_and_then_from_the_new_warehouse(
    server: httpx.Client, warehouse: tuple[Path, str], demos: tuple[Path, Path], tmp_path: Path
) -> None:
    db, _ = warehouse
    before = practices(server)

    # A load that fails under the server changes nothing it answers.
    source = _copy(demos[1], tmp_path)
    imd = _imd(source)
    imd.write_bytes(imd.read_bytes()[:-40])
    assert load(source, db).returncode == 1
    assert practices(server) == before

    # A load that succeeds: every answer meanwhile is the old data or the new, never an error.
    process = subprocess.Popen(
        command(demos[1], db), env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seen = []
    while process.poll() is None:
        seen.append(practices(server))
    assert process.wait(WAIT_SECONDS) == 0
    assert process.stderr is not None
    process.stderr.close()
    after = practices(server)
    assert after != before
    assert all(answer in (before, after) for answer in seen)
    assert assert_previous_or_complete(db, "", demos[1]) == "complete"
