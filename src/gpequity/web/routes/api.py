"""The JSON API: ``POST /api/v1/allocations``, ``GET /api/v1/icbs``, ``GET /api/v1/indicators``.

The same engine as the web tool and the CLI
(:func:`~gpequity.allocation.catalogue.allocate_scenario`);
the allocation's JSON is :func:`~gpequity.allocation.catalogue.outcome_as_dict`, exactly what
``gpequity allocate --format json`` prints.

Errors are JSON, never a page and never a traceback:

* 422 ``{"detail": [{"loc": ["body", "components", 0, "weight"], "msg": "..."}, ...]}`` for
  every bad field, whether pydantic finds it (types, unknown fields, malformed JSON) or the
  engine does (weights not adding to 100, an amount with fractions of a penny, an unknown
  indicator or ICB);
* 404 for an unknown ICB in ``GET /api/v1/indicators?icb=...``;
* 503 ``{"detail": "..."}`` when no warehouse is loaded (or it cannot be read).

The documentation is at ``/api/docs``: a plain page generated from the OpenAPI schema
(``/api/openapi.json``), served by the app itself, since the usual interactive pages load their
scripts from a CDN and every page of the site must work offline.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from decimal import Decimal
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from gpequity.allocation import (
    AllocationInputError,
    Baseline,
    Direction,
    InputProblem,
    Method,
    MissingPolicy,
)
from gpequity.allocation.catalogue import (
    OLDEST_AGE,
    ComponentChoice,
    Scenario,
    Sex,
    TargetPopulation,
    UnknownIcbError,
    allocate_scenario,
    build_catalogue,
    list_icbs,
    outcome_as_dict,
)
from gpequity.web.warehouse import (
    UNREADABLE,
    Reading,
    WarehouseUnavailable,
    reading_or_unavailable,
)

logger = logging.getLogger(__name__)

PREFIX = "/api/v1"
DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"
#: Engine fields and the request fields they come from.
BODY_FIELD_OF = {"icb_code": "icb", "practices": "icb"}
#: ``components[1].weight`` -> ``components``, ``1``, ``weight``.
FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class JsonErrorsRoute(APIRoute):
    """A route whose errors are always JSON: never a page, never a traceback.

    Request-validation errors are a 422 that can be encoded: FastAPI's own answer echoes each
    wrong ``input``, and an input of ``NaN`` or ``Infinity`` (which Python's JSON parser
    accepts) cannot be written back as JSON: that was a 500. Here each error keeps its ``loc``,
    ``msg`` and ``type`` only. A warehouse that fails while it is read is a 503, any other
    failure a 500, each with a ``detail`` that shows nothing of the server (the log has it).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                detail = [
                    {
                        "loc": list(e.get("loc", ())),
                        "msg": str(e.get("msg", "")),
                        "type": str(e.get("type", "")),
                    }
                    for e in error.errors()
                ]
                return JSONResponse({"detail": detail}, status_code=422)
            except (StarletteHTTPException, WarehouseUnavailable):
                raise  # answered by the app's handlers
            except duckdb.Error:
                logger.exception("the API could not read the warehouse")
                return JSONResponse({"detail": UNREADABLE}, status_code=503)
            except Exception:
                logger.exception("unexpected error in %s", request.url.path)
                return JSONResponse(
                    {"detail": "Something went wrong on our side; the error has been logged."},
                    status_code=500,
                )

        return handle


router = APIRouter(tags=["eFIT allocation"], route_class=JsonErrorsRoute)


# --- request and response models ------------------------------------------------------------


