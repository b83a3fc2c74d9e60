"""The JSON API: ``POST /api/v1/allocations``, ``GET /api/v1/icbs``, ``GET /api/v1/indicators``.

On the small warehouse of eFIT files of tests/conftest.py (one ICB, QZZ, four practices; the
figures are worked out in ``tests/commands/test_allocate_cli.py``). Every bad field gives a 422
naming it, never a 500; no warehouse gives a 503; and the allocation is exactly the CLI's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gpequity.cli import app as cli_app
from gpequity.web.app import create_app

ICB = "QZZ"
URL = "/api/v1/allocations"
GOOD: dict[str, Any] = {
    "icb": ICB,
    "amount": "10000",
    "method": "recommended",
    "components": [{"id": "imd", "weight": 50}, {"id": "hypertension-prevalence", "weight": 50}],
    "sex": "all",
    "age_from": 0,
    "age_to": None,
    "missing_policy": "impute",
    "excluded_practices": [],
    "baseline": "per-head",
}


@pytest.fixture(scope="module")
def db(small_efit_db: Path) -> Path:
    """The small eFIT warehouse of tests/conftest.py, as the CLI tests use it."""
    return small_efit_db


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


def _cli_json(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli_app, [*args, "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- good requests --------------------------------------------------------------------------


def test_allocation_is_the_clis_json(client: TestClient, db: Path) -> None:
    response = client.post(URL, json=GOOD)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert [(p["practice_code"], p["allocation"]) for p in data["practices"]] == [
        ("P00001", 989.99),
        ("P00002", 3487.21),
        ("P00003", 828.70),
        ("P00004", 4694.10),
    ]
    assert data == _cli_json(
        db,
        "allocate",
        "--icb",
        ICB,
        "--amount",
        "10000",
        "--component",
        "imd:50",
        "--component",
        "hypertension-prevalence:50",
        "--format",
        "json",
    )


def test_defaults_and_every_option(client: TestClient, db: Path) -> None:
    body = {
        "icb": "qzz",
        "amount": 100,
        "method": "efit-classic",
        "components": [{"id": "breast-screening", "weight": "60", "direction": "lower"}],
        "sex": "female",
        "age_from": 18,
        "age_to": 64,
        "missing_policy": "exclude",
        "excluded_practices": ["P00004"],
        "baseline": "weighted",
    }
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    assert response.json() == _cli_json(
        db,
        "allocate",
        "--icb",
        ICB,
        "--amount",
        "100",
        "--method",
        "efit-classic",
        "--component",
        "breast-screening:60:lower",
        "--sex",
        "female",
        "--age",
        "18-64",
        "--missing",
        "exclude",
        "--exclude-practice",
        "P00004",
        "--baseline",
        "weighted",
        "--format",
        "json",
    )
    minimal = client.post(
        URL, json={"icb": ICB, "amount": 1, "components": [{"id": "imd", "weight": 100}]}
    )
    assert minimal.status_code == 200
    assert sum(p["allocation"] for p in minimal.json()["practices"]) == pytest.approx(1)


def test_the_old_spellings_are_accepted_for_one_release(client: TestClient) -> None:
    """0.1 spelt these choices with underscores; they give the same answer, spelt as today."""
    today = client.post(URL, json=_with(missing_policy="impute", baseline="weighted"))
    old = client.post(
        URL, json=_with(missing_policy="impute_median", baseline="weighted_population")
    )
    assert today.status_code == old.status_code == 200, old.text
    assert old.json() == today.json()
    assert (old.json()["inputs"]["missing_policy"], old.json()["inputs"]["baseline"]) == (
        "impute",
        "weighted",
    )
    per_head = client.post(URL, json=_with(baseline="per_head"))
    assert per_head.json()["inputs"]["baseline"] == "per-head"


def test_the_schema_marks_the_old_spellings_deprecated(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    fields = schema["components"]["schemas"]["AllocationIn"]["properties"]
    assert fields["baseline"]["anyOf"] == [
        {"$ref": "#/components/schemas/Baseline"},
        {"type": "string", "enum": ["per_head", "weighted_population"], "deprecated": True},
    ]
    assert fields["missing_policy"]["anyOf"][1]["enum"] == ["impute_median"]
    assert schema["components"]["schemas"]["Baseline"]["enum"] == ["per-head", "weighted"]
    description = schema["paths"]["/api/v1/allocations"]["post"]["description"]
    assert "``per_head`` (now ``per-head``)" in description


def test_a_practice_without_target_patients_has_no_amount_per_patient(client: TestClient) -> None:
    """eFIT classic pays the weighted-list component to practices with no target patients (none
    aged 60 and over here but P00001): their amount per patient is null, as the schema says."""
    body = {
        "icb": ICB,
        "amount": 1000,
        "method": "efit-classic",
        "components": [{"id": "weighted-population", "weight": 100}],
        "age_from": 60,
    }
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    assert [
        (p["practice_code"], p["allocation_per_patient"]) for p in response.json()["practices"]
    ] == [
        ("P00001", 0.202),
        ("P00002", None),
        ("P00003", None),
        ("P00004", None),
    ]
    schema = client.get("/api/openapi.json").json()
    field = schema["components"]["schemas"]["PracticeOut"]["properties"]["allocation_per_patient"]
    assert {"type": "null"} in field["anyOf"]


def test_icbs(client: TestClient) -> None:
    response = client.get("/api/v1/icbs")
    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "QZZ",
            "name": "Zed ICB",
            "practices": 4,
            "source": "efit",
            "first_period": "2026/27",
        }
    ]


def test_indicators_are_the_clis(client: TestClient, db: Path) -> None:
    response = client.get("/api/v1/indicators", params={"icb": "QZZ"})
    assert response.status_code == 200
    assert response.json() == _cli_json(db, "indicators", "--icb", ICB, "--format", "json")
    assert response.json()[0]["id"] == "imd"


# --- bad requests: 422 naming the field ------------------------------------------------------


def _with(**changes: Any) -> dict[str, Any]:
    body = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


BAD_FIELDS = [
    (_with(icb=...), ["body", "icb"], "Field required"),
    (_with(icb=""), ["body", "icb"], "at least 1 character"),
    (_with(icb="QZX"), ["body", "icb"], "'QZX' is not an ICB code of the loaded data"),
    (_with(amount="lots"), ["body", "amount"], "valid decimal"),
    (_with(amount="-5"), ["body", "amount"], "The amount must be more than £0."),
    (_with(amount="0"), ["body", "amount"], "The amount must be more than £0."),
    (_with(amount="1.234"), ["body", "amount"], "at most 2 decimal places"),
    (_with(amount="NaN"), ["body", "amount"], "finite number"),
    (_with(method="fair"), ["body", "method"], "'recommended' or 'efit-classic'"),
    (_with(components=[]), ["body", "components"], "Choose at least one component."),
    (
        _with(components=[{"id": "imd", "weight": 25}] * 4),
        ["body", "components"],
        "Choose at most 3 components; you chose 4.",
    ),
    (
        _with(components=[{"id": "imd", "weight": 60}]),
        ["body", "components"],
        "The weights must add up to exactly 100%; they add up to 60%.",
    ),
    (
        _with(components=[{"id": "nope", "weight": 100}]),
        ["body", "components", 0, "id"],
        "'nope' is not an indicator of ICB QZZ.",
    ),
    (
        _with(components=[{"weight": 100}]),
        ["body", "components", 0, "id"],
        "Field required",
    ),
    (
        _with(components=[{"id": "imd", "weight": "half"}]),
        ["body", "components", 0, "weight"],
        "valid decimal",
    ),
    (
        _with(components=[{"id": "imd", "weight": 150}, {"id": "population", "weight": -50}]),
        ["body", "components", 0, "weight"],
        "The weight of 'Deprivation score (IMD 2025)' must be at most 100%.",
    ),
    (
        _with(components=[{"id": "imd", "weight": 100, "direction": "up"}]),
        ["body", "components", 0, "direction"],
        "'higher' or 'lower'",
    ),
    (_with(components="imd"), ["body", "components"], "valid list"),
    (_with(sex="other"), ["body", "sex"], "'all', 'female' or 'male'"),
    (_with(age_from=-1), ["body", "age_from"], "greater than or equal to 0"),
    (_with(age_from=96), ["body", "age_from"], "less than or equal to 95"),
    (_with(age_from=60, age_to=20), ["body", "age_to"], "The oldest age must be"),
    (_with(age_to=200), ["body", "age_to"], "less than or equal to 95"),
    (_with(missing_policy="zero"), ["body", "missing_policy"], "'impute' or 'exclude'"),
    (
        _with(excluded_practices=["X00001"]),
        ["body", "excluded_practices"],
        "These codes are not practices of ICB QZZ: X00001.",
    ),
    (_with(excluded_practices="P00001"), ["body", "excluded_practices"], "valid list"),
    (_with(baseline="flat"), ["body", "baseline"], "'per-head' or 'weighted'"),
    (_with(colour="blue"), ["body", "colour"], "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    BAD_FIELDS,
    ids=[f"{i}-{b[1][-1]}" for i, b in enumerate(BAD_FIELDS)],
)
def test_each_bad_field_is_a_422_naming_it(
    client: TestClient, body: dict[str, Any], loc: list[str | int], message: str
) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(d["loc"] == loc and message in d["msg"] for d in detail), detail


def test_every_problem_is_listed_at_once(client: TestClient) -> None:
    """Issue 11: the amount and the weights' total were left for a second round."""
    body = _with(
        amount="10.001",
        components=[{"id": "imd", "weight": 70}, {"id": "zzz", "weight": 10}],
        age_from=50,
        age_to=40,
    )
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [
        ["body", "age_to"],
        ["body", "components", 1, "id"],
        ["body", "amount"],
        ["body", "components"],
    ]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"icb": "QZZ",', "application/json"),
        (b"", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"icb=QZZ", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/json"),
        (b'{"icb": "\x80"}', "application/json"),  # not UTF-8: FastAPI's own answer is a 400 page
        (
            b'{"icb": "QZZ", "amount": NaN, "components": [{"id": "imd", "weight": 100}]}',
            "application/json",
        ),
        (
            b'{"icb": "QZZ", "amount": 5, "components": [{"id": "imd", "weight": Infinity}]}',
            "application/json",
        ),
    ],
)
def test_malformed_bodies_are_422(client: TestClient, content: bytes, content_type: str) -> None:
    response = client.post(URL, content=content, headers={"content-type": content_type})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_unknown_icb_in_the_catalogue_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/indicators", params={"icb": "QZX"})
    assert response.status_code == 404
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["query", "icb"]
    assert "Did you mean QZZ (Zed ICB)?" in detail["msg"]
    assert "GET /api/v1/icbs" in detail["msg"]
    missing = client.get("/api/v1/indicators")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "icb"]


