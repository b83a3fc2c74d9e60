"""The allocation tool's pages, in process (``TestClient``) on a demo warehouse.

Figures on the pages and in the downloads are compared with the engine's own
(:func:`gpequity.allocation.scenario.allocate_scenario` on the same warehouse); bad input, field
by field and file by file, gives the error summary, never a 500.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from gpequity.allocation import Direction, Method
from gpequity.allocation.icbs import IcbEntry, icb_practice_codes, list_icbs
from gpequity.allocation.pools import Sex, TargetPopulation
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
)
from gpequity.exports import FORMULA_TRIGGERS
from gpequity.warehouse.build import connect
from gpequity.web.app import create_app
from gpequity.web.presenters_allocate import (
    COMPONENT_ROWS,
    ComponentInput,
    FieldError,
    ScenarioInput,
    component_spread,
    exclusion_codes,
    format_change,
    format_pounds,
    format_share,
    order_errors,
    parse_amount,
    read_scenario_input,
    read_sort,
)

SEED = 23
PRACTICES = 300
AMOUNT = Decimal("250000")


# --- the warehouse and the app ------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gpequity.sources.demo import generate_demo
    from gpequity.warehouse.build import build_warehouse

    demo = tmp_path_factory.mktemp("demo")
    generate_demo(demo, seed=SEED, practices=PRACTICES)
    path = tmp_path_factory.mktemp("warehouse") / "gpequity.duckdb"
    build_warehouse(path, [demo])
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def icb(db: Path) -> IcbEntry:
    """The ICB with the most practices."""
    with connect(db) as con:
        return max(list_icbs(con), key=lambda entry: (entry.practices, entry.code))


def engine(db: Path, scenario: Scenario) -> ScenarioOutcome:
    with connect(db) as con:
        return allocate_scenario(con, scenario)


def query(icb: IcbEntry, /, **changes: str) -> dict[str, str]:
    """A good scenario's query (deprivation 60%, hypertension 40%), with ``changes``."""
    params = {
        "icb": icb.code,
        "amount": "250000",
        "method": "recommended",
        "c1": "imd",
        "w1": "60",
        "c2": "hypertension-prevalence",
        "w2": "40",
        "sex": "all",
        "age_from": "0",
        "missing": "impute",
        "baseline": "per-head",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def good_scenario(icb: IcbEntry) -> Scenario:
    return Scenario(
        icb_code=icb.code,
        amount=AMOUNT,
        components=(
            ComponentChoice("imd", Decimal(60)),
            ComponentChoice("hypertension-prevalence", Decimal(40)),
        ),
    )


# --- reading the pages --------------------------------------------------------------------------


@dataclass
class Page(HTMLParser):
    """The parts of a page the tests read: tables (by id), error links, select options."""

    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    _table: str | None = None
    _row: list[str] | None = None
    _cell: list[str] | None = None
    _hidden_depth: int = 0
    _error_link: str | None = None
    _error_text: list[str] = field(default_factory=list)
    _select: str | None = None
    _option: tuple[str, bool] | None = None
    _option_text: list[str] = field(default_factory=list)
    _in_tbody: bool = False

    def __post_init__(self) -> None:
        HTMLParser.__init__(self)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "table" and a.get("id"):
            self._table = str(a["id"])
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "tr" and self._table and self._in_tbody:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "span" and self._cell is not None:
            if a.get("aria-hidden") == "true" or self._hidden_depth:
                self._hidden_depth += 1
        elif tag == "a" and a.get("data-field") is not None:
            self._error_link = str(a["data-field"])
            self._error_text = []
        elif tag == "select":
            self._select = str(a.get("name"))
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self._option = (str(a.get("value")), "selected" in a)
            self._option_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "span" and self._hidden_depth:
            self._hidden_depth -= 1
        elif tag == "a" and self._error_link is not None:
            self.errors.append((self._error_link, " ".join("".join(self._error_text).split())))
            self._error_link = None
        elif tag == "option" and self._option is not None and self._select:
            value, selected = self._option
            self.options[self._select].append((value, "".join(self._option_text), selected))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._hidden_depth:
            self._cell.append(data)
        if self._error_link is not None:
            self._error_text.append(data)
        if self._option is not None:
            self._option_text.append(data)


def read(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def allocations_shown(page: Page) -> dict[str, str]:
    """Practice code -> the allocation column's text, from the results table."""
    rows = page.tables["allocation-table"]
    out = {}
    for row in rows:
        code = row[0].split()[-1]
        out[code] = row[-4]
    return out


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
    client: TestClient, icb: IcbEntry
) -> None:
    response = client.get(f"/allocate?icb={icb.code}")
    assert response.status_code == 200
    page = read(response.text)
    options = {value: text for value, text, _ in page.options["c1"]}
    assert "imd" in options and "population" in options
    assert options["imd"].endswith("every practice has a value")
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
        assert rows[p.code][-2] == format_pounds(p.baseline)
        assert rows[p.code][-1] == format_change(p.difference)
    quintiles = page.tables["quintile-table"]
    assert [row[4] for row in quintiles] == [
        format_share(q.money_share) for q in outcome.result.quintiles
    ]
    # The chart (an inline SVG with its reading), the method and the links.
    assert '<svg role="img"' in response.text
    assert "Allocation per patient against deprivation" in response.text
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
    assert book.sheetnames == ["Allocation", "Inputs and method", "By IMD quintile", "By PCN"]
    rows = list(book["Allocation"].iter_rows(values_only=True))
    column = rows[0].index("allocation")
    total = sum((Decimal(str(r[column])) for r in rows[1:]), Decimal(0))
    assert total.quantize(Decimal("0.01")) == AMOUNT
    inputs = dict(book["Inputs and method"].iter_rows(min_row=2, values_only=True))
    assert inputs["Method"] == "eFIT classic (the published eFIT tool's formula)"
    assert str(inputs["Method (1)"]).startswith("Method: eFIT classic")


def test_a_download_of_a_bad_scenario_is_the_page_with_its_errors(
    client: TestClient, icb: IcbEntry
) -> None:
    response = client.get("/allocate/download.csv", params=query(icb, w2="10"))
    assert response.status_code == 422
    assert ("w1", "The weights must add up to exactly 100%; they add up to 70%.") in read(
        response.text
    ).errors
    assert client.get("/allocate/download.pdf", params=query(icb)).status_code == 404


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


# --- uploads ------------------------------------------------------------------------------------


def icb_codes(db: Path, icb: IcbEntry) -> list[str]:
    with connect(db) as con:
        return sorted(icb_practice_codes(con, icb.code))


def other_icb_code(db: Path, icb: IcbEntry) -> str:
    with connect(db) as con:
        other = next(i for i in list_icbs(con) if i.code != icb.code)
        return sorted(icb_practice_codes(con, other.code))[0]


def upload_form(icb: IcbEntry, /, **changes: str) -> dict[str, str]:
    return {**query(icb, c2="", w2="", w1="100"), "action": "upload", **changes}


def post_file(
    client: TestClient, icb: IcbEntry, name: str, data: bytes, /, **changes: str
) -> tuple[int, Page, str]:
    response = client.post(
        "/allocate",
        data=upload_form(icb, **changes),
        files={"indicators_file": (name, data, "application/octet-stream")},
    )
    return response.status_code, read(response.text), response.text


def problems(page: Page) -> list[list[str]]:
    return page.tables.get("upload-problems-table", [])


def test_an_upload_lists_its_problems_by_row_and_keeps_the_good_rows(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    codes = icb_codes(db, icb)
    lines = ["Practice code,Local need %,Notes"]
    lines += [f"{code},{10 + n}," for n, code in enumerate(codes)]
    lines += [
        "ZZ9999,5,unknown",
        f"{other_icb_code(db, icb)},5,other ICB",
        f"{codes[0]},7,twice",
        ",5,no code",
    ]
    body = "\n".join(lines).encode()
    bad_value = f"{codes[1]},lots,not a number\n{codes[2]},150,over 100".encode()
    # Rows 2 and 3 of the first file are replaced by bad values (and reported).
    body = body.replace(f"{codes[1]},11,\n{codes[2]},12,".encode(), bad_value)
    status, page, html = post_file(client, icb, "local.csv", body)
    assert status == 200
    found = problems(page)
    messages = [" ".join(row) for row in found]
    n = len(codes)
    assert any(r[0] == "3" and "'lots' is not a number" in r[2] for r in found), messages
    assert any(r[0] == "4" and "not a percentage between 0 and 100" in r[2] for r in found)
    assert any(
        r[0] == str(n + 2) and "'ZZ9999' is not a known practice code" in r[2] for r in found
    )
    assert any(r[0] == str(n + 3) and "belongs to another ICB" in r[2] for r in found)
    assert any(r[0] == str(n + 4) and "appears again (first on row 2)" in r[2] for r in found)
    assert any(r[0] == str(n + 5) and "No practice code" in r[2] for r in found)
    # The good rows give a component to choose, carried to the next submission.
    assert ("upload:local-need", "Local need % — ", False) in [
        (v, t[: len("Local need % — ")], s) for v, t, s in page.options["c2"]
    ]
    assert 'name="upload_data"' in html and 'name="upload_name" value="local.csv"' in html


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "The file is empty."),
        ("big.csv", b"x" * (5 * 1024 * 1024 + 1), "the largest file accepted is 5.0 MB"),
        ("notes.pdf", b"%PDF-1.4", "CSV"),
        ("broken.xlsx", b"PK\x03\x04 not really", "cannot be opened"),
        ("nocode.csv", b"Name,Value\nA,1\n", "practice code"),
        ("novalues.csv", b"Practice code,Notes\nA81001,hello\n", "value"),
    ],
)
def test_a_bad_file_is_explained(
    client: TestClient, icb: IcbEntry, name: str, data: bytes, message: str
) -> None:
    status, page, _ = post_file(client, icb, name, data)
    assert status == 422
    assert page.errors and page.errors[0][0] == "indicators_file"
    assert message.lower() in page.errors[0][1].lower(), page.errors