class ComponentIn(BaseModel):
    """One component: a catalogue id (``GET /api/v1/indicators``), a weight, a direction."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="Indicator id, e.g. imd or population.")
    weight: Decimal = Field(description="Weight in percent; the weights add up to 100.")
    direction: Direction | None = Field(
        default=None,
        description="higher or lower = more need [default: the indicator's own direction].",
    )


#: The example body shown in the documentation.
EXAMPLE_BODY: dict[str, Any] = {
    "icb": "QHM",
    "amount": "250000",
    "method": "recommended",
    "components": [
        {"id": "imd", "weight": 50},
        {"id": "hypertension-prevalence", "weight": 50},
    ],
    "sex": "all",
    "age_from": 0,
    "age_to": None,
    "missing_policy": "impute_median",
    "excluded_practices": [],
    "baseline": "per_head",
}


class AllocationIn(BaseModel):
    """An allocation to compute: an amount for an ICB, split by one to three components."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [EXAMPLE_BODY]},
    )

    icb: str = Field(min_length=1, description="ICB code (GET /api/v1/icbs).")
    amount: Decimal = Field(description="Pounds, more than 0, at most two decimals.")
    method: Method = Method.RECOMMENDED
    components: list[ComponentIn]
    sex: Sex = Sex.ALL
    age_from: int = Field(default=0, ge=0, le=OLDEST_AGE)
    age_to: int | None = Field(
        default=None,
        ge=0,
        le=OLDEST_AGE,
        description=f"Oldest age; null = and over ({OLDEST_AGE}+).",
    )
    missing_policy: MissingPolicy = MissingPolicy.IMPUTE_MEDIAN
    excluded_practices: list[str] = Field(
        default_factory=list, description="Practice codes to leave out."
    )
    baseline: Baseline = Baseline.PER_HEAD


class ComponentOut(BaseModel):
    id: str
    name: str
    weight: float
    direction: str
    unit: str
    kind: str
    source: str | None
    period: str | None
    amount: float = Field(description="The component's pot, in pounds.")
    need_rule: str


class CellOut(BaseModel):
    id: str
    value: float | None
    imputed: bool
    excluded: bool
    part: float
    note: str | None


class PracticeOut(BaseModel):
    practice_code: str
    practice_name: str
    pcn_code: str | None
    pcn_name: str | None
    imd_score: float | None
    imd_quintile: int | None
    target_population: float
    weighted_population: float | None
    components: list[CellOut]
    allocation: float
    allocation_per_patient: float
    baseline: float
    difference: float


class QuintileOut(BaseModel):
    quintile: int | None
    label: str
    practices: int
    target_population: float
    population_share: float
    allocation: float
    money_share: float
    allocation_per_patient: float | None


class ExcludedOut(BaseModel):
    practice_code: str
    practice_name: str
    reason: str


class PcnOut(BaseModel):
    pcn_code: str | None
    pcn_name: str | None
    practices: int
    target_population: float
    allocation: float
    baseline: float
    difference: float


class InputsOut(BaseModel):
    icb_name: str
    method_label: str
    sex: str
    age_from: int
    age_to: int | None
    target_population: str
    population_source: str
    missing_policy: str
    baseline: str
    excluded_practices: list[str]
    description: list[str]


class AllocationOut(BaseModel):
    """The allocation, as ``gpequity allocate --format json`` prints it."""

    icb: str
    amount: float
    method: str
    components: list[ComponentOut]
    practices: list[PracticeOut]
    by_quintile: list[QuintileOut]
    concentration_index: float | None
    excluded: list[ExcludedOut]
    by_pcn: list[PcnOut]
    inputs: InputsOut


class IcbOut(BaseModel):
    code: str
    name: str
    practices: int
    source: str | None
    first_period: str | None


class IndicatorOut(BaseModel):
    id: str
    name: str
    unit: str
    direction: str
    period: str | None
    source: str
    coverage: float | None


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class FieldErrors(BaseModel):
    detail: list[ErrorItem]


class Unavailable(BaseModel):
    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": FieldErrors, "description": "A field is wrong: one entry per problem."},
    503: {"model": Unavailable, "description": "No warehouse is loaded."},
}


# --- errors as JSON --------------------------------------------------------------------------


def _loc(field: str) -> list[str | int]:
    parts: list[str | int] = ["body"]
    for name, index in FIELD_PART.findall(field):
        parts.append(int(index) if index else BODY_FIELD_OF.get(name, name))
    return parts


