"""Security headers on every response: page, static file, API JSON, download, error.

The pages load their scripts, styles and images from the site itself and have no inline script
and no ``style`` attribute, so the Content-Security-Policy can be strict: a script injected
into a page would not run, and no other site may frame a page (clickjacking). The one inline
``<style>`` is the datapack's stylesheet, a file of the package allowed by its hash; htmx is
told not to add its own (``htmx-config`` in ``base.html``). See "Security headers" in
``docs/web.md``.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpequity.reports.render import stylesheet as datapack_stylesheet

ErrorHandler = Callable[[Request, Any], Response | Awaitable[Response]]

#: Features no page uses, refused to the page and anything it embeds.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


def style_hash(css: str) -> str:
    """The CSP source allowing one inline ``<style>`` whose text is exactly ``css``."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@cache
def content_security_policy() -> str:
    """Everything from the site itself, nothing inline but the datapack's stylesheet.

    ``data:`` images: the page's empty favicon (``<link rel="icon" href="data:,">``), which
    stops the browser asking for ``/favicon.ico``.
    """
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": f"'self' {style_hash(datapack_stylesheet())}",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@cache
def security_headers() -> dict[str, str]:
    """The headers sent with every response."""
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        # For browsers that predate frame-ancestors.
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }


def _add_headers(headers: MutableHeaders) -> None:
    for name, value in security_headers().items():
        if name not in headers:  # a response that sets its own keeps it
            headers[name] = value


class SecurityHeaders:
    """ASGI middleware adding :func:`security_headers` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_headers(handler: ErrorHandler) -> ErrorHandler:
    async def handle(request: Request, exc: Exception) -> Response:
        answer = handler(request, exc)
        response = await answer if inspect.isawaitable(answer) else answer
        _add_headers(response.headers)
        return response

    return handle


def add_security_headers(app: FastAPI) -> None:
    """Send :func:`security_headers` with every response of ``app``.

    Call it after the app's exception handlers are added: Starlette answers an unexpected
    error (the 500 page) outside every middleware, so that handler is wrapped too.
    """
    app.add_middleware(SecurityHeaders)
    for key in (Exception, 500):
        handler = app.exception_handlers.get(key)
        if handler is not None:
            app.exception_handlers[key] = _with_headers(handler)
