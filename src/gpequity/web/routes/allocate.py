"""The allocation tool: split an amount across an ICB's practices by need (the eFIT method).

* ``GET /allocate``: without a query, the choice of ICB; with ``?icb=`` only, the form for that
  ICB; with a scenario (``icb``, ``amount``, ``method``, ``sex``, ``age_from``, ``age_to``,
  ``c1``-``c3``, ``w1``-``w3``, ``d1``-``d3``, ``missing``, ``baseline``, ``exclude``; see
  :mod:`gpequity.web.allocate.form`) its results, sortable with ``sort`` and ``order``.
  A form submission is redirected to the scenario's canonical query (no empty fields), which is
  the link that reproduces it; ``action=refresh`` shows the form again (for the ICB chosen)
  without calculating.
* ``POST /allocate``: the same form with the user's own indicator file (``indicators_file``),
  read in memory and never stored; the good values go back to the browser in a hidden field
  (``upload_data``) for the next submission, and are checked again when they come back.
* ``GET|POST /allocate/download.csv``, ``.xlsx`` and ``.pdf``: the allocation with its inputs
  and method (:mod:`gpequity.allocation.exports`, the CLI's files; the PDF is the board report
  of :mod:`gpequity.reports.allocation_pdf`, linking back to the same query).
* ``GET /allocate/compare?icb=..&amount=..&a.method=..&a.c1=..&a.w1=..&b.c1=..``: two
  scenarios side by side (their own ``method`` and components under ``a.`` and ``b.``, the
  rest shared).
* ``GET /allocate/sensitivity?<scenario>[&other=ID]``: each IMD quintile's share of the money
  as the weight on deprivation goes from 0% to 100%, the rest on ``other``.
* ``GET /allocate/method``: the method in plain English with the worked example.
* ``GET /allocate/published-tool?<scenario>[&unset=W]``: for users of the published eFIT tool,
  what its code gives each practice beside the formula's answer, and the defect that explains
  each difference (:mod:`gpequity.allocation.published_tool`; the ICB's eFIT files are read
  where the warehouse served loaded them from).

Every figure comes from :func:`gpequity.allocation.scenario.allocate_scenario` (the engine),
:mod:`gpequity.allocation.compare` and :mod:`gpequity.allocation.sensitivity`; the pages are
:mod:`gpequity.web.allocate`'s. Bad
input is answered with the page and its error summary (422; 200 to htmx, which swaps only a
success), never a 500.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import RedirectResponse, Response

from gpequity.allocation import (
    AllocationInputError,
    Method,
    PracticeInput,
    UploadProblem,
    parse_indicator_upload,
)
from gpequity.allocation.catalogue import (
    IMD_ID,
    POPULATION_ID,
    IndicatorEntry,
    build_catalogue,
    upload_entries,
)
from gpequity.allocation.compare import compare_outcomes
from gpequity.allocation.exports import allocation_csv, allocation_xlsx
from gpequity.allocation.icbs import IcbEntry, icb_practice_codes, known_practice_codes, list_icbs
from gpequity.allocation.pools import load_pool
from gpequity.allocation.previous import parse_previous_allocation, previous_as_csv
from gpequity.allocation.published_tool import (
    ToolFileError,
    check_published_tool,
    load_warehouse_tool_files,
    parse_percentage,
    tool_request,
)
from gpequity.allocation.scenario import ScenarioOutcome, allocate_scenario
from gpequity.allocation.sensitivity import Sensitivity, run_sensitivity
from gpequity.allocation.upload import MAX_UPLOAD_BYTES, MEGABYTE, upload_as_csv
from gpequity.errors import GpequityError
from gpequity.reports.allocation_pdf import allocation_pdf
from gpequity.warehouse.icbs import efit_warnings_of
from gpequity.web.allocate.common import ALLOCATE_PATH, PAGE_HEADING, present_without_data
from gpequity.web.allocate.compare import (
    COMPARE_HEADING,
    COMPARE_SORT_KEYS,
    present_compare,
)
from gpequity.web.allocate.form import (
    MAX_EXCLUDED_CODES,
    ComponentInput,
    ParsedScenario,
    ScenarioInput,
    compare_query,
    default_compare_inputs,
    engine_errors,
    form_params,
    order_errors,
    parse_scenario,
    read_scenario_input,
    starting_input,
)
from gpequity.web.allocate.method import packaged_method_html, present_method
from gpequity.web.allocate.published_tool import PATH as TOOL_PATH
from gpequity.web.allocate.published_tool import present_tool_check, present_tool_problems
from gpequity.web.allocate.results import (
    SORT_KEYS,
    AllocatePage,
    TableOptions,
    download_filename,
    present_allocate,
    read_table_options,
)
from gpequity.web.allocate.sensitivity import (
    SENSITIVITY_HEADING,
    present_sensitivity,
    sensitivity_other,
    sweep_input,
)
from gpequity.web.allocate.upload import UploadState
from gpequity.web.rendering import render
from gpequity.web.views import FieldError, SortChoice, read_sort
from gpequity.web.warehouse import PageReading, Reading, computing

router = APIRouter(include_in_schema=False)

TEMPLATE = "allocate.html"
COMPARE_TEMPLATE = "allocate_compare.html"
SENSITIVITY_TEMPLATE = "allocate_sensitivity.html"
METHOD_TEMPLATE = "allocate_method.html"
#: A posted form is read up to this size, all in memory (a file over the upload limit still
#: arrives whole, so the page can say how big it was); anything larger is refused unread.
MAX_POST_BYTES = 2 * MAX_UPLOAD_BYTES
#: The form's fields, and a tick box for each practice that may be left out.
MAX_POST_FIELDS = 100 + MAX_EXCLUDED_CODES
#: Query parameters of the scenario (besides ``icb``): one of them means "calculate".
SCENARIO_KEYS = frozenset(
    {"amount", "method", "sex", "age_from", "age_to", "missing", "baseline", "exclude"}
    | {f"{letter}{n}" for letter in "cwd" for n in (1, 2, 3)}
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNPROCESSABLE = 422
CONTENT_TOO_LARGE = 413


# --- the request --------------------------------------------------------------------------------


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _error_status(
    request: Request, errors: Sequence[FieldError], status: int = UNPROCESSABLE
) -> int:
    # htmx swaps only a success: its requests get the page with its errors as a 200.
    if not errors:
        return 200
    return 200 if _is_htmx(request) else status


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _query(request: Request) -> dict[str, str]:
    # The first value of a repeated parameter, as a form sends each field once (the ticked
    # practices to leave out, joined).
    return form_params(request.query_params.multi_items())


# --- the warehouse's answers --------------------------------------------------------------------


def load_catalogue(
    con: duckdb.DuckDBPyConnection, icbs: Sequence[IcbEntry], icb: str
) -> list[IndicatorEntry]:
    """The ICB's catalogue; without a (known) ICB, the first ICB's entries without coverage."""
    codes = {entry.code for entry in icbs}
    if icb in codes:
        return build_catalogue(con, icb)
    if not icbs:
        return []
    return [replace(entry, coverage=None) for entry in build_catalogue(con, icbs[0].code)]


def icb_practices(
    con: duckdb.DuckDBPyConnection, inp: ScenarioInput, icbs: Sequence[IcbEntry]
) -> list[PracticeInput]:
    """The ICB's practices (names and PCNs), for the picker of practices to leave out."""
    if _icb_error(inp, icbs) is not None:
        return []
    try:
        return load_pool(con, inp.icb, [], method=_method(inp))
    except GpequityError:
        return []


