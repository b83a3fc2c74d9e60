"""The allocation form's Limits section, in process, on the small eFIT warehouse of
tests/conftest.py (QZZ, four practices; the figures are worked out in
tests/commands/test_allocate_limits_cli.py): the result lists the practices held, every bad
limit is reported at once, a previous allocation is uploaded, carried and downloaded, and the
compare and sensitivity pages keep the limits."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gpequity.web.app import create_app

QUERY = {
    "icb": "QZZ",
    "amount": "10000",
    "method": "recommended",
    "c1": "imd",
    "w1": "50",
    "c2": "hypertension-prevalence",
    "w2": "50",
    "sex": "all",
    "age_from": "0",
    "missing": "impute",
    "baseline": "per-head",
}
PREVIOUS = b"Practice code,Amount\nP00001,1000\nP00002,3000\nP00003,abc\nZ99999,5\n"


@pytest.fixture(scope="module")
def client(small_efit_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_efit_db)) as test_client:
        yield test_client


def text_of(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def test_a_floor_lists_the_practices_held(client: TestClient) -> None:
    response = client.get("/allocate", params={**QUERY, "floor": "0.90"})
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Held at the floor: 2 practices (P00001, P00003), £881.31 moved to them." in text
    assert "P00001 North Surgery Held at floor Without limits £989.99" in text
    # the link to share carries the floor, and the section is open
    assert "floor=0.90" in response.text
    assert re.search(r'data-testid="limits" open', response.text)


def test_every_bad_limit_is_reported_at_once(client: TestClient) -> None:
    bad = {**QUERY, "floor": "lots", "cap": "-1", "max_change": "five", "limit_unit": "yearly"}
    response = client.get("/allocate", params=bad)
    assert response.status_code == 422
    linked = dict(re.findall(r'<a href="#([a-z_]+)"[^>]*>([^<]+)</a>', response.text))
    assert set(linked) >= {"floor", "cap", "max_change", "limit_unit"}


def test_limits_that_cannot_be_met_name_the_nearest(client: TestClient) -> None:
    response = client.get("/allocate", params={**QUERY, "cap": "0.5"})
    assert response.status_code == 422
    assert "The smallest cap that can be met is £1.00 per target patient." in text_of(response.text)


def hidden_fields(page: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in found}


def test_a_previous_allocation_is_uploaded_carried_and_downloaded(client: TestClient) -> None:
    form = {**QUERY, "max_change": "10", "action": "upload-previous"}
    files = {"previous_file": ("last-year.csv", PREVIOUS, "text/csv")}
    response = client.post("/allocate", data=form, files=files)
    assert response.status_code == 200
    text = text_of(response.text)
    assert "last-year.csv: 3 practices' previous amounts. 1 rows with problems" in text
    assert "row 4, column 'Amount': 'abc' is not an amount; row left out." in text
    carried = hidden_fields(response.text)
    assert carried["previous_name"] == "last-year.csv"
    assert carried["previous_data"].splitlines()[1] == "P00001,1000.00"

    response = client.post("/allocate", data={**form, **carried, "action": "calculate"})
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Held at the pace of change (largest rise): 1 practice (P00002)" in text
    assert "(Z99999)" in text
    assert 'data-testid="share-url"' not in response.text  # the file is not kept: no link

    download = {**hidden_fields(response.text), "action": "download"}
    response = client.post("/allocate/download.csv", data=download)
    assert response.status_code == 200
    rows = {r["practice_code"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert (rows["P00002"]["allocation"], rows["P00002"]["limit"]) == ("3300.00", "pace-up")


def test_a_previous_file_that_cannot_be_used_is_an_error_on_its_field(client: TestClient) -> None:
    files = {"previous_file": ("bad.csv", b"Practice code,Money\nP00001,5\n", "text/csv")}
    response = client.post("/allocate", data={**QUERY, "action": "upload-previous"}, files=files)
    assert response.status_code == 422
    assert "Your previous allocation cannot be used: No amount column" in text_of(response.text)
    response = client.post("/allocate", data={**QUERY, "action": "upload-previous"})
    assert "Choose the file of the previous allocation." in text_of(response.text)


def test_compare_and_sensitivity_keep_the_limits(client: TestClient) -> None:
    compare = client.get(
        "/allocate/compare",
        params={
            "icb": "QZZ",
            "amount": "10000",
            "a.method": "recommended",
            "a.c1": "imd",
            "a.w1": "100",
            "b.method": "efit-classic",
            "b.c1": "imd",
            "b.w1": "100",
            "floor": "0.90",
        },
    )
    assert compare.status_code == 200
    assert "£1,800.00" in text_of(compare.text)
    plain = text_of(client.get("/allocate/sensitivity", params=QUERY).text)
    sweep = client.get("/allocate/sensitivity", params={**QUERY, "floor": "0.90"})
    assert sweep.status_code == 200
    # Q1 is P00001 alone: with hypertension only it has 12.9% of the money, its floor 18.0%
    assert "12.9%" in plain and "12.9%" not in text_of(sweep.text)
    assert "18.0%" in text_of(sweep.text)
