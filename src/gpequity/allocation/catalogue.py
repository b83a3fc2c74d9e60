"""The indicator catalogue of an ICB, and the allocation engine's inputs read from the warehouse.

The eFIT allocation (``gpequity.allocation``) is pure: it is given the practices of an ICB, each
with its target population and indicator values. This module is where those come from:

* :func:`list_icbs`: the ICBs of the newest membership loaded (with the eFIT files, the ICBs of
  April 2026, merged ones included);
* :func:`build_catalogue`: every indicator that can be a component in an ICB, with a stable
  short id, its unit, default direction, period, source and coverage in the ICB;
* :func:`load_pool`: the ICB's practices as :class:`~gpequity.allocation.PracticeInput` (name,
  PCN, IMD score and national quintile, weighted list, target population, component values);
* :func:`allocate_scenario`: everything together, from a user's :class:`Scenario` to the
  engine's result, and :func:`outcome_as_dict`, the JSON the CLI and the API return.

Which practices belong to an ICB. ``practice_icb`` is a dated membership: each payments year
maps a practice to an ICB through that year's CCG, and the eFIT files (``2025/26`` indicator
files, ``2026/27`` population files) through their 2026 ICB codes. An ICB's practices are those
whose membership in the **newest period loaded** is that ICB: with the eFIT files, the practices
of the 2026/27 population files; without them, the practices paid in the latest payments year.
A practice last seen in an older period (a closed practice) is not in any ICB's list. The
**eFIT classic** method instead sees the ICB exactly as the published tool does: the practices
of the ICB's indicator file, with the patients of the ICB's own population files (a practice in
the indicator file but not in the population files has no target population, as in the tool).

Nothing here computes an allocation: figures come from the engine, so they are the same in the
CLI, the API and the web pages.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

import duckdb

from gpequity.allocation.engine import allocate
from gpequity.allocation.models import (
    AllocationInputError,
    AllocationRequest,
    AllocationResult,
    Baseline,
    ComponentKind,
    ComponentSpec,
    Direction,
    InputProblem,
    Method,
    MissingPolicy,
    PracticeInput,
    Unit,
)
from gpequity.allocation.upload import UploadedColumn

Connection = duckdb.DuckDBPyConnection

# --- ids and conventions ---------------------------------------------------------------------

#: Ids that always exist in a catalogue.
IMD_ID = "imd"
POPULATION_ID = "population"
#: Ids of the other derived entries.
WEIGHTED_POPULATION_ID = "weighted-population"
PAYMENTS_PER_WEIGHTED_ID = "payments-per-weighted-patient"

#: Source names, as the warehouse records them (``practice_indicators.source`` and the loaders).
EFIT = "efit"
FINGERTIPS = "fingertips"
QOF = "qof"
PAYMENTS = "payments"
IMD_SOURCE = "imd"
UPLOAD = "upload"

#: Single years of age run 0 to 95; 95 means 95 and over.
OLDEST_AGE = 95
#: NHS Digital's five-year bands: 0-4, 5-9, ..., 90-94, 95+.
BAND_WIDTH = 5
#: IMD quintiles: Q1 = least deprived fifth of practices nationally, Q5 = most deprived.
QUINTILES = 5
#: Coverage (a share of the ICB's practices) is given to this many decimal places.
COVERAGE_PLACES = 4
#: Close matches suggested for a mistyped ICB code or indicator id.
SUGGESTIONS = 3
#: Restricts a query of the pool to its members (a CTE ``members``): reading one ICB's rows
#: rather than all of England's is what keeps an allocation fast.
ONLY_MEMBERS = "practice_code IN (SELECT practice_code FROM members)"

#: eFIT indicator file columns matched by name rather than by a fixed id, because the release
#: year is in the name ("Deprivation score (IMD 2025)").
EFIT_IMD_NAME = re.compile(r"^\s*deprivation score \(imd (\d{4})\)\s*$", re.IGNORECASE)
EFIT_WEIGHTED_NAME = re.compile(r"^\s*weighted population\s*$", re.IGNORECASE)

#: Registered-population age shares offered as indicators: id, name, first age, last age.
AGE_SHARES: tuple[tuple[str, str, int, int | None], ...] = (
    ("age-under-5", "Patients aged under 5 (%)", 0, 4),
    ("age-65-plus", "Patients aged 65 and over (%)", 65, None),
    ("age-75-plus", "Patients aged 75 and over (%)", 75, None),
    ("age-85-plus", "Patients aged 85 and over (%)", 85, None),
)


@dataclass(frozen=True, slots=True)
class KnownIndicator:
    """A curated catalogue entry for an indicator the warehouse holds under a long id.

    ``source`` and ``indicator_id`` are as in ``practice_indicators``; ``id`` is the short id
    users type; the long ``<source>:<indicator>`` id is accepted too.
    """

    source: str
    indicator_id: str
    id: str
    unit: Unit
    direction: Direction


def _efit(indicator: str, short: str, direction: Direction = Direction.HIGHER) -> KnownIndicator:
    return KnownIndicator(EFIT, f"efit:{indicator}", short, Unit.PERCENTAGE, direction)


_LOWER = Direction.LOWER
#: The indicators of the eFIT tool's files (2025/26), and QOF vaccination: short ids, units and
#: directions. Prevalence and incidence: higher = more need. Screening coverage, vaccination
#: uptake and care processes (blood pressure control, checks, statins): lower = more need, the
#: share *not* reached. Ids are the eFIT loader's slugs of the column headers.
KNOWN_INDICATORS: tuple[KnownIndicator, ...] = (
    _efit("asthma-qof-prevalence", "asthma-prevalence"),
    _efit("bowel-cancer-screening-coverage-aged-60-to-74-years-old", "bowel-screening", _LOWER),
    _efit("breast-screening-coverage-aged-53-to-70-years-old", "breast-screening", _LOWER),
    _efit("cancer-qof-prevalence", "cancer-prevalence"),
    _efit(
        "cervical-screening-coverage-aged-25-to-49-years-old", "cervical-screening-25-49", _LOWER
    ),
    _efit(
        "cervical-screening-coverage-aged-50-to-64-years-old", "cervical-screening-50-64", _LOWER
    ),
    _efit("chd-qof-prevalence", "chd-prevalence"),
    _efit(
        "children-who-received-at-least-1-dose-of-mmr-vaccine-between-the-ages-of-1-and-1-5-yrs",
        "mmr-uptake",
        _LOWER,
    ),
    _efit("ckd-qof-prevalence", "ckd-prevalence"),
    _efit("copd-qof-prevalence", "copd-prevalence"),
    _efit("dementia-qof-prevalence", "dementia-prevalence"),
    _efit("depression-qof-incidence-new-diagnosis", "depression-incidence"),
    _efit("diabetes-qof-prevalence", "diabetes-prevalence"),
    _efit("hypertension-qof-prevalence", "hypertension-prevalence"),
    _efit(
        "last-bp-reading-of-patients-80-plus-yrs-with-hypertension-in-the-last-12-months-is-le-"
        "150-90-mmhg-denominator-incl-pcas",
        "bp-control-80-plus",
        _LOWER,
    ),
    _efit(
        "last-bp-reading-of-patients-lt-80-yrs-with-hypertension-in-the-last-12-months-is-le-"
        "140-90-mmhg-denominator-incl-pcas",
        "bp-control-under-80",
        _LOWER,
    ),
    _efit("learning-disability-qof-prevalence", "learning-disability-prevalence"),
    _efit("mental-health-qof-prevalence", "mental-health-prevalence"),
    _efit("obesity-qof-prevalence-new-definition", "obesity-prevalence"),
    _efit("osteoporosis-qof-prevalence", "osteoporosis-prevalence"),
    _efit(
        "patients-aged-45-plus-yrs-who-have-a-record-of-blood-pressure-in-the-last-5-yrs-"
        "denominator-incl-pcas",
        "bp-recorded-45-plus",
        _LOWER,
    ),
    _efit(
        "patients-with-diabetes-and-a-history-of-cvd-excl-haem-stroke-treated-with-a-statin-"
        "denominator-incl-pcas",
        "diabetes-cvd-statin",
        _LOWER,
    ),
    _efit(
        "people-with-type-2-diabetes-who-have-received-an-annual-foot-check",
        "diabetes-foot-check",
        _LOWER,
    ),
    _efit(
        "people-with-type-2-diabetes-who-received-a-cholesterol-check",
        "diabetes-cholesterol-check",
        _LOWER,
    ),
    _efit("smoking-qof-prevalence", "smoking-prevalence"),
    _efit("stroke-qof-prevalence", "stroke-prevalence"),
    KnownIndicator(
        QOF, "qof-childhood-vaccination", "childhood-vaccination", Unit.PERCENTAGE, _LOWER
    ),
)

#: Words in an indicator's name that say a *lower* value means more need (the share of people
#: reached by a service or a care process); anything else (prevalence, incidence, attendances,
#: deprivation) is read as higher = more need.
LOWER_IS_MORE_NEED = re.compile(
    r"screening|coverage|uptake|vaccin|immunis|\bmmr\b|received|check|record of|treated|"
    r"achievement|reading|controlled|satisf",
    re.IGNORECASE,
)
#: Words saying an indicator is a percentage, or a rate.
PERCENTAGE_WORDS = re.compile(r"%|percent|prevalence|proportion|coverage|uptake|achievement", re.I)
RATE_WORDS = re.compile(r"\brate\b|per 1|per 10|attendances|admissions", re.IGNORECASE)
#: ``value / (count / denominator)`` of a Fingertips indicator: 100 for a percentage, 1,000 or
#: 100,000 for a rate per thousand or per hundred thousand.
PERCENT_SCALE = 100.0
SCALE_TOLERANCE = 0.02


class Sex(StrEnum):
    """Which registered patients count in the target population."""

    ALL = "all"
    FEMALE = "female"
    MALE = "male"


# --- public records --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorEntry:
    """One entry of an ICB's indicator catalogue: what a component can be.

    ``coverage`` is the share (0 to 1) of the ICB's practices that have a value; ``None`` until
    it is computed for an ICB. ``kind`` tells the engine how to read it (an indicator value,
    population only, or the weighted list).
    """

    id: str
    name: str
    unit: Unit
    direction: Direction
    period: str | None
    source: str
    coverage: float | None = None
    kind: ComponentKind = ComponentKind.INDICATOR

    def as_dict(self) -> dict[str, Any]:
        """``{"id", "name", "unit", "direction", "period", "source", "coverage"}``."""
        return {
            "id": self.id,
            "name": self.name,
            "unit": self.unit.value,
            "direction": self.direction.value,
            "period": self.period,
            "source": self.source,
            "coverage": self.coverage,
        }


@dataclass(frozen=True, slots=True)
class IcbEntry:
    """An ICB of the newest membership: code, name and number of practices."""

    code: str
    name: str
    practices: int
    source: str | None = None
    first_period: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """``{"code", "name", "practices", "source", "first_period"}``."""
        return {
            "code": self.code,
            "name": self.name,
            "practices": self.practices,
            "source": self.source,
            "first_period": self.first_period,
        }


class UnknownIcbError(AllocationInputError):
    """An ICB code that is not in the warehouse's newest membership; says how to find codes."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__([InputProblem("icb_code", message)])


