"""Whole scenarios, end to end, and a demonstration warehouse for every ICB at once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from gpequity.allocation import (
    AllocationInputError,
    Baseline,
    MissingPolicy,
    allocate,
)
from gpequity.allocation.catalogue import build_catalogue
from gpequity.allocation.icbs import list_icbs
from gpequity.allocation.pools import TargetPopulation, load_pool
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    allocate_scenario,
    outcome_as_dict,
)
from gpequity.sources.demo import ICBS_2026
from gpequity.warehouse.build import build_warehouse, connect

# --- whole scenarios ------------------------------------------------------------------------------


def test_scenario_end_to_end(econ: duckdb.DuckDBPyConnection) -> None:
    scenario = Scenario(
        icb_code="x1y2z",
        amount=Decimal("1000"),
        components=(
            ComponentChoice("imd", Decimal(50)),
            ComponentChoice("cervical-screening-25-49", Decimal(50)),
        ),
        target=TargetPopulation(age_from=18, age_to=64),
        missing_policy=MissingPolicy.EXCLUDE,
        excluded_practices=frozenset({"b00001"}),
        baseline=Baseline.WEIGHTED_POPULATION,
    )
    data = outcome_as_dict(allocate_scenario(econ, scenario))
    assert data["icb"] == "X1Y2Z"
    assert [(p["practice_code"], p["allocation"]) for p in data["practices"]] == [
        # IMD pot £500 by 16 × 12.5 : 29 × 33; cervical pot £500 all to A00001 (A00002 has no
        # value and missing values are excluded): 500 × 200/1157 + 500 = 586.43...
        ("A00001", 586.43),
        ("A00002", 413.57),
    ]
    assert data["excluded"] == [
        {
            "practice_code": "B00001",
            "practice_name": "Beta One (eFIT)",
            "reason": "Left out at your request (for example, funded by another route).",
        }
    ]
    # Weighted baseline: 1000 × 1200 / 3300 and 1000 × 2100 / 3300.
    assert [p["baseline"] for p in data["practices"]] == [363.64, 636.36]
    assert data["inputs"]["target_population"] == "patients aged 18 to 64"
    assert data["inputs"]["excluded_practices"] == ["B00001"]


def test_scenario_problems_are_listed_field_by_field(econ: duckdb.DuckDBPyConnection) -> None:
    scenario = Scenario(
        icb_code="X1Y2Z",
        amount=Decimal("10.001"),
        components=(ComponentChoice("imd", Decimal(60)), ComponentChoice("nope", Decimal(40))),
        target=TargetPopulation(age_from=50, age_to=20),
    )
    with pytest.raises(AllocationInputError) as caught:
        allocate_scenario(econ, scenario)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["age_to", "components[1].id", "amount"]


def test_an_unknown_icb_does_not_hide_the_other_problems(
    econ: duckdb.DuckDBPyConnection,
) -> None:
    """Issue 11: a negative amount, weights adding to 90 and an age range 64-25 are reported
    together, with an unknown ICB as a fourth."""
    scenario = Scenario(
        icb_code="ZZZ",
        amount=Decimal(-1000),
        components=(
            ComponentChoice("imd", Decimal(50)),
            ComponentChoice("population", Decimal(40)),
        ),
        target=TargetPopulation(age_from=64, age_to=25),
    )
    with pytest.raises(AllocationInputError) as caught:
        allocate_scenario(econ, scenario)
    messages = {p.field: p.message for p in caught.value.problems}
    assert list(messages) == ["icb_code", "age_to", "amount", "components"]
    assert "'ZZZ' is not an ICB code" in messages["icb_code"]
    assert messages["amount"] == "The amount must be more than £0."
    assert messages["components"] == (
        "The weights must add up to exactly 100%; they add up to 90%."
    )
    assert messages["age_to"].startswith("The oldest age must be a whole number from 64")


# --- the demonstration warehouse: every ICB -----------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gpequity.sources.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder / "files", seed=31, practices=300)
    db = folder / "demo.duckdb"
    build_warehouse(db, [folder / "files"])
    return db


def test_every_demo_icb_has_a_catalogue_and_allocates(demo_db: Path) -> None:
    with connect(demo_db) as connection:
        icbs = list_icbs(connection)
        # The pools are the ICBs in force, the 36 of April 2026 that the demo's eFIT files use.
        assert len(icbs) == 36
        assert {i.code for i in icbs} == {i.code for i in ICBS_2026}
        for icb in icbs:
            entries = build_catalogue(connection, icb.code)
            ids = [e.id for e in entries]
            assert ids[:3] == ["imd", "population", "weighted-population"]
            assert len(ids) == len(set(ids))
            assert all(e.coverage is not None and 0 <= e.coverage <= 1 for e in entries)
        icb = icbs[0]
        ids = [e.id for e in build_catalogue(connection, icb.code)]
        pool = load_pool(connection, icb.code, ids, sex="female", age_from=18, age_to=64)
        assert len(pool) == icb.practices
        assert all(set(p.values) == set(ids) - {"population", "weighted-population"} for p in pool)
        outcome = allocate_scenario(
            connection,
            Scenario(icb.code, Decimal("99999.99"), (ComponentChoice("imd", Decimal(100)),)),
        )
        total = sum((p.allocation for p in outcome.result.practices), Decimal(0))
        assert total == Decimal("99999.99")
        request = outcome.result.request
        assert allocate(request, pool).practices  # the same pool, straight into the engine
