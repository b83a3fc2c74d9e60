"""The web app: FastAPI, Jinja2 templates in the NHS design system, static files, error pages.

``create_app`` wires the parts together; the pages are in ``routes/``, what they show is
decided in ``presenters.py``, and the markup is in ``templates/``. See ``docs/web.md``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from gpequity import __version__, config
from gpequity.library import Library
from gpequity.reports.batch import BackgroundPacks
from gpequity.web import site
from gpequity.web.api_errors import SERVER_ERROR, error_response, http_error_detail, is_api_path
from gpequity.web.presenters import present_error
from gpequity.web.rendering import (
    STATIC_PREFIX,
    compile_templates,
    create_templates,
    render_error,
)
from gpequity.web.routes import ROUTERS, api
from gpequity.web.security import add_security_headers
from gpequity.web.warehouse import (
    UNREADABLE,
    SharedWarehouse,
    WarehouseUnavailable,
    WarehouseUnreadable,
)
from gpequity.web.warm import start_warm_up

STATIC_DIR = Path(__file__).parent / "static"
#: Written by ``tools/vendor_assets.py`` (``make assets``): the design system's CSS and JS.
VENDOR_STYLESHEET = STATIC_DIR / "vendor" / "nhsuk-frontend" / "nhsuk-frontend.min.css"

logger = logging.getLogger(__name__)


def create_app(
    db_path: Path | None = None, *, content_dir: Path | None = None, warm: bool = False
) -> FastAPI:
    """The web app serving the warehouse at ``db_path`` (default: ``gpequity.config.db_path``).

    The warehouse need not exist yet: pages then say that no data is loaded, and pick it up as
    soon as ``gpequity data load`` has built it.

    ``content_dir`` is the library's folder of resources (default: the package's
    ``library/content/``, or ``GPEQUITY_CONTENT``); a malformed resource stops the app here,
    naming file and field.

    ``warm`` computes the figures most pages need in the background as the app starts
    (:mod:`gpequity.web.warm`), as ``gpequity serve`` does.
    """
    warehouse = SharedWarehouse(config.db_path(db_path))
    packs = BackgroundPacks()  # the datapack PDFs, made in the background (routes/datapack.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_warming = start_warm_up(warehouse) if warm else None
        if warm:
            packs.start()
            compile_templates(app.state.templates)  # about 0.2 s, before the first reader
        yield
        if stop_warming is not None:
            stop_warming()
        packs.close()
        warehouse.close()

    # The interactive API docs load their scripts from a CDN; every page must work offline.
    app = FastAPI(
        title=site.SERVICE_NAME,
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=api.OPENAPI_PATH,
        lifespan=lifespan,
    )
    app.state.warehouse = warehouse
    app.state.datapack_pdfs = packs
    app.state.templates = create_templates()
    app.state.library = Library.load(content_dir)  # the resource library, /resources
    if not VENDOR_STYLESHEET.is_file():
        logger.warning(
            "%s is missing: pages will have no styles. Run 'make assets' (npm ci and "
            "tools/vendor_assets.py).",
            VENDOR_STYLESHEET,
        )
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(api.router)  # the JSON API and its documentation page, /api/docs
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(WarehouseUnavailable, warehouse_unavailable)
    app.add_exception_handler(WarehouseUnreadable, warehouse_unreadable)
    app.add_exception_handler(Exception, server_error)
    add_security_headers(app)  # last: it also wraps the error handlers above
    return app


def serving_app() -> FastAPI:
    """The app ``gpequity serve`` runs in each of its worker processes (uvicorn imports it by
    name, ``gpequity.web.app:serving_app``): the warehouse of ``GPEQUITY_DB``, opened
    read-only, with its results warmed in the background."""
    return create_app(warm=True)


async def http_error(request: Request, exc: Exception) -> Response:
    """404 and every other HTTP error: a page of the site, or JSON under ``/api/``."""
    code = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    response: Response
    if is_api_path(request.url.path):
        response = error_response(code, http_error_detail(code))
    else:
        template = "errors/404.html" if code == 404 else "errors/error.html"
        response = render_error(request, template, present_error(code), code)
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response


async def warehouse_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The JSON API without a readable warehouse: 503 ``{"detail": "..."}``."""
    detail = exc.detail if isinstance(exc, WarehouseUnavailable) else str(exc)
    return JSONResponse({"detail": detail}, status_code=503)


async def warehouse_unreadable(request: Request, exc: Exception) -> Response:
    """A warehouse file that cannot be read (damaged, or being replaced by hand): 503, a page
    or JSON that names neither the file nor DuckDB's error (the log has both); it was a 500."""
    logger.error("%s: %s", request.url.path, exc)
    if is_api_path(request.url.path):
        return error_response(503, UNREADABLE)
    return render_error(request, "errors/500.html", present_error(503), 503)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected error: a page of the site (JSON under ``/api/``), never a traceback (which
    goes to the log)."""
    if is_api_path(request.url.path):
        return error_response(500, SERVER_ERROR)
    return render_error(request, "errors/500.html", present_error(500), 500)