@dataclass(frozen=True, slots=True)
class TargetPopulation:
    """The registered patients an allocation is for: a sex and an age range in whole years.

    ``age_to`` ``None`` means "and over" (95 is the oldest age the files give, meaning 95+).
    """

    sex: Sex = Sex.ALL
    age_from: int = 0
    age_to: int | None = None

    def describe(self) -> str:
        """Plain English: "all registered patients", "female patients aged 18 to 64"."""
        who = "patients" if self.sex == Sex.ALL else f"{Sex(self.sex).value} patients"
        top = None if self.age_to is None or self.age_to >= OLDEST_AGE else self.age_to
        if self.age_from <= 0 and top is None:
            return "all registered patients" if self.sex == Sex.ALL else f"all {who}"
        if top is None:
            return f"{who} aged {self.age_from} and over"
        if self.age_from <= 0:
            return f"{who} aged {top} and under"
        return f"{who} aged {self.age_from} to {top}"


@dataclass(frozen=True, slots=True)
class ComponentChoice:
    """A component as a user chose it: a catalogue id, a weight in percent, maybe a direction."""

    id: str
    weight: Decimal
    direction: Direction | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything a user chooses for one allocation (the CLI's options, the API's body)."""

    icb_code: str
    amount: Decimal
    components: tuple[ComponentChoice, ...]
    method: Method = Method.RECOMMENDED
    target: TargetPopulation = field(default_factory=TargetPopulation)
    missing_policy: MissingPolicy = MissingPolicy.IMPUTE_MEDIAN
    excluded_practices: frozenset[str] = frozenset()
    baseline: Baseline = Baseline.PER_HEAD


@dataclass(frozen=True, slots=True)
class ScenarioOutcome:
    """A scenario's allocation, with the ICB, the catalogue entries used and where the target
    population came from (in words)."""

    scenario: Scenario
    icb: IcbEntry
    components: tuple[IndicatorEntry, ...]
    population_source: str
    result: AllocationResult


# --- reading the warehouse -------------------------------------------------------------------


def _rows(con: Connection, sql: str, params: Mapping[str, object] | None = None) -> list[Any]:
    return con.execute(sql, dict(params or {})).fetchall()


def _scalar(con: Connection, sql: str, params: Mapping[str, object] | None = None) -> Any:
    rows = _rows(con, sql, params)
    return rows[0][0] if rows else None


def _has_table(con: Connection, name: str) -> bool:
    return name in _metadata(con).tables


def _read_tables(con: Connection) -> frozenset[str]:
    return frozenset(str(r[0]) for r in _rows(con, "SELECT table_name FROM duckdb_tables()"))


def _has_rows(con: Connection, table: str, where: str = "true", **params: object) -> bool:
    if not _has_table(con, table):
        return False
    return bool(_scalar(con, f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where})", params))


def _sql_text(value: str) -> str:
    """A SQL string literal (for the few values written into SQL rather than bound)."""
    return "'" + value.replace("'", "''") + "'"


def _newest_membership_period(con: Connection) -> str | None:
    return _metadata(con).newest_period


def _read_newest_period(con: Connection) -> str | None:
    if not _has_table(con, "practice_icb"):
        return None
    period = _scalar(con, "SELECT max(period) FROM practice_icb")
    return None if period is None else str(period)


def list_icbs(con: Connection) -> list[IcbEntry]:
    """The ICBs of the newest membership loaded, with their number of practices, by name.

    With the eFIT files loaded these are the ICBs of April 2026 (merged ones included); without
    them, those of the latest payments year.
    """
    period = _newest_membership_period(con)
    if period is None:
        return []
    rows = _rows(
        con,
        """
        SELECT m.icb_code, coalesce(i.icb_name, any_value(m.icb_name), m.icb_code),
            count(DISTINCT m.practice_code), i.source, i.first_period
        FROM practice_icb m LEFT JOIN icbs i USING (icb_code)
        WHERE m.period = $period
        GROUP BY m.icb_code, i.icb_name, i.source, i.first_period
        """,
        {"period": period},
    )
    entries = [
        IcbEntry(str(code), str(name), int(n), source, first)
        for code, name, n, source, first in rows
    ]
    return sorted(entries, key=lambda e: (e.name.lower(), e.code))


def find_icb(con: Connection, code: str) -> IcbEntry:
    """Return the ICB with this code (any case); raise :class:`UnknownIcbError` saying how to
    find the codes (with close matches) when there is none."""
    wanted = code.strip().upper()
    icbs = list_icbs(con)
    for icb in icbs:
        if icb.code.upper() == wanted:
            return icb
    if not icbs:
        raise UnknownIcbError(
            code,
            "No ICB is loaded: build the warehouse with 'gpequity data load --source DIR' "
            "(the eFIT files, or the payments files and the CCG-to-ICB lookup).",
        )
    by_name = {icb.name.lower(): icb for icb in icbs}
    close = difflib.get_close_matches(wanted, [i.code for i in icbs], n=SUGGESTIONS)
    close += [
        by_name[n].code
        for n in difflib.get_close_matches(code.strip().lower(), list(by_name), n=SUGGESTIONS)
    ]
    names = {i.code: i.name for i in icbs}
    hint = ""
    if close:
        unique = list(dict.fromkeys(close))[:SUGGESTIONS]
        hint = " Did you mean " + " or ".join(f"{c} ({names[c]})" for c in unique) + "?"
    shown = code.strip() or "(empty)"
    return_codes = ", ".join(i.code for i in sorted(icbs, key=lambda i: i.code))
    raise UnknownIcbError(
        code,
        f"'{shown}' is not an ICB code of the loaded data.{hint} The ICB codes are: "
        f"{return_codes} (GET /api/v1/icbs lists them with their names).",
    )


# --- the definitions behind the catalogue ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Definition:
    """A catalogue entry and how to read it: SQL giving ``practice_code, value`` nationally."""

    entry: IndicatorEntry
    sql: str = ""
    params: Mapping[str, object] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _PopulationSource:
    """Where registered patients come from: single years, five-year bands, or the payments list.

    ``kind`` is ``single``, ``bands`` or ``payments``; ``source`` and ``period`` select the rows.
    """

    kind: str
    source: str
    period: str

    def describe(self) -> str:
        if self.kind == "single":
            return f"registered patients by single year of age ({self.source} files, {self.period})"
        if self.kind == "bands":
            return f"registered patients by five-year age band ({self.source} files, {self.period})"
        return f"registered patients of the NHS payments file ({self.period}), all ages"


def _population_source(con: Connection) -> _PopulationSource | None:
    return _metadata(con).population


def _read_population_source(con: Connection) -> _PopulationSource | None:
    """The registered-population data the target population is read from.

    Single years of age (the eFIT population files) when loaded, else five-year bands (NHS
    Digital), else the registered list of the latest payments year.
    """
    if _has_rows(con, "registered_population"):
        rows = _rows(
            con,
            """
            SELECT source, max(period),
                bool_and(age_to IS NULL OR age_to = age_from) AS single
            FROM registered_population GROUP BY source
            ORDER BY single DESC, source
            """,
        )
        source, period, single = rows[0]
        return _PopulationSource("single" if single else "bands", str(source), str(period))
    if _has_rows(con, "payments", "registered_patients IS NOT NULL"):
        year = _scalar(con, "SELECT max(year) FROM payments WHERE registered_patients IS NOT NULL")
        return _PopulationSource("payments", PAYMENTS, str(year))
    return None


def _unit_from_words(name: str) -> Unit:
    if PERCENTAGE_WORDS.search(name):
        return Unit.PERCENTAGE
    if RATE_WORDS.search(name):
        return Unit.RATE
    return Unit.SCORE


def _unit_from_scale(scale: float | None, name: str) -> Unit:
    """The unit of a Fingertips indicator from ``value / (count / denominator)``, else words."""
    if scale is not None and scale > 0:
        if abs(scale / PERCENT_SCALE - 1) < SCALE_TOLERANCE:
            return Unit.PERCENTAGE
        if scale > PERCENT_SCALE * (1 + SCALE_TOLERANCE):
            return Unit.RATE
    return _unit_from_words(name)


def _direction_from_words(name: str) -> Direction:
    return Direction.LOWER if LOWER_IS_MORE_NEED.search(name) else Direction.HIGHER


def _generic_id(source: str, indicator_id: str) -> str:
    """``fingertips:91547``; an id that already starts with its source keeps it once."""
    bare = indicator_id.removeprefix(f"{source}:").removeprefix(f"{source}-")
    return f"{source}:{bare}"


def _indicator_sql(filters: str) -> str:
    return (
        "SELECT practice_code, avg(value) AS value FROM practice_indicators "
        f"WHERE {filters} GROUP BY practice_code"
    )


def _efit_definitions(con: Connection) -> tuple[list[_Definition], dict[str, _Definition]]:
    """eFIT indicators (latest period of each), and the special columns (IMD, weighted list)."""
    rows = _rows(
        con,
        """
        SELECT indicator_id, arg_max(indicator_name, period), max(period)
        FROM practice_indicators WHERE source = $source GROUP BY indicator_id
        ORDER BY indicator_id
        """,
        {"source": EFIT},
    )
    known = {k.indicator_id: k for k in KNOWN_INDICATORS if k.source == EFIT}
    plain: list[_Definition] = []
    special: dict[str, _Definition] = {}
    for indicator_id, name, period in rows:
        name = str(name or indicator_id)
        sql = _indicator_sql("source = $source AND indicator_id = $indicator AND period = $period")
        params = {"source": EFIT, "indicator": indicator_id, "period": period}
        imd = EFIT_IMD_NAME.match(name)
        if imd:
            entry = IndicatorEntry(IMD_ID, name, Unit.SCORE, Direction.HIGHER, str(period), EFIT)
            special[IMD_ID] = _Definition(entry, sql, params, (str(indicator_id),))
            continue
        if EFIT_WEIGHTED_NAME.match(name):
            entry = IndicatorEntry(
                WEIGHTED_POPULATION_ID,
                "Weighted population (NHS England)",
                Unit.COUNT,
                Direction.HIGHER,
                str(period),
                EFIT,
                kind=ComponentKind.WEIGHTED_POPULATION,
            )
            special[WEIGHTED_POPULATION_ID] = _Definition(entry, sql, params, (str(indicator_id),))
            continue
        curated = known.get(str(indicator_id))
        if curated is not None:
            entry = IndicatorEntry(
                curated.id, name, curated.unit, curated.direction, str(period), EFIT
            )
            aliases: tuple[str, ...] = (str(indicator_id),)
        else:
            # A column a newer eFIT release added: its id is the loader's slug of the header.
            entry = IndicatorEntry(
                _generic_id(EFIT, str(indicator_id)),
                name,
                _unit_from_words(name) if "prevalence" not in name.lower() else Unit.PERCENTAGE,
                _direction_from_words(name),
                str(period),
                EFIT,
            )
            aliases = ()
        plain.append(_Definition(entry, sql, params, aliases))
    return plain, special


def _other_indicator_definitions(con: Connection) -> list[_Definition]:
    """Fingertips, QOF and any other practice indicators: the latest period of each, persons.

    Of the latest period's rows, those for persons (Fingertips ``Sex`` = ``Persons``; the
    2023/24 smoking rows leave it blank) and the most common age group are used.
    """
    rows = _rows(
        con,
        """
        WITH groups AS (
            SELECT source, indicator_id, period, sex, age, count(*) AS n,
                any_value(indicator_name) AS name,
                median(value * denominator / count)
                    FILTER (WHERE count > 0 AND denominator > 0 AND value IS NOT NULL) AS scale
            FROM practice_indicators WHERE source <> $efit GROUP BY ALL
        ),
        names AS (
            SELECT source, indicator_id, arg_max(indicator_name, period) AS any_name
            FROM practice_indicators WHERE source <> $efit AND indicator_name IS NOT NULL
            GROUP BY ALL
        ),
        ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY source, indicator_id
                ORDER BY period DESC, (sex IS NULL OR lower(sex) = 'persons') DESC, n DESC,
                    sex NULLS FIRST, age NULLS FIRST) AS r
            FROM groups
        )
        SELECT r.source, r.indicator_id, r.period, r.sex, r.age,
            coalesce(r.name, n.any_name, r.indicator_id), r.scale
        FROM ranked r LEFT JOIN names n USING (source, indicator_id)
        WHERE r.r = 1 ORDER BY r.source, r.indicator_id
        """,
        {"efit": EFIT},
    )
    known = {(k.source, k.indicator_id): k for k in KNOWN_INDICATORS}
    definitions = []
    for source, indicator_id, period, sex, age, name, scale in rows:
        sql = _indicator_sql(
            "source = $source AND indicator_id = $indicator AND period = $period "
            "AND sex IS NOT DISTINCT FROM $sex AND age IS NOT DISTINCT FROM $age"
        )
        params = {
            "source": source,
            "indicator": indicator_id,
            "period": period,
            "sex": sex,
            "age": age,
        }
        long_id = _generic_id(str(source), str(indicator_id))
        curated = known.get((str(source), str(indicator_id)))
        if curated is not None:
            entry = IndicatorEntry(
                curated.id, str(name), curated.unit, curated.direction, str(period), str(source)
            )
            aliases: tuple[str, ...] = (long_id,)
        else:
            entry = IndicatorEntry(
                long_id,
                str(name),
                _unit_from_scale(None if scale is None else float(scale), str(name)),
                _direction_from_words(str(name)),
                str(period),
                str(source),
            )
            aliases = ()
        definitions.append(_Definition(entry, sql, params, aliases))
    return definitions


def _imd_release_definition(con: Connection) -> _Definition | None:
    """The IMD score of the newest release in ``practice_imd`` (OHID Fingertips 93553)."""
    if not _has_rows(con, "practice_imd", "score IS NOT NULL"):
        return None
    release = int(_scalar(con, "SELECT max(imd_release) FROM practice_imd WHERE score IS NOT NULL"))
    entry = IndicatorEntry(
        IMD_ID,
        f"Deprivation score (IMD {release})",
        Unit.SCORE,
        Direction.HIGHER,
        str(release),
        IMD_SOURCE,
    )
    sql = "SELECT practice_code, score AS value FROM practice_imd WHERE imd_release = $release"
    return _Definition(entry, sql, {"release": release})


def _latest_payments_year(con: Connection) -> str | None:
    if not _has_rows(con, "payments"):
        return None
    return str(_scalar(con, "SELECT max(year) FROM payments"))


def _payments_definitions(con: Connection, *, weighted_from_efit: bool) -> list[_Definition]:
    year = _latest_payments_year(con)
    if year is None:
        return []
    out = [
        _Definition(
            IndicatorEntry(
                PAYMENTS_PER_WEIGHTED_ID,
                f"NHS payments per weighted patient ({year}; lower = more need: money to the "
                "practices that get least today)",
                Unit.RATE,
                Direction.LOWER,
                year,
                PAYMENTS,
            ),
            "SELECT practice_code, CAST(total_payments AS DOUBLE) / weighted_patients AS value "
            "FROM payments WHERE year = $year AND weighted_patients > 0",
            {"year": year},
        )
    ]
    if not weighted_from_efit:
        out.append(
            _Definition(
                IndicatorEntry(
                    WEIGHTED_POPULATION_ID,
                    f"Weighted patients (NHS payments file, {year})",
                    Unit.COUNT,
                    Direction.HIGHER,
                    year,
                    PAYMENTS,
                    kind=ComponentKind.WEIGHTED_POPULATION,
                ),
                "SELECT practice_code, CAST(weighted_patients AS DOUBLE) AS value FROM payments "
                "WHERE year = $year",
                {"year": year},
            )
        )
    return out


def _population_definitions(population: _PopulationSource | None) -> list[_Definition]:
    """``population`` (population only) and the age shares, when ages are loaded."""
    if population is None:
        entry = IndicatorEntry(
            POPULATION_ID,
            "Population only (a plain per-head share)",
            Unit.COUNT,
            Direction.HIGHER,
            None,
            "none",
            kind=ComponentKind.POPULATION,
        )
        return [_Definition(entry, "SELECT NULL::VARCHAR AS practice_code, NULL AS value LIMIT 0")]
    if population.kind == "payments":
        sql = (
            "SELECT practice_code, CAST(registered_patients AS DOUBLE) AS value FROM payments "
            "WHERE year = $period"
        )
    else:
        sql = (
            "SELECT practice_code, sum(patients) AS value FROM registered_population "
            "WHERE source = $source AND period = $period GROUP BY practice_code"
        )
    params = {"source": population.source, "period": population.period}
    out = [
        _Definition(
            IndicatorEntry(
                POPULATION_ID,
                "Population only (a plain per-head share)",
                Unit.COUNT,
                Direction.HIGHER,
                population.period,
                population.source,
                kind=ComponentKind.POPULATION,
            ),
            sql,
            params,
        )
    ]
    if population.kind == "payments":
        return out
    for share_id, name, first, last in AGE_SHARES:
        condition = f"age_from >= {first}" + ("" if last is None else f" AND age_from <= {last}")
        out.append(
            _Definition(
                IndicatorEntry(
                    share_id,
                    name,
                    Unit.PERCENTAGE,
                    Direction.HIGHER,
                    population.period,
                    population.source,
                ),
                "SELECT practice_code, 100 * coalesce(sum(patients) FILTER (WHERE "
                f"{condition}), 0) / nullif(sum(patients), 0) AS value "
                "FROM registered_population WHERE source = $source AND period = $period "
                "GROUP BY practice_code",
                params,
            )
        )
    return out


def _definitions(con: Connection) -> list[_Definition]:
    return list(_metadata(con).definitions)


def _read_definitions(con: Connection) -> list[_Definition]:
    """Every catalogue entry (without coverage), in catalogue order: IMD, population, weighted
    list, payments, age shares, then the indicators by source and name."""
    efit_plain: list[_Definition] = []
    efit_special: dict[str, _Definition] = {}
    others: list[_Definition] = []
    if _has_rows(con, "practice_indicators"):
        efit_plain, efit_special = _efit_definitions(con)
        others = _other_indicator_definitions(con)
    imd = efit_special.get(IMD_ID) or _imd_release_definition(con)
    if imd is None:
        imd = _Definition(
            IndicatorEntry(
                IMD_ID, "Deprivation score (IMD)", Unit.SCORE, Direction.HIGHER, None, "none"
            ),
            "SELECT NULL::VARCHAR AS practice_code, NULL AS value LIMIT 0",
        )
    population = _population_definitions(_read_population_source(con))
    weighted = (
        [efit_special[WEIGHTED_POPULATION_ID]] if WEIGHTED_POPULATION_ID in efit_special else []
    )
    payments = _payments_definitions(con, weighted_from_efit=bool(weighted))
    weighted += [d for d in payments if d.entry.id == WEIGHTED_POPULATION_ID]
    payments = [d for d in payments if d.entry.id != WEIGHTED_POPULATION_ID]
    indicators = sorted(
        efit_plain + others,
        key=lambda d: (d.entry.source != EFIT, d.entry.source, d.entry.name.casefold()),
    )
    return [imd, population[0], *weighted, *payments, *population[1:], *indicators]


# --- what the warehouse holds, read once per version of its file ------------------------------


@dataclass(frozen=True, slots=True)
class _Metadata:
    """What every call needs to know about the warehouse: its tables, newest membership period,
    registered-population data and catalogue definitions (the same for every ICB)."""

    tables: frozenset[str]
    newest_period: str | None
    population: _PopulationSource | None
    definitions: tuple[_Definition, ...]


#: Metadata by version of the warehouse file (path, inode, modification time, size). A
#: warehouse is never changed in place (``gpequity data load`` renames a new file over it), so a
#: changed file is always a new key. In-memory databases are read afresh each time.
_METADATA: dict[tuple[str, int, int, int], _Metadata] = {}
_METADATA_LOCK = threading.Lock()
_METADATA_KEPT = 8
#: Set while the metadata is being read, so the readers query the warehouse directly.
_READING = threading.local()


def _file_version(con: Connection) -> tuple[str, int, int, int] | None:
    path = _scalar(
        con, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    )
    if not path:
        return None
    try:
        stat = os.stat(str(path))
    except OSError:
        return None
    return (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _metadata(con: Connection) -> _Metadata:
    reading: _Metadata | None = getattr(_READING, "partial", None)
    if reading is not None:
        return reading
    key = _file_version(con)
    if key is not None:
        with _METADATA_LOCK:
            cached = _METADATA.get(key)
        if cached is not None:
            return cached
    tables = _read_tables(con)
    _READING.partial = _Metadata(tables, None, None, ())
    try:
        newest = _read_newest_period(con)
        _READING.partial = _Metadata(tables, newest, None, ())
        population = _read_population_source(con)
        _READING.partial = _Metadata(tables, newest, population, ())
        metadata = _Metadata(tables, newest, population, tuple(_read_definitions(con)))
    finally:
        _READING.partial = None
    if key is not None:
        with _METADATA_LOCK:
            if len(_METADATA) >= _METADATA_KEPT:
                _METADATA.clear()
            _METADATA[key] = metadata
    return metadata


# --- membership --------------------------------------------------------------------------------


def _classic_view(con: Connection, icb_code: str) -> tuple[str, str | None] | None:
    """The periods of the ICB's eFIT indicator file and population files, if it has the former.

    eFIT classic reads the ICB as the published tool does: the practices of its indicator file,
    the patients of its own population files.
    """
    if not _has_rows(
        con, "efit_practices", "kind = 'indicators' AND icb_code = $icb", icb=icb_code
    ):
        return None
    indicators = _scalar(
        con,
        "SELECT max(period) FROM efit_practices WHERE kind = 'indicators' AND icb_code = $icb",
        {"icb": icb_code},
    )
    population = _scalar(
        con,
        "SELECT max(period) FROM efit_practices WHERE kind = 'population' AND icb_code = $icb",
        {"icb": icb_code},
    )
    return str(indicators), None if population is None else str(population)


def _members_sql(con: Connection, icb_code: str, method: Method) -> tuple[str, dict[str, object]]:
    """SQL of the pool's practice codes (column ``practice_code``) and its parameters."""
    view = _classic_view(con, icb_code) if method == Method.EFIT_CLASSIC else None
    if view is not None:
        return (
            "SELECT DISTINCT practice_code FROM efit_practices WHERE kind = 'indicators' "
            "AND icb_code = $icb AND period = $members_period",
            {"icb": icb_code, "members_period": view[0]},
        )
    period = _newest_membership_period(con)
    return (
        "SELECT DISTINCT practice_code FROM practice_icb WHERE icb_code = $icb "
        "AND period = $members_period",
        {"icb": icb_code, "members_period": period},
    )


