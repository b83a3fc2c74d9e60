"""The Funding and deprivation page and its CSV downloads, over a small demo warehouse.

The figures the page shows are checked against the analysis module's own results on the same
warehouse (formatted here by hand, not by the presenter), and every CSV body against
``write_csv`` over the analysis result's ``table()``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from fastapi.testclient import TestClient

from gpequity.analysis.payment_results import EXCLUSIONS_HEADER
from gpequity.analysis.payments import (
    By,
    DeprivationResult,
    NationalSummary,
    Total,
    national_summary,
    payment_lines_by_deprivation,
    payments_by_deprivation,
    payments_trend,
)
from gpequity.chart_layouts import prefix_svg_ids
from gpequity.charts import dispensing_distribution_chart, dispensing_split_chart, trend_chart
from gpequity.exports import write_csv
from gpequity.intervals import Interval
from gpequity.warehouse.build import connect
from gpequity.web.app import create_app
from gpequity.web.funding.query import (
    CSV_TABLES,
    FieldError,
    FundingQuery,
    query_status,
    read_funding_query,
)
from gpequity.web.funding.results import FundingAnalysis
from gpequity.web.funding.sections import gap_words

DEMO_SEED = 11
DEMO_PRACTICES = 300
YEARS = ["2020/21", "2021/22", "2022/23"]
LATEST = "2022/23"


# --- a small HTML tree, to read the page as a user would -----------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self, *, skip_responsive_headings: bool = True) -> str:
        """The node's text, spaces collapsed; without the responsive tables' per-cell headings
        (``nhsuk-table__heading``, hidden from screen readers)."""
        parts: list[str] = []
        self._collect(parts, skip_responsive_headings)
        return " ".join("".join(parts).split())

    def _collect(self, parts: list[str], skip: bool) -> None:
        if skip and "nhsuk-table__heading" in self.attrs.get("class", "").split():
            return
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            else:
                child._collect(parts, skip)

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter(tag)

    def find(self, tag: str | None = None, **attrs: str) -> Node | None:
        for node in self.iter(tag):
            if all(node.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items()):
                return node
        return None

    def get(self, tag: str | None = None, **attrs: str) -> Node:
        node = self.find(tag, **attrs)
        assert node is not None, f"no <{tag or '*'}> with {attrs}"
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def table_rows(doc: Node, table_id: str) -> list[list[str]]:
    """The text of every row of a table (header row first)."""
    table = doc.get("table", id=table_id)
    return [
        [cell.text() for cell in row.iter() if cell.tag in ("th", "td")] for row in table.iter("tr")
    ]


def summary_list(node: Node) -> dict[str, str]:
    return {
        row.get("dt").text(): row.get("dd").text()
        for row in node.iter("div")
        if "nhsuk-summary-list__row" in row.attrs.get("class", "")
    }


# --- independent formats: what the page must show for a value ------------------------------------


def pounds(value: float | Decimal | None) -> str:
    if value is None:
        return "Not available"
    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return ("\u2212" if d < 0 else "") + "£" + f"{abs(d):,}"


def whole_pounds(value: Decimal) -> str:
    d = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return ("\u2212" if d < 0 else "") + "£" + f"{abs(d):,}"


def whole(n: float) -> str:
    return f"{Decimal(str(n)).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def millions(value: Decimal) -> str:
    return f"£{(value / 1_000_000).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}m"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gpequity.sources.demo import generate_demo
    from gpequity.warehouse.build import build_warehouse

    demo = tmp_path_factory.mktemp("funding-demo")
    generate_demo(demo, seed=DEMO_SEED, practices=DEMO_PRACTICES)
    db = tmp_path_factory.mktemp("funding-warehouse") / "gpequity.duckdb"
    build_warehouse(db, [demo])
    return db


@pytest.fixture(scope="module")
def con(demo_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(demo_db)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def app_client(demo_db: Path) -> Iterator[TestClient]:
    # Server errors come back as the 500 page, so that a test can see (and fail on) them.
    with TestClient(create_app(demo_db), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def latest_page(app_client: TestClient) -> Node:
    response = app_client.get("/funding")
    assert response.status_code == 200
    return parse(response.text)


def altered_copy(demo_db: Path, tmp_path: Path, *statements: str) -> Path:
    """A copy of the demo warehouse changed by some SQL."""
    db = tmp_path / "altered.duckdb"
    shutil.copy(demo_db, db)
    with duckdb.connect(str(db)) as altered:
        for sql in statements:
            altered.execute(sql)
    return db


# --- the page ------------------------------------------------------------------------------------


def test_the_page_is_presented_once_per_build_and_choice(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's HTML is kept per build of the warehouse and choice (``render_kept``): asked
    again, the same page without presenting it again; another year is a page of its own; a
    rebuilt warehouse (a new file renamed over the old) is presented afresh."""
    from gpequity.web.routes import funding as route

    presented: list[str] = []
    present = route.present_funding

    def counted(years: list[str], analysis: FundingAnalysis) -> object:
        presented.append(analysis.query.year)
        return present(years, analysis)

    monkeypatch.setattr(route, "present_funding", counted)
    db = tmp_path / "served" / "gpequity.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db, db)
    with TestClient(create_app(db)) as client:
        first = client.get("/funding")
        again = client.get("/funding")
        assert first.status_code == again.status_code == 200
        assert again.text == first.text
        assert presented == [LATEST]
        assert client.get("/funding", params={"year": YEARS[0]}).status_code == 200
        assert presented == [LATEST, YEARS[0]]

        rebuilt = altered_copy(demo_db, tmp_path, "UPDATE payments SET weighted_patients = 1")
        rebuilt.replace(db)
        after = client.get("/funding")
        assert after.status_code == 200
        assert presented == [LATEST, YEARS[0], LATEST]
        assert after.text != first.text