def test_too_many_rows(client: TestClient, db: Path, icb: IcbEntry) -> None:
    body = "Practice code,Need\n" + "".join(f"A{n:05d},1\n" for n in range(20_001))
    status, page, _ = post_file(client, icb, "long.csv", body.encode())
    assert status == 422
    assert "20,000" in page.errors[0][1]


def test_a_file_far_over_the_limit_is_refused_unread(client: TestClient, icb: IcbEntry) -> None:
    status, page, _ = post_file(client, icb, "huge.csv", b"x" * (11 * 1024 * 1024))
    assert status == 413
    assert page.errors == [
        ("indicators_file", "The file is too large: the largest file accepted is 5 MB.")
    ]


def test_uploading_needs_an_icb_and_a_file(client: TestClient, icb: IcbEntry) -> None:
    status, page, _ = post_file(client, icb, "x.csv", b"Practice code,Need\n", icb="")
    assert status == 422
    assert [f for f, _ in page.errors] == ["icb", "indicators_file"]
    response = client.post("/allocate", data=upload_form(icb))
    assert response.status_code == 422
    assert read(response.text).errors == [("indicators_file", "Choose a file to upload.")]


def test_an_xlsx_upload_allocates_like_the_engine(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    codes = icb_codes(db, icb)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["GP code", "Waiting list"])
    for n, code in enumerate(codes):
        sheet.append([code, n % 7 + 1 if n % 5 else None])
    buffer = io.BytesIO()
    book.save(buffer)
    status, page, html = post_file(client, icb, "local.xlsx", buffer.getvalue())
    assert status == 200 and not page.errors
    carried = _hidden(html, "upload_data")

    form = {
        **query(icb, w1="50", c2="upload:waiting-list", w2="50", d2="lower"),
        "action": "calculate",
        "upload_data": carried,
        "upload_name": "local.xlsx",
    }
    response = client.post("/allocate", data=form)
    assert response.status_code == 200, read(response.text).errors
    from gpequity.allocation import parse_indicator_upload
    from gpequity.allocation.icbs import known_practice_codes

    with connect(db) as con:
        upload = parse_indicator_upload(
            buffer.getvalue(), "local.xlsx", set(codes), known_practice_codes(con)
        )
        outcome = allocate_scenario(
            con,
            Scenario(
                icb.code,
                AMOUNT,
                (
                    ComponentChoice("imd", Decimal(50)),
                    ComponentChoice("upload:waiting-list", Decimal(50), Direction.LOWER),
                ),
            ),
            upload.columns,
        )
    assert allocations_shown(read(response.text)) == {
        p.code: format_pounds(p.allocation) for p in outcome.result.practices
    }
    assert "(imputed)" in response.text
    # No link to share (the file is not kept); the downloads post the values again.
    assert 'id="share-url"' not in response.text
    assert response.headers["HX-Push-Url"] == "false"
    download = client.post("/allocate/download.csv", data=form)
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert sum((Decimal(r["allocation"]) for r in rows), Decimal(0)) == AMOUNT
    assert "upload:waiting-list 50% (lower = more need)" in rows[0]["scenario_components"]


