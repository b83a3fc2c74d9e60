"""The JSON API: ``POST /api/v1/allocations`` (and ``/compare``, ``/sensitivity``), ``GET
/api/v1/icbs``, ``GET /api/v1/indicators``.

The same engine as the web tool and the CLI
(:func:`~gpequity.allocation.scenario.allocate_scenario`);
the allocation's JSON is :func:`~gpequity.allocation.scenario.outcome_as_dict`, exactly what
``gpequity allocate --format json`` prints, written straight to JSON; its shape is the schema's
:class:`~gpequity.web.api_schema.AllocationOut` (``tests/web/test_api_schema.py`` checks every
answer against the schema).

Errors are JSON, never a page and never a traceback:

* 422 ``{"detail": [{"loc": ["body", "components", 0, "weight"], "msg": "..."}, ...]}`` for
  every bad field, whether pydantic finds it (types, unknown fields, malformed JSON) or the
  engine does (weights not adding to 100, an amount with fractions of a penny, an unknown
  indicator or ICB);
* 404 for an unknown ICB in ``GET /api/v1/indicators?icb=...``;
* 503 ``{"detail": "..."}`` when no warehouse is loaded (or it cannot be read).

The error answers come from :mod:`gpequity.web.api_errors`, shared with ``api_public.py``.

The documentation is at ``/api/docs``: a plain page generated from the OpenAPI schema
(``/api/openapi.json``), served by the app itself, since the usual interactive pages load their
scripts from a CDN and every page of the site must work offline.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from pydantic_core import to_json

from gpequity.allocation import AllocationInputError, AllocationLimits, InputProblem
from gpequity.allocation.catalogue import build_catalogue
from gpequity.allocation.compare import compare_outcomes, comparison_as_dict
from gpequity.allocation.icbs import UnknownIcbError, list_icbs
from gpequity.allocation.pools import TargetPopulation
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    allocate_scenario,
    outcome_as_dict,
)
from gpequity.allocation.sensitivity import run_sensitivity, sensitivity_as_dict
from gpequity.web.api_errors import (
    MORE_PROBLEMS,
    JsonErrorsRoute,
    MoreProblems,
    problems_detail,
    problems_response,
)
from gpequity.web.api_schema import (
    DEPRECATION_NOTE,
    EXAMPLE_BODY,
    FIELD_ERRORS,
    PREFIX,
    UNAVAILABLE,
    AllocationIn,
    AllocationOut,
    CompareIn,
    ComparisonOut,
    FieldErrors,
    IcbOut,
    IndicatorOut,
    LimitsIn,
    SensitivityIn,
    SensitivityOut,
)
from gpequity.web.warehouse import Reading, computing, reading_or_unavailable, shared_warehouse

DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"

router = APIRouter(tags=["eFIT allocation"], route_class=JsonErrorsRoute)


#: The 503 answer without a warehouse (one that cannot be read: ``web.warehouse.UNREADABLE``).
NO_DATA = (
    "No data is loaded yet: build the warehouse with 'gpequity data load --source DIR' "
    "(or 'gpequity data demo --load')."
)
#: A route's parameter: the request's cursor on the warehouse; 503 without one.
ApiReading = Annotated[Reading, Depends(reading_or_unavailable(NO_DATA))]


# --- the routes ---------------------------------------------------------------------------


#: The operation's description in the schema (and on ``/api/docs``).
ALLOCATION_DESCRIPTION = f"""Split ``amount`` across the ICB's practices by the chosen components
and method.

``method`` is ``recommended`` (shares of need) or ``efit-classic`` (the published eFIT tool's
formula). The target population is ``sex`` and ages ``age_from`` to ``age_to``. Allocations add
up to the amount to the penny; each practice is shown beside the ``baseline`` (``per-head`` or
``weighted``). The answer is the JSON of ``gpequity allocate --format json``.