def _icb_error(inp: ScenarioInput, icbs: Sequence[IcbEntry]) -> FieldError | None:
    if not inp.icb:
        return FieldError("icb", "Choose an ICB.")
    if inp.icb not in {entry.code for entry in icbs}:
        return FieldError(
            "icb", f"'{inp.icb}' is not an ICB of the loaded data: choose one from the list."
        )
    return None


def run_scenario(
    con: duckdb.DuckDBPyConnection,
    inp: ScenarioInput,
    icbs: Sequence[IcbEntry],
    upload: UploadState | None = None,
    prefix: str = "",
) -> tuple[ScenarioOutcome | None, list[FieldError]]:
    """Read the typed scenario and allocate; or every problem, on the fields they concern."""
    parsed = parse_scenario(inp, prefix)
    errors = list(parsed.errors)
    icb_problem = _icb_error(inp, icbs)
    if icb_problem is not None:
        # Said here in the form's words; the service still reports every other field at once.
        errors.insert(0, icb_problem)
    columns = upload.columns if upload is not None and icb_problem is None else ()
    try:
        with computing():
            outcome = allocate_scenario(con, parsed.scenario, columns)
    except AllocationInputError as error:
        found = engine_errors(error.problems, parsed, prefix)
        errors += [e for e in found if icb_problem is None or e.field != "icb"]
        return None, order_errors(errors)
    except GpequityError as error:
        return None, order_errors([*errors, FieldError("icb", str(error))])
    if errors:
        return None, order_errors(errors)
    return outcome, []


