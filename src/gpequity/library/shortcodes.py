"""Shortcodes: live figures from the warehouse inside a resource's Markdown.

A shortcode stands on a line of its own, between paragraphs::

    {{< quintile-table year="latest" >}}

and is replaced, each time the page is shown, by a table computed from the warehouse then
loaded, so a data analysis never quotes stale figures. This module knows the shortcodes' names
and parameters and reads them from the Markdown; what each one shows is decided by the web
layer (``gpequity.web.presenters_library``), which calls the analysis modules.

A shortcode that is misspelt, unknown, or given an unknown parameter or value is an error when
the library loads, naming the file and line, never a page that fails later.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gpequity.analysis.payments import parse_year

#: ``{{< name key="value" ... >}}``, alone on its line (spaces around are allowed).
SHORTCODE_LINE = re.compile(
    r"^\s*\{\{<\s*(?P<name>[a-z][a-z0-9-]*)(?P<params>(?:\s+[a-z][a-z0-9-]*=\"[^\"]*\")*)\s*>\}\}\s*$"
)
PARAM = re.compile(r"([a-z][a-z0-9-]*)=\"([^\"]*)\"")
#: A line that looks like an attempt at a shortcode (so a typo is an error, not text), perhaps
#: inside a quote or a list item, where no figure can go.
SHORTCODE_START = re.compile(r"^\s*(?P<inside>(?:(?:>|[-*+]|\d+[.)])\s*)*)\{\{<")
MISPLACED = (
    "a shortcode must stand on its own line between paragraphs (not inside a list, quote or table)"
)
#: A fenced code block's opening or closing line: shortcodes inside are shown, not run.
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
LATEST = "latest"
#: The payments totals a table may use (``gpequity.analysis.payments.Total`` values).
TOTALS = ("core", "incl_covid", "incl_covid_pcn")
YES_NO = ("yes", "no")


def _year(value: str) -> str | None:
    if value == LATEST or parse_year(value) is not None:
        return None
    return "must be 'latest' or a financial year such as 2022/23"


def _one_of(*allowed: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else "must be one of " + ", ".join(allowed)

    return check


@dataclass(frozen=True)
class ShortcodeSpec:
    """A shortcode: what it shows, its parameters (with defaults) and how each is checked."""

    name: str
    description: str
    defaults: dict[str, str]
    checks: dict[str, Callable[[str], str | None]]


SHORTCODES: dict[str, ShortcodeSpec] = {
    spec.name: spec
    for spec in (
        ShortcodeSpec(
            name="quintile-table",
            description=(
                "Payments per registered and per weighted patient by national IMD quintile for "
                "one year, with the Q1-Q5 gap (gpequity.analysis.payments.payments_by_deprivation)"
            ),
            defaults={"year": LATEST, "total": "core", "exclude-prescribing": "no"},
            checks={
                "year": _year,
                "total": _one_of(*TOTALS),
                "exclude-prescribing": _one_of(*YES_NO),
            },
        ),
        ShortcodeSpec(
            name="trend-table",
            description=(
                "Payments per weighted patient by quintile for every loaded year, with the "
                "Q1-Q5 gap (gpequity.analysis.payments.payments_trend)"
            ),
            defaults={"total": "core"},
            checks={"total": _one_of(*TOTALS)},
        ),
        ShortcodeSpec(
            name="national-summary",
            description=(
                "England's practices, patients and payments for one year "
                "(gpequity.analysis.payments.national_summary)"
            ),
            defaults={"year": LATEST},
            checks={"year": _year},
        ),
    )
}


@dataclass(frozen=True)
class ParsedShortcode:
    """A shortcode line as read: its name, its parameters (defaults filled in), its line."""

    name: str
    params: tuple[tuple[str, str], ...]
    line: int


class ShortcodeProblem(ValueError):
    """A shortcode that cannot be used, with the line it is on (1 = the file's first line)."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def parse_shortcode(text: str, line: int) -> ParsedShortcode:
    """Read one shortcode line; raise :class:`ShortcodeProblem` if it cannot be used."""
    match = SHORTCODE_LINE.match(text)
    if not match:
        raise ShortcodeProblem(
            line,
            'a shortcode is written {{< name key="value" >}} alone on its line; '
            f"found {text.strip()!r}",
        )
    name = match.group("name")
    spec = SHORTCODES.get(name)
    if spec is None:
        raise ShortcodeProblem(
            line, f"unknown shortcode '{name}'; shortcodes: {', '.join(sorted(SHORTCODES))}"
        )
    given: dict[str, str] = {}
    for key, value in PARAM.findall(match.group("params")):
        if key in given:
            raise ShortcodeProblem(line, f"shortcode '{name}' is given '{key}' twice")
        check = spec.checks.get(key)
        if check is None:
            allowed = ", ".join(sorted(spec.checks)) or "none"
            raise ShortcodeProblem(
                line, f"shortcode '{name}' has no parameter '{key}' (parameters: {allowed})"
            )
        problem = check(value)
        if problem:
            raise ShortcodeProblem(line, f"shortcode '{name}': {key}={value!r} {problem}")
        given[key] = value
    params = {**spec.defaults, **given}
    return ParsedShortcode(name=name, params=tuple(sorted(params.items())), line=line)


def find_shortcodes(markdown: str, first_line: int = 1) -> list[tuple[int, ParsedShortcode]]:
    """Every shortcode in ``markdown``: (index of its line in the text, the shortcode).

    ``first_line`` is the file line number of the text's first line, for error messages.
    Lines inside fenced code blocks are left alone, so the syntax can be shown in an example.
    """
    found: list[tuple[int, ParsedShortcode]] = []
    fence: str | None = None
    for i, text in enumerate(markdown.splitlines()):
        opening = FENCE.match(text)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        start = SHORTCODE_START.match(text) if fence is None else None
        if start is not None:
            if start.group("inside"):
                raise ShortcodeProblem(first_line + i, MISPLACED)
            found.append((i, parse_shortcode(text, first_line + i)))
    return found
