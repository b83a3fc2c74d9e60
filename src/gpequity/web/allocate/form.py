"""The allocation form as typed, and reading it into a scenario.

The form is a plain GET whose query string reproduces the scenario:

``icb``, ``amount``, ``method`` (``recommended`` | ``efit-classic``), ``sex`` (``all`` |
``female`` | ``male``), ``age_from``, ``age_to`` (blank: and over), ``c1``..``c3`` (indicator
ids), ``w1``..``w3`` (weights in percent), ``d1``..``d3`` (blank: the indicator's own direction,
``higher`` or ``lower``), ``missing`` (``impute`` | ``exclude``), ``baseline`` (``per-head`` |
``weighted``), ``exclude`` (practice codes), ``sort`` and ``order`` (the results table). The
compare page has each scenario's own method and components under ``a.`` and ``b.``.

Reading never fails: :func:`parse_scenario` reports every problem field by field, and
:func:`engine_errors` puts the engine's problems on the fields they concern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from gpequity.allocation import (
    MAX_AMOUNT_DIGITS,
    MAX_COMPONENTS,
    Baseline,
    Direction,
    InputProblem,
    Method,
    MissingPolicy,
    PracticeInput,
)
from gpequity.allocation.catalogue import IMD_ID, OLDEST_AGE, POPULATION_ID
from gpequity.allocation.pools import Sex, TargetPopulation
from gpequity.allocation.scenario import ComponentChoice, Scenario
from gpequity.allocation.upload import UPLOAD_ID_PREFIX
from gpequity.web.allocate.common import BASELINE_CHOICES, COMPARE_PATH, MISSING_CHOICES
from gpequity.web.allocate.limits import (
    FORM_FIELD_OF_LIMIT,
    LIMIT_FIELDS,
    LIMIT_FORM_FIELDS,
    MAX_PREVIOUS_CHARS,
    PREVIOUS_FIELDS,
    parse_limits,
)
from gpequity.web.views import FieldError

# --- limits and conventions --------------------------------------------------------------------

#: Rows of components on the form (the engine takes up to this many).
COMPONENT_ROWS = MAX_COMPONENTS
#: Longest amount, weight and age text read (a longer one is refused, not parsed).
MAX_NUMBER_CHARS = 24
#: Practice codes to leave out: at most this much text, this many codes.
MAX_EXCLUDE_CHARS = 20_000
MAX_EXCLUDED_CODES = 2_000
#: The id prefix of the components read from a user's file.
UPLOAD_PREFIX = UPLOAD_ID_PREFIX
#: The fields in the order the form shows them, for the error summary: shared ones first,
#: then each scenario's method and components, then the rest.
FIELDS_BEFORE = ("icb", "amount", "sex", "age_from", "age_to")
OWN_FIELD_ORDER = ("method", "c1", "w1", "d1", "c2", "w2", "d2", "c3", "w3", "d3", "other")
FIELDS_AFTER = (
    "missing",
    "baseline",
    "exclude",
    "allow_sparse",
    *LIMIT_FORM_FIELDS,
    "indicators_file",
)
#: What the ``allow_sparse`` tick box sends when ticked (anything else: not ticked).
TICKED = "1"
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
    allow_sparse: str = ""
    #: The "Limits" section as typed (``floor``, ``cap``, ``limit_unit``, ``max_change``) and
    #: the previous allocation carried (``previous_name``, ``previous_data``): only those set.
    limits: tuple[tuple[str, str], ...] = ()

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
        if self.allow_sparse == TICKED:
            items.append(("allow_sparse", TICKED))
        typed = dict(self.limits)
        limits = [(name, typed[name]) for name in LIMIT_FIELDS if typed.get(name)]
        if not typed.get("floor") and not typed.get("cap"):
            limits = [(name, value) for name, value in limits if name != "limit_unit"]
        return items + limits

    def carried_items(self) -> list[tuple[str, str]]:
        """The previous allocation carried in hidden fields (a link cannot carry it)."""
        typed = dict(self.limits)
        return [(name, typed[name]) for name in PREVIOUS_FIELDS if typed.get(name)]

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
        allow_sparse=get("allow_sparse", base.allow_sparse),
        limits=_typed_limits(params, base),
    )


def _typed_limits(params: Mapping[str, str], base: ScenarioInput) -> tuple[tuple[str, str], ...]:
    typed = dict(base.limits)
    for name in LIMIT_FIELDS:
        if name in params:
            typed[name] = _text(params, name, MAX_NUMBER_CHARS)
    for name in PREVIOUS_FIELDS:
        if name in params:
            typed[name] = _text(params, name, MAX_PREVIOUS_CHARS)
    return tuple((name, value) for name, value in typed.items() if value)


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
    limits = tuple((name, value) for name, value in inp.limits if name not in PREVIOUS_FIELDS)
    return replace(inp, components=rows, limits=limits)


def exclusion_codes(text: str) -> list[str]:
    """Practice codes typed into "practices to leave out": any separators, upper case, once."""
    return list(dict.fromkeys(code.upper() for code in re.split(r"[\s,;]+", text) if code))


#: Fields a form may send more than once, whose values are joined: the practices ticked.
REPEATED_FIELDS = ("exclude",)


def form_params(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A query string's or posted form's fields: the first value of each, except the ticked
    practices of :data:`REPEATED_FIELDS`, whose values are joined with spaces."""
    out: dict[str, str] = {}
    for key, value in items:
        if key in REPEATED_FIELDS and key in out:
            out[key] = f"{out[key]} {value}".strip()
        else:
            out.setdefault(key, value)
    return out


