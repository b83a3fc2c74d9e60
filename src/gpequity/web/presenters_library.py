"""Presenters of the library: the resource listing and search, an article, its live figures.

Like :mod:`gpequity.web.presenters`, these turn plain data (a page of results, a resource, an
analysis result) into frozen view objects holding every label and formatted figure, so the
templates only place them. Figures come from :mod:`gpequity.analysis.payments`; nothing here
computes one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from gpequity.analysis.payments import (
    GROUP_COLUMNS,
    DeprivationResult,
    NationalSummary,
    Table,
    TrendResult,
)
from gpequity.formats import (
    compare_word,
    format_count,
    format_date,
    format_people,
    format_pounds,
    format_pounds_short,
)
from gpequity.library import (
    Library,
    Resource,
    ResourceType,
    ResultPage,
    ShortcodeCall,
    SnippetPart,
)
from gpequity.web.views import Link, Option, TableView, figure_columns, text_table

LIBRARY_PATH = "/resources"
#: Page numbers shown either side of the current one in the pagination.
PAGINATION_NEIGHBOURS = 1
#: What the figure of a shortcode says when there is nothing to show.
NO_DATA_FIGURE = "No data is loaded yet, so this figure cannot be shown."


def results_counter(first: int, last: int, total: int) -> str:
    """``Displaying 28–36 of 52 results``; ``No results`` when there are none."""
    if total == 0:
        return "No results"
    noun = "result" if total == 1 else "results"
    if first == last:
        return f"Displaying {first} of {format_count(total)} {noun}"
    return f"Displaying {first}–{last} of {format_count(total)} {noun}"


# --- listing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceCard:
    """A resource in a list: title, link, type, date, summary, and the matching text."""

    title: str
    href: str
    type_label: str
    published: str
    published_iso: str
    summary: str
    snippet: tuple[SnippetPart, ...] | None
    authors: str


@dataclass(frozen=True)
class PageLink:
    """A numbered link of the pagination, or an ellipsis (``number`` 0)."""

    number: int
    href: str
    current: bool
    ellipsis: bool


@dataclass(frozen=True)
class Pagination:
    previous_href: str | None
    next_href: str | None
    items: tuple[PageLink, ...]


@dataclass(frozen=True)
class LibraryPage:
    """``/resources``: the search form, the counter, the results and the pagination."""

    title: str
    heading: str
    query: str
    type_options: tuple[Option, ...]
    tag_options: tuple[Option, ...]
    filtered: bool
    clear_href: str
    counter: str
    results: tuple[ResourceCard, ...]
    pagination: Pagination | None
    empty_message: str | None


def library_href(query: str = "", type_: str = "", tag: str = "", page: int = 1) -> str:
    """The URL of a listing: only the parameters that are set, in a fixed order."""
    params = [("q", query), ("type", type_), ("tag", tag)]
    pairs = [(k, v) for k, v in params if v]
    if page > 1:
        pairs.append(("page", str(page)))
    return LIBRARY_PATH + ("?" + urlencode(pairs) if pairs else "")


def resource_href(slug: str) -> str:
    return f"{LIBRARY_PATH}/{slug}"


def present_card(resource: Resource, snippet: tuple[SnippetPart, ...] | None) -> ResourceCard:
    meta = resource.meta
    return ResourceCard(
        title=meta.title,
        href=resource_href(meta.slug),
        type_label=meta.type.value,
        published=format_date(meta.published),
        published_iso=meta.published.isoformat(),
        summary=meta.summary,
        snippet=snippet,
        authors=", ".join(meta.authors),
    )


def page_numbers(current: int, pages: int, neighbours: int = PAGINATION_NEIGHBOURS) -> list[int]:
    """The page numbers to show, 0 standing for an ellipsis: ``1 … 4 5 6 … 12``."""
    shown = {1, pages, *range(current - neighbours, current + neighbours + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= pages)
    out: list[int] = []
    for n in numbers:
        if out and n - out[-1] == 2:
            out.append(n - 1)  # a gap of one page: show the page, not an ellipsis
        elif out and n - out[-1] > 2:
            out.append(0)
        out.append(n)
    return out


def present_pagination(current: int, pages: int, link: Callable[[int], str]) -> Pagination | None:
    """The design system's numbered pagination; ``None`` when everything fits on one page."""
    if pages <= 1:
        return None
    items = tuple(
        PageLink(number=0, href="", current=False, ellipsis=True)
        if n == 0
        else PageLink(number=n, href=link(n), current=n == current, ellipsis=False)
        for n in page_numbers(current, pages)
    )
    return Pagination(
        previous_href=link(current - 1) if 1 < current <= pages else None,
        next_href=link(current + 1) if current < pages else None,
        items=items,
    )


