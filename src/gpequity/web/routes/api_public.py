"""The open-data JSON API of the library and the profiles, documented at ``/api/docs``.

* ``GET /api/v1/resources?q=&type=&tag=&page=&per_page=``: the library, as ``/resources``
  lists it (the same search, filters and order);
* ``GET /api/v1/resources/{slug}``: one resource, its metadata and its Markdown source;
* ``GET /api/v1/practices?q=&limit=``: the practices and ICBs a search finds, as ``/practices``
  lists them (:func:`gpequity.analysis.directory.search_directory`);
* ``GET /api/v1/practices/{code}``: a practice's profile, as ``/practices/{code}`` shows it;
* ``GET /api/v1/payments/by-deprivation?year=&total=&exclude_prescribing=&by=&deciles=``:
  payments by deprivation, as ``gpequity payments by-deprivation --format json`` prints them,
  with their 95% confidence intervals;
* ``GET /api/v1/icbs/{code}?year=&icb_map=``: an ICB's profile (its practices, their spread
  across the national quintiles, the gradient by quintile against England's), as
  ``/icbs/{code}``; the code of an ICB abolished on 1 April 2026 is a 404 naming its
  successor(s).

The figures are the analysis modules' own (:mod:`gpequity.analysis.profiles`), unformatted:
money in pounds, shares as fractions. Errors are JSON: 404 ``{"detail": "..."}`` for an unknown
slug, code or year, 503 when no warehouse is loaded.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from gpequity.analysis.directory import (
    MAX_QUERY_CHARS,
    SEARCH_LIMIT,
    QueryProblem,
    search_directory,
)
from gpequity.analysis.payments import (
    By,
    Total,
    parse_year,
    payments_by_deprivation,
    resolve_year,
)
from gpequity.analysis.profiles import has_payments, icb_profile
from gpequity.errors import GpequityError
from gpequity.library import PER_PAGE, Hit, Resource, ResourceType
from gpequity.warehouse.icbs import IcbMap, superseded
from gpequity.web.api_errors import JsonErrorsRoute, error_response
from gpequity.web.api_payments_schema import DeprivationOut
from gpequity.web.api_schema import (
    NOT_FOUND,
    PREFIX,
    UNAVAILABLE,
    DirectoryOut,
    ErrorOut,
    IcbProfileOut,
    LinkOut,
    PracticeProfileOut,
    RelatedOut,
    ResourceDetailOut,
    ResourceHitOut,
    ResourceListOut,
    ResourceOut,
    ShortcodeOut,
)
from gpequity.web.results import find_practice
from gpequity.web.state import library_of
from gpequity.web.warehouse import Reading, reading_or_unavailable

#: Most resources on one page of ``/api/v1/resources``.
MAX_PER_PAGE = 100
#: Most practices one search of ``/api/v1/practices`` lists.
MAX_SEARCH_LIMIT = 500

router = APIRouter(tags=["Library and profiles (open data)"], route_class=JsonErrorsRoute)
#: A route's parameter: the request's cursor on the warehouse; 503 without one.
ApiReading = Annotated[Reading, Depends(reading_or_unavailable("no warehouse is loaded yet"))]


# --- resources ----------------------------------------------------------------------------------


def _resource_fields(resource: Resource) -> ResourceOut:
    meta = resource.meta
    return ResourceOut(
        slug=meta.slug,
        title=meta.title,
        type=meta.type.value,
        published=meta.published,
        authors=list(meta.authors),
        summary=meta.summary,
        tags=list(meta.tags),
        url=f"/resources/{meta.slug}",
        related=RelatedOut(
            resources=list(meta.related.resources),
            practices=list(meta.related.practices),
            icbs=list(meta.related.icbs),
            links=[LinkOut(title=link.title, href=link.href) for link in meta.related.links],
        ),
    )


def _hit_out(hit: Hit) -> ResourceHitOut:
    snippet = (
        "".join(f"[{p.text}]" if p.hit else p.text for p in hit.snippet) if hit.snippet else None
    )
    return ResourceHitOut(**dict(_resource_fields(hit.resource)), snippet=snippet)


@router.get(
    f"{PREFIX}/resources",
    response_model=ResourceListOut,
    summary="Search and list the library's resources",
)
def list_resources(
    request: Request,
    q: str = Query("", description="Words to search for (ranked; all must match)."),
    type: str = Query("", description="blog, evidence-brief, data-analysis or tool."),
    tag: str = Query("", description="Only resources with this tag."),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(PER_PAGE, ge=1, le=MAX_PER_PAGE),
) -> ResourceListOut:
    type_ = ResourceType.from_slug(type.strip())
    results = library_of(request).find(
        q, type_=type_, tag=tag.strip() or None, page=page, per_page=per_page
    )
    return ResourceListOut(
        query=q,
        type=type_.slug if type_ else None,
        tag=tag.strip() or None,
        total=results.total,
        page=results.page,
        pages=results.pages,
        per_page=results.per_page,
        results=[_hit_out(hit) for hit in results.hits],
    )


@router.get(
    f"{PREFIX}/resources/{{slug}}",
    response_model=ResourceDetailOut,
    responses={404: NOT_FOUND},
    summary="One resource",
)
def get_resource(
    request: Request, slug: Annotated[str, Path(examples=["introducing-gpequity"])]
) -> ResourceDetailOut | JSONResponse:
    resource = library_of(request).get(slug)
    if resource is None:
        return error_response(404, f"no resource has the slug '{slug}'")
    return ResourceDetailOut(
        **dict(_resource_fields(resource)),
        markdown=resource.body,
        shortcodes=[
            ShortcodeOut(
                name=call.name,
                params=dict(call.params),
                csv=f"/resources/{resource.slug}/tables/{call.index + 1}.csv",
            )
            for call in resource.shortcodes
        ],
    )


# --- practices ----------------------------------------------------------------------------------


@router.get(
    f"{PREFIX}/practices",
    response_model=DirectoryOut,
    responses={
        400: {"model": ErrorOut, "description": "An empty or over-long query."},
        503: UNAVAILABLE,
    },
    summary="Search practices and ICBs",
)
def search_practices(
    reading: ApiReading,
    q: str = Query(
        "",
        description="A practice code, a postcode (full, sector or outward code), words of a "
        f"practice's, PCN's or ICB's name (misspelt too), a PCN or ICB code; at most "
        f"{MAX_QUERY_CHARS} characters.",
        examples=["SW2 1AA"],
    ),
    limit: int = Query(SEARCH_LIMIT, ge=1, le=MAX_SEARCH_LIMIT, description="Most practices."),
) -> DirectoryOut | JSONResponse:
    results = search_directory(reading.con, q, limit)
    if results.problem is QueryProblem.empty:
        return error_response(400, "q is empty: give a practice name, code or postcode")
    if results.problem is QueryProblem.too_long:
        return error_response(
            400, f"q is {len(results.query)} characters long: at most {MAX_QUERY_CHARS}"
        )
    return DirectoryOut.model_validate(results)


@router.get(
    f"{PREFIX}/practices/{{code}}",
    response_model=PracticeProfileOut,
    responses={404: NOT_FOUND, 503: UNAVAILABLE},
    summary="A practice's profile",
)
def get_practice(
    request: Request, reading: ApiReading, code: Annotated[str, Path(examples=["A81001"])]
) -> PracticeProfileOut | JSONResponse:
    profile = find_practice(request, reading, code)
    if profile is None:
        return error_response(404, f"no practice has the code '{code}' in the payments files")
    return PracticeProfileOut.model_validate(profile)


# --- ICBs ---------------------------------------------------------------------------------------


@router.get(
    f"{PREFIX}/icbs/{{code}}",
    response_model=IcbProfileOut,
    responses={404: NOT_FOUND, 503: UNAVAILABLE},
    summary="An ICB's profile",
)
def get_icb(
    reading: ApiReading,
    code: Annotated[str, Path(examples=["QHM"])],
    year: str = Query("", description="Financial year, e.g. 2022/23 [default: the latest]."),
    icb_map: IcbMap = Query(
        IcbMap.current,
        description="Group the year's practices by today's ICBs (current) or by the ICBs of "
        "that year (historic).",
    ),
) -> IcbProfileOut | JSONResponse:
    chosen = parse_year(year) if year.strip() else None
    if year.strip() and chosen is None:
        return error_response(404, f"'{year}' is not a financial year like 2022/23")
    con = reading.con
    resolution = superseded(con, code) if icb_map is IcbMap.current else None
    if resolution is not None:
        where = " or ".join(f"{PREFIX}/icbs/{i.code}" for i in resolution.current)
        return error_response(404, f"{resolution.message}" + (f": see {where}" if where else ""))
    profile = icb_profile(con, code, chosen, icb_map) if has_payments(con) else None
    if profile is None:
        detail = f"no practice is in ICB '{code}'" + (f" in {chosen}" if chosen else "")
        return error_response(404, detail + " in the payments files")
    return IcbProfileOut.model_validate(profile)


# --- payments -----------------------------------------------------------------------------------


@router.get(
    f"{PREFIX}/payments/by-deprivation",
    response_model=DeprivationOut,
    response_model_exclude_none=False,
    responses={404: NOT_FOUND, 503: UNAVAILABLE},
    summary="Payments by deprivation, with confidence intervals",
)
def get_payments_by_deprivation(
    reading: ApiReading,
    year: str = Query("", description="Financial year, e.g. 2022/23 [default: the latest]."),
    total: Total = Query(Total.core, description="Which official total."),
    exclude_prescribing: bool = Query(
        False, description="Leave out the prescribing and dispensing payment lines."
    ),
    by: By | None = Query(None, description="Split each quintile by this breakdown."),
    deciles: bool = Query(False, description="Deciles instead of quintiles."),
) -> DeprivationOut | JSONResponse:
    """The figures of ``gpequity payments by-deprivation --format json``: per group, the gap,
    the slope and concentration indices, each with its 95% confidence interval (a bootstrap
    of the practices, computed once per build of the warehouse: docs/payments-analysis.md)."""
    chosen = parse_year(year) if year.strip() else None
    if year.strip() and chosen is None:
        return error_response(404, f"'{year}' is not a financial year like 2022/23")
    if not has_payments(reading.con):
        return error_response(404, "no payments files are loaded")
    try:
        result = payments_by_deprivation(
            reading.con,
            resolve_year(reading.con, chosen),
            total=total,
            exclude_prescribing=exclude_prescribing,
            by=by,
            deciles=deciles,
        )
    except GpequityError as error:
        return error_response(404, str(error))
    return DeprivationOut.model_validate(result.as_dict())
