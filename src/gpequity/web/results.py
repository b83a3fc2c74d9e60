"""Analysis results several routes ask for, kept per version of the warehouse file.

A route reads the request; what it asks of :mod:`gpequity.analysis` when more than one route
(a page and its JSON twin) needs the same answer is here, so the routes need not import each
other. Results that are the same for every reader until the warehouse is rebuilt are kept in
the app's :attr:`~gpequity.web.warehouse.SharedWarehouse.results`.
"""

from __future__ import annotations

from starlette.requests import Request

from gpequity.analysis.profiles import PracticeProfile, practice_profile
from gpequity.web.warehouse import Reading


def find_practice(request: Request, reading: Reading, code: str) -> PracticeProfile | None:
    """The practice's profile, or ``None`` (no such practice): computed once per version of the
    warehouse (:func:`~gpequity.warehouse.cache.per_version`), as what it is compared with."""
    return practice_profile(reading.con, code)