def _catalogue_with_upload(
    con: duckdb.DuckDBPyConnection,
    icbs: Sequence[IcbEntry],
    inp: ScenarioInput,
    upload: UploadState | None,
) -> list[IndicatorEntry]:
    catalogue = load_catalogue(con, icbs, inp.icb)
    if upload is not None and upload.columns and _icb_error(inp, icbs) is None:
        members = icb_practice_codes(con, inp.icb, _method(inp))
        catalogue += upload_entries(upload.columns, members)
    return catalogue


def _method(inp: ScenarioInput) -> Method:
    return Method(inp.method) if inp.method in {m.value for m in Method} else Method.RECOMMENDED


def read_upload(
    con: duckdb.DuckDBPyConnection, inp: ScenarioInput, filename: str, data: bytes
) -> UploadState:
    """Read a user's file against the ICB's practices (in memory: nothing is written)."""
    method = _method(inp)
    result = parse_indicator_upload(
        data, filename, icb_practice_codes(con, inp.icb, method), known_practice_codes(con)
    )
    return UploadState(filename, result.columns, result.problems, upload_as_csv(result.columns))


# --- the allocation page ------------------------------------------------------------------------


def _no_data(request: Request) -> Response:
    return render(request, TEMPLATE, present_without_data(PAGE_HEADING, has_data=False))


def _canonical(request: Request, items: list[tuple[str, str]]) -> bool:
    return request.query_params.multi_items() == items


def _calculated(
    request: Request,
    con: duckdb.DuckDBPyConnection,
    icbs: Sequence[IcbEntry],
    catalogue: Sequence[IndicatorEntry],
    inp: ScenarioInput,
    errors: Sequence[FieldError],
    outcome: ScenarioOutcome | None,
    practices: Sequence[PracticeInput],
    *,
    sort: SortChoice | None = None,
    options: TableOptions = TableOptions(),
    upload: UploadState | None = None,
    previous_problems: Sequence[UploadProblem] = (),
) -> AllocatePage:
    """The page after a calculation (asked by a link or a posted form): the form as typed, and
    the errors, or the results with the defects found in the ICB's eFIT files."""
    return present_allocate(
        icbs=icbs,
        catalogue=catalogue,
        inp=inp,
        errors=errors,
        outcome=outcome,
        sort=sort,
        upload=upload,
        base_url=_base_url(request),
        options=options,
        practices=practices,
        data_warnings=() if outcome is None else efit_warnings_of(con, outcome.icb.code),
        previous_problems=previous_problems,
    )


