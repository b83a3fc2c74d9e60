"""What the JSON API receives and sends, as pydantic models: ``/api/openapi.json`` is built from
them, and every answer is one of them, checked on the way out.

The allocation's JSON is built once, by :func:`gpequity.allocation.scenario.outcome_as_dict`
(what ``gpequity allocate --format json`` prints); :class:`AllocationOut` is its shape, with
``extra="forbid"`` so that a key the builder adds and the schema lacks fails loudly instead of
being dropped. The profiles and the library are built straight into their models by the routes
of ``routes/api_public.py``.

Choice values have one spelling everywhere (``per-head``, ``weighted``, ``impute``, the enums of
:mod:`gpequity.allocation.models`). The spellings of 0.1 that the API took
(:data:`OLD_SPELLINGS`) are still accepted for one release, marked ``deprecated`` in the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from gpequity.allocation import (
    Baseline,
    ComponentKind,
    Direction,
    LimitKind,
    LimitUnit,
    Method,
    MissingPolicy,
    Unit,
)
from gpequity.allocation.catalogue import OLDEST_AGE
from gpequity.allocation.limits import MAX_CHANGE
from gpequity.allocation.pools import Sex
from gpequity.allocation.upload import MAX_UPLOAD_ROWS
from gpequity.analysis.profiles import IndicatorComparison

PREFIX = "/api/v1"

# --- choices: one spelling, the old one accepted for one release -------------------------------

#: The API's spellings of 0.1, the release that spelt these choices with underscores, and what
#: they are now. Accepted until the next release; the README's API section says so.
OLD_SPELLINGS: Mapping[type[StrEnum], Mapping[str, StrEnum]] = {
    MissingPolicy: {"impute_median": MissingPolicy.IMPUTE_MEDIAN},
    Baseline: {
        "per_head": Baseline.PER_HEAD,
        "weighted_population": Baseline.WEIGHTED_POPULATION,
    },
}
DEPRECATION_NOTE = (
    "Until the next release the API also accepts the spellings of 0.1, deprecated: "
    + ", ".join(
        f"``{old}`` (now ``{new}``)"
        for spellings in OLD_SPELLINGS.values()
        for old, new in spellings.items()
    )
    + "."
)


def _respelled(choice: type[StrEnum]) -> Callable[[Any], Any]:
    """A value in its spelling of today (an old spelling of ``choice`` replaced)."""
    old = OLD_SPELLINGS[choice]

    def respell(value: Any) -> Any:
        return old.get(value, value) if isinstance(value, str) else value

    return respell


def _with_old_spellings(choice: type[StrEnum]) -> Callable[[dict[str, Any]], None]:
    """The field's schema: the enum of today, or one of its old spellings marked deprecated."""
    old = sorted(OLD_SPELLINGS[choice])

    def extend(schema: dict[str, Any]) -> None:
        today = {"$ref": schema.pop("$ref")}
        schema["anyOf"] = [today, {"type": "string", "enum": old, "deprecated": True}]

    return extend


def _old_spellings_field(choice: type[StrEnum], description: str) -> Any:
    """The field of an enum that also takes the choice's old spellings, documented as such."""
    old = ", ".join(f"``{o}``" for o in OLD_SPELLINGS[choice])
    return Field(
        description=f"{description} Deprecated: {old} (the spellings of 0.1).",
        json_schema_extra=_with_old_spellings(choice),
    )


MissingPolicyIn = Annotated[
    MissingPolicy,
    BeforeValidator(_respelled(MissingPolicy)),
    _old_spellings_field(
        MissingPolicy,
        "A missing value: ``impute`` the ICB median (flagged) or ``exclude`` the practice from "
        "that component.",
    ),
]
BaselineIn = Annotated[
    Baseline,
    BeforeValidator(_respelled(Baseline)),
    _old_spellings_field(
        Baseline, "The plain split shown beside each allocation: ``per-head`` or ``weighted``."
    ),
]


# --- the allocation: request -------------------------------------------------------------------


class ComponentIn(BaseModel):
    """One component: a catalogue id (``GET /api/v1/indicators``), a weight, a direction."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="Indicator id, e.g. imd or population.")
    weight: Decimal = Field(description="Weight in percent; the weights add up to 100.")
    direction: Direction | None = Field(
        default=None,
        description="higher or lower = more need [default: the indicator's own direction].",
    )


#: The example body shown in the documentation (and sent by the schema tests).
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
    "missing_policy": "impute",
    "excluded_practices": [],
    "baseline": "per-head",
}


def empty_code(position: int) -> PydanticCustomError:
    """An empty practice code in a list, named by its place (listed among the unknown codes it
    was invisible: "These codes are not practices of ICB QHM: .")."""
    return PydanticCustomError(
        "empty_practice_code",
        "An empty practice code at position {position}: give a code such as A81001, or remove it.",
        {"position": position},
    )


class PreviousIn(BaseModel):
    """One practice's previous allocation, for the pace-of-change limit."""

    model_config = ConfigDict(extra="forbid")

    practice_code: str = Field(min_length=1, max_length=20, description="ODS code, e.g. A81001.")
    amount: Decimal = Field(ge=0, description="Its previous allocation, in pounds.")


