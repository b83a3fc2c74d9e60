"""What the app holds and serves: its library, and whether it has the datapack pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request

from gpequity.web.app import create_app
from gpequity.web.state import datapack_href, library_of, serves_datapacks


def request_to(app: FastAPI) -> Request:
    return Request({"type": "http", "app": app, "method": "GET", "path": "/", "headers": []})


def test_the_full_app_offers_its_datapacks_and_its_library(tmp_path: Path) -> None:
    app = create_app(tmp_path / "none.duckdb")
    request = request_to(app)
    assert datapack_href(request, "QHM") == "/icbs/QHM/datapack"
    assert serves_datapacks(request)
    assert library_of(request) is app.state.library


def test_an_app_without_the_datapack_pages_offers_none() -> None:
    request = request_to(FastAPI())
    assert datapack_href(request, "QHM") is None
    assert not serves_datapacks(request)
