"""Answering the code of an ICB abolished on 1 April 2026 on the ICB pages.

An ICB merged into one ICB of today (QRV into Z9B2Z) redirects to that ICB's page, which says
where the reader came from; a split one (QM7, into S1Y5D and D7T5G) gets a page naming and
linking every successor. Never a bare 404.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from gpequity.warehouse.icbs import IcbResolution
from gpequity.web.presenters_profiles import present_successors, successor_href
from gpequity.web.rendering import render


def successor_response(
    request: Request, resolution: IcbResolution, suffix: str = "", year: str = ""
) -> Response:
    """A redirect to the one successor's page (``suffix``: ``/datapack``), or the page naming
    every successor."""
    if len(resolution.current) == 1:
        href = successor_href(resolution.current[0].code, resolution.code, suffix, year)
        return RedirectResponse(href, status_code=302)
    return render(request, "profiles/successors.html", present_successors(resolution, suffix, year))
