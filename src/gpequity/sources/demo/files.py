"""What every synthetic file shares: its official header, its writer, seeded streams, numbers.

The official headers are stored in ``headers/`` as the first line of each real file, copied
with their quirks (a trailing space in ``Appraisal Costs `` of 2020/21 and 2021/22, the 2022/23
payments file's PCN columns under "Code" and "CCG NAME"), so a header is written once and
compared once with the real file (tests/sources/demo/test_files.py).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import TextIO

#: Where the package keeps the official headers and the ICB reference table.
PACKAGE_DATA = resources.files(__package__ or "gpequity.sources.demo")


def read_table(name: str) -> list[list[str]]:
    """The rows of a CSV file shipped with the demo (``icbs.csv``, ``headers/...``)."""
    text = PACKAGE_DATA.joinpath(name).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def official_header(name: str) -> tuple[str, ...]:
    """The header of the official file ``name``, exactly as the publication writes it."""
    (header,) = read_table(f"headers/{name}")
    return tuple(header)


def stream(seed: int, name: str) -> random.Random:
    """An independent random stream per part, so one file's draws do not shift another's."""
    return random.Random(f"gpequity-demo/{seed}/{name}")


def clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def sig10(value: float) -> str:
    """A value as Fingertips writes it: up to ten significant digits."""
    return f"{value:.10g}"


def decimals(value: float, places: int) -> str:
    """A value rounded to ``places`` decimals without trailing zeros, as the eFIT files do."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class Writer:
    """Opens each output file, reports progress and remembers what was written."""

    def __init__(self, out: Path, progress: Callable[[str], None] | None) -> None:
        self.out = out
        self.progress = progress
        self.written: list[Path] = []

    def open(self, relative: str, *, bom: bool = False) -> TextIO:
        path = self.out / relative
        if self.progress:
            self.progress(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(path)
        return path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="")

    def csv(
        self,
        relative: str,
        header: Sequence[str],
        rows: Iterable[Sequence[str]],
        *,
        bom: bool = False,
    ) -> None:
        with self.open(relative, bom=bom) as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(rows)
