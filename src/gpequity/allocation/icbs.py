"""The ICBs an allocation can be for, and which practices belong to each.

An ICB's practices are those the warehouse's **organisation model** puts in the ICBs in force
(:mod:`gpequity.warehouse.icbs`): with the April 2026 eFIT files, the 36 ICBs of April 2026 and
the practices of their population files, Surrey Heartlands' (QXU) practices in Surrey and Sussex
(S9B9J), and the South West London practices that South Yorkshire's (QF7) indicator file lists
in South West London, where their population rows are. Without the April 2026 files, the
practices of the newest period of ``practice_icb`` (the latest payments year): a practice last
seen in an older period (a closed practice) is not in any ICB's list. A code of an ICB abolished
on 1 April 2026 is answered with its successor(s) (:class:`SupersededIcbError`). The **eFIT
classic** method instead sees the ICB exactly as the published tool does: the practices of the
ICB's indicator file, with the patients of the ICB's own population files (a practice in the
indicator file but not in the population files has no target population, as in the tool).
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any

from gpequity.allocation.models import AllocationInputError, InputProblem, Method
from gpequity.allocation.store import (
    Connection,
    fetch_rows,
    fetch_value,
    has_rows,
    has_table,
    remembered,
)
from gpequity.warehouse.icbs import (
    CURRENT_MEMBERS_SQL,
    IcbResolution,
    has_current_membership,
    superseded,
)

#: Close matches suggested for a mistyped ICB code or indicator id.
SUGGESTIONS = 3


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
        return asdict(self)


class UnknownIcbError(AllocationInputError):
    """An ICB code that is not in the warehouse's newest membership; says how to find codes."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__([InputProblem("icb_code", message)])


class SupersededIcbError(UnknownIcbError):
    """The code of an ICB abolished on 1 April 2026: names the ICB(s) of today it is part of.

    ``successors`` are their codes (one for a merger, several for a split ICB), so a page can
    redirect to the one successor or link each.
    """

    def __init__(self, resolution: IcbResolution) -> None:
        self.resolution = resolution
        self.successors = tuple(icb.code for icb in resolution.current)
        if len(self.successors) == 1:
            advice = f"use the code {self.successors[0]}"
        elif self.successors:
            advice = "choose one of " + " or ".join(self.successors)
        else:
            advice = "no ICB of today holds its practices"
        super().__init__(resolution.code, f"{resolution.message}: {advice}.")


def current_membership(con: Connection) -> bool:
    """Whether allocations use the organisation model's ICBs in force (read once per file)."""
    return remembered(con, "current_membership", has_current_membership)


def newest_membership_period(con: Connection) -> str | None:
    """The newest period of ``practice_icb`` (read once per version of the warehouse)."""
    return remembered(con, "newest_period", _read_newest_period)


def _read_newest_period(con: Connection) -> str | None:
    if not has_table(con, "practice_icb"):
        return None
    period = fetch_value(con, "SELECT max(period) FROM practice_icb")
    return None if period is None else str(period)


def list_icbs(con: Connection) -> list[IcbEntry]:
    """The ICBs an allocation can be for, with their number of practices, by name.

    With the April 2026 files loaded these are the 36 ICBs in force (merged ones included),
    named officially; without them, those of the latest payments year.
    """
    return remembered(con, "allocation_icbs", _read_icbs)


def _read_icbs(con: Connection) -> list[IcbEntry]:
    if current_membership(con):
        rows = fetch_rows(
            con,
            f"""
            SELECT o.code, coalesce(o.name, any_value(i.icb_name), o.code),
                count(DISTINCT m.practice_code), any_value(i.source),
                any_value(i.first_period)
            FROM organisations o JOIN ({CURRENT_MEMBERS_SQL}) m ON m.icb_code = o.code
            LEFT JOIN icbs i ON i.icb_code = o.code
            WHERE o.kind = 'icb' AND o.valid_to IS NULL
            GROUP BY o.code, o.name
            """,
        )
    else:
        period = newest_membership_period(con)
        if period is None:
            return []
        rows = fetch_rows(
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
    resolution = superseded(con, code)
    if resolution is not None:
        raise SupersededIcbError(resolution)
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


# --- membership --------------------------------------------------------------------------------


def classic_view(con: Connection, icb_code: str) -> tuple[str, str | None] | None:
    """The periods of the ICB's eFIT indicator file and population files, if it has the former.

    eFIT classic reads the ICB as the published tool does: the practices of its indicator file,
    the patients of its own population files.
    """
    if not has_rows(con, "efit_practices", "kind = 'indicators' AND icb_code = $icb", icb=icb_code):
        return None
    indicators = fetch_value(
        con,
        "SELECT max(period) FROM efit_practices WHERE kind = 'indicators' AND icb_code = $icb",
        {"icb": icb_code},
    )
    population = fetch_value(
        con,
        "SELECT max(period) FROM efit_practices WHERE kind = 'population' AND icb_code = $icb",
        {"icb": icb_code},
    )
    return str(indicators), None if population is None else str(population)


def members_sql(con: Connection, icb_code: str, method: Method) -> tuple[str, dict[str, object]]:
    """SQL of the pool's practice codes (column ``practice_code``) and its parameters."""
    view = classic_view(con, icb_code) if method == Method.EFIT_CLASSIC else None
    if view is not None:
        return (
            "SELECT DISTINCT practice_code FROM efit_practices WHERE kind = 'indicators' "
            "AND icb_code = $icb AND period = $members_period",
            {"icb": icb_code, "members_period": view[0]},
        )
    if current_membership(con):
        return (
            f"SELECT practice_code FROM ({CURRENT_MEMBERS_SQL}) WHERE icb_code = $icb",
            {"icb": icb_code},
        )
    period = newest_membership_period(con)
    return (
        "SELECT DISTINCT practice_code FROM practice_icb WHERE icb_code = $icb "
        "AND period = $members_period",
        {"icb": icb_code, "members_period": period},
    )


def icb_practice_codes(
    con: Connection, icb_code: str, method: Method = Method.RECOMMENDED
) -> set[str]:
    """The codes of the practices an allocation for this ICB shares money across."""
    sql, params = members_sql(con, icb_code, method)
    return {str(r[0]) for r in fetch_rows(con, sql, params)}


def known_practice_codes(con: Connection) -> set[str]:
    """Every practice code the warehouse knows (any period, any source)."""
    codes: set[str] = set()
    for table in ("practice_icb", "practice_indicators", "registered_population"):
        if has_table(con, table):
            codes |= {
                str(r[0]) for r in fetch_rows(con, f"SELECT DISTINCT practice_code FROM {table}")
            }
    return codes