@router.get("/allocate", response_class=HTMLResponse, name="allocate")
def allocate_page(reading: PageReading, request: Request) -> Response:
    if reading is None:
        return _no_data(request)
    params = _query(request)
    sort = read_sort(params.get("sort"), params.get("order"), SORT_KEYS)
    con = reading.con
    icbs = list_icbs(con)
    if not icbs:
        return render(request, TEMPLATE, present_without_data(PAGE_HEADING, has_data=True))
    if not SCENARIO_KEYS & params.keys():
        # The first step: the ICB; once chosen, the form with a sensible start.
        icb = params.get("icb", "").strip().upper()
        errors: list[FieldError] = []
        if "icb" in params:
            problem = _icb_error(ScenarioInput(icb=icb), icbs)
            errors = [] if problem is None else [problem]
        inp = starting_input(icb)
        step = "scenario" if "icb" in params and not errors else "icb"
        page = present_allocate(
            icbs=icbs,
            catalogue=load_catalogue(con, icbs, icb) if step == "scenario" else [],
            inp=inp,
            errors=errors,
            step=step,
            practices=icb_practices(con, inp, icbs) if step == "scenario" else [],
        )
        return render(request, TEMPLATE, page, status_code=_error_status(request, errors))
    inp = read_scenario_input(params)
    catalogue = load_catalogue(con, icbs, inp.icb)
    practices = icb_practices(con, inp, icbs)
    if params.get("action") == "refresh":
        page = present_allocate(icbs=icbs, catalogue=catalogue, inp=inp, practices=practices)
        return render(request, TEMPLATE, page)
    outcome, errors = run_scenario(con, inp, icbs)
    options = read_table_options(params)
    canonical = inp.query_items() + sort.items() + options.items()
    if outcome is not None and not _is_htmx(request) and not _canonical(request, canonical):
        # A form sends every field, the empty ones too; the link to share has none.
        return RedirectResponse(f"{ALLOCATE_PATH}?{urlencode(canonical)}", status_code=303)
    page = _calculated(
        request, con, icbs, catalogue, inp, errors, outcome, practices, sort=sort, options=options
    )
    response = render(request, TEMPLATE, page, status_code=_error_status(request, errors))
    if outcome is not None and _is_htmx(request):
        response.headers["HX-Push-Url"] = f"{ALLOCATE_PATH}?{urlencode(canonical)}"
    return response


class _TooLarge(Exception):
    """A posted form bigger than :data:`MAX_POST_BYTES`."""


class _InMemoryParser(MultiPartParser):
    # Starlette spools a file part over 1 MB to a temporary file on disk; the user's file must
    # never be written anywhere, so every part stays in memory (the body is capped first).
    spool_max_size = MAX_POST_BYTES


async def _capped(request: Request) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_POST_BYTES:
            raise _TooLarge
        yield chunk


@dataclass(frozen=True)
class PostedForm:
    """A posted form: its text fields, and the user's file (name and bytes) if one was sent."""

    fields: dict[str, str]
    filename: str | None = None
    data: bytes | None = None
    problem: str | None = None
    #: The previous allocation's file (the "Limits" section), if one was sent.
    previous_filename: str | None = None
    previous_data: bytes | None = None


LONG_FILE_NAME = (
    "The file's name is too long to be sent (thousands of characters). Rename the file to a "
    "shorter name and upload it again."
)


def _file_name(name: str) -> str:
    # Only the name: some browsers send a path ("C:\fakepath\my file.csv").
    return re.split(r"[\\/]", name)[-1][:200] or "your file"


