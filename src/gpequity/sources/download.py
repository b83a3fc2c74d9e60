"""Download the official files from their publishers (``gpequity data fetch``).

Fetch apart from parse: this module saves each file of the manifest untouched, under the name
the loaders recognise, and never reads its contents. Loading is a separate step.

How a file is downloaded, so that an interrupted fetch costs nothing the next time:

- bytes go to ``<file>.part``; when a ``.part`` exists the request asks for the rest
  (``Range: bytes=N-``); a ``206`` is appended, a ``200`` (server ignores ranges) restarts
  from zero;
- the size is checked against ``Content-Length`` / ``Content-Range`` when the server gives
  them, and the ``.part`` is renamed to its final name (atomically) only when complete;
- connection errors, timeouts and ``5xx`` are retried with exponential backoff; a ``4xx`` is
  a per-file failure naming the dataset, period and address, and the other files go on;
- when no publisher (or mirror) can be reached at all, :class:`OfflineError` carries one line
  saying so, instead of one error per file.

With a mirror (``mirror=`` or ``GPEQUITY_FETCH_MIRROR``) every address becomes
``mirror + '/' + entry.mirror_path``: a folder laid out like ``../shared/data`` served over
HTTP(S).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import quote, unquote, urljoin, urlsplit

import httpx

from gpequity import __version__
from gpequity.errors import GpequityError
from gpequity.sources.manifest import MANIFEST, ManifestEntry

#: Environment variable naming a mirror when ``mirror=`` is not given.
MIRROR_ENV = "GPEQUITY_FETCH_MIRROR"
#: Suffix of a file being downloaded.
PART_SUFFIX = ".part"
#: First wait before a retry, doubled at each further retry, capped at ``BACKOFF_MAX``.
BACKOFF_SECONDS = 0.5
BACKOFF_MAX = 8.0
#: Largest publication page read when looking for a file's link.
PAGE_MAX_BYTES = 5 * 1024 * 1024
#: 4xx statuses that say "try again later" rather than "no such file".
RETRYABLE_4XX = frozenset({408, 425, 429})
USER_AGENT = f"gpequity/{__version__} (gpequity data fetch)"

_T = TypeVar("_T")
_CONTENT_RANGE = re.compile(r"^bytes\s+(\d+)-(\d+)/(\d+|\*)$")
_UNSATISFIED_RANGE = re.compile(r"^bytes\s+\*/(\d+)$")


class OfflineError(GpequityError):
    """No publisher (nor the mirror) could be reached: nothing was downloaded."""

    def __init__(self, host: str, *, mirror: bool = False) -> None:
        self.host = host
        what = "the mirror at " + host if mirror else host
        super().__init__(
            f"Cannot reach {what}: you appear to be offline. Nothing was downloaded; use "
            "--mirror or copy the files and run 'gpequity data load --source DIR'."
        )


class ProgressHooks(Protocol):
    """What a fetch reports as it goes (the CLI draws it as a progress bar).

    For each file, ``file_started`` is called once (``total_bytes`` is ``None`` when the
    server does not say) and ``file_done`` once, whether the file was downloaded, skipped or
    failed; ``advance`` counts new bytes of the current file, including those already in a
    ``.part`` that is resumed.
    """

    def start(self, total_files: int) -> None: ...

    def file_started(self, name: str, total_bytes: int | None) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def file_done(self, name: str) -> None: ...


@dataclass(frozen=True)
class FetchFailure:
    """One file that could not be downloaded, and why."""

    dataset: str
    period: str
    filename: str
    url: str | None
    reason: str

    def describe(self) -> str:
        """Return the failure as one line for the user."""
        where = f" ({self.url})" if self.url else ""
        return f"{self.dataset} {self.period}, {self.filename}{where}: {self.reason}"


@dataclass
class FetchResult:
    """What a fetch did: files downloaded, files already complete, and failures."""

    dest: Path
    downloaded: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failures: list[FetchFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file asked for is now complete in ``dest``."""
        return not self.failures