class LimitsIn(BaseModel):
    """Floors, caps and pace of change (all optional; see the README's "Limits")."""

    model_config = ConfigDict(extra="forbid")

    floor: Decimal | None = Field(
        default=None, ge=0, description="The least a practice gets, in pounds per ``unit``."
    )
    cap: Decimal | None = Field(
        default=None, gt=0, description="The most a practice gets, in pounds per ``unit``."
    )
    unit: LimitUnit = Field(
        default=LimitUnit.PER_PATIENT,
        description="per-patient (pounds per target patient, up to 4 decimals) or "
        "per-practice (pounds, up to 2 decimals).",
    )
    previous: list[PreviousIn] = Field(
        default_factory=list,
        max_length=MAX_UPLOAD_ROWS,
        description="The previous allocation, practice by practice (needs max_change).",
    )
    max_change: Decimal | None = Field(
        default=None,
        ge=0,
        le=MAX_CHANGE,
        description="The largest change from the previous allocation per target patient, in "
        "percent (needs previous).",
    )

    @field_validator("previous")
    @classmethod
    def _each_code_once(cls, rows: list[PreviousIn]) -> list[PreviousIn]:
        seen: dict[str, int] = {}
        for position, row in enumerate(rows, start=1):
            code = row.practice_code.strip().upper()
            if not code:
                raise empty_code(position)
            if code in seen:
                raise PydanticCustomError(
                    "repeated_practice_code",
                    "Practice {code} appears again at position {position} (first at "
                    "{first}): give each practice once.",
                    {"code": code, "position": position, "first": seen[code]},
                )
            seen[code] = position
        return rows


class AllocationIn(BaseModel):
    """An allocation to compute: an amount for an ICB, split by one to three components."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_BODY]})

    icb: str = Field(min_length=1, description="ICB code (GET /api/v1/icbs).")
    amount: Decimal = Field(description="Pounds, more than 0, at most two decimals.")
    method: Method = Method.RECOMMENDED
    components: list[ComponentIn]
    sex: Sex = Sex.ALL
    # strict: a JSON ``false`` or ``true`` is not an age (lax ints read them as 0 and 1)
    age_from: int = Field(default=0, ge=0, le=OLDEST_AGE, strict=True)
    age_to: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=OLDEST_AGE,
        description=f"Oldest age; null = and over ({OLDEST_AGE}+).",
    )
    missing_policy: MissingPolicyIn = MissingPolicy.IMPUTE_MEDIAN
    excluded_practices: list[str] = Field(
        default_factory=list, description="Practice codes to leave out."
    )
    baseline: BaselineIn = Baseline.PER_HEAD
    allow_sparse: bool = Field(
        default=False,
        description="Confirm using a component that has no value for more than half of the "
        "ICB's practices (refused otherwise, with a 422 on this field).",
    )
    limits: LimitsIn | None = Field(
        default=None,
        description="Floors, caps and pace of change on each practice's allocation; limits "
        "that cannot be met are a 422 naming the largest floor, smallest cap or smallest "
        "change that can.",
    )

    @field_validator("excluded_practices")
    @classmethod
    def _no_empty_code(cls, codes: list[str]) -> list[str]:
        """An empty code named by its place: listed among the unknown codes it was invisible
        ("These codes are not practices of ICB QHM: .")."""
        for position, code in enumerate(codes, start=1):
            if not code.strip():
                raise empty_code(position)
        return codes


# --- the allocation: answer (the shape of outcome_as_dict) -------------------------------------


class Out(BaseModel):
    """An answer's model: a key it does not know is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ComponentOut(Out):
    id: str
    name: str
    weight: float = Field(description="Weight in percent.")
    direction: Direction
    unit: Unit
    kind: ComponentKind
    source: str | None
    period: str | None
    amount: float = Field(description="The component's pot, in pounds.")
    need_rule: str


class CellOut(Out):
    id: str
    value: float | None = Field(
        description="The value used (the imputed median when imputed); null for the "
        "population components and for a missing value that was not imputed."
    )
    imputed: bool
    excluded: bool
    part: float = Field(description="The part of the practice's money from this component.")
    note: str | None


