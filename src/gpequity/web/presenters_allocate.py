"""The allocation tool's pages (``/allocate``, ``/allocate/compare``, ``/allocate/sensitivity``).

The route (``routes/allocate.py``) reads the request and the warehouse; this module reads the
form's text into a :class:`~gpequity.allocation.scenario.Scenario` (reporting every problem field
by field), and turns the engine's results into the pages' view objects: every label, sentence,
format, table and chart. The figures are the engine's (``ScenarioOutcome.result``): this module
formats, orders and selects them. The few derived figures a page explains with (a baseline per
patient on the chart, the differences between two scenarios, how much a component's money
varies per patient) are each computed in one named function here, exactly (``Decimal``), from
the engine's own figures.

The form is a plain GET whose query string reproduces the scenario:

``icb``, ``amount``, ``method`` (``recommended`` | ``efit-classic``), ``sex`` (``all`` |
``female`` | ``male``), ``age_from``, ``age_to`` (blank: and over), ``c1``..``c3`` (indicator
ids), ``w1``..``w3`` (weights in percent), ``d1``..``d3`` (blank: the indicator's own direction,
``higher`` or ``lower``), ``missing`` (``impute`` | ``exclude``), ``baseline`` (``per-head`` |
``weighted``), ``exclude`` (practice codes), ``sort`` and ``order`` (the results table).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from gpequity.allocation import (
    CLASSIC_REMAINDER_ID,
    MAX_COMPONENTS,
    AllocationResult,
    Baseline,
    ComponentKind,
    Direction,
    InputProblem,
    Method,
    MissingPolicy,
    PracticeAllocation,
    QuintileSummary,
    Unit,
    UploadedColumn,
    UploadProblem,
)
from gpequity.allocation.catalogue import IMD_ID, OLDEST_AGE, POPULATION_ID, UPLOAD, IndicatorEntry
from gpequity.allocation.icbs import IcbEntry
from gpequity.allocation.pools import Sex, TargetPopulation
from gpequity.allocation.scenario import ComponentChoice, Scenario, ScenarioOutcome
from gpequity.allocation.upload import UPLOAD_ID_PREFIX
from gpequity.charts import CONFIG, HEIGHT, QUINTILE_COLOURS, SCHEMA, WIDTH, Chart, render_svg

# --- where things are --------------------------------------------------------------------------

ALLOCATE_PATH = "/allocate"
COMPARE_PATH = "/allocate/compare"
SENSITIVITY_PATH = "/allocate/sensitivity"
METHOD_PATH = "/allocate/method"
#: ``/allocate/download.csv`` and ``/allocate/download.xlsx``, with the page's query.
DOWNLOAD_PATH = "/allocate/download"
#: The worked example on the method page.
WORKED_EXAMPLE_ANCHOR = "worked-example"
PAGE_HEADING = "Allocate extra funding"

# --- limits and conventions --------------------------------------------------------------------

#: Rows of components on the form (the engine takes up to this many).
COMPONENT_ROWS = MAX_COMPONENTS
#: Longest amount, weight and age text read (a longer one is refused, not parsed).
MAX_NUMBER_CHARS = 24
#: Digits allowed before the decimal point of an amount: up to £999,999,999,999,999.
MAX_AMOUNT_DIGITS = 15
#: Practice codes to leave out: at most this much text, this many codes.
MAX_EXCLUDE_CHARS = 20_000
MAX_EXCLUDED_CODES = 2_000
#: The sensitivity view moves the deprivation weight in these steps, 0% to 100%.
SENSITIVITY_STEP = 10
FULL_WEIGHT = Decimal(100)
#: A component whose money per patient varies by less than this (5%) between the practices it
#: favours most and least "barely moves money" (the eFIT classic flaw on lower-is-more-need
#: indicators, shown on the compare page).
BARELY_MOVES = Decimal("0.05")
PER_PATIENT_PLACES = Decimal("0.0001")
PENCE = Decimal("0.01")
#: Shown where the engine gives no value.
NOT_AVAILABLE = "Not available"
MINUS = "\u2212"

METHOD_CHOICES: tuple[tuple[Method, str, str], ...] = (
    (
        Method.RECOMMENDED,
        "Recommended (shares of need)",
        "Each component's weight of the money is shared in proportion to need: target "
        "population times need per person. The weights add up to 100%.",
    ),
    (
        Method.EFIT_CLASSIC,
        "eFIT classic (the published tool's formula)",
        "The formula of the published eFIT tool, to compare with. The weights can add up to "
        "less than 100%: the rest is shared per head.",
    ),
)
METHOD_WORDS = {
    Method.RECOMMENDED: "the recommended method (shares of need)",
    Method.EFIT_CLASSIC: "eFIT classic (the published tool's formula)",
}
SEX_CHOICES: tuple[tuple[Sex, str], ...] = (
    (Sex.ALL, "All patients"),
    (Sex.FEMALE, "Female patients"),
    (Sex.MALE, "Male patients"),
)
#: The form's words for the missing-value policy and the baseline, and the engine's values.
MISSING_CHOICES: tuple[tuple[str, MissingPolicy, str, str], ...] = (
    (
        "impute",
        MissingPolicy.IMPUTE_MEDIAN,
        "Use the median of the ICB's practices (marked as imputed)",
        "A missing value is never treated as zero.",
    ),
    (
        "exclude",
        MissingPolicy.EXCLUDE,
        "Give that practice no share of that component",
        "It still gets its share of the other components.",
    ),
)
BASELINE_CHOICES: tuple[tuple[str, Baseline, str], ...] = (
    ("per-head", Baseline.PER_HEAD, "Per head: the amount split by target population"),
    ("weighted", Baseline.WEIGHTED_POPULATION, "By NHS England weighted list"),
)
DIRECTION_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Usual for this indicator"),
    (Direction.HIGHER.value, "Higher = more need"),
    (Direction.LOWER.value, "Lower = more need"),
)
DIRECTION_WORDS = {Direction.HIGHER: "higher = more need", Direction.LOWER: "lower = more need"}
#: Option groups of the component select, in order: (title, test on a catalogue entry).
CORE_IDS = frozenset({IMD_ID, POPULATION_ID, "weighted-population"})
SOURCE_GROUPS: dict[str, str] = {
    "efit": "eFIT tool indicators",
    "fingertips": "Fingertips indicators (OHID)",
    "qof": "QOF",
    "payments": "NHS payments",
    UPLOAD: "Your file",
}
#: Columns of the results table that can be sorted, by their ``sort`` value.
SORT_KEYS = (
    "practice",
    "pcn",
    "imd",
    "population",
    "c1",
    "c2",
    "c3",
    "allocation",
    "per_patient",
    "baseline",
    "difference",
)
COMPARE_SORT_KEYS = ("practice", "imd", "a", "b", "difference", "a_per_patient", "b_per_patient")
ASCENDING = "asc"
DESCENDING = "desc"
#: The id prefix of the components read from a user's file.
UPLOAD_PREFIX = UPLOAD_ID_PREFIX
#: The names of the scenario's fields in the query string, in their canonical order.
#: The fields in the order the form shows them, for the error summary: shared ones first,
#: then each scenario's method and components, then the rest.
FIELDS_BEFORE = ("icb", "amount", "sex", "age_from", "age_to")
OWN_FIELD_ORDER = ("method", "c1", "w1", "d1", "c2", "w2", "d2", "c3", "w3", "d3", "other")
FIELDS_AFTER = ("missing", "baseline", "exclude", "indicators_file")
SCENARIO_PREFIXES = ("a-", "b-")


# --- the form as typed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentInput:
    """One row of components as typed: an indicator id, a weight, a direction (blank: usual)."""

    id: str = ""
    weight: str = ""
    direction: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.id.strip() and not self.weight.strip()


def _blank_rows() -> tuple[ComponentInput, ...]:
    return tuple(ComponentInput() for _ in range(COMPONENT_ROWS))


@dataclass(frozen=True)
class ScenarioInput:
    """The form's fields as the user typed them (text), for one scenario.

    ``components`` always has :data:`COMPONENT_ROWS` rows. Reading never fails: what cannot be
    understood is reported by :func:`parse_scenario` and shown back in the form as typed.
    """

    icb: str = ""
    amount: str = ""
    method: str = Method.RECOMMENDED.value
    sex: str = Sex.ALL.value
    age_from: str = ""
    age_to: str = ""
    components: tuple[ComponentInput, ...] = field(default_factory=_blank_rows)
    missing: str = "impute"
    baseline: str = "per-head"
    exclude: str = ""

    def own_items(self, prefix: str = "") -> list[tuple[str, str]]:
        """The method and components as query items (blank rows left out)."""
        items = [(f"{prefix}method", self.method)]
        for number, row in enumerate(self.components, start=1):
            if row.is_blank:
                continue
            items += [(f"{prefix}c{number}", row.id.strip()), (f"{prefix}w{number}", row.weight)]
            if row.direction:
                items.append((f"{prefix}d{number}", row.direction))
        return items

    def shared_items(self) -> list[tuple[str, str]]:
        """ICB, amount, target population, missing values, baseline and exclusions."""
        items = [("icb", self.icb), ("amount", self.amount), ("sex", self.sex)]
        items.append(("age_from", self.age_from or "0"))
        if self.age_to:
            items.append(("age_to", self.age_to))
        items += [("missing", self.missing), ("baseline", self.baseline)]
        codes = exclusion_codes(self.exclude)
        if codes:
            items.append(("exclude", " ".join(codes)))
        return items

    def query_items(self) -> list[tuple[str, str]]:
        """The canonical query string of the scenario, as ``(name, value)`` pairs."""
        shared = self.shared_items()
        own = self.own_items()
        # ICB and amount first, then the method and components, then the rest: a URL that
        # reads in the order of the form.
        return shared[:2] + own + shared[2:]

    def query(self) -> str:
        return urlencode(self.query_items())


def _text(params: Mapping[str, str], name: str, limit: int | None = None) -> str:
    value = params.get(name)
    if value is None:
        return ""
    text = value.strip()
    return text if limit is None else text[: limit + 1]


def read_scenario_input(
    params: Mapping[str, str], prefix: str = "", defaults: ScenarioInput | None = None
) -> ScenarioInput:
    """The scenario as typed in ``params`` (a query string or a posted form).

    ``prefix`` (``a.`` or ``b.`` on the compare page) names the method and component fields;
    the ICB, amount, target population, missing values, baseline and exclusions are shared
    and unprefixed. A field absent from ``params`` keeps its value in ``defaults``.
    """
    base = defaults or ScenarioInput()

    def get(name: str, fallback: str, limit: int | None = MAX_NUMBER_CHARS) -> str:
        return _text(params, name, limit) if name in params else fallback

    rows = []
    for number, default in enumerate(base.components, start=1):
        rows.append(
            ComponentInput(
                id=get(f"{prefix}c{number}", default.id, 200),
                weight=get(f"{prefix}w{number}", default.weight),
                direction=get(f"{prefix}d{number}", default.direction),
            )
        )
    return ScenarioInput(
        icb=get("icb", base.icb).upper(),
        amount=get("amount", base.amount),
        method=get(f"{prefix}method", base.method),
        sex=get("sex", base.sex),
        age_from=get("age_from", base.age_from),
        age_to=get("age_to", base.age_to),
        components=tuple(rows),
        missing=get("missing", base.missing),
        baseline=get("baseline", base.baseline),
        exclude=get("exclude", base.exclude, MAX_EXCLUDE_CHARS),
    )


#: What the form starts with once an ICB is chosen: half deprivation, half per head.
STARTING_COMPONENTS = (
    ComponentInput(IMD_ID, "50"),
    ComponentInput(POPULATION_ID, "50"),
    ComponentInput(),
)


def starting_input(icb: str) -> ScenarioInput:
    """The form for a newly chosen ICB: nothing typed yet but a sensible pair of components."""
    return ScenarioInput(icb=icb.strip().upper(), components=STARTING_COMPONENTS)


def without_uploads(inp: ScenarioInput) -> ScenarioInput:
    """The scenario with the components of an uploaded file cleared."""
    rows = tuple(
        ComponentInput() if row.id.startswith(UPLOAD_PREFIX) else row for row in inp.components
    )
    return replace(inp, components=rows)


def exclusion_codes(text: str) -> list[str]:
    """Practice codes typed into "practices to leave out": any separators, upper case, once."""
    return list(dict.fromkeys(code.upper() for code in re.split(r"[\s,;]+", text) if code))


# --- reading the form into a scenario --------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """A problem with one field: the id of its control (the error summary links to it)."""

    field: str
    message: str


@dataclass(frozen=True)
class ParsedScenario:
    """A scenario read from the form: ``scenario`` with every problem found reading it.

    ``scenario`` is built even when there are problems, with stand-ins for the fields that
    could not be read, so that the engine can report everything else at once; the fields in
    ``errors`` are the ones whose problems the engine's answer must not repeat.
    ``rows[i]`` is the form row (1 to 3) of the scenario's component ``i``.
    """

    scenario: Scenario
    errors: tuple[FieldError, ...]
    rows: tuple[int, ...]


AMOUNT_TEXT = re.compile(r"^-?(\d+)(\.\d+)?$")
WHOLE_NUMBER = re.compile(r"^\d{1,3}$")


def field_id(prefix: str, name: str) -> str:
    """The HTML id of a field: ``a.c1`` becomes ``a-c1`` (ids without dots read better)."""
    return prefix.replace(".", "-") + name


def parse_amount(text: str) -> tuple[Decimal | None, str | None]:
    """Pounds from "250000", "250,000.50" or "£250,000"; ``None`` and a message when not."""
    cleaned = text.replace(",", "").replace(" ", "").replace("£", "")
    if not cleaned:
        return None, "Enter the amount to share out, in pounds, for example 250000."
    match = AMOUNT_TEXT.match(cleaned)
    if match is None or len(text) > MAX_NUMBER_CHARS:
        return None, "Enter the amount as a number of pounds, for example 250000 or 250000.50."
    if len(match.group(1).lstrip("0")) > MAX_AMOUNT_DIGITS:
        return None, "The amount is too large: enter at most 15 digits before the decimal point."
    return Decimal(cleaned), None


def _parse_weight(text: str) -> Decimal | None:
    cleaned = text.replace("%", "").strip()
    if not cleaned or len(cleaned) > MAX_NUMBER_CHARS:
        return None
    try:
        weight = Decimal(cleaned)
    except InvalidOperation:
        return None
    return weight if weight.is_finite() else None


def parse_scenario(inp: ScenarioInput, prefix: str = "") -> ParsedScenario:
    """Read the typed scenario; every field that cannot be read is reported, field by field.

    Checks here are the ones only the form can make (a number that is not a number, a weight
    without an indicator); everything else (weights adding to 100, an amount with fractions
    of a penny, an unknown indicator, ages the data cannot give) is the engine's to report.
    """
    errors: list[FieldError] = []

    def error(name: str, message: str) -> None:
        # The method and components are the scenario's own fields (prefixed on the compare
        # page); the rest are shared.
        errors.append(FieldError(field_id(prefix, name), message))

    amount, problem = parse_amount(inp.amount)
    if problem is not None:
        errors.append(FieldError("amount", problem))
    method = Method.RECOMMENDED
    if inp.method in {m.value for m in Method}:
        method = Method(inp.method)
    else:
        error("method", "Choose the method: recommended or eFIT classic.")
    sex = Sex.ALL
    if inp.sex in {s.value for s in Sex}:
        sex = Sex(inp.sex)
    else:
        errors.append(FieldError("sex", "Choose which patients: all, female or male."))
    age_from = 0
    if inp.age_from:
        if WHOLE_NUMBER.match(inp.age_from):
            age_from = int(inp.age_from)
        else:
            errors.append(
                FieldError(
                    "age_from",
                    f"Enter the youngest age as a whole number from 0 to {OLDEST_AGE}.",
                )
            )
    age_to: int | None = None
    if inp.age_to:
        if WHOLE_NUMBER.match(inp.age_to):
            age_to = int(inp.age_to)
        else:
            errors.append(
                FieldError(
                    "age_to",
                    f"Enter the oldest age as a whole number up to {OLDEST_AGE}, or leave it "
                    "empty for 'and over'.",
                )
            )
    choices: list[ComponentChoice] = []
    rows: list[int] = []
    for number, row in enumerate(inp.components, start=1):
        if row.is_blank:
            if row.direction and row.direction not in {d.value for d in Direction}:
                error(f"d{number}", f"Choose the direction of component {number}.")
            continue
        weight = _parse_weight(row.weight)
        if not row.id.strip():
            error(
                f"c{number}",
                f"Choose an indicator for component {number}, or clear its weight.",
            )
        if not row.weight.strip():
            error(f"w{number}", f"Enter the weight of component {number}, for example 50.")
        elif weight is None:
            error(
                f"w{number}",
                f"Enter the weight of component {number} as a percentage, for example 50 or 33.33.",
            )
        direction: Direction | None = None
        if row.direction in {d.value for d in Direction}:
            direction = Direction(row.direction)
        elif row.direction:
            error(f"d{number}", f"Choose the direction of component {number}.")
        if row.id.strip():
            # A weight that cannot be read stands in as 0: the engine then reports nothing
            # about the weights' total, which would be misleading.
            choices.append(ComponentChoice(row.id.strip(), weight or Decimal(0), direction))
            rows.append(number)
    missing = dict((key, policy) for key, policy, _, _ in MISSING_CHOICES).get(inp.missing)
    if missing is None:
        errors.append(FieldError("missing", "Choose what to do with a missing value."))
    baseline = dict((key, b) for key, b, _ in BASELINE_CHOICES).get(inp.baseline)
    if baseline is None:
        errors.append(FieldError("baseline", "Choose the baseline."))
    codes = exclusion_codes(inp.exclude)
    if len(inp.exclude) > MAX_EXCLUDE_CHARS or len(codes) > MAX_EXCLUDED_CODES:
        errors.append(
            FieldError(
                "exclude",
                f"Enter at most {MAX_EXCLUDED_CODES:,} practice codes to leave out.",
            )
        )
        codes = []
    scenario = Scenario(
        icb_code=inp.icb,
        amount=amount if amount is not None else Decimal(1),
        components=tuple(choices),
        method=method,
        target=TargetPopulation(sex, age_from, age_to),
        missing_policy=missing or MissingPolicy.IMPUTE_MEDIAN,
        excluded_practices=frozenset(codes),
        baseline=baseline or Baseline.PER_HEAD,
    )
    return ParsedScenario(scenario, tuple(errors), tuple(rows))


def order_errors(errors: Iterable[FieldError]) -> list[FieldError]:
    """The errors in the order of the form's fields, each reported once."""

    def position(error: FieldError) -> tuple[int, str, int]:
        name, prefix = error.field, ""
        if name.startswith(SCENARIO_PREFIXES):
            prefix, name = name[:2], name[2:]
        if name in FIELDS_BEFORE:
            return (0, "", FIELDS_BEFORE.index(name))
        if name in OWN_FIELD_ORDER:
            return (1, prefix, OWN_FIELD_ORDER.index(name))
        if name in FIELDS_AFTER:
            return (2, "", FIELDS_AFTER.index(name))
        return (3, prefix, 0)

    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=position)


