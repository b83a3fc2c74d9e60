"""What every allocation page shares: where the pages are, the choices the forms offer and
their words, and the few sentences more than one page says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from markupsafe import Markup

from gpequity.allocation import (
    CLASSIC_REMAINDER_ID,
    AllocationResult,
    Baseline,
    ComponentKind,
    Direction,
    Method,
    MissingPolicy,
    QuintileSummary,
    Unit,
)
from gpequity.allocation.catalogue import IMD_ID, POPULATION_ID, UPLOAD
from gpequity.allocation.measures import least_deprived_quintile, most_deprived_quintile
from gpequity.allocation.pools import Sex
from gpequity.allocation.scenario import ScenarioOutcome
from gpequity.charts import Chart, render_layouts
from gpequity.formats import format_pounds, format_share
from gpequity.web.allocate.formatting import count, format_weight
from gpequity.web.views import ChartView, FieldError, Link, page_title

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


def describe_components(result: AllocationResult) -> str:
    """ "Deprivation score (IMD 2025) 50%, Population only 50%"."""
    parts = []
    for pot in result.pots:
        words = f"{pot.name} {format_weight(pot.weight)}"
        if pot.kind == ComponentKind.INDICATOR:
            words += f" ({DIRECTION_WORDS[pot.direction]})"
        parts.append(words)
    return "; ".join(parts)


def quintile_sentence(quintiles: Sequence[QuintileSummary]) -> str | None:
    """How the most (and least) deprived practices' share of the money compares with their
    share of the patients; ``None`` when no practice has an IMD score."""
    most = most_deprived_quintile(quintiles)
    least = least_deprived_quintile(quintiles)
    if most is None or least is None:
        return None
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


def component_columns(result: AllocationResult) -> list[tuple[int, str, Unit]]:
    """The indicator components a table shows a column for: index, name, unit."""
    return [
        (index, pot.name, pot.unit)
        for index, pot in enumerate(result.pots)
        if pot.id != CLASSIC_REMAINDER_ID and pot.kind == ComponentKind.INDICATOR
    ]


def result_heading(outcome: ScenarioOutcome) -> str:
    amount = format_pounds(outcome.result.request.amount)
    return f"{amount} for {outcome.icb.name} ({outcome.icb.code})"


def chart_svg(chart: Chart) -> Markup:
    # The SVG is the renderer's own markup (its text escaped by it), from figures of the engine.
    # Both layouts (wide, narrow); the page's CSS shows the one that fits the screen.
    return Markup(render_layouts(chart))


def chart_view(chart: Chart) -> ChartView:
    """A chart of the tool's pages, without a table of its own: its data is the page's table
    that follows it (the practices, or the shares weight by weight)."""
    return ChartView(chart.name, chart.title, chart.reading, chart_svg(chart), None)


#: The status line of a page without data.
NO_DATA_STATUS = "No data loaded."


class Headed(Protocol):
    """Results with a heading (the page's title starts with it)."""

    @property
    def heading(self) -> str: ...


FormT = TypeVar("FormT")
ResultsT = TypeVar("ResultsT", bound=Headed)


@dataclass(frozen=True)
class ToolPage(Generic[FormT, ResultsT]):
    """A page of the allocation tool: its form (as typed), the errors, and the results when
    there are; ``form`` ``None``: no data loaded (``has_data`` says whether a warehouse is)."""

    title: str
    heading: str
    has_data: bool
    errors: tuple[FieldError, ...]
    form: FormT | None
    results: ResultsT | None
    status_text: str
    has_icbs: bool = True


@dataclass(frozen=True)
class ToolResults:
    """What the results of every tool page (compare, sensitivity) have: a heading and links to
    the single allocations behind them; each page's results add their own figures."""

    heading: str
    links: tuple[Link, ...]


def present_page(
    heading: str,
    form: FormT,
    errors: Sequence[FieldError],
    idle_status: str,
    results: ResultsT | None = None,
    announce: Callable[[ResultsT], str] | None = None,
    *,
    has_icbs: bool = True,
) -> ToolPage[FormT, ResultsT]:
    """The page: titled by its results' heading and announced (``status_text``) by
    ``announce(results)``; or by its errors; or else ``idle_status``."""
    title, status = heading, idle_status
    if errors:
        results = None
        status = f"There is a problem: {count(len(errors), 'error', 'errors')} to correct."
    elif results is not None:
        title = f"{results.heading} – {heading}"
        status = announce(results) if announce is not None else title
    return ToolPage(
        title=page_title(title, errors),
        heading=heading,
        has_data=True,
        errors=tuple(errors),
        form=form,
        results=results,
        status_text=status,
        has_icbs=has_icbs,
    )


def present_without_data(heading: str, *, has_data: bool) -> ToolPage[Any, Any]:
    """A page of the tool when there is no warehouse, or no ICB in it."""
    return ToolPage(heading, heading, has_data, (), None, None, NO_DATA_STATUS, has_icbs=False)
