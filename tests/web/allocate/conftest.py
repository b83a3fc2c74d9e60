"""Fixtures of the allocation pages' tests: a demo warehouse, the app, and a reader of the
pages (tables by id, error links, select options)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gpequity.allocation.icbs import IcbEntry, list_icbs
from gpequity.allocation.scenario import (
    ComponentChoice,
    Scenario,
    ScenarioOutcome,
    allocate_scenario,
)
from gpequity.warehouse.build import connect
from gpequity.web.app import create_app

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


#: The columns of the results table (without its details): practice, allocation, difference,
#: per patient, baseline, IMD quintile.
ALLOCATION, DIFFERENCE, PER_PATIENT, BASELINE = 1, 2, 3, 4


def allocations_shown(page: Page) -> dict[str, str]:
    """Practice code -> the allocation column's text, from the results table."""
    rows = page.tables["allocation-table"]
    out = {}
    for row in rows:
        code = row[0].split()[-1]
        out[code] = row[ALLOCATION]
    return out
