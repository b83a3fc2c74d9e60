"""Check a result of the published eFIT tool: what its code gives beside the formula's answer.

Users of the published eFIT tool (the tool whose formula gpequity offers as "eFIT classic") may
want to know whether the figures they already used were right. An independent run of that
tool's code on its own input files shows three defects, which gpequity's eFIT classic does not
copy and this module reproduces **deliberately, only for this comparison**:

* ``blank-cell``: for a target of both sexes the tool adds the female and male cell of each age
  and then the ages; a blank cell of one sex (a practice with nobody of that sex and age, or no
  row at all in that sex's file) makes the sum of that age blank, which the total then skips:
  the other sex's patients of that age are wiped out too;
* ``row-order``: the tool puts the female file's values beside the male file's rows by position,
  under the male file's practice codes. Where the two files list the practices in different
  orders (QE1, QHM, QWO, QYG and Z9B2Z in the 2026/27 files) a practice gets another practice's
  women: F85002's women aged 0 to 4 are F85004's in the tool;
* ``choose-an-option``: indicator 1 left at "Choose an option" keeps its weight (50% by
  default), which the tool hands out per head on top of the others, while the per-head share of
  the rest of the weights ignores it: 150% of the money is handed out.

The formula itself (domain notes, "The published eFIT tool's own formula") is
``A_i = F × [w_pop/100 × P_i / Σ_j P_j + Σ_k w_k/100 × P_i c_ik / Σ_j P_j c_jk]`` over the
practices of the ICB's indicator file, ``c = 1 − x / Σ x`` for a lower-is-more-need indicator,
``x`` otherwise, missing values as zero, the weighted list as the need itself. Each practice's
difference is put down to a defect when turning that defect on alone moves the practice's
exact amount by half a penny or more.

The files are parsed from bytes (:func:`parse_population_csv`, :func:`parse_indicator_csv`);
:func:`load_warehouse_tool_files` reads an ICB's three where the warehouse loaded them from, so
that the check reads the files behind the warehouse's figures (the demo's files for the demo);
:func:`load_tool_files` reads them from a folder given instead (``--efit-dir``). These are the
one place the allocation service reads files, because the tool's defects depend on the files'
row order, which the warehouse does not keep. :func:`tool_request` turns a scenario's outcome
into the tool's inputs.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from pathlib import Path

from gpequity.allocation.catalogue import EFIT_WEIGHTED_NAME, IndicatorEntry
from gpequity.allocation.models import ComponentKind, Direction
from gpequity.allocation.pools import Sex
from gpequity.allocation.rounding import PENCE, share_out
from gpequity.allocation.scenario import ScenarioOutcome, json_number
from gpequity.allocation.store import Connection, fetch_rows, has_table

#: Single years of age in the population files: 0 to 95, 95 meaning 95 and over.
OLDEST_AGE = 95
FULL_WEIGHT = Decimal(100)
#: A practice's amount moved by at least this much by one defect names that defect.
HALF_PENNY = Fraction(1, 200)
CODE_COLUMN = "GP code"
NAME_COLUMN = "GP name"
ICB_NAME_COLUMN = "ICB name"


class Defect(StrEnum):
    """A defect of the published tool's code (see the module's notes)."""

    BLANK_CELL = "blank-cell"
    ROW_ORDER = "row-order"
    CHOOSE_AN_OPTION = "choose-an-option"


DEFECT_WORDS: Mapping[Defect, str] = {
    Defect.BLANK_CELL: (
        "a blank population cell of one sex wipes out the other sex's patients of that age "
        "(targets of both sexes)"
    ),
    Defect.ROW_ORDER: (
        "the female and male population files are in different orders and are put side by "
        "side row by row, so the practice gets another practice's women"
    ),
    Defect.CHOOSE_AN_OPTION: (
        "indicator 1 left at 'Choose an option' keeps its weight, handed out per head on top "
        "of the whole amount"
    ),
}


class ToolFileError(ValueError):
    """An eFIT file that cannot be read: says which and why."""


@dataclass(frozen=True, slots=True)
class PopulationRow:
    """A row of a population file, in file order: the practice and its cells for ages 0-95
    (``None``: a blank cell)."""

    code: str
    cells: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """A row of an indicator file: the practice, its name and its values by column name."""

    code: str
    name: str
    values: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class ToolFiles:
    """An ICB's three eFIT files, rows in file order."""

    indicators: tuple[IndicatorRow, ...]
    female: tuple[PopulationRow, ...]
    male: tuple[PopulationRow, ...]


