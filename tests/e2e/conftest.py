"""The real-browser harness: a demo warehouse, the app on a local port, headless Chromium, axe.

Fixtures for every browser test (all in this folder):

- ``e2e_db`` (session): a synthetic warehouse built from ``generate_demo(seed=7, practices=400)``
  with the same loaders as the real files;
- ``live_server`` (session): the app serving ``e2e_db`` on 127.0.0.1, a free port
  (``.url``, ``.db_path``); ``base_url`` is its URL;
- ``browser`` (session): headless Chromium (Debian's ``/usr/bin/chromium``);
- ``context`` / ``page``: a fresh browser context and page whose relative URLs go to the app;
  the page fails its test on any request leaving 127.0.0.1, any uncaught script error and any
  console error (a missing file, a broken module);
- ``nojs_context`` / ``nojs_page``: the same with JavaScript disabled, to check that a page
  and its forms work without it;
- ``assert_no_axe_violations``: ``assert_no_axe_violations(page)`` runs axe-core on the page
  (WCAG 2.0/2.1/2.2 A and AA) and fails with a readable list of the violations.

Every test here is marked ``e2e`` and grouped on one xdist worker (``--dist loadgroup``), so
the warehouse, server and browser are built once. Without Chromium the tests skip with the
reason, except in CI (``CI`` set) where they must run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Response,
    Route,
    expect,
    sync_playwright,
)

from gpequity.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
#: Debian's Chromium (``.ci/run`` installs it); ``GPEQUITY_CHROMIUM`` points elsewhere.
CHROMIUM = Path(os.environ.get("GPEQUITY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: axe-core, installed by ``npm ci`` (a devDependency in package.json; never served).
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: The design system's stylesheet, vendored by ``tools/vendor_assets.py``.
VENDORED_CSS = ROOT / "src/gpequity/web/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css"
#: Where a failing test's screenshot is saved (gitignored).
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
DEMO_SEED = 7
DEMO_PRACTICES = 400
SERVER_START_SECONDS = 30.0
ACTION_TIMEOUT_MS = 15_000
# An assertion waits as long as an action: a page's figures for a year not asked before are
# computed on request, and on a busy two-core machine running the other tests beside them that
# took over the default 5 s (the funding page's change of year failed so in a full run).
expect.set_options(timeout=ACTION_TIMEOUT_MS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``e2e`` and keep them on one xdist worker.

    First, so that ``-m`` and xdist's ``--dist loadgroup`` see the marks.
    """
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group(name="e2e"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Keep each phase's report on the test, so fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the warehouse and the server -------------------------------------------------------------


@pytest.fixture(scope="session")
def e2e_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic warehouse: the demo files for 400 practices, loaded by the real loaders."""
    from gpequity.sources.demo import generate_demo
    from gpequity.warehouse.build import build_warehouse

    demo_dir = tmp_path_factory.mktemp("demo")
    generate_demo(demo_dir, seed=DEMO_SEED, practices=DEMO_PRACTICES)
    db = tmp_path_factory.mktemp("warehouse") / "gpequity.duckdb"
    # The demo folder's SYNTHETIC marker flags the warehouse, as in `make demo`.
    build_warehouse(db, [demo_dir])
    return db


@dataclass(frozen=True)
class LiveServer:
    """The app running on a local port."""

    url: str
    db_path: Path


@contextlib.contextmanager
def serving(db: Path) -> Iterator[str]:
    """``create_app(db)`` served by uvicorn on 127.0.0.1 in a background thread: its URL,
    once ``/healthz`` reports the warehouse (a module with a warehouse of its own uses it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Bound here and handed to uvicorn, so no other process can take the port in between.
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, thread)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def live_server(e2e_db: Path) -> Iterator[LiveServer]:
    """The demo warehouse's app on a local port (:func:`serving`)."""
    with serving(e2e_db) as url:
        yield LiveServer(url=url, db_path=e2e_db)


def wait_until_healthy(url: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    last_error = "no answer"
    while time.monotonic() < deadline:
        if not thread.is_alive():
            pytest.fail("the app's server stopped while starting (see the log above)")
        try:
            response = httpx.get(f"{url}/healthz", timeout=2)
            if response.status_code == 200 and response.json().get("warehouse"):
                return
            last_error = f"{response.status_code} {response.text}"
        except httpx.HTTPError as exc:
            last_error = str(exc)
        time.sleep(0.1)
    pytest.fail(
        f"{url}/healthz did not report a warehouse in {SERVER_START_SECONDS}s: {last_error}"
    )


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """The running app's URL, ``http://127.0.0.1:PORT`` (no trailing slash)."""
    return live_server.url


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by the session (a ``playwright.sync_api.Browser``)."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the browser tests must run: {reason}")
        pytest.skip(reason)
    if not VENDORED_CSS.is_file():
        pytest.fail(f"{VENDORED_CSS} is missing: run 'make assets' before the browser tests")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageWatch:
    """What went wrong on a page that its test did not look at."""

    external_requests: list[str]
    errors: list[str]

    def problems(self) -> list[str]:
        return [f"request left the local server: {u}" for u in self.external_requests] + [
            f"browser error: {e}" for e in self.errors
        ]


def _new_context(
    browser: Browser, base_url: str, *, java_script_enabled: bool = True
) -> tuple[BrowserContext, PageWatch]:
    context = browser.new_context(base_url=base_url, java_script_enabled=java_script_enabled)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    watch = PageWatch(external_requests=[], errors=[])

    def only_local(route: Route) -> None:
        # Pages must work offline: anything fetched from elsewhere is a bug, and is refused.
        url = route.request.url
        if url.startswith((base_url + "/", "data:", "blob:")) or url == base_url:
            route.continue_()
        else:
            watch.external_requests.append(url)
            route.abort()

    context.route("**/*", only_local)
    return context, watch


def _watch_page(page: Page, watch: PageWatch) -> None:
    def on_console(message: ConsoleMessage) -> None:
        # A failed load is reported by on_response, which can tell the page (whose status its
        # test checks: a 404 page is meant to be a 404) from the files it needs.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            watch.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def on_page_error(error: Error) -> None:
        watch.errors.append(f"uncaught: {error.message}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            watch.errors.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)


def _finish_page(request: pytest.FixtureRequest, page: Page, watch: PageWatch) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    problems = watch.problems()
    if problems:
        pytest.fail("the page had problems its test did not check:\n" + "\n".join(problems))


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A fresh browser context (``BrowserContext``); relative URLs go to the app."""
    ctx, _ = _new_context(browser, base_url)
    yield ctx
    ctx.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Page]:
    """A page (``playwright.sync_api.Page``) in a fresh context: ``page.goto("/data")``.

    The test fails if the page fetched anything from outside the app, or had a script or
    console error; a screenshot of a failing test goes to ``test-artifacts/e2e/``.
    """
    ctx, watch = _new_context(browser, base_url)
    new_page = ctx.new_page()
    _watch_page(new_page, watch)
    yield new_page
    try:
        _finish_page(request, new_page, watch)
    finally:
        ctx.close()


@pytest.fixture
def nojs_context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A browser context with JavaScript disabled."""
    ctx, _ = _new_context(browser, base_url, java_script_enabled=False)
    yield ctx
    ctx.close()


@pytest.fixture
def nojs_page(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Page]:
    """A page with JavaScript disabled, checked like ``page``."""
    ctx, watch = _new_context(browser, base_url, java_script_enabled=False)
    new_page = ctx.new_page()
    _watch_page(new_page, watch)
    yield new_page
    try:
        _finish_page(request, new_page, watch)
    finally:
        ctx.close()


# --- accessibility ------------------------------------------------------------------------------


def assert_no_axe_violations(page: Page, *, exclude: list[str] | None = None) -> None:
    """Run axe-core on the page (WCAG 2.0, 2.1, 2.2 A and AA); fail listing every violation.

    ``exclude``: CSS selectors of parts axe should not check (say why where you use it).
    """
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run 'npm ci --no-audit --no-fund'")
    # Evaluated, not added as a <script>: the site's Content-Security-Policy refuses inline
    # scripts, and evaluation from the test harness is outside its reach.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    context = {"exclude": [[s] for s in exclude]} if exclude else {"exclude": []}
    results = page.evaluate(
        """async ([context, tags]) => await axe.run(context, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        [context, AXE_TAGS],
    )
    violations = results["violations"]
    if violations:
        pytest.fail(f"axe found accessibility violations on {page.url}:\n" + describe(violations))


def describe(violations: list[dict[str, object]]) -> str:
    """A readable list: rule, impact, what is wrong, and each offending element."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{v.get('helpUrl')}]")
        nodes = v.get("nodes")
        assert isinstance(nodes, list)
        for node in nodes:
            target = json.dumps(node.get("target"))
            lines.append(f"    at {target}: {node.get('html')}")
            summary = str(node.get("failureSummary") or "").strip()
            for text in summary.splitlines():
                lines.append(f"      {text.strip()}")
    return "\n".join(lines)


@pytest.fixture(name="assert_no_axe_violations")
def assert_no_axe_violations_fixture() -> Callable[..., None]:
    """``assert_no_axe_violations(page, exclude=None)`` (see the function of that name)."""
    return assert_no_axe_violations