def fetch_datasets(
    dest: Path,
    *,
    mirror: str | None = None,
    only: Sequence[str] | None = None,
    progress: ProgressHooks | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    manifest: Sequence[ManifestEntry] = MANIFEST,
) -> FetchResult:
    """Download the manifest's files into ``dest``, resuming any interrupted download.

    ``only`` names datasets (``payments``, ``imd``, ...) to fetch; without it every entry
    that is not optional is fetched. ``retries`` is the number of further attempts after a
    connection error, timeout or ``5xx``; ``timeout`` is in seconds, for connecting and for
    each read. Raises :class:`OfflineError` when nothing could be reached at all, and
    :class:`GpequityError` for an unknown dataset or a mirror that is not an HTTP(S) URL.
    """
    if retries < 0:
        raise ValueError("retries must be 0 or more")
    mirror = mirror if mirror is not None else (os.environ.get(MIRROR_ENV) or None)
    if mirror is not None:
        _check_mirror(mirror)
    entries = _select(manifest, only)
    hooks: ProgressHooks = progress if progress is not None else _NoProgress()
    dest_root = dest.resolve()
    fetcher = _Fetcher(dest_root, hooks, retries, timeout, mirror)
    result = FetchResult(dest=dest)

    hooks.start(len(entries))
    with fetcher:
        for entry in entries:
            fetcher.fetch(entry, result)

    if fetcher.unreachable and not fetcher.reached_any and not result.downloaded:
        raise OfflineError(fetcher.unreachable[0], mirror=mirror is not None)
    return result


def _check_mirror(mirror: str) -> None:
    parts = urlsplit(mirror)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GpequityError(
            f"--mirror must be an http:// or https:// address, not {mirror!r}; for a folder "
            "of files already on this machine use 'gpequity data load --source DIR'."
        )


def _select(manifest: Sequence[ManifestEntry], only: Sequence[str] | None) -> list[ManifestEntry]:
    if only is None:
        return [e for e in manifest if not e.optional]
    known = list(dict.fromkeys(e.dataset for e in manifest))
    unknown = [name for name in only if name not in known]
    if unknown:
        raise GpequityError(
            f"Unknown dataset {', '.join(repr(n) for n in unknown)}: choose from "
            f"{', '.join(known)}."
        )
    return [e for e in manifest if e.dataset in only]


class _NoProgress:
    def start(self, total_files: int) -> None:
        pass

    def file_started(self, name: str, total_bytes: int | None) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def file_done(self, name: str) -> None:
        pass


