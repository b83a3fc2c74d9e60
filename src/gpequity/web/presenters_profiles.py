"""Presenters of the practice and ICB profiles and of the search that finds them.

They take the results of :mod:`gpequity.analysis.profiles` and return frozen view objects
with every label and formatted figure; the sorting and filtering of an ICB's practices table
(which only reorders and selects rows the analysis returned) is done here too, so that the
page, its CSV download and the API agree. Nothing here computes a figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from gpequity.analysis.directory import (
    MAX_QUERY_CHARS,
    DirectoryResults,
    PracticeMatch,
    QueryProblem,
)
from gpequity.analysis.payments import QUINTILES, rank_label
from gpequity.analysis.profile_figures import IcbSummary, PracticePeers, SpineRow, TrendPoint
from gpequity.analysis.profiles import (
    NOT_RANKED,
    GradientRow,
    IcbPractice,
    IcbProfile,
    IndicatorComparison,
    PracticeProfile,
    QuintileShare,
)
from gpequity.formats import (
    format_count,
    format_number,
    format_people,
    format_pounds,
    format_share,
)
from gpequity.reports.datapack import most_deprived_sentence
from gpequity.warehouse.icbs import IcbMap, IcbResolution
from gpequity.web.presenters_library import (
    CsvColumn,
    CsvTable,
    Pagination,
    csv_table,
    field_columns,
    gap_sentence,
    present_pagination,
)
from gpequity.web.presenters_profile_charts import (
    ProfileChart,
    icb_summary_items,
    practice_peers_chart,
    practice_spine,
    practice_trend,
)
from gpequity.web.presenters_profile_charts import icb_trend as icb_trend_view
from gpequity.web.views import (
    ASCENDING,
    DESCENDING,
    Link,
    Option,
    SortChoice,
    SummaryItem,
    TableView,
    figure_columns,
    sortable_columns,
    text_table,
)
from gpequity.web.views import (
    Column as ViewColumn,
)

SEARCH_PATH = "/practices"
NOT_RECORDED = "Not recorded"
#: The filter values of the quintile select: "" (all), "1" to "5", and no score.
NO_SCORE = "none"
#: Rows of the ICB's practices table per page: a page a reader can scan (the CSV has them all).
PRACTICES_PER_PAGE = 50
#: Digits of a page number read from a URL (a longer one is the first page).
MAX_PAGE_DIGITS = 4


def practice_href(code: str) -> str:
    return f"/practices/{code}"


def icb_href(code: str, **params: str) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v])
    return f"/icbs/{code}" + (f"?{query}" if query else "")


def quintile_words(quintile: int | None) -> str:
    """``Q5 (most deprived)``; ``Not ranked ...`` for a practice in no quintile (no IMD score,
    or no patients that year)."""
    return NOT_RANKED if quintile is None else rank_label(quintile)


def _or_not_recorded(value: str | None) -> str:
    return value if value else NOT_RECORDED


# --- ICBs abolished on 1 April 2026 --------------------------------------------------------------


@dataclass(frozen=True)
class SuccessorsPage:
    """``/icbs/{code}`` (or its datapack) for an ICB split on 1 April 2026: its successors."""

    title: str
    code: str
    message: str
    successors: tuple[Link, ...]
    historic_href: str


def successor_href(successor: str, predecessor: str, suffix: str = "", year: str = "") -> str:
    """``/icbs/Z9B2Z?from=QRV``: the successor's page, saying where the reader came from."""
    params = [("from", predecessor)] + ([("year", year)] if year else [])
    return f"/icbs/{successor}{suffix}?{urlencode(params)}"


def present_successors(
    resolution: IcbResolution, suffix: str = "", year: str = ""
) -> SuccessorsPage:
    """The page naming every ICB of today that a split ICB's practices are now in."""
    what = "datapack" if suffix else "profile"
    return SuccessorsPage(
        title=f"{resolution.code}: {resolution.icb.label} is no longer an ICB",
        code=resolution.code,
        message=f"{resolution.message}.",
        successors=tuple(
            Link(
                text=f"{icb.name or icb.code} ({icb.code})",
                href=successor_href(icb.code, resolution.code, suffix, year),
                detail=f"The {what} of {icb.label}",
            )
            for icb in resolution.current
        ),
        historic_href=icb_href(resolution.code, icb_map=IcbMap.historic.value),
    )


# --- search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryPage:
    """``/practices``: the search box and what it found."""

    title: str
    query: str
    searched: bool
    has_data: bool
    practices: tuple[Link, ...]
    practices_counter: str
    icbs: tuple[Link, ...]
    message: str | None


