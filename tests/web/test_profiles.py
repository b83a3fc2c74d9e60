"""Practice and ICB profiles in the app: pages, sorting and filtering, CSV and JSON, exactly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.analysis.profiles import IcbPractice
from gpequity.warehouse.build import CORE_SCHEMA
from gpequity.web.app import create_app
from gpequity.web.presenters_profiles import (
    TableQuery,
    read_table_query,
    select_practices,
)

# Three practices of ICB AAA and one of BBB in 2022/23; Oak Surgery also in 2021/22.
#   code    name           postcode  reg   wtd   total   score q   per weighted
#   A00001  OAK SURGERY    AB1  2CD  1100  1000  100000  5.0   1   100
#   A00002  ELM PRACTICE   AB12 3EF  2100  2000  160000  40.0  5    80
#   A00003  =CMD() HOUSE   ZZ9  9ZZ    10     0   50000  -     -   none
#   A00004  BIRCH CENTRE   CD1  1AA   900  1000  120000  6.0   1   120
ROWS = [
    ("2022/23", "A00001", "AAA", "OAK SURGERY", "AB1  2CD", 1100, 1000, 100000, 5.0, 1),
    ("2022/23", "A00002", "AAA", "ELM PRACTICE", "AB12 3EF", 2100, 2000, 160000, 40.0, 5),
    ("2022/23", "A00003", "AAA", "=CMD() HOUSE", "ZZ9  9ZZ", 10, 0, 50000, None, None),
    ("2022/23", "A00004", "BBB", "BIRCH CENTRE", "CD1  1AA", 900, 1000, 120000, 6.0, 1),
    ("2021/22", "A00001", "AAA", "OAK SURGERY", "AB1  2CD", 1000, 1000, 90000, 5.0, 1),
]
ICB_NAMES = {"AAA": "NHS Alpha Integrated Care Board", "BBB": "NHS Beta Integrated Care Board"}


def write_payments_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(CORE_SCHEMA)
        con.execute(
            "INSERT INTO meta VALUES ('synthetic', 'true'), ('built_at', '2026-01-01T00:00:00')"
        )
        con.execute(
            "CREATE TABLE payments (year VARCHAR, practice_code VARCHAR, icb_code VARCHAR, "
            "icb_name VARCHAR, practice_name VARCHAR, postcode VARCHAR, pcn_code VARCHAR, "
            "pcn_name VARCHAR, registered_patients DOUBLE, weighted_patients DOUBLE, "
            "dispensing VARCHAR, rurality VARCHAR, contract_type VARCHAR, "
            "total_payments DECIMAL(18, 2), total_incl_covid DECIMAL(18, 2), "
            "total_incl_pcn DECIMAL(18, 2), total_incl_covid_pcn DECIMAL(18, 2), "
            "total_minus_deductions DECIMAL(18, 2), prescribing_fee DECIMAL(18, 2), "
            "dispensing_fee DECIMAL(18, 2), drug_reimbursement DECIMAL(18, 2))"
        )
        con.execute(
            "CREATE TABLE practice_imd_year (year VARCHAR, practice_code VARCHAR, score DOUBLE, "
            "method VARCHAR, quintile INTEGER, decile INTEGER)"
        )
        for year, code, icb, name, postcode, reg, wtd, total, score, q in ROWS:
            con.execute(
                "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, 'U1', 'ONE PCN', ?, ?, 'No', "
                "'Urban', 'GMS', ?, NULL, NULL, NULL, NULL, 0, 0, 0)",
                [year, code, icb, ICB_NAMES[icb], name, postcode, reg, wtd, total],
            )
            con.execute(
                "INSERT INTO practice_imd_year VALUES (?, ?, ?, 'carried forward from IMD 2019', "
                "?, NULL)",
                [year, code, score, q],
            )
    return path


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    db = write_payments_warehouse(tmp_path / "payments.duckdb")
    with TestClient(create_app(db)) as test_client:
        yield test_client


def table_rows(html: str, testid: str) -> list[list[str]]:
    """The text of each body row of the table marked ``data-testid``, cell by cell, as a reader
    sees it (entities such as ``&#39;`` read as their characters)."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows


# --- search -------------------------------------------------------------------------------------


def test_the_search_page_finds_practices_and_icbs(client: TestClient) -> None:
    html = client.get("/practices", params={"q": "oak"}).text

    assert '<a href="/practices/A00001">OAK SURGERY (A00001)</a>' in html
    assert "AB1 2CD · ICB: NHS Alpha Integrated Care Board · PCN: ONE PCN · found by name" in html
    assert "1 practice found" in html

    html = client.get("/practices", params={"q": "alpha"}).text
    assert '<a href="/icbs/AAA">NHS Alpha Integrated Care Board (AAA)</a>' in html
    assert "3 practices" in html


@pytest.mark.parametrize("query", ["ab12cd", "AB1 2CD", "ab1  2cd"])
def test_the_search_page_finds_a_full_postcode(client: TestClient, query: str) -> None:
    html = client.get("/practices", params={"q": query}).text

    assert '<a href="/practices/A00001">OAK SURGERY (A00001)</a>' in html
    assert "found by postcode" in html
    assert "ELM PRACTICE" not in html  # AB12 3EF: another district


def test_the_search_page_says_how_many_it_shows(client: TestClient) -> None:
    html = client.get("/practices", params={"q": "one pcn"}).text

    assert "4 practices found" in html
    assert html.count("found by PCN name") == 4


@pytest.mark.parametrize("query", ["zzzz", "%", "'; DROP TABLE payments; --", '"', "AB1 2CE"])
def test_a_search_that_finds_nothing_says_so(client: TestClient, query: str) -> None:
    response = client.get("/practices", params={"q": query})

    assert response.status_code == 200
    assert "No practice or ICB matches" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter a practice name"),
        ("   ", "Enter a practice name"),
        ("x" * 5000, "That search is 5,000 characters long: search for at most 100"),
    ],
)
def test_an_empty_or_over_long_search_says_what_to_do(
    client: TestClient, query: str, message: str
) -> None:
    response = client.get("/practices", params={"q": query})

    assert response.status_code == 200
    assert message in response.text
    assert "No practice or ICB matches" not in response.text


