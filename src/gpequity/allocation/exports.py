"""Allocation downloads: the practice table, with the scenario's inputs and method, as CSV or XLSX.

One place for the files an allocation is handed out as, so that ``gpequity allocate --format
csv|xlsx`` and the web tool's downloads (``/allocate/download.csv``, ``.xlsx``) are the same
file. Everything goes through :mod:`gpequity.exports` (formula-safe); the CSV carries the
scenario in its ``scenario_*`` columns (the same value on every row), the XLSX in a sheet of its
own. The figures are the engine's (:class:`~gpequity.allocation.scenario.ScenarioOutcome`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gpequity.allocation.engine import CLASSIC_REMAINDER_ID
from gpequity.allocation.scenario import ScenarioOutcome, outcome_as_dict
from gpequity.exports import write_csv, write_xlsx


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
    pairs += [(f"Method ({n})", text) for n, text in enumerate(inputs["description"], start=1)]
    return pairs


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def practice_table(outcome: ScenarioOutcome) -> tuple[list[str], list[list[Any]]]:
    """One row per practice (the pool, then the practices left out with the reason).

    Columns: practice, PCN, IMD score and quintile, target population, weighted list; per
    component its value, whether imputed and its part of the money; the allocation, per target
    patient, the baseline and the difference; ``excluded_reason`` for a practice left out (its
    allocation is 0.00).
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
        rows.append(row)
    zero = Decimal("0.00")
    blanks = len(header) - 2 - 5
    for e in result.excluded:
        rows.append([e.code, e.name, *([None] * blanks), zero, None, zero, zero, e.reason])
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


def allocation_xlsx(outcome: ScenarioOutcome) -> bytes:
    """The allocation as a workbook: practices, inputs and method, by quintile, by PCN."""
    data = outcome_as_dict(outcome)
    header, rows = practice_table(outcome)
    quintiles = [
        [
            q["label"],
            q["practices"],
            q["target_population"],
            q["population_share"],
            q["allocation"],
            q["money_share"],
            q["allocation_per_patient"],
        ]
        for q in data["by_quintile"]
    ]
    pcns = [
        [
            s["pcn_code"],
            s["pcn_name"],
            s["practices"],
            s["target_population"],
            s["allocation"],
            s["baseline"],
            s["difference"],
        ]
        for s in data["by_pcn"]
    ]
    return write_xlsx(
        {
            "Allocation": (header, rows),
            "Inputs and method": (["item", "value"], scenario_summary(outcome)),
            "By IMD quintile": (
                [
                    "IMD quintile",
                    "practices",
                    "target_population",
                    "population_share",
                    "allocation",
                    "money_share",
                    "allocation_per_patient",
                ],
                quintiles,
            ),
            "By PCN": (
                [
                    "pcn_code",
                    "pcn_name",
                    "practices",
                    "target_population",
                    "allocation",
                    "baseline",
                    "difference",
                ],
                pcns,
            ),
        }
    )
