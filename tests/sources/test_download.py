"""Downloading the official files: real HTTP against a server on 127.0.0.1, nothing mocked.

The server (written here, on ``http.server``) serves a folder laid out like ``../shared/data``
with byte ranges, and can be told to cut a response short, to fail with 500 a few times, or to
ignore ``Range``. No test talks to a publisher.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gpequity.errors import GpequityError
from gpequity.sources.download import (
    MIRROR_ENV,
    PART_SUFFIX,
    FetchResult,
    OfflineError,
    fetch_datasets,
)
from gpequity.sources.manifest import MANIFEST, ManifestEntry

#: Size of each generated file: several network chunks, so a cut lands mid-file.
GENERATED_BYTES = 150_000
#: Where a cut response stops.
CUT_AT = 70_000

DEFAULT_ENTRIES = [e for e in MANIFEST if not e.optional]


# The test server ---------------------------------------------------------------------------


@dataclass
class ServerState:
    """What the server serves, how it misbehaves, and what it was asked."""

    root: Path
    #: (path, Range header or None) of every request, in order.
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    #: path -> body bytes to send before closing the connection (once per request, popped).
    cut_after: dict[str, list[int]] = field(default_factory=dict)
    #: path -> number of 500 responses still to give before serving it.
    fail_500: dict[str, int] = field(default_factory=dict)
    ignore_range: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ranges_for(self, path: str) -> list[str | None]:
        return [r for p, r in self.requests if p == path]


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: ServerState) -> None:
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.state = state


class MirrorHandler(BaseHTTPRequestHandler):
    """Serves files from ``state.root`` with single byte ranges, like a static file server."""

    protocol_version = "HTTP/1.1"
    server: MirrorServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean

    def do_GET(self) -> None:
        state = self.server.state
        path = unquote(urlsplit(self.path).path).lstrip("/")
        range_header = self.headers.get("Range")
        with state.lock:
            state.requests.append((path, range_header))
            failing = state.fail_500.get(path, 0)
            if failing:
                state.fail_500[path] = failing - 1
            cuts = state.cut_after.get(path)
            cut = cuts.pop(0) if cuts else None
        if failing:
            self._send_simple(500, b"simulated server error")
            return
        file = (state.root / path).resolve()
        if not file.is_relative_to(state.root.resolve()) or not file.is_file():
            self._send_simple(404, b"not found")
            return
        data = file.read_bytes()
        size = len(data)
        found = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header or "")
        content_type = "text/html" if file.suffix == ".html" else "text/csv"
        if found and not state.ignore_range:
            start = int(found.group(1))
            end = int(found.group(2)) if found.group(2) else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = data[start : min(end, size - 1) + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{start + len(body) - 1}/{size}")
        else:
            body = data
            self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "none" if state.ignore_range else "bytes")
        self.end_headers()
        if cut is not None:
            # An interruption: the headers promised the whole body, the connection dies early.
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)

    def _send_simple(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serving(root: Path) -> Iterator[tuple[str, ServerState]]:
    """Serve ``root`` on a free port of 127.0.0.1; yield its base URL and its state."""
    state = ServerState(root=root)
    server = MirrorServer(state)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# Fixtures ----------------------------------------------------------------------------------


def generated_bytes(name: str, size: int = GENERATED_BYTES) -> bytes:
    """Deterministic content that differs from file to file and from byte to byte."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{name}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


@pytest.fixture
def mirror_root(tmp_path: Path) -> Path:
    """A mirror folder laid out like ../shared/data, with a generated file per manifest entry."""
    root = tmp_path / "mirror"
    for entry in MANIFEST:
        path = root / entry.mirror_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generated_bytes(entry.mirror_path))
    return root


@pytest.fixture
def mirror(mirror_root: Path) -> Iterator[tuple[str, ServerState]]:
    with serving(mirror_root) as served:
        yield served


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_identical(result: FetchResult, source: Path, entries: list[ManifestEntry]) -> None:
    for entry in entries:
        saved = result.dest / entry.filename
        assert saved.is_file(), f"{entry.filename} was not saved"
        assert sha256(saved) == sha256(source / entry.mirror_path), entry.filename
        assert not saved.with_name(saved.name + PART_SUFFIX).exists()


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class RecordedProgress:
    events: list[tuple[str, object]] = field(default_factory=list)
    advanced: int = 0

    def start(self, total_files: int) -> None:
        self.events.append(("start", total_files))

    def file_started(self, name: str, total_bytes: int | None) -> None:
        self.events.append(("file_started", (name, total_bytes)))

    def advance(self, nbytes: int) -> None:
        assert nbytes > 0
        self.advanced += nbytes

    def file_done(self, name: str) -> None:
        self.events.append(("file_done", name))