def test_the_page_is_in_the_navigation_and_shows_the_latest_year_by_default(
    latest_page: Node,
) -> None:
    nav = latest_page.get("nav", aria_label="Menu")
    current = nav.get("a", aria_current="page")
    assert current.text() == "Funding and deprivation"
    assert current.attrs["href"] == "/funding"
    assert latest_page.get("title").text() == f"Funding and deprivation, {LATEST} – gpequity"
    assert latest_page.get("h1").text() == "Funding and deprivation"
    select = latest_page.get("select", id="year")
    options = [(o.attrs["value"], "selected" in o.attrs) for o in select.iter("option")]
    assert options == [(y, y == LATEST) for y in reversed(YEARS)]


def test_the_summary_in_words_and_in_full_is_the_analysis_modules(
    latest_page: Node, con: duckdb.DuckDBPyConnection
) -> None:
    s = national_summary(con, LATEST)
    sentence = latest_page.get(data_testid="summary-sentence").text()
    assert sentence.startswith(
        f"In {LATEST}, {s.practices:,} practices received {millions(s.total_payments)} in NHS "
        "payments to general practice"
    )
    items = summary_list(latest_page.get("dl", data_testid="summary-list"))
    assert items["Practices"] == f"{s.practices:,}"
    assert items["Registered patients"] == whole(s.registered_patients)
    assert items["Weighted patients"] == whole(s.weighted_patients)
    assert items["Total NHS Payments to General Practice"] == whole_pounds(s.total_payments)
    assert s.total_payments_incl_covid is not None
    assert s.total_payments_incl_covid_pcn is not None
    assert s.total_payments_minus_deductions is not None
    assert items["Including COVID payments"] == whole_pounds(s.total_payments_incl_covid)
    assert items["Including COVID and PCN payments"] == whole_pounds(
        s.total_payments_incl_covid_pcn
    )
    assert items["Minus deductions"] == whole_pounds(s.total_payments_minus_deductions)
    assert items["Prescribing and dispensing payments"] == whole_pounds(
        s.prescribing_dispensing_payments
    )


