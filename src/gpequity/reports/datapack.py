"""An ICB's inequality datapack: its figures (from the analyses) and what the pack shows.

Two steps, kept apart so that a number is computed in one place only:

* :func:`build_datapack` runs the analyses of :mod:`gpequity.analysis.icb` (which read the
  payments analysis itself) and keeps their results. A section whose data is not loaded keeps
  the reason instead, and the pack says so in that section.
* :func:`present_datapack` turns those results into what the pack prints: words, formatted
  figures, tables and charts (inline SVG), each chart with its data table and a one-sentence
  reading in plain English. :mod:`gpequity.reports.render` places them in the HTML template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import duckdb
from markupsafe import Markup

from gpequity import __version__
from gpequity.analysis.icb import (
    LOOK_AT_LIMIT,
    PLAIN_MEAN,
    TOP_PAYMENT_LINES,
    Icb,
    IcbIndicators,
    IcbOverview,
    IcbPaymentLines,
    IcbPayments,
    IndicatorComparison,
    IndicatorGroup,
    PaymentsComparison,
    PracticesToLookAt,
    Provenance,
    icb_indicators,
    icb_overview,
    icb_payment_lines,
    icb_payments,
    imd_methods,
    practices_to_look_at,
    resolve_icb,
    warehouse_provenance,
)
from gpequity.analysis.payment_results import (
    CONCENTRATION_METHOD,
    PER_PATIENT_METHOD,
    QUINTILE_METHOD,
    SLOPE_METHOD,
    TOTAL_LABELS,
)
from gpequity.analysis.payments import (
    QUINTILES,
    DeprivationMissing,
    DeprivationResult,
    Total,
    TotalUnavailable,
    resolve_year,
)
from gpequity.analysis.profiles import NOT_RANKED
from gpequity.chart_layouts import Layout
from gpequity.charts import Chart, render_svg
from gpequity.formats import (
    NO_PERIODS,
    NOT_AVAILABLE,
    compare_word,
    format_count,
    format_index,
    format_number,
    format_people,
    format_pounds,
    format_share,
    format_with_interval,
)
from gpequity.intervals import MEANING as INTERVAL_MEANING
from gpequity.reports import charts
from gpequity.sources.payments import PRESCRIBING_DISPENSING_LINES
from gpequity.sources.registry import DATASETS
from gpequity.views import Column, TableView, figure_columns, text_table
from gpequity.warehouse.cache import per_version

#: Errors that mean "this section's data is not loaded": the section says so, the pack is made.
NOT_LOADED = (DeprivationMissing, TotalUnavailable)
LOAD_HINT = "Load it with 'gpequity data load --source DIR' and make the pack again."
SYNTHETIC_WARNING = (
    "Synthetic demonstration data, not real NHS figures: every name and number in this pack is "
    "invented."
)
#: The licence of every official file the project loads.
LICENCE = "Open Government Licence v3.0"

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# The figures


@dataclass(frozen=True)
class Section(Generic[T]):
    """An analysis result, or why the warehouse cannot give it."""

    result: T | None
    missing: str | None = None


@dataclass(frozen=True)
class Datapack:
    """Every figure of one ICB's pack for one year, straight from the analyses."""

    year: str
    icb: Icb
    provenance: Provenance
    imd_methods: tuple[str, ...]
    overview: Section[IcbOverview]
    payments: Section[IcbPayments]
    lines: Section[IcbPaymentLines]
    indicators: Section[IcbIndicators]
    practices: Section[PracticesToLookAt]


def _section(run: Callable[[], T], what: str) -> Section[T]:
    try:
        return Section(run())
    except NOT_LOADED as exc:
        return Section(None, f"{what} cannot be shown: {exc}. {LOAD_HINT}")


