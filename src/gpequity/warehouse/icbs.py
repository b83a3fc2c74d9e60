"""Looking up ICBs through time: any code of either geography to the ICB(s) of today.

Pure functions over the warehouse's organisation model (``gpequity.warehouse.organisations``),
here below both the analysis and the allocation service so that both look codes up one way:
a current code is itself; a code of an ICB abolished on 1 April 2026 answers with its
successor(s), every one of them when it was split; an unknown code is a clear error. Names are
the official ones, in full ("NHS Essex Integrated Care Board") or short ("Essex ICB").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import duckdb

from gpequity.errors import GpequityError
from gpequity.tables import has_table
from gpequity.warehouse.cache import per_version
from gpequity.warehouse.organisations import INDICATOR_ONLY


class UnknownIcb(GpequityError):
    """A code that is no ICB of any geography the warehouse holds."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(
            f"no ICB has the code {code!r}, in the ICBs of July 2022 or of April 2026 "
            "(gpequity data status lists the geographies loaded)"
        )


@dataclass(frozen=True)
class Icb:
    """An ICB of one geography, as its official list names it."""

    code: str
    ons_code: str | None
    #: The official name, e.g. "NHS Essex Integrated Care Board"; None when no official list
    #: loaded names it (a new ICB derived from the eFIT files alone).
    name: str | None
    short_name: str | None
    valid_from: date
    valid_to: date | None
    source: str

    @property
    def label(self) -> str:
        """The short name, or the code when there is none."""
        return self.short_name or self.code

    @property
    def current(self) -> bool:
        return self.valid_to is None


@dataclass(frozen=True)
class IcbResolution:
    """What an ICB code stands for today: itself, or the ICB(s) it became part of."""

    code: str
    #: The organisation the code named (its latest geography's row).
    icb: Icb
    #: The ICB(s) in force now: the code's own when it is current.
    current: tuple[Icb, ...]
    #: When a predecessor became part of its successor(s); None for a current code.
    changed_on: date | None

    @property
    def is_current(self) -> bool:
        return self.changed_on is None

    @property
    def message(self) -> str:
        """One sentence saying what became of a predecessor (empty for a current code).

        "QH8 (Mid and South Essex ICB) became part of NHS Essex ICB (D7T5G) on 1 April 2026";
        a split one names every successor.
        """
        if self.changed_on is None:
            return ""
        when = f"{self.changed_on:%-d %B %Y}"
        named = [f"NHS {s.short_name} ({s.code})" if s.short_name else s.code for s in self.current]
        before = f"{self.code} ({self.icb.label})" if self.icb.short_name else self.code
        if not named:
            return f"{before} was an ICB until {when}; no ICB of today holds its practices"
        if len(named) == 1:
            return f"{before} became part of {named[0]} on {when}"
        listed = ", ".join(named[:-1]) + f" and {named[-1]}"
        return f"{before} was split on {when} between {listed}"


_COLUMNS = "code, ons_code, name, short_name, valid_from, valid_to, source"


def _icb(row: tuple[object, ...]) -> Icb:
    code, ons, name, short, start, end, source = row
    return Icb(
        code=str(code),
        ons_code=None if ons is None else str(ons),
        name=None if name is None else str(name),
        short_name=None if short is None else str(short),
        valid_from=start,  # type: ignore[arg-type]
        valid_to=end,  # type: ignore[arg-type]
        source=str(source),
    )


