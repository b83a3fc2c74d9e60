"""eFIT classic on the real eFIT input files gives the published tool's numbers.

The engine's figures (``load_pool`` from a warehouse built from ``../shared/data/efit``, then
``allocate``) are compared, practice by practice, with a plain re-computation of the published
formula written here from the raw CSV files with the ``csv`` module (domain notes, "The
published eFIT tool's own formula"):

    A_i = F × [w_pop/100 × P_i / Σ_j P_j + Σ_k w_k/100 × P_i c_ik / Σ_j P_j c_jk]

where ``w_pop = 100 - Σ w_k``, ``c_ik = 1 - x_ik / Σ_j x_jk`` for a lower-is-more-need indicator
and ``x_ik`` otherwise, a missing value counts as zero (no share of that component), the
"Weighted population" column replaces ``P_i c_ik`` whatever the target population, and the
practices are those of the ICB's indicator file, with the patients of the ICB's own population
files (single years 0 to 95, 95 meaning 95 and over).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from gpequity.allocation import (
    AllocationRequest,
    ComponentSpec,
    Direction,
    Method,
    allocate,
)
from gpequity.allocation.catalogue import build_catalogue
from gpequity.allocation.pools import load_pool
from gpequity.warehouse.build import build_warehouse, connect

pytestmark = pytest.mark.realdata

AMOUNT = 250_000
PENNY = 0.01
OLDEST = 95
WEIGHTED_POPULATION = "Weighted population"


@dataclass(frozen=True)
class Case:
    """An ICB, its components (indicator file column, weight %, direction) and the target."""

    icb: str
    components: tuple[tuple[str, int, str], ...]
    sex: str = "all"
    age_from: int = 0
    age_to: int | None = None

    def __str__(self) -> str:
        parts = "+".join(f"{c[0][:24]}:{c[1]}:{c[2]}" for c in self.components)
        return f"{self.icb}-{parts}-{self.sex}-{self.age_from}-{self.age_to}"


IMD = "Deprivation score (IMD 2025)"
CASES = [
    Case("QHM", ((IMD, 50, "higher"), ("Hypertension: QOF prevalence", 50, "higher"))),
    # The ICB merged in April 2026, a lower-is-more-need screening indicator, women 25 to 49,
    # and 30% left to the per-head share.
    Case(
        "D7T5G",
        (
            ("Smoking: QOF prevalence", 30, "higher"),
            ("Cervical screening coverage: aged 25 to 49 years old", 40, "lower"),
        ),
        sex="female",
        age_from=25,
        age_to=49,
    ),
    Case("D7T5G", ((WEIGHTED_POPULATION, 50, "higher"), (IMD, 50, "higher"))),
    # South Yorkshire's indicator file also lists 169 South West London practices, which have
    # no population in its population files: the tool gives them nothing.
    Case(
        "QF7",
        (("Diabetes: QOF prevalence", 50, "higher"),),
        sex="male",
        age_from=80,
    ),
    Case(
        "Z9B2Z",
        (("Depression: QOF incidence - new diagnosis", 40, "higher"),),
        age_from=18,
        age_to=64,
    ),
    Case("S9B9J", (("Asthma: QOF prevalence", 100, "higher"),), sex="male", age_to=17),
    Case(
        "QOC",
        (
            (
                "Children who received at least 1 dose of MMR vaccine between the ages of 1 "
                "and 1.5 yrs",
                100,
                "lower",
            ),
        ),
        age_to=4,
    ),
    Case(
        "QGH",
        (
            (
                "Last BP reading of patients (80+ yrs, with hypertension), in the last 12 months "
                "is <= 150/90 mmHg (denominator incl. PCAs)",
                50,
                "lower",
            ),
            ("Dementia: QOF prevalence", 25, "higher"),
            (WEIGHTED_POPULATION, 25, "higher"),
        ),
        age_from=80,
    ),
    # A higher-is-more-need indicator turned round.
    Case("QJM", ((IMD, 60, "lower"),), sex="female"),
]

# Practices with no target population: QHM's indicator file lists 5 practices that are in none
# of its population files, QF7's 170. The tool still counts their values in the sum of a
# lower-is-more-need indicator, and gives them their share of the weighted list.
CASES += [
    Case("QHM", (("Cervical screening coverage: aged 25 to 49 years old", 100, "lower"),)),
    Case("QHM", ((WEIGHTED_POPULATION, 100, "higher"),)),
    Case(
        "QF7",
        (
            ("Diabetes: QOF prevalence", 50, "higher"),
            (
                "Last BP reading of patients (80+ yrs, with hypertension), in the last 12 months "
                "is <= 150/90 mmHg (denominator incl. PCAs)",
                30,
                "lower",
            ),
            (WEIGHTED_POPULATION, 10, "higher"),
        ),
        sex="male",
        age_from=80,
    ),
]


# --- the published formula, from the raw files -------------------------------------------


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def indicator_file(efit: Path, icb: str) -> Path:
    """The ICB's indicator file (its latest version, ``_vN``)."""
    files = sorted(
        (efit / "indicators").glob(f"indicator_{icb}_*.csv"),
        key=lambda p: int(p.stem.rsplit("_v", 1)[1]),
    )
    return files[-1]