@per_version
def build_datapack(
    con: duckdb.DuckDBPyConnection,
    icb_code: str,
    year: str,
) -> Datapack:
    """Run every analysis of the pack of ICB ``icb_code`` for ``year`` (any spelling).
    Raises :class:`~gpequity.analysis.payments.UnknownYear` or
    :class:`~gpequity.analysis.icb.UnknownIcb` when there is no such pack to make.
    """
    year = resolve_year(con, year)
    icb = resolve_icb(con, year, icb_code)
    return Datapack(
        year=year,
        icb=icb,
        provenance=warehouse_provenance(con),
        imd_methods=imd_methods(con, year),
        overview=_section(lambda: icb_overview(con, year, icb), "The overview"),
        payments=_section(
            lambda: icb_payments(con, year, icb),
            "Payments by deprivation",
        ),
        lines=_section(lambda: icb_payment_lines(con, year, icb), "Payment lines"),
        indicators=_section(lambda: icb_indicators(con, year, icb), "The indicators"),
        practices=_section(lambda: practices_to_look_at(con, year, icb), "Practices to look at"),
    )


# ---------------------------------------------------------------------------------------------
# Formatting


def indicator_places(values: Sequence[float | None]) -> int:
    """Decimal places for an indicator's values: fewer as they grow (0.74, 14.7, 985)."""
    largest = max((abs(v) for v in values if v is not None), default=0.0)
    if largest < 10:
        return 2
    return 1 if largest < 100 else 0


def _gap_words(gap: float | None) -> str:
    """``£13.96 less`` when the most deprived fifth receives less (a positive Q1-Q5 gap);
    ``the same`` when the gap is under half a penny."""
    if gap is None:
        return "not measurable"
    word = compare_word(-gap)
    return word if word == "the same" else f"{format_pounds(abs(gap))} {word}"


# ---------------------------------------------------------------------------------------------
# What the pack shows


@dataclass(frozen=True)
class FigureView:
    """A chart (inline SVG, or none yet: drawn on request), its one-sentence reading and its data
    table."""

    id: str
    number: str
    title: str
    reading: str
    svg: Markup
    table: TableView
    small: bool = False
    #: What the SVG is drawn from (:func:`datapack_chart_svg` draws it when the pack's view was
    #: made without its charts).
    chart: Chart | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SectionView:
    """A numbered section: its paragraphs, figures and tables, or why it has no data."""

    id: str
    number: int
    title: str
    missing: str | None = None
    intro: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    figures: tuple[FigureView, ...] = ()
    tables: tuple[TableView, ...] = ()
    notes: tuple[str, ...] = ()
    subsections: tuple[SectionView, ...] = ()


@dataclass(frozen=True)
class DatapackView:
    """Everything the pack's template prints."""

    title: str
    icb_code: str
    icb_name: str
    #: "Essex ICB": every mention after the official name of the title.
    icb_short_name: str
    year: str
    synthetic: bool
    synthetic_warning: str
    built_at: str
    version: str
    sources: TableView
    at_a_glance: tuple[str, ...]
    sections: tuple[SectionView, ...]
    methods: tuple[tuple[str, str], ...]
    footer: str


class _Figures:
    """Numbers figures 1, 2, ... in order and renders their charts (or not, for speed)."""

    def __init__(self, draw: bool) -> None:
        self.count = 0
        self.draw = draw

    def add(self, chart: Chart, table: TableView, *, small: bool = False) -> FigureView:
        self.count += 1
        svg = Markup(render_svg(chart)) if self.draw else Markup("")
        return FigureView(
            id=f"figure-{self.count}",
            number=str(self.count),
            title=chart.title if not small else table.caption,
            reading=chart.reading,
            svg=svg,
            table=table,
            small=small,
            chart=chart,
        )


def _short(icb: Icb) -> str:
    """``North East and North Cumbria ICB``: the official short name, as a sentence uses it
    after the first mention (the full name, shortened, when no official list gives one)."""
    if icb.short_name:
        return icb.short_name
    name = icb.name
    suffix = " Integrated Care Board"
    return name[: -len(suffix)] + " ICB" if name.endswith(suffix) else name


