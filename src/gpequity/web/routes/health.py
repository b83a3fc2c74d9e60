"""``/healthz``: is the app up, is there a warehouse, is its data synthetic."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gpequity.web.warehouse import warehouse_status

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


@router.get("/healthz", name="healthz")
def healthz(request: Request) -> JSONResponse:
    """``{"status": "ok", "warehouse": true|false, "synthetic": true|false|null}``.

    ``synthetic`` is ``null`` when there is no warehouse. A warehouse file that cannot be read
    is reported as ``"status": "error"`` with 503: the operator has something to fix.
    """
    try:
        status = warehouse_status(request)
    except Exception:
        logger.exception("/healthz: the warehouse cannot be read")
        return JSONResponse(
            {"status": "error", "warehouse": False, "synthetic": None}, status_code=503
        )
    return JSONResponse(
        {
            "status": "ok",
            "warehouse": status is not None,
            "synthetic": None if status is None else status.synthetic,
        }
    )
