"""The closing summary of a load: datasets, rows loaded and rejected, warnings by kind.

A real load gives dozens of warnings, most of them one kind said per ICB or per year ("2014/15:
17 of 7,959 practices have no IMD score", then the same for 2015/16...). The summary counts
them by kind, with one example each; every warning stays in the warehouse's ``load_warnings``
table (``gpequity data status``) and is printed by ``gpequity data load --verbose``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gpequity.sources.base import LoadReport

#: What a warning says about one thing, before the detail: "eFIT QF7 (South Yorkshire ICB): ".
_SUBJECT = re.compile(r"^[^:]{1,120}?:\s+(?=\S)")
#: Where a warning's lists and details start: a colon or a bracket after its statement.
_DETAIL = re.compile(r":\s|\s\(")
#: Numbers (with thousands commas and decimals) and codes (ODS codes, years) in a statement.
_VARIABLE = re.compile(r"\b[A-Z0-9]*\d[A-Z0-9]*(?:[,./]\d+)*\b")
_PLURAL = re.compile(r"\b(practice|file|row|cell|ICB)s? (has|have|is|are)\b")


@dataclass(frozen=True)
class WarningKind:
    """Warnings of one kind: how many, and the first one as an example."""

    kind: str
    count: int
    example: str


@dataclass(frozen=True)
class DatasetSummary:
    """One dataset of a load: its files and rows."""

    dataset: str
    files: int
    periods: tuple[str, ...]
    rows_read: int
    rows_loaded: int
    rows_rejected: int


@dataclass(frozen=True)
class LoadSummary:
    """What a load did, in a few lines."""

    datasets: list[DatasetSummary]
    warnings: list[WarningKind]
    warning_count: int

    @property
    def files(self) -> int:
        return sum(d.files for d in self.datasets)

    @property
    def rows_loaded(self) -> int:
        return sum(d.rows_loaded for d in self.datasets)

    @property
    def rows_rejected(self) -> int:
        return sum(d.rows_rejected for d in self.datasets)


def warning_kind(message: str) -> str:
    """The kind of a warning: its statement without subject, numbers, codes and lists.

    "eFIT QF7 (South Yorkshire ICB): 31 practices have population rows and no indicator row
    (sub-ICBs ...): C85001, ..." is of kind "N practice(s) have population rows and no
    indicator row".
    """
    kind = _statement(_SUBJECT.sub("", message, count=1))
    # A warning without a subject ("rows without ..., taken as 91547 (...): 6,267").
    return kind if re.search("[a-z]", kind) else _statement(message)


def _statement(text: str) -> str:
    statement = _DETAIL.split(text, maxsplit=1)[0]
    statement = _PLURAL.sub(lambda m: f"{m.group(1)}(s) {_verb(m.group(2))}", statement)
    return _VARIABLE.sub("N", statement).strip()


def _verb(word: str) -> str:
    return {"has": "have", "is": "are"}.get(word, word)


def warning_kinds(messages: Iterable[str]) -> list[WarningKind]:
    """Warnings grouped by kind, the most frequent first (then in order of appearance)."""
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    for message in messages:
        kind = warning_kind(message)
        counts[kind] = counts.get(kind, 0) + 1
        examples.setdefault(kind, message)
    order = {kind: i for i, kind in enumerate(counts)}
    return [
        WarningKind(kind, counts[kind], examples[kind])
        for kind in sorted(counts, key=lambda k: (-counts[k], order[k]))
    ]


def summarise(reports: Sequence[LoadReport], warnings: Sequence[str]) -> LoadSummary:
    """The summary of a load from its file reports and its warnings (files' and derived)."""
    by_dataset: dict[str, list[LoadReport]] = {}
    for report in reports:
        by_dataset.setdefault(report.dataset, []).append(report)
    datasets = [
        DatasetSummary(
            dataset=name,
            files=len(items),
            periods=tuple(sorted({r.period for r in items if r.period})),
            rows_read=sum(r.rows_read for r in items),
            rows_loaded=sum(r.rows_loaded for r in items),
            rows_rejected=sum(r.rows_rejected for r in items),
        )
        for name, items in by_dataset.items()
    ]
    every = [w for r in reports for w in r.warnings] + list(warnings)
    return LoadSummary(datasets=datasets, warnings=warning_kinds(every), warning_count=len(every))