def most_deprived_sentence(overview: IcbOverview) -> str:
    """The "fair share" benchmark, said once for the datapack and the ICB profile: the share of
    the ICB's registered patients (of practices with an IMD score) with practices in England's
    most deprived fifth, against the same share across England (not 20%: the fifths are
    fifths of practices, not of patients)."""
    q5 = overview.most_deprived
    return (
        f"{format_share(q5.share_of_patients)} of the registered patients of "
        f"{_short(overview.icb)}'s practices with an IMD score are with practices in England's "
        f"most deprived fifth (Q5), against {format_share(q5.england_share_of_patients)} across "
        "England."
    )


def _overview_section(pack: Datapack, figures: _Figures) -> SectionView:
    base = SectionView("overview", 1, "Practices and patients by deprivation")
    if pack.overview.result is None:
        return _missing(base, pack.overview.missing)
    o = pack.overview.result
    q5 = o.most_deprived
    reading = most_deprived_sentence(o)
    table = text_table(
        caption="Practices and registered patients in each national deprivation fifth",
        columns=figure_columns(
            "Deprivation fifth (national)",
            "ICB practices",
            "ICB registered patients",
            "ICB share of patients",
            "England practices",
            "England share of patients",
        ),
        rows=(
            *(
                (
                    g.label,
                    format_count(g.practices),
                    format_people(g.registered_patients),
                    format_share(g.share_of_patients),
                    format_count(g.england_practices),
                    format_share(g.england_share_of_patients),
                )
                for g in o.groups
            ),
            (
                NOT_RANKED,
                format_count(o.no_score_practices),
                format_people(o.no_score_patients),
                NOT_AVAILABLE,
                format_count(o.england_no_score_practices),
                NOT_AVAILABLE,
            ),
        ),
        notes=(
            "Shares are of the registered patients of practices with an IMD score. "
            "Practices are those of the year's NHS Payments to General Practice file, "
            "including any with no patients at the year's end.",
            *((o.old_imd_note,) if o.old_imd_note else ()),
        ),
    )
    return replace(
        base,
        intro=(
            f"Each practice is placed in a fifth of England's practices ranked by the IMD score "
            f"of its registered population in {o.year} (Q1 least deprived, Q5 most deprived). "
            "An ICB whose patients were spread like England's would have about a fifth of "
            "its practices in each.",
        ),
        facts=(
            (f"Practices paid in {o.year}", format_count(o.practices)),
            ("Registered patients of those practices", format_people(o.registered_patients)),
            (
                "Patients in the most deprived fifth (Q5), of practices with an IMD score",
                format_share(q5.share_of_patients),
            ),
            (
                "England, most deprived fifth (the benchmark)",
                format_share(q5.england_share_of_patients),
            ),
        ),
        figures=(figures.add(charts.patients_chart(o, reading), table),),
    )


def _payments_reading(c: PaymentsComparison, year: str, icb: Icb) -> str:
    q1, q5 = c.rows[0].icb, c.rows[-1].icb
    basis = " (without prescribing and dispensing payments)" if c.exclude_prescribing else ""
    england = _gap_words(c.england_gap_q1_minus_q5)
    if q1 is None or q5 is None:
        missing = " and ".join(
            words for words, group in (("least", q1), ("most", q5)) if group is None
        )
        return (
            f"{_short(icb)} has no practice in England's {missing} deprived fifth in {year}, so "
            f"the gap between the two cannot be measured{basis}; its slope index of inequality "
            f"is {format_pounds(c.icb_slope_index)} per weighted patient (England: "
            f"{format_pounds(c.england_slope_index)})."
        )
    return (
        f"In {year}, practices in {_short(icb)} serving the most deprived fifth of patients "
        f"(Q5) received {_gap_words(c.icb_gap_q1_minus_q5)} per weighted patient than those "
        f"serving the least deprived fifth (Q1){basis}; across England they received {england}."
    )


