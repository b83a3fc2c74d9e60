"""The allocation forms' fields as views: the ICB, amount and target population every
scenario shares, and each scenario's method and components."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gpequity.allocation import ComponentKind, Direction
from gpequity.allocation.catalogue import OLDEST_AGE, IndicatorEntry
from gpequity.allocation.icbs import IcbEntry
from gpequity.formats import format_share
from gpequity.web.allocate.common import (
    BASELINE_CHOICES,
    CORE_IDS,
    DIRECTION_CHOICES,
    METHOD_CHOICES,
    MISSING_CHOICES,
    SEX_CHOICES,
    SOURCE_GROUPS,
)
from gpequity.web.allocate.form import TICKED, ScenarioInput, field_id
from gpequity.web.views import (
    Option,
    OptionGroup,
    RadioGroup,
    SelectField,
    TextField,
    radio_group,
)


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
    #: The tick box confirming a component with no value for over half the practices.
    allow_sparse: bool = False
    allow_sparse_error: str | None = None


@dataclass(frozen=True)
class ToolForm:
    """What the form of every tool page (compare, sensitivity) has: where it is sent and the
    shared fields; each page's form adds its own (``allocate_tool_layout.html``)."""

    action: str
    shared: SharedFields


def _coverage_text(coverage: float | None) -> str:
    if coverage is None:
        return ""
    if coverage >= 1:
        return "every practice has a value"
    return f"{format_share(coverage, places=0)} of practices have a value"


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
    method = radio_group(
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
                direction=radio_group(
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


def _age_field(name: str, label: str, value: str, errors: Mapping[str, str]) -> TextField:
    return TextField(name, name, label, value, error=errors.get(name), width=3, numeric=True)


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
        sex=radio_group(
            "sex",
            "sex",
            "Which patients",
            [(s.value, label, None) for s, label in SEX_CHOICES],
            inp.sex,
            errors,
            inline=True,
        ),
        age_from=_age_field("age_from", "From age", inp.age_from, errors),
        age_to=_age_field("age_to", "To age", inp.age_to, errors),
        missing=radio_group(
            "missing",
            "missing",
            "If a practice has no value for an indicator",
            [(key, label, hint) for key, _, label, hint in MISSING_CHOICES],
            inp.missing,
            errors,
        ),
        baseline=radio_group(
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
        allow_sparse=inp.allow_sparse == TICKED,
        allow_sparse_error=errors.get("allow_sparse"),
    )
