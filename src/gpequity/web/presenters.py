"""Presenters: turn what the warehouse and the analyses return into what a template shows.

Every figure, label and format is decided here, so templates only place values in markup and
the same value reads the same wherever it appears. A presenter takes plain data (for instance
a :class:`~gpequity.warehouse.status.WarehouseStatus`) and returns a frozen view object; it
never reads the request, the database or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

from gpequity.formats import NO_PERIODS, format_count
from gpequity.warehouse.status import SourceRow, WarehouseStatus
from gpequity.web import site
from gpequity.web.views import Column, TableView, text_table

#: Characters of a file's SHA-256 shown in tables; the rest is there for screen readers and
#: for copying, visually hidden.
SHA256_SHOWN = 12
#: Shown in a table cell that has no value (a dataset without periods).
#: Where the Data page's files table is downloaded as CSV.
SOURCES_CSV_PATH = "/data/sources.csv"
#: The columns of that CSV, in order.
SOURCES_CSV_HEADER = (
    "dataset",
    "title",
    "period",
    "file",
    "sha256",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "loaded_at",
)


# --- the layout: header, navigation, banner, footer -------------------------------------------


@dataclass(frozen=True)
class NavLink:
    """A navigation link as the header shows it.

    ``aria_current`` is ``"page"`` on the page itself, ``"true"`` on a page below it, else
    ``None`` (the design system's convention for the current and the active item).
    """

    label: str
    href: str
    aria_current: str | None


@dataclass(frozen=True)
class Layout:
    """What every page shows around its content."""

    service_name: str
    service_short_name: str
    navigation: list[NavLink]
    synthetic: bool
    synthetic_notice: str
    ogl_url: str
    source_code_url: str | None


def present_layout(path: str, status: WarehouseStatus | None) -> Layout:
    """The layout for the page at ``path``, given the warehouse's status (``None``: no data)."""
    return Layout(
        service_name=site.SERVICE_NAME,
        service_short_name=site.SERVICE_SHORT_NAME,
        navigation=[
            NavLink(entry.label, entry.href, nav_current(entry.href, path))
            for entry in site.NAVIGATION
        ],
        synthetic=status is not None and status.synthetic,
        synthetic_notice=site.SYNTHETIC_DATA_NOTICE,
        ogl_url=site.OGL_URL,
        source_code_url=site.SOURCE_CODE_URL,
    )


def nav_current(href: str, path: str) -> str | None:
    """``aria-current`` for a navigation link: the page itself, a page below it, or neither."""
    if path == href:
        return "page"
    if href != "/" and path.startswith(href.rstrip("/") + "/"):
        return "true"
    return None


# --- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """One loaded file as the Data page's files table shows it."""

    dataset_title: str
    period: str
    file_name: str
    rows_read: str
    rows_loaded: str
    rows_rejected: str
    sha256: str
    sha256_shown: str
    sha256_hidden: str
    loaded_at: str


@dataclass(frozen=True)
class DataPage:
    """The Data page: what the warehouse holds and where every figure came from."""

    title: str
    has_data: bool
    synthetic: bool
    data_kind: str
    built_at: str
    file_count: str
    #: One row a dataset in the warehouse: its title, periods and how many files it came from.
    datasets: TableView
    files: list[SourceFile]
    warnings: list[str]
    csv_href: str


def present_data_page(status: WarehouseStatus | None) -> DataPage:
    """The Data page for a warehouse, or its "no data loaded yet" state."""
    if status is None:
        return DataPage(
            title="Data",
            has_data=False,
            synthetic=False,
            data_kind="",
            built_at="",
            file_count="0",
            datasets=present_datasets(None, {}, {}),
            files=[],
            warnings=[],
            csv_href=SOURCES_CSV_PATH,
        )
    files_per_dataset: dict[str, int] = {}
    titles: dict[str, str] = {}
    for source in status.sources:
        files_per_dataset[source.dataset] = files_per_dataset.get(source.dataset, 0) + 1
        titles[source.dataset] = source.title
    return DataPage(
        title="Data",
        has_data=True,
        synthetic=status.synthetic,
        data_kind=(
            "Synthetic demonstration data in the official file formats"
            if status.synthetic
            else "Official published files"
        ),
        built_at=format_timestamp(status.built_at),
        file_count=format_count(len(status.sources)),
        datasets=present_datasets(status, titles, files_per_dataset),
        files=[present_source_file(source) for source in status.sources],
        warnings=list(status.warnings),
        csv_href=SOURCES_CSV_PATH,
    )


DATASET_COLUMNS = (Column("Dataset"), Column("Periods"), Column("Files", numeric=True))


def present_datasets(
    status: WarehouseStatus | None, titles: dict[str, str], files_per_dataset: dict[str, int]
) -> TableView:
    """The Data page's datasets table: each dataset's title, periods and number of files."""
    rows = (
        ()
        if status is None
        else (
            (
                titles[name],
                ", ".join(periods) if periods else NO_PERIODS,
                format_count(files_per_dataset[name]),
            )
            for name, periods in status.datasets.items()
        )
    )
    return text_table("Datasets loaded", DATASET_COLUMNS, rows, id="datasets-table")


def present_source_file(source: SourceRow) -> SourceFile:
    return SourceFile(
        dataset_title=source.title,
        period=source.period or NO_PERIODS,
        file_name=file_name(source.path),
        rows_read=format_count(source.rows_read),
        rows_loaded=format_count(source.rows_loaded),
        rows_rejected=format_count(source.rows_rejected),
        sha256=source.sha256,
        sha256_shown=source.sha256[:SHA256_SHOWN],
        sha256_hidden=source.sha256[SHA256_SHOWN:],
        loaded_at=format_time(source.loaded_at),
    )


def sources_csv(status: WarehouseStatus) -> tuple[tuple[str, ...], list[list[str | int]]]:
    """The Data page's files table as CSV columns and rows: full checksums, plain numbers.

    The file is named, not its path on the server that loaded it.
    """
    rows: list[list[str | int]] = [
        [
            s.dataset,
            s.title,
            s.period or "",
            file_name(s.path),
            s.sha256,
            s.rows_read,
            s.rows_loaded,
            s.rows_rejected,
            s.loaded_at,
        ]
        for s in status.sources
    ]
    return SOURCES_CSV_HEADER, rows


@dataclass(frozen=True)
class ErrorPage:
    """An error page: the status code and its name (``Page not found``)."""

    title: str
    status_code: int


def present_error(status_code: int) -> ErrorPage:
    if status_code == HTTPStatus.NOT_FOUND:
        title = "Page not found"
    elif status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
        title = "Sorry, there is a problem with the service"
    else:
        try:
            title = HTTPStatus(status_code).phrase
        except ValueError:
            title = "Sorry, the request could not be completed"
    return ErrorPage(title=title, status_code=status_code)


# --- formats ----------------------------------------------------------------------------------


def format_timestamp(value: str | None) -> str:
    """A warehouse timestamp (UTC, ISO 8601) to the second: ``2026-11-23 12:00:19 UTC``."""
    return _format_moment(value, "%Y-%m-%d %H:%M:%S UTC")


def format_time(value: str | None) -> str:
    """The same without "UTC", for a table whose heading says it: ``2026-11-23 12:00:19``."""
    return _format_moment(value, "%Y-%m-%d %H:%M:%S")


def _format_moment(value: str | None, layout: str) -> str:
    if not value:
        return "Not recorded"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.strftime(layout)


def file_name(path: str) -> str:
    """The last part of a recorded path or URL (either kind of slash)."""
    parts: Sequence[str] = [p for p in re.split(r"[\\/]", path) if p]
    return parts[-1] if parts else path
