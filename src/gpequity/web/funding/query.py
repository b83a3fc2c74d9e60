"""The page's choices: a loaded year, a total, with or without prescribing; and their URLs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlencode

from gpequity.analysis.payment_results import Total
from gpequity.analysis.payments import parse_year
from gpequity.formats import list_in_words

#: Where the page is served; its tables are ``/funding/<table>.csv``.
FUNDING_PATH = "/funding"
#: Query values read as "leave out prescribing and dispensing" (a checkbox sends ``1``).
TRUE_VALUES = frozenset({"1", "true", "on", "yes"})
FALSE_VALUES = frozenset({"", "0", "false", "off", "no"})
#: The tables offered as CSV, by the name in their URL: ``/funding/<name>.csv``.
CSV_TABLES = (
    "summary",
    "by-deprivation",
    "by-dispensing",
    "payment-lines",
    "exclusions",
    "chart-dispensing-split",
    "chart-dispensing-distribution",
    "chart-trend",
)
#: How the page's sentences name each total.
TOTAL_WORDS: dict[Total, str] = {
    Total.core: "the core total",
    Total.incl_covid: "the total including COVID payments",
    Total.incl_covid_pcn: "the total including COVID and PCN payments",
}


# --- the request's choices ----------------------------------------------------------------------


@dataclass(frozen=True)
class FundingQuery:
    """What the page is asked to show: a loaded year, a total, with or without prescribing."""

    year: str
    total: Total = Total.core
    exclude_prescribing: bool = False

    def query_string(self) -> str:
        """The URL query naming this choice (the default total and the checkbox left out)."""
        params = {"year": self.year}
        if self.total is not Total.core:
            params["total"] = self.total.value
        if self.exclude_prescribing:
            params["exclude_prescribing"] = "1"
        return urlencode(params)


@dataclass(frozen=True)
class FieldError:
    """A problem with one of the form's fields: the id of its control, and what to do."""

    field: str
    message: str


def read_funding_query(
    years: Sequence[str],
    year: str | None,
    total: str | None,
    exclude_prescribing: str | None,
) -> tuple[FundingQuery, tuple[FieldError, ...]]:
    """Read the page's query parameters against the loaded ``years`` (oldest first).

    Returns the choice to show in the form (the latest year where the given one is missing or
    wrong) and the problems found; the page shows figures only when there are none.
    """
    errors: list[FieldError] = []
    chosen = years[-1]
    if year is not None and year.strip():
        canonical = parse_year(year)
        if canonical is None:
            errors.append(
                FieldError(
                    "year",
                    f"‘{year.strip()}’ is not a financial year like 2022/23. "
                    f"Choose one of the loaded years: {list_in_words(years)}",
                )
            )
        elif canonical not in years:
            errors.append(
                FieldError(
                    "year",
                    f"There are no payments figures for {canonical}. "
                    f"Choose one of the loaded years: {list_in_words(years)}",
                )
            )
        else:
            chosen = canonical
    chosen_total = Total.core
    if total is not None and total.strip():
        try:
            chosen_total = Total(total.strip())
        except ValueError:
            errors.append(
                FieldError(
                    "total",
                    f"‘{total.strip()}’ is not a total. Choose "
                    + list_in_words([t.value for t in Total], last="or"),
                )
            )
    exclude = False
    if exclude_prescribing is not None:
        value = exclude_prescribing.strip().lower()
        if value in TRUE_VALUES:
            exclude = True
        elif value not in FALSE_VALUES:
            errors.append(
                FieldError(
                    "exclude_prescribing",
                    f"‘{exclude_prescribing.strip()}’ is not a choice: leave out prescribing "
                    "and dispensing payments with exclude_prescribing=1",
                )
            )
    return FundingQuery(chosen, chosen_total, exclude), tuple(errors)


def total_unavailable(year: str, reason: str) -> FieldError:
    """The problem of a total the year's file does not publish (the analysis says why)."""
    return FieldError("total", f"For {year}, {reason}. Choose another total or year.")


def query_status(errors: Sequence[FieldError]) -> int:
    """The page's HTTP status for these problems: 404 for a year with no figures, 400 for
    another malformed choice, 200 when the request itself was fine."""
    if any(e.field == "year" for e in errors):
        return HTTPStatus.NOT_FOUND
    if any(e.field in ("total", "exclude_prescribing") for e in errors):
        return HTTPStatus.BAD_REQUEST
    return HTTPStatus.OK


def choice_words(query: FundingQuery) -> str:
    """``core total`` / ``total including COVID payments, less prescribing and dispensing``."""
    words = TOTAL_WORDS[query.total].removeprefix("the ")
    if query.exclude_prescribing:
        words += ", less prescribing and dispensing"
    return words


def csv_filename(name: str, query: FundingQuery) -> str:
    """``gpequity-funding-by-deprivation-2022-23-core.csv``: the table and the choice."""
    parts = ["gpequity-funding", name, query.year.replace("/", "-"), query.total.value]
    if query.exclude_prescribing:
        parts.append("excluding-prescribing")
    return "-".join(parts) + ".csv"


def csv_href(name: str, query: FundingQuery) -> str:
    return f"{FUNDING_PATH}/{name}.csv?{query.query_string()}"
