"""The built wheel, installed in a fresh venv and served, carries everything a page needs.

A plain ``pip install`` once served unstyled pages (the NHS design system files were only made
by ``make``), an empty method page and an empty library (``content/`` sat outside the package).
This builds the wheel from the checkout, installs it with ``--no-deps`` into a new venv that
sees the project's installed dependencies (a ``.pth`` naming this interpreter's site-packages,
whose own ``.pth`` files, the editable install among them, are not read), then runs that venv's
``gpequity`` from outside the checkout, with no ``PYTHONPATH``: the installed files alone.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

# One xdist worker runs them all (make test's --dist loadgroup): one build, one venv, one server.
pytestmark = [pytest.mark.wheel, pytest.mark.xdist_group("wheel")]

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gpequity"
#: What a fresh clone (plus the vendored assets) does not hold, at the top of the checkout.
NOT_SOURCE = {".git", ".venv", "node_modules", "build", "dist", "data", "test-artifacts"}
#: How long the installed server may take to answer /healthz (a deadline, not a measurement).
START_DEADLINE_SECONDS = 60
#: A CSS ``url(...)`` or a JavaScript module's relative ``import ... from "..."``.
CSS_URL = re.compile(r"url\(\s*[\"']?([^\"')]+)[\"']?\s*\)")
JS_IMPORT = re.compile(r"""(?:import|from)\s*["'](\.{1,2}/[^"']+)["']""")


def _clean_env() -> dict[str, str]:
    """This process's environment without what would let the checkout's source be imported."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "GPEQUITY_CONTENT"}}
    env["COLUMNS"] = "200"
    return env


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_clean_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


def _not_source(folder: str, names: list[str]) -> set[str]:
    """Build output, caches and local data: what ``shutil.copytree`` leaves out."""
    top = NOT_SOURCE if Path(folder) == ROOT else set()
    made = (".egg-info", "_cache", "__pycache__")
    return {n for n in names if n in top or n.endswith(made) or n.startswith(".")}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from the checkout; its ``bin`` folder."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy, so that no build/ or egg-info left in the checkout (setuptools reuses
    # its file list) can put in the wheel a file that pyproject.toml's package data leaves out.
    source = work / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=_not_source)
    dist = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, source], work)
    (wheel,) = dist.glob("gpequity-*.whl")
    env_dir = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], work)
    python = env_dir / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work)
    # The project's dependencies: this interpreter's site-packages, derived from sys.executable.
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib.stdout.strip()) / "gpequity-deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel],
        work,
    )
    return env_dir / "bin"


def test_the_venv_imports_the_installed_wheel_not_the_checkout(venv: Path) -> None:
    where = _run([venv / "python", "-c", "import gpequity; print(gpequity.__file__)"], venv)
    assert Path(where.stdout.strip()).is_relative_to(venv.parent), where.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(venv: Path) -> Iterator[httpx.Client]:
    """``gpequity serve`` of the venv on a free port over a small synthetic warehouse."""
    work = venv.parent.parent
    db = work / "warehouse.duckdb"
    # The installed package's own demo generator and loaders build the warehouse.
    _run(
        [
            venv / "gpequity",
            "data",
            "demo",
            "--out",
            work / "demo",
            "--practices",
            "50",
            "--load",
            "--db",
            db,
        ],
        work,
    )
    port = _free_port()
    log = (work / "serve.log").open("w")
    process = subprocess.Popen(
        [venv / "gpequity", "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port)],
        cwd=work,
        env=_clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while True:
            assert process.poll() is None, (work / "serve.log").read_text()
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (work / "serve.log").read_text()
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)
        log.close()


class _Links(HTMLParser):
    """The stylesheets, scripts and ``/resources/<slug>`` links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "stylesheet" and found.get("href"):
            self.assets.append(str(found["href"]))
        elif tag == "script" and found.get("src"):
            self.assets.append(str(found["src"]))
        elif tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))


def _parse(html: str) -> _Links:
    links = _Links()
    links.feed(html)
    return links


def test_every_stylesheet_and_script_a_page_links_answers_200(server: httpx.Client) -> None:
    health = server.get("/healthz").json()
    assert health["warehouse"] is True and health["synthetic"] is True
    page = server.get("/")
    assert page.status_code == 200
    linked = _parse(page.text).assets
    assert any(a.endswith("nhsuk-frontend.min.css") for a in linked), linked
    assert any(a.endswith("htmx.min.js") for a in linked), linked
    # What the stylesheets and modules load in turn (icons, the NHS frontend's module) too.
    seen: set[str] = set()
    queue = list(linked)
    while queue:
        url = queue.pop()
        if url in seen or urlsplit(url).scheme:
            continue
        seen.add(url)
        answer = server.get(url)
        assert answer.status_code == 200, url
        assert answer.content, f"{url} is empty"
        if url.endswith(".css"):
            queue += [urljoin(url, u) for u in CSS_URL.findall(answer.text) if ":" not in u]
        elif url.endswith((".js", ".mjs")):
            queue += [urljoin(url, u) for u in JS_IMPORT.findall(answer.text)]
    assert any("/assets/" in url for url in seen), "the design system's icons were followed"


def test_the_method_page_has_the_packaged_method_text(server: httpx.Client) -> None:
    page = server.get("/allocate/method")
    assert page.status_code == 200
    method = (PACKAGE / "allocation" / "method.md").read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in method.splitlines() if line.startswith("## ")]
    assert headings
    for heading in headings:
        assert heading in page.text, heading


def test_the_library_lists_the_packaged_resources(server: httpx.Client) -> None:
    page = server.get("/resources")
    assert page.status_code == 200
    slugs = {p.stem for p in (PACKAGE / "library" / "content").glob("*.md")}
    listed = {h.removeprefix("/resources/") for h in _parse(page.text).hrefs} & slugs
    assert len(listed) >= min(len(slugs), 9), (listed, slugs)
    article = server.get(f"/resources/{sorted(slugs)[0]}")
    assert article.status_code == 200
