"""A whole allocation scenario: from a user's choices to the engine's result, and its JSON.

:func:`allocate_scenario` checks a :class:`Scenario` against the warehouse, loads the ICB's pool
and allocates; :func:`outcome_as_dict` is the JSON the CLI and the API return. Nothing here
computes an allocation: figures come from the engine, so they are the same in the CLI, the API
and the web pages.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from gpequity.allocation.catalogue import (
    Definition,
    IndicatorEntry,
    catalogue_definitions,
    population_source,
    resolve_ids,
    upload_entries,
)
from gpequity.allocation.engine import allocate, check_request
from gpequity.allocation.icbs import (
    SUGGESTIONS,
    IcbEntry,
    UnknownIcbError,
    classic_view,
    find_icb,
    icb_practice_codes,
)
from gpequity.allocation.limits import LIMIT_LABELS
from gpequity.allocation.measures import allocation_intervals
from gpequity.allocation.models import (
    AllocationInputError,
    AllocationLimits,
    AllocationRequest,
    AllocationResult,
    Baseline,
    ComponentSpec,
    Direction,
    InputProblem,
    LimitUnit,
    Method,
    MissingPolicy,
    PracticeInput,
)
from gpequity.allocation.pools import Sex, TargetPopulation, check_target, read_pool
from gpequity.allocation.store import Connection
from gpequity.allocation.upload import UploadedColumn
from gpequity.allocation.warnings import (
    AllocationWarning,
    check_missing_values,
    no_population_warning,
    outside_icb_warning,
)
from gpequity.intervals import DEFAULT, Interval


@dataclass(frozen=True, slots=True)
class ComponentChoice:
    """A component as a user chose it: a catalogue id, a weight in percent, maybe a direction."""

    id: str
    weight: Decimal
    direction: Direction | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything a user chooses for one allocation (the CLI's options, the API's body)."""

    icb_code: str
    amount: Decimal
    components: tuple[ComponentChoice, ...]
    method: Method = Method.RECOMMENDED
    target: TargetPopulation = field(default_factory=TargetPopulation)
    missing_policy: MissingPolicy = MissingPolicy.IMPUTE_MEDIAN
    excluded_practices: frozenset[str] = frozenset()
    baseline: Baseline = Baseline.PER_HEAD
    #: The user confirms using a component with no value for over half the practices
    #: (``--allow-sparse``, the API's ``allow_sparse``, the form's tick box).
    allow_sparse: bool = False
    #: Floors, caps and pace of change (``--floor``, the API's ``limits``, the form's Limits).
    limits: AllocationLimits | None = None


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    """A scenario's allocation, with the ICB, the catalogue entries used, where the target
    population came from (in words) and the data-quality warnings
    (:mod:`gpequity.allocation.warnings`)."""

    scenario: Scenario
    icb: IcbEntry
    components: tuple[IndicatorEntry, ...]
    population_source: str
    result: AllocationResult
    warnings: tuple[AllocationWarning, ...] = ()


# --- a whole scenario --------------------------------------------------------------------------


def _component_problem(
    index: int, choice: ComponentChoice, icb: IcbEntry, ids: Sequence[str]
) -> InputProblem:
    close = difflib.get_close_matches(choice.id, ids, n=SUGGESTIONS)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return InputProblem(
        f"components[{index}].id",
        f"'{choice.id}' is not an indicator of ICB {icb.code}.{hint} List the ids with "
        f"'gpequity indicators --icb {icb.code}' or GET /api/v1/indicators?icb={icb.code}.",
    )


def _resolve_components(
    con: Connection,
    icb: IcbEntry,
    scenario: Scenario,
    definitions: Sequence[Definition],
    uploaded: Sequence[UploadedColumn],
) -> tuple[list[IndicatorEntry | None], list[InputProblem]]:
    """Each chosen component's catalogue entry (``None`` for an id the ICB does not have, with
    a problem saying so)."""
    by_id: dict[str, IndicatorEntry] = {}
    for definition in definitions:
        by_id[definition.entry.id] = definition.entry
        for alias in definition.aliases:
            by_id.setdefault(alias, definition.entry)
    if uploaded:
        members = icb_practice_codes(con, icb.code, scenario.method)
        for entry in upload_entries(uploaded, members):
            by_id[entry.id] = entry
    entries: list[IndicatorEntry | None] = []
    problems: list[InputProblem] = []
    for index, choice in enumerate(scenario.components):
        found = by_id.get(choice.id)
        if found is None:
            problems.append(_component_problem(index, choice, icb, sorted(by_id)))
        elif choice.direction is not None:
            found = replace(found, direction=Direction(choice.direction))
        entries.append(found)
    return entries, problems