def icb_practice_codes(
    con: Connection, icb_code: str, method: Method = Method.RECOMMENDED
) -> set[str]:
    """The codes of the practices an allocation for this ICB shares money across."""
    sql, params = _members_sql(con, icb_code, method)
    return {str(r[0]) for r in _rows(con, sql, params)}


def known_practice_codes(con: Connection) -> set[str]:
    """Every practice code the warehouse knows (any period, any source)."""
    codes: set[str] = set()
    for table in ("practice_icb", "practice_indicators", "registered_population"):
        if _has_table(con, table):
            codes |= {str(r[0]) for r in _rows(con, f"SELECT DISTINCT practice_code FROM {table}")}
    return codes


# --- the catalogue -----------------------------------------------------------------------------


def _coverages(
    con: Connection, definitions: Sequence[_Definition], members: str, params: Mapping[str, object]
) -> dict[str, float]:
    """Share of the members with a value, per definition, in one query.

    ``population`` counts a practice with at least one registered patient.
    """
    total = int(_scalar(con, f"SELECT count(*) FROM ({members})", params) or 0)
    if total == 0:
        return {d.entry.id: 0.0 for d in definitions}
    parts = []
    bound: dict[str, object] = dict(params)
    for index, definition in enumerate(definitions):
        sql, renamed = _renamed(definition, f"d{index}_")
        bound.update(renamed)
        has_value = "v.value > 0" if definition.entry.id == POPULATION_ID else "v.value IS NOT NULL"
        parts.append(
            f"SELECT {index} AS i, count(DISTINCT v.practice_code) AS n FROM ({sql}) v "
            f"WHERE {has_value} AND v.practice_code IN ({members})"
        )
    found = dict(_rows(con, " UNION ALL ".join(parts), bound))
    return {
        d.entry.id: round(int(found.get(i, 0)) / total, COVERAGE_PLACES)
        for i, d in enumerate(definitions)
    }