def _payments_table(c: PaymentsComparison, caption: str) -> TableView:
    rows = []
    for r in c.rows:
        icb = r.icb.per_weighted_patient if r.icb else None
        england = r.england.per_weighted_patient if r.england else None
        rows.append(
            (
                r.label,
                format_count(r.icb.practices if r.icb else 0),
                format_people(r.icb.weighted_patients if r.icb else None),
                format_pounds(icb),
                format_pounds(england),
                format_pounds(r.icb_minus_england),
            )
        )
    icb_all, england_all = c.icb_per_weighted_patient, c.england_per_weighted_patient
    rows.append(
        (
            "All fifths",
            format_count(c.icb_practices),
            format_people(c.icb_weighted_patients),
            format_pounds(icb_all),
            format_pounds(england_all),
            format_pounds(c.icb_minus_england),
        )
    )
    return text_table(
        caption=caption,
        columns=figure_columns(
            "Deprivation fifth (national)",
            "ICB practices",
            "ICB weighted patients",
            "ICB £ per weighted patient",
            "England £ per weighted patient",
            "ICB minus England",
        ),
        rows=tuple(rows),
    )


def _measures_table(p: IcbPayments) -> TableView:
    a, w = p.all_payments, p.without_dispensing
    cells = [*_measure_cells(a, p.icb.code), *_measure_cells(w, p.icb.code)]
    return text_table(
        caption="Inequality measures, this ICB and England",
        columns=figure_columns(
            "Measure",
            "ICB, all payments",
            "England, all payments",
            "ICB, without dispensing",
            "England, without dispensing",
        ),
        rows=(
            (
                "Gap: Q1 minus Q5, £ per weighted patient",
                *(_with_interval(c, "gap", format_pounds) for c in cells),
            ),
            (
                "Slope index of inequality, £ per weighted patient",
                *(_with_interval(c, "slope_index", format_pounds) for c in cells),
            ),
            (
                "Concentration index",
                *(_with_interval(c, "concentration_index", format_index) for c in cells),
            ),
        ),
        notes=(
            "The gap, the slope index and the concentration index are all positive when the "
            "least deprived receive more (the money concentrates in less deprived practices) "
            "and negative when the most deprived do.",
            INTERVAL_MEANING,
        ),
    )


#: One cell of the measures table: the result, the key of its figures (the ICB's code or
#: England's "all") and the figures' values by measure.
_MeasureCell = tuple[DeprivationResult, str, dict[str, float | None]]


def _measure_cells(c: PaymentsComparison, icb_code: str) -> list[_MeasureCell]:
    """The ICB's and England's cells of one comparison (all payments or without dispensing)."""
    return [
        (
            c.icb_result,
            icb_code,
            {
                "gap": c.icb_gap_q1_minus_q5,
                "slope_index": c.icb_slope_index,
                "concentration_index": c.icb_concentration_index,
            },
        ),
        (
            c.england_result,
            "all",
            {
                "gap": c.england_gap_q1_minus_q5,
                "slope_index": c.england_slope_index,
                "concentration_index": c.england_concentration_index,
            },
        ),
    ]


def _with_interval(cell: _MeasureCell, name: str, write: Callable[[Any], str]) -> str:
    """A measure and its 95% confidence interval, as every output writes it."""
    result, key, values = cell
    found = getattr(result.interval_of(key), name)
    return format_with_interval(values[name], found, write)