def _specs(
    scenario: Scenario, entries: Sequence[IndicatorEntry | None]
) -> tuple[ComponentSpec, ...]:
    """The engine's components; an unknown id (already a problem) stands in as itself, so the
    engine can still check its weight and the weights' total."""
    return tuple(
        ComponentSpec(id=choice.id, name=choice.id, weight=choice.weight)
        if entry is None
        else ComponentSpec(
            id=entry.id,
            name=entry.name,
            weight=choice.weight,
            direction=entry.direction,
            unit=entry.unit,
            kind=entry.kind,
        )
        for entry, choice in zip(entries, scenario.components, strict=True)
    )


def _request(scenario: Scenario, entries: Sequence[IndicatorEntry | None]) -> AllocationRequest:
    return AllocationRequest(
        icb_code=scenario.icb_code,
        amount=scenario.amount,
        components=_specs(scenario, entries),
        method=scenario.method,
        missing_policy=scenario.missing_policy,
        excluded_practices=frozenset(scenario.excluded_practices),
        baseline=scenario.baseline,
        limits=scenario.limits,
    )


def _new_problems(
    known: Sequence[InputProblem], more: Sequence[InputProblem]
) -> list[InputProblem]:
    """The problems of ``more`` about fields ``known`` says nothing of (an ICB code or an
    indicator id is reported once, by whoever knows more about it)."""
    fields = {problem.field for problem in known}
    return [problem for problem in more if problem.field not in fields]


def allocate_scenario(
    con: Connection, scenario: Scenario, uploaded: Sequence[UploadedColumn] = ()
) -> ScenarioOutcome:
    """Check a scenario against the warehouse, load its pool and allocate.

    Raises :class:`UnknownIcbError` for an unknown ICB, else
    :class:`~gpequity.allocation.AllocationInputError` listing every problem, field by field
    (``icb_code``, ``amount``, ``components[i].id``, ``components[i].weight``, ``sex``,
    ``age_from``, ``age_to``, ``excluded_practices``, ...).
    """
    # Every problem is gathered before any is reported: an unknown ICB, an impossible age
    # range, an unknown indicator, a negative amount and weights that do not add up are all
    # shown at once (they were shown one round at a time).
    icb: IcbEntry | None = None
    unknown_icb: UnknownIcbError | None = None
    try:
        icb = find_icb(con, scenario.icb_code)
    except UnknownIcbError as error:
        unknown_icb = error
    problems = list(unknown_icb.problems) if unknown_icb else []
    problems += check_target(con, scenario.target)
    definitions = catalogue_definitions(con)
    found_entries: list[IndicatorEntry | None] = [None] * len(scenario.components)
    if icb is not None:
        found_entries, unknown = _resolve_components(con, icb, scenario, definitions, uploaded)
        problems += unknown
    problems += _new_problems(problems, check_request(_request(scenario, found_entries)))
    if unknown_icb is not None and len(problems) == 1:
        raise unknown_icb
    if problems or icb is None:
        raise AllocationInputError(problems)
    entries = [entry for entry in found_entries if entry is not None]
    excluded = frozenset(code.strip().upper() for code in scenario.excluded_practices)
    request = replace(
        _request(scenario, found_entries), icb_code=icb.code, excluded_practices=excluded
    )
    upload_ids = {column.id: column for column in uploaded}
    resolved = resolve_ids(definitions, [e.id for e in entries if e.id not in upload_ids])
    pool = read_pool(
        con,
        icb,
        scenario.target,
        resolved,
        {e.id: upload_ids[e.id] for e in entries if e.id in upload_ids},
        Method(scenario.method),
        definitions,
    )
    warnings, problems = check_missing_values(request, pool, allow_sparse=scenario.allow_sparse)
    try:
        result = allocate(request, pool)
    except AllocationInputError as error:
        # Every problem at once: the engine's and the missing confirmation.
        raise AllocationInputError([*error.problems, *problems]) from None
    if problems:
        raise AllocationInputError(problems)
    warnings += _file_warnings(con, icb, scenario, result, pool)
    population = population_source(con)
    return ScenarioOutcome(
        scenario=replace(scenario, icb_code=icb.code, excluded_practices=excluded),
        icb=icb,
        components=tuple(entries),
        population_source=population.describe() if population else "none loaded",
        result=result,
        warnings=tuple(warnings),
    )