def build_catalogue(con: Connection, icb_code: str) -> list[IndicatorEntry]:
    """Every indicator that can be a component of an allocation in this ICB.

    Entries: ``imd`` (the newest IMD release loaded), ``population`` (population only),
    ``weighted-population`` (NHS England's weighted list: eFIT, else the latest payments file),
    ``payments-per-weighted-patient`` (lower = more need), age shares (``age-65-plus``, ...) when
    registered patients by age are loaded, every eFIT indicator, every Fingertips practice
    indicator (latest period, persons) and QOF vaccination achievement. ``coverage`` is the
    share of the ICB's practices with a value. ``imd`` and ``population`` always exist.
    Raises :class:`UnknownIcbError` for an ICB that is not loaded.
    """
    icb = find_icb(con, icb_code)
    definitions = _definitions(con)
    members, params = _members_sql(con, icb.code, Method.RECOMMENDED)
    coverage = _coverages(con, definitions, members, params)
    return [replace(d.entry, coverage=coverage[d.entry.id]) for d in definitions]


def upload_entries(
    columns: Iterable[UploadedColumn], practice_codes: Iterable[str]
) -> list[IndicatorEntry]:
    """Catalogue entries for a user's uploaded columns (coverage over ``practice_codes``).

    A column whose header says it is a percentage has unit percentage, else score; the default
    direction is higher = more need (the user says otherwise per component).
    """
    codes = set(practice_codes)
    entries = []
    for column in columns:
        covered = sum(1 for code in codes if column.values.get(code) is not None)
        entries.append(
            IndicatorEntry(
                column.id,
                column.name,
                Unit.PERCENTAGE if column.is_percentage else Unit.SCORE,
                Direction.HIGHER,
                None,
                UPLOAD,
                round(covered / len(codes), COVERAGE_PLACES) if codes else 0.0,
            )
        )
    return entries