def _practice_detail(p: PracticeMatch) -> str:
    """The line under a practice found: postcode, today's ICB, PCN and how it matched."""
    parts = [
        p.postcode or "",
        f"ICB: {p.icb_name}",
        f"PCN: {p.pcn_name or p.pcn_code}" if p.pcn_name or p.pcn_code else "",
        f"found by {p.matched_on.value}",
    ]
    return " · ".join(part for part in parts if part)


def _directory_message(results: DirectoryResults, asked: bool) -> str | None:
    if results.problem is QueryProblem.too_long:
        return (
            f"That search is {format_count(len(results.query))} characters long: search for at "
            f"most {MAX_QUERY_CHARS}, like a practice name, code or postcode."
        )
    if results.problem is QueryProblem.empty:
        if not asked:
            return None
        return (
            "Enter a practice name, practice code (like A81001), postcode (like SW2 1AA, "
            "or SW2 for a whole district), PCN name or ICB name to search for."
        )
    if results.practices or results.icbs:
        return None
    return (
        f"No practice or ICB matches “{results.query}”. Check the spelling, or try a practice "
        "code (like A81001), a full postcode (SW2 1AA), an outward code (SW2), or a word "
        "of the practice's, PCN's or ICB's name."
    )


def present_directory(results: DirectoryResults | None, query: str, asked: bool) -> DirectoryPage:
    """The search page; ``results`` is ``None`` when no payments data is loaded; ``asked``
    whether the address had a query at all (``/practices?q=`` asks for nothing: a message)."""
    title = "Find a practice or ICB"
    if results is None:
        return DirectoryPage(title, query, bool(query.strip()), False, (), "", (), None)
    searched = results.problem is None or asked
    if results.problem is None:
        title = f"{title}: results for “{results.query}”"
    practices = tuple(
        Link(text=f"{p.name} ({p.code})", href=practice_href(p.code), detail=_practice_detail(p))
        for p in results.practices
    )
    icbs = tuple(
        Link(
            text=f"{i.name} ({i.code})",
            href=icb_href(i.code),
            detail=f"{format_count(i.practices)} practice{'s' if i.practices != 1 else ''}",
        )
        for i in results.icbs
    )
    shown, found = len(results.practices), results.practices_found
    if found > shown:
        counter = (
            f"Showing {shown} of {format_count(found)} practices, best matches first: add "
            "words to narrow the search."
        )
    else:
        counter = f"{format_count(found)} practice{'s' if found != 1 else ''} found"
    message = _directory_message(results, asked)
    return DirectoryPage(title, query, searched, True, practices, counter, icbs, message)


# --- practice profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    name: str
    period: str
    practice: str
    icb_median: str
    england_median: str
    england_value: str


@dataclass(frozen=True)
class PracticePage:
    title: str
    code: str
    name: str
    details: tuple[SummaryItem, ...]
    notes: tuple[str, ...]
    #: The payments per weighted patient by year, beside the medians (and its CSV).
    payments: TableView
    indicators: tuple[IndicatorRow, ...]
    indicators_csv: str
    definition: str
    icb_label: str
    icb_href: str
    #: The charts by name: ``trend`` (payments over the years), ``peers`` (the practice among
    #: its peers), ``spine`` (its indicators against England's range); each only when drawn.
    charts: Mapping[str, ProfileChart] = field(default_factory=dict)


def practice_charts(
    profile: PracticeProfile, peers: PracticePeers | None, spine: Sequence[SpineRow]
) -> dict[str, ProfileChart]:
    """The practice page's charts that have something to draw, by name."""
    charts = {
        "trend": practice_trend(profile) if profile.payments else None,
        "peers": practice_peers_chart(profile, peers) if peers is not None else None,
        "spine": practice_spine(spine),
    }
    return {name: chart for name, chart in charts.items() if chart is not None}


def indicator_label(ind: IndicatorComparison) -> str:
    source = "Fingertips" if ind.source == "fingertips" else ind.source.upper()
    age = f", {ind.age}" if ind.age and ind.age.lower() not in ind.name.lower() else ""
    return f"{ind.name}{age} ({source})"


PAYMENT_COLUMNS = (
    *figure_columns("Year", "This practice", "ICB median", "England median"),
    ViewColumn("Practice's quintile"),
    ViewColumn("Quintile median", numeric=True),
)