def _file_warnings(
    con: Connection,
    icb: IcbEntry,
    scenario: Scenario,
    result: AllocationResult,
    pool: Sequence[PracticeInput],
) -> list[AllocationWarning]:
    """Warnings about the practices read: those of the ICB's eFIT file outside the ICB (eFIT
    classic), and those with no target population."""
    found: list[AllocationWarning] = []
    if scenario.method == Method.EFIT_CLASSIC and classic_view(con, icb.code) is not None:
        members = icb_practice_codes(con, icb.code, Method.RECOMMENDED)
        outside = outside_icb_warning(result, pool, members)
        if outside is not None:
            found.append(outside)
    empty = no_population_warning(result, scenario.target.describe())
    if empty is not None:
        found.append(empty)
    return found


# --- the link that reproduces a scenario --------------------------------------------------------

#: The web tool's page for an allocation; ``share_query`` is its query string.
ALLOCATE_PATH = "/allocate"
#: Decimal places of the bounds of the allocation's intervals in JSON: per patient as the
#: engine gives it, shares and the concentration index finer.
PER_PATIENT_DIGITS = 4
SHARE_DIGITS = 6
INDEX_DIGITS = 4


def share_query(scenario: Scenario) -> list[tuple[str, str]]:
    """The web tool's query of a scenario (``/allocate?...``): the link that reproduces it.

    The same names as the form's (``icb``, ``amount``, ``method``, ``c1``/``w1``/``d1`` ...,
    ``missing``, ``baseline``, ``exclude``, ``allow_sparse``), so that the CLI's report links
    to the page the web tool would show for the same choices.
    """
    target = scenario.target
    items = [("icb", scenario.icb_code), ("amount", f"{scenario.amount}")]
    items.append(("method", Method(scenario.method).value))
    for number, choice in enumerate(scenario.components, start=1):
        items += [(f"c{number}", choice.id), (f"w{number}", f"{choice.weight}")]
        if choice.direction is not None:
            items.append((f"d{number}", Direction(choice.direction).value))
    items += [("sex", Sex(target.sex).value), ("age_from", str(target.age_from))]
    if target.age_to is not None:
        items.append(("age_to", str(target.age_to)))
    items += [
        ("missing", MissingPolicy(scenario.missing_policy).value),
        ("baseline", Baseline(scenario.baseline).value),
    ]
    if scenario.excluded_practices:
        items.append(("exclude", " ".join(sorted(scenario.excluded_practices))))
    if scenario.allow_sparse:
        items.append(("allow_sparse", "1"))
    return items + limits_query(scenario.limits)


def limits_query(limits: AllocationLimits | None) -> list[tuple[str, str]]:
    """The form's names of the floor, the cap, their unit and the maximum change (the previous
    allocation is a file: the link cannot carry it)."""
    if limits is None:
        return []
    items = []
    if limits.floor is not None:
        items.append(("floor", f"{limits.floor}"))
    if limits.cap is not None:
        items.append(("cap", f"{limits.cap}"))
    if items:
        items.append(("limit_unit", LimitUnit(limits.unit).value))
    if limits.max_change is not None:
        items.append(("max_change", f"{limits.max_change}"))
    return items


# --- the outcome as data -----------------------------------------------------------------------


def limits_as_dict(result: AllocationResult) -> dict[str, Any] | None:
    """What the limits did, as JSON (``None`` when none were asked for)."""
    summary = result.limits
    if summary is None:
        return None
    limits = summary.limits
    return {
        "floor": json_number(limits.floor),
        "cap": json_number(limits.cap),
        "unit": LimitUnit(limits.unit).value,
        "max_change": json_number(limits.max_change),
        "previous_practices": len(limits.previous),
        "held": [
            {
                "limit": kind.value,
                "label": LIMIT_LABELS[kind],
                "practices": list(codes),
                "moved": _money(summary.moved[kind]),
            }
            for kind, codes in summary.held.items()
        ],
        "moved_total": _money(summary.moved_total),
        "previous_not_in_pool": list(summary.previous_not_in_pool),
        "new_practices": list(summary.new_practices),
        "description": list(summary.description),
    }


def _money(value: Decimal) -> float:
    """Pounds and pence as a JSON number (exactly the two-decimal figure, e.g. 1234.5)."""
    return float(value)


def json_number(value: Decimal | None) -> float | None:
    """Money, a share or money per patient as a JSON number (``None`` stays null)."""
    return None if value is None else float(value)