async def read_posted_form(request: Request) -> PostedForm:
    """Read a posted form in memory, capped at :data:`MAX_POST_BYTES`; never a 500."""
    length = request.headers.get("content-length", "")
    too_large = (
        f"The file is too large: the largest file accepted is {MAX_UPLOAD_BYTES / MEGABYTE:.0f} MB."
    )
    if length.isdigit() and int(length) > MAX_POST_BYTES:
        return PostedForm({}, problem=too_large)
    fields: dict[str, str] = {}
    texts: list[tuple[str, str]] = []
    filename: str | None = None
    data: bytes | None = None
    previous: tuple[str, bytes] | None = None
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            parser = _InMemoryParser(
                request.headers,
                _capped(request),
                max_files=len(FILE_FIELDS),
                max_fields=MAX_POST_FIELDS,
                max_part_size=MAX_POST_BYTES,
            )
            form = await parser.parse()
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key == "indicators_file" and value.filename:
                        filename = _file_name(value.filename)
                        data = await value.read()
                    elif key == "previous_file" and value.filename:
                        previous = (_file_name(value.filename), await value.read())
                    await value.close()
                else:
                    texts.append((key, value))
        else:
            body = b"".join([chunk async for chunk in _capped(request)])
            texts = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        fields = form_params(texts)
    except _TooLarge:
        return PostedForm({}, problem=too_large)
    except MultiPartException as error:
        if "header size" in str(error.__cause__):
            # python-multipart refuses a part's header over 4 KB: in a browser's form that is
            # a file name of thousands of characters ("Invalid multipart data" said nothing).
            return PostedForm(fields, problem=LONG_FILE_NAME)
        return PostedForm(fields, problem=f"The form could not be read ({error.message}).")
    if previous is not None:
        return PostedForm(fields, filename, data, None, *previous)
    return PostedForm(fields, filename, data)


#: The action of the "Limits" section's upload button.
UPLOAD_PREVIOUS = "upload-previous"
#: The file fields of the allocation form: the user's indicators, the previous allocation.
FILE_FIELDS = ("indicators_file", "previous_file")


def _posted_previous(
    form: PostedForm, inp: ScenarioInput
) -> tuple[ScenarioInput, list[FieldError], tuple[UploadProblem, ...]]:
    """A previous allocation just posted: carried from now on in the scenario's hidden fields
    (its good rows), with the problems of its rows; a file with no usable row is an error."""
    if form.previous_data is None:
        return inp, [], ()
    name = form.previous_filename or "your file"
    read = parse_previous_allocation(form.previous_data, name)
    if not read.amounts:
        first = read.problems[0].message if read.problems else "No usable row."
        error = FieldError("previous_file", f"Your previous allocation cannot be used: {first}")
        return inp, [error], read.problems
    typed = dict(inp.limits)
    typed.update(previous_name=name, previous_data=previous_as_csv(read.amounts))
    return replace(inp, limits=tuple(typed.items())), [], read.problems


#: What the parser is told the carried values are called: they are CSV, whatever the file was.
CARRIED_FILENAME = "carried.csv"


def _posted_upload(
    con: duckdb.DuckDBPyConnection,
    form: PostedForm,
    inp: ScenarioInput,
    icbs: Sequence[IcbEntry],
    action: str,
) -> tuple[UploadState | None, list[FieldError]]:
    """The upload of a posted form: a new file, else the values carried from the last one."""
    errors: list[FieldError] = []
    if form.problem is not None:
        return None, [FieldError("indicators_file", form.problem)]
    icb_problem = _icb_error(inp, icbs)
    if form.data is not None:
        if icb_problem is not None:
            return None, [
                icb_problem,
                FieldError(
                    "indicators_file",
                    "Choose the ICB before uploading your file: its practice codes are checked "
                    "against the ICB's practices.",
                ),
            ]
        upload = read_upload(con, inp, form.filename or "your file", form.data)
        if not upload.columns:
            first = upload.problems[0].message if upload.problems else "No column of values."
            errors.append(FieldError("indicators_file", f"Your file cannot be used: {first}"))
        return upload, errors
    carried = form.fields.get("upload_data", "")
    if carried and icb_problem is None:
        upload = read_upload(con, inp, CARRIED_FILENAME, carried.encode("utf-8"))
        name = _file_name(form.fields.get("upload_name", "your file"))
        return replace(upload, filename=name), errors
    if action == "upload":
        errors.append(FieldError("indicators_file", "Choose a file to upload."))
    return None, errors