def test_the_dispensing_split_is_the_summarys(
    latest_page: Node, con: duckdb.DuckDBPyConnection
) -> None:
    s = national_summary(con, LATEST)
    rows = table_rows(latest_page, "summary")
    assert rows[0] == [
        "Practices",
        "Number of practices",
        "Registered patients",
        "Total payments",
        "Prescribing and dispensing payments",
    ]
    names = {"Yes": "Dispensing practices", "No": "Non-dispensing practices"}
    expected = [
        [
            "All practices",
            f"{s.practices:,}",
            whole(s.registered_patients),
            whole_pounds(s.total_payments),
            whole_pounds(s.prescribing_dispensing_payments),
        ]
    ] + [
        [
            names.get(d.status, "Dispensing status unknown"),
            f"{d.practices:,}",
            whole(d.registered_patients),
            whole_pounds(d.total_payments),
            whole_pounds(d.prescribing_dispensing_payments),
        ]
        for d in s.by_dispensing_status.values()
    ]
    assert rows[1:] == expected


def deprivation_rows(result: DeprivationResult) -> list[list[str]]:
    return [
        [
            g.label,
            f"{g.practices:,}",
            whole(g.registered_patients),
            whole(g.weighted_patients),
            whole_pounds(g.payments),
            pounds(g.per_registered_patient),
            with_interval(g.per_weighted_patient, result.group_interval(g)),
        ]
        for g in result.groups
    ]


def with_interval(value: float | None, interval: Interval | None) -> str:
    """A figure and its 95% confidence interval, as the page writes it (written out here)."""
    assert interval is not None
    return f"{pounds(value)} (95% CI {pounds(interval.lower)} to {pounds(interval.upper)})"


def test_the_table_by_deprivation_and_its_measures_are_the_analysis_modules(
    latest_page: Node, con: duckdb.DuckDBPyConnection
) -> None:
    result = payments_by_deprivation(con, LATEST)
    rows = table_rows(latest_page, "by-deprivation")
    assert rows[0] == [
        "Deprivation fifth",
        "Number of practices",
        "Registered patients",
        "Weighted patients",
        "Payments",
        "Per registered patient",
        "Per weighted patient (95% confidence interval)",
    ]
    assert rows[1:] == deprivation_rows(result)
    assert [r[0] for r in rows[1:]] == [
        "Q1 (least deprived)",
        "Q2",
        "Q3",
        "Q4",
        "Q5 (most deprived)",
    ]
    measures = summary_list(latest_page.get("dl", data_testid="measures"))
    gap, slope = result.gap_q1_minus_q5["all"], result.slope_index["all"]
    concentration = result.concentration_index["all"]
    assert gap is not None and slope is not None and concentration is not None
    found = result.interval_of()
    assert measures["Gap, Q1 (least deprived) minus Q5 (most deprived)"].startswith(
        f"{with_interval(gap, found.gap)} per weighted patient"
    )
    assert measures["Slope index of inequality"].startswith(
        f"{with_interval(slope, found.slope_index)} per weighted"
    )
    assert found.concentration_index is not None
    assert (
        f"(95% CI {found.concentration_index.lower:.4f} to".replace("-", "\u2212")
        in (measures["Concentration index"])
    )
    assert measures["Concentration index"].startswith(f"{concentration:.4f}".replace("-", "\u2212"))
    # What each measure means is said in words, by its sign.
    assert ("Negative" if slope < 0 else "Positive") in measures["Slope index of inequality"]
    assert ("Positive" if concentration > 0 else "Negative") in measures["Concentration index"]
    sentence = latest_page.get(data_testid="deprivation-sentence").text()
    q1, q5 = result.group(1), result.group(5)
    assert q1 is not None and q5 is not None
    assert pounds(q1.per_weighted_patient) in sentence
    assert pounds(q5.per_weighted_patient) in sentence
    assert pounds(abs(gap)) in sentence
    assert "A 95% confidence interval shows how much a figure could change" in (
        latest_page.get("section", aria_labelledby="deprivation-heading").text()
    )