def outcome_as_dict(outcome: ScenarioOutcome) -> dict[str, Any]:
    """The allocation as JSON data, as the CLI (``--format json``) and the API return it.

    ``{"icb", "amount", "method", "components", "practices", "by_quintile",
    "concentration_index", "concentration_index_ci", "gap_q1_minus_q5_ci", "slope_index_ci",
    "confidence_intervals", "excluded", "by_pcn", "warnings", "inputs"}``; money in pounds
    (numbers with at most two decimals); shares as fractions of 1. See the README's "API" section.
    """
    result = outcome.result
    scenario = outcome.scenario
    entries = {e.id: e for e in outcome.components}
    components = []
    for pot in result.pots:
        entry = entries.get(pot.id)
        components.append(
            {
                "id": pot.id,
                "name": pot.name,
                "weight": float(pot.weight),
                "direction": pot.direction.value,
                "unit": pot.unit.value,
                "kind": pot.kind.value,
                "source": entry.source if entry else None,
                "period": entry.period if entry else None,
                "amount": _money(pot.amount),
                "need_rule": pot.need_rule,
            }
        )
    practices = [
        {
            "practice_code": p.code,
            "practice_name": p.name,
            "pcn_code": p.pcn_code,
            "pcn_name": p.pcn_name,
            "imd_score": p.imd_score,
            "imd_quintile": p.imd_quintile,
            "target_population": p.target_population,
            "weighted_population": p.weighted_population,
            "components": [
                {
                    "id": cell.component_id,
                    "value": cell.value,
                    "imputed": cell.imputed,
                    "excluded": cell.excluded,
                    "part": _money(cell.part),
                    "note": cell.note,
                }
                for cell in p.components
            ],
            "allocation": _money(p.allocation),
            "allocation_per_patient": json_number(p.allocation_per_patient),
            "baseline": _money(p.baseline),
            "difference": _money(p.difference),
            "limit": None if p.limit is None else p.limit.value,
            "moved": json_number(p.moved),
        }
        for p in result.practices
    ]
    intervals = allocation_intervals(result)

    def bounds(found: Interval | None, places: int) -> dict[str, float] | None:
        return None if found is None else found.as_dict(places)

    by_quintile = [
        {
            "quintile": q.quintile,
            "label": q.label,
            "practices": q.practices,
            "target_population": q.target_population,
            "population_share": float(q.population_share),
            "allocation": _money(q.allocation),
            "money_share": float(q.money_share),
            "allocation_per_patient": json_number(q.allocation_per_patient),
            "allocation_per_patient_ci": bounds(
                intervals.per_patient.get(q.quintile or 0), PER_PATIENT_DIGITS
            ),
            "money_share_ci": bounds(intervals.share.get(q.quintile or 0), SHARE_DIGITS),
        }
        for q in result.quintiles
    ]
    by_pcn = [
        {
            "pcn_code": s.pcn_code,
            "pcn_name": s.pcn_name,
            "practices": s.practices,
            "target_population": s.target_population,
            "allocation": _money(s.allocation),
            "baseline": _money(s.baseline),
            "difference": _money(s.difference),
        }
        for s in result.pcns
    ]
    target = scenario.target
    return {
        "icb": outcome.icb.code,
        "amount": _money(result.request.amount),
        "method": Method(scenario.method).value,
        "components": components,
        "practices": practices,
        "by_quintile": by_quintile,
        "concentration_index": result.concentration_index,
        "concentration_index_ci": bounds(intervals.concentration_index, INDEX_DIGITS),
        "gap_q1_minus_q5_ci": bounds(intervals.gap, PER_PATIENT_DIGITS),
        "slope_index_ci": bounds(intervals.slope_index, PER_PATIENT_DIGITS),
        "confidence_intervals": DEFAULT.as_dict(),
        "excluded": [
            {"practice_code": e.code, "practice_name": e.name, "reason": e.reason}
            for e in result.excluded
        ],
        "by_pcn": by_pcn,
        "warnings": [w.as_dict() for w in outcome.warnings],
        "limits": limits_as_dict(result),
        "inputs": {
            "icb_name": outcome.icb.name,
            "method_label": result.method_label,
            "sex": Sex(target.sex).value,
            "age_from": target.age_from,
            "age_to": target.age_to,
            "target_population": target.describe(),
            "population_source": outcome.population_source,
            "missing_policy": MissingPolicy(scenario.missing_policy).value,
            "baseline": Baseline(scenario.baseline).value,
            "excluded_practices": sorted(scenario.excluded_practices),
            "allow_sparse": scenario.allow_sparse,
            "description": list(result.description),
        },
    }
