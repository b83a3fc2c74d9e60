"""Looking up ICBs through time: any code of either geography to the ICB(s) of today.

Pure functions over the warehouse's organisation model (``gpequity.warehouse.organisations``):
a current code is itself; a code of an ICB abolished on 1 April 2026 answers with its
successor(s), every one of them when it was split; an unknown code is a clear error. Names are
the official ones, in full ("NHS Essex Integrated Care Board") or short ("Essex ICB").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from gpequity.errors import GpequityError


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


def list_practices_of(con: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    """The practices of a current ICB now, by code; a predecessor's code is an error."""
    resolution = resolve_icb(con, code)
    if not resolution.is_current:
        raise GpequityError(resolution.message or f"{resolution.code} is not a current ICB")
    rows = con.execute(
        "SELECT DISTINCT practice_code FROM practice_memberships m JOIN organisations o "
        "ON o.kind = 'icb' AND o.code = m.icb_code AND o.valid_from = m.valid_from "
        "WHERE o.valid_to IS NULL AND m.icb_code = ? ORDER BY 1",
        [resolution.code],
    ).fetchall()
    return [str(r[0]) for r in rows]