def present_library(
    library: Library,
    results: ResultPage,
    *,
    query: str,
    type_: ResourceType | None,
    tag: str | None,
) -> LibraryPage:
    """The listing for a query, filters and page, as ``/resources`` shows it."""
    type_value = type_.slug if type_ else ""
    tag_value = tag or ""
    type_options = (
        Option("", "All types", type_ is None),
        *(Option(t.slug, t.value, t is type_) for t in library.types()),
    )
    tags = library.tags()
    known = {t.tag.casefold() for t in tags}
    tag_options = (
        Option("", "All tags", not tag_value),
        *(
            Option(t.tag, f"{t.tag} ({t.resources})", t.tag.casefold() == tag_value.casefold())
            for t in tags
        ),
    )
    if tag_value and tag_value.casefold() not in known:
        # A tag no resource has (an old link): keep it selected, so the filter is visible.
        tag_options += (Option(tag_value, f"{tag_value} (0)", True),)
    searching = bool(query.strip())
    heading = f"Results for “{query.strip()}”" if searching else "All resources"
    title = "Library"
    if searching:
        title = f"Library: results for “{query.strip()}”"
    if results.pages > 1 and results.hits:
        title += f" (page {results.page} of {results.pages})"
    empty_message = None
    if not results.hits:
        if results.total and results.page > results.pages:
            empty_message = f"There is no page {results.page}: the results fill {results.pages}."
        elif searching and not results.terms:
            empty_message = "Your search has no words to look for: try letters or numbers."
        else:
            empty_message = "No resources match. Try other words, or remove a filter."
    return LibraryPage(
        title=title,
        heading=heading,
        query=query,
        type_options=type_options,
        tag_options=tag_options,
        filtered=bool(searching or type_ or tag_value),
        clear_href=LIBRARY_PATH,
        counter=results_counter(results.first, results.last, results.total),
        results=tuple(present_card(h.resource, h.snippet) for h in results.hits),
        pagination=present_pagination(
            results.page,
            results.pages,
            lambda n: library_href(query.strip(), type_value, tag_value, n),
        ),
        empty_message=empty_message,
    )


# --- figures (shortcodes) -----------------------------------------------------------------------


@dataclass(frozen=True)
class FigureTable:
    """A live table in an article: its summary sentence, and the table (caption, rows, notes
    and its CSV)."""

    kind: str
    summary: str
    table: TableView


@dataclass(frozen=True)
class FigureMessage:
    """A figure that cannot be shown, and why (no data loaded, a year not loaded)."""

    kind: str
    message: str


@dataclass(frozen=True)
class CsvTable(Table):
    """A table (header and rows of plain values, numbers unformatted) and the name of its CSV
    file."""

    filename: str


#: A CSV column: the name of the item's attribute it shows (also its header), or a header and
#: that attribute's name, or a header and a function of the item.
CsvColumn = str | tuple[str, str | Callable[[Any], object]]


def field_columns(item_type: type[Any], **changes: CsvColumn) -> tuple[CsvColumn, ...]:
    """A column per field of the dataclass ``item_type``, in its order: the field itself, or
    under another header (``quintile="imd_quintile"``), or the column ``changes`` gives for it
    (``postcode=("postcode", written)``)."""
    return tuple(_changed(f.name, changes.get(f.name)) for f in fields(item_type))


def _changed(name: str, change: CsvColumn | None) -> CsvColumn:
    if change is None:
        return name
    return (change, name) if isinstance(change, str) else change


def csv_table(
    items: Iterable[Any],
    columns: Sequence[CsvColumn],
    filename: str,
    *,
    lead: Mapping[str, object] | None = None,
) -> CsvTable:
    """One row per item: first the ``lead`` columns (the same value in every row, such as the
    year), then each of ``columns``."""
    lead = lead or {}
    named = [(c, c) if isinstance(c, str) else c for c in columns]
    getters = [attrgetter(get) if isinstance(get, str) else get for _, get in named]
    return CsvTable(
        header=(*lead, *(header for header, _ in named)),
        rows=tuple((*lead.values(), *(get(item) for get in getters)) for item in items),
        filename=filename,
    )


