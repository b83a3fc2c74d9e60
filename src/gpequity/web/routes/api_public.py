"""The open-data JSON API of the library and the profiles, documented at ``/api/docs``.

* ``GET /api/v1/resources?q=&type=&tag=&page=&per_page=``: the library, as ``/resources``
  lists it (the same search, filters and order);
* ``GET /api/v1/resources/{slug}``: one resource, its metadata and its Markdown source;
* ``GET /api/v1/practices/{code}``: a practice's profile, as ``/practices/{code}`` shows it;
* ``GET /api/v1/icbs/{code}?year=``: an ICB's profile (its practices, their spread across the
  national quintiles, the gradient by quintile against England's), as ``/icbs/{code}``.

The figures are the analysis modules' own (:mod:`gpequity.analysis.profiles`), unformatted:
money in pounds, shares as fractions. Errors are JSON: 404 ``{"detail": "..."}`` for an unknown
slug, code or year, 503 when no warehouse is loaded.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from gpequity.analysis.payments import parse_year
from gpequity.analysis.profiles import (
    IcbProfile,
    PracticeProfile,
    has_payments,
    icb_profile,
)
from gpequity.library import PER_PAGE, Hit, Resource, ResourceType
from gpequity.web.api_errors import JsonErrorsRoute, error_response
from gpequity.web.api_schema import (
    NOT_FOUND,
    PREFIX,
    UNAVAILABLE,
    GradientOut,
    IcbPracticeOut,
    IcbProfileOut,
    LinkOut,
    PaymentYearOut,
    PracticeDetailsOut,
    PracticeIndicatorOut,
    PracticeProfileOut,
    QuintileShareOut,
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


def practice_out(profile: PracticeProfile) -> PracticeProfileOut:
    """A practice's profile as the API sends it."""
    d = profile.details
    return PracticeProfileOut(
        practice=PracticeDetailsOut(
            code=d.code,
            name=d.name,
            year=d.year,
            in_latest_year=d.in_latest_year,
            postcode=d.postcode,
            icb_code=d.icb_code,
            icb_name=d.icb_name,
            pcn_code=d.pcn_code,
            pcn_name=d.pcn_name,
            registered_patients=d.registered_patients,
            weighted_patients=d.weighted_patients,
            dispensing=d.dispensing,
            rurality=d.rurality,
            contract_type=d.contract_type,
            imd_score=d.imd_score,
            imd_quintile=d.imd_quintile,
            imd_method=d.imd_method,
        ),
        payments=[
            PaymentYearOut(
                year=y.year,
                total_payments=None if y.total_payments is None else float(y.total_payments),
                per_weighted_patient=y.per_weighted_patient,
                icb_code=y.icb_code,
                icb_median=y.icb_median,
                icb_practices=y.icb_practices,
                england_median=y.england_median,
                england_practices=y.england_practices,
                imd_quintile=y.quintile,
                quintile_median=y.quintile_median,
                quintile_practices=y.quintile_practices,
            )
            for y in profile.payments
        ],
        indicators=[
            PracticeIndicatorOut(
                source=i.source,
                indicator_id=i.indicator_id,
                name=i.name,
                period=i.period,
                sex=i.sex,
                age=i.age,
                value=i.value,
                icb_median=i.icb_median,
                icb_practices=i.icb_practices,
                england_median=i.england_median,
                england_practices=i.england_practices,
                england_value=i.england_value,
            )
            for i in profile.indicators
        ],
        definition=profile.definition,
    )


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
    return practice_out(profile)


# --- ICBs ---------------------------------------------------------------------------------------


def icb_out(profile: IcbProfile) -> IcbProfileOut:
    """An ICB's profile as the API sends it."""
    return IcbProfileOut(
        code=profile.code,
        name=profile.name,
        year=profile.year,
        years=list(profile.years),
        practices=[
            IcbPracticeOut(
                code=p.code,
                name=p.name,
                pcn_name=p.pcn_name,
                postcode=p.postcode,
                registered_patients=p.registered_patients,
                weighted_patients=p.weighted_patients,
                imd_score=p.imd_score,
                imd_quintile=p.quintile,
                dispensing=p.dispensing,
                rurality=p.rurality,
                total_payments=None if p.total_payments is None else float(p.total_payments),
                per_weighted_patient=p.per_weighted_patient,
            )
            for p in profile.practices
        ],
        spread=[
            QuintileShareOut(
                imd_quintile=s.quintile,
                label=s.label,
                practices=s.practices,
                registered_patients=s.registered_patients,
                share_of_practices=s.share_of_practices,
                share_of_patients=s.share_of_patients,
            )
            for s in profile.spread
        ],
        gradient=[
            GradientOut(
                imd_quintile=g.quintile,
                label=g.label,
                icb_practices=g.icb_practices,
                icb_per_weighted_patient=g.icb_per_weighted_patient,
                england_practices=g.england_practices,
                england_per_weighted_patient=g.england_per_weighted_patient,
            )
            for g in profile.gradient
        ],
        icb_gap_q1_minus_q5=profile.icb_gap_q1_minus_q5,
        england_gap_q1_minus_q5=profile.england_gap_q1_minus_q5,
        notes=list(profile.notes),
        definition=profile.definition,
    )


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
) -> IcbProfileOut | JSONResponse:
    chosen = parse_year(year) if year.strip() else None
    if year.strip() and chosen is None:
        return error_response(404, f"'{year}' is not a financial year like 2022/23")
    con = reading.con
    profile = icb_profile(con, code, chosen) if has_payments(con) else None
    if profile is None:
        detail = f"no practice is in ICB '{code}'" + (f" in {chosen}" if chosen else "")
        return error_response(404, detail + " in the payments files")
    return icb_out(profile)