def test_the_split_by_dispensing_and_the_payment_lines_are_the_analysis_modules(
    latest_page: Node, con: duckdb.DuckDBPyConnection
) -> None:
    by_dispensing = payments_by_deprivation(con, LATEST, by=By.dispensing)
    rows = table_rows(latest_page, "by-dispensing")
    words = {"Yes": "Dispensing", "No": "Non-dispensing"}
    assert [r[:3] for r in rows[1:]] == [
        [words[str(g.group)], g.label, f"{g.practices:,}"] for g in by_dispensing.groups
    ]
    assert [r[-1] for r in rows[1:]] == [
        with_interval(g.per_weighted_patient, by_dispensing.group_interval(g))
        for g in by_dispensing.groups
    ]
    gap_no = by_dispensing.gap_q1_minus_q5["No"]
    assert gap_no is not None
    assert pounds(abs(gap_no)) in latest_page.get(data_testid="dispensing-sentence").text()

    lines = payment_lines_by_deprivation(con, LATEST)
    rows = table_rows(latest_page, "payment-lines")
    assert len(rows) == len(lines.lines) + 1
    for row, line in zip(rows[1:], lines.lines, strict=True):
        assert row[0] == line.label
        assert row[1] == whole_pounds(line.payments)
        assert row[2] == pounds(line.per_weighted_patient)
        assert row[3:8] == [pounds(v) for v in line.by_quintile]


def test_the_exclusions_are_counted_with_their_reasons(
    latest_page: Node, con: duckdb.DuckDBPyConnection
) -> None:
    result = payments_by_deprivation(con, LATEST)
    rows = table_rows(latest_page, "exclusions")
    assert rows[1:] == [
        [
            e.reason[0].upper() + e.reason[1:],
            f"{e.practices:,}",
            whole(e.registered_patients),
            whole_pounds(e.payments),
        ]
        for e in result.excluded
    ]
    unknown = next(
        e
        for e in payments_by_deprivation(con, LATEST, by=By.dispensing).excluded
        if e.key == "unknown_dispensing"
    )
    section = latest_page.get("section", aria_labelledby="exclusions-heading").text()
    assert f"leaves out {unknown.practices:,} practices whose dispensing status is unknown" in (
        section
    )


def test_every_chart_is_an_accessible_svg_with_a_heading_a_reading_and_its_data(
    latest_page: Node, con: duckdb.DuckDBPyConnection
) -> None:
    all_practices = payments_by_deprivation(con, LATEST)
    by_dispensing = payments_by_deprivation(con, LATEST, by=By.dispensing)
    expected = {
        "chart-dispensing-split": dispensing_split_chart(all_practices, by_dispensing),
        "chart-dispensing-distribution": dispensing_distribution_chart(by_dispensing),
        "chart-trend": trend_chart(payments_trend(con)),
    }
    for chart_id, chart in expected.items():
        block = latest_page.get("div", id=chart_id)
        assert block.get("h3").text() == chart.title
        assert block.get(data_testid=f"{chart_id}-reading").text() == chart.reading
        svg = block.get("svg")
        assert svg.attrs["role"] == "img"
        assert svg.get("title").text() == chart.title
        assert svg.get("desc").text() == chart.reading
        data = block.get("details").get("table")
        assert len(list(data.iter("tr"))) == len(chart.rows) + 1
    lines = latest_page.get("div", id="chart-payment-lines")
    assert lines.get("svg").attrs["role"] == "img"
    assert lines.get("svg").get("title").text() == "Payment lines by deprivation"
    # Its data is the payment lines table, right after it.
    assert lines.find("details") is None
    # Each chart is drawn wide and narrow (the page's CSS shows one), each an image with the
    # same name and description.
    for block in [latest_page.get("div", id=chart_id) for chart_id in expected] + [lines]:
        svgs = list(block.iter("svg"))
        assert [s.attrs["data-layout"] for s in svgs] == ["wide", "narrow"]
        assert len({(s.get("title").text(), s.get("desc").text()) for s in svgs}) == 1
    # The heat map's gradients are named after its chart and layout, and still found.
    for svg in lines.iter("svg"):
        layout = svg.attrs["data-layout"]
        ids = [n.attrs["id"] for n in svg.iter() if "id" in n.attrs]
        assert ids and all(i.startswith(f"chart-payment-lines-{layout}-") for i in ids), ids
        fills = "".join(n.attrs.get("fill", "") for n in svg.iter())
        assert f"url(#chart-payment-lines-{layout}-gradient" in fills