def _lines_subsection(pack: Datapack, figures: _Figures) -> SectionView:
    base = SectionView("payment-lines", 2, "Payment lines that differ most from England")
    if pack.lines.result is None:
        return _missing(base, pack.lines.missing)
    lines = pack.lines.result
    top = lines.top(TOP_PAYMENT_LINES)
    if not top:
        return _missing(base, "The payments file of the year has no payment lines loaded.")
    first = top[0]
    reading = (
        f"The payment line that differs most from England is {first.label}: "
        f"{format_pounds(first.icb_per_weighted_patient)} per weighted patient in "
        f"{_short(lines.icb)} "
        f"against {format_pounds(first.england_per_weighted_patient)} in England."
    )
    table = text_table(
        caption=f"The {len(top)} payment lines that differ most from England, "
        "£ per weighted patient",
        columns=figure_columns(
            "Payment line",
            "ICB",
            "England",
            "ICB minus England",
            "ICB Q1 (least deprived)",
            "ICB Q5 (most deprived)",
        ),
        rows=tuple(
            (
                line.label,
                format_pounds(line.icb_per_weighted_patient),
                format_pounds(line.england_per_weighted_patient),
                format_pounds(line.difference),
                format_pounds(line.icb_q1_per_weighted_patient),
                format_pounds(line.icb_q5_per_weighted_patient),
            )
            for line in top
        ),
        notes=(
            "Every payment line of the file (not its totals), per weighted patient of all the "
            "included practices of the ICB or England, whether or not a practice received it.",
        ),
    )
    return replace(
        base,
        figures=(figures.add(charts.payment_lines_chart(lines, len(top), reading), table),),
    )


def _payments_section(pack: Datapack, figures: _Figures) -> SectionView:
    base = SectionView("payments", 2, "Payments per weighted patient by deprivation")
    if pack.payments.result is None:
        return _missing(base, pack.payments.missing)
    p = pack.payments.result
    total = TOTAL_LABELS[p.total]
    shown = []
    for c, title in (
        (p.all_payments, "All payments"),
        (p.without_dispensing, "Without prescribing and dispensing payments"),
    ):
        reading = _payments_reading(c, p.year, p.icb)
        table = _payments_table(c, f"{title}: £ per weighted patient, {p.year}")
        shown.append(
            figures.add(
                charts.payments_chart(c, f"{title}: £ per weighted patient", reading), table
            )
        )
    excluded = [e for e in p.excluded if e.practices]
    notes = tuple(
        f"Left out: {format_count(e.practices)} of the ICB's practices ({e.reason}), with "
        f"{format_pounds(float(e.payments))} of payments."
        for e in excluded
    ) or ("No practice of the ICB is left out.",)
    return replace(
        base,
        intro=(
            f"Payments are the '{total}' of NHS Payments to General Practice {p.year}, per "
            "weighted (Carr-Hill) patient, the fair comparison between practices. Dispensing "
            "practices, mostly rural and less deprived, receive drug reimbursement and "
            "dispensing fees, so the second chart leaves those lines out.",
        ),
        figures=tuple(shown),
        tables=(_measures_table(p),),
        notes=notes,
        subsections=(_lines_subsection(pack, figures),),
    )


def _indicator_reading(ind: IndicatorComparison, icb: Icb, places: int) -> str:
    q1, q5 = ind.icb[0], ind.icb[-1]
    e1, e5 = ind.england[0], ind.england[-1]
    name = ind.name[0].lower() + ind.name[1:] if ind.name[1:2].islower() else ind.name
    if q1.value is None or q5.value is None:
        return (
            f"In {_short(icb)}, {name} is {format_number(ind.icb_all.value, places)} over the "
            f"{format_count(ind.icb_all.practices)} practices with a value (England: "
            f"{format_number(ind.england_all.value, places)}); the ICB has no value in its "
            f"{'least' if q1.value is None else 'most'} deprived fifth to compare."
        )
    return (
        f"In {_short(icb)}, {name} is {format_number(q5.value, places)} in practices serving "
        f"the most deprived fifth against {format_number(q1.value, places)} in the least "
        "deprived fifth "
        f"(England: {format_number(e5.value, places)} and {format_number(e1.value, places)})."
    )