# --- the target population -------------------------------------------------------------------


def _bands_text() -> str:
    starts = range(0, OLDEST_AGE, BAND_WIDTH)
    return ", ".join([*(f"{a}-{a + BAND_WIDTH - 1}" for a in starts), f"{OLDEST_AGE}+"])


def check_target(con: Connection, target: TargetPopulation) -> list[InputProblem]:
    """Every problem with a target population given the data loaded, field by field.

    Fields: ``sex``, ``age_from``, ``age_to``. Single years of age allow any range from 0 to
    95+; five-year bands need a range on the bands' edges; the payments list only allows all
    patients.
    """
    problems: list[InputProblem] = []
    if target.sex not in tuple(Sex):
        problems.append(InputProblem("sex", "Choose the sex: 'all', 'female' or 'male'."))
    age_from, age_to = target.age_from, target.age_to
    if not isinstance(age_from, int) or not 0 <= age_from <= OLDEST_AGE:
        problems.append(
            InputProblem(
                "age_from", f"The youngest age must be a whole number from 0 to {OLDEST_AGE}."
            )
        )
        return problems
    if age_to is not None and (not isinstance(age_to, int) or not age_from <= age_to):
        problems.append(
            InputProblem(
                "age_to",
                f"The oldest age must be a whole number from {age_from} (the youngest age) to "
                f"{OLDEST_AGE}, or empty for '{age_from} and over'.",
            )
        )
        return problems
    if age_to is not None and age_to > OLDEST_AGE:
        problems.append(
            InputProblem(
                "age_to",
                f"The oldest age the registers give is {OLDEST_AGE} (meaning {OLDEST_AGE} and "
                "over); leave it empty for 'and over'.",
            )
        )
        return problems
    population = _population_source(con)
    everyone = age_from == 0 and (age_to is None or age_to >= OLDEST_AGE)
    if population is None:
        problems.append(
            InputProblem(
                "sex",
                "No registered-population data is loaded (eFIT population files, NHS Digital "
                "patients by age band, or the NHS payments files), so there is no target "
                "population.",
            )
        )
    elif population.kind == "payments" and (target.sex != Sex.ALL or not everyone):
        field_name = "sex" if target.sex != Sex.ALL else "age_from"
        problems.append(
            InputProblem(
                field_name,
                "Only all registered patients can be chosen: no registered patients by age and "
                "sex are loaded (load the eFIT population files or NHS Digital's patients by "
                "five-year age band).",
            )
        )
    elif population.kind == "bands" and not everyone:
        if age_from % BAND_WIDTH:
            problems.append(
                InputProblem(
                    "age_from",
                    f"Ages are loaded in five-year bands ({_bands_text()}), so the youngest "
                    f"age must start a band (0, 5, 10, ... {OLDEST_AGE}); {age_from} does not.",
                )
            )
        if age_to is not None and age_to < OLDEST_AGE and (age_to + 1) % BAND_WIDTH:
            problems.append(
                InputProblem(
                    "age_to",
                    f"Ages are loaded in five-year bands ({_bands_text()}), so the oldest age "
                    f"must end a band (4, 9, 14, ... 94, or {OLDEST_AGE}+); {age_to} does not.",
                )
            )
    return problems