def _problems_response(
    problems: Sequence[InputProblem], status: int = 422, where: str = "body"
) -> JSONResponse:
    detail = []
    for problem in problems:
        loc = _loc(problem.field)
        loc[0] = where
        detail.append({"loc": loc, "msg": problem.message})
    return JSONResponse({"detail": detail}, status_code=status)


#: The 503 answer without a warehouse (one that cannot be read: ``web.warehouse.UNREADABLE``).
NO_DATA = (
    "No data is loaded yet: build the warehouse with 'gpequity data load --source DIR' "
    "(or 'gpequity data demo --load')."
)
#: A route's parameter: the request's cursor on the warehouse; 503 without one.
ApiReading = Annotated[Reading, Depends(reading_or_unavailable(NO_DATA))]


# --- the routes ---------------------------------------------------------------------------


@router.post(
    f"{PREFIX}/allocations",
    response_model=AllocationOut,
    responses=ERROR_RESPONSES,
    summary="Allocate an amount across an ICB's practices",
)
def create_allocation(reading: ApiReading, body: AllocationIn) -> JSONResponse:
    """Split ``amount`` across the ICB's practices by the chosen components and method.

    ``method`` is ``recommended`` (shares of need) or ``efit-classic`` (the published eFIT
    tool's formula). The target population is ``sex`` and ages ``age_from`` to ``age_to``.
    Allocations add up to the amount to the penny; each practice is shown beside the
    ``baseline`` (``per_head`` or ``weighted_population``).
    """
    scenario = Scenario(
        icb_code=body.icb,
        amount=body.amount,
        components=tuple(ComponentChoice(c.id, c.weight, c.direction) for c in body.components),
        method=body.method,
        target=TargetPopulation(body.sex, body.age_from, body.age_to),
        missing_policy=body.missing_policy,
        excluded_practices=frozenset(body.excluded_practices),
        baseline=body.baseline,
    )
    try:
        outcome = allocate_scenario(reading.con, scenario)
    except AllocationInputError as error:
        return _problems_response(error.problems)
    return JSONResponse(outcome_as_dict(outcome))


@router.get(
    f"{PREFIX}/icbs",
    response_model=list[IcbOut],
    responses={503: ERROR_RESPONSES[503]},
    summary="The ICBs",
)
def get_icbs(reading: ApiReading) -> JSONResponse:
    """The ICBs of the newest data loaded (those of April 2026 with the eFIT files), by name."""
    return JSONResponse([i.as_dict() for i in list_icbs(reading.con)])


@router.get(
    f"{PREFIX}/indicators",
    response_model=list[IndicatorOut],
    responses={
        404: {"model": FieldErrors, "description": "Unknown ICB."},
        503: ERROR_RESPONSES[503],
    },
    summary="The indicators an ICB's allocation can use",
)
def get_indicators(
    reading: ApiReading,
    icb: str = Query(min_length=1, description="ICB code, e.g. QHM."),
) -> JSONResponse:
    """The indicator catalogue of the ICB: ids for ``components``, with unit, default
    direction, period, source and coverage (share of the ICB's practices with a value)."""
    try:
        entries = build_catalogue(reading.con, icb)
    except UnknownIcbError as error:
        problems = [InputProblem("icb", p.message) for p in error.problems]
        return _problems_response(problems, 404, where="query")
    return JSONResponse([e.as_dict() for e in entries])


# --- the documentation page -------------------------------------------------------------------


#: ``literal`` in a docstring, shown as code.
LITERAL = re.compile(r"``(.+?)``")


def _prose(text: str) -> str:
    """A docstring as HTML: escaped, with its ``literals`` as ``<code>``."""
    return LITERAL.sub(r"<code>\1</code>", html.escape(text))


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return str(schema.get("type", "any"))


