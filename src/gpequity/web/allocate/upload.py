"""The indicators a user uploads: what the allocation page says about the file, and the
hidden fields that carry its good values to the next submission."""

from __future__ import annotations

from dataclasses import dataclass

from gpequity.allocation import UploadedColumn, UploadProblem
from gpequity.web.allocate.formatting import count
from gpequity.web.views import Cell, Column, TableView

PROBLEM_COLUMNS = (Column("Row"), Column("Column"), Column("Problem"))
#: The row of a problem with the file as a whole (a missing column, say).
WHOLE_FILE = "Whole file"

# --- the user's own indicators -----------------------------------------------------------------


@dataclass(frozen=True)
class UploadState:
    """The indicators a user uploaded, for this request only (never stored).

    ``data`` is the good values as CSV text, which the form carries in a hidden field so the
    next submission (Calculate, a download) has them again without the file; it is read back
    with the same checks as the file.
    """

    filename: str
    columns: tuple[UploadedColumn, ...]
    problems: tuple[UploadProblem, ...]
    data: str


@dataclass(frozen=True)
class UploadView:
    """What the page says about an upload: the file, its columns, its problems."""

    filename: str
    summary: str
    columns: tuple[str, ...]
    #: The rows with problems (row, column, message); no rows when there are none.
    problems: TableView
    data: str


def present_upload(upload: UploadState | None) -> UploadView | None:
    if upload is None:
        return None
    columns = tuple(f"{c.name} ({len(c.values):,} practices with a value)" for c in upload.columns)
    if upload.columns:
        summary = (
            f"{upload.filename} gives {count(len(upload.columns), 'component', 'components')} "
            "you can choose below, under 'Your file'."
        )
    else:
        summary = f"{upload.filename} gives no column of values that can be used."
    if upload.problems:
        summary += (
            f" {count(len(upload.problems), 'problem was', 'problems were')} found; the rows "
            "with problems were left out."
        )
    problems = TableView(
        id="upload-problems-table",
        caption=f"Problems in {upload.filename}",
        columns=PROBLEM_COLUMNS,
        rows=tuple(
            (
                Cell(WHOLE_FILE if p.row is None else str(p.row)),
                Cell(p.column or ""),
                Cell(p.message),
            )
            for p in upload.problems
        ),
        small=True,
    )
    return UploadView(upload.filename, summary, columns, problems, upload.data)


def upload_fields(upload: UploadState | None) -> tuple[tuple[str, str], ...]:
    """The hidden fields that carry an upload's good values to the next submission."""
    if upload is None:
        return ()
    return (("upload_name", upload.filename), ("upload_data", upload.data))