def target_population(efit: Path, case: Case) -> dict[str, float]:
    """Patients of the ICB's own population files in the target group, by practice."""
    patients: dict[str, float] = {}
    top = OLDEST if case.age_to is None else case.age_to
    for sex in ("f", "m"):
        if case.sex != "all" and case.sex[0] != sex:
            continue
        path = efit / "population" / f"{sex}_pop_{case.icb}_2026-27.csv"
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            for row in reader:
                total = 0.0
                for age, cell in zip(header[1:], row[1:], strict=True):
                    if case.age_from <= int(age) <= top and cell.strip():
                        total += float(cell)
                patients[row[0]] = patients.get(row[0], 0.0) + total
    return patients


def published_formula(efit: Path, case: Case, amount: float) -> dict[str, float]:
    """Each practice's allocation by the eFIT tool's formula (exact, unrounded pounds)."""
    with indicator_file(efit, case.icb).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    patients = target_population(efit, case)
    population = {row["GP code"]: patients.get(row["GP code"], 0.0) for row in rows}
    allocation = dict.fromkeys(population, 0.0)
    per_head_weight = 100 - sum(weight for _, weight, _ in case.components)
    total_population = sum(population.values())
    for code, p in population.items():
        allocation[code] += amount * per_head_weight / 100 * p / total_population
    for column, weight, direction in case.components:
        values = {row["GP code"]: _number(row[column]) for row in rows}
        total = sum(value for value in values.values() if value is not None)
        need: dict[str, float] = {}
        for code, p in population.items():
            value = values[code]
            if value is None:
                need[code] = 0.0  # missing counts as zero: no share of this component
            elif column == WEIGHTED_POPULATION:
                need[code] = value  # the weighted list is the need itself
            elif direction == "lower":
                need[code] = p * (1 - value / total)
            else:
                need[code] = p * value
        total_need = sum(need.values())
        for code in population:
            allocation[code] += amount * weight / 100 * need[code] / total_need
    return allocation


# --- the engine -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def efit_dir(real_data_dir: Path) -> Path:
    return real_data_dir / "efit"


@pytest.fixture(scope="module")
def warehouse(efit_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("efit-real") / "efit.duckdb"
    # The real files have a few cells the loader rejects, each with a reason; the tool reads
    # them as missing too.
    build_warehouse(db, [efit_dir], allow_rejects=True)
    return db


def engine_allocation(con: duckdb.DuckDBPyConnection, case: Case) -> dict[str, Decimal]:
    """The engine's allocation through load_pool + allocate; practices left out get 0."""
    entries = {e.name: e for e in build_catalogue(con, case.icb)}
    entries[WEIGHTED_POPULATION] = next(
        e for e in entries.values() if e.id == "weighted-population"
    )
    specs = tuple(
        ComponentSpec(
            id=entries[column].id,
            name=column,
            weight=Decimal(weight),
            direction=Direction(direction),
            unit=entries[column].unit,
            kind=entries[column].kind,
        )
        for column, weight, direction in case.components
    )
    pool = load_pool(
        con,
        case.icb,
        [s.id for s in specs],
        sex=case.sex,
        age_from=case.age_from,
        age_to=case.age_to,
        method=Method.EFIT_CLASSIC,
    )
    request = AllocationRequest(case.icb, Decimal(AMOUNT), specs, method=Method.EFIT_CLASSIC)
    result = allocate(request, pool)
    allocations = {p.code: p.allocation for p in result.practices}
    allocations.update({e.code: Decimal(0) for e in result.excluded})
    return allocations


def _compare(warehouse: Path, efit_dir: Path, case: Case) -> float:
    expected = published_formula(efit_dir, case, AMOUNT)
    with connect(warehouse) as con:
        got = engine_allocation(con, case)
    assert set(got) == set(expected), "the engine's practices are the indicator file's"
    assert sum(got.values(), Decimal(0)) == AMOUNT
    return max(abs(float(got[code]) - expected[code]) for code in expected)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_efit_classic_matches_the_published_formula(
    warehouse: Path, efit_dir: Path, case: Case
) -> None:
    assert _compare(warehouse, efit_dir, case) < PENNY


def test_the_check_can_fail(warehouse: Path, efit_dir: Path) -> None:
    """The recommended method on the same inputs (MMR uptake, lower = more need) is far off the
    published formula, so the comparison above can tell them apart."""
    case = next(c for c in CASES if c.icb == "QOC")
    expected = published_formula(efit_dir, case, AMOUNT)
    [(column, weight, direction)] = case.components
    with connect(warehouse) as con:
        entry = next(e for e in build_catalogue(con, case.icb) if e.name == column)
        spec = ComponentSpec(entry.id, column, Decimal(weight), Direction(direction), entry.unit)
        pool = load_pool(con, case.icb, [entry.id], age_to=case.age_to)
        result = allocate(AllocationRequest(case.icb, Decimal(AMOUNT), (spec,)), pool)
    got = {p.code: float(p.allocation) for p in result.practices}
    assert max(abs(got.get(code, 0.0) - value) for code, value in expected.items()) > 100
