"""Allocation downloads: the practice table, with the scenario's inputs and method, as CSV or XLSX.

One place for the files an allocation is handed out as, so that ``gpequity allocate --format
csv|xlsx`` and the web tool's downloads (``/allocate/download.csv``, ``.xlsx``) are the same
file. Everything goes through :mod:`gpequity.exports` (formula-safe). The CSV is for machines:
its headers are the JSON's names (``allocation``, ``<component id> part``) and it carries the
scenario in its ``scenario_*`` columns (the same value on every row). The XLSX is for people:
human headings, £ and % formats, frozen headings, filters, a total equal to the amount, and
sheets for the inputs, the method, the warnings, the quintiles and the PCN roll-up. The
figures are the engine's (:class:`~gpequity.allocation.scenario.ScenarioOutcome`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from gpequity.allocation.engine import CLASSIC_REMAINDER_ID
from gpequity.allocation.limits import LIMIT_LABELS
from gpequity.allocation.scenario import ScenarioOutcome, outcome_as_dict
from gpequity.exports import (
    COUNT_FORMAT,
    DECIMAL_FORMAT,
    PER_PATIENT_FORMAT,
    POUNDS_FORMAT,
    SHARE_FORMAT,
    FormattedSheet,
    SheetColumn,
    write_csv,
    write_formatted_xlsx,
)


def scenario_summary(outcome: ScenarioOutcome) -> list[tuple[str, str]]:
    """The inputs and method as (item, value) pairs, for the XLSX's inputs sheet and the CSV."""
    data = outcome_as_dict(outcome)
    inputs = data["inputs"]
    components = "; ".join(
        f"{c['id']} {c['weight']:g}% ({c['direction']} = more need)"
        for c in data["components"]
        if c["id"] != CLASSIC_REMAINDER_ID
    )
    pairs = [
        ("ICB", f"{outcome.icb.code} ({outcome.icb.name})"),
        ("Amount (£)", f"{outcome.result.request.amount:.2f}"),
        ("Method", inputs["method_label"]),
        ("Components", components),
        ("Target population", inputs["target_population"]),
        ("Population data", inputs["population_source"]),
        ("Missing values", inputs["missing_policy"]),
        ("Baseline", inputs["baseline"]),
        ("Practices left out at your request", ", ".join(inputs["excluded_practices"]) or "none"),
        ("Concentration index", _number(data["concentration_index"])),
    ]
    if data["limits"] is not None:
        pairs.append(("Limits", " ".join(data["limits"]["description"][:3])))
    pairs += [(f"Method ({n})", text) for n, text in enumerate(inputs["description"], start=1)]
    return pairs


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def practice_table(outcome: ScenarioOutcome) -> tuple[list[str], list[list[Any]]]:
    """One row per practice (the pool, then the practices left out with the reason).

    Columns: practice, PCN, IMD score and quintile, target population, weighted list; per
    component its value, whether imputed and its part of the money; the allocation, per target
    patient, the baseline and the difference; ``excluded_reason`` for a practice left out (its
    allocation is 0.00); with limits, ``limit`` (the one that held the practice: floor, cap,
    pace-down, pace-up) and ``moved_by_limits`` (pounds moved to it, or from it when negative).
    """
    result = outcome.result
    header = [
        "practice_code",
        "practice_name",
        "pcn_code",
        "pcn_name",
        "imd_score",
        "imd_quintile",
        "target_population",
        "weighted_population",
    ]
    for pot in result.pots:
        if pot.id != CLASSIC_REMAINDER_ID:
            header += [f"{pot.id} value", f"{pot.id} imputed"]
        header.append(f"{pot.id} part")
    header += [
        "allocation",
        "allocation_per_patient",
        "baseline",
        "difference",
        "excluded_reason",
    ]
    limited = result.limits is not None
    if limited:
        header += ["limit", "moved_by_limits"]
    rows: list[list[Any]] = []
    for p in result.practices:
        row: list[Any] = [
            p.code,
            p.name,
            p.pcn_code,
            p.pcn_name,
            p.imd_score,
            p.imd_quintile,
            p.target_population,
            p.weighted_population,
        ]
        for pot, cell in zip(result.pots, p.components, strict=True):
            if pot.id != CLASSIC_REMAINDER_ID:
                row += [cell.value, cell.imputed]
            row.append(cell.part)
        row += [p.allocation, p.allocation_per_patient, p.baseline, p.difference, None]
        if limited:
            row += [None if p.limit is None else p.limit.value, p.moved]
        rows.append(row)
    zero = Decimal("0.00")
    extra = [None, None] if limited else []
    blanks = len(header) - 2 - 5 - len(extra)
    for e in result.excluded:
        rows.append([e.code, e.name, *([None] * blanks), zero, None, zero, zero, e.reason, *extra])
    return header, rows


