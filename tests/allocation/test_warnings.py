"""Data-quality warnings: hand-made pools for each rule, and one sparse indicator seen through
the three doors (CLI JSON, API JSON, web page) on a small warehouse of eFIT files.

The sparse warehouse is one ICB (QSP) of 20 practices, each with 100 patients; IMD is given for
all, "Smoking: QOF prevalence" for one practice only (5%), "Hypertension: QOF prevalence" for 15
(75%: 5 missing, 25%).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gpequity.allocation import (
    AllocationRequest,
    ComponentKind,
    ComponentSpec,
    Direction,
    Method,
    MissingPolicy,
    PracticeInput,
    Unit,
    allocate,
)
from gpequity.allocation.catalogue import IndicatorEntry, offered_entries
from gpequity.allocation.warnings import (
    ALLOW_SPARSE_FIELD,
    AllocationWarning,
    check_missing_values,
    no_population_warning,
    outside_icb_warning,
)
from gpequity.cli import app
from gpequity.warehouse.build import build_warehouse
from gpequity.web.app import create_app

INDICATOR = ComponentSpec("x", "Local need", Decimal(50), Direction.HIGHER, Unit.SCORE)
PER_HEAD = ComponentSpec(
    "population", "Population only", Decimal(50), kind=ComponentKind.POPULATION
)


def pool(missing: int, size: int = 10) -> list[PracticeInput]:
    """``size`` practices of 100 patients; the first ``missing`` have no value for ``x``."""
    return [
        PracticeInput(
            f"P{n:05d}", f"Practice {n}", 100.0, {"x": None if n < missing else float(n + 1)}
        )
        for n in range(size)
    ]


def request(**changes: Any) -> AllocationRequest:
    return AllocationRequest("QAA", Decimal(1000), (INDICATOR, PER_HEAD), **changes)


# --- the rules, by hand ---------------------------------------------------------------------


def test_a_fifth_missing_says_nothing_more_than_a_fifth_warns_with_the_count() -> None:
    assert check_missing_values(request(), pool(2), allow_sparse=False) == ([], [])
    warnings, problems = check_missing_values(request(), pool(3), allow_sparse=False)
    assert problems == []
    assert warnings == [
        AllocationWarning(
            "sparse-component",
            "'Local need' has no value for 3 practices of 10 (30.0%): they were given the ICB "
            "median of the practices that have one.",
            component="x",
            practices=("P00000", "P00001", "P00002"),
        )
    ]


def test_over_half_missing_needs_the_confirmation() -> None:
    warnings, problems = check_missing_values(request(), pool(6), allow_sparse=False)
    assert warnings == []
    assert [p.field for p in problems] == [ALLOW_SPARSE_FIELD]
    assert "'Local need' (component 1) has no value for 6 practices of 10 (60.0%)" in (
        problems[0].message
    )
    warnings, problems = check_missing_values(request(), pool(6), allow_sparse=True)
    assert problems == []
    assert warnings[0].message.endswith("You confirmed its use.")
    # Exactly half is not over half.
    assert check_missing_values(request(), pool(5), allow_sparse=False)[1] == []


def test_the_message_says_what_the_method_did_with_the_missing_values() -> None:
    excluded = check_missing_values(
        request(missing_policy=MissingPolicy.EXCLUDE), pool(3), allow_sparse=False
    )[0]
    assert "they get no share of it (missing values excluded" in excluded[0].message
    classic = check_missing_values(
        request(method=Method.EFIT_CLASSIC), pool(3), allow_sparse=False
    )[0]
    assert "eFIT classic counts a missing value as zero" in classic[0].message


def test_practices_left_out_do_not_count() -> None:
    # 3 of 10 missing, but two of them left out: 1 of 8 missing, under a fifth.
    left_out = request(excluded_practices=frozenset({"P00000", "P00001"}))
    assert check_missing_values(left_out, pool(3), allow_sparse=False) == ([], [])
    # With no patients they are not in the pool either.
    practices = pool(3)
    practices[0] = PracticeInput("P00000", "Practice 0", 0.0, {"x": None})
    practices[1] = PracticeInput("P00001", "Practice 1", 0.0, {"x": None})
    assert check_missing_values(request(), practices, allow_sparse=False) == ([], [])


def test_practices_outside_the_icb_and_the_money_they_take() -> None:
    practices = pool(0, size=4)
    result = allocate(request(method=Method.EFIT_CLASSIC), practices)
    warning = outside_icb_warning(result, practices, {"P00000", "P00001"})
    assert warning is not None
    taken = sum(p.allocation for p in result.practices if p.code in {"P00002", "P00003"})
    assert taken == Decimal("600.00")  # x: 3 + 4 of 10 on £500; per head: 2 of 4 on £500
    assert warning.practices == ("P00002", "P00003")
    assert "they take £600.00 of £1,000.00" in warning.message
    assert outside_icb_warning(result, practices, {p.code for p in practices}) is None


def test_practices_with_no_target_population_are_listed() -> None:
    practices = pool(0, size=4)
    practices[3] = PracticeInput("P00003", "Practice 3", 0.0, {"x": 4.0})
    result = allocate(request(), practices)
    warning = no_population_warning(result, "female patients aged 0 to 4")
    assert warning == AllocationWarning(
        "no-target-population",
        "1 practice has nobody in the target population (female patients aged 0 to 4) and "
        "gets nothing (P00003); see the practices given nothing.",
        practices=("P00003",),
    )
    assert no_population_warning(allocate(request(), pool(0, size=4)), "anyone") is None


def test_the_catalogue_offers_each_indicator_once_and_only_with_values() -> None:
    def entry(id_: str, name: str, coverage: float) -> IndicatorEntry:
        return IndicatorEntry(id_, name, Unit.PERCENTAGE, Direction.HIGHER, None, "s", coverage)

    entries = [
        entry("imd", "Deprivation score (IMD)", 0.0),
        entry("dementia-prevalence", "Dementia: QOF prevalence", 0.98),
        entry("fingertips:247", "Dementia: QOF prevalence (all ages)", 0.0),
        entry("ld-efit", "Learning disability: QOF prevalence", 0.5),
        entry("fingertips:200", "Learning disability: QOF prevalence (all ages)", 0.9),
        entry("smoking", "Smoking: QOF prevalence", 0.97),
    ]
    assert [e.id for e in offered_entries(entries)] == [
        "imd",
        "dementia-prevalence",
        "fingertips:200",
        "smoking",
    ]


# --- a 5%-coverage indicator through the three doors ------------------------------------------

ICB = "QSP"
PRACTICES = 20
SPARSE = "Smoking: QOF prevalence"
HALF = "Hypertension: QOF prevalence"


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def sparse_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sparse") / "efit"
    header = ["ICB name", "GP code", "GP name", "Deprivation score (IMD 2025)", SPARSE, HALF]
    rows = [
        [
            "Sparse ICB",
            f"S{n:05d}",
            f"Surgery {n}",
            10 + n,
            20 if n == 0 else "",
            n if n < 15 else "",
        ]
        for n in range(PRACTICES)
    ]
    _write(folder / f"indicators/indicator_{ICB}_2025-26_v1.csv", header, rows)
    for sex in ("f", "m"):
        _write(
            folder / f"population/{sex}_pop_{ICB}_2026-27.csv",
            ["GP code", *(str(a) for a in range(96))],
            [[f"S{n:05d}", "50.0", *([""] * 95)] for n in range(PRACTICES)],
        )
    db = folder.parent / "sparse.duckdb"
    build_warehouse(db, [folder])
    return db


@pytest.fixture(scope="module")
def client(sparse_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(sparse_db)) as test_client:
        yield test_client


def _cli(db: Path, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--db", str(db)], catch_exceptions=False)


CLI_ARGS = ("allocate", "--icb", ICB, "--amount", "1000", "--component", "imd:50")
SPARSE_MESSAGE = (
    "'Smoking: QOF prevalence' has no value for 19 practices of 20 (95.0%): they were given the "
    "ICB median of the practices that have one. You confirmed its use."
)


def test_the_cli_refuses_a_sparse_component_without_allow_sparse(sparse_db: Path) -> None:
    result = _cli(sparse_db, *CLI_ARGS, "--component", "smoking-prevalence:50")
    assert result.exit_code == 1
    assert (
        "- --allow-sparse: 'Smoking: QOF prevalence' (component 2) has no value for 19 "
        "practices of 20 (95.0%), more than half" in result.stderr
    )


def test_the_cli_json_and_the_api_json_carry_the_same_warning(
    sparse_db: Path, client: TestClient
) -> None:
    result = _cli(
        sparse_db,
        *CLI_ARGS,
        "--component",
        "smoking-prevalence:50",
        "--allow-sparse",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = {
        "code": "sparse-component",
        "message": SPARSE_MESSAGE,
        "component": "smoking-prevalence",
        "practices": [f"S{n:05d}" for n in range(1, PRACTICES)],
    }
    assert data["warnings"] == [expected]
    assert data["inputs"]["allow_sparse"] is True
    # The warning is printed for the person running the command too.
    assert f"warning [sparse-component]: {SPARSE_MESSAGE}" in result.stderr

    body = {
        "icb": ICB,
        "amount": "1000",
        "components": [{"id": "imd", "weight": 50}, {"id": "smoking-prevalence", "weight": 50}],
    }
    refused = client.post("/api/v1/allocations", json=body)
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "allow_sparse"]]
    answer = client.post("/api/v1/allocations", json={**body, "allow_sparse": True})
    assert answer.status_code == 200
    assert answer.json() == data


def test_a_quarter_missing_warns_without_asking(sparse_db: Path, client: TestClient) -> None:
    body = {
        "icb": ICB,
        "amount": "1000",
        "components": [
            {"id": "imd", "weight": 50},
            {"id": "hypertension-prevalence", "weight": 50},
        ],
    }
    warnings = client.post("/api/v1/allocations", json=body).json()["warnings"]
    assert [(w["code"], w["component"], len(w["practices"])) for w in warnings] == [
        ("sparse-component", "hypertension-prevalence", 5)
    ]


def test_the_web_page_shows_the_warning_and_the_tick_box_confirms(client: TestClient) -> None:
    query = {
        "icb": ICB,
        "amount": "1000",
        "method": "recommended",
        "c1": "imd",
        "w1": "50",
        "c2": "smoking-prevalence",
        "w2": "50",
    }
    refused = client.get("/allocate", params=query)
    assert refused.status_code == 422
    assert 'id="allow_sparse-error"' in refused.text
    assert "has no value for 19 practices of 20 (95.0%), more than half" in refused.text
    page = client.get("/allocate", params={**query, "allow_sparse": "1"})
    assert page.status_code == 200
    assert SPARSE_MESSAGE.replace("'", "&#39;") in page.text
    # The link that reproduces it keeps the confirmation.
    assert "allow_sparse=1" in page.text