def _allocate_posted(request: Request, reading: Reading, form: PostedForm) -> Response:
    params = form.fields
    action = params.get("action", "calculate")
    inp = read_scenario_input(params)
    con = reading.con
    icbs = list_icbs(con)
    if not icbs:
        return render(request, TEMPLATE, present_without_data(PAGE_HEADING, has_data=True))
    inp, errors, previous_problems = _posted_previous(form, inp)
    upload, found = _posted_upload(con, form, inp, icbs, action)
    errors += found
    if action == UPLOAD_PREVIOUS and form.previous_data is None and not errors:
        errors.append(FieldError("previous_file", "Choose the file of the previous allocation."))
    catalogue = _catalogue_with_upload(con, icbs, inp, upload)
    outcome = None
    if action == "calculate" and not errors:
        outcome, errors = run_scenario(con, inp, icbs, upload)
    practices = icb_practices(con, inp, icbs)
    page = _calculated(
        request,
        con,
        icbs,
        catalogue,
        inp,
        errors,
        outcome,
        practices,
        upload=upload,
        previous_problems=previous_problems,
    )
    status = CONTENT_TOO_LARGE if form.problem and "too large" in form.problem else UNPROCESSABLE
    response = render(request, TEMPLATE, page, status_code=_error_status(request, errors, status))
    # The page of a posted form has no link of its own: htmx must not push one.
    response.headers["HX-Push-Url"] = "false"
    return response


@router.post("/allocate", response_class=HTMLResponse, name="allocate_upload")
async def allocate_upload(reading: PageReading, request: Request) -> Response:
    if reading is None:
        return _no_data(request)
    form = await read_posted_form(request)
    return await run_in_threadpool(_allocate_posted, request, reading, form)


# --- downloads ----------------------------------------------------------------------------------

DOWNLOADS = ("csv", "xlsx", "pdf")


def _file_response(outcome: ScenarioOutcome, extension: str, link: str | None) -> Response:
    filename = download_filename(outcome, extension)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if extension == "csv":
        return Response(
            allocation_csv(outcome), media_type="text/csv; charset=utf-8", headers=headers
        )
    if extension == "pdf":
        pdf = allocation_pdf(outcome, link=link)
        return Response(pdf, media_type="application/pdf", headers=headers)
    return Response(allocation_xlsx(outcome), media_type=XLSX_TYPE, headers=headers)


def _download(
    request: Request,
    reading: Reading | None,
    extension: str,
    params: Mapping[str, str],
    form: PostedForm | None,
) -> Response:
    if extension not in DOWNLOADS:
        raise StarletteHTTPException(status_code=404)
    if reading is None:
        page = present_without_data(PAGE_HEADING, has_data=False)
        return render(request, TEMPLATE, page, status_code=503)
    inp = read_scenario_input(params)
    con = reading.con
    icbs = list_icbs(con)
    upload: UploadState | None = None
    errors: list[FieldError] = []
    if form is not None:
        upload, errors = _posted_upload(con, form, inp, icbs, "download")
    catalogue = _catalogue_with_upload(con, icbs, inp, upload)
    outcome = None
    if not errors:
        outcome, errors = run_scenario(con, inp, icbs, upload)
    if outcome is None or errors:
        page = present_allocate(
            icbs=icbs, catalogue=catalogue, inp=inp, errors=errors, upload=upload
        )
        return render(request, TEMPLATE, page, status_code=UNPROCESSABLE)
    # The report's link reproduces the allocation: the page of the same query (none for an
    # uploaded file, which is not kept).
    link = None if upload is not None else f"{_base_url(request)}{ALLOCATE_PATH}?{inp.query()}"
    return _file_response(outcome, extension, link)


@router.get("/allocate/download.{extension}", name="allocate_download")
def allocate_download(request: Request, reading: PageReading, extension: str) -> Response:
    return _download(request, reading, extension, _query(request), None)


@router.post("/allocate/download.{extension}", name="allocate_download_upload")
async def allocate_download_upload(
    request: Request, reading: PageReading, extension: str
) -> Response:
    form = await read_posted_form(request)
    return await run_in_threadpool(_download, request, reading, extension, form.fields, form)