def _target_sql(
    population: _PopulationSource,
    target: TargetPopulation,
    classic: tuple[str, str | None] | None,
) -> tuple[str, dict[str, object]]:
    """SQL of ``practice_code, patients`` for the target population (nationally, or for the
    ICB's own eFIT population files under eFIT classic)."""
    if population.kind == "payments":
        return (
            "SELECT practice_code, CAST(registered_patients AS DOUBLE) AS patients "
            f"FROM payments WHERE year = $pop_period AND {ONLY_MEMBERS}",
            {"pop_period": population.period},
        )
    sexes = [Sex.FEMALE.value, Sex.MALE.value] if target.sex == Sex.ALL else [target.sex.value]
    top = None if target.age_to is None or target.age_to >= OLDEST_AGE else target.age_to
    params: dict[str, object] = {
        "pop_source": population.source,
        "pop_period": population.period,
        "sexes": sexes,
        "age_from": target.age_from,
    }
    condition = "age_from >= $age_from"
    if top is not None:
        condition += " AND age_from <= $age_to"
        params["age_to"] = top
    own_files = ""
    if classic is not None and population.source == EFIT and classic[1] is not None:
        # The tool joins the ICB's population files: a practice counts only where that ICB's
        # file of that sex lists it.
        own_files = (
            " AND EXISTS (SELECT 1 FROM efit_practices e WHERE e.kind = 'population' "
            "AND e.icb_code = $icb AND e.period = $classic_pop_period "
            "AND e.practice_code = r.practice_code AND e.sex = r.sex)"
        )
        params["classic_pop_period"] = classic[1]
    return (
        "SELECT practice_code, sum(patients) AS patients FROM registered_population r "
        "WHERE source = $pop_source AND period = $pop_period AND list_contains($sexes, sex) "
        f"AND {condition}{own_files} AND {ONLY_MEMBERS} GROUP BY practice_code",
        params,
    )


# --- the pool ----------------------------------------------------------------------------------


def _imd_sql(con: Connection, definitions: Sequence[_Definition]) -> tuple[str, dict[str, object]]:
    """SQL of ``practice_code, score, quintile``: the IMD of the newest data, national quintile.

    With the eFIT files, their IMD score (IMD 2025) ranked across every practice of the files
    (all of England); else the derived score and quintile of the latest payments year.
    """
    imd = next(d for d in definitions if d.entry.id == IMD_ID)
    if imd.entry.source == EFIT:
        sql = imd.sql
        params: dict[str, object] = {}
        for name, value in imd.params.items():
            sql = re.sub(rf"\${name}\b", f"$imd_{name}", sql)
            params[f"imd_{name}"] = value
        return (
            f"SELECT practice_code, value AS score, ntile({QUINTILES}) OVER "
            f"(ORDER BY value, practice_code) AS quintile FROM ({sql}) WHERE value IS NOT NULL",
            params,
        )
    if _has_rows(con, "practice_imd_year"):
        return (
            "SELECT practice_code, score, quintile FROM practice_imd_year "
            "WHERE year = (SELECT max(year) FROM practice_imd_year)",
            {},
        )
    return "SELECT NULL::VARCHAR AS practice_code, NULL AS score, NULL AS quintile LIMIT 0", {}


