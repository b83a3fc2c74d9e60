"""The table look-up and the one "latest year" rule the analyses and the allocation share."""

from __future__ import annotations

import duckdb
import pytest

from gpequity.allocation.catalogue import PAYMENTS_PER_WEIGHTED_ID, catalogue_definitions
from gpequity.analysis.payments import NoPaymentYears, latest_year, loaded_years
from gpequity.tables import has_table, latest_payment_year, payment_years, table_names


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


def test_no_payments_table_means_no_year(con: duckdb.DuckDBPyConnection) -> None:
    assert payment_years(con) == []
    assert latest_payment_year(con) is None
    assert loaded_years(con) == []
    with pytest.raises(NoPaymentYears):
        latest_year(con)


def test_the_latest_year_is_the_newest_loaded_one(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE payments (year VARCHAR)")
    con.execute("INSERT INTO payments VALUES ('2022/23'), ('2019/20'), ('2023/24'), ('2022/23')")
    assert has_table(con, "payments") and "payments" in table_names(con)
    assert payment_years(con) == ["2019/20", "2022/23", "2023/24"]
    assert latest_payment_year(con) == "2023/24"
    assert latest_year(con) == latest_payment_year(con)


def test_the_allocation_offers_the_payments_of_the_same_latest_year(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute(
        "CREATE TABLE payments (year VARCHAR, practice_code VARCHAR, total_payments DECIMAL(18, 2),"
        " weighted_patients DOUBLE, registered_patients INTEGER)"
    )
    con.execute(
        "INSERT INTO payments VALUES ('2023/24', 'A1', 100, 10, 9), ('2024/25', 'A1', 120, 10, 9)"
    )
    offered = {d.entry.id: d for d in catalogue_definitions(con)}
    assert offered[PAYMENTS_PER_WEIGHTED_ID].params == {"year": latest_payment_year(con)}
    assert offered[PAYMENTS_PER_WEIGHTED_ID].entry.period == "2024/25"
