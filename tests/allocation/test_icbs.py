"""The ICBs of the newest membership, and a clear error for an unknown code."""

from __future__ import annotations

import duckdb
import pytest

from gpequity.allocation.icbs import UnknownIcbError, find_icb, icb_practice_codes, list_icbs

# --- ICBs ---------------------------------------------------------------------------------------


def test_icbs_are_those_of_the_latest_payments_year(con: duckdb.DuckDBPyConnection) -> None:
    assert [(i.code, i.name, i.practices) for i in list_icbs(con)] == [
        ("QAA", "NHS Alpha Integrated Care Board", 4),  # Z00009 closed before 2021/22
        ("QBB", "NHS Beta ICB", 1),
    ]


def test_icbs_with_efit_are_the_2026_ones_merged_included(econ: duckdb.DuckDBPyConnection) -> None:
    icbs = {i.code: i for i in list_icbs(econ)}
    assert sorted(icbs) == ["QAA", "X1Y2Z"]  # QBB merged into X1Y2Z; A00004 and Y00007 gone
    assert icbs["X1Y2Z"].practices == 3
    assert icbs["X1Y2Z"].name == "Alpha and Beta ICB"
    assert icbs["QAA"].practices == 1
    assert icb_practice_codes(econ, "X1Y2Z") == {"A00001", "A00002", "B00001"}


def test_an_unknown_icb_says_how_to_find_the_codes(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownIcbError) as caught:
        find_icb(con, "QAB")
    [problem] = caught.value.problems
    assert problem.field == "icb_code"
    assert "'QAB' is not an ICB code" in problem.message
    assert "Did you mean " in problem.message
    assert "QAA (NHS Alpha Integrated Care Board)" in problem.message
    assert "The ICB codes are: QAA, QBB" in problem.message
    assert find_icb(con, " qaa ").code == "QAA"