def test_the_search_page_without_a_query_asks_for_nothing(client: TestClient) -> None:
    response = client.get("/practices")

    assert response.status_code == 200
    assert "Enter a practice name" not in response.text


def test_the_search_api_lists_what_the_page_does(client: TestClient) -> None:
    body = client.get("/api/v1/practices", params={"q": "ab12cd"}).json()

    assert body == {
        "query": "ab12cd",
        "practices_found": 1,
        "practices": [
            {
                "code": "A00001",
                "name": "OAK SURGERY",
                "postcode": "AB1 2CD",
                "icb_code": "AAA",
                "icb_name": "NHS Alpha Integrated Care Board",
                "pcn_code": "U1",
                "pcn_name": "ONE PCN",
                "year": "2022/23",
                "matched_on": "postcode",
            }
        ],
        "icbs": [],
    }
    icbs = client.get("/api/v1/practices", params={"q": "alpa"}).json()["icbs"]
    assert [(i["code"], i["practices"]) for i in icbs] == [("AAA", 3)]
    limited = client.get("/api/v1/practices", params={"q": "one pcn", "limit": 2}).json()
    assert (len(limited["practices"]), limited["practices_found"]) == (2, 4)


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({}, 400, "q is empty"),
        ({"q": " "}, 400, "q is empty"),
        ({"q": "x" * 101}, 400, "q is 101 characters long: at most 100"),
        ({"q": "oak", "limit": 0}, 422, "limit"),
        ({"q": "oak", "limit": "many"}, 422, "limit"),
    ],
)
def test_the_search_api_refuses_a_bad_query_and_says_why(
    client: TestClient, params: dict[str, object], status: int, detail: str
) -> None:
    response = client.get("/api/v1/practices", params=params)  # type: ignore[arg-type]

    assert response.status_code == status
    assert detail in str(response.json()["detail"])


def test_without_payments_the_search_page_says_no_data(empty_client: TestClient) -> None:
    response = empty_client.get("/practices", params={"q": "oak"})

    assert response.status_code == 200
    assert "No data loaded yet" in response.text


# --- practice -----------------------------------------------------------------------------------


