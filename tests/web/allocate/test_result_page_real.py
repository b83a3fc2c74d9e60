"""The largest ICB's result page on the real files: under 400 KB of HTML (issue 11).

West and North London (Z9B2Z, 513 practices) with the issue's scenario: £1,000,000 for women
aged 25 to 64, deprivation 50%, cervical screening (25 to 49) 30% and smoking 20%. Skipped
without the real files (../shared/data), failed without them under GPEQUITY_REQUIRE_REAL_DATA=1.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gpequity.allocation.pools import Sex, TargetPopulation
from gpequity.allocation.scenario import ComponentChoice, Scenario, allocate_scenario
from gpequity.formats import format_pounds
from gpequity.warehouse.build import connect
from gpequity.web.app import create_app

from .conftest import allocations_shown, read
from .test_result_page import MAX_PAGE_BYTES

pytestmark = pytest.mark.realdata

ICB = "Z9B2Z"
QUERY = {
    "icb": ICB,
    "amount": "1000000",
    "method": "recommended",
    "c1": "imd",
    "w1": "50",
    "c2": "cervical-screening-25-49",
    "w2": "30",
    "c3": "smoking-prevalence",
    "w3": "20",
    "sex": "female",
    "age_from": "25",
    "age_to": "64",
    "missing": "impute",
    "baseline": "per-head",
}


@pytest.fixture(scope="module")
def real_client(real_warehouse: Path) -> Iterator[TestClient]:
    with TestClient(create_app(real_warehouse)) as client:
        yield client


def test_the_largest_icbs_result_page_is_under_400_kb(
    real_client: TestClient, real_warehouse: Path
) -> None:
    response = real_client.get("/allocate", params=QUERY)
    assert response.status_code == 200
    assert len(response.content) < MAX_PAGE_BYTES
    with connect(real_warehouse) as con:
        outcome = allocate_scenario(
            con,
            Scenario(
                ICB,
                Decimal(1_000_000),
                (
                    ComponentChoice("imd", Decimal(50)),
                    ComponentChoice("cervical-screening-25-49", Decimal(30)),
                    ComponentChoice("smoking-prevalence", Decimal(20)),
                ),
                target=TargetPopulation(Sex.FEMALE, 25, 64),
            ),
        )
    # Every practice is on the page, with the engine's allocation.
    assert len(outcome.result.practices) > 500
    assert allocations_shown(read(response.text)) == {
        p.code: format_pounds(p.allocation) for p in outcome.result.practices
    }