# --- the exclusions picker ---------------------------------------------------------------------


@dataclass(frozen=True)
class PickerItem:
    """A practice that can be ticked to leave it out."""

    code: str
    name: str
    pcn: str
    checked: bool


@dataclass(frozen=True)
class ExclusionPicker:
    """The ICB's practices with tick boxes (``name="exclude"``, one value per practice ticked).

    A code in ``exclude`` that is not one of the ICB's practices stays in the list, ticked, so
    that the form sends it back and its error is shown.
    """

    id: str
    legend: str
    hint: str
    summary: str
    items: tuple[PickerItem, ...]
    error: str | None
    open: bool


def exclusion_picker(
    inp: ScenarioInput, practices: Iterable[PracticeInput], error: str | None = None
) -> ExclusionPicker:
    """The picker for ``practices`` (the ICB's), with the practices of ``inp.exclude`` ticked."""
    chosen = exclusion_codes(inp.exclude)
    ticked = set(chosen)
    items = [
        PickerItem(p.code, p.name, p.pcn_name or "No PCN", p.code in ticked)
        for p in sorted(practices, key=lambda p: (p.name.casefold(), p.code))
    ]
    known = {item.code for item in items}
    unknown = [PickerItem(code, "Not a practice of this ICB", "", True) for code in chosen]
    items = [item for item in unknown if item.code not in known] + items
    number = len(chosen)
    summary = "None left out" if not number else f"{number:,} left out"
    return ExclusionPicker(
        id="exclude",
        legend="Practices to leave out (optional)",
        hint="Tick the practices that should get nothing. They are listed with the reason.",
        summary=f"Choose practices to leave out ({summary})",
        items=tuple(items),
        error=error,
        open=bool(number or error),
    )


# --- reading the form into a scenario --------------------------------------------------------


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


def _whole_number(text: str, problem: FieldError, errors: list[FieldError]) -> int | None:
    """``text`` as a whole number; ``None`` when it is blank, or (with ``problem`` added to
    ``errors``) when it is not a whole number."""
    if not text:
        return None
    if WHOLE_NUMBER.match(text):
        return int(text)
    errors.append(problem)
    return None


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
    youngest = f"Enter the youngest age as a whole number from 0 to {OLDEST_AGE}."
    age_from = _whole_number(inp.age_from, FieldError("age_from", youngest), errors) or 0
    oldest = (
        f"Enter the oldest age as a whole number up to {OLDEST_AGE}, or leave it empty for "
        "'and over'."
    )
    age_to = _whole_number(inp.age_to, FieldError("age_to", oldest), errors)
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
    limits, limit_errors = parse_limits(dict(inp.limits))
    errors += limit_errors
    scenario = Scenario(
        icb_code=inp.icb,
        amount=amount if amount is not None else Decimal(1),
        components=tuple(choices),
        method=method,
        target=TargetPopulation(sex, age_from, age_to),
        missing_policy=missing or MissingPolicy.IMPUTE_MEDIAN,
        excluded_practices=frozenset(codes),
        baseline=baseline or Baseline.PER_HEAD,
        allow_sparse=inp.allow_sparse == TICKED,
        limits=limits,
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
    "allow_sparse": "allow_sparse",
    **FORM_FIELD_OF_LIMIT,
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


# --- two scenarios: the compare page's query ---------------------------------------------------

SIDES = (("a.", "A"), ("b.", "B"))


def compare_href(a: ScenarioInput, b: ScenarioInput) -> str:
    """The compare page for two scenarios sharing ``a``'s ICB, amount and target population."""
    return f"{COMPARE_PATH}?{urlencode(compare_query(a, b))}"


def compare_query(a: ScenarioInput, b: ScenarioInput) -> list[tuple[str, str]]:
    """The compare page's query: ``a``'s shared fields, each scenario's own under its prefix."""
    shared = a.shared_items()
    return shared[:2] + a.own_items("a.") + b.own_items("b.") + shared[2:]


def default_compare_inputs(icb: str) -> tuple[ScenarioInput, ScenarioInput]:
    """Per head against half deprivation, half per head: where to start comparing."""
    a = ScenarioInput(
        icb=icb,
        components=(ComponentInput(POPULATION_ID, "100"), ComponentInput(), ComponentInput()),
    )
    return a, replace(a, components=STARTING_COMPONENTS)


def component_inputs(choices: Iterable[ComponentChoice]) -> tuple[ComponentInput, ...]:
    """A scenario's components as the form's rows (blank rows after them)."""
    rows = [
        ComponentInput(
            choice.id,
            format(choice.weight, "f"),
            "" if choice.direction is None else Direction(choice.direction).value,
        )
        for choice in choices
    ]
    rows += [ComponentInput() for _ in range(COMPONENT_ROWS - len(rows))]
    return tuple(rows)