def test_a_practice_profile_shows_its_figures(client: TestClient) -> None:
    html = client.get("/practices/A00001").text

    assert "<title>Oak Surgery (A00001) – gpequity</title>" in html
    assert '<h1 data-testid="practice-name">Oak Surgery</h1>' in html
    assert '<a href="/icbs/AAA">NHS Alpha Integrated Care Board (AAA)</a>' in html
    assert table_rows(html, "payments-table") == [
        # 2021/22: Oak Surgery is AAA's only practice paid, and England's.
        ["Year 2021/22", "This practice £90.00", "ICB median £90.00", "England median £90.00",
         "Practice's quintile Q1 (least deprived)", "Quintile median £90.00"],
        # 2022/23: AAA 100 and 80 (the third has no weighted patients); England 100, 80, 120.
        ["Year 2022/23", "This practice £100.00", "ICB median £90.00", "England median £100.00",
         "Practice's quintile Q1 (least deprived)", "Quintile median £110.00"],
    ]  # fmt: skip
    assert (
        "£100.00 per weighted patient in 2022/23, £10.00 more than the median of its ICB&#39;s "
        "practices (£90.00) and the same as England&#39;s median (£100.00); in 2021/22 it "
        "received £90.00."
    ) in html


def test_a_practice_code_in_lower_case_redirects(client: TestClient) -> None:
    response = client.get("/practices/a00001", follow_redirects=False)

    assert response.status_code == 301
    assert response.headers["location"] == "/practices/A00001"


@pytest.mark.parametrize("path", ["/practices/Z99999", "/practices/..%2F..", "/practices/A0"])
def test_an_unknown_practice_is_the_404_page(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text


def test_the_practice_payments_csv_is_exact(client: TestClient) -> None:
    response = client.get("/practices/A00001/payments.csv")

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="practice-A00001-payments.csv"'
    )
    assert response.text == (
        "year,practice_code,total_payments,payments_per_weighted_patient,icb_code,icb_median,"
        "icb_practices,england_median,england_practices,imd_quintile,quintile_median,"
        "quintile_practices\r\n"
        "2021/22,A00001,90000.00,90.0,AAA,90.0,1,90.0,1,1,90.0,1\r\n"
        "2022/23,A00001,100000.00,100.0,AAA,90.0,2,100.0,3,1,110.0,2\r\n"
    )


def test_the_practice_api_gives_the_same_figures(client: TestClient) -> None:
    body = client.get("/api/v1/practices/A00001").json()

    assert body["practice"]["code"] == "A00001"
    assert body["practice"]["icb_code"] == "AAA"
    assert body["practice"]["imd_quintile"] == 1
    assert [
        (y["year"], y["per_weighted_patient"], y["icb_median"], y["england_median"])
        for y in body["payments"]
    ] == [("2021/22", 90.0, 90.0, 90.0), ("2022/23", 100.0, 90.0, 100.0)]
    assert body["indicators"] == []


def test_the_api_answers_unknown_codes_with_json(client: TestClient) -> None:
    response = client.get("/api/v1/practices/Z99999")
    assert response.status_code == 404
    assert response.json() == {"detail": "no practice has the code 'Z99999' in the payments files"}

    response = client.get("/api/v1/icbs/ZZZ")
    assert response.status_code == 404
    assert response.json() == {"detail": "no practice is in ICB 'ZZZ' in the payments files"}


def test_without_a_warehouse_the_api_is_503(empty_client: TestClient) -> None:
    response = empty_client.get("/api/v1/practices/A00001")

    assert response.status_code == 503
    assert response.json() == {"detail": "no warehouse is loaded yet"}


# --- ICB ----------------------------------------------------------------------------------------


