"""The options the commands share, each defined once (``--db``, ``--format``, ``--year``,
``--out`` and a scenario's ``--icb``, ``--amount``, ``--component``, ...), and the check of an
``--out`` file before any work is done.

Help texts are plain text: the app renders them without Rich markup (``cli.py``), so a
``[default: ...]`` in a help text is shown as written.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from gpequity import config
from gpequity.allocation import Baseline, LimitUnit, Method, MissingPolicy
from gpequity.allocation.pools import Sex
from gpequity.errors import GpequityError
from gpequity.output import Format

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help=config.DB_HELP),
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


def per_core_option(flag: str, what: str) -> Any:
    """An option counting processes (``serve --workers``, ``datapack --jobs``): at least one,
    by default one per CPU core (``None``, which the command resolves)."""
    return typer.Option(
        flag, min=1, help=f"{what} [default: one per CPU core].", show_default=False
    )


YearOption = Annotated[
    str | None,
    typer.Option(
        "--year",
        help="Financial year: 2022/23, 2022-23 or 22-23 [default: the latest loaded].",
    ),
]

# --- a scenario: ``allocate``, ``compare`` and ``sensitivity`` ---------------------------------

IcbOption = Annotated[
    str,
    typer.Option(
        "--icb", help="ICB code, e.g. QHM (the codes of the newest data, 2026 ones included)."
    ),
]
AmountOption = Annotated[str, typer.Option("--amount", help="Pounds to share out, e.g. 250000.")]
ComponentOption = Annotated[
    list[str],
    typer.Option(
        "--component",
        help="ID:WEIGHT[:lower|higher], e.g. imd:50; repeatable, up to 3, weights adding "
        "to 100 ('gpequity indicators' lists the ids).",
    ),
]
MethodOption = Annotated[
    Method,
    typer.Option(
        "--method",
        help="recommended (shares of need) or efit-classic (the published eFIT formula).",
    ),
]
SexOption = Annotated[Sex, typer.Option("--sex", help="Target population's sex.")]
AgeOption = Annotated[
    str | None,
    typer.Option("--age", help="Target ages: 18-64, 65+ or 0-4 [default: all ages]."),
]
MissingOption = Annotated[
    MissingPolicy,
    typer.Option(
        "--missing",
        help="A missing value: impute the ICB median (flagged) or exclude the practice "
        "from that component.",
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-practice",
        help="Practice code to leave out (e.g. funded another way); repeatable.",
    ),
]
AllowSparseOption = Annotated[
    bool,
    typer.Option(
        "--allow-sparse",
        help="Use a component even though over half the practices have no value for it "
        "(refused otherwise).",
    ),
]
BaselineOption = Annotated[
    Baseline,
    typer.Option(
        "--baseline", help="Baseline shown beside each allocation: per-head or weighted list."
    ),
]

FloorOption = Annotated[
    str | None,
    typer.Option(
        "--floor",
        help="The least each practice gets, in pounds per target patient (or per practice "
        "with --limit-unit per-practice), e.g. 1.50.",
    ),
]
CapOption = Annotated[
    str | None,
    typer.Option(
        "--cap",
        help="The most each practice gets, in pounds per target patient (or per practice "
        "with --limit-unit per-practice), e.g. 4.50.",
    ),
]
LimitUnitOption = Annotated[
    LimitUnit,
    typer.Option(
        "--limit-unit",
        help="What --floor and --cap are in: per-patient (pounds per target patient) or "
        "per-practice (pounds).",
    ),
]
PreviousOption = Annotated[
    Path | None,
    typer.Option(
        "--previous",
        help="The previous allocation, a CSV or XLSX of practice codes ('Practice code') and "
        "amounts in pounds ('Amount'), for --max-change.",
    ),
]
MaxChangeOption = Annotated[
    str | None,
    typer.Option(
        "--max-change",
        help="Pace of change: the largest change per target patient from --previous, in "
        "percent, e.g. 5.",
    ),
]


# --- where output goes ---------------------------------------------------------------------------


class UnwritableOutput(GpequityError):
    """An ``--out`` that cannot be written: said before any work, in one line."""

    def __init__(self, option: str, path: Path, reason: str) -> None:
        super().__init__(f"{option} {path}: {reason}")
        self.option = option
        self.reason = reason


def check_out_file(path: Path, option: str = "--out") -> Path:
    """``path`` if a file can be written there; else :class:`UnwritableOutput` saying why
    (its folder is missing, is a file, or cannot be written to; the path is a folder)."""
    if path.is_dir():
        raise UnwritableOutput(option, path, "is a folder; give a file name in it.")
    _check_folder(path.parent if str(path.parent) else Path("."), path, option)
    return path


def check_out_folder(path: Path, option: str = "--out") -> Path:
    """``path`` if it is a folder that can be written to, or one that can be made (its nearest
    existing parent is a writable folder); else :class:`UnwritableOutput`."""
    if path.exists() and not path.is_dir():
        raise UnwritableOutput(option, path, "is a file, not a folder.")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    _check_folder(existing, path, option)
    return path


def _check_folder(folder: Path, path: Path, option: str) -> None:
    if not folder.exists():
        raise UnwritableOutput(
            option, path, f"the folder {folder} does not exist; create it first."
        )
    if not folder.is_dir():
        raise UnwritableOutput(option, path, f"{folder} is a file, not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UnwritableOutput(option, path, f"the folder {folder} cannot be written to.")


# --- a scenario's options, once for the three commands that take them -------------------------


@dataclass(frozen=True)
class ScenarioOptions:
    """The options of a scenario as typed (``allocate``, ``compare``, ``sensitivity``)."""

    icb: str
    amount: str
    component: list[str]
    method: Method = Method.RECOMMENDED
    sex: Sex = Sex.ALL
    age: str | None = None
    missing: MissingPolicy = MissingPolicy.IMPUTE_MEDIAN
    exclude_practice: list[str] | None = None
    baseline: Baseline = Baseline.PER_HEAD
    allow_sparse: bool = False
    floor: str | None = None
    cap: str | None = None
    limit_unit: LimitUnit = LimitUnit.PER_PATIENT
    previous: Path | None = None
    max_change: str | None = None


#: Each option of :class:`ScenarioOptions`: its name, how Typer reads it, and its default.
_SCENARIO_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("icb", IcbOption),
    ("amount", AmountOption),
    ("component", ComponentOption),
    ("method", MethodOption),
    ("sex", SexOption),
    ("age", AgeOption),
    ("missing", MissingOption),
    ("exclude_practice", ExcludeOption),
    ("baseline", BaselineOption),
    ("allow_sparse", AllowSparseOption),
    ("floor", FloorOption),
    ("cap", CapOption),
    ("limit_unit", LimitUnitOption),
    ("previous", PreviousOption),
    ("max_change", MaxChangeOption),
)
#: The parameter of a command that receives them.
SCENARIO_PARAMETER = "options"


def with_scenario_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` taking a scenario's options, declared here once: its parameter
    ``options: ScenarioOptions`` becomes the options ``--icb``, ``--amount``, ``--component``,
    ``--method``, ``--sex``, ``--age``, ``--missing``, ``--exclude-practice``, ``--baseline``,
    ``--allow-sparse`` and the limits (``--floor``, ``--cap``, ``--limit-unit``, ``--previous``,
    ``--max-change``) of the command line (Typer reads the signature given here)."""
    defaults = {
        f.name: inspect.Parameter.empty if f.default is MISSING else f.default
        for f in fields(ScenarioOptions)
    }
    scenario_parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=annotation,
            default=defaults[name],
        )
        for name, annotation in _SCENARIO_OPTIONS
    ]
    own = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in inspect.signature(command, eval_str=True).parameters.values()
        if parameter.name != SCENARIO_PARAMETER
    ]

    @functools.wraps(command)
    def run(**values: Any) -> None:
        options = ScenarioOptions(**{name: values.pop(name) for name, _ in _SCENARIO_OPTIONS})
        command(**{SCENARIO_PARAMETER: options}, **values)

    run.__signature__ = inspect.Signature([*scenario_parameters, *own])  # type: ignore[attr-defined]
    return run