#: Columns the CSV adds to every row so that a lone CSV says what it is.
CSV_SCENARIO_COLUMNS = (
    "scenario_icb",
    "scenario_amount",
    "scenario_method",
    "scenario_components",
    "scenario_target_population",
    "scenario_missing_values",
    "scenario_baseline",
)


def allocation_csv(outcome: ScenarioOutcome) -> str:
    """The practice table as CSV, each row ending with the ``scenario_*`` columns."""
    header, rows = practice_table(outcome)
    summary = dict(scenario_summary(outcome))
    scenario = [
        summary["ICB"],
        summary["Amount (£)"],
        summary["Method"],
        summary["Components"],
        summary["Target population"],
        summary["Missing values"],
        summary["Baseline"],
    ]
    return write_csv([[*row, *scenario] for row in rows], [*header, *CSV_SCENARIO_COLUMNS])


def _practice_sheet(outcome: ScenarioOutcome) -> FormattedSheet:
    """The practice table with human headings, £ formats and the total of the allocations."""
    result = outcome.result
    _, machine_rows = practice_table(outcome)
    columns = [
        SheetColumn("Practice code", width=12),
        SheetColumn("Practice name", width=36),
        SheetColumn("PCN code", width=10),
        SheetColumn("PCN name", width=30),
        SheetColumn("IMD score", DECIMAL_FORMAT, 10),
        SheetColumn("IMD quintile (1 least, 5 most deprived)", width=14),
        SheetColumn("Target population", COUNT_FORMAT, 12),
        SheetColumn("Weighted population", COUNT_FORMAT, 12),
    ]
    for pot in result.pots:
        if pot.id != CLASSIC_REMAINDER_ID:
            columns += [
                SheetColumn(f"{pot.name}: value", DECIMAL_FORMAT, 16),
                SheetColumn(f"{pot.name}: imputed (ICB median)", width=12),
            ]
        columns.append(SheetColumn(f"{pot.name}: part of the money", POUNDS_FORMAT, 16))
    columns += [
        SheetColumn("Allocation", POUNDS_FORMAT, 16),
        SheetColumn("Allocation per target patient", PER_PATIENT_FORMAT, 14),
        SheetColumn("Baseline", POUNDS_FORMAT, 16),
        SheetColumn("Difference from the baseline", POUNDS_FORMAT, 16),
        SheetColumn("Why it gets nothing", width=50),
    ]
    allocation_column = len(columns) - 5
    if result.limits is not None:
        columns += [
            SheetColumn("Held at a limit", width=24),
            SheetColumn("Moved by the limits", POUNDS_FORMAT, 16),
        ]
        # the sheet says the limit in words; the CSV its id
        labels = {kind.value: LIMIT_LABELS[kind] for kind in LIMIT_LABELS}
        machine_rows = [[*row[:-2], labels.get(row[-2], row[-2]), row[-1]] for row in machine_rows]
    totals: list[object] = [None] * len(columns)
    totals[0] = "Total"
    totals[allocation_column] = sum((p.allocation for p in result.practices), Decimal("0.00"))
    totals[allocation_column + 2] = sum((p.baseline for p in result.practices), Decimal("0.00"))
    return FormattedSheet("Allocation", columns, machine_rows, totals=totals)