COMPONENT_FIELD = re.compile(r"^components\[(\d+)\](?:\.(\w+))?$")
#: The form field each of the engine's fields is shown on.
FORM_FIELD_OF = {
    "icb_code": "icb",
    "practices": "icb",
    "amount": "amount",
    "method": "method",
    "sex": "sex",
    "age_from": "age_from",
    "age_to": "age_to",
    "age": "age_from",
    "missing_policy": "missing",
    "baseline": "baseline",
    "excluded_practices": "exclude",
}
OWN_FIELDS = frozenset({"method"})


def engine_errors(
    problems: Iterable[InputProblem], parsed: ParsedScenario, prefix: str = ""
) -> list[FieldError]:
    """The engine's problems as form errors, on the fields they concern.

    Problems on a field the form already reported (its stand-in value) are left out, and an
    indicator the catalogue does not know that came from an earlier upload says so.
    """
    reported = {e.field for e in parsed.errors}
    # A row the form could not read is left out of the scenario: the total of the weights
    # would then be misleading.
    rows_unread = any(
        name[len(field_id(prefix, "")) :][:1] in {"c", "w"}
        for name in reported
        if name.startswith(field_id(prefix, ""))
    )
    out: list[FieldError] = []
    for problem in problems:
        if problem.field == "components" and rows_unread and "weight" in problem.message:
            continue
        match = COMPONENT_FIELD.match(problem.field)
        message = problem.message
        if match is not None:
            index, part = int(match.group(1)), match.group(2)
            row = parsed.rows[index] if index < len(parsed.rows) else 1
            letter = {"weight": "w", "direction": "d"}.get(part or "", "c")
            name = field_id(prefix, f"{letter}{row}")
            choice = (
                parsed.scenario.components[index]
                if index < len(parsed.scenario.components)
                else None
            )
            if choice is not None and choice.id.startswith(UPLOAD_PREFIX) and letter == "c":
                message += " Your uploaded file is not kept: upload it again to use its columns."
        elif problem.field == "components":
            letter = "w" if "weight" in message else "c"
            first = parsed.rows[0] if parsed.rows else 1
            name = field_id(prefix, f"{letter}{first}")
        else:
            base = FORM_FIELD_OF.get(problem.field, "icb")
            name = field_id(prefix, base) if base in OWN_FIELDS else base
        if name in reported:
            continue
        out.append(FieldError(name, message))
    return out