def test_every_table_has_a_caption_header_cells_with_scope_and_a_csv_link(
    latest_page: Node,
) -> None:
    tables = list(latest_page.get("main").iter("table"))
    assert {t.attrs["id"] for t in tables} == {
        "summary",
        "by-deprivation",
        "chart-dispensing-split-data",
        "chart-dispensing-distribution-data",
        "by-dispensing",
        "payment-lines",
        "chart-trend-data",
        "exclusions",
    }
    for table in tables:
        assert table.get("caption").text()
        head = table.get("thead")
        assert all(th.attrs.get("scope") == "col" for th in head.iter("th"))
        for row in table.get("tbody").iter("tr"):
            assert all(th.attrs.get("scope") == "row" for th in row.iter("th"))
        link = latest_page.get("a", data_testid=f"{table.attrs['id']}-csv")
        href = urlsplit(link.attrs["href"])
        assert href.path.startswith("/funding/") and href.path.endswith(".csv")
        assert parse_qs(href.query)["year"] == [LATEST]
        assert table.get("caption").text() in link.text()


def test_the_form_works_without_javascript_and_htmx_swaps_its_results(
    latest_page: Node,
) -> None:
    form = latest_page.get("form", data_testid="funding-form")
    assert form.attrs["method"] == "get"
    assert form.attrs["action"] == "/funding"
    assert form.get("button").attrs["type"] == "submit"
    assert form.get("label", for_="year").text() == "Financial year"
    assert form.get("select", id="year").attrs["name"] == "year"
    assert form.get("select", id="total").attrs["name"] == "total"
    assert form.get("input", id="exclude_prescribing").attrs["value"] == "1"
    # htmx: the same route, its content swapped in place, the URL pushed so it can be shared.
    assert form.attrs["hx-get"] == "/funding"
    assert form.attrs["hx-push-url"] == "true"
    assert form.attrs["hx-target"] == form.attrs["hx-select"] == "#funding-content"
    assert latest_page.find("div", id="funding-content") is not None
    assert "change" in form.attrs["hx-trigger"]


def test_how_this_is_calculated_explains_the_method(latest_page: Node) -> None:
    method = latest_page.get("section", data_testid="method").text()
    assert "ratios of sums" in method
    assert "Q1 is the least deprived fifth" in method
    assert f"For {LATEST}, the practice IMD scores are carried forward from IMD 2019." in method
    assert "interpolated linearly" in method
    assert "2020/21 publishes no total including COVID and PCN payments" in method
    assert "Slope index of inequality" in method
    assert "Concentration index" in method


@pytest.mark.parametrize("spelling", ["2021/22", "2021-22", "21-22", " 2021/22 "])
def test_a_year_in_any_accepted_spelling_shows_that_year(
    app_client: TestClient, con: duckdb.DuckDBPyConnection, spelling: str
) -> None:
    response = app_client.get("/funding", params={"year": spelling})

    assert response.status_code == 200
    doc = parse(response.text)
    s = national_summary(con, "2021/22")
    assert (
        doc.get(data_testid="summary-sentence")
        .text()
        .startswith(f"In 2021/22, {s.practices:,} practices received {millions(s.total_payments)}")
    )
    selected = [
        o.attrs["value"]
        for o in doc.get("select", id="year").iter("option")
        if "selected" in o.attrs
    ]
    assert selected == ["2021/22"]