FigureResult = DeprivationResult | TrendResult | NationalSummary


def figure_csv_href(slug: str, call: ShortcodeCall) -> str:
    return f"{resource_href(slug)}/tables/{call.index + 1}.csv"


def gap_sentence(gap: float | None, where: str) -> str:
    """Who received more per weighted patient, the least or the most deprived fifth, and by how
    much (the Q1 - Q5 ``gap``), after ``where`` ("In 2022/23", "In England"); no full stop."""
    if gap is None:
        return (
            f"{where} the gap between the least and most deprived fifths cannot be computed "
            "(one of them has no practices)"
        )
    word = compare_word(gap)
    if word == "the same":
        return f"{where} the least and most deprived fifths received the same per weighted patient"
    first, second = ("least", "most") if word == "more" else ("most", "least")
    return (
        f"{where} practices in the {first} deprived fifth received {format_pounds(abs(gap))} "
        f"more per weighted patient than those in the {second} deprived fifth"
    )


def quintile_csv(result: DeprivationResult, slug: str, call: ShortcodeCall) -> CsvTable:
    return csv_table(
        result.groups,
        # The group's rank under the name the tables give a quintile.
        [(GROUP_COLUMNS[0], "rank"), *GROUP_COLUMNS[1:]],
        f"{slug}-table-{call.index + 1}-quintiles-{result.year.replace('/', '-')}.csv",
        lead={"year": result.year},
    )


def trend_csv(result: TrendResult, slug: str, call: ShortcodeCall) -> CsvTable:
    return CsvTable(
        header=(
            "year",
            "quintile",
            "label",
            "practices",
            "weighted_patients",
            "per_weighted_patient",
        ),
        rows=tuple(
            (y.year, g.rank, g.label, g.practices, g.weighted_patients, g.per_weighted_patient)
            for y in result.years
            for g in y.groups
        ),
        filename=f"{slug}-table-{call.index + 1}-trend.csv",
    )


def summary_csv(result: NationalSummary, slug: str, call: ShortcodeCall) -> CsvTable:
    rows: list[tuple[object, ...]] = [
        (result.year, "practices", result.practices),
        (result.year, "registered_patients", result.registered_patients),
        (result.year, "weighted_patients", result.weighted_patients),
        (result.year, "total_payments", result.total_payments),
        (result.year, "prescribing_dispensing_payments", result.prescribing_dispensing_payments),
    ]
    return CsvTable(
        header=("year", "measure", "value"),
        rows=tuple(rows),
        filename=f"{slug}-table-{call.index + 1}-england-{result.year.replace('/', '-')}.csv",
    )


def figure_csv(result: FigureResult, slug: str, call: ShortcodeCall) -> CsvTable:
    """The CSV of a shortcode's figure: the same rows as its table, numbers unformatted."""
    if isinstance(result, DeprivationResult):
        return quintile_csv(result, slug, call)
    if isinstance(result, TrendResult):
        return trend_csv(result, slug, call)
    return summary_csv(result, slug, call)