def payments(period: str) -> ManifestEntry:
    return next(e for e in MANIFEST if e.dataset == "payments" and e.period == period)


# The whole manifest ------------------------------------------------------------------------


@pytest.mark.realdata
def test_fetches_every_real_file_from_a_mirror_byte_for_byte(
    dest: Path, real_data_dir: Path
) -> None:
    source = real_data_dir
    with serving(source) as (url, _state):
        result = fetch_datasets(dest, mirror=url)
    assert result.ok, [f.describe() for f in result.failures]
    assert sorted(result.downloaded) == sorted(
        (dest / e.filename).resolve() for e in DEFAULT_ENTRIES
    )
    assert_identical(result, source, DEFAULT_ENTRIES)


def test_fetches_every_file_and_reports_progress(
    mirror: tuple[str, ServerState], mirror_root: Path, dest: Path
) -> None:
    url, state = mirror
    progress = RecordedProgress()
    result = fetch_datasets(dest, mirror=url, progress=progress)

    assert result.ok and not result.skipped
    assert len(result.downloaded) == len(DEFAULT_ENTRIES)
    assert_identical(result, mirror_root, DEFAULT_ENTRIES)
    # The optional quinary-age file is fetched only when named.
    assert not (dest / "registered").exists()
    assert progress.events[0] == ("start", len(DEFAULT_ENTRIES))
    started = [e[1] for e in progress.events if e[0] == "file_started"]
    assert started == [(e.filename, GENERATED_BYTES) for e in DEFAULT_ENTRIES]
    assert [e[1] for e in progress.events if e[0] == "file_done"] == [
        e.filename for e in DEFAULT_ENTRIES
    ]
    assert progress.advanced == GENERATED_BYTES * len(DEFAULT_ENTRIES)
    assert all(r is None for _p, r in state.requests)


def test_a_second_run_skips_complete_files_without_asking_the_server(
    mirror: tuple[str, ServerState], dest: Path
) -> None:
    url, state = mirror
    fetch_datasets(dest, mirror=url)
    state.requests.clear()

    result = fetch_datasets(dest, mirror=url)

    assert result.ok and not result.downloaded
    assert len(result.skipped) == len(DEFAULT_ENTRIES)
    assert state.requests == []


def test_only_fetches_the_named_datasets(mirror: tuple[str, ServerState], dest: Path) -> None:
    url, _state = mirror
    result = fetch_datasets(dest, mirror=url, only=["fingertips", "registered"])
    wanted = [e for e in MANIFEST if e.dataset in ("fingertips", "registered")]
    assert sorted(result.downloaded) == sorted((dest / e.filename).resolve() for e in wanted)
    assert not (dest / "nhs-payments").exists()


def test_an_unknown_dataset_is_refused(dest: Path) -> None:
    with pytest.raises(GpequityError, match=r"Unknown dataset 'payment'.*payments"):
        fetch_datasets(dest, mirror="http://127.0.0.1:9/", only=["payment"])