# --- comparing two scenarios --------------------------------------------------------------------


@router.get("/allocate/compare", response_class=HTMLResponse, name="allocate_compare")
def allocate_compare(reading: PageReading, request: Request) -> Response:
    if reading is None:
        return render(
            request, COMPARE_TEMPLATE, present_without_data(COMPARE_HEADING, has_data=False)
        )
    params = _query(request)
    sort = read_sort(params.get("sort"), params.get("order"), COMPARE_SORT_KEYS)
    chosen = any(key.startswith(("a.", "b.")) for key in params)
    con = reading.con
    icbs = list_icbs(con)
    if not icbs:
        return render(
            request, COMPARE_TEMPLATE, present_without_data(COMPARE_HEADING, has_data=True)
        )
    icb = params.get("icb", "").strip().upper()
    if not chosen:
        start_a, start_b = default_compare_inputs(icb)
        a = read_scenario_input(params, "a.", start_a)
        b = read_scenario_input(params, "b.", start_b)
        problem = _icb_error(a, icbs) if "icb" in params else None
        errors = [] if problem is None else [problem]
        page = present_compare(
            icbs=icbs,
            catalogue=load_catalogue(con, icbs, a.icb),
            inputs=(a, b),
            errors=errors,
        )
        return render(request, COMPARE_TEMPLATE, page, status_code=_error_status(request, errors))
    a = read_scenario_input(params, "a.")
    b = read_scenario_input(params, "b.")
    catalogue = load_catalogue(con, icbs, a.icb)
    outcome_a, errors_a = run_scenario(con, a, icbs, prefix="a.")
    outcome_b, errors_b = run_scenario(con, b, icbs, prefix="b.")
    errors = order_errors(errors_a + errors_b)
    comparison = None
    if outcome_a is not None and outcome_b is not None and not errors:
        comparison = compare_outcomes(outcome_a, outcome_b)
    page = present_compare(
        icbs=icbs,
        catalogue=catalogue,
        inputs=(a, b),
        errors=errors,
        comparison=comparison,
        sort=sort,
    )
    response = render(request, COMPARE_TEMPLATE, page, status_code=_error_status(request, errors))
    if comparison is not None and _is_htmx(request):
        items = compare_query(a, b) + sort.items()
        response.headers["HX-Push-Url"] = f"{request.url.path}?{urlencode(items)}"
    return response


# --- sensitivity to the deprivation weight ------------------------------------------------------


def _other_component(params: Mapping[str, str], inp: ScenarioInput) -> ComponentInput:
    wanted = params.get("other", "").strip()
    if not wanted:
        other = sensitivity_other(inp)
    else:
        row = next((r for r in inp.components if r.id == wanted), None)
        other = ComponentInput(wanted, "", row.direction if row else "")
    return ComponentInput(POPULATION_ID) if other.id == IMD_ID else other


def _sensitivity_errors(errors: Sequence[FieldError]) -> list[FieldError]:
    # The scenarios of the view are built from the form's "other" choice: a component's
    # problem is that field's.
    moved = [
        FieldError("other", e.message) if re.fullmatch(r"[cwd][1-3]", e.field) else e
        for e in errors
    ]
    return order_errors(moved)


def _sweep(
    con: duckdb.DuckDBPyConnection, inp: ScenarioInput, icbs: Sequence[IcbEntry]
) -> tuple[Sensitivity | None, list[FieldError]]:
    """The sweep of the deprivation weight from the form's scenario; or its problems."""
    parsed = parse_scenario(inp)
    icb_problem = _icb_error(inp, icbs)
    if icb_problem is not None:
        return None, _sensitivity_errors([icb_problem, *parsed.errors])
    try:
        sensitivity = run_sensitivity(con, parsed.scenario, IMD_ID)
    except AllocationInputError as error:
        found = engine_errors(error.problems, _as_swept(parsed))
        return None, _sensitivity_errors([*parsed.errors, *found])
    except GpequityError as error:
        return None, _sensitivity_errors([*parsed.errors, FieldError("icb", str(error))])
    if parsed.errors:
        return None, _sensitivity_errors(parsed.errors)
    return sensitivity, []


