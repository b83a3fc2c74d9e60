"""An ICB's pool: its practices with their target population and component values.

:func:`load_pool` gives the practices as :class:`~gpequity.allocation.PracticeInput` (name, PCN,
IMD score and national quintile, weighted list, target population, component values), ready
for the engine; :func:`check_target` says what is wrong with a target population given the
registered-population data loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from gpequity.allocation.catalogue import (
    EFIT,
    IMD_ID,
    OLDEST_AGE,
    WEIGHTED_POPULATION_ID,
    Definition,
    PopulationSource,
    catalogue_definitions,
    population_source,
    resolve_ids,
    with_prefixed_params,
)
from gpequity.allocation.icbs import IcbEntry, classic_view, find_icb, members_sql
from gpequity.allocation.models import (
    AllocationInputError,
    ComponentKind,
    InputProblem,
    Method,
    PracticeInput,
)
from gpequity.allocation.store import Connection, fetch_rows, has_rows, has_table, remembered
from gpequity.allocation.upload import UploadedColumn

#: NHS Digital's five-year bands: 0-4, 5-9, ..., 90-94, 95+.
BAND_WIDTH = 5
#: IMD quintiles: Q1 = least deprived fifth of practices nationally, Q5 = most deprived.
QUINTILES = 5
#: Restricts a query of the pool to its members (a CTE ``members``): reading one ICB's rows
#: rather than all of England's is what keeps an allocation fast.
ONLY_MEMBERS = "practice_code IN (SELECT practice_code FROM members)"


class Sex(StrEnum):
    """Which registered patients count in the target population."""

    ALL = "all"
    FEMALE = "female"
    MALE = "male"


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
    population = population_source(con)
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
    population: PopulationSource,
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


def _imd_sql(con: Connection, definitions: Sequence[Definition]) -> tuple[str, dict[str, object]]:
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
    if has_rows(con, "practice_imd_year"):
        return (
            "SELECT practice_code, score, quintile FROM practice_imd_year "
            "WHERE year = (SELECT max(year) FROM practice_imd_year)",
            {},
        )
    return "SELECT NULL::VARCHAR AS practice_code, NULL AS score, NULL AS quintile LIMIT 0", {}


def _names_sql(con: Connection) -> str:
    """SQL of ``practice_code, name``: eFIT indicator files, else payments, else IMD names."""
    parts = []
    if has_table(con, "efit_practices"):
        parts.append(
            "SELECT practice_code, arg_max(practice_name, period) AS name, 1 AS rank "
            f"FROM efit_practices WHERE practice_name IS NOT NULL AND {ONLY_MEMBERS} "
            "GROUP BY practice_code"
        )
    if has_table(con, "payments"):
        parts.append(
            "SELECT practice_code, arg_max(practice_name, year) AS name, 2 AS rank "
            f"FROM payments WHERE practice_name IS NOT NULL AND {ONLY_MEMBERS} "
            "GROUP BY practice_code"
        )
    if has_table(con, "practice_imd"):
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
    if not has_table(con, "payments"):
        return (
            "SELECT NULL::VARCHAR AS practice_code, NULL::VARCHAR AS pcn_code, "
            "NULL::VARCHAR AS pcn_name LIMIT 0"
        )
    return (
        "SELECT practice_code, arg_max(pcn_code, year) AS pcn_code, "
        "arg_max(pcn_name, year) AS pcn_name FROM payments "
        f"WHERE pcn_code IS NOT NULL AND {ONLY_MEMBERS} GROUP BY practice_code"
    )


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
    definitions = catalogue_definitions(con)
    ids = list(dict.fromkeys(component_ids))
    upload_ids = {column.id: column for column in uploaded or ()}
    resolved = resolve_ids(definitions, [i for i in ids if i not in upload_ids])
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
    return read_pool(con, icb, target, resolved, upload_ids, method, definitions)


def read_pool(
    con: Connection,
    icb: IcbEntry,
    target: TargetPopulation,
    resolved: Mapping[str, Definition | None],
    uploaded: Mapping[str, UploadedColumn],
    method: Method,
    definitions: Sequence[Definition],
    *,
    cache: bool = True,
) -> list[PracticeInput]:
    """The pool of :func:`load_pool` (its arguments checked). Without uploaded columns it is
    read once per version of the warehouse file and choice of ICB, target, components and
    method (the definitions are the catalogue's, themselves read once per version): most
    requests ask again for a pool already read."""
    if cache and not uploaded:
        key = (
            "pool",
            icb.code,
            target,
            method,
            tuple((i, None if d is None else d.entry.id) for i, d in resolved.items()),
        )
        pool = remembered(
            con,
            key,
            lambda c: tuple(
                read_pool(c, icb, target, resolved, uploaded, method, definitions, cache=False)
            ),
        )
        return list(pool)
    population = population_source(con)
    classic = classic_view(con, icb.code) if method == Method.EFIT_CLASSIC else None
    members, params = members_sql(con, icb.code, method)
    imd_sql, imd_params = _imd_sql(con, definitions)
    weighted = next((d for d in definitions if d.entry.id == WEIGHTED_POPULATION_ID), None)
    if weighted is not None:
        weighted_sql, weighted_params = with_prefixed_params(weighted, "w_")
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
    rows = fetch_rows(
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
        sql, bound = with_prefixed_params(definition, f"c{index}_")
        found = dict(
            fetch_rows(
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