def test_the_mirror_can_come_from_the_environment(
    mirror: tuple[str, ServerState], dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _state = mirror
    monkeypatch.setenv(MIRROR_ENV, url)
    result = fetch_datasets(dest, only=["lookup"])
    assert result.ok and result.downloaded == [(dest / "lookups/ccg-icb-lookup.csv").resolve()]


def test_a_mirror_must_be_an_http_address(dest: Path, tmp_path: Path) -> None:
    with pytest.raises(GpequityError, match="--source DIR"):
        fetch_datasets(dest, mirror=str(tmp_path))


# Interruptions and resuming ----------------------------------------------------------------


def test_an_interrupted_download_leaves_a_part_file_that_the_next_run_resumes(
    mirror: tuple[str, ServerState], mirror_root: Path, dest: Path
) -> None:
    url, state = mirror
    entry = payments("2019/20")
    state.cut_after[entry.mirror_path] = [CUT_AT]

    first = fetch_datasets(dest, mirror=url, only=["payments"], retries=0)

    target = dest / entry.filename
    part = target.with_name(target.name + PART_SUFFIX)
    assert not target.exists()
    assert part.stat().st_size == CUT_AT
    [failure] = first.failures
    assert (failure.dataset, failure.period) == ("payments", "2019/20")
    assert "connection lost" in failure.describe()
    assert len(first.downloaded) == 8  # the other years are unaffected

    second = fetch_datasets(dest, mirror=url, only=["payments"], retries=0)

    assert second.ok and second.downloaded == [target.resolve()]
    assert state.ranges_for(entry.mirror_path) == [None, f"bytes={CUT_AT}-"]
    assert sha256(target) == sha256(mirror_root / entry.mirror_path)
    assert not part.exists()


def test_an_interruption_is_resumed_within_the_same_run(
    mirror: tuple[str, ServerState], mirror_root: Path, dest: Path
) -> None:
    url, state = mirror
    entry = payments("2022/23")
    state.cut_after[entry.mirror_path] = [CUT_AT, 10_000]
    progress = RecordedProgress()

    result = fetch_datasets(dest, mirror=url, only=["payments"], progress=progress)

    assert result.ok
    assert state.ranges_for(entry.mirror_path) == [
        None,
        f"bytes={CUT_AT}-",
        f"bytes={CUT_AT + 10_000}-",
    ]
    assert sha256(dest / entry.filename) == sha256(mirror_root / entry.mirror_path)
    # Bytes are counted once, however many attempts they took.
    assert progress.advanced == GENERATED_BYTES * 9


def test_a_server_that_ignores_range_makes_the_download_restart(
    mirror_root: Path, dest: Path
) -> None:
    entry = payments("2018/19")
    target = dest / entry.filename
    target.parent.mkdir(parents=True)
    # A stale partial file whose bytes are wrong: appending to it would corrupt the file.
    target.with_name(target.name + PART_SUFFIX).write_bytes(b"x" * 5_000)
    with serving(mirror_root) as (url, state):
        state.ignore_range = True
        result = fetch_datasets(dest, mirror=url, only=["payments"])

    assert result.ok
    assert state.ranges_for(entry.mirror_path) == ["bytes=5000-"]
    assert sha256(target) == sha256(mirror_root / entry.mirror_path)


def test_a_complete_part_file_is_finished_without_downloading_again(
    mirror: tuple[str, ServerState], mirror_root: Path, dest: Path
) -> None:
    url, state = mirror
    entry = payments("2014/15")
    target = dest / entry.filename
    target.parent.mkdir(parents=True)
    target.with_name(target.name + PART_SUFFIX).write_bytes(
        (mirror_root / entry.mirror_path).read_bytes()
    )

    result = fetch_datasets(dest, mirror=url, only=["payments"])

    assert result.ok and target.resolve() in result.skipped
    assert state.ranges_for(entry.mirror_path) == [f"bytes={GENERATED_BYTES}-"]
    assert sha256(target) == sha256(mirror_root / entry.mirror_path)


# Errors ------------------------------------------------------------------------------------


def test_a_missing_file_is_a_clear_error_and_the_others_are_still_fetched(
    mirror: tuple[str, ServerState], mirror_root: Path, dest: Path
) -> None:
    url, state = mirror
    entry = payments("2016/17")
    (mirror_root / entry.mirror_path).unlink()

    result = fetch_datasets(dest, mirror=url)

    [failure] = result.failures
    message = failure.describe()
    assert "payments 2016/17" in message
    assert url + entry.mirror_path in message
    assert "HTTP 404 Not Found" in message
    assert state.ranges_for(entry.mirror_path) == [None]  # not retried
    assert len(result.downloaded) == len(DEFAULT_ENTRIES) - 1
    assert not (dest / entry.filename).exists()
    others = [e for e in DEFAULT_ENTRIES if e != entry]
    assert_identical(result, mirror_root, others)


def test_server_errors_are_retried_until_the_file_comes(
    mirror: tuple[str, ServerState], mirror_root: Path, dest: Path
) -> None:
    url, state = mirror
    entry = next(e for e in MANIFEST if e.dataset == "imd")
    state.fail_500[entry.mirror_path] = 2

    result = fetch_datasets(dest, mirror=url, only=["imd"], retries=3)

    assert result.ok and len(state.ranges_for(entry.mirror_path)) == 3
    assert sha256(dest / entry.filename) == sha256(mirror_root / entry.mirror_path)


def test_server_errors_give_up_after_the_retries(
    mirror: tuple[str, ServerState], dest: Path
) -> None:
    url, state = mirror
    entry = next(e for e in MANIFEST if e.dataset == "imd")
    state.fail_500[entry.mirror_path] = 10

    result = fetch_datasets(dest, mirror=url, only=["imd"], retries=1)

    [failure] = result.failures
    assert "HTTP 500" in failure.reason and "gave up after 2 attempts" in failure.reason
    assert len(state.ranges_for(entry.mirror_path)) == 2


def test_offline_is_one_line_and_writes_nothing(dest: Path) -> None:
    mirror = f"http://127.0.0.1:{free_port()}/"

    with pytest.raises(OfflineError) as raised:
        fetch_datasets(dest, mirror=mirror, retries=1, timeout=5)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("Cannot reach the mirror at 127.0.0.1:")
    assert "you appear to be offline. Nothing was downloaded" in message
    assert "gpequity data load --source DIR" in message
    assert not dest.exists()


# Addresses the manifest does not know directly ---------------------------------------------


def test_a_file_is_found_by_its_link_on_the_publication_page(mirror_root: Path, dest: Path) -> None:
    entry = payments("2021/22")
    (mirror_root / "files").mkdir()
    published = mirror_root / "files" / "nhspaymentsgp-21-22-prac-csv-v2.csv"
    published.write_bytes(generated_bytes("published"))
    (mirror_root / "files" / "nhspaymentsgp-21-22-pcn-csv.csv").write_bytes(b"pcn level")
    (mirror_root / "england-2021-22.html").write_text(
        '<html><body><a href="files/nhspaymentsgp-21-22-pcn-csv.csv">PCN level</a>'
        '<a href="/files/nhspaymentsgp-21-22-prac-csv-v2.csv">Practice level</a></body></html>'
    )
    with serving(mirror_root) as (url, state):
        page_entry = ManifestEntry(
            dataset=entry.dataset,
            period=entry.period,
            url=None,
            filename=entry.filename,
            mirror_path=entry.mirror_path,
            page=url + "england-2021-22.html",
            link=entry.link,
        )
        result = fetch_datasets(dest, manifest=[page_entry])

    assert result.ok
    assert [p for p, _r in state.requests] == [
        "england-2021-22.html",
        "files/nhspaymentsgp-21-22-prac-csv-v2.csv",
    ]
    assert sha256(dest / entry.filename) == sha256(published)


def test_a_file_without_a_known_address_fails_clearly_without_asking_anyone(
    dest: Path,
) -> None:
    entry = next(e for e in MANIFEST if e.dataset == "qof")
    assert entry.url is None

    result = fetch_datasets(dest, only=["qof"], retries=0)

    [failure] = result.failures
    assert failure.url is None
    assert "qof 2023/24" in failure.describe()
    assert "no download address is known" in failure.reason
    assert entry.page is not None and entry.page in failure.reason
    assert not dest.exists()


# The manifest itself -----------------------------------------------------------------------


def test_the_manifest_names_https_addresses_and_distinct_files() -> None:
    filenames = [e.filename for e in MANIFEST]
    assert len(set(filenames)) == len(filenames)
    for entry in MANIFEST:
        for address in (entry.url, entry.page):
            assert address is None or address.startswith("https://"), address
        assert entry.url is not None or entry.note, f"{entry.label}: say why there is no URL"
    payments_periods = [e.period for e in MANIFEST if e.dataset == "payments"]
    assert payments_periods == [f"{y}/{(y + 1) % 100:02d}" for y in range(2014, 2023)]


def test_the_manifest_links_match_the_publishers_file_names() -> None:
    link = payments("2021/22").link
    assert link is not None
    assert re.search(link, "nhspaymentsgp-21-22-prac-csv-v2.csv")
    assert re.search(payments("2018/19").link or "", "nhspaymentsgp-18-19-csv.csv")
    assert not re.search(link, "nhspaymentsgp-21-22-pcn-csv.csv")


@pytest.mark.realdata
def test_the_manifest_paths_are_those_of_the_shared_data(real_data_dir: Path) -> None:
    source = real_data_dir
    for entry in DEFAULT_ENTRIES:
        assert (source / entry.mirror_path).is_file(), entry.mirror_path
        assert entry.filename == entry.mirror_path


@pytest.mark.parametrize("bad", ["../outside.csv", "/etc/passwd", "a/../../b.csv", ""])
def test_an_entry_cannot_point_outside_its_folder(bad: str) -> None:
    with pytest.raises(ValueError, match="relative path inside its folder"):
        ManifestEntry("payments", "2022/23", None, bad, "x.csv")


def test_one_unreachable_host_fails_its_files_only(
    mirror: tuple[str, ServerState], dest: Path
) -> None:
    url, _state = mirror
    dead = f"http://127.0.0.1:{free_port()}/"
    live, gone = payments("2022/23"), payments("2021/22")
    entries = [
        ManifestEntry(gone.dataset, gone.period, dead + "x.csv", gone.filename, gone.mirror_path),
        ManifestEntry(live.dataset, live.period, url + live.mirror_path, live.filename, "x.csv"),
    ]

    result = fetch_datasets(dest, manifest=entries, retries=1, timeout=5)

    assert result.downloaded == [(dest / live.filename).resolve()]
    [failure] = result.failures
    assert failure.period == "2021/22" and "cannot reach 127.0.0.1:" in failure.reason
