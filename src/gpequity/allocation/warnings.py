"""Data-quality warnings of an allocation: what a committee should know before trusting it.

The engine always gives an answer that adds up to the penny; these say when that answer rests on
weak data. Each warning is structured (``code``, ``message``, the ``component`` and the
``practices`` it concerns) so that the web page, the CLI and the API show the same ones:

* ``sparse-component``: an indicator has no value for more than :data:`WARN_MISSING_SHARE` of
  the practices sharing the money (they get the ICB median, no share, or zero, by the method);
  over :data:`CONFIRM_MISSING_SHARE` the allocation is refused unless the user confirms it
  (``allow_sparse``), because most of the component's money then follows a made-up value;
* ``outside-icb``: under eFIT classic, practices of the ICB's eFIT indicator file that are not
  practices of the ICB (QF7's file lists 169 South West London practices), with the money the
  published formula hands them;
* ``no-target-population``: practices with nobody in the target population, who get nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from gpequity.allocation.engine import REASON_NO_POPULATION, count_of, list_codes
from gpequity.allocation.models import (
    AllocationRequest,
    AllocationResult,
    ComponentKind,
    ComponentSpec,
    InputProblem,
    Method,
    MissingPolicy,
    PracticeInput,
)
from gpequity.formats import format_pounds, format_share

#: More than this share of the pool's practices without a value: warn, with the count.
WARN_MISSING_SHARE = Fraction(1, 5)
#: More than this share: refuse unless the user confirms (``--allow-sparse``, ``allow_sparse``).
CONFIRM_MISSING_SHARE = Fraction(1, 2)
#: The input field (and CLI option ``--allow-sparse``) of that confirmation.
ALLOW_SPARSE_FIELD = "allow_sparse"

SPARSE_COMPONENT = "sparse-component"
OUTSIDE_ICB = "outside-icb"
NO_TARGET_POPULATION = "no-target-population"


@dataclass(frozen=True, slots=True)
class AllocationWarning:
    """A data-quality warning: a stable ``code``, a plain-English ``message``, and the
    ``component`` id and practice codes it concerns (when it concerns some)."""

    code: str
    message: str
    component: str | None = None
    practices: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """``{"code", "message", "component", "practices"}`` (``practices`` null when none)."""
        return {
            "code": self.code,
            "message": self.message,
            "component": self.component,
            "practices": list(self.practices) or None,
        }


def _has_values(component: ComponentSpec) -> bool:
    return component.kind in {ComponentKind.INDICATOR, ComponentKind.WEIGHTED_POPULATION}


def _value(component: ComponentSpec, practice: PracticeInput) -> float | None:
    if component.kind == ComponentKind.WEIGHTED_POPULATION:
        return practice.weighted_population
    return practice.values.get(component.id)


def _treatment(request: AllocationRequest) -> str:
    if Method(request.method) == Method.EFIT_CLASSIC:
        return "eFIT classic counts a missing value as zero, so they get no share of it"
    if MissingPolicy(request.missing_policy) == MissingPolicy.EXCLUDE:
        return "they get no share of it (missing values excluded, as you chose)"
    return "they were given the ICB median of the practices that have one"


def check_missing_values(
    request: AllocationRequest, practices: Sequence[PracticeInput], *, allow_sparse: bool
) -> tuple[list[AllocationWarning], list[InputProblem]]:
    """Warnings for components with many missing values, and the problems of those that need
    the user's confirmation and do not have it.

    Counted over the pool: the practices not left out by the user that have a target
    population (the practices that share the money by need).
    """
    pool = [
        p for p in practices if p.code not in request.excluded_practices and p.target_population > 0
    ]
    warnings: list[AllocationWarning] = []
    problems: list[InputProblem] = []
    if not pool:
        return warnings, problems
    for index, component in enumerate(request.components):
        if not _has_values(component):
            continue
        missing = sorted(p.code for p in pool if _value(component, p) is None)
        share = Fraction(len(missing), len(pool))
        if share <= WARN_MISSING_SHARE or len(missing) == len(pool):
            # None missing or few: nothing to say; all missing: the engine refuses it.
            continue
        counted = (
            f"{count_of(len(missing), 'practice', 'practices')} of {len(pool)} "
            f"({format_share(Decimal(share.numerator) / share.denominator)})"
        )
        if share > CONFIRM_MISSING_SHARE and not allow_sparse:
            problems.append(
                InputProblem(
                    ALLOW_SPARSE_FIELD,
                    f"'{component.name}' (component {index + 1}) has no value for {counted}, "
                    "more than half: most of its money would follow values that are not the "
                    "practices' own. Choose another indicator, or confirm that you want to use "
                    "it anyway.",
                )
            )
            continue
        confirmed = " You confirmed its use." if share > CONFIRM_MISSING_SHARE else ""
        warnings.append(
            AllocationWarning(
                SPARSE_COMPONENT,
                f"'{component.name}' has no value for {counted}: {_treatment(request)}.{confirmed}",
                component=component.id,
                practices=tuple(missing),
            )
        )
    return warnings, problems


def outside_icb_warning(
    result: AllocationResult, practices: Sequence[PracticeInput], members: Collection[str]
) -> AllocationWarning | None:
    """Under eFIT classic, the practices of the ICB's eFIT indicator file that are not practices
    of the ICB (``members``, its newest membership), with the money the formula gives them."""
    outside = sorted(p.code for p in practices if p.code not in members)
    if not outside:
        return None
    taken = sum((p.allocation for p in result.practices if p.code not in members), Decimal("0.00"))
    icb = result.request.icb_code
    return AllocationWarning(
        OUTSIDE_ICB,
        f"{count_of(len(outside), 'practice', 'practices')} of ICB {icb}'s eFIT indicator file "
        f"{'is' if len(outside) == 1 else 'are'} not "
        f"{'a practice' if len(outside) == 1 else 'practices'} of the ICB "
        f"({list_codes(outside)}). eFIT classic, like the published tool, shares the money "
        f"with every practice of that file: they take {format_pounds(taken)} of "
        f"{format_pounds(result.request.amount)}. The recommended method shares it among the "
        "ICB's own practices only.",
        practices=tuple(outside),
    )


def no_population_warning(result: AllocationResult, target: str) -> AllocationWarning | None:
    """The practices with nobody in the target population (``target`` in words): nothing for
    them (each is also in ``result.excluded`` with the reason)."""
    empty = [e.code for e in result.excluded if e.reason == REASON_NO_POPULATION]
    if not empty:
        return None
    return AllocationWarning(
        NO_TARGET_POPULATION,
        f"{count_of(len(empty), 'practice has', 'practices have')} nobody in the target "
        f"population ({target}) and {'gets' if len(empty) == 1 else 'get'} nothing "
        f"({list_codes(empty)}); see the practices given nothing.",
        practices=tuple(empty),
    )
