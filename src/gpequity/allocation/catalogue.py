"""The indicator catalogue of an ICB: every indicator that can be a component of an allocation.

Each entry has a stable short id, its unit, default direction, period, source and coverage in the
ICB (:func:`build_catalogue`); :func:`catalogue_definitions` says, for each, how its values are
read from the warehouse (SQL giving ``practice_code, value`` nationally), and
:func:`population_source` where registered patients come from. Users' uploaded columns become
entries through :func:`upload_entries`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gpequity.allocation.icbs import find_icb, members_sql
from gpequity.allocation.models import ComponentKind, Direction, Method, Unit
from gpequity.allocation.store import (
    Connection,
    fetch_rows,
    fetch_value,
    has_rows,
    remembered,
)
from gpequity.allocation.upload import UploadedColumn
from gpequity.tables import latest_payment_year

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
#: Coverage (a share of the ICB's practices) is given to this many decimal places.
COVERAGE_PLACES = 4

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


# --- the definitions behind the catalogue ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Definition:
    """A catalogue entry and how to read it: SQL giving ``practice_code, value`` nationally."""

    entry: IndicatorEntry
    sql: str = ""
    params: Mapping[str, object] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PopulationSource:
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


def population_source(con: Connection) -> PopulationSource | None:
    """Where the target population is read from (once per version of the warehouse)."""
    return remembered(con, "population", _read_population_source)


def _read_population_source(con: Connection) -> PopulationSource | None:
    """The registered-population data the target population is read from.

    Single years of age (the eFIT population files) when loaded, else five-year bands (NHS
    Digital), else the registered list of the latest payments year.
    """
    if has_rows(con, "registered_population"):
        rows = fetch_rows(
            con,
            """
            SELECT source, max(period),
                bool_and(age_to IS NULL OR age_to = age_from) AS single
            FROM registered_population GROUP BY source
            ORDER BY single DESC, source
            """,
        )
        source, period, single = rows[0]
        return PopulationSource("single" if single else "bands", str(source), str(period))
    if has_rows(con, "payments", "registered_patients IS NOT NULL"):
        year = fetch_value(
            con, "SELECT max(year) FROM payments WHERE registered_patients IS NOT NULL"
        )
        return PopulationSource("payments", PAYMENTS, str(year))
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


def _efit_definitions(con: Connection) -> tuple[list[Definition], dict[str, Definition]]:
    """eFIT indicators (latest period of each), and the special columns (IMD, weighted list)."""
    rows = fetch_rows(
        con,
        """
        SELECT indicator_id, arg_max(indicator_name, period), max(period)
        FROM practice_indicators WHERE source = $source GROUP BY indicator_id
        ORDER BY indicator_id
        """,
        {"source": EFIT},
    )
    known = {k.indicator_id: k for k in KNOWN_INDICATORS if k.source == EFIT}
    plain: list[Definition] = []
    special: dict[str, Definition] = {}
    for indicator_id, name, period in rows:
        name = str(name or indicator_id)
        sql = _indicator_sql("source = $source AND indicator_id = $indicator AND period = $period")
        params = {"source": EFIT, "indicator": indicator_id, "period": period}
        imd = EFIT_IMD_NAME.match(name)
        if imd:
            entry = IndicatorEntry(IMD_ID, name, Unit.SCORE, Direction.HIGHER, str(period), EFIT)
            special[IMD_ID] = Definition(entry, sql, params, (str(indicator_id),))
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
            special[WEIGHTED_POPULATION_ID] = Definition(entry, sql, params, (str(indicator_id),))
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
        plain.append(Definition(entry, sql, params, aliases))
    return plain, special


def _other_indicator_definitions(con: Connection) -> list[Definition]:
    """Fingertips, QOF and any other practice indicators: the latest period of each, persons.

    Of the latest period's rows, those for persons (Fingertips ``Sex`` = ``Persons``; the
    2023/24 smoking rows leave it blank) and the most common age group are used.
    """
    rows = fetch_rows(
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
        definitions.append(Definition(entry, sql, params, aliases))
    return definitions


def _imd_release_definition(con: Connection) -> Definition | None:
    """The IMD score of the newest release in ``practice_imd`` (OHID Fingertips 93553)."""
    if not has_rows(con, "practice_imd", "score IS NOT NULL"):
        return None
    release = int(
        fetch_value(con, "SELECT max(imd_release) FROM practice_imd WHERE score IS NOT NULL")
    )
    entry = IndicatorEntry(
        IMD_ID,
        f"Deprivation score (IMD {release})",
        Unit.SCORE,
        Direction.HIGHER,
        str(release),
        IMD_SOURCE,
    )
    sql = "SELECT practice_code, score AS value FROM practice_imd WHERE imd_release = $release"
    return Definition(entry, sql, {"release": release})


def _payments_definitions(con: Connection, *, weighted_from_efit: bool) -> list[Definition]:
    year = latest_payment_year(con)
    if year is None:
        return []
    out = [
        Definition(
            IndicatorEntry(
                PAYMENTS_PER_WEIGHTED_ID,
                # The direction is said by whoever shows the entry ("(lower = more need)"):
                # saying it in the name too made the form read it twice.
                f"NHS payments per weighted patient ({year}): money to the practices that get "
                "least today",
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
            Definition(
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


def _population_definitions(population: PopulationSource | None) -> list[Definition]:
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
        return [Definition(entry, "SELECT NULL::VARCHAR AS practice_code, NULL AS value LIMIT 0")]
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
        Definition(
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
            Definition(
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


def catalogue_definitions(con: Connection) -> list[Definition]:
    """Every catalogue entry with how to read it (once per version of the warehouse)."""
    return list(remembered(con, "definitions", _read_definitions))


def _read_definitions(con: Connection) -> list[Definition]:
    """Every catalogue entry (without coverage), in catalogue order: IMD, population, weighted
    list, payments, age shares, then the indicators by source and name."""
    efit_plain: list[Definition] = []
    efit_special: dict[str, Definition] = {}
    others: list[Definition] = []
    if has_rows(con, "practice_indicators"):
        efit_plain, efit_special = _efit_definitions(con)
        others = _other_indicator_definitions(con)
    imd = efit_special.get(IMD_ID) or _imd_release_definition(con)
    if imd is None:
        imd = Definition(
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


def with_prefixed_params(definition: Definition, prefix: str) -> tuple[str, dict[str, object]]:
    sql = definition.sql
    params: dict[str, object] = {}
    for name, value in definition.params.items():
        sql = re.sub(rf"\${name}\b", f"${prefix}{name}", sql)
        params[f"{prefix}{name}"] = value
    return sql, params


def resolve_ids(
    definitions: Sequence[Definition], ids: Iterable[str]
) -> dict[str, Definition | None]:
    by_id: dict[str, Definition] = {}
    for definition in definitions:
        by_id[definition.entry.id] = definition
        for alias in definition.aliases:
            by_id.setdefault(alias, definition)
    return {i: by_id.get(i) for i in ids}


# --- the catalogue -----------------------------------------------------------------------------


def _coverages(
    con: Connection, definitions: Sequence[Definition], members: str, params: Mapping[str, object]
) -> dict[str, float]:
    """Share of the members with a value, per definition, in one query.

    ``population`` counts a practice with at least one registered patient.
    """
    total = int(fetch_value(con, f"SELECT count(*) FROM ({members})", params) or 0)
    if total == 0:
        return {d.entry.id: 0.0 for d in definitions}
    parts = []
    bound: dict[str, object] = dict(params)
    for index, definition in enumerate(definitions):
        sql, renamed = with_prefixed_params(definition, f"d{index}_")
        bound.update(renamed)
        has_value = "v.value > 0" if definition.entry.id == POPULATION_ID else "v.value IS NOT NULL"
        parts.append(
            f"SELECT {index} AS i, count(DISTINCT v.practice_code) AS n FROM ({sql}) v "
            f"WHERE {has_value} AND v.practice_code IN ({members})"
        )
    found = dict(fetch_rows(con, " UNION ALL ".join(parts), bound))
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
    definitions = catalogue_definitions(con)
    members, params = members_sql(con, icb.code, Method.RECOMMENDED)
    coverage = _coverages(con, definitions, members, params)
    entries = [replace(d.entry, coverage=coverage[d.entry.id]) for d in definitions]
    return offered_entries(entries)


#: Entries offered even without a value in the ICB (their absence is explained where used).
ALWAYS_OFFERED = frozenset({IMD_ID, POPULATION_ID})
#: Words a duplicate's name may add: Fingertips' "(all ages)" on a QOF prevalence the eFIT
#: files also give.
_NAME_NOISE = re.compile(r"\(all ages\)")
_NOT_WORDS = re.compile(r"[^a-z0-9]+")


def _name_key(name: str) -> str:
    return _NOT_WORDS.sub(" ", _NAME_NOISE.sub(" ", name.casefold())).strip()


def offered_entries(entries: Sequence[IndicatorEntry]) -> list[IndicatorEntry]:
    """The entries a user is offered: those with a value for some practice of the ICB (besides
    :data:`ALWAYS_OFFERED`), each indicator once.

    Two sources can give the same indicator (the eFIT files' "Dementia: QOF prevalence" and
    Fingertips' "Dementia: QOF prevalence (all ages)"): the one with the most practices
    covered is offered, the first in catalogue order on a tie. The others' ids still work in a
    request; they are only not listed.
    """
    chosen: dict[str, IndicatorEntry] = {}
    for entry in entries:
        if entry.id not in ALWAYS_OFFERED and entry.coverage is not None and entry.coverage <= 0:
            continue
        key = _name_key(entry.name)
        kept = chosen.get(key)
        if kept is None or (entry.coverage or 0) > (kept.coverage or 0):
            chosen[key] = entry
    wanted = {id(entry) for entry in chosen.values()}
    return [entry for entry in entries if id(entry) in wanted]


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