def test_an_icb_profile_lists_its_practices_spread_and_gradient(client: TestClient) -> None:
    html = client.get("/icbs/AAA").text

    assert '<h1 data-testid="icb-name">NHS Alpha Integrated Care Board</h1>' in html
    assert table_rows(html, "practices-table") == [
        ["=Cmd() House", "A00003", "One Pcn", "10", "0", "Not recorded",
         "Not ranked (no IMD score or no patients)", "No",
         "Not available"],
        ["Elm Practice", "A00002", "One Pcn", "2,100", "2,000", "40.0", "Q5 (most deprived)",
         "No", "£80.00"],
        ["Oak Surgery", "A00001", "One Pcn", "1,100", "1,000", "5.0", "Q1 (least deprived)",
         "No", "£100.00"],
    ]  # fmt: skip
    assert table_rows(html, "spread-table") == [
        ["National quintile Q1 (least deprived)", "Practices 1", "Share of practices 33.3%",
         "Registered patients 1,100", "Share of patients 34.3%"],
        ["National quintile Q2", "Practices 0", "Share of practices 0.0%",
         "Registered patients 0", "Share of patients 0.0%"],
        ["National quintile Q3", "Practices 0", "Share of practices 0.0%",
         "Registered patients 0", "Share of patients 0.0%"],
        ["National quintile Q4", "Practices 0", "Share of practices 0.0%",
         "Registered patients 0", "Share of patients 0.0%"],
        ["National quintile Q5 (most deprived)", "Practices 1", "Share of practices 33.3%",
         "Registered patients 2,100", "Share of patients 65.4%"],
        ["National quintile Not ranked (no IMD score or no patients)", "Practices 1",
         "Share of practices 33.3%",
         "Registered patients 10", "Share of patients 0.3%"],
    ]  # fmt: skip
    gradient = table_rows(html, "gradient-table")
    assert gradient[0] == [
        "National quintile Q1 (least deprived)",
        "This ICB £100.00",
        "ICB practices 1",
        "England £110.00",
        "England practices 2",
    ]
    assert (
        "In 2022/23, in this ICB, practices in the least deprived fifth received £20.00 more per "
        "weighted patient than those in the most deprived fifth."
    ) in html


def test_the_practices_table_sorts_on_the_server(client: TestClient) -> None:
    html = client.get("/icbs/AAA", params={"sort": "registered", "order": "desc"}).text

    assert [r[1] for r in table_rows(html, "practices-table")] == ["A00002", "A00001", "A00003"]
    # The sorted column says so, and its link sorts the other way; the others sort ascending.
    assert 'aria-sort="descending" data-sort-key="registered"' in html
    assert 'href="/icbs/AAA?year=2022%2F23&amp;sort=registered&amp;order=asc#icb-practices"' in html
    assert 'href="/icbs/AAA?year=2022%2F23&amp;sort=name&amp;order=asc#icb-practices"' in html


def test_missing_values_sort_last_both_ways(client: TestClient) -> None:
    for order, expected in (("asc", ["A00001", "A00002"]), ("desc", ["A00002", "A00001"])):
        html = client.get("/icbs/AAA", params={"sort": "imd", "order": order}).text
        assert [r[1] for r in table_rows(html, "practices-table")] == [*expected, "A00003"]


def test_the_practices_table_filters(client: TestClient) -> None:
    html = client.get("/icbs/AAA", params={"filter": "oak"}).text
    assert [r[1] for r in table_rows(html, "practices-table")] == ["A00001"]
    assert "Showing 1 of 3 practices" in html

    html = client.get("/icbs/AAA", params={"quintile": "none"}).text
    assert [r[1] for r in table_rows(html, "practices-table")] == ["A00003"]


def test_the_practices_csv_follows_the_tables_sort_and_filter(client: TestClient) -> None:
    response = client.get(
        "/icbs/AAA/practices.csv", params={"sort": "per_weighted", "order": "desc"}
    )

    assert response.headers["content-disposition"] == (
        'attachment; filename="icb-AAA-practices-2022-23.csv"'
    )
    # The practice name starting with "=" is neutralised: it opens as text, not a formula.
    assert response.text == (
        "year,icb_code,practice_code,practice_name,pcn_name,postcode,registered_patients,"
        "weighted_patients,imd_score,imd_quintile,dispensing,rurality,total_payments,"
        "payments_per_weighted_patient\r\n"
        "2022/23,AAA,A00001,OAK SURGERY,ONE PCN,AB1 2CD,1100.0,1000.0,5.0,1,No,Urban,"
        "100000.00,100.0\r\n"
        "2022/23,AAA,A00002,ELM PRACTICE,ONE PCN,AB12 3EF,2100.0,2000.0,40.0,5,No,Urban,"
        "160000.00,80.0\r\n"
        "2022/23,AAA,A00003,'=CMD() HOUSE,ONE PCN,ZZ9 9ZZ,10.0,0.0,,,No,Urban,50000.00,\r\n"
    )
    page = client.get("/icbs/AAA", params={"sort": "per_weighted", "order": "desc"}).text
    assert (
        'href="/icbs/AAA/practices.csv?year=2022%2F23&amp;sort=per_weighted&amp;order=desc"'
    ) in page