{DEPRECATION_NOTE}"""


@router.post(
    f"{PREFIX}/allocations",
    response_model=AllocationOut,
    responses={422: FIELD_ERRORS, 503: UNAVAILABLE},
    summary="Allocate an amount across an ICB's practices",
    description=ALLOCATION_DESCRIPTION,
)
def create_allocation(reading: ApiReading, body: AllocationIn) -> Response:
    # One builder, the CLI's, written straight to JSON: validating the answer against its model
    # (and FastAPI's check again) added about a sixth to the allocation's own time for the
    # largest ICB (issue 12, target c). The schema documents the shape;
    # tests/web/test_api_schema.py holds every answer to it. The answer is written in the same
    # turn as the allocation: its intervals (a bootstrap) are as much work again, and twenty of
    # them side by side in one worker took 40% more processor time each.
    try:
        with computing():
            outcome = allocate_scenario(reading.con, _scenario(body))
            answer = to_json(outcome_as_dict(outcome))
    except AllocationInputError as error:
        return problems_response(error.problems)
    return Response(answer, media_type="application/json")


#: What a required field that failed validation stands in as, so that the service can be asked
#: about the others (its own problems with a stand-in are not reported: the field's are).
STAND_INS: dict[str, Any] = {"icb": "?", "amount": "1", "components": []}

#: The service's look at a valid scenario: raises ``AllocationInputError`` with its problems.
Ask = Callable[[duckdb.DuckDBPyConnection, Any], object]


def _flagged(errors: Sequence[Any], within: tuple[str, ...]) -> set[Any]:
    """The fields of the body (of its part ``within``) that failed validation."""
    start = 1 + len(within)
    return {
        loc[start]
        for loc in (tuple(e.get("loc", ())) for e in errors)
        if len(loc) > start and loc[0] == "body" and loc[1:start] == within
    }


def _service_problems(
    reading: Reading,
    part: Any,
    errors: Sequence[Any],
    model: type[AllocationIn],
    ask: Ask,
    *within: str,
) -> list[dict[str, Any]]:
    """The service's problems with the fields of ``part`` (the body, or its scenario ``within``)
    that passed validation: ``{"icb": "ZZZ", "amount": "abc"}`` named only the amount."""
    if not isinstance(part, dict) or any(
        tuple(e.get("loc", ())) == ("body", *within) for e in errors
    ):
        return []
    flagged = _flagged(errors, within)
    candidate = {k: v for k, v in part.items() if k not in flagged}
    candidate.update({k: v for k, v in STAND_INS.items() if k in flagged})
    try:
        parsed = model.model_validate(candidate)
    except ValidationError:
        return []
    try:
        ask(reading.con, parsed)
    except AllocationInputError as error:
        at = 1 + len(within)
        return [
            d
            for d in problems_detail(error.problems, "body", *within)
            if len(d["loc"]) <= at or d["loc"][at] not in flagged
        ]
    return []


def _second_look(model: type[AllocationIn], ask: Ask) -> MoreProblems:
    """An endpoint's second look at a body that failed validation: the service's problems
    with its other fields (``MORE_PROBLEMS``)."""

    def more(request: Request, body: Any, errors: Sequence[Any]) -> list[dict[str, Any]]:
        with shared_warehouse(request).reading() as reading:
            if reading is None:
                return []
            return _service_problems(reading, body, errors, model, ask)

    return more


def _ask_allocation(con: duckdb.DuckDBPyConnection, body: AllocationIn) -> object:
    with computing():
        return allocate_scenario(con, _scenario(body))


setattr(create_allocation, MORE_PROBLEMS, _second_look(AllocationIn, _ask_allocation))


def _scenario(body: AllocationIn) -> Scenario:
    return Scenario(
        icb_code=body.icb,
        amount=body.amount,
        components=tuple(ComponentChoice(c.id, c.weight, c.direction) for c in body.components),
        method=body.method,
        target=TargetPopulation(body.sex, body.age_from, body.age_to),
        missing_policy=body.missing_policy,
        excluded_practices=frozenset(body.excluded_practices),
        baseline=body.baseline,
        allow_sparse=body.allow_sparse,
        limits=None if body.limits is None else _limits(body.limits),
    )


def _limits(body: LimitsIn) -> AllocationLimits:
    return AllocationLimits(
        floor=body.floor,
        cap=body.cap,
        unit=body.unit,
        previous={row.practice_code.strip().upper(): row.amount for row in body.previous},
        max_change=body.max_change,
    )


@router.post(
    f"{PREFIX}/allocations/compare",
    response_model=ComparisonOut,
    responses={422: FIELD_ERRORS, 503: UNAVAILABLE},
    summary="Compare two allocations of an ICB",
    description="Allocate scenarios ``a`` and ``b`` (each the body of ``POST "
    f"{PREFIX}/allocations``) and line them up practice by practice and by IMD quintile: "
    "``difference`` and ``change`` are B − A. Every problem of either scenario is reported at "
    "once, its ``loc`` starting ``body.a`` or ``body.b``. The answer is the JSON of "
    "``gpequity compare --format json``; the same figures as the web page "
    "``/allocate/compare``.\n\n" + DEPRECATION_NOTE,
)
def compare_allocations(reading: ApiReading, body: CompareIn) -> ComparisonOut | JSONResponse:
    outcomes = []
    detail: list[dict[str, Any]] = []
    for side, scenario in (("a", body.a), ("b", body.b)):
        try:
            with computing():
                outcomes.append(allocate_scenario(reading.con, _scenario(scenario)))
        except AllocationInputError as error:
            detail += problems_detail(error.problems, "body", side)
    if detail:
        return JSONResponse({"detail": detail}, status_code=422)
    return ComparisonOut.model_validate(comparison_as_dict(compare_outcomes(*outcomes)))


def _compare_problems(request: Request, body: Any, errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Both scenarios' problems found by the service, beside those validation found: a bad
    amount in ``a`` no longer hides an unknown indicator in ``b``."""
    if not isinstance(body, dict):
        return []
    with shared_warehouse(request).reading() as reading:
        if reading is None:
            return []
        return [
            problem
            for side in ("a", "b")
            for problem in _service_problems(
                reading, body.get(side), errors, AllocationIn, _ask_allocation, side
            )
        ]


