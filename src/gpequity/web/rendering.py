"""Rendering pages: the Jinja2 environment and the one function routes call to show a page."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from gpequity.warehouse.cache import VersionedCache
from gpequity.warehouse.status import WarehouseStatus
from gpequity.web.presenters import present_layout
from gpequity.web.warehouse import Reading, warehouse_status

TEMPLATES_DIR = Path(__file__).parent / "templates"
#: Where the app serves ``web/static/`` (the route is named ``static``).
STATIC_PREFIX = "/static"
#: Pages kept as rendered (:func:`render_kept`), the least used dropped first: the funding
#: page of every year and total, and the ICBs' profiles (up to about 350 kB each).
PAGES_KEPT = 128
_PAGES = VersionedCache(PAGES_KEPT)


def create_templates() -> Jinja2Templates:
    """The app's templates: autoescaped, and strict, so a misspelt name fails loudly in tests."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    return Jinja2Templates(env=env)


def compile_templates(templates: Jinja2Templates) -> None:
    """Compile every template now (about 6 ms each, kept by Jinja2): a served app does as it
    starts, so that no reader's first page of a kind waits for its template."""
    env = templates.env
    for name in env.list_templates():
        env.get_template(name)


def static_url(path: str) -> str:
    """The URL of a file under ``web/static/`` (site-relative: no host, so pages work offline)."""
    return f"{STATIC_PREFIX}/{path.lstrip('/')}"


def render(
    request: Request, template: str, page: object, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page: its template, with the page's view object and the layout around it."""
    return _render(request, template, page, warehouse_status(request), status_code)


def render_kept(
    request: Request,
    reading: Reading,
    template: str,
    key: Hashable,
    page: Callable[[], object],
) -> HTMLResponse:
    """Render a page whose HTML depends only on the build of the warehouse it reads, its path
    and ``key`` (its query, as read): once per build, then the same HTML from memory. Its
    figures are kept per build already; this keeps the presenting and the template's work
    too (the funding page: about 35 ms of a core, 3 ms once kept)."""
    body = _PAGES.get(
        reading.version,
        (template, request.url.path, key),
        lambda: bytes(render(request, template, page()).body),
    )
    return HTMLResponse(body)


def render_error(request: Request, template: str, page: object, status_code: int) -> HTMLResponse:
    """Render an error page; it must render even when the warehouse itself is what failed."""
    status: WarehouseStatus | None = None
    with contextlib.suppress(Exception):
        status = warehouse_status(request)
    return _render(request, template, page, status, status_code)


def _render(
    request: Request,
    template: str,
    page: object,
    status: WarehouseStatus | None,
    status_code: int,
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    context = {"layout": present_layout(request.url.path, status), "page": page}
    return templates.TemplateResponse(request, template, context, status_code=status_code)
