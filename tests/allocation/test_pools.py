"""An ICB's pool: target population and component values, read from small warehouses."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pytest

from gpequity.allocation import (
    AllocationInputError,
    Method,
)
from gpequity.allocation.pools import load_pool

# --- the pool -----------------------------------------------------------------------------------


def _band_total(
    bands: dict[str, dict[str, dict[str, int]]],
    code: str,
    sexes: Sequence[str],
    first: int,
    last: int | None,
) -> float:
    total = 0
    for sex in sexes:
        for band, n in bands[code][sex].items():
            start = 95 if band == "95+" else int(band.split("_")[0])
            if start >= first and (last is None or start <= last):
                total += n
    return float(total)


def test_pool_from_payments_bands_and_fingertips(
    con: duckdb.DuckDBPyConnection, bands: dict[str, dict[str, dict[str, int]]]
) -> None:
    pool = load_pool(
        con,
        "QAA",
        ["imd", "fingertips:91547", "age-65-plus", "childhood-vaccination"],
        sex="female",
        age_from=65,
    )
    assert [p.code for p in pool] == ["A00001", "A00002", "A00003", "A00004"]
    first = pool[0]
    assert (first.name, first.pcn_code, first.pcn_name) == (
        "Alpha One Surgery",
        "U00001",
        "Alpha PCN",
    )
    assert first.target_population == _band_total(bands, "A00001", ["FEMALE"], 65, None) == 110
    assert first.weighted_population == 1100
    # National quintiles of 2021/22 over the five practices with a score: 10, 20, 30, 40, and
    # A00004 carried forward from IMD 2015 (25).
    assert [(p.imd_score, p.imd_quintile) for p in pool] == [
        (10.0, 1),
        (30.0, 4),
        (20.0, 2),
        (25.0, 3),
    ]
    assert dict(first.values) == {
        "imd": 10.0,
        "fingertips:91547": 20.0,
        "age-65-plus": pytest.approx(100 * (100 + 10 + 80) / (50 + 100 + 10 + 40 + 80)),
        "childhood-vaccination": 90.0,
    }
    # Missing is None, never 0: A00004 has no IMD 2019 score, no persons smoking value in the
    # latest period and no vaccination row; A00003's vaccination is ':' (not available).
    assert pool[3].values["imd"] is None
    assert pool[3].values["fingertips:91547"] is None
    assert pool[3].values["childhood-vaccination"] is None
    assert pool[2].values["childhood-vaccination"] is None
    assert pool[3].pcn_code is None


@pytest.mark.parametrize(
    ("sex", "first", "last"),
    [("all", 0, None), ("male", 0, 4), ("female", 5, 69), ("all", 85, 94), ("male", 95, 95)],
)
def test_pool_target_population_by_bands(
    con: duckdb.DuckDBPyConnection,
    bands: dict[str, dict[str, dict[str, int]]],
    sex: str,
    first: int,
    last: int | None,
) -> None:
    pool = load_pool(con, "QAA", [], sex=sex, age_from=first, age_to=last)
    sexes = ["FEMALE", "MALE"] if sex == "all" else [sex.upper()]
    top = None if last is None or last >= 95 else last
    assert {p.code: p.target_population for p in pool} == {
        code: _band_total(bands, code, sexes, first, top) for code in bands if code != "B00001"
    }


def test_ages_off_the_band_edges_are_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(AllocationInputError) as caught:
        load_pool(con, "QAA", ["imd"], age_from=18, age_to=66)
    problems = {p.field: p.message for p in caught.value.problems}
    assert set(problems) == {"age_from", "age_to"}
    assert "five-year bands (0-4, 5-9, 10-14" in problems["age_from"]
    assert "90-94, 95+)" in problems["age_from"]
    assert "18 does not" in problems["age_from"]
    assert "66 does not" in problems["age_to"]


def test_unknown_component_ids_are_listed(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(AllocationInputError) as caught:
        load_pool(con, "QAA", ["imd", "nope", "zzz"])
    [problem] = caught.value.problems
    assert problem.field == "components"
    assert "nope, zzz" in problem.message
    assert "gpequity indicators --icb QAA" in problem.message


def test_pool_with_efit_single_years(econ: duckdb.DuckDBPyConnection) -> None:
    pool = load_pool(
        econ,
        "X1Y2Z",
        ["imd", "cervical-screening-25-49", "efit:hypertension-qof-prevalence"],
        age_from=18,
        age_to=64,
    )
    by_code = {p.code: p for p in pool}
    assert sorted(by_code) == ["A00001", "A00002", "B00001"]
    # Single years 18 to 64: A00001 has 5 + 7 women and 4 men; A00002 20 women and 9 men.
    assert by_code["A00001"].target_population == 16
    assert by_code["A00002"].target_population == 29
    assert by_code["B00001"].target_population == 41
    assert by_code["A00001"].name == "Alpha One (eFIT)"
    assert by_code["A00001"].weighted_population == 1200
    assert by_code["A00002"].values["cervical-screening-25-49"] is None
    # The long eFIT id is accepted as an alias of the short one.
    assert by_code["B00001"].values["efit:hypertension-qof-prevalence"] == 20.0
    # IMD 2025 ranked across every practice of the eFIT files (12.5, 20, 22, 33, 44).
    assert [(p.imd_score, p.imd_quintile) for p in pool] == [(12.5, 1), (33.0, 4), (44.0, 5)]


def test_efit_classic_sees_the_icb_as_the_published_tool(econ: duckdb.DuckDBPyConnection) -> None:
    pool = load_pool(econ, "X1Y2Z", ["imd"], method=Method.EFIT_CLASSIC)
    # The practices of the ICB's indicator file, with the patients of its population files:
    # Y00007 is listed but has none.
    assert {p.code: p.target_population for p in pool} == {
        "A00001": 30.0,
        "A00002": 37.0,
        "B00001": 49.0,
        "Y00007": 0.0,
    }


def test_pool_ages_beyond_95_or_reversed_are_errors(econ: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(AllocationInputError) as caught:
        load_pool(econ, "X1Y2Z", [], age_from=40, age_to=30)
    assert [p.field for p in caught.value.problems] == ["age_to"]
    with pytest.raises(AllocationInputError) as caught:
        load_pool(econ, "X1Y2Z", [], age_from=96)
    assert [p.field for p in caught.value.problems] == ["age_from"]
    with pytest.raises(AllocationInputError) as caught:
        load_pool(econ, "X1Y2Z", [], sex="other")
    assert [p.field for p in caught.value.problems] == ["sex"]
