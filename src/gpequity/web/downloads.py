"""Downloads: tables as CSV files, written by :func:`gpequity.exports.write_csv`.

Every download goes through the project's one CSV writer, which neutralises cells a spreadsheet
would run as formulas (CSV injection), so a file name or practice name cannot become one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.responses import Response

from gpequity.exports import write_csv


def csv_response(
    rows: Iterable[Sequence[object]], header: Sequence[str], filename: str
) -> Response:
    """A CSV file to download: UTF-8, one header row, formula-like text cells neutralised."""
    return Response(
        write_csv(rows, header),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