class PracticeOut(Out):
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
    allocation_per_patient: float | None = Field(
        description="null for a practice with no target population (which gets money only in "
        "eFIT classic, from the weighted-list component)."
    )
    baseline: float
    difference: float
    limit: LimitKind | None = Field(
        description="The limit that held the practice: floor, cap, pace-down or pace-up."
    )
    moved: float | None = Field(
        description="Pounds moved to (+) or from (−) the practice by the limits; null: no limits."
    )


class IntervalOut(Out):
    """A confidence interval: the figure's lower and upper bounds, in its units."""

    lower: float
    upper: float


class IntervalsOut(Out):
    """How the confidence intervals were computed."""

    level: float = Field(description="The confidence level (0.95: 95%).")
    resamples: int = Field(description="Bootstrap resamples of the practices.")
    seed: int = Field(description="The seed of the resamples: the same seed, the same interval.")
    method: str
    meaning: str = Field(description="What an interval means, in one plain sentence.")


class QuintileOut(Out):
    quintile: int | None = Field(description="1 least deprived to 5; null: no IMD score.")
    label: str
    practices: int
    target_population: float
    population_share: float
    allocation: float
    money_share: float
    allocation_per_patient: float | None
    allocation_per_patient_ci: IntervalOut | None = Field(
        description="95% confidence interval of allocation_per_patient (bootstrap of the "
        "quintile's practices); null for the practices without an IMD score."
    )
    money_share_ci: IntervalOut | None = Field(
        description="95% confidence interval of money_share; null without an IMD score."
    )


class ExcludedOut(Out):
    practice_code: str
    practice_name: str
    reason: str


class PcnOut(Out):
    pcn_code: str | None
    pcn_name: str | None
    practices: int
    target_population: float
    allocation: float
    baseline: float
    difference: float


class InputsOut(Out):
    icb_name: str
    method_label: str
    sex: Sex
    age_from: int
    age_to: int | None
    target_population: str
    population_source: str
    missing_policy: MissingPolicy
    baseline: Baseline
    excluded_practices: list[str]
    allow_sparse: bool
    description: list[str]


class WarningOut(Out):
    """A data-quality warning (see the README's "Warnings")."""

    code: str = Field(
        description="sparse-component, outside-icb or no-target-population (more may come)."
    )
    message: str
    component: str | None = Field(description="The component's id, when it concerns one.")
    practices: list[str] | None = Field(
        description="The codes of the practices it concerns, when it concerns some."
    )


class HeldOut(Out):
    limit: LimitKind
    label: str
    practices: list[str] = Field(description="The codes of the practices held at this limit.")
    moved: float = Field(description="Pounds moved to (+) or from (−) them by this limit.")


class LimitsOut(Out):
    floor: float | None
    cap: float | None
    unit: LimitUnit
    max_change: float | None
    previous_practices: int = Field(description="Rows of the previous allocation.")
    held: list[HeldOut]
    moved_total: float = Field(description="Pounds that went to other practices than without.")
    previous_not_in_pool: list[str] = Field(
        description="Codes of the previous allocation that are not practices of the pool."
    )
    new_practices: list[str] = Field(
        description="Practices of the pool with no previous amount (no pace limit)."
    )
    description: list[str]


class AllocationOut(Out):
    """The allocation, as ``gpequity allocate --format json`` prints it: money in pounds,
    shares as fractions of 1."""

    icb: str
    amount: float
    method: Method
    components: list[ComponentOut]
    practices: list[PracticeOut]
    by_quintile: list[QuintileOut]
    concentration_index: float | None = Field(
        description="Of allocation per target patient across the practices with an IMD score: "
        "negative when the money goes more to deprived practices; null when it cannot be "
        "computed."
    )
    concentration_index_ci: IntervalOut | None = Field(
        description="95% confidence interval of the concentration index (bootstrap of the "
        "practices with an IMD score, within their quintiles)."
    )
    gap_q1_minus_q5_ci: IntervalOut | None = Field(
        description="95% confidence interval of Q1 (least deprived) minus Q5 (most deprived) "
        "allocation per target patient; null when a quintile has no practice."
    )
    slope_index_ci: IntervalOut | None = Field(
        description="95% confidence interval of the slope index of inequality of allocation "
        "per target patient (positive when the least deprived get more)."
    )
    confidence_intervals: IntervalsOut
    excluded: list[ExcludedOut]
    by_pcn: list[PcnOut]
    warnings: list[WarningOut] = Field(
        description="Data-quality warnings: components with many missing values, practices "
        "outside the ICB, practices with no target population."
    )
    limits: LimitsOut | None = Field(description="What the limits did; null: none asked for.")
    inputs: InputsOut


