"""Quality and Outcomes Framework: childhood vaccination achievement by practice (NHS England).

A reshaped extract of the QOF publication: ``Sub ICB Loc ODS code, Sub ICB Loc ONS code, Sub ICB
Loc name, PCN ODS code, PCN name, Practice code, Practice name, perc_achievement``, one row per
practice, achievement in percent. The financial year is in the file name
(``childhood-vaccination-achievement-2023-24.csv``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from gpequity.sources import fingertips
from gpequity.sources.base import (
    LoadReport,
    has_columns,
    read_raw,
    reject_repeats,
    reject_where,
    require_year_in_name,
    year_in_name,
)

NAME = "qof"
TITLE = "QOF childhood vaccination achievement (NHS England)"

INDICATOR_ID = "qof-childhood-vaccination"
INDICATOR_NAME = "Childhood vaccination achievement (QOF)"
#: ``...-2023-24.csv`` -> 2023/24.
FILE_YEAR = re.compile(r"(\d{4})-(\d{2})(?!\d)")
#: Achievement is a percentage.
LOWEST, HIGHEST = 0.0, 100.0
#: What official statistics write for a figure that is not available (GSS convention); the
#: 2023-24 file has 27 of them. Loaded as missing, like a blank.
NOT_AVAILABLE = ":"

COLUMNS = {
    "practice_code": ("Practice code",),
    "value": ("perc_achievement",),
}

RAW = "raw_qof"


def year_from_name(path: Path) -> str | None:
    """Return ``2023/24`` for ``...-2023-24.csv``, else ``None``."""
    return year_in_name(path, FILE_YEAR)


class QofDataset:
    """Loader of the QOF childhood vaccination achievement extract."""

    name = NAME
    title = TITLE
    schema = fingertips.PRACTICE_INDICATORS_DDL

    def detect(self, path: Path, header: Sequence[str]) -> str | None:
        if not has_columns(header, "Practice code", "perc_achievement"):
            return None
        return require_year_in_name(
            path, FILE_YEAR, "QOF achievement", "childhood-vaccination-achievement-2023-24.csv"
        )

    def load(self, con: duckdb.DuckDBPyConnection, path: Path, report: LoadReport) -> None:
        col = read_raw(con, path, RAW, report, COLUMNS)
        code = f"upper({fingertips.text(col, 'practice_code')})"
        raw = fingertips.text(col, "value")
        value = f"nullif({raw}, '{NOT_AVAILABLE}')"
        fingertips.reject_unreadable(
            con, RAW, report, (code, col["practice_code"]), (value, col["value"]), "achievement"
        )
        reject_where(
            con,
            RAW,
            report,
            f"TRY_CAST({value} AS DOUBLE) NOT BETWEEN {LOWEST} AND {HIGHEST}",
            col["value"],
            lambda v: f"achievement {v} is not a percentage between 0 and 100",
            value_expr=value,
        )
        reject_repeats(
            con,
            RAW,
            report,
            code,
            col["practice_code"],
            lambda practice, first: f"practice {practice} appears again (first on row {first})",
        )
        con.execute(
            f"""
            INSERT INTO practice_indicators (source, indicator_id, indicator_name, period,
                                             practice_code, value)
            SELECT '{NAME}', '{INDICATOR_ID}', '{INDICATOR_NAME}', ?, {code},
                CAST({value} AS DOUBLE)
            FROM {RAW} WHERE NOT _rejected
            """,
            [report.period or ""],
        )
        counts = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {raw} = '{NOT_AVAILABLE}') FROM {RAW} "
            "WHERE NOT _rejected"
        ).fetchall()[0]
        report.rows_loaded = int(counts[0])
        if counts[1]:
            report.warn(
                f"practices whose achievement is '{NOT_AVAILABLE}' (not available), loaded as "
                f"missing: {counts[1]:,}"
            )
        con.execute(f"DROP TABLE {RAW}")

    def derive(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []


DATASET = QofDataset()