def _models_html(components: dict[str, Any]) -> str:
    out = []
    for name, schema in sorted(components.items()):
        rows = []
        required = set(schema.get("required", []))
        for field_name, field in schema.get("properties", {}).items():
            default = f" (default {json.dumps(field['default'])})" if "default" in field else ""
            rows.append(
                "<tr class='nhsuk-table__row'>"
                f"<td class='nhsuk-table__cell'><code>{html.escape(field_name)}</code></td>"
                f"<td class='nhsuk-table__cell'>{html.escape(_schema_name(field))}"
                f"{' (required)' if field_name in required else html.escape(default)}</td>"
                f"<td class='nhsuk-table__cell'>{_prose(field.get('description', ''))}</td>"
                "</tr>"
            )
        if "enum" in schema:
            rows.append(
                "<tr class='nhsuk-table__row'><td class='nhsuk-table__cell' colspan='3'>one of "
                + html.escape(", ".join(str(v) for v in schema["enum"]))
                + "</td></tr>"
            )
        out.append(
            f"<h3 id='model-{html.escape(name)}'>{html.escape(name)}</h3>"
            f"<p>{_prose(schema.get('description', ''))}</p>"
            "<table class='nhsuk-table'><thead class='nhsuk-table__head'><tr>"
            "<th scope='col'>field</th><th scope='col'>type</th><th scope='col'>about</th>"
            f"</tr></thead><tbody class='nhsuk-table__body'>{''.join(rows)}</tbody></table>"
        )
    return "".join(out)


def api_docs_html(schema: dict[str, Any]) -> str:
    """A self-contained reference page of the API, from its OpenAPI schema (no scripts)."""
    sections = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            params = "".join(
                f"<li><code>{html.escape(p['name'])}</code> ({html.escape(p['in'])}"
                f"{', required' if p.get('required') else ''}): "
                f"{html.escape(p.get('description', ''))}</li>"
                for p in operation.get("parameters", [])
            )
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            body_html = ""
            if body:
                body_html = f"<p>Body: {html.escape(_schema_name(body.get('schema', {})))}</p>"
                if method == "post":
                    body_html += (
                        "<pre><code>"
                        + html.escape(json.dumps(EXAMPLE_BODY, indent=2))
                        + "</code></pre>"
                    )
            responses = "".join(
                f"<li>{html.escape(code)}: {html.escape(r.get('description', ''))}"
                + (
                    f" ({html.escape(_schema_name(r['content']['application/json']['schema']))})"
                    if "content" in r and "application/json" in r["content"]
                    else ""
                )
                + "</li>"
                for code, r in operation.get("responses", {}).items()
            )
            sections.append(
                f"<h2><code>{html.escape(method.upper())} {html.escape(path)}</code></h2>"
                f"<p><strong>{html.escape(operation.get('summary', ''))}</strong></p>"
                f"<p>{_prose(operation.get('description', ''))}</p>"
                + (f"<p>Parameters:</p><ul>{params}</ul>" if params else "")
                + body_html
                + f"<p>Responses:</p><ul>{responses}</ul>"
            )
    models = _models_html(schema.get("components", {}).get("schemas", {}))
    title = html.escape(f"{schema.get('info', {}).get('title', 'gpequity')} API")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title>"
        "<link rel='stylesheet' href='/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css'>"
        "</head><body><main class='nhsuk-width-container nhsuk-main-wrapper' id='maincontent'>"
        f"<h1>{title}</h1>"
        "<p>JSON in, JSON out. Errors are JSON: 422 with one "
        '<code>{"loc", "msg"}</code> entry per wrong field, 404 for an unknown ICB, 503 '
        f"when no data is loaded. The machine-readable schema is <a href='{OPENAPI_PATH}'>"
        f"{OPENAPI_PATH}</a>.</p>"
        + "".join(sections)
        + f"<h2>Models</h2>{models}</main></body></html>"
    )


@router.get(DOCS_PATH, response_class=HTMLResponse, name="api_docs", include_in_schema=False)
def api_docs(request: Request) -> HTMLResponse:
    """The API's documentation page."""
    return HTMLResponse(api_docs_html(request.app.openapi()))