def present_practice(
    profile: PracticeProfile,
    peers: PracticePeers | None = None,
    spine: Sequence[SpineRow] = (),
) -> PracticePage:
    """The practice's page; with its ``peers`` and indicator ``spine``
    (:mod:`gpequity.analysis.profile_figures`), their charts too."""
    d = profile.details
    details = (
        SummaryItem("Practice code", d.code),
        SummaryItem("ICB", f"{d.icb_name} ({d.icb_code})", href=icb_href(d.icb_code)),
        SummaryItem(
            "Primary care network",
            f"{d.pcn_name.title()} ({d.pcn_code})" if d.pcn_name and d.pcn_code else NOT_RECORDED,
        ),
        SummaryItem("Postcode", " ".join(d.postcode.split()) if d.postcode else NOT_RECORDED),
        SummaryItem(f"Registered patients ({d.year})", format_people(d.registered_patients)),
        SummaryItem(f"Weighted patients ({d.year})", format_people(d.weighted_patients)),
        SummaryItem(
            f"IMD score ({d.year})",
            format_number(d.imd_score) if d.imd_score is not None else NOT_RECORDED,
        ),
        SummaryItem("National IMD quintile", quintile_words(d.imd_quintile)),
        SummaryItem("Dispensing practice", _or_not_recorded(d.dispensing)),
        SummaryItem("Rurality", _or_not_recorded(d.rurality)),
    )
    notes: list[str] = []
    if not d.in_latest_year:
        notes.append(
            f"This practice is not in the {d.latest_year} payments file (its latest is "
            f"{d.year}): it may have closed or merged. Its details are those of {d.year}."
        )
    if d.imd_method:
        notes.append(f"The IMD score for {d.year} is {d.imd_method}.")
    payments = text_table(
        f"Payments per weighted patient to {d.name.title()}, by year, beside the medians of its "
        "ICB's practices, England's practices and the practices of its national IMD quintile",
        PAYMENT_COLUMNS,
        (
            (
                y.year,
                format_pounds(y.per_weighted_patient),
                format_pounds(y.icb_median),
                format_pounds(y.england_median),
                quintile_words(y.quintile),
                format_pounds(y.quintile_median),
            )
            for y in profile.payments
        ),
        id="payments-table",
        csv_href=f"{practice_href(d.code)}/payments.csv",
    )
    indicators = tuple(
        IndicatorRow(
            name=indicator_label(i),
            period=i.period,
            practice=format_number(i.value),
            icb_median=format_number(i.icb_median),
            england_median=format_number(i.england_median),
            england_value=format_number(i.england_value)
            if i.england_value is not None
            else "Not loaded",
        )
        for i in profile.indicators
    )
    return PracticePage(
        title=f"{d.name.title()} ({d.code})",
        code=d.code,
        name=d.name.title(),
        details=details,
        notes=tuple(notes),
        payments=payments,
        indicators=indicators,
        indicators_csv=f"{practice_href(d.code)}/indicators.csv",
        definition=profile.definition,
        icb_label=d.icb_name,
        icb_href=icb_href(d.icb_code),
        charts=practice_charts(profile, peers, spine),
    )


def practice_payments_csv(profile: PracticeProfile) -> CsvTable:
    code = profile.details.code
    return csv_table(
        profile.payments,
        [
            "year",
            ("practice_code", lambda _: code),
            "total_payments",
            ("payments_per_weighted_patient", "per_weighted_patient"),
            "icb_code",
            "icb_median",
            "icb_practices",
            "england_median",
            "england_practices",
            ("imd_quintile", "quintile"),
            "quintile_median",
            "quintile_practices",
        ],
        f"practice-{code}-payments.csv",
    )


def practice_indicators_csv(profile: PracticeProfile) -> CsvTable:
    code = profile.details.code
    return csv_table(
        profile.indicators,
        field_columns(IndicatorComparison, name="indicator_name", value="practice_value"),
        f"practice-{code}-indicators.csv",
        lead={"practice_code": code},
    )


# --- ICB profile --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A sortable column of an ICB's practices table."""

    key: str
    label: str
    numeric: bool
    value: Callable[[IcbPractice], str | float | int | None]


