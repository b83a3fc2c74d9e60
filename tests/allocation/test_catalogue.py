"""The indicator catalogue of an ICB, from small warehouses in the official layouts."""

from __future__ import annotations

import duckdb

from gpequity.allocation import (
    ComponentKind,
    Direction,
    Unit,
    UploadedColumn,
)
from gpequity.allocation.catalogue import build_catalogue, upload_entries

# --- the catalogue ----------------------------------------------------------------------------


def test_catalogue_without_efit(con: duckdb.DuckDBPyConnection) -> None:
    entries = build_catalogue(con, "QAA")
    assert [e.as_dict() for e in entries] == [
        {
            "id": "imd",
            "name": "Deprivation score (IMD 2019)",
            "unit": "score",
            "direction": "higher",
            "period": "2019",
            "source": "imd",
            "coverage": 0.75,
        },
        {
            "id": "population",
            "name": "Population only (a plain per-head share)",
            "unit": "count",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "weighted-population",
            "name": "Weighted patients (NHS payments file, 2021/22)",
            "unit": "count",
            "direction": "higher",
            "period": "2021/22",
            "source": "payments",
            "coverage": 1.0,
        },
        {
            "id": "payments-per-weighted-patient",
            "name": "NHS payments per weighted patient (2021/22): money to the practices that "
            "get least today",
            "unit": "rate",
            "direction": "lower",
            "period": "2021/22",
            "source": "payments",
            "coverage": 1.0,
        },
        {
            "id": "age-under-5",
            "name": "Patients aged under 5 (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "age-65-plus",
            "name": "Patients aged 65 and over (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "age-75-plus",
            "name": "Patients aged 75 and over (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "age-85-plus",
            "name": "Patients aged 85 and over (%)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2022-04-01",
            "source": "registered",
            "coverage": 1.0,
        },
        {
            "id": "fingertips:93930",
            "name": "A&E attendances (0 to 4 years)",
            "unit": "rate",
            "direction": "higher",
            "period": "2021/22",
            "source": "fingertips",
            "coverage": 0.5,
        },
        {
            "id": "fingertips:91547",
            "name": "Smoking prevalence in adults (15+) - current smokers (QOF)",
            "unit": "percentage",
            "direction": "higher",
            "period": "2021/22",
            "source": "fingertips",
            "coverage": 0.75,
        },
        {
            "id": "childhood-vaccination",
            "name": "Childhood vaccination achievement (QOF)",
            "unit": "percentage",
            "direction": "lower",
            "period": "2021/22",
            "source": "qof",
            "coverage": 0.5,
        },
    ]
    kinds = {e.id: e.kind for e in entries}
    assert kinds["population"] == ComponentKind.POPULATION
    assert kinds["weighted-population"] == ComponentKind.WEIGHTED_POPULATION


def test_catalogue_with_efit(econ: duckdb.DuckDBPyConnection) -> None:
    entries = {e.id: e for e in build_catalogue(econ, "X1Y2Z")}
    assert list(entries)[:4] == [
        "imd",
        "population",
        "weighted-population",
        "payments-per-weighted-patient",
    ]
    imd = entries["imd"]
    assert (imd.name, imd.source, imd.period, imd.coverage) == (
        "Deprivation score (IMD 2025)",
        "efit",
        "2025/26",
        1.0,
    )
    weighted = entries["weighted-population"]
    assert (weighted.source, weighted.kind) == ("efit", ComponentKind.WEIGHTED_POPULATION)
    assert (entries["population"].source, entries["population"].period) == ("efit", "2026/27")
    hypertension = entries["hypertension-prevalence"]
    assert (hypertension.unit, hypertension.direction, hypertension.coverage) == (
        Unit.PERCENTAGE,
        Direction.HIGHER,
        1.0,
    )
    cervical = entries["cervical-screening-25-49"]
    assert (cervical.direction, cervical.coverage) == (Direction.LOWER, round(2 / 3, 4))
    # A column a newer eFIT release might add keeps the loader's id, read from its name.
    widgets = entries["efit:widgets-qof-prevalence"]
    assert (widgets.unit, widgets.direction, widgets.coverage) == (
        Unit.PERCENTAGE,
        Direction.HIGHER,
        round(2 / 3, 4),
    )
    # The eFIT IMD and weighted list are not offered twice.
    assert "efit:deprivation-score-imd-2025" not in entries
    assert "efit:weighted-population" not in entries
    # Payments per weighted patient come from 2021/22, when all three practices were paid.
    assert entries["payments-per-weighted-patient"].coverage == 1.0


def test_catalogue_ids_are_unique_and_always_have_imd_and_population(
    con: duckdb.DuckDBPyConnection, econ: duckdb.DuckDBPyConnection
) -> None:
    for connection, icb in ((con, "QAA"), (con, "QBB"), (econ, "X1Y2Z"), (econ, "QAA")):
        ids = [e.id for e in build_catalogue(connection, icb)]
        assert len(ids) == len(set(ids))
        assert ids[:2] == ["imd", "population"]


def test_upload_entries_cover_the_icb() -> None:
    column = UploadedColumn("upload:uptake", "Uptake %", True, {"A00001": 50.0, "A00002": 60.0})
    [entry] = upload_entries([column], {"A00001", "A00002", "A00003", "A00004"})
    assert entry.as_dict() == {
        "id": "upload:uptake",
        "name": "Uptake %",
        "unit": "percentage",
        "direction": "higher",
        "period": None,
        "source": "upload",
        "coverage": 0.5,
    }