setattr(compare_allocations, MORE_PROBLEMS, _compare_problems)


@router.post(
    f"{PREFIX}/allocations/sensitivity",
    response_model=SensitivityOut,
    responses={422: FIELD_ERRORS, 503: UNAVAILABLE},
    summary="How an allocation moves as one component's weight goes from 0% to 100%",
    description="Allocate the scenario with ``component``'s weight at 0%, 10%, ... 100%, the "
    "other components sharing the rest in their proportions. The answer is the JSON of "
    "``gpequity sensitivity --format json``; the same figures as the web page "
    "``/allocate/sensitivity``.\n\n" + DEPRECATION_NOTE,
)
def sweep_allocation(reading: ApiReading, body: SensitivityIn) -> SensitivityOut | JSONResponse:
    try:
        sensitivity = run_sensitivity(reading.con, _scenario(body), body.component.strip())
    except AllocationInputError as error:
        return problems_response(error.problems)
    return SensitivityOut.model_validate(sensitivity_as_dict(sensitivity))


def _ask_sensitivity(con: duckdb.DuckDBPyConnection, body: SensitivityIn) -> object:
    return run_sensitivity(con, _scenario(body), body.component.strip())


setattr(sweep_allocation, MORE_PROBLEMS, _second_look(SensitivityIn, _ask_sensitivity))


@router.get(
    f"{PREFIX}/icbs",
    response_model=list[IcbOut],
    responses={503: UNAVAILABLE},
    summary="The ICBs",
)
def get_icbs(reading: ApiReading) -> list[IcbOut]:
    """The ICBs of the newest data loaded (those of April 2026 with the eFIT files), by name."""
    return [IcbOut.model_validate(i.as_dict()) for i in list_icbs(reading.con)]


@router.get(
    f"{PREFIX}/indicators",
    response_model=list[IndicatorOut],
    responses={404: {"model": FieldErrors, "description": "Unknown ICB."}, 503: UNAVAILABLE},
    summary="The indicators an ICB's allocation can use",
)
def get_indicators(
    reading: ApiReading,
    icb: str = Query(min_length=1, description="ICB code, e.g. QHM.", examples=["QHM"]),
) -> list[IndicatorOut] | JSONResponse:
    """The indicator catalogue of the ICB: ids for ``components``, with unit, default
    direction, period, source and coverage (share of the ICB's practices with a value)."""
    try:
        entries = build_catalogue(reading.con, icb)
    except UnknownIcbError as error:
        problems = [InputProblem("icb", p.message) for p in error.problems]
        return problems_response(problems, 404, where="query")
    return [IndicatorOut.model_validate(e.as_dict()) for e in entries]


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
        values = " | ".join(str(v) for v in schema["enum"])
        return f"{values} (deprecated)" if schema.get("deprecated") else values
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
