"""Floors, caps and pace of change on the real eFIT files of West and North London (Z9B2Z, the
largest ICB: over 500 practices): the total stays exact to the penny, no practice is a penny
outside its limits, a limit that holds nobody changes nothing, and limits that cannot be met
name the nearest that can, which can."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from gpequity.allocation import AllocationInputError, AllocationLimits, LimitKind
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.warehouse.build import build_warehouse, connect

pytestmark = pytest.mark.realdata

ICB = "Z9B2Z"
AMOUNT = Decimal("250000")
PENNY = Decimal("0.01")


@pytest.fixture(scope="module")
def warehouse(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("efit-real-limits") / "efit.duckdb"
    build_warehouse(db, [real_data_dir / "efit"], allow_rejects=True)
    return db


SCENARIO = Scenario(
    icb_code=ICB,
    amount=AMOUNT,
    components=(ComponentChoice("imd", Decimal(60)), ComponentChoice("population", Decimal(40))),
)


def test_limits_on_the_largest_icb(warehouse: Path) -> None:
    with connect(warehouse) as con:
        plain = allocate_scenario(con, SCENARIO).result
        people = sum(Decimal(p.target_population) for p in plain.practices)
        mean = AMOUNT / people
        floor = (mean * Decimal("0.85")).quantize(Decimal("0.0001"))
        cap = (mean * Decimal("1.2")).quantize(Decimal("0.0001"))
        # a previous figure for the practices near the average (so their pace limit and the
        # floor and cap can hold together), 3% below their share now
        previous = {
            p.code: (p.allocation * Decimal("0.97")).quantize(PENNY)
            for p in plain.practices
            if p.allocation_per_patient is not None
            and mean * Decimal("0.9") <= p.allocation_per_patient <= mean * Decimal("1.1")
        }
        limits = AllocationLimits(floor=floor, cap=cap, previous=previous, max_change=Decimal(2))
        result = allocate_scenario(con, replace(SCENARIO, limits=limits)).result
        assert sum(p.allocation for p in result.practices) == AMOUNT
        kinds = {p.limit for p in result.practices}
        assert {LimitKind.FLOOR, LimitKind.CAP} <= kinds
        for p in result.practices:
            size = Decimal(p.target_population)
            assert p.allocation >= (floor * size).quantize(PENNY, ROUND_HALF_UP)
            assert p.allocation <= (cap * size).quantize(PENNY, ROUND_HALF_UP)
            if p.code in previous:
                assert (
                    abs(p.allocation - previous[p.code])
                    <= (previous[p.code] * Decimal("0.02")).quantize(PENNY, ROUND_HALF_UP) + PENNY
                )
        # a cap far above every practice holds nobody: the same pence without it
        loose = replace(limits, cap=cap * 100)
        looser = allocate_scenario(con, replace(SCENARIO, limits=loose)).result
        without = allocate_scenario(con, replace(SCENARIO, limits=replace(loose, cap=None)))
        assert [p.allocation for p in looser.practices] == [
            p.allocation for p in without.result.practices
        ]
        with pytest.raises(AllocationInputError) as raised:
            allocate_scenario(con, replace(SCENARIO, limits=AllocationLimits(floor=floor * 3)))
        [problem] = raised.value.problems
        best = Decimal(problem.message.rsplit("is £", 1)[1].split(" ")[0])
        assert best <= mean
        allocate_scenario(con, replace(SCENARIO, limits=AllocationLimits(floor=best)))
        with pytest.raises(AllocationInputError):
            step = Decimal("0.0001")
            allocate_scenario(con, replace(SCENARIO, limits=AllocationLimits(floor=best + step)))
