"""The charts of the practice and ICB profiles as the pages show them: inline SVG, the reading in
words and the chart's data as a table (shown in a details disclosure).

Nothing here computes a figure: the charts and their readings come from
:mod:`gpequity.reports.profile_charts`, their figures from :mod:`gpequity.analysis.profile_figures`;
this module only writes them (:mod:`gpequity.formats`) and renders the SVG (once per chart,
:func:`gpequity.web.funding.charts.chart_svg`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from gpequity.analysis.profile_figures import (
    IcbSummary,
    PracticePeers,
    SpineRow,
    TrendPoint,
)
from gpequity.analysis.profiles import IcbProfile, PracticeProfile
from gpequity.charts import Chart
from gpequity.formats import (
    NOT_AVAILABLE,
    format_count,
    format_number,
    format_people,
    format_pounds,
    format_share,
)
from gpequity.reports.profile_charts import (
    PEERS_NOTE,
    icb_trend_chart,
    peers_chart,
    practice_trend_chart,
    spine_chart,
    spine_label,
)
from gpequity.views import Cell, Column, TableView
from gpequity.web.funding.charts import chart_svg
from gpequity.web.presenters_library import CsvTable, csv_table
from gpequity.web.views import ChartView, SummaryItem

SPINE_KEY = (
    "Each row is an indicator. The light grey bar runs from England's lowest practice to its "
    "highest, the darker band is the middle half of England's practices (25th to 75th "
    "percentile), the black line is England's value and the blue dot is this practice. Each "
    "row has its own scale, centred on England."
)


@dataclass(frozen=True)
class ProfileChart:
    """A chart of a profile page: the chart, a note under it and a CSV of its data, if any."""

    chart: ChartView
    note: str = ""
    csv_href: str = ""


def _view(chart: Chart, table: TableView | None) -> ChartView:
    return ChartView(
        id=f"chart-{chart.name}",
        heading=chart.title,
        reading=chart.reading,
        svg=Markup(chart_svg(chart)),  # trusted: rendered from our spec, text escaped there
        table=table,
    )


def _table(
    chart: Chart, caption: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> TableView:
    numeric = [i > 0 for i in range(len(columns))]
    return TableView(
        id=f"chart-{chart.name}-data",
        caption=caption,
        columns=tuple(Column(label, n) for label, n in zip(columns, numeric, strict=True)),
        rows=tuple(tuple(r) for r in rows),
        small=True,
    )


def _money(value: float | None) -> Cell:
    return Cell(format_pounds(value), numeric=True)


def practice_trend(profile: PracticeProfile) -> ProfileChart:
    """The chart of payments over the years; the page puts its own table of them under it."""
    chart = practice_trend_chart(profile)
    return ProfileChart(_view(chart, None))


def practice_peers_chart(profile: PracticeProfile, peers: PracticePeers) -> ProfileChart | None:
    chart = peers_chart(peers, profile.details.name.title())
    if chart is None:
        return None
    rows = [
        (
            Cell(g.label, header=True),
            Cell(format_count(g.size), numeric=True),
            Cell(format_count(g.rank), numeric=True),
            _money(g.value),
            _money(g.median),
            _money(g.peers[-1].per_weighted_patient),
            _money(g.peers[0].per_weighted_patient),
        )
        for g in peers.groups
    ]
    table = _table(
        chart,
        f"Payments per weighted patient in {peers.year}: the practice among its peers",
        (
            "Peers",
            "Practices",
            "Practice's rank (1 = highest)",
            "This practice",
            "Median",
            "Lowest",
            "Highest",
        ),
        rows,
    )
    return ProfileChart(
        _view(chart, table),
        note=PEERS_NOTE,
        csv_href=f"/practices/{profile.details.code}/peers.csv",
    )


def _value(value: float | None) -> Cell:
    return Cell(format_number(value, 2) if value is not None else NOT_AVAILABLE, numeric=True)


def practice_spine(rows: Sequence[SpineRow]) -> ProfileChart | None:
    chart = spine_chart(rows)
    if chart is None:
        return None
    cells = [
        (
            Cell(spine_label(r), header=True),
            _value(r.value),
            _value(r.england),
            _value(r.range.minimum),
            _value(r.range.p25),
            _value(r.range.p75),
            _value(r.range.maximum),
        )
        for r in rows
    ]
    table = _table(
        chart,
        "The practice's indicators against England's practices (each in its own unit)",
        (
            "Indicator",
            "This practice",
            "England",
            "Lowest",
            "25th percentile",
            "75th percentile",
            "Highest",
        ),
        cells,
    )
    return ProfileChart(_view(chart, table), note=SPINE_KEY)


def peers_csv(profile: PracticeProfile, peers: PracticePeers) -> CsvTable:
    """Every peer of every group, highest first: what the peers chart draws."""
    rows = [
        {
            "peer_group": g.label,
            "rank": i + 1,
            "practice_code": p.code,
            "practice_name": p.name,
            "payments_per_weighted_patient": p.per_weighted_patient,
            "this_practice": p.code == peers.code,
        }
        for g in peers.groups
        for i, p in enumerate(g.peers)
    ]
    return csv_table(
        rows,
        [
            ("peer_group", lambda r: r["peer_group"]),
            ("rank", lambda r: r["rank"]),
            ("practice_code", lambda r: r["practice_code"]),
            ("practice_name", lambda r: r["practice_name"]),
            ("payments_per_weighted_patient", lambda r: r["payments_per_weighted_patient"]),
            ("this_practice", lambda r: "yes" if r["this_practice"] else "no"),
        ],
        f"practice-{profile.details.code}-peers-{peers.year.replace('/', '-')}.csv",
        lead={"year": peers.year, "practice_code": profile.details.code},
    )


# ---------------------------------------------------------------------------------------------
# The ICB


def icb_trend(profile: IcbProfile, points: Sequence[TrendPoint]) -> ProfileChart:
    chart = icb_trend_chart(profile.short_name or profile.name, points)
    rows = [
        (
            Cell(p.year, header=True),
            _money(p.icb_per_weighted_patient),
            Cell(format_count(p.icb_practices), numeric=True),
            _money(p.england_per_weighted_patient),
        )
        for p in points
    ]
    table = _table(
        chart,
        f"Payments per weighted patient by year: {profile.name} and England (ratios of sums)",
        ("Year", "This ICB", "ICB practices", "England"),
        rows,
    )
    return ProfileChart(_view(chart, table))


def icb_summary_items(profile: IcbProfile, summary: IcbSummary) -> tuple[SummaryItem, ...]:
    """The ICB's figures in a summary list: practices, patients, payments per weighted patient
    overall and by national quintile, the gap, dispensing practices."""
    year = profile.year
    by_quintile = tuple(
        SummaryItem(
            f"£ per weighted patient, {g.label}",
            format_pounds(g.icb_per_weighted_patient),
        )
        for g in profile.gradient
        if g.quintile in (1, len(profile.gradient))
    )
    gap = (
        (
            SummaryItem(
                "Gap: least minus most deprived fifth",
                f"{format_pounds(profile.icb_gap_q1_minus_q5)} (England "
                f"{format_pounds(profile.england_gap_q1_minus_q5)})",
            ),
        )
        if profile.gradient
        else ()
    )
    dispensing = (
        f"{format_count(summary.dispensing_practices)} of {format_count(summary.dispensing_known)}"
        f" ({format_share(summary.dispensing_share)}; "
        f"{format_share(summary.dispensing_patients_share)} of their patients)"
        if summary.dispensing_known
        else "Not recorded"
    )
    return (
        SummaryItem("ICB code", profile.code),
        SummaryItem(f"Practices paid in {year}", format_count(summary.practices)),
        SummaryItem(f"Registered patients ({year})", format_people(summary.registered_patients)),
        SummaryItem(
            f"£ per weighted patient ({year})", format_pounds(summary.per_weighted_patient)
        ),
        *by_quintile,
        *gap,
        SummaryItem("Dispensing practices", dispensing),
    )