def test_the_gradient_and_spread_csv(client: TestClient) -> None:
    gradient = client.get("/icbs/AAA/gradient.csv").text.splitlines()
    assert gradient[0] == (
        "year,icb_code,imd_quintile,label,icb_practices,icb_per_weighted_patient,"
        "england_practices,england_per_weighted_patient"
    )
    assert gradient[1] == "2022/23,AAA,1,Q1 (least deprived),1,100.0,2,110.0"
    assert gradient[3] == "2022/23,AAA,3,Q3,0,,0,"

    spread = client.get("/icbs/AAA/quintiles.csv").text.splitlines()
    assert spread[-1] == (
        "2022/23,AAA,,Not ranked (no IMD score or no patients),1,10.0,0.3333333333333333,"
        "0.003115264797507788"
    )


def test_an_icb_in_another_year(client: TestClient) -> None:
    html = client.get("/icbs/AAA", params={"year": "21-22"}).text

    assert [r[1] for r in table_rows(html, "practices-table")] == ["A00001"]
    assert client.get("/icbs/AAA", params={"year": "2019/20"}).status_code == 404
    assert client.get("/icbs/AAA", params={"year": "next year"}).status_code == 404


def test_the_icb_api(client: TestClient) -> None:
    body = client.get("/api/v1/icbs/AAA").json()

    assert (body["code"], body["name"], body["year"], body["years"]) == (
        "AAA",
        "NHS Alpha Integrated Care Board",
        "2022/23",
        ["2021/22", "2022/23"],
    )
    assert [p["code"] for p in body["practices"]] == ["A00001", "A00002", "A00003"]
    assert body["icb_gap_q1_minus_q5"] == 20.0
    assert body["spread"][-1]["imd_quintile"] is None


def test_the_api_is_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]

    for path in (
        "/api/v1/resources",
        "/api/v1/resources/{slug}",
        "/api/v1/practices/{code}",
        "/api/v1/icbs/{code}",
    ):
        assert path in paths, path


# --- presenters: the table's sort and filter as a spec table ------------------------------------


def practice(code: str, name: str, registered: float | None, quintile: int | None) -> IcbPractice:
    return IcbPractice(
        code=code,
        name=name,
        pcn_name=None,
        postcode=None,
        registered_patients=registered,
        weighted_patients=None,
        imd_score=None,
        quintile=quintile,
        dispensing=None,
        rurality=None,
        total_payments=None,
        per_weighted_patient=None,
    )


PRACTICES = [
    practice("C3", "cedar", 300, 2),
    practice("A1", "Ash", None, 1),
    practice("B2", "birch", 100, None),
    practice("D4", "Dogwood", 100, 2),
]


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        (TableQuery(), ["A1", "B2", "C3", "D4"]),  # by name, case aside
        (TableQuery(order="desc"), ["D4", "C3", "B2", "A1"]),
        (TableQuery(sort="registered"), ["B2", "D4", "C3", "A1"]),  # ties by code; none last
        (TableQuery(sort="registered", order="desc"), ["C3", "B2", "D4", "A1"]),
        (TableQuery(quintile="2"), ["C3", "D4"]),
        (TableQuery(quintile="none"), ["B2"]),
        (TableQuery(filter="WOOD"), ["D4"]),
        (TableQuery(filter="b2"), ["B2"]),
    ],
)
def test_select_practices(query: TableQuery, codes: list[str]) -> None:
    assert [p.code for p in select_practices(PRACTICES, query)] == codes


def test_unknown_table_parameters_fall_back_to_the_defaults() -> None:
    assert read_table_query("nonsense", "sideways", "  a   b ", "7") == TableQuery(filter="a b")
