"""The same figure reads the same on the web page, in the CLI table and in the datapack.

Issue 16: seven formatters disagreed (``−£95.20`` on the web, ``-£95.20`` in the CLI; the
concentration index to 3, 4 or signed 4 places; "Not available", "No value", "–"; a gap of a
tenth of a penny "received £0.00 more" on one page, "the same" on another). Here a handful of
figures of one warehouse are read off all three outputs:

- a negative sum of money: England's slope index of inequality;
- a concentration index: England's;
- a gap under half a penny: England's Q1 - Q5 gap, made 0.3p by setting every practice's
  payments per weighted patient by its fifth;
- a missing value: the gap of an ICB with no practice in the least deprived fifth.

The warehouse is the demonstration one (``demo_files``), with the core totals rewritten so that
the figures are known.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.analysis.payments import payments_by_deprivation
from gpequity.cli import app
from gpequity.formats import MINUS, NOT_AVAILABLE, format_index, format_pounds
from gpequity.reports.datapack import build_datapack, present_datapack
from gpequity.reports.render import render_html
from gpequity.warehouse.build import build_warehouse, connect
from gpequity.web.app import create_app

YEAR = "2022/23"
#: Payments per weighted patient by national fifth: rising from Q1 to Q4 (a negative slope
#: index: more to the more deprived), and Q5 three tenths of a penny under Q1 (a gap that reads
#: £0.00, "the same").
RATES = {1: "130", 2: "140", 3: "150", 4: "155", 5: "129.997"}
#: Wide enough that rich never wraps a line of the CLI's output.
COLUMNS = "250"


@dataclass(frozen=True)
class Figures:
    """The four figures as one output writes them."""

    gap: str
    slope: str
    index: str
    missing: str


@pytest.fixture(scope="module")
def db(demo_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("formats-everywhere") / "demo.duckdb"
    folders = [demo_files / d for d in ("lookups", "nhs-payments", "deprivation")]
    build_warehouse(path, folders, synthetic=True)
    with duckdb.connect(str(path)) as con:
        for quintile, rate in RATES.items():
            con.execute(
                f"UPDATE payments p SET total_payments = round(p.weighted_patients * {rate}, 2) "
                "FROM practice_imd_year i WHERE i.year = p.year "
                "AND i.practice_code = p.practice_code AND i.quintile = ?",
                [quintile],
            )
    return path


@pytest.fixture(scope="module")
def con(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(db)
    yield connection
    connection.close()


def _icb_where(con: duckdb.DuckDBPyConnection, condition: str) -> str:
    row = con.execute(
        f"""
        SELECT p.icb_code FROM payments p
        JOIN practice_imd_year i USING (year, practice_code)
        WHERE p.year = ? GROUP BY 1 HAVING {condition} ORDER BY 1 LIMIT 1
        """,
        [YEAR],
    ).fetchone()
    assert row is not None, condition
    return str(row[0])


@pytest.fixture(scope="module")
def icb(con: duckdb.DuckDBPyConnection) -> str:
    """An ICB with no practice in England's least deprived fifth: its gap does not exist."""
    return _icb_where(
        con,
        "count(*) FILTER (WHERE i.quintile = 1) = 0 AND count(*) FILTER (WHERE i.quintile = 2) > 0",
    )


@pytest.fixture(scope="module")
def whole_icb(con: duckdb.DuckDBPyConnection) -> str:
    """An ICB with practices in both the least and the most deprived fifths."""
    return _icb_where(
        con,
        "count(*) FILTER (WHERE i.quintile = 1) > 0 AND count(*) FILTER (WHERE i.quintile = 5) > 0",
    )


#: A figure's confidence interval, if it has one, after the figure.
CI = r"(?: \(95% CI [^)]*\))?"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, pattern
    return match.group(1)