def short_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each ICB code's short name ("Essex ICB"), from its newest geography's official name."""
    if not has_table(con, "organisations"):
        return {}
    rows = con.execute(
        "SELECT code, arg_max(short_name, valid_from) FROM organisations "
        "WHERE kind = 'icb' AND short_name IS NOT NULL GROUP BY code"
    ).fetchall()
    return {str(code): str(name) for code, name in rows}


@per_version
def superseded(con: duckdb.DuckDBPyConnection, code: str) -> IcbResolution | None:
    """What became of ``code`` when it is an ICB abolished on 1 April 2026; else ``None`` (a
    current code, an unknown one, or a warehouse without the ICBs of April 2026, where the
    ICBs of 2022 are the newest the files know). Kept per
    build: every ICB page and datapack asks it first."""
    if not has_current_membership(con):
        return None
    try:
        resolution = resolve_icb(con, code)
    except UnknownIcb:
        return None
    return None if resolution.is_current else resolution


def efit_warnings_of(con: duckdb.DuckDBPyConnection, code: str) -> tuple[str, ...]:
    """The load warnings about the eFIT files that name this ICB: its files' defects (QF7's
    South West London strays, QOQ's practices with no indicator row) and those of a file whose
    practices it now holds (QXU's, in S9B9J)."""
    if not has_table(con, "load_warnings"):
        return ()
    wanted = code.strip().upper()
    if not wanted.isalnum():
        return ()
    rows = con.execute(
        "SELECT DISTINCT message FROM load_warnings WHERE message LIKE 'eFIT%' "
        "AND regexp_matches(message, ?) ORDER BY message",
        [rf"\b{wanted}\b"],
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def list_current_icbs(con: duckdb.DuckDBPyConnection) -> list[Icb]:
    """The ICBs in force now, by code."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM organisations WHERE kind = 'icb' AND valid_to IS NULL "
        "ORDER BY code"
    ).fetchall()
    return [_icb(r) for r in rows]


def resolve_icb(con: duckdb.DuckDBPyConnection, code: str) -> IcbResolution:
    """Return the ICB(s) of today that ``code`` (of either geography) stands for."""
    wanted = code.strip().upper()
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM organisations WHERE kind = 'icb' AND code = ? "
        "ORDER BY valid_from DESC",
        [wanted],
    ).fetchall()
    if not rows:
        raise UnknownIcb(code.strip())
    icb = _icb(rows[0])
    if icb.current:
        return IcbResolution(wanted, icb, (icb,), None)
    successors = con.execute(
        f"""
        SELECT {", ".join(f"o.{c.strip()}" for c in _COLUMNS.split(","))}, min(s.changed_on)
        FROM organisation_successors s
        JOIN organisations o ON o.code = s.successor_code AND o.kind = 'icb'
            AND o.valid_to IS NULL
        WHERE s.code = ? GROUP BY ALL ORDER BY o.code
        """,
        [wanted],
    ).fetchall()
    if not successors:
        # An ICB of 2022 whose practices are in no file of today: it is known, and so is the
        # day it ended, but not what it became.
        return IcbResolution(wanted, icb, (), icb.valid_to)
    changed = min(r[-1] for r in successors)
    return IcbResolution(wanted, icb, tuple(_icb(r[:-1]) for r in successors), changed)


#: SQL of ``practice_code, icb_code``: the practices of the ICBs in force, each in the ICB the
#: organisation model puts it in: the practices of the eFIT population files, Surrey
#: Heartlands' (QXU) in Surrey and Sussex (S9B9J), and the South West London practices that
#: South Yorkshire's (QF7) indicator file lists in South West London, where their population
#: rows are. A practice an indicator file alone lists (no population row: closed or merged
#: since) is a member of the model but not counted here: it has no patients to share among.
CURRENT_MEMBERS_SQL = f"""
    SELECT DISTINCT m.practice_code, m.icb_code FROM practice_memberships m
    JOIN organisations o ON o.kind = 'icb' AND o.code = m.icb_code
        AND o.valid_from = m.valid_from AND o.valid_to IS NULL
    WHERE m.basis <> '{INDICATOR_ONLY}'
"""


def list_practices_of(con: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    """The practices of a current ICB now (:data:`CURRENT_MEMBERS_SQL`), by code; a
    predecessor's code is an error."""
    resolution = resolve_icb(con, code)
    if not resolution.is_current:
        raise GpequityError(resolution.message or f"{resolution.code} is not a current ICB")
    rows = con.execute(
        f"SELECT practice_code FROM ({CURRENT_MEMBERS_SQL}) WHERE icb_code = ? ORDER BY 1",
        [resolution.code],
    ).fetchall()
    return [str(r[0]) for r in rows]


@per_version
def has_current_membership(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse holds the practices of the ICBs in force (the April 2026 files);
    asked once per build of the warehouse (every analysis by ICB asks)."""
    if not (has_table(con, "organisations") and has_table(con, "practice_memberships")):
        return False
    row = con.execute(f"SELECT EXISTS ({CURRENT_MEMBERS_SQL})").fetchone()
    return bool(row and row[0])


# --- past payments years by either map --------------------------------------------------------


class IcbMap(StrEnum):
    """Which ICBs a past payments year's practices are grouped by."""

    #: The ICBs in force today (the default): a commissioner sees their organisation's history.
    current = "current"
    #: The ICBs of the year itself, as its payments file maps them.
    historic = "historic"


def uses_current_map(con: duckdb.DuckDBPyConnection, icb_map: IcbMap) -> bool:
    """Whether ``icb_map`` groups by today's ICBs here: asked for, and the April 2026 ICBs are
    loaded (without them every year keeps its own ICBs)."""
    return icb_map is IcbMap.current and _has_today_map(con) and has_current_membership(con)


@per_version
def _has_today_map(con: duckdb.DuckDBPyConnection) -> bool:
    return has_table(con, "payment_icbs_today")


def describe_icb_map(con: duckdb.DuckDBPyConnection, icb_map: IcbMap) -> str:
    """One sentence saying which ICBs the practices of a payments year are grouped by."""
    if uses_current_map(con, icb_map):
        return (
            "Practices are grouped by the ICBs in force since 1 April 2026 (a practice closed "
            "since is placed by its sub-ICB location), not by the ICBs of the year."
        )
    if icb_map is IcbMap.current:
        return (
            "Practices are grouped by the ICBs of each year's payments file: the ICBs of "
            "April 2026 are not loaded."
        )
    return "Practices are grouped by the ICBs of each year's payments file (historic map)."


#: The payments with each practice-year's ICB code and name replaced by today's ICB's.
_PAYMENTS_TODAY = """(
    SELECT p.* REPLACE (coalesce(t.icb_code, p.icb_code) AS icb_code,
        CASE WHEN t.icb_code IS NULL THEN p.icb_name ELSE coalesce(o.name, t.icb_code) END
        AS icb_name)
    FROM payments p
    -- Every practice-year is placed (a 2022 ICB always has a successor); one that is not
    -- keeps its year's ICB rather than leaving the totals.
    LEFT JOIN payment_icbs_today t USING (year, practice_code)
    LEFT JOIN organisations o ON o.kind = 'icb' AND o.code = t.icb_code AND o.valid_to IS NULL
)"""


def payments_sql(con: duckdb.DuckDBPyConnection, icb_map: IcbMap) -> str:
    """The relation to read payments from, each practice-year in an ICB of ``icb_map``.

    ``payments`` itself for the year's own ICBs; for today's, the same columns with ``icb_code``
    and ``icb_name`` those of the ICB in force today (a subquery to use as ``FROM ... p``).
    """
    return _PAYMENTS_TODAY if uses_current_map(con, icb_map) else "payments"