class CompareIn(BaseModel):
    """Two allocations of the same ICB to compare: B against A."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "a": {**EXAMPLE_BODY, "components": [{"id": "population", "weight": 100}]},
                    "b": EXAMPLE_BODY,
                }
            ]
        },
    )

    a: AllocationIn
    b: AllocationIn


class PracticeChangeOut(Out):
    practice_code: str
    practice_name: str
    imd_score: float | None
    imd_quintile: int | None
    allocation_a: float | None = Field(description="Null: not in scenario A's pool.")
    allocation_b: float | None = Field(description="Null: not in scenario B's pool.")
    difference: float | None = Field(description="B − A, pounds.")
    allocation_per_patient_a: float | None
    allocation_per_patient_b: float | None
    reason_a: str | None = Field(description="Why the practice gets nothing under A.")
    reason_b: str | None = Field(description="Why the practice gets nothing under B.")


class QuintileChangeOut(Out):
    quintile: int | None
    label: str
    population_share_a: float | None
    population_share_b: float | None
    money_share_a: float | None
    money_share_b: float | None
    change: float | None = Field(description="B − A of the share of the money.")
    allocation_per_patient_a: float | None
    allocation_per_patient_b: float | None


class CompareSummaryOut(Out):
    practices_gaining: int
    practices_losing: int
    largest_change: PracticeChangeOut | None
    most_deprived_quintile: QuintileChangeOut | None
    same_patients: bool
    concentration_index_a: float | None
    concentration_index_b: float | None


class ClassicFlawOut(Out):
    scenario: str
    component: str
    name: str
    spread: float | None
    recommended_scenario: str | None
    recommended_spread: float | None


class ComparisonOut(Out):
    """Two allocations and how B differs from A, as ``gpequity compare --format json``."""

    a: AllocationOut
    b: AllocationOut
    practices: list[PracticeChangeOut]
    by_quintile: list[QuintileChangeOut]
    summary: CompareSummaryOut
    classic_flaw: list[ClassicFlawOut]


class SensitivityIn(AllocationIn):
    """An allocation, and the component whose weight to sweep from 0% to 100%."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{**EXAMPLE_BODY, "component": "imd"}]},
    )

    component: str = Field(
        default="imd",
        min_length=1,
        description="Id of the component whose weight is swept; the other components share "
        "the rest of the weight in their proportions.",
    )


class SweepQuintileOut(Out):
    quintile: int | None
    label: str
    practices: int
    population_share: float
    money_share: float


class SweepPointOut(Out):
    weight: int = Field(description="The swept component's weight, in percent.")
    concentration_index: float | None
    by_quintile: list[SweepQuintileOut]
    allocation: AllocationOut


class ShareMoveOut(Out):
    label: str
    population_share: float
    money_share_at_0: float
    money_share_at_100: float


class SensitivityOut(Out):
    """The sweep, as ``gpequity sensitivity --format json``."""

    component: str
    others: list[str]
    weights: list[SweepPointOut]
    most_deprived_quintile: ShareMoveOut | None


class IcbOut(Out):
    code: str
    name: str
    practices: int
    source: str | None
    first_period: str | None


class IndicatorOut(Out):
    id: str
    name: str
    unit: Unit
    direction: Direction
    period: str | None
    source: str
    coverage: float | None = Field(
        description="Share (0 to 1) of the ICB's practices with a value."
    )


# --- errors ------------------------------------------------------------------------------------


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class FieldErrors(BaseModel):
    detail: list[ErrorItem]


class ErrorOut(BaseModel):
    detail: str


FIELD_ERRORS: dict[str, Any] = {
    "model": FieldErrors,
    "description": "A field is wrong: one entry per problem.",
}
NOT_FOUND: dict[str, Any] = {"model": ErrorOut, "description": "Not found."}
UNAVAILABLE: dict[str, Any] = {"model": ErrorOut, "description": "No warehouse is loaded."}


# --- the library -------------------------------------------------------------------------------


class LinkOut(Out):
    title: str
    href: str


class RelatedOut(Out):
    resources: list[str]
    practices: list[str]
    icbs: list[str]
    links: list[LinkOut]


class ResourceOut(Out):
    slug: str
    title: str
    type: str = Field(description="Blog, Evidence brief, Data analysis or Tool.")
    published: date
    authors: list[str]
    summary: str
    tags: list[str]
    url: str = Field(description="The resource's page on this site.")
    related: RelatedOut


class ResourceHitOut(ResourceOut):
    snippet: str | None = Field(
        description="With a query: the best-matching text, matched words in [brackets]."
    )