def test_the_total_and_leaving_out_prescribing_change_the_figures(
    app_client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    response = app_client.get(
        "/funding",
        params={"year": "2020/21", "total": "incl_covid_pcn", "exclude_prescribing": "1"},
    )

    assert response.status_code == 200
    doc = parse(response.text)
    result = payments_by_deprivation(
        con, "2020/21", total=Total.incl_covid_pcn, exclude_prescribing=True
    )
    assert table_rows(doc, "by-deprivation")[1:] == deprivation_rows(result)
    assert doc.get("table", id="by-deprivation").get("caption").text() == (
        "Payments by deprivation, 2020/21 (total including COVID and PCN payments, less "
        "prescribing and dispensing)"
    )
    # The derived total of 2020/21 and the lines left out are said where the figures are.
    notes = doc.get(data_testid="notes").text()
    assert "2020/21 publishes no total including COVID and PCN payments" in notes
    assert "Payments exclude the prescribing- and dispensing-related lines" in notes
    assert (
        doc.get("select", id="total").get("option", value="incl_covid_pcn").attrs.get("selected")
        == ""
    )
    assert "checked" in doc.get("input", id="exclude_prescribing").attrs


# --- CSV downloads -------------------------------------------------------------------------------


def expected_tables(
    con: duckdb.DuckDBPyConnection, year: str, total: Total, exclude: bool
) -> dict[str, tuple[tuple[str, ...], tuple[tuple[object, ...], ...]]]:
    summary: NationalSummary = national_summary(con, year)
    deprivation = payments_by_deprivation(con, year, total=total, exclude_prescribing=exclude)
    by_dispensing = payments_by_deprivation(
        con, year, total=total, exclude_prescribing=exclude, by=By.dispensing
    )
    trend = payments_trend(con, total=total, exclude_prescribing=exclude)
    split = dispensing_split_chart(deprivation, by_dispensing)
    distribution = dispensing_distribution_chart(by_dispensing)
    trend_data = trend_chart(trend)
    exclusions = tuple(
        (
            e.key,
            e.reason,
            e.practices,
            round(e.registered_patients, 2),
            round(e.weighted_patients, 2),
            e.payments,
        )
        for e in deprivation.excluded
    )
    return {
        "summary": (summary.table().header, summary.table().rows),
        "by-deprivation": (deprivation.table().header, deprivation.table().rows),
        "by-dispensing": (by_dispensing.table().header, by_dispensing.table().rows),
        "payment-lines": (
            payment_lines_by_deprivation(con, year).table().header,
            payment_lines_by_deprivation(con, year).table().rows,
        ),
        "exclusions": (EXCLUSIONS_HEADER, exclusions),
        "chart-dispensing-split": (split.header, split.rows),
        "chart-dispensing-distribution": (distribution.header, distribution.rows),
        "chart-trend": (trend_data.header, trend_data.rows),
    }


@pytest.mark.parametrize(
    ("params", "year", "total", "exclude"),
    [
        ({}, LATEST, Total.core, False),
        ({"year": "2020-21", "total": "incl_covid_pcn"}, "2020/21", Total.incl_covid_pcn, False),
        (
            {"year": "2021/22", "total": "incl_covid", "exclude_prescribing": "1"},
            "2021/22",
            Total.incl_covid,
            True,
        ),
    ],
)
def test_every_csv_body_is_exactly_the_analysis_results_table(
    app_client: TestClient,
    con: duckdb.DuckDBPyConnection,
    params: dict[str, str],
    year: str,
    total: Total,
    exclude: bool,
) -> None:
    expected = expected_tables(con, year, total, exclude)
    assert set(expected) == set(CSV_TABLES)
    for name, (header, rows) in expected.items():
        response = app_client.get(f"/funding/{name}.csv", params=params)

        assert response.status_code == 200, name
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.text == write_csv(rows, header), name
        disposition = response.headers["content-disposition"]
        suffix = "-excluding-prescribing" if exclude else ""
        assert disposition == (
            f'attachment; filename="gpequity-funding-{name}-{year.replace("/", "-")}-'
            f'{total.value}{suffix}.csv"'
        )


def test_the_pages_csv_links_download_the_tables_they_are_under(
    app_client: TestClient, con: duckdb.DuckDBPyConnection
) -> None:
    response = app_client.get("/funding", params={"year": "2021/22", "exclude_prescribing": "1"})
    doc = parse(response.text)
    expected = expected_tables(con, "2021/22", Total.core, True)
    for name, (header, rows) in expected.items():
        table_id = f"{name}-data" if name.startswith("chart-") else name
        href = doc.get("a", data_testid=f"{table_id}-csv").attrs["href"]
        assert app_client.get(href).text == write_csv(rows, header), name


# --- what goes wrong -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("2019/20", "There are no payments figures for 2019/20."),
        ("19-20", "There are no payments figures for 2019/20."),
        ("abc", "‘abc’ is not a financial year like 2022/23."),
        ("2022/24", "‘2022/24’ is not a financial year like 2022/23."),
    ],
)
def test_an_unknown_year_is_a_404_page_listing_the_loaded_years(
    app_client: TestClient, year: str, message: str
) -> None:
    response = app_client.get("/funding", params={"year": year})

    assert response.status_code == 404
    doc = parse(response.text)
    assert doc.get("title").text() == "Error: Funding and deprivation – gpequity"
    summary = doc.get("div", data_testid="error-summary")
    assert summary.get("h2").text() == "There is a problem"
    link = summary.get("a")
    assert link.attrs["href"] == "#year"
    assert link.text() == f"{message} Choose one of the loaded years: 2020/21, 2021/22 or 2022/23"
    assert doc.get("span", id="year-error").text().endswith(link.text())
    assert doc.get("select", id="year").attrs["aria-describedby"] == "year-error"
    # The form is there to choose again; no figures are shown.
    assert doc.find("section", data_testid="summary") is None
    # And the CSV of such a year is no file.
    csv = app_client.get("/funding/summary.csv", params={"year": year})
    assert csv.status_code == 404
    assert csv.headers["content-type"].startswith("text/html")


