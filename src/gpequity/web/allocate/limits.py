"""The form's optional "Limits" section: a floor, a cap, their unit, a previous allocation
(uploaded, then carried in hidden fields) and the largest change from it.

The fields are ``floor``, ``cap``, ``limit_unit`` (``per-patient`` | ``per-practice``) and
``max_change`` in the query string (a link reproduces them); the previous allocation is a file,
posted as ``previous_file`` and carried as ``previous_name`` and ``previous_data``. Reading
never fails: every field that cannot be read is reported, all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from gpequity.allocation import AllocationLimits, LimitUnit, UploadProblem
from gpequity.allocation.previous import (
    describe_problem,
    parse_previous_allocation,
)
from gpequity.web.views import FieldError, RadioGroup, TextField, radio_group

#: The query's names of the limits (the previous allocation is carried apart: it is a file).
LIMIT_FIELDS = ("floor", "cap", "limit_unit", "max_change")
PREVIOUS_FIELDS = ("previous_name", "previous_data")
#: The form's fields of the limits, in the order they are shown (for the error summary).
LIMIT_FORM_FIELDS = ("floor", "cap", "limit_unit", "previous_file", "max_change")
#: The form field each of the engine's fields is shown on.
FORM_FIELD_OF_LIMIT = {
    "limits.floor": "floor",
    "limits.cap": "cap",
    "limits.unit": "limit_unit",
    "limits.previous": "previous_file",
    "limits.max_change": "max_change",
}
UNIT_CHOICES = (
    (LimitUnit.PER_PATIENT.value, "Per target patient", None),
    (LimitUnit.PER_PRACTICE.value, "Per practice", None),
)
NUMBER = re.compile(r"^\d+(\.\d+)?$")
#: The longest floor, cap or change read.
MAX_LIMIT_CHARS = 24
#: What the carried previous allocation may hold: about 40 characters a practice, 20,000 rows.
MAX_PREVIOUS_CHARS = 1_000_000
#: What the carried file is called when it is read back.
CARRIED_PREVIOUS = "carried.csv"


def _number(text: str, field: str, message: str, errors: list[FieldError]) -> Decimal | None:
    cleaned = text.replace(",", "").replace("£", "").replace("%", "").strip()
    if not cleaned:
        return None
    if len(cleaned) > MAX_LIMIT_CHARS or not NUMBER.match(cleaned):
        errors.append(FieldError(field, message))
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        errors.append(FieldError(field, message))
        return None


#: The limits typed as numbers, and what is said when one is not.
NUMBER_FIELDS = (
    ("floor", "Enter the floor as an amount in pounds, for example 1.50, or leave it empty."),
    ("cap", "Enter the cap as an amount in pounds, for example 4.50, or leave it empty."),
    (
        "max_change",
        "Enter the largest change as a percentage, for example 5, or leave it empty.",
    ),
)
#: The floor's and the cap's label and hint.
POUNDS_FIELDS = {
    "floor": ("Floor (optional)", "The least any practice gets, for example 1.50."),
    "cap": ("Cap (optional)", "The most any practice gets, for example 4.50."),
}


def parse_limits(
    params: Mapping[str, str],
) -> tuple[AllocationLimits | None, list[FieldError]]:
    """The limits typed in the form (``None`` when none is set), and every field that cannot be
    read; the engine checks the rest (a cap below the floor, limits that cannot be met)."""
    errors: list[FieldError] = []
    floor, cap, change = (
        _number(params.get(name, ""), name, message, errors) for name, message in NUMBER_FIELDS
    )
    unit_text = params.get("limit_unit", "") or LimitUnit.PER_PATIENT.value
    unit = LimitUnit.PER_PATIENT
    if unit_text in {u.value for u in LimitUnit}:
        unit = LimitUnit(unit_text)
    else:
        errors.append(FieldError("limit_unit", "Choose per target patient or per practice."))
    previous: dict[str, Decimal] = {}
    carried = params.get("previous_data", "")
    if carried:
        if len(carried) > MAX_PREVIOUS_CHARS:
            errors.append(FieldError("previous_file", "The previous allocation is too large."))
        else:
            previous = dict(
                parse_previous_allocation(carried.encode("utf-8"), CARRIED_PREVIOUS).amounts
            )
    if floor is None and cap is None and change is None and not previous:
        return None, errors
    return AllocationLimits(floor, cap, unit, previous, change), errors


@dataclass(frozen=True)
class LimitsFields:
    """The "Limits" section: open when a limit is set or wrong; what the page says about the
    previous allocation uploaded (``previous``: a summary, then the problems of its rows)."""

    open: bool
    floor: TextField
    cap: TextField
    unit: RadioGroup
    max_change: TextField
    previous: tuple[str, ...]
    previous_error: str | None


def previous_view(name: str, data: str, problems: Sequence[UploadProblem] = ()) -> tuple[str, ...]:
    """What the page says about the previous allocation carried (or just read, with the
    problems of its file): a summary, then each problem; nothing without one."""
    if not data and not problems:
        return ()
    rows = max(0, len([line for line in data.splitlines() if line.strip()]) - 1)
    summary = f"{name}: {rows:,} practices' previous amounts."
    if problems:
        summary += f" {len(problems):,} rows with problems were left out."
    return (summary, *(describe_problem(p) for p in problems))


def _pounds_field(name: str, params: Mapping[str, str], errors: Mapping[str, str]) -> TextField:
    label, hint = POUNDS_FIELDS[name]
    value, error = params.get(name, ""), errors.get(name)
    return TextField(name, name, label, value, hint=hint, error=error, width=5, prefix="£")


def limits_fields(
    params: Mapping[str, str],
    errors: Mapping[str, str],
    previous: tuple[str, ...],
) -> LimitsFields:
    """The section's fields as typed, with their errors."""
    is_set = any(params.get(name) for name in ("floor", "cap", "max_change"))
    wrong = any(name in errors for name in LIMIT_FORM_FIELDS)
    return LimitsFields(
        open=bool(is_set or wrong or previous),
        floor=_pounds_field("floor", params, errors),
        cap=_pounds_field("cap", params, errors),
        unit=radio_group(
            "limit_unit",
            "limit_unit",
            "The floor and cap are",
            UNIT_CHOICES,
            params.get("limit_unit", "") or LimitUnit.PER_PATIENT.value,
            errors,
            inline=True,
            small=True,
        ),
        max_change=TextField(
            "max_change",
            "max_change",
            "Largest change from the previous allocation (optional)",
            params.get("max_change", ""),
            hint="Per target patient, in percent of the previous figure, for example 5.",
            error=errors.get("max_change"),
            width=3,
            suffix="%",
        ),
        previous=previous,
        previous_error=errors.get("previous_file"),
    )
