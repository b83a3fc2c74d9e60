"""Analysis results several routes ask for, kept per version of the warehouse file.

A route reads the request; what it asks of :mod:`gpequity.analysis` when more than one route
(a page and its JSON twin) needs the same answer is here, so the routes need not import each
other. Results that are the same for every reader until the warehouse is rebuilt are kept in
the app's :attr:`~gpequity.web.warehouse.SharedWarehouse.results`.
"""

from __future__ import annotations

from starlette.requests import Request

from gpequity.analysis.icb_measures import IcbMeasures, icb_measures
from gpequity.analysis.payments import DeprivationMissing, NoPaymentYears
from gpequity.analysis.profiles import PracticeProfile, has_payments, practice_profile
from gpequity.web.warehouse import Reading

#: Why the map of ICBs has nothing to show without payments.
NO_PAYMENTS = "No payments file is loaded, so there are no ICB figures to map."


def find_practice(request: Request, reading: Reading, code: str) -> PracticeProfile | None:
    """The practice's profile, or ``None`` (no such practice): computed once per version of the
    warehouse (:func:`~gpequity.warehouse.cache.per_version`), as what it is compared with."""
    return practice_profile(reading.con, code)


def measures_or_reason(reading: Reading | None) -> tuple[IcbMeasures | None, str | None]:
    """Every ICB's measures for the map (the home page's and ``/icbs``), or why there are none
    (computed once per version of the warehouse)."""
    if reading is None or not has_payments(reading.con):
        return None, NO_PAYMENTS
    try:
        return icb_measures(reading.con), None
    except (DeprivationMissing, NoPaymentYears) as error:
        return None, str(error)