@dataclass(frozen=True, slots=True)
class ToolComponent:
    """A component as the tool takes it: an indicator file column and its weight in percent;
    ``lower``: lower value = more need; ``weighted_list``: the column is the need itself."""

    column: str
    weight: Decimal
    lower: bool = False
    weighted_list: bool = False


@dataclass(frozen=True, slots=True)
class ToolRequest:
    """The tool's inputs: amount, components, the target population (``sex``: ``all``,
    ``female`` or ``male``; ages ``age_from`` to ``age_to``, ``None``: and over) and the weight
    left on indicator 1 when it was left at "Choose an option" (0: it was chosen)."""

    amount: Decimal
    components: tuple[ToolComponent, ...]
    sex: str = "all"
    age_from: int = 0
    age_to: int | None = None
    unset_weight: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class PracticeCheck:
    """One practice: what the tool's code gives, what the formula gives, and why they differ."""

    code: str
    name: str
    tool: Decimal
    formula: Decimal
    difference: Decimal
    causes: tuple[Defect, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ToolCheck:
    """The practices (by code) and the totals: the formula's adds up to the amount exactly, the
    tool's need not."""

    amount: Decimal
    practices: tuple[PracticeCheck, ...]
    tool_total: Decimal
    formula_total: Decimal


# --- reading the files (bytes, in memory) ------------------------------------------------------


def _text(data: bytes, what: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ToolFileError(f"The {what} is not UTF-8 text.") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise ToolFileError(f"The {what} is empty.")
    return rows


def _table(data: bytes, what: str) -> tuple[list[str], int, list[list[str]]]:
    """A tool file's header, the place of its ``GP code`` column and its rows below the header;
    every file of the tool has that column."""
    rows = _text(data, what)
    header = [cell.strip() for cell in rows[0]]
    if CODE_COLUMN not in header:
        raise ToolFileError(f"The {what} has no '{CODE_COLUMN}' column.")
    return header, header.index(CODE_COLUMN), rows[1:]


def _number(text: str, what: str, row: int) -> float | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise ToolFileError(f"The {what}, row {row}: '{cleaned}' is not a number.") from None


def parse_population_csv(data: bytes, what: str = "population file") -> tuple[PopulationRow, ...]:
    """The rows of an eFIT population file (``GP code, 0, 1, ..., 95``), in file order."""
    header, code_at, rows = _table(data, what)
    ages = {str(age): age for age in range(OLDEST_AGE + 1)}
    at = {ages[name]: index for index, name in enumerate(header) if name in ages}
    out = []
    for number, row in enumerate(rows, start=2):
        cells = tuple(
            _number(row[at[age]], what, number) if age in at and at[age] < len(row) else None
            for age in range(OLDEST_AGE + 1)
        )
        out.append(PopulationRow(row[code_at].strip().upper(), cells))
    return tuple(out)


def parse_indicator_csv(data: bytes, what: str = "indicator file") -> tuple[IndicatorRow, ...]:
    """The rows of an eFIT indicator file (``ICB name, GP code, GP name``, then indicators)."""
    header, code_at, rows = _table(data, what)
    name_at = header.index(NAME_COLUMN) if NAME_COLUMN in header else code_at
    skip = {CODE_COLUMN, NAME_COLUMN, ICB_NAME_COLUMN}
    out = []
    for number, row in enumerate(rows, start=2):
        padded = row + [""] * (len(header) - len(row))
        values = {
            name: _number(padded[index], what, number)
            for index, name in enumerate(header)
            if name not in skip
        }
        out.append(IndicatorRow(padded[code_at].strip().upper(), padded[name_at].strip(), values))
    return tuple(out)


def parse_percentage(text: str | None) -> tuple[Decimal, str | None]:
    """The weight left on the tool's indicator 1 at "Choose an option" (a percentage from 0 to
    100; empty: 0), or what is wrong with it."""
    if text is None or not text.strip():
        return Decimal(0), None
    try:
        weight = Decimal(text.strip().removesuffix("%"))
        if not weight.is_finite() or not 0 <= weight <= FULL_WEIGHT:
            raise ArithmeticError
    except ArithmeticError:
        return Decimal(0), (
            f"'{text}' is not the weight of indicator 1: give a percentage from 0 to 100, like 50."
        )
    return weight, None


def _newest(paths: Iterable[Path]) -> Path | None:
    """The newest of an ICB's files of one kind: the last by file name, which puts the later
    year first and, within a year, the later version (``indicator_QE1_2025-26_v2.csv`` after
    ``_v1``)."""
    return max(paths, key=lambda path: path.name, default=None)


def _newest_in(folder: Path, pattern: str) -> Path:
    found = _newest(folder.glob(pattern))
    if found is None:
        raise ToolFileError(f"There is no file {folder.name}/{pattern} in {folder.parent}.")
    return found


def _read_bytes(path: Path, loaded: Mapping[Path, str | None] | None = None) -> bytes:
    """A tool file's bytes. ``loaded``: the warehouse was loaded from these paths, with the
    SHA-256 it recorded of each then, which the file must still have (``None``: not recorded,
    not checked)."""
    shown = str(path) if path.is_absolute() else f"{path} (relative to {Path.cwd()})"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if loaded is None:
            raise ToolFileError(f"{path.name}: {shown} is not there.") from None
        raise ToolFileError(
            f"{path.name}: the warehouse was loaded from {shown}, which is no longer there "
            "(moved or deleted since the load): put it back or load the data again."
        ) from None
    except OSError as error:
        raise ToolFileError(f"{path.name}: {shown} cannot be read ({error.strerror}).") from None
    checksum = None if loaded is None else loaded.get(path)
    if checksum is not None and hashlib.sha256(data).hexdigest() != checksum:
        raise ToolFileError(
            f"{path.name}: {shown} has changed since the warehouse was loaded from it (its "
            "SHA-256 differs), so it no longer gives the warehouse's figures: load the data "
            "again."
        )
    return data


def _read_tool_files(
    indicators: Path, female: Path, male: Path, loaded: Mapping[Path, str | None] | None = None
) -> ToolFiles:
    """The three files, parsed in file order. ``loaded``: they are the files the warehouse was
    loaded from, with the SHA-256 it recorded of each (see :func:`_read_bytes`)."""
    return ToolFiles(
        parse_indicator_csv(_read_bytes(indicators, loaded), indicators.name),
        parse_population_csv(_read_bytes(female, loaded), female.name),
        parse_population_csv(_read_bytes(male, loaded), male.name),
    )


def load_tool_files(efit_dir: Path, icb_code: str) -> ToolFiles:
    """The ICB's newest eFIT indicator file and its female and male population files, read from
    ``efit_dir`` (``indicators/``, ``population/``) in file order (``gpequity allocate
    --published-tool --efit-dir``)."""
    return _read_tool_files(
        _newest_in(efit_dir / "indicators", f"indicator_{icb_code}_*.csv"),
        _newest_in(efit_dir / "population", f"f_pop_{icb_code}_*.csv"),
        _newest_in(efit_dir / "population", f"m_pop_{icb_code}_*.csv"),
    )


#: The eFIT loader's table: a row per practice of each file, with the file's kind
#: (``indicators`` or ``population``), sex (population files) and path as loaded.
EFIT_TABLE = "efit_practices"
#: The warehouse's table of every file loaded, with its SHA-256.
SOURCES_TABLE = "sources"
#: The three files of an ICB the check needs: (kind, sex) in the loader's table, and the name.
TOOL_FILE_KINDS: Mapping[tuple[str, str | None], str] = {
    ("indicators", None): "indicator file (indicator_{icb}_YYYY-YY_vN.csv)",
    ("population", "female"): "female population file (f_pop_{icb}_YYYY-YY.csv)",
    ("population", "male"): "male population file (m_pop_{icb}_YYYY-YY.csv)",
}


def load_warehouse_tool_files(con: Connection, icb_code: str) -> ToolFiles:
    """The ICB's newest eFIT indicator file and its female and male population files, as the
    warehouse recorded them when it loaded them (``efit_practices.path``), read in file order.

    Each file must still be where it was loaded from (a relative path: from the current folder,
    as when it was loaded) and unchanged (its SHA-256 in ``sources``), so that the check reads
    the figures of the warehouse's eFIT classic.
    """
    recorded: dict[tuple[str, str | None], list[Path]] = {kind: [] for kind in TOOL_FILE_KINDS}
    if has_table(con, EFIT_TABLE):
        rows = fetch_rows(
            con,
            f"SELECT DISTINCT kind, sex, path FROM {EFIT_TABLE} WHERE icb_code = $icb",
            {"icb": icb_code},
        )
        for kind, sex, path in rows:
            recorded.setdefault((kind, sex), []).append(Path(path))
    chosen: dict[tuple[str, str | None], Path] = {}
    missing = []
    for kind, words in TOOL_FILE_KINDS.items():
        newest = _newest(recorded[kind])
        if newest is None:
            missing.append(words.format(icb=icb_code))
        else:
            chosen[kind] = newest
    if missing:
        raise ToolFileError(
            f"The warehouse has no eFIT {' and no '.join(missing)} of ICB {icb_code}: the "
            "check needs the ICB's files of the published tool, loaded with the rest of the "
            "data (gpequity data load)."
        )
    checksums: dict[Path, str | None] = dict.fromkeys(chosen.values())
    if has_table(con, SOURCES_TABLE):
        rows = fetch_rows(
            con,
            f"SELECT path, sha256 FROM {SOURCES_TABLE} WHERE path IN (SELECT unnest($paths))",
            {"paths": [str(path) for path in chosen.values()]},
        )
        checksums.update((Path(path), str(sha256)) for path, sha256 in rows)
    indicators, female, male = (chosen[kind] for kind in TOOL_FILE_KINDS)
    return _read_tool_files(indicators, female, male, checksums)


def _column(entry: IndicatorEntry, columns: Sequence[str]) -> str:
    if entry.kind == ComponentKind.WEIGHTED_POPULATION:
        found = next((c for c in columns if EFIT_WEIGHTED_NAME.match(c)), None)
    else:
        found = entry.name if entry.name in columns else None
    if found is None:
        raise ToolFileError(
            f"'{entry.name}' is not a column of the ICB's eFIT indicator file: the published "
            "tool offers only the columns of its indicator files."
        )
    return found


def tool_request(
    outcome: ScenarioOutcome, files: ToolFiles, unset_weight: Decimal = Decimal(0)
) -> ToolRequest:
    """The tool's inputs for a scenario: its amount, target population and components (by the
    indicator file's column names; population only is the tool's per-head rest)."""
    columns = list(files.indicators[0].values) if files.indicators else []
    components = tuple(
        ToolComponent(
            _column(entry, columns),
            choice.weight,
            lower=entry.direction == Direction.LOWER,
            weighted_list=entry.kind == ComponentKind.WEIGHTED_POPULATION,
        )
        for entry, choice in zip(outcome.components, outcome.scenario.components, strict=True)
        if entry.kind != ComponentKind.POPULATION
    )
    target = outcome.scenario.target
    return ToolRequest(
        outcome.scenario.amount,
        components,
        Sex(target.sex).value,
        target.age_from,
        target.age_to,
        unset_weight,
    )


# --- the tool's code and the formula -----------------------------------------------------------


def _by_code(rows: Sequence[PopulationRow]) -> dict[str, tuple[float | None, ...]]:
    return {row.code: row.cells for row in rows}


def _target_populations(
    files: ToolFiles, request: ToolRequest, defects: Collection[Defect]
) -> dict[str, Fraction]:
    """Each practice's target population, with the population defects in ``defects``."""
    blank = (None,) * (OLDEST_AGE + 1)
    male = _by_code(files.male)
    if Defect.ROW_ORDER in defects:
        # The female values of row i under the male file's code of row i.
        female = {
            row.code: files.female[i].cells if i < len(files.female) else blank
            for i, row in enumerate(files.male)
        }
    else:
        female = _by_code(files.female)
    top = OLDEST_AGE if request.age_to is None else min(request.age_to, OLDEST_AGE)
    ages = range(max(request.age_from, 0), top + 1)
    out: dict[str, Fraction] = {}
    for code in set(female) | set(male):
        f, m = female.get(code, blank), male.get(code, blank)
        total = Fraction(0)
        for age in ages:
            if request.sex == "female":
                total += Fraction(f[age] or 0)
            elif request.sex == "male":
                total += Fraction(m[age] or 0)
            elif Defect.BLANK_CELL in defects and (f[age] is None or m[age] is None):
                continue  # blank + a number is blank, and the total skips it
            else:
                total += Fraction(f[age] or 0) + Fraction(m[age] or 0)
        out[code] = total
    return out


def _exact_amounts(
    files: ToolFiles, request: ToolRequest, defects: Collection[Defect]
) -> dict[str, Fraction]:
    """Each practice's exact amount by the formula, with ``defects`` of the tool's code."""
    populations = _target_populations(files, request, defects)
    codes = [row.code for row in files.indicators]
    people = {code: populations.get(code, Fraction(0)) for code in codes}
    amount = Fraction(request.amount)
    shares: list[tuple[Fraction, dict[str, Fraction]]] = []
    rest = FULL_WEIGHT - sum((c.weight for c in request.components), Decimal(0))
    per_head = Fraction(rest)
    if Defect.CHOOSE_AN_OPTION in defects:
        per_head += Fraction(request.unset_weight)
    if per_head > 0:
        shares.append((per_head, people))
    for component in request.components:
        values = {row.code: row.values.get(component.column) for row in files.indicators}
        if component.weighted_list:
            needs = {code: Fraction(values[code] or 0) for code in codes}
        elif component.lower:
            total = sum((Fraction(v) for v in values.values() if v is not None), Fraction(0))
            needs = {}
            for code in codes:
                value = values[code]
                needs[code] = (
                    people[code] * (1 - Fraction(value) / total)
                    if value is not None and total
                    else Fraction(0)
                )
        else:
            needs = {code: people[code] * Fraction(values[code] or 0) for code in codes}
        shares.append((Fraction(component.weight), needs))
    out = {code: Fraction(0) for code in codes}
    for weight, needs in shares:
        total_need = sum(needs.values(), Fraction(0))
        if total_need == 0:
            continue
        for code in codes:
            out[code] += amount * weight / 100 * needs[code] / total_need
    return out


def _penny(value: Fraction) -> Decimal:
    """An exact amount to the penny, half up (the tool rounds each practice on its own)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        PENCE, rounding=ROUND_HALF_UP
    )


def check_published_tool(files: ToolFiles, request: ToolRequest) -> ToolCheck:
    """What the published tool's code gives each practice, beside the formula's answer (to the
    penny, adding up to the amount) and the defects that make them differ."""
    every = tuple(Defect)
    tool = _exact_amounts(files, request, every)
    formula = _exact_amounts(files, request, ())
    alone = {defect: _exact_amounts(files, request, (defect,)) for defect in every}
    paid = {code: value for code, value in formula.items() if value > 0}
    formula_pence = share_out(request.amount, paid) if paid else {}
    names = {row.code: row.name for row in files.indicators}
    practices = []
    for code in sorted(formula):
        right = formula_pence.get(code, Decimal("0.00"))
        given = _penny(tool[code])
        causes = tuple(
            defect for defect in every if abs(alone[defect][code] - formula[code]) >= HALF_PENNY
        )
        practices.append(PracticeCheck(code, names[code], given, right, given - right, causes))
    return ToolCheck(
        amount=request.amount,
        practices=tuple(practices),
        tool_total=sum((p.tool for p in practices), Decimal("0.00")),
        formula_total=sum((p.formula for p in practices), Decimal("0.00")),
    )


def tool_check_as_dict(check: ToolCheck) -> dict[str, object]:
    """The check as JSON data (``gpequity allocate --published-tool --format json``):
    ``{"amount", "tool_total", "formula_total", "defects", "practices": [{"practice_code",
    "practice_name", "tool", "formula", "difference", "causes"}]}``, money in pounds."""
    return {
        "amount": json_number(check.amount),
        "tool_total": json_number(check.tool_total),
        "formula_total": json_number(check.formula_total),
        "defects": {d.value: words for d, words in DEFECT_WORDS.items()},
        "practices": [
            {
                "practice_code": p.code,
                "practice_name": p.name,
                "tool": json_number(p.tool),
                "formula": json_number(p.formula),
                "difference": json_number(p.difference),
                "causes": [c.value for c in p.causes],
            }
            for p in check.practices
        ],
    }