# --- the user's own indicators -----------------------------------------------------------------


@dataclass(frozen=True)
class UploadState:
    """The indicators a user uploaded, for this request only (never stored).

    ``data`` is the good values as CSV text, which the form carries in a hidden field so the
    next submission (Calculate, a download) has them again without the file; it is read back
    with the same checks as the file.
    """

    filename: str
    columns: tuple[UploadedColumn, ...]
    problems: tuple[UploadProblem, ...]
    data: str


#: The header of the practice-code column of the carried data.
CARRIED_CODE_HEADER = "Practice code"


def carried_data(columns: Sequence[UploadedColumn]) -> str:
    """The good values of an upload as CSV text (code, then one column per upload column).

    The column headers are the user's own, so that reading it back gives the same ids; it is
    read only by :func:`gpequity.allocation.parse_indicator_upload`, never by a spreadsheet.
    """
    if not columns:
        return ""
    codes = sorted({code for column in columns for code in column.values})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([CARRIED_CODE_HEADER, *(column.name for column in columns)])
    for code in codes:
        values = [column.values.get(code) for column in columns]
        writer.writerow([code, *("" if v is None else repr(v) for v in values)])
    return buffer.getvalue()


@dataclass(frozen=True)
class ProblemRow:
    row: str
    column: str
    message: str


@dataclass(frozen=True)
class UploadView:
    """What the page says about an upload: the file, its columns, its problems."""

    filename: str
    summary: str
    columns: tuple[str, ...]
    problems: tuple[ProblemRow, ...]
    data: str


def present_upload(upload: UploadState | None) -> UploadView | None:
    if upload is None:
        return None
    columns = tuple(f"{c.name} ({len(c.values):,} practices with a value)" for c in upload.columns)
    if upload.columns:
        summary = (
            f"{upload.filename} gives {_count(len(upload.columns), 'component', 'components')} "
            "you can choose below, under 'Your file'."
        )
    else:
        summary = f"{upload.filename} gives no column of values that can be used."
    if upload.problems:
        summary += (
            f" {_count(len(upload.problems), 'problem was', 'problems were')} found; the rows "
            "with problems were left out."
        )
    problems = tuple(
        ProblemRow(
            "" if p.row is None else str(p.row),
            p.column or "",
            p.message,
        )
        for p in upload.problems
    )
    return UploadView(upload.filename, summary, columns, problems, upload.data)


def upload_fields(upload: UploadState | None) -> tuple[tuple[str, str], ...]:
    """The hidden fields that carry an upload's good values to the next submission."""
    if upload is None:
        return ()
    return (("upload_name", upload.filename), ("upload_data", upload.data))


# --- form views --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    text: str
    selected: bool = False


@dataclass(frozen=True)
class OptionGroup:
    """Options of a select; ``label`` ``None``: not in an ``optgroup``."""

    label: str | None
    options: tuple[Option, ...]


@dataclass(frozen=True)
class SelectField:
    id: str
    name: str
    label: str
    groups: tuple[OptionGroup, ...]
    hint: str | None = None
    error: str | None = None
    hx_refresh: bool = False


@dataclass(frozen=True)
class TextField:
    id: str
    name: str
    label: str
    value: str
    hint: str | None = None
    error: str | None = None
    width: int | None = None
    numeric: bool = False
    prefix: str | None = None
    suffix: str | None = None
    multiline: bool = False
    data_weight: bool = False


@dataclass(frozen=True)
class RadioItem:
    id: str
    value: str
    label: str
    checked: bool
    hint: str | None = None


@dataclass(frozen=True)
class RadioGroup:
    id: str
    name: str
    legend: str
    items: tuple[RadioItem, ...]
    hint: str | None = None
    error: str | None = None
    inline: bool = False
    small: bool = False


@dataclass(frozen=True)
class ComponentRowView:
    number: int
    legend: str
    indicator: SelectField
    weight: TextField
    direction: RadioGroup


@dataclass(frozen=True)
class MethodFields:
    """The method and the components of one scenario (the compare page has two)."""

    prefix_id: str
    heading: str | None
    method: RadioGroup
    rows: tuple[ComponentRowView, ...]
    weights_error: str | None
    weights_hint: str


@dataclass(frozen=True)
class SharedFields:
    """The ICB, the amount, the target population, missing values, baseline, exclusions."""

    icb: SelectField
    amount: TextField
    sex: RadioGroup
    age_from: TextField
    age_to: TextField
    missing: RadioGroup
    baseline: RadioGroup
    exclude: TextField
    target_hint: str


