"""The Data page and its CSV download, over small warehouses whose every value is known."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient

from gpequity.sources.registry import DATASETS

TITLES = {d.name: d.title for d in DATASETS}
PAYMENTS = TITLES["payments"]
LOOKUP = TITLES.get("lookup", "lookup")
SYNTHETIC_NOTICE = "This site is showing synthetic demonstration data, not real NHS figures."


class _Tables(HTMLParser):
    """The text of each table's caption and cells, by ``data-testid``; the responsive layout's
    per-cell headings (``nhsuk-table__heading``, hidden from screen readers) left out."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, object]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self._skip:
            self._skip += 1
        elif tag == "table":
            self._table = a.get("data-testid") or str(len(self.tables))
            self.tables[self._table] = {"caption": "", "rows": []}
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "span" and "nhsuk-table__heading" in (a.get("class") or ""):
            self._skip = 1

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            self._skip -= 1
        elif tag == "caption" and self._table and self._caption is not None:
            self.tables[self._table]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table and self._row is not None:
            rows = self.tables[self._table]["rows"]
            assert isinstance(rows, list)
            rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def tables(html: str) -> dict[str, dict[str, object]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def test_data_page_lists_every_loaded_file_with_its_checksum_and_counts(
    client: TestClient,
) -> None:
    response = client.get("/data")

    assert response.status_code == 200
    found = tables(response.text)
    assert found["sources-table"] == {
        "caption": "Files loaded",
        "rows": [
            [
                "Dataset",
                "Period",
                "File",
                "Rows read",
                "Rows loaded",
                "Rows rejected",
                "SHA-256",
                "Loaded at (UTC)",
            ],
            [
                LOOKUP,
                "None",
                "ccg-icb-lookup.csv",
                "106",
                "106",
                "0",
                "c" * 64,
                "2026-11-23 12:00:20",
            ],
            [
                PAYMENTS,
                "2021/22",
                "nhspaymentsgp-21-22-prac-csv.csv",
                "6,731",
                "6,730",
                "1",
                "a" * 12 + "0123456789abcdef" * 3 + "0123",
                "2026-11-23 12:00:19",
            ],
            [
                PAYMENTS,
                "2022/23",
                "nhspaymentsgp-22-23-prac-csv.csv",
                "6,669",
                "6,669",
                "0",
                "b" * 64,
                "2026-11-23 12:00:19",
            ],
        ],
    }
    assert found["datasets-table"] == {
        "caption": "Datasets loaded",
        "rows": [
            ["Dataset", "Periods", "Files"],
            [LOOKUP, "None", "1"],
            [PAYMENTS, "2021/22, 2022/23", "2"],
        ],
    }


def test_data_page_shows_the_checksum_short_with_the_full_value_for_screen_readers(
    client: TestClient,
) -> None:
    html = client.get("/data").text

    full = "a" * 12 + "0123456789abcdef" * 3 + "0123"
    assert (
        f'<span class="app-checksum" title="{full}">{"a" * 12}'
        f'<span class="nhsuk-u-visually-hidden">{full[12:]}</span></span>'
    ) in html


def test_data_page_shows_build_time_kind_of_data_and_warnings(client: TestClient) -> None:
    html = client.get("/data").text

    assert (
        '<dd class="nhsuk-summary-list__value" data-testid="built-at">2026-11-23 12:00:21 UTC'
        in html
    )
    assert "Synthetic demonstration data in the official file formats" in html
    assert "<li>2 practices have no IMD score in 2022/23</li>" in html
    assert '<a href="/data/sources.csv" download>' in html


def test_synthetic_warehouse_shows_the_banner_on_every_page(client: TestClient) -> None:
    for path in ("/", "/data", "/no-such-page"):
        html = client.get(path).text
        assert 'data-testid="synthetic-banner"' in html, path
        assert SYNTHETIC_NOTICE in html, path


def test_real_warehouse_shows_no_banner(real_client: TestClient) -> None:
    for path in ("/", "/data"):
        html = real_client.get(path).text
        assert 'data-testid="synthetic-banner"' not in html, path
        assert SYNTHETIC_NOTICE not in html, path
    html = real_client.get("/data").text
    assert "Official published files" in html
    assert '<p data-testid="warnings">The load raised no warnings.</p>' in html


def test_sources_csv_is_the_files_table_with_full_checksums_and_plain_numbers(
    client: TestClient,
) -> None:
    response = client.get("/data/sources.csv")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="gpequity-sources.csv"'
    )
    sha_a = "a" * 12 + "0123456789abcdef" * 3 + "0123"
    assert response.text == (
        "dataset,title,period,file,sha256,rows_read,rows_loaded,rows_rejected,loaded_at\r\n"
        f"lookup,{LOOKUP},,ccg-icb-lookup.csv,{'c' * 64},106,106,0,2026-11-23 12:00:20\r\n"
        f"payments,{PAYMENTS},2021/22,nhspaymentsgp-21-22-prac-csv.csv,{sha_a},"
        "6731,6730,1,2026-11-23 12:00:19\r\n"
        f"payments,{PAYMENTS},2022/23,nhspaymentsgp-22-23-prac-csv.csv,{'b' * 64},"
        "6669,6669,0,2026-11-23 12:00:19\r\n"
    )


def test_without_a_warehouse_the_data_page_says_how_to_load_data(
    empty_client: TestClient,
) -> None:
    response = empty_client.get("/data")

    assert response.status_code == 200
    assert "No data loaded yet" in response.text
    assert "<code>gpequity data load</code>" in response.text
    assert "<code>make demo</code>" in response.text
    assert "Traceback" not in response.text
    assert 'data-testid="synthetic-banner"' not in response.text


def test_without_a_warehouse_the_csv_is_unavailable_with_a_page_saying_why(
    empty_client: TestClient,
) -> None:
    response = empty_client.get("/data/sources.csv")

    assert response.status_code == 503
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "No data loaded yet" in response.text
