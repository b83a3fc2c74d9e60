"""What goes into an allocation and what comes out: plain, frozen, typed records.

The models hold data only. Everything a user can get wrong is checked in one place,
:func:`gpequity.allocation.engine.validate_request`, which reports every problem at once as an
:class:`AllocationInputError` so a form can show them field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from gpequity.errors import FieldProblem, GpequityError

__all__ = [
    "AllocationInputError",
    "AllocationLimits",
    "AllocationRequest",
    "AllocationResult",
    "Baseline",
    "ComponentCell",
    "ComponentKind",
    "ComponentPot",
    "ComponentSpec",
    "Direction",
    "ExcludedPractice",
    "InputProblem",
    "LimitKind",
    "LimitUnit",
    "LimitsSummary",
    "Method",
    "MissingPolicy",
    "PcnSummary",
    "PracticeAllocation",
    "PracticeInput",
    "QuintileSummary",
    "Unit",
]


class Method(StrEnum):
    """How the money is split."""

    #: The project's method: each component shares its pot in proportion to need
    #: (target population times need per person), see ``docs/allocation-method.md``.
    RECOMMENDED = "recommended"
    #: The published eFIT tool's own formula, offered so users can compare.
    EFIT_CLASSIC = "efit-classic"


class Direction(StrEnum):
    """Which end of an indicator means more need."""

    HIGHER = "higher"
    LOWER = "lower"


class Unit(StrEnum):
    """What an indicator's values are; a percentage is checked to lie between 0 and 100."""

    PERCENTAGE = "percentage"
    RATE = "rate"
    SCORE = "score"
    COUNT = "count"


class ComponentKind(StrEnum):
    """Where a component's values come from."""

    #: A practice-level indicator, read from ``PracticeInput.values[component.id]``.
    INDICATOR = "indicator"
    #: "Population only": a plain per-head share (need per person is 1).
    POPULATION = "population"
    #: The NHS England weighted list (``PracticeInput.weighted_population``), used as the need.
    WEIGHTED_POPULATION = "weighted-population"


class MissingPolicy(StrEnum):
    """What the recommended method does with a practice that has no value for a component."""

    #: Use the median of the pool's practices that have a value, and mark the cell imputed.
    IMPUTE_MEDIAN = "impute"
    #: Give that practice no share of that component, and say so in the output.
    EXCLUDE = "exclude"


class Baseline(StrEnum):
    """The plain split shown beside each allocation, so a committee sees who gains and loses."""

    #: ``F * P_i / sum_j P_j`` over the target population.
    PER_HEAD = "per-head"
    #: ``F * W_i / sum_j W_j`` over the NHS England weighted list.
    WEIGHTED_POPULATION = "weighted"


class LimitUnit(StrEnum):
    """What a floor or a cap is given in."""

    #: Pounds per target patient: a practice's floor is the floor times its target population.
    PER_PATIENT = "per-patient"
    #: Pounds per practice, whatever its size.
    PER_PRACTICE = "per-practice"


class LimitKind(StrEnum):
    """The limit that held a practice: its floor, its cap, or its previous allocation less
    (``pace-down``) or plus (``pace-up``) the maximum change (:mod:`gpequity.allocation.limits`).
    """

    FLOOR, CAP, PACE_DOWN, PACE_UP = "floor", "cap", "pace-down", "pace-up"


@dataclass(frozen=True, slots=True)
class AllocationLimits:
    """Floors, caps and pace of change on each practice's allocation (all optional).

    ``floor`` and ``cap`` are pounds in ``unit``; ``previous`` maps a practice code to its
    previous allocation in pounds, and ``max_change`` is the largest change allowed, in percent
    of it (both or neither). See :mod:`gpequity.allocation.limits` for how they are applied.
    """

    floor: Decimal | None = None
    cap: Decimal | None = None
    unit: LimitUnit = LimitUnit.PER_PATIENT
    previous: Mapping[str, Decimal] = field(default_factory=dict)
    max_change: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "previous", MappingProxyType(dict(self.previous)))

    @property
    def active(self) -> bool:
        """Whether any limit is set."""
        return self.floor is not None or self.cap is not None or self.max_change is not None


#: One thing wrong with the inputs: the request's field it concerns and a plain-English message.
InputProblem = FieldProblem


class AllocationInputError(GpequityError, ValueError):
    """The inputs cannot be allocated; ``problems`` lists every reason, field by field."""

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        super().__init__(
            "The allocation inputs need correcting:\n"
            + "\n".join(f"- {p.field}: {p.message}" for p in self.problems)
        )


@dataclass(frozen=True, slots=True)
class PracticeInput:
    """A practice of the ICB, with its target population and indicator values.

    ``values`` maps a component id to the practice's value for it; ``None`` or an absent key
    means the value is missing (never zero: see :class:`MissingPolicy`).
    """

    code: str
    name: str
    target_population: float
    values: Mapping[str, float | None] = field(default_factory=dict)
    pcn_code: str | None = None
    pcn_name: str | None = None
    imd_score: float | None = None
    imd_quintile: int | None = None
    weighted_population: float | None = None

    def __post_init__(self) -> None:
        # A read-only copy, so the caller changing its dict later cannot change the input.
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """One component of the allocation: an indicator (or population) with a weight.

    ``weight`` is a percentage (``Decimal("50")``, ``Decimal("33.33")``). ``direction`` and
    ``unit`` matter only for ``kind=indicator``.
    """

    id: str
    name: str
    weight: Decimal
    direction: Direction = Direction.HIGHER
    unit: Unit = Unit.SCORE
    kind: ComponentKind = ComponentKind.INDICATOR