def _pairs_sheet(
    name: str, headers: tuple[str, str], pairs: list[tuple[str, str]]
) -> FormattedSheet:
    return FormattedSheet(
        name,
        [SheetColumn(headers[0], width=34), SheetColumn(headers[1], width=100)],
        pairs,
        table=False,
    )


#: A column of a roll-up sheet: the key of the JSON record (``outcome_as_dict``) it shows.
RecordColumn = tuple[str, SheetColumn]

# The columns the two roll-ups share are declared once, so their headings and formats agree.
_PRACTICES: RecordColumn = ("practices", SheetColumn("Practices", COUNT_FORMAT, 10))
_TARGET_POPULATION: RecordColumn = (
    "target_population",
    SheetColumn("Target population", COUNT_FORMAT, 14),
)
_ALLOCATION: RecordColumn = ("allocation", SheetColumn("Allocation", POUNDS_FORMAT, 16))

QUINTILE_COLUMNS: tuple[RecordColumn, ...] = (
    ("label", SheetColumn("IMD quintile", width=22)),
    _PRACTICES,
    _TARGET_POPULATION,
    ("population_share", SheetColumn("Share of the patients", SHARE_FORMAT, 12)),
    _ALLOCATION,
    ("money_share", SheetColumn("Share of the money", SHARE_FORMAT, 12)),
    (
        "allocation_per_patient",
        SheetColumn("Allocation per target patient", PER_PATIENT_FORMAT, 14),
    ),
)
PCN_COLUMNS: tuple[RecordColumn, ...] = (
    ("pcn_code", SheetColumn("PCN code", width=10)),
    ("pcn_name", SheetColumn("PCN name", width=36)),
    _PRACTICES,
    _TARGET_POPULATION,
    _ALLOCATION,
    ("baseline", SheetColumn("Baseline", POUNDS_FORMAT, 16)),
    ("difference", SheetColumn("Difference from the baseline", POUNDS_FORMAT, 16)),
)


def _records_sheet(
    name: str, columns: Sequence[RecordColumn], records: Sequence[Mapping[str, Any]]
) -> FormattedSheet:
    """A roll-up sheet: a row per JSON record, each column the value of its key."""
    return FormattedSheet(
        name,
        [column for _, column in columns],
        [[record[key] for key, _ in columns] for record in records],
    )


def allocation_xlsx(outcome: ScenarioOutcome) -> bytes:
    """The allocation as a workbook people can use: the practices (human headings, £ and %
    formats, frozen headings, filters, a total equal to the amount), the inputs, the method,
    the warnings, by IMD quintile and the PCN roll-up."""
    data = outcome_as_dict(outcome)
    summary = scenario_summary(outcome)
    inputs = [(item, value) for item, value in summary if not item.startswith("Method (")]
    method = [(f"Step {n}", text) for n, text in enumerate(data["inputs"]["description"], 1)]
    warnings = [(w["code"], w["message"]) for w in data["warnings"]] or [
        ("none", "No data-quality warnings.")
    ]
    quintiles = _records_sheet("By IMD quintile", QUINTILE_COLUMNS, data["by_quintile"])
    pcns = _records_sheet("PCN roll-up", PCN_COLUMNS, data["by_pcn"])
    return write_formatted_xlsx(
        [
            _practice_sheet(outcome),
            _pairs_sheet("Inputs", ("Input", "Value"), inputs),
            _pairs_sheet("Method", ("Step", "What was done"), method),
            _pairs_sheet("Warnings", ("Code", "Warning"), warnings),
            quintiles,
            pcns,
        ]
    )