# --- no warehouse, documentation, never a 500 ------------------------------------------------


def test_no_warehouse_is_503_json(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "none.duckdb")) as no_data:
        for response in (
            no_data.post(URL, json=GOOD),
            no_data.get("/api/v1/icbs"),
            no_data.get("/api/v1/indicators", params={"icb": ICB}),
        ):
            assert response.status_code == 503
            assert response.json()["detail"].startswith("No data is loaded yet")


def test_openapi_and_docs_page(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/v1/allocations", "/api/v1/icbs", "/api/v1/indicators"} <= set(schema["paths"])
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "POST /api/v1/allocations" in docs.text
    assert "AllocationIn" in docs.text
    assert "per_head | weighted_population (deprecated)" in docs.text
    # Works offline: nothing is loaded from another site.
    assert "http://" not in docs.text
    assert "https://" not in docs.text


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELD_VALUES = {
    "icb": st.sampled_from(["QZZ", "qzz", "", "X", 5]) | JSON_VALUES,
    "amount": st.sampled_from(["10000", "0.01", "1e3", "-1", "1e400", 1e308]) | JSON_VALUES,
    "method": st.sampled_from(["recommended", "efit-classic"]) | JSON_VALUES,
    "components": st.lists(
        st.fixed_dictionaries(
            {
                "id": st.sampled_from(
                    ["imd", "population", "weighted-population", "breast-screening", "age-under-5"]
                )
                | JSON_VALUES,
                "weight": st.sampled_from([100, 50, "33.33", 0]) | JSON_VALUES,
            },
            optional={"direction": st.sampled_from(["higher", "lower"]) | JSON_VALUES},
        ),
        max_size=4,
    )
    | JSON_VALUES,
    "sex": st.sampled_from(["all", "female", "male"]) | JSON_VALUES,
    "age_from": st.integers(-2, 100) | JSON_VALUES,
    "age_to": st.none() | st.integers(-2, 100) | JSON_VALUES,
    "missing_policy": st.sampled_from(["impute", "exclude", "impute_median"]) | JSON_VALUES,
    "excluded_practices": st.lists(st.sampled_from(["P00001", "P00004", "ZZZ"])) | JSON_VALUES,
    "baseline": st.sampled_from(["per-head", "weighted", "per_head", "weighted_population"])
    | JSON_VALUES,
}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.fixed_dictionaries({}, optional=FIELD_VALUES))
def test_never_a_500(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post(URL, json=body)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        data = response.json()
        assert round(sum(p["allocation"] for p in data["practices"]), 2) == data["amount"]
    else:
        assert all({"loc", "msg"} <= set(d) for d in response.json()["detail"])


def test_a_worker_allocates_one_scenario_at_a_time(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every allocation of the API and of the pages runs holding the worker's one computing
    lock (allocations in one process only take turns at the interpreter's lock; issue 12)."""
    import gpequity.web.routes.allocate as pages
    import gpequity.web.routes.api as api
    from gpequity.web import warehouse

    held: list[bool] = []

    def watched(real: Any) -> Any:
        def allocate(*args: Any, **kwargs: Any) -> Any:
            held.append(warehouse._COMPUTING.locked())
            return real(*args, **kwargs)

        return allocate

    monkeypatch.setattr(api, "allocate_scenario", watched(api.allocate_scenario))
    monkeypatch.setattr(pages, "allocate_scenario", watched(pages.allocate_scenario))
    assert client.post(URL, json=GOOD).status_code == 200
    assert client.post(f"{URL}/compare", json={"a": GOOD, "b": GOOD}).status_code == 200
    assert len(held) == 3
    form = {"icb": ICB, "amount": "10000", "c1": "imd", "w1": "50"}
    form |= {"c2": "hypertension-prevalence", "w2": "50"}
    download = client.get("/allocate/download.csv", params=form)
    assert download.status_code == 200
    assert len(held) == 4 and all(held)
    assert not warehouse._COMPUTING.locked()
