"""The allocation page (``/allocate``): the form, the results, the downloads and every bad field,
in process on a demo warehouse; figures compared with the engine's own."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gpequity.allocation.catalogue import build_catalogue
from gpequity.allocation.icbs import IcbEntry, icb_practice_codes, list_icbs
from gpequity.allocation.pools import Sex, TargetPopulation
from gpequity.allocation.scenario import Scenario
from gpequity.formats import format_change, format_pounds, format_share
from gpequity.warehouse.build import connect
from gpequity.web.allocate.results import index_sentence
from gpequity.web.app import create_app

from .conftest import (
    AMOUNT,
    BASELINE,
    DIFFERENCE,
    allocations_shown,
    engine,
    good_scenario,
    query,
    read,
)

# --- the form -----------------------------------------------------------------------------------


def test_the_first_step_offers_every_icb_of_the_newest_membership(
    client: TestClient, db: Path
) -> None:
    response = client.get("/allocate")
    assert response.status_code == 200
    page = read(response.text)
    with connect(db) as con:
        icbs = list_icbs(con)
    assert [value for value, _, _ in page.options["icb"]] == ["", *(i.code for i in icbs)]
    assert "Continue" in response.text
    assert "Allocate extra funding" in response.text


def test_the_form_lists_the_icbs_catalogue_with_its_coverage(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    response = client.get(f"/allocate?icb={icb.code}")
    assert response.status_code == 200
    page = read(response.text)
    options = {value: text for value, text, _ in page.options["c1"]}
    assert "imd" in options and "population" in options
    # The share of the ICB's practices with an IMD score, as the catalogue counts it (some
    # demo practices have none).
    with connect(db) as con:
        imd = next(e for e in build_catalogue(con, icb.code) if e.id == "imd")
    assert imd.coverage is not None and 0 < imd.coverage <= 1
    if imd.coverage == 1:
        assert options["imd"].endswith("every practice has a value")
    else:
        share = format_share(imd.coverage, places=0)
        assert options["imd"].endswith(f"— {share} of practices have a value")
    assert "(lower = more need)" in options["bowel-screening"]
    # The form starts with half deprivation, half per head.
    assert [v for v, _, selected in page.options["c1"] if selected] == ["imd"]
    assert [v for v, _, selected in page.options["c2"] if selected] == ["population"]
    assert [v for v, _, selected in page.options["icb"] if selected] == [icb.code]


def test_an_unknown_icb_is_an_error_not_a_500(client: TestClient) -> None:
    response = client.get("/allocate?icb=QZZ9")
    assert response.status_code == 422
    assert read(response.text).errors == [
        ("icb", "'QZZ9' is not an ICB of the loaded data: choose one from the list.")
    ]


# --- results ------------------------------------------------------------------------------------


def test_a_good_scenario_shows_the_engines_allocations(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    outcome = engine(db, good_scenario(icb))
    response = client.get("/allocate", params=query(icb))
    assert response.status_code == 200
    page = read(response.text)
    assert not page.errors
    assert allocations_shown(page) == {
        p.code: format_pounds(p.allocation) for p in outcome.result.practices
    }
    rows = {row[0].split()[-1]: row for row in page.tables["allocation-table"]}
    for p in outcome.result.practices:
        assert rows[p.code][BASELINE] == format_pounds(p.baseline)
        assert rows[p.code][DIFFERENCE] == format_change(p.difference)
    quintiles = page.tables["headline-table"]
    # A row per quintile with practices, then the whole ICB's.
    assert [row[3] for row in quintiles] == [
        *(format_share(q.money_share) for q in outcome.result.quintiles if q.practices),
        "100.0%",
    ]
    # The chart (an inline SVG with its reading), the method and the links.
    assert '<svg role="img"' in response.text
    assert "Allocation per target patient, practice by practice" in response.text
    for paragraph in outcome.result.description:
        assert paragraph.replace("'", "&#39;") in response.text
    assert "/allocate/method#worked-example" in response.text
    assert "/allocate/download.csv?" in response.text
    assert "/allocate/compare?" in response.text
    assert "/allocate/sensitivity?" in response.text


def test_a_submitted_form_is_redirected_to_the_scenarios_link(
    client: TestClient, icb: IcbEntry
) -> None:
    submitted = {
        **query(icb),
        "age_from": "",
        "age_to": "",
        "c3": "",
        "w3": "",
        "d1": "",
        "d2": "",
        "d3": "",
        "exclude": "",
        "indicators_file": "",
    }
    response = client.get("/allocate", params=submitted, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert dict(parse_qsl(urlsplit(location).query)) == query(icb)
    # The link itself is shown as it is, and is the link offered to share.
    again = client.get(location, follow_redirects=False)
    assert again.status_code == 200
    assert f"http://testserver{location}".replace("&", "&amp;") in again.text


def test_htmx_gets_the_page_and_the_link_to_push(client: TestClient, icb: IcbEntry) -> None:
    response = client.get(
        "/allocate", params={**query(icb), "c3": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/allocate?" + urlencode(query(icb))


def test_the_table_sorts_on_the_server(client: TestClient, db: Path, icb: IcbEntry) -> None:
    outcome = engine(db, good_scenario(icb))
    response = client.get("/allocate", params={**query(icb), "sort": "allocation", "order": "desc"})
    page = read(response.text)
    codes = [row[0].split()[-1] for row in page.tables["allocation-table"]]
    expected = sorted(outcome.result.practices, key=lambda p: p.allocation, reverse=True)
    assert codes == [p.code for p in expected]
    assert 'aria-sort="descending"' in response.text


def test_a_target_population_and_left_out_practices(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    with connect(db) as con:
        left_out = sorted(icb_practice_codes(con, icb.code))[:2]
    scenario = Scenario(
        icb_code=icb.code,
        amount=AMOUNT,
        components=good_scenario(icb).components,
        target=TargetPopulation(sex=Sex.FEMALE, age_from=18, age_to=64),
        excluded_practices=frozenset(left_out),
    )
    outcome = engine(db, scenario)
    response = client.get(
        "/allocate",
        params=query(
            icb, sex="female", age_from="18", age_to="64", exclude=" , ".join(left_out).lower()
        ),
        follow_redirects=True,
    )
    page = read(response.text)
    assert not page.errors
    assert allocations_shown(page) == {
        p.code: format_pounds(p.allocation) for p in outcome.result.practices
    }
    excluded = page.tables["excluded-table"]
    assert [row[0].split()[-1] for row in excluded] == left_out
    assert "female patients aged 18 to 64" in response.text


# --- downloads ----------------------------------------------------------------------------------


def test_the_csv_adds_up_to_the_amount_and_carries_the_inputs(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    response = client.get("/allocate/download.csv", params=query(icb))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="allocation-{icb.code}-250000.00-recommended.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sum((Decimal(r["allocation"]) for r in rows), Decimal(0)) == AMOUNT
    outcome = engine(db, good_scenario(icb))
    assert {r["practice_code"]: Decimal(r["allocation"]) for r in rows} == {
        p.code: p.allocation for p in outcome.result.practices
    }
    first = rows[0]
    assert first["scenario_icb"] == f"{icb.code} ({icb.name})"
    assert first["scenario_amount"] == "250000.00"
    assert first["scenario_method"] == "Recommended: shares of need"
    assert first["scenario_components"] == (
        "imd 60% (higher = more need); hypertension-prevalence 40% (higher = more need)"
    )
    assert first["scenario_target_population"] == "all registered patients"


def test_the_xlsx_opens_with_the_inputs_and_method(client: TestClient, icb: IcbEntry) -> None:
    response = client.get("/allocate/download.xlsx", params=query(icb, method="efit-classic"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [
        "Allocation",
        "Inputs",
        "Method",
        "Warnings",
        "By IMD quintile",
        "PCN roll-up",
    ]
    rows = list(book["Allocation"].iter_rows(values_only=True))
    column = rows[0].index("Allocation")
    total = sum((Decimal(str(r[column])) for r in rows[1:-1]), Decimal(0))
    assert total.quantize(Decimal("0.01")) == AMOUNT
    inputs = dict(book["Inputs"].iter_rows(min_row=2, values_only=True))
    method = dict(book["Method"].iter_rows(min_row=2, values_only=True))
    assert inputs["Method"] == "eFIT classic (the published eFIT tool's formula)"
    assert str(method["Step 1"]).startswith("Method: eFIT classic")


def test_a_download_of_a_bad_scenario_is_the_page_with_its_errors(
    client: TestClient, icb: IcbEntry
) -> None:
    response = client.get("/allocate/download.csv", params=query(icb, w2="10"))
    assert response.status_code == 422
    assert ("w1", "The weights must add up to exactly 100%; they add up to 70%.") in read(
        response.text
    ).errors
    assert client.get("/allocate/download.docx", params=query(icb)).status_code == 404


# --- every bad field ----------------------------------------------------------------------------

BAD_FIELDS = [
    ({"amount": ""}, "amount", "Enter the amount to share out"),
    ({"amount": "lots"}, "amount", "Enter the amount as a number of pounds"),
    ({"amount": "-5"}, "amount", "The amount must be more than £0."),
    ({"amount": "0"}, "amount", "The amount must be more than £0."),
    ({"amount": "10.005"}, "amount", "at most 2 decimal places"),
    ({"amount": "1" * 20}, "amount", "The amount is too large"),
    ({"method": "magic"}, "method", "Choose the method"),
    ({"sex": "other"}, "sex", "Choose which patients"),
    ({"age_from": "old"}, "age_from", "Enter the youngest age as a whole number"),
    ({"age_from": "120"}, "age_from", "The youngest age must be a whole number from 0 to 95"),
    ({"age_from": "65", "age_to": "18"}, "age_to", "The oldest age must be a whole number"),
    ({"age_to": "x"}, "age_to", "Enter the oldest age as a whole number"),
    ({"c1": "no-such-indicator"}, "c1", "'no-such-indicator' is not an indicator of ICB"),
    ({"c2": "imd"}, "c2", "is used twice"),
    ({"c1": "", "w1": "60"}, "c1", "Choose an indicator for component 1"),
    ({"w1": ""}, "w1", "Enter the weight of component 1"),
    ({"w1": "sixty"}, "w1", "Enter the weight of component 1 as a percentage"),
    ({"w1": "-60", "w2": "160"}, "w1", "must be more than 0%"),
    ({"w2": "50"}, "w1", "The weights must add up to exactly 100%; they add up to 110%."),
    ({"d1": "sideways"}, "d1", "Choose the direction of component 1."),
    ({"c1": "", "w1": "", "c2": "", "w2": ""}, "c1", "Choose at least one component."),
    ({"missing": "guess"}, "missing", "Choose what to do with a missing value."),
    ({"baseline": "none"}, "baseline", "Choose the baseline."),
    ({"exclude": "ZZ9999"}, "exclude", "These codes are not practices of ICB"),
    ({"exclude": " ".join(f"X{n}" for n in range(2_001))}, "exclude", "Enter at most 2,000"),
    ({"icb": ""}, "icb", "Choose an ICB."),
    ({"icb": "NOPE"}, "icb", "'NOPE' is not an ICB of the loaded data"),
    ({"c1": "upload:my-column"}, "c1", "Your uploaded file is not kept: upload it again"),
]


@pytest.mark.parametrize(("changes", "field_id", "message"), BAD_FIELDS)
def test_every_bad_field_is_in_the_error_summary(
    client: TestClient, icb: IcbEntry, changes: dict[str, str], field_id: str, message: str
) -> None:
    response = client.get("/allocate", params=query(icb, **changes), follow_redirects=False)
    assert response.status_code == 422
    page = read(response.text)
    assert any(f == field_id and message in text for f, text in page.errors), page.errors
    # The summary links to the field, which shows the message beside it.
    assert field_id in page.ids
    assert f"{field_id}-error" in page.ids
    assert "There is a problem" in response.text
    assert "<title>Error: " in response.text
    assert "allocation-table" not in page.tables


def test_three_bad_fields_are_in_the_error_summary_at_once(
    client: TestClient, icb: IcbEntry
) -> None:
    """Issue 11: only the age range was shown; the amount and the weights came round by round."""
    changes = {"amount": "-1000", "w1": "50", "w2": "40", "age_from": "64", "age_to": "25"}
    response = client.get("/allocate", params=query(icb, **changes), follow_redirects=False)
    assert response.status_code == 422
    assert read(response.text).errors == [
        ("amount", "The amount must be more than £0."),
        (
            "age_to",
            "The oldest age must be a whole number from 64 (the youngest age) to 95, "
            "or empty for '64 and over'.",
        ),
        ("w1", "The weights must add up to exactly 100%; they add up to 90%."),
    ]


def test_an_unknown_icb_does_not_hide_the_other_errors(client: TestClient, icb: IcbEntry) -> None:
    response = client.get("/allocate", params=query(icb, icb="NOPE", amount="-5", w2="30"))
    assert response.status_code == 422
    assert read(response.text).errors == [
        ("icb", "'NOPE' is not an ICB of the loaded data: choose one from the list."),
        ("amount", "The amount must be more than £0."),
        ("w1", "The weights must add up to exactly 100%; they add up to 90%."),
    ]


def test_htmx_gets_the_errors_as_a_page_it_swaps(client: TestClient, icb: IcbEntry) -> None:
    response = client.get(
        "/allocate", params=query(icb, amount="x"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert read(response.text).errors[0][0] == "amount"


def test_an_impossible_age_range_for_the_data(client: TestClient, icb: IcbEntry) -> None:
    # The demo loads single years of age, so any range from 0 to 95 is possible; past 95 is not.
    response = client.get("/allocate", params=query(icb, age_from="10", age_to="120"))
    assert response.status_code == 422
    assert read(response.text).errors[0][0] == "age_to"


def test_without_a_warehouse_the_pages_say_so(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "missing.duckdb")) as empty:
        for path in ("/allocate", "/allocate/compare", "/allocate/sensitivity"):
            response = empty.get(path)
            assert response.status_code == 200
            assert "No data loaded yet" in response.text
        assert empty.get("/allocate/download.csv?icb=X").status_code == 503


def test_allocate_is_in_the_navigation_after_home(client: TestClient) -> None:
    from gpequity.web.site import NAVIGATION

    assert [entry.href for entry in NAVIGATION[:2]] == ["/", "/allocate"]


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (-0.10379, "−0.1038 (negative: the money goes more to the practices in more deprived"),
        (0.02351, "0.0235 (positive: the money goes more to the practices in less deprived"),
        # A lean too small to show is no lean: the words agree with the figure as written.
        (-0.00001, "0.0000 (0: money per patient does not vary with deprivation)"),
    ],
)
def test_the_index_sentence_agrees_with_the_figure(index: float, expected: str) -> None:
    assert expected in index_sentence(index)
