"""The app's routes, one module per page or group of pages.

Routes stay thin: read the request, call a presenter (which calls the analyses), render. To add
a page, write its module here with an ``APIRouter`` named ``router``, add the router to
``ROUTERS``, and (if it belongs in the header) an entry to ``gpequity.web.site.NAVIGATION``.
"""

from __future__ import annotations

from fastapi import APIRouter

from gpequity.web.routes import (
    api_public,
    data,
    funding,
    health,
    home,
    icb_map,
    library,
    profiles,
)
from gpequity.web.routes.allocate import router as allocate_router
from gpequity.web.routes.datapack import router as datapack_router

ROUTERS: tuple[APIRouter, ...] = (
    home.router,
    allocate_router,
    funding.router,
    library.router,
    icb_map.router,
    profiles.router,
    api_public.router,
    datapack_router,
    data.router,
    health.router,
)
