"""The home page: what the site offers, the latest resources and a few headline figures.

The headline figures are those of the payments analysis for the latest loaded year
(:func:`~gpequity.analysis.payments.national_summary` and
:func:`~gpequity.analysis.payments.payments_by_deprivation`), formatted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gpequity.analysis.payments import DeprivationResult, NationalSummary
from gpequity.formats import (
    compare_word,
    format_count,
    format_people_short,
    format_pounds,
    format_pounds_short,
)
from gpequity.library import Resource
from gpequity.web import site
from gpequity.web.presenters_icb_map import HomeMap
from gpequity.web.presenters_library import ResourceCard, present_card
from gpequity.web.views import Link

HOME_TITLE = "Fair general practice funding"
#: Resources listed under "Latest from the library".
LATEST_SHOWN = 3
#: What each part of the site offers, by the path its navigation entry links to. A part is
#: offered only once its page exists (it is in ``site.NAVIGATION``).
OFFERS: dict[str, tuple[str, str]] = {
    "/allocate": (
        "Allocate funding fairly",
        "Split an amount across the practices of an Integrated Care Board by deprivation and "
        "need, to the penny, beside the per-head split.",
    ),
    "/funding": (
        "Funding and deprivation",
        "How NHS payments to general practice vary with deprivation across England, year by year.",
    ),
    "/resources": (
        "Library",
        "Evidence briefs, data analyses, blog posts and guides to the tools, searchable.",
    ),
    "/practices": (
        "Practices and ICBs",
        "Look up a practice or an Integrated Care Board and see how it compares with England.",
    ),
    "/icbs": (
        "A map of ICBs",
        "England's Integrated Care Boards on one map, coloured by the funding gap between "
        "their least and most deprived practices, payments per patient or deprivation.",
    ),
    "/data": (
        "Data",
        "Every official file loaded, the period it covers and what happened to its rows.",
    ),
}
DATAPACK_OFFER = (
    "ICB datapacks",
    "A printable pack per Integrated Care Board on how its practices compare by deprivation, "
    "from each ICB's profile page.",
)


@dataclass(frozen=True)
class Headline:
    """A figure in large type, a sentence saying what it is, and where it comes from."""

    figure: str
    text: str


@dataclass(frozen=True)
class HomePage:
    title: str
    has_data: bool
    #: The parts of the site, each a card: its name, linked ("" for one with no page of its
    #: own), and what it does.
    offers: tuple[Link, ...]
    latest: tuple[ResourceCard, ...]
    headlines: tuple[Headline, ...]
    headline_year: str | None
    headline_source_href: str
    library_href: str
    #: The England map of ICBs coloured by the default measure (``None``: nothing to map).
    icb_map: HomeMap | None = None


def present_offers(navigation: Sequence[site.NavEntry], datapacks: bool) -> tuple[Link, ...]:
    """The parts of the site, in the navigation's order, each linked to its page."""

    def offer(title_and_description: tuple[str, str], href: str) -> Link:
        title, description = title_and_description
        return Link(title, href, description)

    offers = [offer(OFFERS[entry.href], entry.href) for entry in navigation if entry.href in OFFERS]
    if not any(o.href == "/practices" for o in offers):
        offers.append(offer(OFFERS["/practices"], "/practices"))
    if datapacks:
        # The datapacks are reached from each ICB's page: the card links nowhere.
        offers.append(offer(DATAPACK_OFFER, ""))
    return tuple(offers)


def present_headlines(
    summary: NationalSummary | None, deprivation: DeprivationResult | None
) -> tuple[Headline, ...]:
    """Two or three figures of the latest year: money, practices and patients, the gap."""
    if summary is None:
        return ()
    headlines = [
        Headline(
            figure=format_pounds_short(summary.total_payments),
            text=(
                f"paid to {format_count(summary.practices)} general practices in England in "
                f"{summary.year} (Total NHS Payments to General Practice)."
            ),
        ),
        Headline(
            figure=format_people_short(summary.registered_patients),
            text=f"patients registered with those practices in {summary.year}.",
        ),
    ]
    gap = deprivation.gap_q1_minus_q5.get("all") if deprivation is not None else None
    if gap is not None and deprivation is not None:
        word = compare_word(gap)
        if word == "the same":
            text = (
                "between the least and most deprived fifths of England per weighted patient: "
                f"both received the same in {deprivation.year}."
            )
        else:
            first, second = ("least", "most") if word == "more" else ("most", "least")
            text = (
                f"more per weighted patient to practices in the {first} deprived fifth "
                f"of England than to those in the {second} deprived fifth, in "
                f"{deprivation.year}."
            )
        headlines.append(Headline(figure=format_pounds(abs(gap)), text=text))
    return tuple(headlines)


def present_home_page(
    *,
    has_data: bool,
    latest: Sequence[Resource],
    summary: NationalSummary | None,
    deprivation: DeprivationResult | None,
    navigation: Sequence[site.NavEntry] = site.NAVIGATION,
    datapacks: bool = False,
    icb_map: HomeMap | None = None,
) -> HomePage:
    funding_linked = any(entry.href == "/funding" for entry in navigation)
    return HomePage(
        title=HOME_TITLE,
        has_data=has_data,
        offers=present_offers(navigation, datapacks),
        latest=tuple(present_card(r, None) for r in latest[:LATEST_SHOWN]),
        headlines=present_headlines(summary, deprivation),
        headline_year=summary.year if summary is not None else None,
        headline_source_href="/funding" if funding_linked else "/data",
        library_href="/resources",
        icb_map=icb_map,
    )