def test_an_unknown_total_or_checkbox_value_is_a_400_page(app_client: TestClient) -> None:
    response = app_client.get("/funding", params={"total": "everything"})
    assert response.status_code == 400
    doc = parse(response.text)
    assert doc.get("div", data_testid="error-summary").get("a").attrs["href"] == "#total"
    assert "‘everything’ is not a total" in doc.get("span", id="total-error").text()

    response = app_client.get("/funding", params={"exclude_prescribing": "perhaps"})
    assert response.status_code == 400
    assert "‘perhaps’ is not a choice" in response.text


def test_an_unknown_table_is_the_404_page(app_client: TestClient) -> None:
    response = app_client.get("/funding/everything.csv")

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_a_total_the_years_file_does_not_publish_is_explained_on_the_page(
    demo_db: Path, tmp_path: Path
) -> None:
    db = altered_copy(
        demo_db,
        tmp_path,
        "UPDATE payments SET total_incl_covid = NULL, total_incl_pcn = NULL, "
        "total_incl_covid_pcn = NULL WHERE year = '2020/21'",
    )
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        response = client.get("/funding", params={"year": "2020/21", "total": "incl_covid"})
        # A choice the form offers: answered with 200, so that htmx swaps the explanation in.
        assert response.status_code == 200
        doc = parse(response.text)
        message = doc.get("div", data_testid="error-summary").get("a")
        assert message.attrs["href"] == "#total"
        assert message.text() == (
            "For 2020/21, the file has no 'Total NHS Payments to General Practice including "
            "covid vaccination, covid support and long covid payments' (the COVID and PCN totals "
            "begin in 2020/21). Choose another total or year."
        )
        # The core total of the same year is still there; the trend leaves the year out.
        response = client.get("/funding", params={"year": "2021/22", "total": "incl_covid"})
        assert response.status_code == 200
        assert "Left out: 2020/21" in response.text