def _names_sql(con: Connection) -> str:
    """SQL of ``practice_code, name``: eFIT indicator files, else payments, else IMD names."""
    parts = []
    if _has_table(con, "efit_practices"):
        parts.append(
            "SELECT practice_code, arg_max(practice_name, period) AS name, 1 AS rank "
            f"FROM efit_practices WHERE practice_name IS NOT NULL AND {ONLY_MEMBERS} "
            "GROUP BY practice_code"
        )
    if _has_table(con, "payments"):
        parts.append(
            "SELECT practice_code, arg_max(practice_name, year) AS name, 2 AS rank "
            f"FROM payments WHERE practice_name IS NOT NULL AND {ONLY_MEMBERS} "
            "GROUP BY practice_code"
        )
    if _has_table(con, "practice_imd"):
        parts.append(
            "SELECT practice_code, arg_max(practice_name, imd_release) AS name, 3 AS rank "
            f"FROM practice_imd WHERE practice_name IS NOT NULL AND {ONLY_MEMBERS} "
            "GROUP BY practice_code"
        )
    if not parts:
        return "SELECT NULL::VARCHAR AS practice_code, NULL::VARCHAR AS name LIMIT 0"
    return (
        "SELECT practice_code, arg_min(name, rank) AS name FROM ("
        + " UNION ALL ".join(parts)
        + ") GROUP BY practice_code"
    )


def _pcn_sql(con: Connection) -> str:
    if not _has_table(con, "payments"):
        return (
            "SELECT NULL::VARCHAR AS practice_code, NULL::VARCHAR AS pcn_code, "
            "NULL::VARCHAR AS pcn_name LIMIT 0"
        )
    return (
        "SELECT practice_code, arg_max(pcn_code, year) AS pcn_code, "
        "arg_max(pcn_name, year) AS pcn_name FROM payments "
        f"WHERE pcn_code IS NOT NULL AND {ONLY_MEMBERS} GROUP BY practice_code"
    )


def _renamed(definition: _Definition, prefix: str) -> tuple[str, dict[str, object]]:
    sql = definition.sql
    params: dict[str, object] = {}
    for name, value in definition.params.items():
        sql = re.sub(rf"\${name}\b", f"${prefix}{name}", sql)
        params[f"{prefix}{name}"] = value
    return sql, params


def _resolve_ids(
    definitions: Sequence[_Definition], ids: Iterable[str]
) -> dict[str, _Definition | None]:
    by_id: dict[str, _Definition] = {}
    for definition in definitions:
        by_id[definition.entry.id] = definition
        for alias in definition.aliases:
            by_id.setdefault(alias, definition)
    return {i: by_id.get(i) for i in ids}


def load_pool(
    con: Connection,
    icb_code: str,
    component_ids: Iterable[str],
    *,
    sex: Sex | str = Sex.ALL,
    age_from: int = 0,
    age_to: int | None = None,
    uploaded: Sequence[UploadedColumn] | None = None,
    method: Method = Method.RECOMMENDED,
) -> list[PracticeInput]:
    """The ICB's practices, sorted by code, ready for :func:`gpequity.allocation.allocate`.

    Each practice has its name, PCN (latest payments year), IMD score and national quintile
    (newest IMD data), weighted list, target population (``sex`` and ages ``age_from`` to
    ``age_to``, ``None`` = and over: single years when the eFIT population files are loaded,
    else five-year bands, else the payments file's registered list) and its value for every id
    of ``component_ids`` (catalogue ids, aliases, or ids of ``uploaded`` columns); a missing
    value is ``None``, never 0. ``method=efit-classic`` reads the ICB as the published eFIT tool
    does (see the module's notes). Raises :class:`UnknownIcbError` or
    :class:`~gpequity.allocation.AllocationInputError` listing every problem.
    """
    icb = find_icb(con, icb_code)
    problems: list[InputProblem] = []
    if sex not in {s.value for s in Sex}:
        problems.append(InputProblem("sex", "Choose the sex: 'all', 'female' or 'male'."))
        sex = Sex.ALL
    target = TargetPopulation(Sex(sex), age_from, age_to)
    problems += check_target(con, target)
    definitions = _definitions(con)
    ids = list(dict.fromkeys(component_ids))
    upload_ids = {column.id: column for column in uploaded or ()}
    resolved = _resolve_ids(definitions, [i for i in ids if i not in upload_ids])
    unknown = [i for i, d in resolved.items() if d is None]
    if unknown:
        problems.append(
            InputProblem(
                "components",
                f"Not in the indicator catalogue of ICB {icb.code}: {', '.join(unknown)}. "
                f"List the ids with 'gpequity indicators --icb {icb.code}'.",
            )
        )
    if problems:
        raise AllocationInputError(problems)
    return _load_pool(con, icb, target, resolved, upload_ids, method, definitions)


def _load_pool(
    con: Connection,
    icb: IcbEntry,
    target: TargetPopulation,
    resolved: Mapping[str, _Definition | None],
    uploaded: Mapping[str, UploadedColumn],
    method: Method,
    definitions: Sequence[_Definition],
) -> list[PracticeInput]:
    population = _population_source(con)
    classic = _classic_view(con, icb.code) if method == Method.EFIT_CLASSIC else None
    members, params = _members_sql(con, icb.code, method)
    imd_sql, imd_params = _imd_sql(con, definitions)
    weighted = next((d for d in definitions if d.entry.id == WEIGHTED_POPULATION_ID), None)
    if weighted is not None:
        weighted_sql, weighted_params = _renamed(weighted, "w_")
    else:
        weighted_sql = "SELECT NULL::VARCHAR AS practice_code, NULL AS value LIMIT 0"
        weighted_params = {}
    if population is not None:
        target_sql, target_params = _target_sql(population, target, classic)
    else:
        target_sql, target_params = (
            "SELECT NULL::VARCHAR AS practice_code, NULL AS patients LIMIT 0",
            {},
        )
    rows = _rows(
        con,
        f"""
        WITH members AS ({members})
        SELECT m.practice_code, n.name, p.pcn_code, p.pcn_name, i.score, i.quintile,
            w.value, coalesce(t.patients, 0)
        FROM members m
        LEFT JOIN ({_names_sql(con)}) n USING (practice_code)
        LEFT JOIN ({_pcn_sql(con)}) p USING (practice_code)
        LEFT JOIN ({imd_sql}) i USING (practice_code)
        LEFT JOIN (SELECT * FROM ({weighted_sql}) WHERE {ONLY_MEMBERS}) w USING (practice_code)
        LEFT JOIN ({target_sql}) t USING (practice_code)
        ORDER BY m.practice_code
        """,
        {**params, **imd_params, **weighted_params, **target_params},
    )
    values: dict[str, dict[str, float | None]] = {str(r[0]): {} for r in rows}
    wanted = [
        (i, d)
        for i, d in resolved.items()
        if d is not None and d.entry.kind == ComponentKind.INDICATOR
    ]
    for index, (component_id, definition) in enumerate(wanted):
        sql, bound = _renamed(definition, f"c{index}_")
        found = dict(
            _rows(
                con,
                f"SELECT v.practice_code, v.value FROM ({sql}) v "
                f"WHERE v.practice_code IN ({members})",
                {**bound, **params},
            )
        )
        for code, practice_values in values.items():
            value = found.get(code)
            practice_values[component_id] = None if value is None else float(value)
    for column_id, column in uploaded.items():
        for code, practice_values in values.items():
            practice_values[column_id] = column.values.get(code)
    return [
        PracticeInput(
            code=str(code),
            name=str(name) if name else str(code),
            target_population=float(patients),
            values=values[str(code)],
            pcn_code=None if pcn_code is None else str(pcn_code),
            pcn_name=None if pcn_name is None else str(pcn_name),
            imd_score=None if score is None else float(score),
            imd_quintile=None if quintile is None else int(quintile),
            weighted_population=None if weighted_value is None else float(weighted_value),
        )
        for code, name, pcn_code, pcn_name, score, quintile, weighted_value, patients in rows
    ]