def _indicator_table(ind: IndicatorComparison, places: int, icbs: int) -> TableView:
    def cells(groups: Sequence[IndicatorGroup], overall: IndicatorGroup) -> tuple[str, ...]:
        values = (*(g.value for g in groups), overall.value)
        return tuple(format_number(v, places) for v in values)

    def counts(groups: Sequence[IndicatorGroup], overall: IndicatorGroup) -> tuple[str, ...]:
        return (*(format_count(g.practices) for g in groups), format_count(overall.practices))

    who = ", ".join(x for x in (ind.sex, ind.age) if x)
    notes = [
        f"Period {ind.period}{f'; {who}' if who else ''}; source: {ind.source} "
        f"(indicator {ind.indicator_id}).",
        "Each fifth's value is the mean of its practices' values"
        + (
            "."
            if ind.method == PLAIN_MEAN
            else ", weighted by their denominators (the ratio of the sums of counts and "
            "denominators)."
        ),
    ]
    if ind.published_england is not None:
        notes.append(f"England value published: {format_number(ind.published_england, places)}.")
    if ind.england_icbs < icbs:
        notes.append(
            f"The England figures cover the {format_count(ind.england_all.practices)} practices "
            f"with a value, in {ind.england_icbs} of the {icbs} ICBs: the files loaded do not "
            "cover all of England."
        )
    return text_table(
        caption=ind.name,
        columns=(
            Column(""),
            *(Column(f"Q{q}", True) for q in range(1, QUINTILES + 1)),
            Column("All", True),
        ),
        rows=(
            ("This ICB", *cells(ind.icb, ind.icb_all)),
            ("England", *cells(ind.england, ind.england_all)),
            ("ICB practices", *counts(ind.icb, ind.icb_all)),
        ),
        notes=tuple(notes),
    )


def _indicators_section(pack: Datapack, figures: _Figures) -> SectionView:
    base = SectionView("indicators", 3, "Health indicators by deprivation")
    if pack.indicators.result is None:
        return _missing(base, pack.indicators.missing)
    result = pack.indicators.result
    if not result.loaded:
        return _missing(
            base,
            "No practice-level indicators are loaded in this warehouse (OHID Fingertips "
            "exports, QOF childhood vaccination or eFIT indicator files), so there is nothing "
            f"to show here. {LOAD_HINT}",
        )
    shown = []
    for ind in result.indicators:
        places = indicator_places(
            [g.value for g in (*ind.icb, *ind.england, ind.icb_all, ind.england_all)]
        )
        reading = _indicator_reading(ind, result.icb, places)
        shown.append(
            figures.add(
                charts.indicator_chart(ind, reading),
                _indicator_table(ind, places, result.icbs),
                small=True,
            )
        )
    return replace(
        base,
        intro=(
            "Every practice-level indicator loaded, in the ICB's practices of each national "
            f"deprivation fifth of {result.year} against England's. Each indicator is shown "
            f"for the period nearest {result.year} (its own period is given under it).",
        ),
        figures=tuple(shown),
    )


def _practices_section(pack: Datapack) -> SectionView:
    base = SectionView("practices", 4, "Practices to look at")
    if pack.practices.result is None:
        return _missing(base, pack.practices.missing)
    r = pack.practices.result
    fifths = " and ".join(f"Q{q}" for q in r.quintiles)
    intro = (
        f"Practices of {_short(r.icb)} in England's more deprived fifths ({fifths}) that "
        "received less per weighted patient than the ICB as a whole "
        f"({format_pounds(r.icb_per_weighted_patient_without_dispensing)}), without prescribing "
        "and dispensing payments so that dispensing income does not decide the list; least first.",
    )
    if not r.candidates:
        return replace(
            base,
            missing=f"{_short(r.icb)} has no practice in {fifths} in {r.year}: none to list.",
            intro=intro,
        )
    reading = (
        f"{r.below} of the ICB's {r.candidates} practices in England's two most deprived fifths "
        f"received less per weighted patient than the ICB as a whole in {r.year}"
        + (f"; the {len(r.practices)} receiving least are listed." if r.practices else ".")
    )
    table = text_table(
        caption=f"Practices in {fifths} receiving least per weighted patient, {r.year}",
        columns=figure_columns(
            "Practice",
            "IMD score",
            "Fifth",
            "Registered patients",
            "£ per weighted patient",
            "Without dispensing",
            "Below the ICB by",
        ),
        rows=tuple(
            (
                f"{p.practice_code} {p.practice_name or ''}".strip(),
                format_number(p.imd_score),
                f"Q{p.quintile}",
                format_people(p.registered_patients),
                format_pounds(p.per_weighted_patient),
                format_pounds(p.per_weighted_patient_without_dispensing),
                format_pounds(p.below_icb),
            )
            for p in r.practices
        ),
        notes=(reading,),
    )
    return replace(
        base,
        intro=intro,
        tables=(table,) if r.practices else (),
        notes=() if r.practices else (reading,),
    )