def test_without_deprivation_scores_the_summary_is_shown_and_the_rest_explained(
    demo_db: Path, tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    db = altered_copy(demo_db, tmp_path, "DROP TABLE practice_imd_year")
    with TestClient(create_app(db), raise_server_exceptions=False) as client:
        response = client.get("/funding")
        assert response.status_code == 200
        doc = parse(response.text)
        s = national_summary(con, LATEST)
        assert summary_list(doc.get("dl", data_testid="summary-list"))["Practices"] == (
            f"{s.practices:,}"
        )
        assert "no practice IMD scores" in doc.get(data_testid="deprivation-missing").text()
        assert doc.find("svg") is None
        assert client.get("/funding/summary.csv").status_code == 200
        assert client.get("/funding/by-deprivation.csv").status_code == 404


def test_without_a_warehouse_the_page_says_how_to_load_data(empty_client: TestClient) -> None:
    response = empty_client.get("/funding")

    assert response.status_code == 200
    assert parse(response.text).get(data_testid="no-data").get("h2").text() == (
        "No data loaded yet"
    )
    # Nothing to download yet: the page says why, with the status of a resource not ready.
    assert empty_client.get("/funding/summary.csv").status_code == 503


def test_a_warehouse_without_payments_says_so(client: TestClient) -> None:
    # The shared fixture's warehouse records a payments file but holds no payments table.
    response = client.get("/funding", params={"year": "2022/23"})

    assert response.status_code == 200
    no_payments = parse(response.text).get(data_testid="no-payments")
    assert no_payments.get("h2").text() == "No payments data loaded"
    assert client.get("/funding/summary.csv").status_code == 404


def test_no_request_to_the_page_is_a_server_error(app_client: TestClient) -> None:
    for params in (
        {"year": ""},
        {"year": "2022/23", "total": ""},
        {"year": "2022/23", "exclude_prescribing": ""},
        {"year": "x" * 500},
        {"year": "2022/23", "total": "incl_covid", "exclude_prescribing": "true"},
        {"year": "'; DROP TABLE payments; --"},
    ):
        assert app_client.get("/funding", params=params).status_code < 500, params
    assert app_client.get("/funding/summary.csv", params={"total": "nope"}).status_code == 400


# --- the presenter's pieces, on hand-written inputs ----------------------------------------------


def test_read_funding_query_takes_the_latest_year_and_the_defaults() -> None:
    assert read_funding_query(YEARS, None, None, None) == (FundingQuery(LATEST), ())
    assert read_funding_query(YEARS, "21-22", "incl_covid", "on") == (
        FundingQuery("2021/22", Total.incl_covid, True),
        (),
    )
    query, errors = read_funding_query(YEARS, "2030/31", "x", "2")
    assert query == FundingQuery(LATEST)
    assert [e.field for e in errors] == ["year", "total", "exclude_prescribing"]
    assert query_status(errors) == 404
    assert query_status([FieldError("total", "")]) == 400
    assert query_status([]) == 200


def test_query_string_names_only_what_is_not_the_default() -> None:
    assert FundingQuery("2022/23").query_string() == "year=2022%2F23"
    assert FundingQuery("2022/23", Total.incl_covid, True).query_string() == (
        "year=2022%2F23&total=incl_covid&exclude_prescribing=1"
    )


def test_gap_words_say_who_receives_more() -> None:
    assert gap_words(15.97) == (
        "the least deprived fifth received £15.97 more per weighted patient than the most deprived"
    )
    assert gap_words(-0.154) == (
        "the most deprived fifth received £0.15 more per weighted patient than the least deprived"
    )
    assert gap_words(0.001) == "both received the same per weighted patient"
    assert gap_words(None) == "no gap can be given, as a fifth has no practices"


def test_svg_ids_are_prefixed_with_their_references() -> None:
    svg = (
        '<svg><defs><linearGradient id="g_0"/></defs><rect fill="url(#g_0)"/>'
        '<use href="#g_0"/></svg>'
    )
    assert prefix_svg_ids(svg, "chart-x") == (
        '<svg><defs><linearGradient id="chart-x-g_0"/></defs><rect fill="url(#chart-x-g_0)"/>'
        '<use href="#chart-x-g_0"/></svg>'
    )
