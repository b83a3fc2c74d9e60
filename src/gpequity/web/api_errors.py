"""Errors of the JSON API: always JSON, in the shapes ``api_schema`` documents, never a page and
never a traceback. Shared by the routers of ``routes/api.py`` and ``routes/api_public.py``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from http import HTTPStatus
from typing import Any

import duckdb
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from gpequity.allocation import InputProblem
from gpequity.web.warehouse import UNREADABLE, WarehouseUnavailable

logger = logging.getLogger(__name__)

#: Engine fields and the request fields they come from.
BODY_FIELD_OF = {"icb_code": "icb", "practices": "icb"}
#: ``components[1].weight`` -> ``components``, ``1``, ``weight``.
FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
#: FastAPI answers a body it cannot decode (not UTF-8) with this 400, as an HTML page of the
#: site; the API says instead what it says of any other malformed JSON: a 422 on the body.
UNREADABLE_BODY = "The body is not JSON: it must be UTF-8 text."
#: Every path of the JSON API starts so; an error under it is JSON, whatever went wrong.
API_ROOT = "/api/"
#: The ``detail`` of an unexpected failure (the log has the traceback).
SERVER_ERROR = "Something went wrong on our side; the error has been logged."
#: The ``detail`` of an HTTP error of the API with no route to explain it, by status.
HTTP_DETAILS = {
    HTTPStatus.NOT_FOUND: "There is no such address in the API; GET /api/openapi.json lists "
    "its paths (or read /api/docs).",
    HTTPStatus.METHOD_NOT_ALLOWED: "This address of the API does not take this method; the "
    "'allow' header lists those it takes.",
}


def is_api_path(path: str) -> bool:
    """Whether ``path`` is in the JSON API (so its errors are JSON)."""
    return path.startswith(API_ROOT) or path == API_ROOT.rstrip("/")


def http_error_detail(status: int) -> str:
    """The ``detail`` of an HTTP error of the API, in words (never the server's own text)."""
    if status in HTTP_DETAILS:
        return HTTP_DETAILS[HTTPStatus(status)]
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "The request could not be answered."


#: An endpoint's attribute: its second look at a body that failed validation, giving the
#: problems of the fields that were valid (``more(request, body, errors)``), so that one 422
#: lists every problem at once (issue 11).
MORE_PROBLEMS = "more_problems"
MoreProblems = Callable[[Request, Any, Sequence[Any]], list[dict[str, Any]]]


def _validation_errors(
    error: RequestValidationError, more: Sequence[dict[str, Any]] = ()
) -> JSONResponse:
    detail = [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in error.errors()
    ]
    return JSONResponse({"detail": [*detail, *more]}, status_code=HTTPStatus.UNPROCESSABLE_ENTITY)


def _more_problems(endpoint: Any, request: Request, error: RequestValidationError) -> list[Any]:
    """The endpoint's further problems with a body that failed validation (none when it has no
    second look, or the look itself fails: the validation errors are answered anyway)."""
    more: MoreProblems | None = getattr(endpoint, MORE_PROBLEMS, None)
    if more is None:
        return []
    try:
        return more(request, error.body, error.errors())
    except Exception:
        logger.exception("the second look at %s's body failed", request.url.path)
        return []


class JsonErrorsRoute(APIRoute):
    """A route whose errors are always JSON: never a page, never a traceback.

    Request-validation errors are a 422 that can be encoded: FastAPI's own answer echoes each
    wrong ``input``, and an input of ``NaN`` or ``Infinity`` (which Python's JSON parser
    accepts) cannot be written back as JSON: that was a 500. Here each error keeps its ``loc``,
    ``msg`` and ``type`` only. A body that is not UTF-8 is a 422 too (FastAPI's 400 was an HTML
    page). A warehouse that fails while it is read is a 503, any other failure a 500, each with
    a ``detail`` that shows nothing of the server (the log has it).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                return _validation_errors(error, _more_problems(self.endpoint, request, error))
            except StarletteHTTPException as error:
                if error.status_code == HTTPStatus.BAD_REQUEST:
                    unreadable = {"loc": ["body"], "msg": UNREADABLE_BODY, "type": "json_invalid"}
                    return JSONResponse(
                        {"detail": [unreadable]}, status_code=HTTPStatus.UNPROCESSABLE_ENTITY
                    )
                raise  # answered by the app's handlers
            except WarehouseUnavailable:
                raise  # answered by the app's handler: 503
            except duckdb.Error:
                logger.exception("the API could not read the warehouse")
                return JSONResponse(
                    {"detail": UNREADABLE}, status_code=HTTPStatus.SERVICE_UNAVAILABLE
                )
            except Exception:
                logger.exception("unexpected error in %s", request.url.path)
                return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, SERVER_ERROR)

        return handle


def _loc(field: str) -> list[str | int]:
    parts: list[str | int] = ["body"]
    for name, index in FIELD_PART.findall(field):
        parts.append(int(index) if index else BODY_FIELD_OF.get(name, name))
    return parts


def problems_response(
    problems: Sequence[InputProblem],
    status: int = HTTPStatus.UNPROCESSABLE_ENTITY,
    where: str = "body",
) -> JSONResponse:
    """The service's input problems as ``{"detail": [{"loc", "msg"}, ...]}``, each ``loc``
    naming the request's field (``["body", "components", 0, "weight"]``)."""
    return JSONResponse({"detail": problems_detail(problems, where)}, status_code=status)


def problems_detail(
    problems: Sequence[InputProblem], where: str = "body", *within: str | int
) -> list[dict[str, Any]]:
    """The ``detail`` entries of :func:`problems_response`; ``within`` names the part of the
    body the problems are about (``"a"`` for scenario A of a comparison)."""
    detail = []
    for problem in problems:
        loc = _loc(problem.field)
        detail.append({"loc": [where, *within, *loc[1:]], "msg": problem.message})
    return detail


def error_response(status: int, detail: str) -> JSONResponse:
    """``{"detail": "..."}`` with ``status``."""
    return JSONResponse({"detail": detail}, status_code=status)