def _hidden(html: str, name: str) -> str:
    import html as html_module
    import re

    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None
    return html_module.unescape(match.group(1))


def test_formula_injection_in_an_upload_is_neutralised(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    codes = icb_codes(db, icb)
    header = '"=HYPERLINK(""http://evil.example"",""click"")",+Need,@Notes'
    lines = ["Practice code," + header]
    lines += [f"{code},{n + 1},{n + 2},x" for n, code in enumerate(codes)]
    lines += ["=1+2,5,5,x", "-2+3,5,5,x", "@SUM(A1),5,5,x"]
    status, page, html = post_file(client, icb, "evil.csv", "\n".join(lines).encode())
    assert status == 200, page.errors
    # The page shows the user's text escaped, never as markup.
    assert '<td class="nhsuk-table__cell">&#39;=1+2&#39; is not a known practice code' in html
    component = next(v for v, t, _ in page.options["c2"] if t.startswith("=HYPERLINK"))
    form = {
        **query(icb, w1="50", c2=component, w2="50"),
        "upload_data": _hidden(html, "upload_data"),
        "upload_name": "evil.csv",
    }
    download = client.post("/allocate/download.csv", data=form)
    assert download.status_code == 200
    for row in csv.reader(io.StringIO(download.text)):
        for cell in row:
            if cell.startswith(FORMULA_TRIGGERS):
                # Only numbers may start with "-" or "+"; text is neutralised with a "'".
                Decimal(cell)
    workbook = client.post("/allocate/download.xlsx", data=form)
    book = load_workbook(io.BytesIO(workbook.content), read_only=True)
    texts = [
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    assert not [t for t in texts if t.startswith(FORMULA_TRIGGERS)]


def test_an_uploaded_file_is_never_written_to_disk(
    client: TestClient, db: Path, icb: IcbEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Starlette spools a file over 1 MB to a temporary file; the tool keeps it in memory.
    def refuse(self: object) -> None:
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", refuse)
    codes = icb_codes(db, icb)
    # Over 1 MB in all, each cell under the CSV reader's limit of 128 kB.
    padding = "x" * 100_000
    body = "Practice code,Need,Notes\n" + "".join(f"{c},1,{padding}\n" for c in codes[:20])
    assert len(body) > 1024 * 1024
    status, page, _ = post_file(client, icb, "padded.csv", body.encode())
    assert status == 200, page.errors


# --- compare and sensitivity --------------------------------------------------------------------


def test_compare_shows_both_scenarios_and_their_differences(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    params = {
        "icb": icb.code,
        "amount": "100000",
        "a.method": "efit-classic",
        "a.c1": "bowel-screening",
        "a.w1": "100",
        "b.method": "recommended",
        "b.c1": "bowel-screening",
        "b.w1": "100",
    }
    response = client.get("/allocate/compare", params=params)
    assert response.status_code == 200
    page = read(response.text)
    assert not page.errors
    a = engine(
        db,
        Scenario(
            icb.code,
            Decimal(100000),
            (ComponentChoice("bowel-screening", Decimal(100)),),
            method=Method.EFIT_CLASSIC,
        ),
    )
    b = engine(
        db, Scenario(icb.code, Decimal(100000), (ComponentChoice("bowel-screening", Decimal(100)),))
    )
    rows = {row[0].split()[-1]: row for row in page.tables["compare-practices"]}
    by_b = {p.code: p for p in b.result.practices}
    for p in a.result.practices:
        assert rows[p.code][2] == format_pounds(p.allocation)
        assert rows[p.code][3] == format_pounds(by_b[p.code].allocation)
        assert rows[p.code][4] == format_change(by_b[p.code].allocation - p.allocation)
    assert len(page.tables["compare-quintiles"]) == len(a.result.quintiles)
    spread = component_spread(a.result, "bowel-screening")
    assert spread is not None
    flaw = "barely moves money" in response.text
    assert flaw == (spread < Decimal("0.05"))


def test_compare_errors_name_the_scenario(client: TestClient, icb: IcbEntry) -> None:
    params = {"icb": icb.code, "amount": "1000", "a.c1": "imd", "a.w1": "50", "b.c1": "imd"}
    response = client.get("/allocate/compare", params=params)
    assert response.status_code == 422
    fields = [f for f, _ in read(response.text).errors]
    assert fields == ["a-w1", "b-w1"]


def test_compare_starts_from_per_head_against_deprivation(
    client: TestClient, icb: IcbEntry
) -> None:
    response = client.get("/allocate/compare", params={"icb": icb.code})
    assert response.status_code == 200
    page = read(response.text)
    assert [v for v, _, s in page.options["a.c1"] if s] == ["population"]
    assert [v for v, _, s in page.options["b.c1"] if s] == ["imd"]


def test_sensitivity_moves_the_deprivation_weight(
    client: TestClient, db: Path, icb: IcbEntry
) -> None:
    response = client.get("/allocate/sensitivity", params=query(icb))
    assert response.status_code == 200
    page = read(response.text)
    table = page.tables["sensitivity-table"]
    assert [row[0] for row in table] == ["Share of patients", *(f"{w}%" for w in range(0, 101, 10))]
    # The 60% row is the allocation with 60% on deprivation, 40% on hypertension.
    outcome = engine(db, good_scenario(icb))
    groups = [q for q in outcome.result.quintiles if q.practices > 0]
    row = next(r for r in table if r[0] == "60%")
    assert row[1 : 1 + len(groups)] == [format_share(q.money_share) for q in groups]
    assert '<svg role="img"' in response.text


def test_sensitivity_with_a_bad_other_component(client: TestClient, icb: IcbEntry) -> None:
    response = client.get(
        "/allocate/sensitivity", params={**query(icb), "other": "no-such-indicator"}
    )
    assert response.status_code == 422
    assert read(response.text).errors[0][0] == "other"


def test_the_method_page_has_the_worked_example(client: TestClient) -> None:
    response = client.get("/allocate/method")
    assert response.status_code == 200
    assert 'id="worked-example"' in response.text
    assert "2,489.18" in response.text


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


# --- the presenter's reading of the form --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250000", Decimal("250000")),
        ("£250,000.50", Decimal("250000.50")),
        (" 1 000 ", Decimal("1000")),
        ("-5", Decimal("-5")),
        ("1e5", None),
        ("NaN", None),
        ("", None),
    ],
)
def test_amounts_are_read_as_pounds(text: str, expected: Decimal | None) -> None:
    assert parse_amount(text)[0] == expected


def test_practice_codes_to_leave_out_are_read_in_any_layout() -> None:
    assert exclusion_codes("a81001, A81002;a81001\nb82003\t") == ["A81001", "A81002", "B82003"]


def test_a_scenarios_link_reads_back_to_the_same_scenario() -> None:
    inp = ScenarioInput(
        icb="QHM",
        amount="1000.50",
        method="efit-classic",
        sex="female",
        age_from="18",
        age_to="64",
        components=(
            ComponentInput("imd", "40"),
            ComponentInput(),
            ComponentInput("bowel-screening", "33.3", "lower"),
        ),
        missing="exclude",
        baseline="weighted",
        exclude="A81001 A81002",
    )
    again = read_scenario_input(dict(parse_qsl(inp.query())))
    assert again.query_items() == inp.query_items()
    assert len(again.components) == COMPONENT_ROWS


def test_errors_follow_the_order_of_the_form() -> None:
    errors = [
        FieldError("exclude", "x"),
        FieldError("b-w1", "x"),
        FieldError("a-c1", "x"),
        FieldError("amount", "x"),
        FieldError("amount", "x"),
        FieldError("icb", "x"),
    ]
    assert [e.field for e in order_errors(errors)] == ["icb", "amount", "a-c1", "b-w1", "exclude"]


def test_sorting_falls_back_to_the_practice_code() -> None:
    assert read_sort("allocation", "desc").items() == [("sort", "allocation"), ("order", "desc")]
    assert read_sort("allocation", None).items() == [("sort", "allocation"), ("order", "asc")]
    assert read_sort("drop table", "desc").items() == []