def _missing(base: SectionView, message: str | None) -> SectionView:
    return replace(base, missing=message or "No data.")


def _methods(pack: Datapack) -> tuple[tuple[str, str], ...]:
    derived = "; ".join(pack.imd_methods) or "no practice IMD scores are loaded"
    lines = ", ".join(line.replace("_", " ") for line in PRESCRIBING_DISPENSING_LINES)
    return (
        (
            "Practices and ICBs",
            f"The practices of NHS Payments to General Practice {pack.year} (NHS Digital) whose "
            "CCG or sub-ICB location maps to the ICB in the CCG / sub-ICB to ICB lookup (NHS "
            "England).",
        ),
        (
            "Weighted patients",
            "The registered list adjusted by the Carr-Hill formula (age and sex, morbidity and "
            "mortality, list turnover, rurality and staff market forces); core funding follows "
            "it, so payments per weighted patient are the fair comparison.",
        ),
        ("Per-patient figures", PER_PATIENT_METHOD),
        ("Deprivation fifths", QUINTILE_METHOD),
        (
            "Practice IMD score",
            "The average Index of Multiple Deprivation score of the practice's registered "
            f"population (OHID Fingertips indicator 93553). For {pack.year}: {derived}.",
        ),
        ("Payments", f"'{TOTAL_LABELS[Total.core]}' of the year's file."),
        (
            "Without prescribing and dispensing",
            f"The total less the prescribing- and dispensing-related lines ({lines}); a blank "
            "line is no payment.",
        ),
        (
            "Gap",
            "Q1 (least deprived) minus Q5 (most deprived), pounds per weighted patient: positive "
            "when the least deprived receive more.",
        ),
        ("Slope index of inequality", SLOPE_METHOD),
        ("Concentration index", CONCENTRATION_METHOD),
        (
            "Practices left out",
            "A practice with no IMD score for the year, or with no registered or no weighted "
            "patients, cannot be placed or weighed; it is counted, with its payments, under the "
            "first reason that applies.",
        ),
        (
            "Payment lines",
            "Every payment line of the file (not its totals), per weighted patient of all the "
            "included practices of the ICB or England; sorted by how far the ICB is from "
            "England.",
        ),
        (
            "Indicators",
            "Each fifth's value is the mean of its practices' values, weighted by their "
            "denominators when every practice has one (then it is the ratio of the sums of "
            "counts and denominators); practices are placed in fifths and ICBs by the pack's "
            "year. The period used is the pack's year when loaded, else the nearest (the earlier "
            "of two equally near).",
        ),
        (
            "Practices to look at",
            f"Practices in the two most deprived national fifths receiving less per weighted "
            "patient than the ICB as a whole (ratio of sums), both without prescribing and "
            f"dispensing payments; at most {LOOK_AT_LIMIT}, least first.",
        ),
        (
            "Licence",
            f"Every source file is published under the {LICENCE}. Made with gpequity "
            f"{__version__}.",
        ),
    )


def _at_a_glance(sections: Sequence[SectionView]) -> tuple[str, ...]:
    """The first reading of each section that has one: the pack in a few sentences."""
    out = []
    for s in sections:
        for part in (s, *s.subsections):
            if part.figures:
                out.append(part.figures[0].reading)
                break
        else:
            if s.tables and s.tables[0].notes:
                out.append(s.tables[0].notes[-1])
            elif s.notes and s.id == "practices":
                out.append(s.notes[0])
    return tuple(out)


