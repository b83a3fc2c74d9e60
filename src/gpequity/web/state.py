"""What the app holds and serves, as every route may ask it: the resource library that
``create_app`` loaded, and whether the datapack pages are served (the warehouse is
:mod:`gpequity.web.warehouse`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import NoMatchFound

from gpequity.library import Library

#: The name of the datapack page's route (``routes/datapack.py``), linked from other pages
#: when the app serves it.
DATAPACK_ROUTE = "icb_datapack"


def library_of(request: Request) -> Library:
    """The app's library (loaded by ``create_app``)."""
    library: Library = request.app.state.library
    return library


def datapack_href(request: Request, code: str) -> str | None:
    """The ICB's datapack page, if this app serves one.

    Asked by route name: routers included in the app do not all show in ``app.routes``.
    """
    try:
        return str(request.app.url_path_for(DATAPACK_ROUTE, code=code))
    except NoMatchFound:
        return None


def serves_datapacks(request: Request) -> bool:
    """Whether this app has the datapack pages (so other pages may offer them)."""
    return datapack_href(request, "ICB") is not None