class _Retry(Exception):
    """A failure worth another attempt (connection, timeout, 5xx, short body)."""

    def __init__(self, reason: str, *, connect: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.connect = connect


class _Fail(Exception):
    """A failure not worth another attempt (4xx, missing link, bad response)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Unreachable(Exception):
    """The host could not be connected to on any attempt."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(reason)
        self.host = host
        self.reason = reason


@dataclass
class _FileProgress:
    """Keeps one file's progress monotonic across retries and restarts."""

    hooks: ProgressHooks
    name: str
    started: bool = False
    reported: int = 0

    def start(self, total: int | None) -> None:
        if not self.started:
            self.started = True
            self.hooks.file_started(self.name, total)

    def at(self, position: int) -> None:
        """Report the file's bytes so far; only growth beyond what was reported counts."""
        if position > self.reported:
            self.hooks.advance(position - self.reported)
            self.reported = position

    def done(self) -> None:
        self.start(None)
        self.hooks.file_done(self.name)


class _Fetcher:
    def __init__(
        self,
        dest: Path,
        hooks: ProgressHooks,
        retries: int,
        timeout: float,
        mirror: str | None,
    ) -> None:
        self.dest = dest
        self.hooks = hooks
        self.retries = retries
        self.mirror = mirror
        #: Hosts that could not be connected to, in the order they failed.
        self.unreachable: list[str] = []
        #: True once any server answered (whatever the status).
        self.reached_any = False
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            verify=True,
            # The file as the publisher stores it: no transfer compression, so that sizes and
            # byte ranges refer to the saved bytes.
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        )

    def __enter__(self) -> _Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    # One manifest entry --------------------------------------------------------------------

    def fetch(self, entry: ManifestEntry, result: FetchResult) -> None:
        target = self._target(entry)
        part = target.with_name(target.name + PART_SUFFIX)
        progress = _FileProgress(self.hooks, entry.filename)
        url: str | None = None
        try:
            if target.exists() and not part.exists():
                result.skipped.append(target)
                return
            url = self._address(entry)
            if self._download(url, target, part, progress):
                result.downloaded.append(target)
            else:
                result.skipped.append(target)
        except (_Fail, _Unreachable) as exc:
            result.failures.append(_failure(entry, url, exc.reason))
        except OSError as exc:
            reason = f"cannot write {exc.filename or target}: {exc.strerror or exc}"
            result.failures.append(_failure(entry, url, reason))
        finally:
            progress.done()

    def _target(self, entry: ManifestEntry) -> Path:
        target = (self.dest / entry.filename).resolve()
        # Never write outside dest, whatever a manifest (or a symlink in dest) says.
        if not target.is_relative_to(self.dest):
            raise GpequityError(f"{entry.filename} would be saved outside {self.dest}")
        return target

    def _address(self, entry: ManifestEntry) -> str:
        if self.mirror is not None:
            return self.mirror.rstrip("/") + "/" + quote(entry.mirror_path)
        if entry.url is not None:
            return entry.url
        if entry.page is not None and entry.link is not None:
            return self._find_link(entry.page, entry.link)
        where = f" It is published on {entry.page}." if entry.page else ""
        raise _Fail(
            "no download address is known for this file." + where + " Download it by hand "
            f"and save it as {entry.filename} in the destination folder, or use --mirror."
        )

    # Finding a file's address on its publication page -----------------------------------

    def _find_link(self, page: str, pattern: str) -> str:
        body = self._with_retries(page, lambda: self._get_page(page))
        matcher = re.compile(pattern, re.IGNORECASE)
        for href in _links(body):
            address = urljoin(page, href)
            name = unquote(urlsplit(address).path.rsplit("/", 1)[-1])
            if matcher.search(name):
                return address
        raise _Fail(f"no link to the file on its publication page {page}")

    def _get_page(self, page: str) -> str:
        with self.client.stream("GET", page) as response:
            self.reached_any = True
            _raise_for_status(response)
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > PAGE_MAX_BYTES:
                    raise _Fail(f"the publication page {page} is unexpectedly large")
            return bytes(data).decode(response.encoding or "utf-8", errors="replace")

    # Downloading one file -----------------------------------------------------------------

    def _download(self, url: str, target: Path, part: Path, progress: _FileProgress) -> bool:
        """Download ``url`` to ``target`` via ``part``; return False if it was complete."""
        return self._with_retries(url, lambda: self._attempt(url, target, part, progress))

    def _attempt(self, url: str, target: Path, part: Path, progress: _FileProgress) -> bool:
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        with self.client.stream("GET", url, headers=headers) as response:
            self.reached_any = True
            status = response.status_code
            if status == 416 and offset:
                return self._unsatisfiable(response, target, part, offset, progress)
            _raise_for_status(response)
            encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
            if status == 206 and offset:
                start, total = _content_range(response.headers.get("Content-Range", ""))
                if start != offset:
                    # Not the range asked for: start again rather than splice wrong bytes.
                    part.unlink()
                    raise _Retry(f"the server sent bytes from {start}, not from {offset}")
                mode = "ab"
            elif status == 200 or status == 206:
                # 200: the server ignored the range (or there was none): restart from zero.
                offset, mode = 0, "wb"
                total = None if encoded else _content_length(response)
                if status == 206:
                    start, total = _content_range(response.headers.get("Content-Range", ""))
                    if start != 0:
                        raise _Fail(f"unexpected partial content from byte {start}")
            else:
                raise _Fail(f"unexpected HTTP {status} {response.reason_phrase}")
            progress.start(total)
            progress.at(offset)
            self._write(response, part, mode, offset, progress)
        size = part.stat().st_size
        if total is not None and size != total:
            if size > total:
                part.unlink()
            raise _Retry(f"received {size:,} of {total:,} bytes")
        os.replace(part, target)
        return True

    def _write(
        self,
        response: httpx.Response,
        part: Path,
        mode: str,
        offset: int,
        progress: _FileProgress,
    ) -> None:
        part.parent.mkdir(parents=True, exist_ok=True)
        position = offset
        with part.open(mode) as fh:
            try:
                # No chunk size: a re-chunking buffer would lose the bytes it holds when the
                # connection drops, and those are exactly the bytes a resume needs.
                for chunk in response.iter_bytes():
                    fh.write(chunk)
                    position += len(chunk)
                    progress.at(position)
            finally:
                # What arrived is kept for the next attempt to resume from.
                fh.flush()
                os.fsync(fh.fileno())

    def _unsatisfiable(
        self,
        response: httpx.Response,
        target: Path,
        part: Path,
        offset: int,
        progress: _FileProgress,
    ) -> bool:
        """Handle 416 to ``Range: bytes=N-``: the ``.part`` is complete, or wrong."""
        found = _UNSATISFIED_RANGE.match(response.headers.get("Content-Range", "").strip())
        if found and int(found.group(1)) == offset:
            progress.start(offset)
            progress.at(offset)
            os.replace(part, target)
            return False
        # Longer than the remote file (it changed): start again.
        part.unlink()
        raise _Retry("the partial file does not match the remote file; restarting")

    # Retries --------------------------------------------------------------------------------

    def _with_retries(self, url: str, attempt: Callable[[], _T]) -> _T:
        """Run ``attempt`` until it succeeds, retrying what is worth retrying, with backoff."""
        host = urlsplit(url).netloc
        if host in self.unreachable:
            raise _Unreachable(host, f"not tried: {host} could not be reached earlier")
        # Once one host could not be reached and none could, the machine is probably offline:
        # one attempt per further host is enough to tell.
        tries = 1 if self.unreachable and not self.reached_any else self.retries + 1
        last = _Retry("no attempt made")
        never_connected = True
        for number in range(tries):
            if number:
                time.sleep(min(BACKOFF_SECONDS * 2 ** (number - 1), BACKOFF_MAX))
            try:
                return attempt()
            except _Retry as exc:
                last = exc
            except httpx.ConnectError as exc:
                # DNS failure, connection refused, TLS handshake failure: nobody answered.
                last = _Retry(f"cannot connect ({_explain(exc)})", connect=True)
            except httpx.TimeoutException as exc:
                last = _Retry(f"timed out ({type(exc).__name__})")
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                last = _Retry(f"connection lost ({_explain(exc)})")
            except httpx.HTTPError as exc:
                raise _Fail(_explain(exc)) from None
            never_connected = never_connected and last.connect
        attempts = f"{tries} attempt{'s' if tries > 1 else ''}"
        if never_connected:
            self.unreachable.append(host)
            raise _Unreachable(host, f"cannot reach {host} ({attempts}): {last.reason}")
        raise _Fail(f"{last.reason}; gave up after {attempts}")


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status >= 500 or status in RETRYABLE_4XX:
        raise _Retry(f"HTTP {status} {response.reason_phrase}")
    if status >= 400:
        raise _Fail(f"HTTP {status} {response.reason_phrase}")


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _content_range(value: str) -> tuple[int, int | None]:
    found = _CONTENT_RANGE.match(value.strip())
    if not found:
        raise _Fail(f"partial content without a usable Content-Range ({value or 'none'})")
    total = found.group(3)
    return int(found.group(1)), (None if total == "*" else int(total))


def _failure(entry: ManifestEntry, url: str | None, reason: str) -> FetchFailure:
    return FetchFailure(entry.dataset, entry.period, entry.filename, url, reason)


def _explain(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value:
                    self.hrefs.append(value)


def _links(html: str) -> Iterator[str]:
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    yield from parser.hrefs