def web_figures(db: Path, icb: str) -> tuple[Figures, str]:
    with TestClient(create_app(db)) as client:
        funding = _text(client.get("/funding", params={"year": YEAR}).text)
        profile = _text(client.get(f"/icbs/{icb}", params={"year": YEAR}).text)
    # Each figure may be followed by its confidence interval: "£5.06 (95% CI £1.00 to £9.00)".
    per_weighted = CI + " per weighted patient"
    figures = Figures(
        gap=_find(r"Gap, Q1 \(least deprived\) minus Q5 \(most deprived\) (\S+)" + per_weighted,
                  funding),
        slope=_find(r"Slope index of inequality (\S+)" + per_weighted, funding),
        index=_find(r"Concentration index (\S+) ", funding),
        # The ICB's Q1 figure in its gradient table: it has no practice there.
        missing=_find(r"National quintile Q1 \(least deprived\) This ICB (.+?) ICB practices",
                      profile),
    )  # fmt: skip
    return figures, funding


def cli_figures(db: Path, icb: str) -> Figures:
    runner = CliRunner()
    args = ["payments", "by-deprivation", "--year", YEAR, "--db", str(db), "--format", "table"]
    national = runner.invoke(app, args, env={"COLUMNS": COLUMNS})
    by_icb = runner.invoke(app, [*args, "--by", "icb"], env={"COLUMNS": COLUMNS})
    assert national.exit_code == 0 and by_icb.exit_code == 0, national.output + by_icb.output
    measures = (
        r"gap Q1 \(least deprived\) minus Q5 \(most deprived\) (.+?)" + CI + " per weighted "
        r"patient; slope index of inequality (\S+)" + CI + r"; concentration index (\S+)"
    )
    match = re.search(r"^" + measures, national.output, re.MULTILINE)
    assert match is not None, national.output
    gap, slope, index = match.groups()
    missing = _find(rf"icb {icb}: " + measures, by_icb.output)
    return Figures(gap=gap, slope=slope, index=index, missing=missing)


def datapack_figures(con: duckdb.DuckDBPyConnection, icb: str) -> tuple[Figures, str]:
    html = render_html(present_datapack(build_datapack(con, icb, YEAR), draw_charts=False))

    def row(heading: str) -> list[str]:
        match = re.search(rf"<th scope=\"row\">{re.escape(heading)}</th>(.*?)</tr>", html)
        assert match is not None, heading
        cells = [_text(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match[1])]
        # Each figure is followed by its confidence interval when it has one.
        return [re.sub(CI + "$", "", cell) for cell in cells]

    # Columns: ICB, England (all payments), then the same without dispensing.
    gap = row("Gap: Q1 minus Q5, £ per weighted patient")
    slope = row("Slope index of inequality, £ per weighted patient")
    index = row("Concentration index")
    figures = Figures(gap=gap[1], slope=slope[1], index=index[1], missing=gap[0])
    return figures, _text(html)


def test_the_same_figures_read_the_same_on_the_web_in_the_cli_and_in_the_datapack(
    db: Path, con: duckdb.DuckDBPyConnection, icb: str, whole_icb: str
) -> None:
    england = payments_by_deprivation(con, YEAR)
    gap, slope = england.gap_q1_minus_q5["all"], england.slope_index["all"]
    index = england.concentration_index["all"]
    assert gap is not None and 0 < gap < 0.005  # the warehouse is as intended
    assert slope is not None and slope < -0.005
    assert index is not None
    expected = Figures(
        gap="£0.00", slope=format_pounds(slope), index=format_index(index), missing=NOT_AVAILABLE
    )
    assert expected.slope.startswith(MINUS)

    web, funding_text = web_figures(db, icb)
    pack, _ = datapack_figures(con, icb)
    # The England gap in words is in the reading of a pack whose own gap exists.
    _, pack_text = datapack_figures(con, whole_icb)
    assert web == expected
    assert cli_figures(db, icb) == expected
    assert pack == expected
    # And a gap that reads £0.00 is "the same" in words, never "£0.00 more".
    assert "both received the same per weighted patient" in funding_text
    assert "across England they received the same" in pack_text
    assert "£0.00 more" not in funding_text + pack_text