def present_figure(
    result: FigureResult | str | None, slug: str, call: ShortcodeCall
) -> FigureTable | FigureMessage:
    """A shortcode's figure: its table, or the message saying why it cannot be shown
    (``result`` is then the reason, or ``None`` when no warehouse is loaded)."""
    if result is None:
        return FigureMessage(kind="message", message=NO_DATA_FIGURE)
    if isinstance(result, str):
        return FigureMessage(kind="message", message=result)
    csv_href = figure_csv_href(slug, call)
    if isinstance(result, DeprivationResult):
        excluded = sum(e.practices for e in result.excluded)
        return FigureTable(
            kind="table",
            summary=gap_sentence(result.gap_q1_minus_q5.get("all"), f"In {result.year}") + ".",
            table=text_table(
                f"Payments per patient by deprivation quintile, England, {result.year}",
                figure_columns(
                    "IMD quintile",
                    "Practices",
                    "Weighted patients",
                    "Payments",
                    "Per registered patient",
                    "Per weighted patient",
                ),
                (
                    (
                        g.label,
                        format_count(g.practices),
                        format_people(g.weighted_patients),
                        format_pounds_short(g.payments),
                        format_pounds(g.per_registered_patient),
                        format_pounds(g.per_weighted_patient),
                    )
                    for g in result.groups
                ),
                (
                    "Per-patient figures are ratios of sums: a quintile's payments divided by its "
                    "patients.",
                    f"{format_count(excluded)} practices could not be placed in a quintile and "
                    "are not counted (no IMD score, or no patients).",
                    *result.notes,
                ),
                csv_href=csv_href,
            ),
        )
    if isinstance(result, TrendResult):
        labels = [g.label for g in result.years[0].groups] if result.years else []
        last = result.years[-1] if result.years else None
        return FigureTable(
            kind="table",
            summary=gap_sentence(last.gap_q1_minus_q5, f"In {last.year}") + "."
            if last
            else "No year could be shown.",
            table=text_table(
                "Payments per weighted patient by deprivation quintile, every loaded year",
                figure_columns("Year", *labels, "Q1 minus Q5"),
                (
                    (
                        y.year,
                        *(format_pounds(g.per_weighted_patient) for g in y.groups),
                        format_pounds(y.gap_q1_minus_q5),
                    )
                    for y in result.years
                ),
                (
                    "Each year uses its own quintiles, from the IMD scores for that year.",
                    *(f"{s.year} is not shown: {s.reason}" for s in result.skipped),
                    *result.notes,
                ),
                csv_href=csv_href,
            ),
        )
    return FigureTable(
        kind="table",
        summary=(
            f"In {result.year} NHS England paid {format_pounds_short(result.total_payments)} to "
            f"{format_count(result.practices)} practices."
        ),
        table=text_table(
            f"General practice in England, {result.year}",
            figure_columns("Measure", "Value"),
            (
                ("Practices", format_count(result.practices)),
                ("Registered patients", format_people(result.registered_patients)),
                ("Weighted patients", format_people(result.weighted_patients)),
                (
                    "Total NHS Payments to General Practice",
                    format_pounds_short(result.total_payments),
                ),
                (
                    "Prescribing- and dispensing-related payments",
                    format_pounds_short(result.prescribing_dispensing_payments),
                ),
            ),
            result.notes,
            csv_href=csv_href,
        ),
    )


# --- article ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HtmlPart:
    """Sanitised HTML of the article (nh3 allowlist, see ``gpequity.library.markdown``)."""

    kind: str
    html: Markup


@dataclass(frozen=True)
class ArticlePage:
    title: str
    type_label: str
    type_href: str
    published: str
    published_iso: str
    authors: str
    summary: str
    tags: tuple[Link, ...]
    body: tuple[HtmlPart | FigureTable | FigureMessage, ...]
    related: tuple[ResourceCard, ...]
    related_practices: tuple[Link, ...]
    related_icbs: tuple[Link, ...]
    related_links: tuple[Link, ...]


def present_article(
    resource: Resource,
    figures: Sequence[FigureTable | FigureMessage],
    related: Sequence[Resource],
) -> ArticlePage:
    """An article: its metadata, its body with each shortcode's figure in place, related."""
    meta = resource.meta
    body: list[HtmlPart | FigureTable | FigureMessage] = []
    for part in resource.html_parts:
        if isinstance(part, ShortcodeCall):
            body.append(figures[part.index])
        else:
            # Sanitised when the library was loaded (gpequity.library.markdown.sanitise).
            body.append(HtmlPart(kind="html", html=Markup(part)))
    return ArticlePage(
        title=meta.title,
        type_label=meta.type.value,
        type_href=library_href(type_=meta.type.slug),
        published=format_date(meta.published),
        published_iso=meta.published.isoformat(),
        authors=", ".join(meta.authors),
        summary=meta.summary,
        tags=tuple(Link(t, library_href(tag=t)) for t in meta.tags),
        body=tuple(body),
        related=tuple(present_card(r, None) for r in related),
        related_practices=tuple(
            Link(f"Practice {code}", f"/practices/{code}") for code in meta.related.practices
        ),
        related_icbs=tuple(Link(f"ICB {code}", f"/icbs/{code}") for code in meta.related.icbs),
        related_links=tuple(Link(link.title, link.href) for link in meta.related.links),
    )