# --- a whole scenario --------------------------------------------------------------------------


def _component_problem(
    index: int, choice: ComponentChoice, icb: IcbEntry, ids: Sequence[str]
) -> InputProblem:
    close = difflib.get_close_matches(choice.id, ids, n=SUGGESTIONS)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return InputProblem(
        f"components[{index}].id",
        f"'{choice.id}' is not an indicator of ICB {icb.code}.{hint} List the ids with "
        f"'gpequity indicators --icb {icb.code}' or GET /api/v1/indicators?icb={icb.code}.",
    )


def allocate_scenario(
    con: Connection, scenario: Scenario, uploaded: Sequence[UploadedColumn] = ()
) -> ScenarioOutcome:
    """Check a scenario against the warehouse, load its pool and allocate.

    Raises :class:`UnknownIcbError` for an unknown ICB, else
    :class:`~gpequity.allocation.AllocationInputError` listing every problem, field by field
    (``icb_code``, ``amount``, ``components[i].id``, ``components[i].weight``, ``sex``,
    ``age_from``, ``age_to``, ``excluded_practices``, ...).
    """
    icb = find_icb(con, scenario.icb_code)
    problems = check_target(con, scenario.target)
    definitions = _definitions(con)
    by_id: dict[str, IndicatorEntry] = {}
    for definition in definitions:
        by_id[definition.entry.id] = definition.entry
        for alias in definition.aliases:
            by_id.setdefault(alias, definition.entry)
    if uploaded:
        members = icb_practice_codes(con, icb.code, scenario.method)
        for entry in upload_entries(uploaded, members):
            by_id[entry.id] = entry
    entries: list[IndicatorEntry] = []
    for index, choice in enumerate(scenario.components):
        found = by_id.get(choice.id)
        if found is None:
            problems.append(_component_problem(index, choice, icb, sorted(by_id)))
            continue
        if choice.direction is not None:
            found = replace(found, direction=Direction(choice.direction))
        entries.append(found)
    if problems:
        raise AllocationInputError(problems)
    specs = tuple(
        ComponentSpec(
            id=entry.id,
            name=entry.name,
            weight=choice.weight,
            direction=entry.direction,
            unit=entry.unit,
            kind=entry.kind,
        )
        for entry, choice in zip(entries, scenario.components, strict=True)
    )
    excluded = frozenset(code.strip().upper() for code in scenario.excluded_practices)
    request = AllocationRequest(
        icb_code=icb.code,
        amount=scenario.amount,
        components=specs,
        method=scenario.method,
        missing_policy=scenario.missing_policy,
        excluded_practices=excluded,
        baseline=scenario.baseline,
    )
    upload_ids = {column.id: column for column in uploaded}
    resolved = _resolve_ids(definitions, [e.id for e in entries if e.id not in upload_ids])
    pool = _load_pool(
        con,
        icb,
        scenario.target,
        resolved,
        {e.id: upload_ids[e.id] for e in entries if e.id in upload_ids},
        Method(scenario.method),
        definitions,
    )
    result = allocate(request, pool)
    population = _population_source(con)
    return ScenarioOutcome(
        scenario=replace(scenario, icb_code=icb.code, excluded_practices=excluded),
        icb=icb,
        components=tuple(entries),
        population_source=population.describe() if population else "none loaded",
        result=result,
    )


# --- the outcome as data -----------------------------------------------------------------------


def _money(value: Decimal) -> float:
    """Pounds and pence as a JSON number (exactly the two-decimal figure, e.g. 1234.5)."""
    return float(value)


def _share(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def outcome_as_dict(outcome: ScenarioOutcome) -> dict[str, Any]:
    """The allocation as JSON data, as the CLI (``--format json``) and the API return it.

    ``{"icb", "amount", "method", "components", "practices", "by_quintile",
    "concentration_index", "excluded", "by_pcn", "inputs"}``; money in pounds (numbers with at
    most two decimals); shares as fractions of 1. See the README's "API" section.
    """
    result = outcome.result
    scenario = outcome.scenario
    entries = {e.id: e for e in outcome.components}
    components = []
    for pot in result.pots:
        entry = entries.get(pot.id)
        components.append(
            {
                "id": pot.id,
                "name": pot.name,
                "weight": float(pot.weight),
                "direction": pot.direction.value,
                "unit": pot.unit.value,
                "kind": pot.kind.value,
                "source": entry.source if entry else None,
                "period": entry.period if entry else None,
                "amount": _money(pot.amount),
                "need_rule": pot.need_rule,
            }
        )
    practices = [
        {
            "practice_code": p.code,
            "practice_name": p.name,
            "pcn_code": p.pcn_code,
            "pcn_name": p.pcn_name,
            "imd_score": p.imd_score,
            "imd_quintile": p.imd_quintile,
            "target_population": p.target_population,
            "weighted_population": p.weighted_population,
            "components": [
                {
                    "id": cell.component_id,
                    "value": cell.value,
                    "imputed": cell.imputed,
                    "excluded": cell.excluded,
                    "part": _money(cell.part),
                    "note": cell.note,
                }
                for cell in p.components
            ],
            "allocation": _money(p.allocation),
            "allocation_per_patient": _share(p.allocation_per_patient),
            "baseline": _money(p.baseline),
            "difference": _money(p.difference),
        }
        for p in result.practices
    ]
    by_quintile = [
        {
            "quintile": q.quintile,
            "label": q.label,
            "practices": q.practices,
            "target_population": q.target_population,
            "population_share": float(q.population_share),
            "allocation": _money(q.allocation),
            "money_share": float(q.money_share),
            "allocation_per_patient": _share(q.allocation_per_patient),
        }
        for q in result.quintiles
    ]
    by_pcn = [
        {
            "pcn_code": s.pcn_code,
            "pcn_name": s.pcn_name,
            "practices": s.practices,
            "target_population": s.target_population,
            "allocation": _money(s.allocation),
            "baseline": _money(s.baseline),
            "difference": _money(s.difference),
        }
        for s in result.pcns
    ]
    target = scenario.target
    return {
        "icb": outcome.icb.code,
        "amount": _money(result.request.amount),
        "method": Method(scenario.method).value,
        "components": components,
        "practices": practices,
        "by_quintile": by_quintile,
        "concentration_index": result.concentration_index,
        "excluded": [
            {"practice_code": e.code, "practice_name": e.name, "reason": e.reason}
            for e in result.excluded
        ],
        "by_pcn": by_pcn,
        "inputs": {
            "icb_name": outcome.icb.name,
            "method_label": result.method_label,
            "sex": Sex(target.sex).value,
            "age_from": target.age_from,
            "age_to": target.age_to,
            "target_population": target.describe(),
            "population_source": outcome.population_source,
            "missing_policy": MissingPolicy(scenario.missing_policy).value,
            "baseline": Baseline(scenario.baseline).value,
            "excluded_practices": sorted(scenario.excluded_practices),
            "description": list(result.description),
        },
    }