class ResourceListOut(Out):
    query: str
    type: str | None
    tag: str | None
    total: int
    page: int
    pages: int
    per_page: int
    results: list[ResourceHitOut]


class ShortcodeOut(Out):
    name: str
    params: dict[str, str]
    csv: str = Field(description="Its table as CSV, computed from the warehouse.")


class ResourceDetailOut(ResourceOut):
    markdown: str = Field(description="The body as written (Markdown, shortcodes in place).")
    shortcodes: list[ShortcodeOut]


# --- profiles ----------------------------------------------------------------------------------


class ProfileOut(Out):
    """A profile's model, read straight from the analysis's result (its attributes), so that
    each figure is named once, in :mod:`gpequity.analysis.profiles`."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)


#: The analysis calls it ``quintile``; the API, as its other answers, ``imd_quintile``.
IMD_QUINTILE = AliasChoices("imd_quintile", "quintile")


class PracticeDetailsOut(ProfileOut):
    code: str
    name: str
    year: str = Field(description="The latest payments year the practice is in.")
    in_latest_year: bool
    postcode: str | None
    icb_code: str
    icb_name: str
    pcn_code: str | None
    pcn_name: str | None
    registered_patients: float | None
    weighted_patients: float | None
    dispensing: str | None
    rurality: str | None
    contract_type: str | None
    imd_score: float | None
    imd_quintile: int | None
    imd_method: str | None


class PaymentYearOut(ProfileOut):
    year: str
    total_payments: float | None
    per_weighted_patient: float | None
    icb_code: str
    icb_median: float | None
    icb_practices: int
    england_median: float | None
    england_practices: int
    imd_quintile: int | None = Field(validation_alias=IMD_QUINTILE)
    quintile_median: float | None
    quintile_practices: int


class PracticeMatchOut(ProfileOut):
    code: str
    name: str
    postcode: str | None = Field(description="Written SW2 1AA; null when the file has none.")
    icb_code: str = Field(description="The ICB in force today that holds the practice.")
    icb_name: str
    pcn_code: str | None
    pcn_name: str | None
    year: str = Field(description="The latest payments year the practice is in.")
    matched_on: str = Field(
        description="How it matched, best first: code, postcode, postcode sector, outward "
        "code, start of code, PCN code, name, name (spelling), PCN name."
    )


class IcbMatchOut(ProfileOut):
    code: str
    name: str
    practices: int = Field(description="Its practices in the latest payments year.")
    short_name: str | None


class DirectoryOut(ProfileOut):
    query: str = Field(description="The query as searched (spaces collapsed).")
    practices_found: int = Field(description="Every practice that matched.")
    practices: list[PracticeMatchOut] = Field(description="The best ``limit`` of them.")
    icbs: list[IcbMatchOut]


class PracticeProfileOut(ProfileOut):
    practice: PracticeDetailsOut = Field(validation_alias=AliasChoices("practice", "details"))
    payments: list[PaymentYearOut]
    #: The analysis's own result: the API names its fields as the analysis does.
    indicators: list[IndicatorComparison]
    definition: str


class IcbPracticeOut(ProfileOut):
    code: str
    name: str
    pcn_name: str | None
    postcode: str | None
    registered_patients: float | None
    weighted_patients: float | None
    imd_score: float | None
    imd_quintile: int | None = Field(validation_alias=IMD_QUINTILE)
    dispensing: str | None
    rurality: str | None
    total_payments: float | None
    per_weighted_patient: float | None


class QuintileShareOut(ProfileOut):
    imd_quintile: int | None = Field(
        validation_alias=IMD_QUINTILE, description="null: the practices with no IMD score."
    )
    label: str
    practices: int
    registered_patients: float
    share_of_practices: float | None
    share_of_patients: float | None


class GradientOut(ProfileOut):
    imd_quintile: int = Field(validation_alias=IMD_QUINTILE)
    label: str
    icb_practices: int
    icb_per_weighted_patient: float | None
    england_practices: int
    england_per_weighted_patient: float | None


class IcbProfileOut(ProfileOut):
    code: str
    name: str
    year: str
    years: list[str]
    practices: list[IcbPracticeOut]
    spread: list[QuintileShareOut]
    gradient: list[GradientOut]
    icb_gap_q1_minus_q5: float | None
    england_gap_q1_minus_q5: float | None
    notes: list[str]
    definition: str
    #: "Essex ICB"; null when no official list names the ICB.
    short_name: str | None
    #: Which ICBs the year's practices are grouped by ("current" or "historic"), in words.
    icb_map: str
    icb_map_note: str