@dataclass(frozen=True, slots=True)
class AllocationRequest:
    """What the user asked for: an amount for an ICB, split by up to three components."""

    icb_code: str
    amount: Decimal
    components: tuple[ComponentSpec, ...]
    method: Method = Method.RECOMMENDED
    missing_policy: MissingPolicy = MissingPolicy.IMPUTE_MEDIAN
    excluded_practices: frozenset[str] = frozenset()
    baseline: Baseline = Baseline.PER_HEAD
    limits: AllocationLimits | None = None

    def __post_init__(self) -> None:
        # Accept any sequence of components and any collection of codes; store them immutably.
        object.__setattr__(self, "components", tuple(self.components))
        object.__setattr__(self, "excluded_practices", frozenset(self.excluded_practices))


@dataclass(frozen=True, slots=True)
class ComponentPot:
    """A component's share of the money: ``amount`` is its weight of the total, in pence.

    ``need_rule`` says in plain English how the component measures need per person.
    """

    id: str
    name: str
    kind: ComponentKind
    direction: Direction
    unit: Unit
    weight: Decimal
    amount: Decimal
    need_rule: str


@dataclass(frozen=True, slots=True)
class ComponentCell:
    """A practice's value for one component and the part of its money that came from it.

    ``value`` is the indicator value used (the practice's own, or the imputed median when
    ``imputed``); it is ``None`` for the population components and for missing values that were
    not imputed. ``excluded`` means the practice had no share of this component; ``note`` says
    why.
    """

    component_id: str
    value: float | None
    imputed: bool
    excluded: bool
    part: Decimal
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PracticeAllocation:
    """One practice's allocation beside the plain baseline split.

    ``components`` holds one cell per pot, in the order of ``AllocationResult.pots``. Each
    component's parts add up to its pot exactly, and the pots add up to the amount. Each part
    and each allocation is its exact amount rounded to a neighbouring penny, so a practice's
    parts can differ from its ``allocation`` by at most one penny per pot (see
    ``docs/allocation-method.md``); the ``allocation`` is the figure to pay.

    ``allocation_per_patient`` is ``None`` for a practice with no target population, which gets
    money only in eFIT classic, from the weighted-list component (as the published tool does).
    """

    code: str
    name: str
    pcn_code: str | None
    pcn_name: str | None
    imd_score: float | None
    imd_quintile: int | None
    target_population: float
    weighted_population: float | None
    components: tuple[ComponentCell, ...]
    allocation: Decimal
    allocation_per_patient: Decimal | None
    baseline: Decimal
    difference: Decimal
    #: The limit that held the practice (``None``: none did, or no limits were asked for).
    limit: LimitKind | None = None
    #: The allocation less the one without limits (``None`` when no limits were asked for).
    moved: Decimal | None = None

    @property
    def unlimited(self) -> Decimal | None:
        """The allocation the practice would have had without the limits (``None``: none)."""
        return None if self.moved is None else self.allocation - self.moved


@dataclass(frozen=True, slots=True)
class PcnSummary:
    """The practices of one PCN added up (``pcn_code`` ``None``: practices without a PCN)."""

    pcn_code: str | None
    pcn_name: str | None
    practices: int
    target_population: float
    allocation: Decimal
    baseline: Decimal
    difference: Decimal


@dataclass(frozen=True, slots=True)
class QuintileSummary:
    """The practices of one IMD quintile (``quintile`` ``None``: "No IMD score").

    Shares are fractions of the pool's totals (0 to 1); ``allocation_per_patient`` is ``None``
    for a group with no practices.
    """

    quintile: int | None
    label: str
    practices: int
    target_population: float
    population_share: Decimal
    allocation: Decimal
    money_share: Decimal
    allocation_per_patient: Decimal | None


@dataclass(frozen=True, slots=True)
class ExcludedPractice:
    """A practice given nothing, with the reason in plain English."""

    code: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class LimitsSummary:
    """What the limits did: how many practices each held and how much money moved.

    ``held`` and ``moved`` map each :class:`LimitKind` to the practices it held and the money
    moved to them (a floor, pace-up cap... positive: given; a cap or pace-down negative: taken),
    in pounds; ``moved_total`` is all the money that went to a different practice than without
    limits. ``previous_not_in_pool`` lists the codes of the previous allocation that are not
    practices of this pool; ``new_practices`` those of the pool with no previous figure (no pace
    limit). ``description`` is what was done, in plain English.
    """

    limits: AllocationLimits
    held: Mapping[LimitKind, tuple[str, ...]]
    moved: Mapping[LimitKind, Decimal]
    moved_total: Decimal
    previous_not_in_pool: tuple[str, ...]
    new_practices: tuple[str, ...]
    description: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """The allocation of ``request.amount`` across the pool, with everything needed to explain it.

    ``practices`` (sorted by code) are the practices that share the money; their allocations add
    up to the amount to the penny. ``excluded`` lists the practices left out and why.
    ``concentration_index`` is that of allocation per target patient across the practices with
    an IMD score (negative when the money goes more to deprived practices), ``None`` when it
    cannot be computed. ``description`` is the method and inputs in plain English, paragraph by
    paragraph.
    """

    request: AllocationRequest
    method_label: str
    description: tuple[str, ...]
    pots: tuple[ComponentPot, ...]
    practices: tuple[PracticeAllocation, ...]
    pcns: tuple[PcnSummary, ...]
    quintiles: tuple[QuintileSummary, ...]
    concentration_index: float | None
    excluded: tuple[ExcludedPractice, ...]
    #: What floors, caps and pace of change did (``None``: none were asked for).
    limits: LimitsSummary | None = None
