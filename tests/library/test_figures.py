"""A live figure is the analysis its shortcode names, of the year it names (the latest by
default), or a sentence saying why it cannot be shown."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from gpequity.analysis.payments import (
    Total,
    latest_year,
    national_summary,
    payments_by_deprivation,
    payments_trend,
)
from gpequity.library import ShortcodeCall
from gpequity.library.figures import NO_PAYMENTS, figure_result
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse


def call(name: str, **params: str) -> ShortcodeCall:
    return ShortcodeCall(name, tuple((k.replace("_", "-"), v) for k, v in params.items()), 1, 0)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    tmp = tmp_path_factory.mktemp("figures")
    generate_demo(tmp / "demo", seed=41, practices=60)
    db = tmp / "demo.duckdb"
    build_warehouse(db, [tmp / "demo" / d for d in ("lookups", "nhs-payments", "deprivation")])
    connection = duckdb.connect(str(db), read_only=True)
    yield connection
    connection.close()


def test_each_shortcode_is_its_analysis(con: duckdb.DuckDBPyConnection) -> None:
    latest = latest_year(con)
    assert latest == "2022/23"
    assert figure_result(con, call("national-summary")) == national_summary(con, latest)
    assert figure_result(con, call("national-summary", year="2021/22")) == national_summary(
        con, "2021/22"
    )
    assert figure_result(con, call("quintile-table", year="latest")) == payments_by_deprivation(
        con, latest
    )
    assert figure_result(
        con, call("quintile-table", total="incl_covid", exclude_prescribing="yes")
    ) == payments_by_deprivation(con, latest, total=Total.incl_covid, exclude_prescribing=True)
    assert figure_result(con, call("trend-table")) == payments_trend(con)


def test_a_figure_that_cannot_be_shown_says_why(con: duckdb.DuckDBPyConnection) -> None:
    found = figure_result(con, call("quintile-table", year="2019/20"))
    assert isinstance(found, str)
    assert found.startswith("This figure cannot be shown: year 2019/20 is not loaded")
    assert figure_result(duckdb.connect(), call("trend-table")) == NO_PAYMENTS
