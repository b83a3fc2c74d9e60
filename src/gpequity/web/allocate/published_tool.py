"""The page that checks a result of the published eFIT tool (``/allocate/published-tool``):
per practice, what the tool's code gives beside the formula's answer, and the defect that makes
them differ. The figures are :func:`gpequity.allocation.published_tool.check_published_tool`'s;
this module only writes them."""

from __future__ import annotations

from dataclasses import dataclass

from gpequity.allocation.published_tool import DEFECT_WORDS, ToolCheck
from gpequity.allocation.scenario import ScenarioOutcome
from gpequity.formats import format_count, format_pounds
from gpequity.web.views import Cell, Column, TableView, figure_columns

HEADING = "Check a result of the published eFIT tool"
PATH = "/allocate/published-tool"


@dataclass(frozen=True)
class PublishedToolPage:
    """The page: a summary and the practices whose figures differ, or why there are none."""

    title: str
    heading: str
    problems: tuple[str, ...]
    summary: str | None
    table: TableView | None
    defects: tuple[tuple[str, str], ...]
    back_href: str


def present_tool_check(
    check: ToolCheck, outcome: ScenarioOutcome, back_href: str
) -> PublishedToolPage:
    """The comparison of one scenario, practices whose figures differ first by difference."""
    differing = sorted(
        (p for p in check.practices if p.difference),
        key=lambda p: (-abs(p.difference), p.code),
    )
    summary = (
        f"For {outcome.icb.name} ({outcome.icb.code}) and {format_pounds(check.amount)}, the "
        f"published tool's code hands out {format_pounds(check.tool_total)}; the formula "
        f"{format_pounds(check.formula_total)}. {format_count(len(differing))} of "
        f"{format_count(len(check.practices))} practices get a different amount."
    )
    table = TableView(
        id="tool-check-table",
        caption="Practices whose amounts differ, largest difference first",
        columns=(
            *figure_columns("Practice", "Published tool", "Formula", "Difference"),
            Column("Why"),
        ),
        rows=tuple(
            (
                Cell(p.name, header=True, secondary=p.code),
                Cell(format_pounds(p.tool), numeric=True),
                Cell(format_pounds(p.formula), numeric=True),
                Cell(format_pounds(p.difference), numeric=True),
                Cell(", ".join(c.value for c in p.causes) or "rounding to the penny"),
            )
            for p in differing
        ),
    )
    return PublishedToolPage(
        title=HEADING,
        heading=HEADING,
        problems=(),
        summary=summary,
        table=table,
        defects=tuple((d.value, words) for d, words in DEFECT_WORDS.items()),
        back_href=back_href,
    )


def present_tool_problems(problems: list[str], back_href: str) -> PublishedToolPage:
    """The page when the check cannot be made, saying why."""
    return PublishedToolPage(
        title=f"Error: {HEADING}",
        heading=HEADING,
        problems=tuple(problems),
        summary=None,
        table=None,
        defects=tuple((d.value, words) for d, words in DEFECT_WORDS.items()),
        back_href=back_href,
    )