def _errors_by_field(errors: Iterable[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        out[e.field] = f"{out[e.field]} {e.message}" if e.field in out else e.message
    return out


def _radios(
    group_id: str,
    name: str,
    legend: str,
    choices: Sequence[tuple[str, str, str | None]],
    value: str,
    errors: Mapping[str, str],
    *,
    hint: str | None = None,
    inline: bool = False,
    small: bool = False,
) -> RadioGroup:
    values = [c[0] for c in choices]
    chosen = value if value in values else values[0]
    items = tuple(
        RadioItem(
            id=group_id if index == 0 else f"{group_id}-{choice or 'usual'}",
            value=choice,
            label=label,
            checked=choice == chosen,
            hint=item_hint,
        )
        for index, (choice, label, item_hint) in enumerate(choices)
    )
    return RadioGroup(group_id, name, legend, items, hint, errors.get(group_id), inline, small)


def _coverage_text(coverage: float | None) -> str:
    if coverage is None:
        return ""
    if coverage >= 1:
        return "every practice has a value"
    percent = Decimal(str(coverage * 100)).quantize(Decimal("1"), ROUND_HALF_UP)
    return f"{percent}% of practices have a value"


def _group_of(entry: IndicatorEntry) -> str:
    if entry.id in CORE_IDS:
        return "Deprivation and population"
    if entry.id.startswith("age-"):
        return "Age of the registered patients"
    return SOURCE_GROUPS.get(entry.source, entry.source)


def indicator_option_text(entry: IndicatorEntry) -> str:
    """ "Bowel cancer screening coverage (lower = more need) — 96% of practices have a value"."""
    text = entry.name
    if entry.kind == ComponentKind.INDICATOR and entry.direction == Direction.LOWER:
        text += " (lower = more need)"
    coverage = _coverage_text(entry.coverage)
    return f"{text} — {coverage}" if coverage else text


def indicator_groups(
    catalogue: Sequence[IndicatorEntry], chosen: str, *, allow_none: bool = True
) -> tuple[OptionGroup, ...]:
    """The component select's options, grouped, with ``chosen`` selected (kept if unknown)."""
    groups: dict[str, list[Option]] = {}
    known = False
    for entry in catalogue:
        selected = entry.id == chosen
        known = known or selected
        groups.setdefault(_group_of(entry), []).append(
            Option(entry.id, indicator_option_text(entry), selected)
        )
    first = [Option("", "None", not chosen)] if allow_none else []
    if chosen and not known:
        first.append(Option(chosen, f"{chosen} (not available)", True))
    head = (OptionGroup(None, tuple(first)),) if first else ()
    return (*head, *(OptionGroup(label, tuple(options)) for label, options in groups.items()))


def icb_options(icbs: Sequence[IcbEntry], chosen: str) -> tuple[OptionGroup, ...]:
    options = [Option("", "Choose an ICB", not chosen)]
    known = False
    for icb in icbs:
        selected = icb.code == chosen
        known = known or selected
        options.append(Option(icb.code, f"{icb.name} ({icb.code})", selected))
    if chosen and not known:
        options.insert(1, Option(chosen, f"{chosen} (not an ICB of the loaded data)", True))
    return (OptionGroup(None, tuple(options)),)


def method_fields(
    inp: ScenarioInput,
    catalogue: Sequence[IndicatorEntry],
    errors: Mapping[str, str],
    prefix: str = "",
    heading: str | None = None,
) -> MethodFields:
    """The method radios and the component rows of one scenario."""
    pid = field_id(prefix, "")
    method = _radios(
        field_id(prefix, "method"),
        f"{prefix}method",
        "Method",
        [(m.value, label, hint) for m, label, hint in METHOD_CHOICES],
        inp.method,
        errors,
    )
    rows = []
    for number, row in enumerate(inp.components, start=1):
        rows.append(
            ComponentRowView(
                number=number,
                legend=f"Component {number}" + (" (optional)" if number > 1 else ""),
                indicator=SelectField(
                    id=field_id(prefix, f"c{number}"),
                    name=f"{prefix}c{number}",
                    label="Indicator",
                    groups=indicator_groups(catalogue, row.id),
                    error=errors.get(field_id(prefix, f"c{number}")),
                ),
                weight=TextField(
                    id=field_id(prefix, f"w{number}"),
                    name=f"{prefix}w{number}",
                    label="Weight",
                    value=row.weight,
                    error=errors.get(field_id(prefix, f"w{number}")),
                    width=4,
                    suffix="%",
                    data_weight=True,
                ),
                direction=_radios(
                    field_id(prefix, f"d{number}"),
                    f"{prefix}d{number}",
                    "Which end means more need",
                    [(value, label, None) for value, label in DIRECTION_CHOICES],
                    row.direction,
                    errors,
                    inline=True,
                    small=True,
                ),
            )
        )
    return MethodFields(
        prefix_id=pid,
        heading=heading,
        method=method,
        rows=tuple(rows),
        weights_error=None,
        weights_hint=(
            "Up to three components. The weights add up to 100% (eFIT classic: at most 100%, "
            "the rest shared per head)."
        ),
    )


def shared_fields(
    inp: ScenarioInput, icbs: Sequence[IcbEntry], errors: Mapping[str, str]
) -> SharedFields:
    """The fields every scenario of a page shares."""
    return SharedFields(
        icb=SelectField(
            "icb",
            "icb",
            "Integrated care board (ICB)",
            icb_options(icbs, inp.icb),
            hint="The ICBs of the newest data, including those merged in April 2026.",
            error=errors.get("icb"),
            hx_refresh=True,
        ),
        amount=TextField(
            "amount",
            "amount",
            "Amount to share out",
            inp.amount,
            hint="In pounds, for example 250000 or 250000.50.",
            error=errors.get("amount"),
            width=10,
            prefix="£",
        ),
        sex=_radios(
            "sex",
            "sex",
            "Which patients",
            [(s.value, label, None) for s, label in SEX_CHOICES],
            inp.sex,
            errors,
            inline=True,
        ),
        age_from=TextField(
            "age_from",
            "age_from",
            "From age",
            inp.age_from,
            error=errors.get("age_from"),
            width=3,
            numeric=True,
        ),
        age_to=TextField(
            "age_to",
            "age_to",
            "To age",
            inp.age_to,
            error=errors.get("age_to"),
            width=3,
            numeric=True,
        ),
        missing=_radios(
            "missing",
            "missing",
            "If a practice has no value for an indicator",
            [(key, label, hint) for key, _, label, hint in MISSING_CHOICES],
            inp.missing,
            errors,
        ),
        baseline=_radios(
            "baseline",
            "baseline",
            "Compare each allocation with",
            [(key, label, None) for key, _, label in BASELINE_CHOICES],
            inp.baseline,
            errors,
            small=True,
        ),
        exclude=TextField(
            "exclude",
            "exclude",
            "Practices to leave out (optional)",
            inp.exclude,
            hint=(
                "Practice codes, separated by commas, spaces or new lines: for example a "
                "practice already funded by another route."
            ),
            error=errors.get("exclude"),
            multiline=True,
        ),
        target_hint=(
            "The registered patients the money is for: by default, all of them. Ages run from "
            f"0 to {OLDEST_AGE} ({OLDEST_AGE} means {OLDEST_AGE} and over); leave 'To age' "
            "empty for 'and over'."
        ),
    )


# --- tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and the value it sorts by (``None``: sorts last)."""

    text: str
    numeric: bool = False
    header: bool = False
    sort_value: str | None = None
    note: str | None = None
    secondary: str | None = None


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    key: str | None = None
    href: str | None = None
    aria_sort: str | None = None
    next_order: str | None = None


@dataclass(frozen=True)
class TableView:
    id: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    foot: tuple[Cell, ...] | None = None
    sortable: bool = False
    small: bool = False


@dataclass(frozen=True)
class SortChoice:
    """The order of a table: a column key (``None``: by practice code) and the direction."""

    key: str | None = None
    descending: bool = False

    def items(self) -> list[tuple[str, str]]:
        if self.key is None:
            return []
        return [("sort", self.key), ("order", DESCENDING if self.descending else ASCENDING)]


def read_sort(sort: str | None, order: str | None, keys: Sequence[str] = SORT_KEYS) -> SortChoice:
    """``?sort=allocation&order=desc``; anything unknown falls back to the practice code."""
    key = (sort or "").strip().lower()
    if key not in keys:
        return SortChoice()
    return SortChoice(key, (order or "").strip().lower() == DESCENDING)


def _sort_key(value: str | None) -> tuple[int, Decimal | str]:
    if value is None or value == "":
        return (1, "")
    try:
        return (0, Decimal(value))
    except InvalidOperation:
        return (0, value.lower())


def sort_rows(
    rows: Sequence[tuple[Cell, ...]], index: int, descending: bool
) -> list[tuple[Cell, ...]]:
    """Rows in the order of column ``index``'s sort values; rows without a value stay last."""
    present = [r for r in rows if _sort_key(r[index].sort_value)[0] == 0]
    missing = [r for r in rows if _sort_key(r[index].sort_value)[0] == 1]
    ordered = sorted(present, key=lambda r: _sort_key(r[index].sort_value)[1], reverse=descending)
    return ordered + missing


def sortable_columns(
    columns: Sequence[Column], sort: SortChoice, href: Callable[[SortChoice], str]
) -> tuple[Column, ...]:
    """Columns with links that sort by them (ascending first, then descending)."""
    out = []
    for column in columns:
        if column.key is None:
            out.append(column)
            continue
        current = sort.key == column.key
        next_choice = SortChoice(column.key, current and not sort.descending)
        aria = None
        if current:
            aria = "descending" if sort.descending else "ascending"
        out.append(
            replace(
                column,
                href=href(next_choice),
                aria_sort=aria,
                next_order=DESCENDING if next_choice.descending else ASCENDING,
            )
        )
    return tuple(out)


# --- formats ------------------------------------------------------------------------------------


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n:,} {singular if n == 1 else plural}"


def format_pounds(value: Decimal) -> str:
    """£1,234.56; −£1,234.56."""
    sign = MINUS if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"


def format_change(value: Decimal) -> str:
    """+£822.51, −£1,225.10, £0.00."""
    if value == 0:
        return "£0.00"
    return ("+" if value > 0 else MINUS) + f"£{abs(value):,.2f}"


def format_per_patient(value: Decimal | None) -> str:
    return NOT_AVAILABLE if value is None else f"£{value:,.4f}"


def format_share(value: Decimal | float) -> str:
    """A fraction of 1 as a percentage: 0.123456 -> 12.3%."""
    percent = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{percent}%"


def format_points(value: Decimal) -> str:
    """A difference of two fractions in percentage points: +2.3 points."""
    points = (value * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if points == 0:
        return "0.0 points"
    return ("+" if points > 0 else MINUS) + f"{abs(points)} points"


def format_people(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_value(value: float | None, unit: Unit) -> str:
    """An indicator value: 72.5%, 13.98, 1,234.57 (at most two decimals)."""
    if value is None:
        return "missing"
    number = Decimal(str(value)).quantize(PENCE, ROUND_HALF_UP)
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == Unit.PERCENTAGE else text


def format_weight(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text}%"


def format_index(value: float | None) -> str:
    if value is None:
        return NOT_AVAILABLE
    text = f"{abs(value):.3f}"
    return (MINUS + text) if value < 0 and text != "0.000" else text


def _plain(value: Decimal | float | None) -> str | None:
    """A number as plain text to sort by."""
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else repr(float(value))


# --- derived figures (from the engine's own) ---------------------------------------------------


def baseline_per_patient(practice: PracticeAllocation) -> Decimal | None:
    """The practice's baseline over its target population, to the engine's four places."""
    if practice.target_population <= 0:
        return None
    return (practice.baseline / Decimal(str(practice.target_population))).quantize(
        PER_PATIENT_PLACES, ROUND_HALF_UP
    )


def component_spread(result: AllocationResult, component_id: str) -> Decimal | None:
    """How much more per patient a component gives the practice it favours most than the one
    it favours least, as a fraction (0.003 = 0.3% more); ``None`` when it cannot be said.

    Practices with no share of the component (a missing value, no patients) are left out.
    """
    index = next((i for i, pot in enumerate(result.pots) if pot.id == component_id), None)
    if index is None:
        return None
    per_patient = [
        p.components[index].part / Decimal(str(p.target_population))
        for p in result.practices
        if p.target_population > 0 and p.components[index].part > 0
    ]
    if len(per_patient) < 2 or min(per_patient) <= 0:
        return None
    return max(per_patient) / min(per_patient) - 1


# --- the results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryItem:
    key: str
    value: str


@dataclass(frozen=True)
class ChartView:
    id: str
    heading: str
    reading: str
    svg: Markup
    table: TableView | None


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class ResultsView:
    """Everything the results part of the page shows."""

    heading: str
    sentences: tuple[str, ...]
    inputs: tuple[SummaryItem, ...]
    practices: TableView
    quintiles: TableView
    quintile_sentence: str | None
    pcns: TableView
    chart: ChartView | None
    excluded: TableView | None
    excluded_sentence: str
    method: tuple[str, ...]
    method_href: str
    csv_href: str | None
    xlsx_href: str | None
    share_url: str | None
    explore: tuple[Link, ...]
    uploaded: bool
    table_note: str
    hidden: tuple[tuple[str, str], ...]


def describe_components(result: AllocationResult) -> str:
    """ "Deprivation score (IMD 2025) 50%, Population only 50%"."""
    parts = []
    for pot in result.pots:
        words = f"{pot.name} {format_weight(pot.weight)}"
        if pot.kind == ComponentKind.INDICATOR:
            words += f" ({DIRECTION_WORDS[pot.direction]})"
        parts.append(words)
    return "; ".join(parts)


def _quintile_sentence(quintiles: Sequence[QuintileSummary]) -> str | None:
    ranked = [q for q in quintiles if q.quintile is not None and q.practices > 0]
    if not ranked:
        return None
    most = max(ranked, key=lambda q: q.quintile or 0)
    least = min(ranked, key=lambda q: q.quintile or 0)
    sentence = (
        f"The ICB's most deprived practices, in {most.label}, get "
        f"{format_share(most.money_share)} of the money for {format_share(most.population_share)}"
        " of the patients"
    )
    if least is not most:
        sentence += (
            f"; its least deprived, in {least.label}, get {format_share(least.money_share)} for "
            f"{format_share(least.population_share)}"
        )
    return sentence + "."


def _index_sentence(index: float | None) -> str:
    if index is None:
        return "The concentration index cannot be worked out (too few practices with an IMD score)."
    if index < 0:
        lean = "negative: the money goes more to the practices in more deprived areas"
    elif index > 0:
        lean = "positive: the money goes more to the practices in less deprived areas"
    else:
        lean = "0: money per patient does not vary with deprivation"
    return f"Concentration index of the money per patient: {format_index(index)} ({lean})."


def _component_columns(result: AllocationResult) -> list[tuple[int, str, Unit]]:
    return [
        (index, pot.name, pot.unit)
        for index, pot in enumerate(result.pots)
        if pot.id != CLASSIC_REMAINDER_ID and pot.kind == ComponentKind.INDICATOR
    ]


def practices_table(
    outcome: ScenarioOutcome, sort: SortChoice, href: Callable[[SortChoice], str] | None
) -> TableView:
    """One row per practice: the engine's figures, in the chosen order."""
    result = outcome.result
    shown = _component_columns(result)
    columns = [
        Column("Practice", key="practice"),
        Column("PCN", key="pcn"),
        Column("IMD quintile (score)", key="imd"),
        Column("Target population", numeric=True, key="population"),
    ]
    for number, (_, name, _) in enumerate(shown, start=1):
        columns.append(Column(name, numeric=True, key=f"c{number}"))
    columns += [
        Column("Allocation", numeric=True, key="allocation"),
        Column("Per patient", numeric=True, key="per_patient"),
        Column("Baseline", numeric=True, key="baseline"),
        Column("Difference", numeric=True, key="difference"),
    ]
    rows: list[tuple[Cell, ...]] = []
    for p in result.practices:
        cells = [
            Cell(p.name, header=True, sort_value=f"{p.name} {p.code}", secondary=p.code),
            Cell(p.pcn_name or "No PCN", sort_value=p.pcn_name or ""),
            Cell(
                NOT_AVAILABLE
                if p.imd_score is None
                else f"Q{p.imd_quintile} ({format_value(p.imd_score, Unit.SCORE)})",
                sort_value=_plain(p.imd_score),
            ),
            Cell(
                format_people(p.target_population),
                numeric=True,
                sort_value=_plain(p.target_population),
            ),
        ]
        for index, _, unit in shown:
            cell = p.components[index]
            note = None
            if cell.imputed:
                note = "imputed"
            elif cell.excluded:
                note = "no share"
            cells.append(
                Cell(
                    format_value(cell.value, unit),
                    numeric=True,
                    sort_value=_plain(cell.value),
                    note=note,
                )
            )
        cells += [
            Cell(format_pounds(p.allocation), numeric=True, sort_value=_plain(p.allocation)),
            Cell(
                format_per_patient(p.allocation_per_patient),
                numeric=True,
                sort_value=_plain(p.allocation_per_patient),
            ),
            Cell(format_pounds(p.baseline), numeric=True, sort_value=_plain(p.baseline)),
            Cell(format_change(p.difference), numeric=True, sort_value=_plain(p.difference)),
        ]
        rows.append(tuple(cells))
    keys = [c.key for c in columns]
    if sort.key in keys:
        rows = sort_rows(rows, keys.index(sort.key), sort.descending)
    amount = result.request.amount
    blanks = [Cell("", numeric=True) for _ in range(len(columns) - 7)]
    foot = (
        Cell(f"All {_count(len(result.practices), 'practice', 'practices')}", header=True),
        *blanks,
        Cell("", numeric=True),
        Cell("", numeric=True),
        Cell(format_pounds(amount), numeric=True),
        Cell("", numeric=True),
        Cell(format_pounds(amount), numeric=True),
        Cell(format_change(Decimal(0)), numeric=True),
    )
    return TableView(
        id="allocation-table",
        caption="Allocation by practice",
        columns=sortable_columns(columns, sort, href) if href else tuple(columns),
        rows=tuple(rows),
        foot=foot,
        sortable=href is not None,
        small=True,
    )


def quintiles_table(result: AllocationResult, table_id: str = "quintile-table") -> TableView:
    rows = tuple(
        (
            Cell(q.label, header=True),
            Cell(f"{q.practices:,}", numeric=True),
            Cell(format_people(q.target_population), numeric=True),
            Cell(format_share(q.population_share), numeric=True),
            Cell(format_share(q.money_share), numeric=True),
            Cell(format_pounds(q.allocation), numeric=True),
            Cell(format_per_patient(q.allocation_per_patient), numeric=True),
        )
        for q in result.quintiles
    )
    return TableView(
        id=table_id,
        caption="By IMD quintile (national fifths): share of the money against share of patients",
        columns=(
            Column("IMD quintile"),
            Column("Practices", numeric=True),
            Column("Target population", numeric=True),
            Column("Share of patients", numeric=True),
            Column("Share of money", numeric=True),
            Column("Money", numeric=True),
            Column("Per patient", numeric=True),
        ),
        rows=rows,
    )


def pcns_table(result: AllocationResult) -> TableView:
    rows = tuple(
        (
            Cell(s.pcn_name or "No PCN", header=True, secondary=s.pcn_code),
            Cell(f"{s.practices:,}", numeric=True),
            Cell(format_people(s.target_population), numeric=True),
            Cell(format_pounds(s.allocation), numeric=True),
            Cell(format_pounds(s.baseline), numeric=True),
            Cell(format_change(s.difference), numeric=True),
        )
        for s in result.pcns
    )
    return TableView(
        id="pcn-table",
        caption="By primary care network (PCN)",
        columns=(
            Column("PCN"),
            Column("Practices", numeric=True),
            Column("Target population", numeric=True),
            Column("Allocation", numeric=True),
            Column("Baseline", numeric=True),
            Column("Difference", numeric=True),
        ),
        rows=rows,
        small=True,
    )


def excluded_table(result: AllocationResult) -> TableView | None:
    if not result.excluded:
        return None
    return TableView(
        id="excluded-table",
        caption="Practices given nothing, and why",
        columns=(Column("Practice"), Column("Reason")),
        rows=tuple(
            (Cell(e.name, header=True, secondary=e.code), Cell(e.reason)) for e in result.excluded
        ),
        small=True,
    )


def _svg(chart: Chart) -> Markup:
    # The SVG is the renderer's own markup (its text escaped by it), from figures of the engine.
    return Markup(render_svg(chart))


def allocation_chart(outcome: ScenarioOutcome) -> Chart | None:
    """Allocation per patient against the practice's IMD score, with the baseline per patient."""
    result = outcome.result
    weighted = result.request.baseline == Baseline.WEIGHTED_POPULATION
    baseline_label = "Baseline (weighted list)" if weighted else "Baseline (per head)"
    allocation_label = "Allocation per patient"
    points = [
        p
        for p in result.practices
        if p.imd_score is not None and p.allocation_per_patient is not None
    ]
    if not points:
        return None
    rows: list[tuple[Any, ...]] = []
    values: list[dict[str, Any]] = []
    for p in sorted(points, key=lambda p: (p.imd_score or 0, p.code)):
        base = baseline_per_patient(p)
        per_patient = p.allocation_per_patient
        assert per_patient is not None  # filtered above
        rows.append((p.code, p.name, p.imd_score, float(per_patient), _float(base)))
        values.append(
            {
                "practice": f"{p.name} ({p.code})",
                "imd_score": p.imd_score,
                "series": allocation_label,
                "per_patient": float(per_patient),
            }
        )
        if base is not None:
            values.append(
                {
                    "practice": f"{p.name} ({p.code})",
                    "imd_score": p.imd_score,
                    "series": baseline_label,
                    "per_patient": float(base),
                }
            )
    least = min(points, key=lambda p: (p.imd_score or 0, p.code))
    most = max(points, key=lambda p: (p.imd_score or 0, p.code))
    reading = (
        f"The least deprived practice (IMD score {format_value(least.imd_score, Unit.SCORE)}) "
        f"gets {format_per_patient(least.allocation_per_patient)} per patient and the most "
        f"deprived (IMD score {format_value(most.imd_score, Unit.SCORE)}) "
        f"{format_per_patient(most.allocation_per_patient)}"
    )
    if not weighted:
        base = baseline_per_patient(least)
        reading += f", against a per-head baseline of {format_per_patient(base)}"
    reading += "."
    missing = len(result.practices) - len(points)
    if missing:
        reading += f" {_count(missing, 'practice', 'practices')} without an IMD score not shown."
    x = {
        "field": "imd_score",
        "type": "quantitative",
        "title": "Deprivation score (IMD) of the practice: higher = more deprived",
        "scale": {"zero": False},
    }
    y = {
        "field": "per_patient",
        "type": "quantitative",
        "title": "£ per target patient",
        "axis": {"format": "$,.2f"},
    }
    colour = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": [allocation_label, baseline_label], "range": ["#005eb8", "#425563"]},
    }
    tooltip = [
        {"field": "practice", "title": "Practice"},
        {"field": "imd_score", "title": "IMD score"},
        {"field": "per_patient", "title": "£ per patient", "format": "$,.4f"},
    ]
    baseline_layer: dict[str, Any] = {
        "transform": [{"filter": {"field": "series", "equal": baseline_label}}],
        "encoding": {"x": x, "y": y, "color": colour, "tooltip": tooltip},
    }
    if weighted:
        baseline_layer["mark"] = {"type": "point", "shape": "diamond", "size": 50}
    else:
        baseline_layer["mark"] = {"type": "line", "strokeDash": [6, 4], "strokeWidth": 2}
    title = "Allocation per patient against deprivation"
    spec = {
        "$schema": SCHEMA,
        "title": {
            "text": title,
            "subtitle": f"{outcome.icb.name} ({outcome.icb.code}), {result.method_label}",
        },
        "description": reading,
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": values},
        "config": CONFIG,
        "layer": [
            baseline_layer,
            {
                "transform": [{"filter": {"field": "series", "equal": allocation_label}}],
                "mark": {"type": "point", "filled": True, "size": 70, "opacity": 0.85},
                "encoding": {"x": x, "y": y, "color": colour, "tooltip": tooltip},
            },
        ],
    }
    header = ("practice_code", "practice_name", "imd_score", "per_patient", "baseline_per_patient")
    return Chart("allocation-per-patient", title, reading, spec, header, tuple(rows))


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def chart_view(chart: Chart) -> ChartView:
    table = TableView(
        id=f"{chart.name}-data",
        caption=f"{chart.title}: the data",
        columns=(
            Column("Practice"),
            Column("IMD score", numeric=True),
            Column("Allocation per patient", numeric=True),
            Column("Baseline per patient", numeric=True),
        ),
        rows=tuple(
            (
                Cell(str(name), header=True, secondary=str(code)),
                Cell(format_value(score, Unit.SCORE), numeric=True),
                Cell(format_per_patient(Decimal(str(per))), numeric=True),
                Cell(
                    format_per_patient(None if base is None else Decimal(str(base))),
                    numeric=True,
                ),
            )
            for code, name, score, per, base in chart.rows
        ),
        small=True,
    )
    return ChartView(chart.name, chart.title, chart.reading, _svg(chart), table)


def result_heading(outcome: ScenarioOutcome) -> str:
    amount = format_pounds(outcome.result.request.amount)
    return f"{amount} for {outcome.icb.name} ({outcome.icb.code})"


def present_results(
    outcome: ScenarioOutcome,
    inp: ScenarioInput,
    sort: SortChoice,
    *,
    base_url: str,
    upload: UploadState | None = None,
) -> ResultsView:
    """The results of one scenario: sentences, tables, chart, method, downloads and links.

    ``base_url`` (``http://host:port``) makes the link to the scenario absolute, for pasting.
    With ``uploaded`` (the scenario uses the user's file, which is not kept) the page offers
    no link, and the downloads are forms that send the file's values again.
    """
    result = outcome.result
    query = inp.query_items()
    uploaded = upload is not None

    def href(choice: SortChoice) -> str:
        return f"{ALLOCATE_PATH}?{urlencode(query + choice.items())}#allocation-table"

    scenario = outcome.scenario
    sentences = [
        f"Shared across {_count(len(result.practices), 'practice', 'practices')} of "
        f"{outcome.icb.code} by {METHOD_WORDS[Method(scenario.method)]}, for "
        f"{scenario.target.describe()}: {describe_components(result)}.",
        _index_sentence(result.concentration_index),
    ]
    quintile_sentence = _quintile_sentence(result.quintiles)
    if result.excluded:
        excluded_sentence = (
            f"{_count(len(result.excluded), 'practice gets', 'practices get')} nothing; the "
            "reasons are below."
        )
    else:
        excluded_sentence = "Every practice of the ICB shares the money."
    inputs = (
        SummaryItem("ICB", f"{outcome.icb.name} ({outcome.icb.code})"),
        SummaryItem("Amount", format_pounds(result.request.amount)),
        SummaryItem("Method", result.method_label),
        SummaryItem("Components", describe_components(result)),
        SummaryItem("Target population", scenario.target.describe()),
        SummaryItem("Population data", outcome.population_source),
        SummaryItem(
            "Missing values",
            next(
                label
                for _, policy, label, _ in MISSING_CHOICES
                if policy == scenario.missing_policy
            ),
        ),
        SummaryItem(
            "Baseline",
            next(label for _, b, label in BASELINE_CHOICES if b == scenario.baseline),
        ),
        SummaryItem(
            "Practices left out at your request",
            ", ".join(sorted(scenario.excluded_practices)) or "None",
        ),
    )
    chart = allocation_chart(outcome)
    baseline_words = (
        "by weighted list" if scenario.baseline == Baseline.WEIGHTED_POPULATION else "per head"
    )
    explore: list[Link] = []
    if not uploaded:
        other = Method.EFIT_CLASSIC if scenario.method == Method.RECOMMENDED else Method.RECOMMENDED
        explore.append(
            Link(
                f"Compare with the same choices under {METHOD_WORDS[other]}",
                compare_href(inp, replace(inp, method=other.value)),
            )
        )
        per_head = replace(
            inp,
            method=Method.RECOMMENDED.value,
            components=(ComponentInput(POPULATION_ID, "100"), ComponentInput(), ComponentInput()),
        )
        explore.append(Link("Compare with a plain per-head split", compare_href(inp, per_head)))
        explore.append(
            Link(
                "See how each quintile's share moves with the deprivation weight",
                f"{SENSITIVITY_PATH}?{urlencode(query)}",
            )
        )
    plain_query = urlencode(query)
    return ResultsView(
        heading=result_heading(outcome),
        sentences=tuple(sentences),
        inputs=inputs,
        practices=practices_table(outcome, sort, href),
        quintiles=quintiles_table(result),
        quintile_sentence=quintile_sentence,
        pcns=pcns_table(result),
        chart=None if chart is None else chart_view(chart),
        excluded=excluded_table(result),
        excluded_sentence=excluded_sentence,
        method=result.description,
        method_href=f"{METHOD_PATH}#{WORKED_EXAMPLE_ANCHOR}",
        csv_href=None if uploaded else f"{DOWNLOAD_PATH}.csv?{plain_query}",
        xlsx_href=None if uploaded else f"{DOWNLOAD_PATH}.xlsx?{plain_query}",
        share_url=None if uploaded else f"{base_url}{ALLOCATE_PATH}?{plain_query}",
        explore=tuple(explore),
        uploaded=uploaded,
        table_note=(
            "Select a column heading to sort by it. 'Imputed' marks a missing value replaced by "
            "the median of the ICB's practices; 'no share' a practice left out of that "
            f"component. The baseline is the plain split {baseline_words}; the difference is "
            "the allocation minus the baseline."
        ),
        hidden=tuple(query) + upload_fields(upload),
    )


def download_filename(outcome: ScenarioOutcome, extension: str) -> str:
    """``allocation-QHM-250000.00-recommended.csv``: what, where and how much."""
    method = Method(outcome.scenario.method).value
    amount = f"{outcome.result.request.amount:.2f}"
    code = re.sub(r"[^A-Za-z0-9]", "", outcome.icb.code)
    return f"allocation-{code}-{amount}-{method}.{extension}"


# --- the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormView:
    """The allocation form: ``step`` ``icb`` (choose the ICB first) or ``scenario``."""

    action: str
    step: str
    post: bool
    shared: SharedFields
    own: MethodFields
    upload: UploadView | None
    upload_error: str | None
    hidden: tuple[tuple[str, str], ...]
    plain_query: str


@dataclass(frozen=True)
class AllocatePage:
    title: str
    heading: str
    has_data: bool
    has_icbs: bool
    errors: tuple[FieldError, ...]
    form: FormView | None
    results: ResultsView | None
    status_text: str


def page_title(heading: str, errors: Sequence[FieldError]) -> str:
    return f"Error: {heading}" if errors else heading


def present_allocate(
    *,
    icbs: Sequence[IcbEntry],
    catalogue: Sequence[IndicatorEntry],
    inp: ScenarioInput,
    errors: Sequence[FieldError] = (),
    outcome: ScenarioOutcome | None = None,
    sort: SortChoice | None = None,
    upload: UploadState | None = None,
    base_url: str = "",
    step: str = "scenario",
) -> AllocatePage:
    """The allocation page: the form (as typed), the errors, and the results when there are."""
    by_field = _errors_by_field(errors)
    upload_view = present_upload(upload)
    form = FormView(
        action=ALLOCATE_PATH,
        step=step,
        post=upload is not None,
        shared=shared_fields(inp, icbs, by_field),
        own=method_fields(inp, catalogue, by_field),
        upload=upload_view,
        upload_error=by_field.get("indicators_file"),
        hidden=upload_fields(upload),
        plain_query=urlencode(without_uploads(inp).query_items()),
    )
    results = None
    heading = PAGE_HEADING
    title = PAGE_HEADING
    status = "Choose the ICB, the amount and the components, then calculate."
    if outcome is not None and not errors:
        results = present_results(
            outcome, inp, sort or SortChoice(), base_url=base_url, upload=upload
        )
        title = f"{results.heading} – {PAGE_HEADING}"
        status = f"Results: {results.heading}. {results.sentences[0]}"
    elif errors:
        status = f"There is a problem: {_count(len(errors), 'error', 'errors')} to correct."
    return AllocatePage(
        title=page_title(title, errors),
        heading=heading,
        has_data=True,
        has_icbs=bool(icbs),
        errors=tuple(errors),
        form=form,
        results=results,
        status_text=status,
    )


def present_allocate_without_data(*, has_data: bool) -> AllocatePage:
    """The page when there is no warehouse, or no ICB in it."""
    return AllocatePage(
        title=PAGE_HEADING,
        heading=PAGE_HEADING,
        has_data=has_data,
        has_icbs=False,
        errors=(),
        form=None,
        results=None,
        status_text="No data loaded.",
    )


# --- comparing two scenarios -------------------------------------------------------------------


#: The two scenarios of the compare page: query prefix and name.
SIDES = (("a.", "A"), ("b.", "B"))


def compare_href(a: ScenarioInput, b: ScenarioInput) -> str:
    """The compare page for two scenarios sharing ``a``'s ICB, amount and target population."""
    return f"{COMPARE_PATH}?{urlencode(compare_query(a, b))}"


def compare_query(a: ScenarioInput, b: ScenarioInput) -> list[tuple[str, str]]:
    """The compare page's query: ``a``'s shared fields, each scenario's own under its prefix."""
    shared = a.shared_items()
    return shared[:2] + a.own_items("a.") + b.own_items("b.") + shared[2:]


@dataclass(frozen=True)
class ScenarioSummary:
    label: str
    method: str
    components: str
    index: str
    sentence: str


@dataclass(frozen=True)
class CompareResults:
    heading: str
    scenarios: tuple[ScenarioSummary, ...]
    sentences: tuple[str, ...]
    flaw: tuple[str, ...]
    quintiles: TableView
    practices: TableView
    links: tuple[Link, ...]


@dataclass(frozen=True)
class CompareForm:
    action: str
    shared: SharedFields
    sides: tuple[MethodFields, ...]


@dataclass(frozen=True)
class ComparePage:
    title: str
    heading: str
    has_data: bool
    errors: tuple[FieldError, ...]
    form: CompareForm | None
    results: CompareResults | None
    status_text: str


COMPARE_HEADING = "Compare two allocations"


def default_compare_inputs(icb: str) -> tuple[ScenarioInput, ScenarioInput]:
    """Per head against half deprivation, half per head: where to start comparing."""
    a = ScenarioInput(
        icb=icb,
        components=(ComponentInput(POPULATION_ID, "100"), ComponentInput(), ComponentInput()),
    )
    return a, replace(a, components=STARTING_COMPONENTS)


def _per_practice(result: AllocationResult) -> dict[str, PracticeAllocation]:
    return {p.code: p for p in result.practices}


def compare_practices_table(
    a: AllocationResult,
    b: AllocationResult,
    sort: SortChoice,
    href: Callable[[SortChoice], str],
) -> TableView:
    """Each practice under A and B, and the difference (B − A)."""
    by_a, by_b = _per_practice(a), _per_practice(b)
    reasons = {e.code: e.reason for e in (*a.excluded, *b.excluded)}
    columns = (
        Column("Practice", key="practice"),
        Column("IMD quintile (score)", key="imd"),
        Column("Allocation A", numeric=True, key="a"),
        Column("Allocation B", numeric=True, key="b"),
        Column("Difference (B − A)", numeric=True, key="difference"),
        Column("Per patient A", numeric=True, key="a_per_patient"),
        Column("Per patient B", numeric=True, key="b_per_patient"),
    )
    rows: list[tuple[Cell, ...]] = []
    for code in sorted(set(by_a) | set(by_b)):
        pa, pb = by_a.get(code), by_b.get(code)
        known = pa or pb
        assert known is not None
        money_a = pa.allocation if pa else Decimal(0)
        money_b = pb.allocation if pb else Decimal(0)
        difference = money_b - money_a
        rows.append(
            (
                Cell(known.name, header=True, sort_value=f"{known.name} {code}", secondary=code),
                Cell(
                    NOT_AVAILABLE
                    if known.imd_score is None
                    else f"Q{known.imd_quintile} ({format_value(known.imd_score, Unit.SCORE)})",
                    sort_value=_plain(known.imd_score),
                ),
                Cell(
                    format_pounds(money_a),
                    numeric=True,
                    sort_value=_plain(money_a),
                    note=None if pa else reasons.get(code, "not in the pool"),
                ),
                Cell(
                    format_pounds(money_b),
                    numeric=True,
                    sort_value=_plain(money_b),
                    note=None if pb else reasons.get(code, "not in the pool"),
                ),
                Cell(format_change(difference), numeric=True, sort_value=_plain(difference)),
                Cell(
                    format_per_patient(pa.allocation_per_patient if pa else None),
                    numeric=True,
                    sort_value=_plain(pa.allocation_per_patient if pa else None),
                ),
                Cell(
                    format_per_patient(pb.allocation_per_patient if pb else None),
                    numeric=True,
                    sort_value=_plain(pb.allocation_per_patient if pb else None),
                ),
            )
        )
    keys = [c.key for c in columns]
    if sort.key in keys:
        rows = sort_rows(rows, keys.index(sort.key), sort.descending)
    return TableView(
        id="compare-practices",
        caption="By practice: allocation under A and B",
        columns=sortable_columns(columns, sort, href),
        rows=tuple(rows),
        sortable=True,
        small=True,
    )


def compare_quintiles_table(a: AllocationResult, b: AllocationResult) -> TableView:
    """Each quintile's share of the money under A and B, and the change in points."""
    by_b = {q.quintile: q for q in b.quintiles}
    same_patients = all(
        by_b.get(q.quintile) is not None and by_b[q.quintile].population_share == q.population_share
        for q in a.quintiles
    )
    columns = [Column("IMD quintile")]
    if same_patients:
        columns.append(Column("Share of patients", numeric=True))
    else:
        columns += [
            Column("Share of patients A", numeric=True),
            Column("Share of patients B", numeric=True),
        ]
    columns += [
        Column("Share of money A", numeric=True),
        Column("Share of money B", numeric=True),
        Column("Change (B − A)", numeric=True),
        Column("Per patient A", numeric=True),
        Column("Per patient B", numeric=True),
    ]
    rows = []
    for q in a.quintiles:
        other = by_b.get(q.quintile)
        cells = [Cell(q.label, header=True)]
        cells.append(Cell(format_share(q.population_share), numeric=True))
        if not same_patients:
            cells.append(
                Cell(
                    NOT_AVAILABLE if other is None else format_share(other.population_share),
                    numeric=True,
                )
            )
        cells += [
            Cell(format_share(q.money_share), numeric=True),
            Cell(NOT_AVAILABLE if other is None else format_share(other.money_share), numeric=True),
            Cell(
                NOT_AVAILABLE
                if other is None
                else format_points(other.money_share - q.money_share),
                numeric=True,
            ),
            Cell(format_per_patient(q.allocation_per_patient), numeric=True),
            Cell(
                format_per_patient(None if other is None else other.allocation_per_patient),
                numeric=True,
            ),
        ]
        rows.append(tuple(cells))
    return TableView(
        id="compare-quintiles",
        caption="By IMD quintile: share of the money under A and B",
        columns=tuple(columns),
        rows=tuple(rows),
    )


def classic_flaw_sentences(
    outcomes: Sequence[tuple[str, ScenarioOutcome]],
) -> tuple[str, ...]:
    """Say so when eFIT classic barely moves money on a lower-is-more-need indicator.

    For each such component of an eFIT classic scenario whose money per patient varies by
    less than :data:`BARELY_MOVES` across practices, one sentence; with the same component
    in a recommended scenario, how much that one varies too.
    """
    sentences = []
    for label, outcome in outcomes:
        result = outcome.result
        if result.request.method != Method.EFIT_CLASSIC:
            continue
        for pot in result.pots:
            if pot.kind != ComponentKind.INDICATOR or pot.direction != Direction.LOWER:
                continue
            spread = component_spread(result, pot.id)
            if spread is None or spread >= BARELY_MOVES:
                continue
            sentence = (
                f"In {label} (eFIT classic), '{pot.name}' (lower value = more need) barely "
                "moves money: per patient, the practice it favours most gets only "
                f"{format_share(spread)} more from it than the practice it favours least."
            )
            for other_label, other in outcomes:
                other_result = other.result
                if other_result.request.method != Method.RECOMMENDED:
                    continue
                other_spread = component_spread(other_result, pot.id)
                if other_spread is None:
                    continue
                times = (other_spread + 1).quantize(Decimal("0.01"), ROUND_HALF_UP)
                sentence += (
                    f" Under the recommended method ({other_label}) the same component gives the "
                    f"practice it favours most {times} times as much per patient as the one it "
                    "favours least."
                )
                break
            sentence += (
                " This is the published formula's known flaw: for a 'lower value = more need' "
                "indicator it uses 1 − x ÷ (the sum of x over the ICB's practices), which is "
                "almost the same for every practice when an ICB has many practices."
            )
            sentences.append(sentence)
    return tuple(sentences)


def _scenario_summary(label: str, outcome: ScenarioOutcome) -> ScenarioSummary:
    result = outcome.result
    return ScenarioSummary(
        label=label,
        method=result.method_label,
        components=describe_components(result),
        index=format_index(result.concentration_index),
        sentence=_quintile_sentence(result.quintiles) or "",
    )


def compare_sentences(a: ScenarioOutcome, b: ScenarioOutcome) -> tuple[str, ...]:
    """Who gains and who loses under B against A."""
    by_a = _per_practice(a.result)
    by_b = _per_practice(b.result)
    codes = set(by_a) | set(by_b)
    changes = {
        code: (by_b[code].allocation if code in by_b else Decimal(0))
        - (by_a[code].allocation if code in by_a else Decimal(0))
        for code in codes
    }
    gain = sorted(c for c, d in changes.items() if d > 0)
    lose = sorted(c for c, d in changes.items() if d < 0)
    sentences = [
        f"Against A, B gives more to {_count(len(gain), 'practice', 'practices')} and less to "
        f"{_count(len(lose), 'practice', 'practices')}."
    ]
    if changes:
        biggest = max(sorted(changes), key=lambda c: abs(changes[c]))
        if changes[biggest] != 0:
            name = (by_b.get(biggest) or by_a[biggest]).name
            sentences.append(
                f"The largest change is {name} ({biggest}): {format_change(changes[biggest])}."
            )
    most = [q for q in a.result.quintiles if q.quintile is not None and q.practices > 0]
    if most:
        top = max(most, key=lambda q: q.quintile or 0)
        other = next((q for q in b.result.quintiles if q.quintile == top.quintile), None)
        if other is not None:
            sentences.append(
                f"The ICB's most deprived practices, in {top.label}, get "
                f"{format_share(top.money_share)} "
                f"of the money under A and {format_share(other.money_share)} under B "
                f"({format_points(other.money_share - top.money_share)})."
            )
    return tuple(sentences)


def present_compare(
    *,
    icbs: Sequence[IcbEntry],
    catalogue: Sequence[IndicatorEntry],
    inputs: tuple[ScenarioInput, ScenarioInput],
    errors: Sequence[FieldError] = (),
    outcomes: tuple[ScenarioOutcome, ScenarioOutcome] | None = None,
    sort: SortChoice | None = None,
) -> ComparePage:
    by_field = _errors_by_field(errors)
    a_input, b_input = inputs
    form = CompareForm(
        action=COMPARE_PATH,
        shared=shared_fields(a_input, icbs, by_field),
        sides=tuple(
            method_fields(inp, catalogue, by_field, prefix, f"Scenario {name}")
            for inp, (prefix, name) in zip(inputs, SIDES, strict=True)
        ),
    )
    results = None
    title = COMPARE_HEADING
    status = "Choose two scenarios to compare."
    if outcomes is not None and not errors:
        a, b = outcomes
        query = compare_query(a_input, b_input)

        def href(choice: SortChoice) -> str:
            return f"{COMPARE_PATH}?{urlencode(query + choice.items())}#compare-practices"

        results = CompareResults(
            heading=f"{result_heading(a)}: A and B",
            scenarios=(_scenario_summary("A", a), _scenario_summary("B", b)),
            sentences=compare_sentences(a, b),
            flaw=classic_flaw_sentences([("A", a), ("B", b)]),
            quintiles=compare_quintiles_table(a.result, b.result),
            practices=compare_practices_table(a.result, b.result, sort or SortChoice(), href),
            links=tuple(
                Link(f"Open scenario {name} on its own", f"{ALLOCATE_PATH}?{inp.query()}")
                for inp, (_, name) in zip(inputs, SIDES, strict=True)
            ),
        )
        title = f"{results.heading} – {COMPARE_HEADING}"
        status = f"Compared: {results.sentences[0]}"
    elif errors:
        status = f"There is a problem: {_count(len(errors), 'error', 'errors')} to correct."
    return ComparePage(
        title=page_title(title, errors),
        heading=COMPARE_HEADING,
        has_data=True,
        errors=tuple(errors),
        form=form,
        results=results,
        status_text=status,
    )


def present_compare_without_data(*, has_data: bool) -> ComparePage:
    return ComparePage(
        COMPARE_HEADING, COMPARE_HEADING, has_data, (), None, None, "No data loaded."
    )


# --- sensitivity to the deprivation weight --------------------------------------------------


def sensitivity_other(inp: ScenarioInput) -> ComponentInput:
    """The component that takes the rest of the weight: the scenario's first component other
    than deprivation, else population only."""
    for row in inp.components:
        if row.id and row.id != IMD_ID:
            return ComponentInput(row.id, "", row.direction)
    return ComponentInput(POPULATION_ID)


def sensitivity_weights() -> tuple[Decimal, ...]:
    return tuple(Decimal(w) for w in range(0, 101, SENSITIVITY_STEP))


def sensitivity_inputs(inp: ScenarioInput, other: ComponentInput) -> list[ScenarioInput]:
    """One scenario per deprivation weight (0%, 10%, ... 100%), the rest on ``other``."""
    deprivation = next((r for r in inp.components if r.id == IMD_ID), ComponentInput(IMD_ID))
    out = []
    for weight in sensitivity_weights():
        rows = []
        if weight > 0:
            rows.append(ComponentInput(IMD_ID, str(weight), deprivation.direction))
        if weight < FULL_WEIGHT:
            rows.append(ComponentInput(other.id, str(FULL_WEIGHT - weight), other.direction))
        while len(rows) < COMPONENT_ROWS:
            rows.append(ComponentInput())
        out.append(replace(inp, components=tuple(rows)))
    return out


@dataclass(frozen=True)
class SensitivityResults:
    heading: str
    reading: str
    table: TableView
    chart: ChartView
    links: tuple[Link, ...]


@dataclass(frozen=True)
class SensitivityForm:
    action: str
    shared: SharedFields
    method: RadioGroup
    other: SelectField


@dataclass(frozen=True)
class SensitivityPage:
    title: str
    heading: str
    has_data: bool
    errors: tuple[FieldError, ...]
    form: SensitivityForm | None
    results: SensitivityResults | None
    status_text: str


SENSITIVITY_HEADING = "How the shares move with the deprivation weight"


def sensitivity_chart(outcomes: Sequence[ScenarioOutcome], other_name: str) -> tuple[Chart, str]:
    """Each quintile's share of the money against the deprivation weight; and its reading."""
    weights = sensitivity_weights()
    first = outcomes[0].result
    labels = [q.label for q in first.quintiles if q.practices > 0]
    values = []
    rows = []
    for weight, outcome in zip(weights, outcomes, strict=True):
        shares = {q.label: q.money_share for q in outcome.result.quintiles}
        rows.append((int(weight), *(float(shares.get(label, 0)) for label in labels)))
        for label in labels:
            values.append(
                {
                    "weight": int(weight),
                    "quintile": label,
                    "money_share": float(shares.get(label, Decimal(0))),
                }
            )
    ranked = [q for q in first.quintiles if q.quintile is not None and q.practices > 0]
    reading = "No practice has an IMD score."
    if ranked:
        top = max(ranked, key=lambda q: q.quintile or 0)
        start = top.money_share
        end = next(
            q.money_share for q in outcomes[-1].result.quintiles if q.quintile == top.quintile
        )
        reading = (
            f"As the deprivation weight goes from 0% to 100% (the rest on {other_name}), the "
            f"share of the ICB's most deprived practices, in {top.label}, goes from "
            f"{format_share(start)} to "
            f"{format_share(end)} of the money; their share of the patients is "
            f"{format_share(top.population_share)}."
        )
    colours = dict(
        zip([q.label for q in first.quintiles if q.quintile], QUINTILE_COLOURS, strict=False)
    )
    domain = labels
    spec = {
        "$schema": SCHEMA,
        "title": {
            "text": "Share of the money by IMD quintile",
            "subtitle": f"Deprivation weight from 0% to 100%, the rest on {other_name}",
        },
        "description": reading,
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": values},
        "config": CONFIG,
        "mark": {"type": "line", "point": True, "strokeWidth": 2},
        "encoding": {
            "x": {
                "field": "weight",
                "type": "quantitative",
                "title": "Weight on deprivation (%)",
                "scale": {"domain": [0, 100]},
            },
            "y": {
                "field": "money_share",
                "type": "quantitative",
                "title": "Share of the money",
                "axis": {"format": ".0%"},
            },
            "color": {
                "field": "quintile",
                "type": "nominal",
                "title": None,
                "sort": domain,
                "scale": {
                    "domain": domain,
                    "range": [colours.get(label, "#768692") for label in domain],
                },
            },
            "tooltip": [
                {"field": "quintile", "title": "Quintile"},
                {"field": "weight", "title": "Deprivation weight (%)"},
                {"field": "money_share", "title": "Share of money", "format": ".1%"},
            ],
        },
    }
    header = ("deprivation_weight", *labels)
    return (
        Chart(
            "sensitivity", "Share of the money by IMD quintile", reading, spec, header, tuple(rows)
        ),
        reading,
    )


def sensitivity_table(outcomes: Sequence[ScenarioOutcome]) -> TableView:
    first = outcomes[0].result
    groups = [q for q in first.quintiles if q.practices > 0]
    columns = [Column("Weight on deprivation")]
    columns += [Column(f"{q.label}: share of money", numeric=True) for q in groups]
    columns.append(Column("Concentration index", numeric=True))
    rows = [
        (
            Cell("Share of patients", header=True),
            *(Cell(format_share(q.population_share), numeric=True) for q in groups),
            Cell("", numeric=True),
        )
    ]
    for weight, outcome in zip(sensitivity_weights(), outcomes, strict=True):
        shares = {q.quintile: q.money_share for q in outcome.result.quintiles}
        rows.append(
            (
                Cell(format_weight(weight), header=True),
                *(
                    Cell(format_share(shares.get(q.quintile, Decimal(0))), numeric=True)
                    for q in groups
                ),
                Cell(format_index(outcome.result.concentration_index), numeric=True),
            )
        )
    return TableView(
        id="sensitivity-table",
        caption="Share of the money by IMD quintile, for each weight on deprivation",
        columns=tuple(columns),
        rows=tuple(rows),
        small=True,
    )


def present_sensitivity(
    *,
    icbs: Sequence[IcbEntry],
    catalogue: Sequence[IndicatorEntry],
    inp: ScenarioInput,
    other: ComponentInput,
    errors: Sequence[FieldError] = (),
    outcomes: Sequence[ScenarioOutcome] | None = None,
) -> SensitivityPage:
    by_field = _errors_by_field(errors)
    choices = [e for e in catalogue if e.id != IMD_ID]
    other_select = SelectField(
        "other",
        "other",
        "The rest of the weight goes to",
        indicator_groups(choices, other.id, allow_none=False),
        hint="Population only gives the rest as a plain per-head share.",
        error=by_field.get("other"),
    )
    form = SensitivityForm(
        action=SENSITIVITY_PATH,
        shared=shared_fields(inp, icbs, by_field),
        method=_radios(
            "method",
            "method",
            "Method",
            [(m.value, label, hint) for m, label, hint in METHOD_CHOICES],
            inp.method,
            by_field,
        ),
        other=other_select,
    )
    results = None
    title = SENSITIVITY_HEADING
    status = "Choose the ICB and the amount."
    if outcomes and not errors:
        other_name = next((e.name for e in catalogue if e.id == other.id), other.id)
        chart, reading = sensitivity_chart(outcomes, other_name)
        base = outcomes[0]
        scenario_links = (
            Link(
                "Open the allocation with 50% on deprivation",
                f"{ALLOCATE_PATH}?{sensitivity_inputs(inp, other)[5].query()}",
            ),
        )
        results = SensitivityResults(
            heading=result_heading(base),
            reading=reading,
            table=sensitivity_table(outcomes),
            chart=ChartView(chart.name, chart.title, reading, _svg(chart), None),
            links=scenario_links,
        )
        title = f"{results.heading} – {SENSITIVITY_HEADING}"
        status = f"Results: {reading}"
    elif errors:
        status = f"There is a problem: {_count(len(errors), 'error', 'errors')} to correct."
    return SensitivityPage(
        title=page_title(title, errors),
        heading=SENSITIVITY_HEADING,
        has_data=True,
        errors=tuple(errors),
        form=form,
        results=results,
        status_text=status,
    )


def present_sensitivity_without_data(*, has_data: bool) -> SensitivityPage:
    return SensitivityPage(
        SENSITIVITY_HEADING, SENSITIVITY_HEADING, has_data, (), None, None, "No data loaded."
    )


# --- the method page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodPage:
    title: str
    heading: str
    body: Markup | None
    fallback_href: str


METHOD_HEADING = "How the allocation tool splits money"
LIBRARY_ARTICLE = "/resources/how-the-allocation-tool-splits-money"


def present_method(body_html: str | None) -> MethodPage:
    """The method for users, with the worked example (``docs/allocation-method.md``)."""
    return MethodPage(
        title=METHOD_HEADING,
        heading=METHOD_HEADING,
        # Sanitised HTML from the project's Markdown renderer (gpequity.library.markdown).
        body=None if body_html is None else Markup(body_html),
        fallback_href=LIBRARY_ARTICLE,
    )