def _sources_table(provenance: Provenance) -> TableView:
    titles = {d.name: d.title for d in DATASETS}
    return text_table(
        caption="Data sources in the warehouse",
        columns=(
            Column("Dataset"),
            Column("Periods"),
            Column("Files", True),
            Column("Rows loaded", True),
        ),
        rows=tuple(
            (
                titles.get(d.dataset, d.dataset),
                _periods(d.periods),
                format_count(d.files),
                format_count(d.rows_loaded),
            )
            for d in provenance.datasets
        ),
    )


def _periods(periods: Sequence[str]) -> str:
    """Every period, or the first and last of a long run of financial years."""
    if not periods:
        return NO_PERIODS
    if len(periods) > 4 and all(len(p) == 7 and p[4] == "/" for p in periods):
        return f"{periods[0]} to {periods[-1]} ({len(periods)} years)"
    return ", ".join(periods)


def present_datapack(pack: Datapack, *, draw_charts: bool = True) -> DatapackView:
    """What the pack prints, from its figures (``draw_charts=False`` leaves the SVGs empty)."""
    figures = _Figures(draw_charts)
    sections = (
        _overview_section(pack, figures),
        _payments_section(pack, figures),
        _indicators_section(pack, figures),
        _practices_section(pack),
    )
    title = f"Funding and deprivation: {pack.icb.name}"
    synthetic = pack.provenance.synthetic
    return DatapackView(
        title=title,
        icb_code=pack.icb.code,
        icb_name=pack.icb.name,
        icb_short_name=_short(pack.icb),
        year=pack.year,
        synthetic=synthetic,
        synthetic_warning=SYNTHETIC_WARNING,
        built_at=(pack.provenance.built_at or "")[:16].replace("T", " "),
        version=__version__,
        sources=_sources_table(pack.provenance),
        at_a_glance=_at_a_glance(sections),
        sections=sections,
        methods=_methods(pack),
        footer=f"{pack.icb.code} inequality datapack {pack.year}"
        + (" · SYNTHETIC DATA" if synthetic else ""),
    )


@per_version
def datapack_view(con: duckdb.DuckDBPyConnection, icb_code: str, year: str) -> DatapackView:
    """The pack of ICB ``icb_code`` for ``year`` with its charts drawn (the HTML and PDF files,
    which carry them inline): computed once per build of the warehouse."""
    return present_datapack(build_datapack(con, icb_code, year))


@per_version
def datapack_figures_view(con: duckdb.DuckDBPyConnection, icb_code: str, year: str) -> DatapackView:
    """The pack of ICB ``icb_code`` for ``year`` without its charts drawn (the web page links
    each chart as an image, :func:`datapack_chart_svg`): computed once per build of the
    warehouse, and warmed as a server starts. Drawing the 30-odd charts of a pack takes about
    a second, most of the time of the figures of every pack, so each is drawn when asked."""
    return present_datapack(build_datapack(con, icb_code, year), draw_charts=False)


def figures_of(sections: Iterable[SectionView]) -> Iterator[FigureView]:
    """Every figure of the sections, in order (subsections' included)."""
    for section in sections:
        yield from section.figures
        yield from figures_of(section.subsections)


@per_version
def datapack_chart_svg(
    con: duckdb.DuckDBPyConnection,
    icb_code: str,
    year: str,
    figure_id: str,
    layout: Layout = Layout.WIDE,
) -> str | None:
    """The SVG of figure ``figure_id`` of the pack in ``layout`` (``None`` when it has no such
    chart), drawn once per build of the warehouse."""
    view = datapack_figures_view(con, icb_code, year)
    for figure in figures_of(view.sections):
        if figure.id == figure_id and figure.chart is not None:
            return render_svg(figure.chart, layout)
    return None