COLUMNS: tuple[Column, ...] = (
    Column("name", "Practice", False, lambda p: p.name.casefold()),
    Column("code", "Code", False, lambda p: p.code),
    Column("pcn", "Primary care network", False, lambda p: (p.pcn_name or "").casefold() or None),
    Column("registered", "Registered patients", True, lambda p: p.registered_patients),
    Column("weighted", "Weighted patients", True, lambda p: p.weighted_patients),
    Column("imd", "IMD score", True, lambda p: p.imd_score),
    Column("quintile", "National quintile", True, lambda p: p.quintile),
    Column("dispensing", "Dispensing", False, lambda p: p.dispensing),
    Column("per_weighted", "Payments per weighted patient", True, lambda p: p.per_weighted_patient),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
DEFAULT_SORT = "name"


@dataclass(frozen=True)
class TableQuery:
    """How the ICB's practices table is shown: sort column and order, and its filters."""

    sort: str = DEFAULT_SORT
    order: str = ASCENDING
    filter: str = ""
    quintile: str = ""
    page: int = 1

    def params(self, year: str) -> dict[str, str]:
        """The URL parameters that reproduce this table (defaults and the page left out: a new
        sort or filter starts at the first page, and the CSV has every page)."""
        return {
            "year": year,
            "filter": self.filter,
            "quintile": self.quintile,
            "sort": "" if self.sort == DEFAULT_SORT else self.sort,
            "order": "" if self.order == ASCENDING else self.order,
        }


def read_table_query(
    sort: str, order: str, filter: str, quintile: str, page: str = ""
) -> TableQuery:
    """A table query from URL parameters: anything unknown falls back to the default (a page
    that is not a positive whole number is the first)."""
    valid_quintiles = {str(q) for q in range(1, QUINTILES + 1)} | {NO_SCORE}
    page = page.strip()
    return TableQuery(
        sort=sort if sort in COLUMN_BY_KEY else DEFAULT_SORT,
        order=order if order in (ASCENDING, DESCENDING) else ASCENDING,
        filter=" ".join(filter.split())[:100],
        quintile=quintile if quintile in valid_quintiles else "",
        page=int(page) if page.isdigit() and 0 < len(page) <= MAX_PAGE_DIGITS else 1,
    )


def select_practices(practices: Sequence[IcbPractice], query: TableQuery) -> list[IcbPractice]:
    """The practices the table shows: filtered, then sorted (no value last, either way)."""
    needle = query.filter.casefold()
    kept = [
        p
        for p in practices
        if (
            not needle
            or any(
                needle in (text or "").casefold()
                for text in (
                    p.name,
                    p.code,
                    p.pcn_name,
                    p.postcode and " ".join(p.postcode.split()),
                )
            )
        )
        and (
            not query.quintile
            or (query.quintile == NO_SCORE and p.quintile is None)
            or (p.quintile is not None and str(p.quintile) == query.quintile)
        )
    ]
    column = COLUMN_BY_KEY[query.sort]
    kept.sort(key=lambda p: p.code)  # ties keep the code order
    present = [p for p in kept if column.value(p) is not None]
    absent = [p for p in kept if column.value(p) is None]
    present.sort(key=lambda p: column.value(p), reverse=query.order == DESCENDING)  # type: ignore[arg-type, return-value]
    return present + absent


@dataclass(frozen=True)
class PracticeRow:
    code: str
    name: str
    href: str
    pcn: str
    registered: str
    weighted: str
    imd: str
    quintile: str
    dispensing: str
    per_weighted: str


@dataclass(frozen=True)
class IcbPage:
    title: str
    code: str
    name: str
    year: str
    year_options: tuple[Option, ...]
    summary: tuple[SummaryItem, ...]
    spread_summary: str
    #: The practices and patients in each national quintile (and its CSV).
    spread: TableView
    #: How many of the ICB's practices have an IMD score older than the newest release, or "".
    old_imd_note: str
    gradient_summary: str
    #: Payments per weighted patient by quintile, the ICB beside England (and its CSV).
    gradient: TableView
    gradient_notes: tuple[str, ...]
    #: The practices table's headings, each a link that sorts by it.
    headers: tuple[ViewColumn, ...]
    rows: tuple[PracticeRow, ...]
    counter: str
    pagination: Pagination | None
    practices_count: str
    filter: str
    quintile_options: tuple[Option, ...]
    sort: str
    order: str
    practices_csv: str
    definition: str
    datapack_href: str | None
    #: Which ICBs the year's practices are grouped by, said aloud, and the link to the other map.
    icb_map_note: str = ""
    other_map_href: str = ""
    other_map_label: str = ""
    #: ``historic`` when the page is on the year's own ICBs (kept by its forms), else "".
    icb_map_param: str = ""
    #: "QRV (North West London ICB) became part of ..." when redirected from a predecessor.
    arrived_from: str | None = None
    #: The chart of the ICB's payments per weighted patient over the years against England's.
    trend: ProfileChart | None = None


SPREAD_COLUMNS = figure_columns(
    "National quintile",
    "Practices",
    "Share of practices",
    "Registered patients",
    "Share of patients",
)
GRADIENT_COLUMNS = figure_columns(
    "National quintile", "This ICB", "ICB practices", "England", "England practices"
)


def gradient_sentence(profile: IcbProfile) -> str:
    """The gradient's reading: the ICB's Q1-Q5 gap, then England's, in words."""
    icb = gap_sentence(profile.icb_gap_q1_minus_q5, f"In {profile.year}, in this ICB,")
    england = gap_sentence(profile.england_gap_q1_minus_q5, "In England")
    return f"{icb}. {england}."


def spread_sentence(profile: IcbProfile) -> str:
    """The share of patients in England's most deprived fifth against England's: the datapack's
    own sentence, so that the benchmark is one figure defined once."""
    if not profile.practices:
        return f"The ICB has no practices in the {profile.year} payments file."
    if profile.overview is None:
        return f"No practice has an IMD score in {profile.year}: they cannot be placed in fifths."
    return most_deprived_sentence(profile.overview)


def _map_params(profile: IcbProfile) -> dict[str, str]:
    """The ``icb_map`` of the page's links: only when it is not the default."""
    return {"icb_map": profile.icb_map.value} if profile.icb_map is IcbMap.historic else {}


def present_icb(
    profile: IcbProfile,
    query: TableQuery,
    *,
    datapack_href: str | None = None,
    arrived_from: str | None = None,
    summary: IcbSummary | None = None,
    trend: Sequence[TrendPoint] = (),
) -> IcbPage:
    """The ICB's page; with its ``summary`` and ``trend`` (:mod:`gpequity.analysis.
    profile_figures`), the fuller summary list and the chart over the years."""
    selected = select_practices(profile.practices, query)
    pages = max(1, math.ceil(len(selected) / PRACTICES_PER_PAGE))
    shown_page = min(max(query.page, 1), pages)
    first = (shown_page - 1) * PRACTICES_PER_PAGE
    rows = selected[first : first + PRACTICES_PER_PAGE]
    base = {**query.params(profile.year), **_map_params(profile)}
    headers = sortable_columns(
        [ViewColumn(c.label, c.numeric, c.key) for c in COLUMNS],
        SortChoice(query.sort, query.order == DESCENDING),
        lambda choice: icb_href(profile.code, **{**base, **dict(choice.items())}),
    )
    total = len(profile.practices)
    counter = (
        f"Showing {format_count(len(selected))} of {format_count(total)} practices paid in "
        f"{profile.year}"
        if query.filter or query.quintile
        else f"{format_count(total)} practices paid in {profile.year}"
    )
    if pages > 1:
        counter += (
            f"; page {format_count(shown_page)} of {format_count(pages)}: practices "
            f"{format_count(first + 1)} to {format_count(first + len(rows))}"
        )
    historic = profile.icb_map is IcbMap.historic
    switch = {} if historic else {"icb_map": IcbMap.historic.value}
    return IcbPage(
        title=f"{profile.name} ({profile.code})",
        code=profile.code,
        name=profile.name,
        year=profile.year,
        year_options=tuple(Option(y, y, y == profile.year) for y in reversed(profile.years)),
        summary=icb_summary_items(profile, summary)
        if summary is not None
        else (
            SummaryItem("ICB code", profile.code),
            SummaryItem(f"Practices paid in {profile.year}", format_count(total)),
            SummaryItem(
                f"Registered patients of those practices ({profile.year})",
                format_people(profile.registered_patients),
            ),
        ),
        trend=icb_trend_view(profile, trend) if trend else None,
        spread_summary=spread_sentence(profile),
        spread=_icb_table(
            profile,
            "spread",
            "quintiles",
            "The ICB's practices and registered patients in each national IMD quintile",
            SPREAD_COLUMNS,
            (
                (
                    s.label,
                    format_count(s.practices),
                    format_share(s.share_of_practices),
                    format_people(s.registered_patients),
                    format_share(s.share_of_patients),
                )
                for s in profile.spread
            ),
        ),
        old_imd_note=(profile.overview.old_imd_note or "") if profile.overview else "",
        gradient_summary=gradient_sentence(profile) if profile.gradient else "",
        gradient=_icb_table(
            profile,
            "gradient",
            "gradient",
            "Payments per weighted patient by national IMD quintile: this ICB and England",
            GRADIENT_COLUMNS,
            (
                (
                    g.label,
                    format_pounds(g.icb_per_weighted_patient),
                    format_count(g.icb_practices),
                    format_pounds(g.england_per_weighted_patient),
                    format_count(g.england_practices),
                )
                for g in profile.gradient
            ),
        ),
        gradient_notes=profile.notes,
        headers=headers,
        rows=tuple(
            PracticeRow(
                code=p.code,
                name=p.name.title(),
                href=practice_href(p.code),
                pcn=p.pcn_name.title() if p.pcn_name else NOT_RECORDED,
                registered=format_people(p.registered_patients),
                weighted=format_people(p.weighted_patients),
                imd=format_number(p.imd_score) if p.imd_score is not None else NOT_RECORDED,
                quintile=quintile_words(p.quintile),
                dispensing=_or_not_recorded(p.dispensing),
                per_weighted=format_pounds(p.per_weighted_patient),
            )
            for p in rows
        ),
        counter=counter,
        pagination=present_pagination(
            shown_page,
            pages,
            lambda n: icb_href(profile.code, **base, page=str(n)) + "#icb-practices",
        ),
        practices_count=format_count(len(selected)),
        filter=query.filter,
        quintile_options=(
            Option("", "All quintiles", not query.quintile),
            *tuple(
                Option(str(q), rank_label(q), query.quintile == str(q))
                for q in range(1, QUINTILES + 1)
            ),
            Option(NO_SCORE, NOT_RANKED, query.quintile == NO_SCORE),
        ),
        sort=query.sort,
        order=query.order,
        practices_csv=f"/icbs/{profile.code}/practices.csv?"
        + urlencode([(k, v) for k, v in base.items() if v]),
        definition=profile.definition,
        datapack_href=datapack_href,
        icb_map_note=profile.icb_map_note,
        other_map_href=(
            icb_href(profile.code, year=profile.year, **switch) if profile.maps_differ else ""
        ),
        other_map_label=(
            "Group the practices by the ICBs in force today"
            if historic
            else f"Group the practices by the ICBs of {profile.year}"
        ),
        arrived_from=arrived_from,
        icb_map_param=_map_params(profile).get("icb_map", ""),
    )


def _icb_table(
    profile: IcbProfile,
    table: str,
    csv: str,
    caption: str,
    columns: Sequence[ViewColumn],
    rows: Iterable[Sequence[str]],
) -> TableView:
    """One of the ICB page's tables of the profile's year (``id`` ``{table}-table``), with the
    link to its CSV (``/icbs/{code}/{csv}.csv``)."""
    return text_table(
        f"{caption}, {profile.year}",
        columns,
        rows,
        id=f"{table}-table",
        csv_href=f"{icb_href(profile.code)}/{csv}.csv{_year_query(profile)}",
    )


def _year_query(profile: IcbProfile) -> str:
    return "?" + urlencode([("year", profile.year), *_map_params(profile).items()])


#: The CSV files name a practice's quintile as the API does.
IMD_QUINTILE = "imd_quintile"


def _icb_csv(
    profile: IcbProfile, table: str, items: Iterable[Any], columns: Sequence[CsvColumn]
) -> CsvTable:
    """One of the ICB's tables as CSV, each row led by the year and the ICB's code."""
    return csv_table(
        items,
        columns,
        f"icb-{profile.code}-{table}-{profile.year.replace('/', '-')}.csv",
        lead={"year": profile.year, "icb_code": profile.code},
    )


def icb_practices_csv(profile: IcbProfile, query: TableQuery) -> CsvTable:
    """The practices table as CSV: the rows the page shows, in its order, numbers unformatted."""
    return _icb_csv(
        profile,
        "practices",
        select_practices(profile.practices, query),
        field_columns(
            IcbPractice,
            code="practice_code",
            name="practice_name",
            postcode=("postcode", lambda p: p.postcode and " ".join(p.postcode.split())),
            quintile=IMD_QUINTILE,
            per_weighted_patient="payments_per_weighted_patient",
        ),
    )


def icb_spread_csv(profile: IcbProfile) -> CsvTable:
    return _icb_csv(
        profile, "quintiles", profile.spread, field_columns(QuintileShare, quintile=IMD_QUINTILE)
    )


def icb_gradient_csv(profile: IcbProfile) -> CsvTable:
    return _icb_csv(
        profile, "gradient", profile.gradient, field_columns(GradientRow, quintile=IMD_QUINTILE)
    )