def _as_swept(parsed: ParsedScenario) -> ParsedScenario:
    # A scenario of the sweep has its components in the form's first rows.
    return replace(parsed, rows=tuple(range(1, len(parsed.scenario.components) + 1)))


@router.get("/allocate/sensitivity", response_class=HTMLResponse, name="allocate_sensitivity")
def allocate_sensitivity(reading: PageReading, request: Request) -> Response:
    if reading is None:
        page = present_without_data(SENSITIVITY_HEADING, has_data=False)
        return render(request, SENSITIVITY_TEMPLATE, page)
    params = _query(request)
    chosen = bool((SCENARIO_KEYS | {"other"}) & params.keys())
    con = reading.con
    icbs = list_icbs(con)
    if not icbs:
        page = present_without_data(SENSITIVITY_HEADING, has_data=True)
        return render(request, SENSITIVITY_TEMPLATE, page)
    icb = params.get("icb", "").strip().upper()
    inp = read_scenario_input(params, defaults=None if chosen else starting_input(icb))
    other = _other_component(params, inp)
    catalogue = load_catalogue(con, icbs, inp.icb)
    errors: list[FieldError] = []
    sensitivity: Sensitivity | None = None
    if chosen:
        sensitivity, errors = _sweep(con, sweep_input(inp, other), icbs)
    elif "icb" in params:
        problem = _icb_error(inp, icbs)
        errors = [] if problem is None else [problem]
    page = present_sensitivity(
        icbs=icbs,
        catalogue=catalogue,
        inp=inp,
        other=other,
        errors=errors,
        sensitivity=sensitivity if not errors else None,
    )
    return render(request, SENSITIVITY_TEMPLATE, page, status_code=_error_status(request, errors))


# --- the method ---------------------------------------------------------------------------------


# --- checking a result of the published eFIT tool -----------------------------------------------

TOOL_TEMPLATE = "allocate_published_tool.html"


@router.get(TOOL_PATH, response_class=HTMLResponse, name="allocate_published_tool")
def allocate_published_tool(request: Request, reading: PageReading) -> Response:
    """The published tool's code beside the formula, for the scenario of the query (eFIT
    classic; ``unset`` = the weight left on the tool's indicator 1 at "Choose an option")."""
    params = _query(request)
    inp = replace(read_scenario_input(params), method=Method.EFIT_CLASSIC.value)
    back = f"{ALLOCATE_PATH}?{inp.query()}"
    if reading is None:
        page = present_tool_problems(["No data is loaded."], back)
        return render(request, TOOL_TEMPLATE, page, status_code=503)
    unset, problem = parse_percentage(params.get("unset", ""))
    outcome, errors = run_scenario(reading.con, inp, list_icbs(reading.con))
    problems = [e.message for e in errors] + ([problem] if problem else [])
    if outcome is None or problems:
        page = present_tool_problems(problems, back)
        return render(request, TOOL_TEMPLATE, page, status_code=UNPROCESSABLE)
    try:
        files = load_warehouse_tool_files(reading.con, outcome.icb.code)
        check = check_published_tool(files, tool_request(outcome, files, unset))
    except ToolFileError as error:
        page = present_tool_problems([str(error)], back)
        return render(request, TOOL_TEMPLATE, page, status_code=UNPROCESSABLE)
    return render(request, TOOL_TEMPLATE, present_tool_check(check, outcome, back))


@router.get("/allocate/method", response_class=HTMLResponse, name="allocate_method")
def allocate_method(request: Request) -> Response:
    body: str | None = None
    with contextlib.suppress(OSError):
        body = packaged_method_html()
    return render(request, METHOD_TEMPLATE, present_method(body))
