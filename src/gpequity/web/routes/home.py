"""The home page: what the service offers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gpequity.web.presenters import present_home
from gpequity.web.rendering import render
from gpequity.web.warehouse import warehouse_status

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", present_home(warehouse_status(request)))
