"""Errors the user sees: each names what is wrong and where, never a stack trace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def os_error_message(error: OSError) -> str:
    """An operating-system error in words: the file and what went wrong with it (not Python's
    ``[Errno 2]`` form)."""
    reason = error.strerror or str(error)
    # a rename names its target second: the file the user asked for, not a temporary one
    named = error.filename2 if error.filename2 is not None else error.filename
    if named is None:
        return f"{reason}."
    return f"{named}: {reason}."


class GpequityError(Exception):
    """Base of every error whose message is meant for the user as it is."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with one field of what the user gave, in plain English.

    ``field`` names the field where the problem is said: a field of the request for the
    allocation service and the API (``components[0].weight``), the id of a form's control on
    a page (the error summary links to it).
    """

    field: str
    message: str


class InputFileError(GpequityError):
    """A file that cannot be read as its official format says (fatal for the load)."""

    def __init__(
        self, path: Path | str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.path = str(path)
        self.row = row
        self.column = column
        self.reason = message
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


def untouched(previous: bool) -> str:
    """What a load that stopped did to the warehouse, depending on whether there was one."""
    return "the previous warehouse is untouched" if previous else "no warehouse was written"


class LoadFailed(GpequityError):
    """A load that did not replace the warehouse; ``problems`` lists every reason."""

    def __init__(self, problems: list[str], *, previous: bool = True) -> None:
        self.problems = problems
        self.previous = previous
        shown = problems[:20]
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"The load failed; {untouched(previous)}.\n" + "\n".join(shown) + more)


class WarehouseMissing(GpequityError):
    """No warehouse file where one was expected."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"No warehouse at {path}. Build one with 'gpequity data load --source DIR' "
            "or 'gpequity data demo --load' (see the README)."
        )


class WarehouseUnreadable(GpequityError):
    """A warehouse file the database engine cannot read: cut short, corrupted, not a warehouse,
    or held by a program writing it. The message names the file and what to do, never the
    engine's own text (which names offsets and block sizes)."""

    def __init__(self, path: Path | None, *, busy: bool = False) -> None:
        self.path = path
        named = "The warehouse" if path is None else f"The warehouse {path}"
        db = "" if path is None else f" --db {path}"
        if busy:
            super().__init__(
                f"{named} is held by another program that is writing it: try again once it "
                "has finished."
            )
            return
        super().__init__(
            f"{named} cannot be read: the file is damaged or is not a gpequity warehouse. "
            f"Rebuild it with 'gpequity data load --source DIR{db}' (or 'gpequity data demo "
            f"--load{db}')."
        )
