"""A board-ready report of one allocation: an A4 PDF a commissioner can take to a committee.

It says, in order: what was asked (inputs) and how the money was split (the method in plain
English), the data-quality warnings, the headline by IMD quintile, the chart, every practice's
allocation against the baseline (with the total, which is the amount to the penny), the PCN
roll-up, the data used and the link that reproduces the allocation. Every figure is the
allocation service's (:class:`~gpequity.allocation.scenario.ScenarioOutcome`); this module only
writes them (:mod:`gpequity.formats`) and prints them with the datapacks' stylesheet and
WeasyPrint (:func:`gpequity.reports.render.render_pdf`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from gpequity import __version__
from gpequity.allocation.engine import CLASSIC_REMAINDER_ID
from gpequity.allocation.limits import LIMIT_LABELS
from gpequity.allocation.measures import most_deprived_quintile
from gpequity.allocation.models import PracticeAllocation
from gpequity.allocation.scenario import ScenarioOutcome
from gpequity.charts import allocation_bars_chart, render_svg
from gpequity.formats import (
    format_change,
    format_count,
    format_people,
    format_per_patient,
    format_pounds,
    format_share,
)
from gpequity.reports.render import render_document, render_pdf
from gpequity.views import Column, TableView, figure_columns, text_table

#: What the report says when the allocation cannot be reproduced from a link (an uploaded file).
NO_LINK = (
    "No link: this allocation uses your own indicator file or previous allocation, which is not "
    "kept. Keep the file with this report to reproduce it."
)


@dataclass(frozen=True)
class AllocationReportView:
    """Everything the report prints, as text (and the chart as inline SVG)."""

    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    inputs: tuple[tuple[str, str], ...]
    method: tuple[str, ...]
    warnings: tuple[str, ...]
    headline: str
    quintiles: TableView
    chart_title: str
    chart_reading: str
    chart_svg: Markup
    practices: TableView
    pcns: TableView
    excluded: TableView | None
    limits: tuple[str, ...]
    held: TableView | None
    data: tuple[tuple[str, str], ...]
    link: str
    footer: str


def _components(outcome: ScenarioOutcome) -> str:
    return "; ".join(
        f"{pot.name} {pot.weight}% ({pot.direction.value} value = more need)"
        if pot.kind.value == "indicator"
        else f"{pot.name} {pot.weight}%"
        for pot in outcome.result.pots
        if pot.id != CLASSIC_REMAINDER_ID
    )


def _headline(outcome: ScenarioOutcome) -> str:
    result = outcome.result
    most = most_deprived_quintile(result.quintiles)
    if most is None:
        return "No practice has an IMD score, so the money cannot be read by deprivation."
    return (
        f"{most.label}: {format_share(most.money_share)} of the money for "
        f"{format_share(most.population_share)} of the target patients "
        f"({format_per_patient(most.allocation_per_patient)} per patient). "
        f"{len(result.practices)} practices share {format_pounds(result.request.amount)}."
    )


def quintile_table(outcome: ScenarioOutcome) -> TableView:
    """The allocation by IMD quintile, as the report and ``gpequity allocate`` print it."""
    return text_table(
        caption="By IMD quintile (national): share of the money against share of the patients",
        columns=figure_columns(
            "IMD quintile",
            "Practices",
            "Target patients",
            "Share of patients",
            "Allocation",
            "Share of money",
            "Per patient",
        ),
        rows=tuple(
            (
                q.label,
                format_count(q.practices),
                format_people(q.target_population),
                format_share(q.population_share),
                format_pounds(q.allocation),
                format_share(q.money_share),
                format_per_patient(q.allocation_per_patient),
            )
            for q in outcome.result.quintiles
        ),
    )


def _held_row(practice: PracticeAllocation) -> tuple[str, ...]:
    """A practice held at a limit: who, which limit, without and with the limits, the move."""
    limit = "" if practice.limit is None else LIMIT_LABELS[practice.limit]
    figures = (practice.unlimited, practice.allocation)
    return (
        f"{practice.code} {practice.name}",
        limit,
        *map(format_pounds, figures),
        format_change(practice.moved),
    )


def limits_table(outcome: ScenarioOutcome) -> TableView | None:
    """The practices held at a floor, a cap or a pace limit, and the money each moved, as the
    report, the result page and ``gpequity allocate`` show them (``None``: no limits)."""
    if outcome.result.limits is None:
        return None
    held = [p for p in outcome.result.practices if p.limit is not None]
    figures = figure_columns("Held at", "Without limits", "Allocation", "Moved")
    columns = (Column("Practice"), *figures)
    caption = "Practices held at a limit, and the money the limits moved"
    return text_table(caption=caption, columns=columns, rows=map(_held_row, held))


def _practice_table(outcome: ScenarioOutcome) -> TableView:
    result = outcome.result
    rows = [
        (
            f"{p.code} {p.name}",
            p.pcn_name or "",
            "" if p.imd_quintile is None else f"Q{p.imd_quintile}",
            format_people(p.target_population),
            format_pounds(p.allocation),
            format_pounds(p.baseline),
            format_pounds(p.difference),
        )
        for p in result.practices
    ]
    rows.append(
        (
            f"Total ({format_count(len(result.practices))} practices)",
            "",
            "",
            "",
            format_pounds(result.request.amount),
            format_pounds(result.request.amount),
            "",
        )
    )
    return text_table(
        caption="Allocation by practice, against the baseline",
        columns=(
            Column("Practice"),
            Column("PCN"),
            *figure_columns(
                "IMD quintile", "Target patients", "Allocation", "Baseline", "Difference"
            ),
        ),
        rows=tuple(rows),
    )


def _pcn_table(outcome: ScenarioOutcome) -> TableView:
    return text_table(
        caption="By primary care network (PCN)",
        columns=figure_columns(
            "PCN", "Practices", "Target patients", "Allocation", "Baseline", "Difference"
        ),
        rows=tuple(
            (
                s.pcn_name or s.pcn_code or "",
                format_count(s.practices),
                format_people(s.target_population),
                format_pounds(s.allocation),
                format_pounds(s.baseline),
                format_pounds(s.difference),
            )
            for s in outcome.result.pcns
        ),
    )


def _excluded_table(outcome: ScenarioOutcome) -> TableView | None:
    if not outcome.result.excluded:
        return None
    return text_table(
        caption="Practices given nothing, and why",
        columns=(Column("Practice"), Column("Reason")),
        rows=tuple((f"{e.code} {e.name}", e.reason) for e in outcome.result.excluded),
    )


def _data_used(outcome: ScenarioOutcome) -> tuple[tuple[str, str], ...]:
    used = [("Registered patients", outcome.population_source)]
    used += [
        (entry.name, f"{entry.source}, {entry.period}" if entry.period else entry.source)
        for entry in outcome.components
    ]
    used.append(("gpequity", __version__))
    return tuple(used)


def present_allocation_report(
    outcome: ScenarioOutcome, *, link: str | None, today: date | None = None
) -> AllocationReportView:
    """The report's view of an allocation; ``link`` reproduces it (``None``: it cannot)."""
    result = outcome.result
    scenario = outcome.scenario
    chart = allocation_bars_chart(outcome)
    written = (today or date.today()).isoformat()
    inputs = (
        ("ICB", f"{outcome.icb.name} ({outcome.icb.code})"),
        ("Amount", format_pounds(result.request.amount)),
        ("Method", result.method_label),
        ("Components", _components(outcome)),
        ("Target population", scenario.target.describe()),
        ("Practices left out at your request", ", ".join(sorted(scenario.excluded_practices))),
    )
    return AllocationReportView(
        title=f"Allocation of {format_pounds(result.request.amount)}",
        subtitle=f"{outcome.icb.name} ({outcome.icb.code}): {result.method_label}",
        facts=(
            ("Amount", format_pounds(result.request.amount)),
            ("Practices sharing it", format_count(len(result.practices))),
            ("Target population", scenario.target.describe()),
            ("Warnings", format_count(len(outcome.warnings))),
        ),
        inputs=tuple((k, v or "none") for k, v in inputs),
        method=result.description,
        warnings=tuple(w.message for w in outcome.warnings),
        headline=_headline(outcome),
        quintiles=quintile_table(outcome),
        chart_title=chart.title if chart else "",
        chart_reading=chart.reading if chart else "",
        chart_svg=Markup(render_svg(chart)) if chart else Markup(""),
        practices=_practice_table(outcome),
        pcns=_pcn_table(outcome),
        excluded=_excluded_table(outcome),
        limits=result.limits.description if result.limits else (),
        held=limits_table(outcome),
        data=_data_used(outcome),
        link=link or NO_LINK,
        footer=f"{outcome.icb.code} allocation of {format_pounds(result.request.amount)}, "
        f"written {written} by gpequity {__version__}",
    )


def allocation_pdf(outcome: ScenarioOutcome, *, link: str | None) -> bytes:
    """The board-ready PDF of an allocation (A4); ``link`` reproduces it (``None``: none)."""
    view = present_allocation_report(outcome, link=link)
    return render_pdf(render_document("allocation_report.html", report=view))
