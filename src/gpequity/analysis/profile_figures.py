"""The figures behind the profiles' charts: a practice among its peers, its indicators against
England's range, and an ICB's payments over the years and its summary.

* :func:`practice_peers`: every practice of the practice's ICB, and of its national IMD decile,
  with its payments per weighted patient in the practice's latest year, the practice's rank
  among them and their median (a strip chart with the practice highlighted);
* :func:`indicator_spine`: each of the practice's indicators (latest period, all persons)
  against the range of England's practices (lowest, 25th and 75th percentiles, highest) and
  England's value (Fingertips' published England value where loaded, else the median of
  England's practices), each placed on a scale centred on England (a Fingertips "spine");
* :func:`icb_trend`: the ICB's payments per weighted patient in every loaded year beside
  England's, as ratios of sums (the group's payments over its weighted patients);
* :func:`icb_summary`: the ICB's practices, patients, dispensing practices and their share, and
  its payments per weighted patient (ratio of sums) in the year shown.

The tables every practice shares (a year's payments per weighted patient, the indicator ranges,
the ICBs' yearly sums) are read once per build of the warehouse (:func:`per_version`), so a
practice's figures cost a few dictionary look-ups and the server's warm-up is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Any, NamedTuple

import duckdb

from gpequity.analysis.profiles import (
    PERSONS,
    IcbPractice,
    IcbProfile,
    IndicatorComparison,
    IndicatorKey,
    PracticeProfile,
)
from gpequity.tables import table_names
from gpequity.warehouse.cache import per_version
from gpequity.warehouse.icbs import IcbMap, payments_sql

#: The peer groups a practice is placed among.
ICB_PEERS = "icb"
DECILE_PEERS = "decile"
#: Whose value is England's on the spine.
ENGLAND_PUBLISHED = "published"
ENGLAND_MEDIAN = "median of practices"


# ---------------------------------------------------------------------------------------------
# A practice among its peers


class Peer(NamedTuple):
    """A practice paid in a year with weighted patients: its ICB (as the year's file places
    it), its national IMD decile and its payments per weighted patient."""

    code: str
    name: str
    icb_code: str
    decile: int | None
    per_weighted_patient: float


class PeerGroup(NamedTuple):
    """A practice's peers in one year (the practice among them), highest first."""

    kind: str
    #: "Practices of NHS Example ICB", "Practices in national IMD decile 3 (of 10)".
    label: str
    peers: tuple[Peer, ...]
    #: The practice's place among the peers (1 = the highest).
    rank: int

    @property
    def size(self) -> int:
        """How many practices the group has (the practice included)."""
        return len(self.peers)

    @property
    def value(self) -> float:
        """The practice's own payments per weighted patient."""
        return self.peers[self.rank - 1].per_weighted_patient

    @property
    def median(self) -> float:
        """The median of the peers' figures (the practice's included)."""
        return float(median(p.per_weighted_patient for p in self.peers))


class PracticePeers(NamedTuple):
    """The practice's peer groups in its latest year (none without a figure that year)."""

    code: str
    year: str
    groups: tuple[PeerGroup, ...]
    #: The practice's national IMD decile that year (1 least deprived), if it has one.
    decile: int | None


@per_version
def peer_rows(con: duckdb.DuckDBPyConnection, year: str) -> tuple[Peer, ...]:
    """Every practice paid in ``year`` with weighted patients: its figure, ICB and decile
    (the ICB as the year's payments file places it, as on the practice's profile)."""
    tables = table_names(con)
    if "payments" not in tables:
        return ()
    if "practice_imd_year" in tables:
        decile = "i.decile"
        join = (
            "LEFT JOIN practice_imd_year i ON i.year = p.year AND i.practice_code = p.practice_code"
        )
    else:
        decile, join = "CAST(NULL AS INTEGER)", ""
    rows = con.execute(
        f"""
        SELECT p.practice_code, coalesce(p.practice_name, p.practice_code), p.icb_code, {decile},
               CAST(p.total_payments AS DOUBLE) / p.weighted_patients
        FROM payments p {join}
        WHERE p.year = ? AND p.weighted_patients > 0 AND p.total_payments IS NOT NULL
        ORDER BY p.practice_code
        """,
        [year],
    ).fetchall()
    return tuple(
        Peer(str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else int(r[3]), float(r[4]))
        for r in rows
    )


def peer_group(kind: str, label: str, code: str, rows: Sequence[Peer]) -> PeerGroup | None:
    """The group of ``rows`` (``code`` among them), highest first (ties by code); ``None`` when
    the practice is not among them (no figure that year)."""
    ordered = sorted(rows, key=lambda r: (-r.per_weighted_patient, r.code))
    codes = [r.code for r in ordered]
    if code not in codes:
        return None
    return PeerGroup(kind=kind, label=label, peers=tuple(ordered), rank=codes.index(code) + 1)


def practice_peers(con: duckdb.DuckDBPyConnection, profile: PracticeProfile) -> PracticePeers:
    """Where the practice sits, in its latest year, among its ICB's practices and among the
    practices of its national IMD decile (each by payments per weighted patient)."""
    d = profile.details
    rows = peer_rows(con, d.year)
    mine = next((r for r in rows if r.code == d.code), None)
    decile = mine.decile if mine else None
    groups = [
        peer_group(
            ICB_PEERS,
            f"Practices of {d.icb_name}",
            d.code,
            [r for r in rows if r.icb_code == d.icb_code],
        )
    ]
    if decile is not None:
        groups.append(
            peer_group(
                DECILE_PEERS,
                f"Practices in national IMD decile {decile} (of 10)",
                d.code,
                [r for r in rows if r.decile == decile],
            )
        )
    return PracticePeers(
        code=d.code, year=d.year, groups=tuple(g for g in groups if g), decile=decile
    )


# ---------------------------------------------------------------------------------------------
# The indicator spine


@dataclass(frozen=True)
class IndicatorRange:
    """The spread of England's practices' values of one indicator (one period, all persons)."""

    minimum: float
    p25: float
    p75: float
    maximum: float
    practices: int


@dataclass(frozen=True)
class SpineRow:
    """One indicator of a practice against England's range, each figure in the indicator's own
    unit and (``*_position``) on a scale from -1 to 1 centred on England's value, whose half
    width is the farther of England's lowest and highest practice from England's value."""

    indicator: IndicatorComparison
    range: IndicatorRange
    england: float
    england_source: str
    value: float | None

    @property
    def half_width(self) -> float:
        return max(self.england - self.range.minimum, self.range.maximum - self.england)

    def position(self, value: float | None) -> float | None:
        """``value`` on the spine's scale (0 is England; ``None`` stays ``None``)."""
        if value is None:
            return None
        half = self.half_width
        return 0.0 if half <= 0 else (value - self.england) / half


@per_version
def indicator_ranges(con: duckdb.DuckDBPyConnection) -> dict[IndicatorKey, IndicatorRange]:
    """Every indicator's range over England's practices (all persons), by source, indicator,
    period, sex and age: lowest, 25th and 75th percentiles (interpolated) and highest."""
    if "practice_indicators" not in table_names(con):
        return {}
    rows = con.execute(
        f"""
        SELECT source, indicator_id, period, sex, age, min(value),
               quantile_cont(value, 0.25), quantile_cont(value, 0.75), max(value), count(value)
        FROM practice_indicators
        WHERE coalesce(sex, '{PERSONS}') = '{PERSONS}' AND value IS NOT NULL
        GROUP BY ALL
        """
    ).fetchall()
    return {
        (str(r[0]), str(r[1]), str(r[2]), _str(r[3]), _str(r[4])): IndicatorRange(
            float(r[5]), float(r[6]), float(r[7]), float(r[8]), int(r[9])
        )
        for r in rows
    }


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def indicator_spine(
    con: duckdb.DuckDBPyConnection, profile: PracticeProfile
) -> tuple[SpineRow, ...]:
    """The practice's indicators (as on its profile) that England's practices have a range
    and an England value for, in the profile's order."""
    ranges = indicator_ranges(con)
    out = []
    for ind in profile.indicators:
        key: IndicatorKey = (ind.source, ind.indicator_id, ind.period, ind.sex, ind.age)
        spread = ranges.get(key)
        if ind.england_value is not None:
            england, source = ind.england_value, ENGLAND_PUBLISHED
        elif ind.england_median is not None:
            england, source = ind.england_median, ENGLAND_MEDIAN
        else:
            continue
        if spread is None:
            continue
        out.append(SpineRow(ind, spread, england, source, ind.value))
    return tuple(out)


def spine_counts(rows: Sequence[SpineRow]) -> tuple[int, int, int, int]:
    """On how many indicators the practice is above England's value, below it, in the lowest
    quarter of England's practices (under the 25th percentile) and in the highest (over the
    75th)."""
    known = [(r, r.value) for r in rows if r.value is not None]
    return (
        sum(1 for r, v in known if v > r.england),
        sum(1 for r, v in known if v < r.england),
        sum(1 for r, v in known if v < r.range.p25),
        sum(1 for r, v in known if v > r.range.p75),
    )


# ---------------------------------------------------------------------------------------------
# An ICB over the years, and its summary


@dataclass(frozen=True)
class TrendPoint:
    """Payments per weighted patient in one year: the ICB's and England's (ratios of sums)."""

    year: str
    icb_practices: int
    icb_per_weighted_patient: float | None
    england_practices: int
    england_per_weighted_patient: float | None


def _ratio(payments: Any, weighted: Any) -> float | None:
    if payments is None or not weighted:
        return None
    return float(Decimal(payments) / Decimal(str(weighted)))


@per_version
def icb_yearly_sums(
    con: duckdb.DuckDBPyConnection, icb_map: IcbMap = IcbMap.current
) -> dict[tuple[str, str], tuple[int, Decimal, float]]:
    """``{(year, icb code): (practices, payments, weighted patients)}`` and, under the ICB code
    ``""``, England's: practices with weighted patients and a payment only."""
    if "payments" not in table_names(con):
        return {}
    rows = con.execute(
        f"""
        SELECT year, coalesce(icb_code, ''), count(*), sum(total_payments),
               sum(weighted_patients)
        FROM {payments_sql(con, icb_map)} p
        WHERE weighted_patients > 0 AND total_payments IS NOT NULL
        GROUP BY GROUPING SETS ((year, icb_code), (year))
        """
    ).fetchall()
    return {(str(r[0]), str(r[1])): (int(r[2]), Decimal(r[3]), float(r[4])) for r in rows}


def icb_trend(
    con: duckdb.DuckDBPyConnection, code: str, icb_map: IcbMap = IcbMap.current
) -> tuple[TrendPoint, ...]:
    """The ICB's payments per weighted patient in every year it has practices, oldest first,
    beside England's."""
    sums = icb_yearly_sums(con, icb_map)
    code = code.strip().upper()
    years = sorted({y for (y, icb) in sums if icb == code})
    out = []
    for year in years:
        n, paid, weighted = sums[(year, code)]
        en, epaid, eweighted = sums.get((year, ""), (0, Decimal(0), 0.0))
        out.append(TrendPoint(year, n, _ratio(paid, weighted), en, _ratio(epaid, eweighted)))
    return tuple(out)


class IcbSummary(NamedTuple):
    """An ICB's practices in a year, in a few figures."""

    practices: int
    registered_patients: float
    #: Dispensing practices, of those whose status the file records (``dispensing_known``).
    dispensing_practices: int
    dispensing_known: int
    dispensing_patients_share: float | None
    #: The practices with weighted patients: their payments and weighted patients.
    total_payments: Decimal
    weighted_patients: float

    @property
    def dispensing_share(self) -> float | None:
        known = self.dispensing_known
        return self.dispensing_practices / known if known else None

    @property
    def per_weighted_patient(self) -> float | None:
        """Payments per weighted patient, a ratio of sums."""
        return _ratio(self.total_payments, self.weighted_patients)


def is_dispensing(status: str | None) -> bool | None:
    """The payments file's dispensing flag ("Yes"/"No", any case) as a bool; ``None`` unknown."""
    if status is None:
        return None
    text = status.strip().lower()
    if text in {"yes", "y", "true", "1"}:
        return True
    if text in {"no", "n", "false", "0"}:
        return False
    return None


def icb_summary(profile: IcbProfile) -> IcbSummary:
    """The ICB's practices, patients, dispensing practices (count and share of those whose
    status is recorded, and their patients' share) and payments per weighted patient (the
    practices with weighted patients: their payments over their weighted patients)."""
    practices: Sequence[IcbPractice] = profile.practices
    known = [p for p in practices if is_dispensing(p.dispensing) is not None]
    dispensing = [p for p in known if is_dispensing(p.dispensing)]
    known_patients = sum(p.registered_patients or 0.0 for p in known)
    weighed = [
        p
        for p in practices
        if p.weighted_patients and p.weighted_patients > 0 and p.total_payments is not None
    ]
    paid = sum((p.total_payments or Decimal(0) for p in weighed), Decimal(0))
    weighted = sum(p.weighted_patients or 0.0 for p in weighed)
    return IcbSummary(
        practices=len(practices),
        registered_patients=profile.registered_patients,
        dispensing_practices=len(dispensing),
        dispensing_known=len(known),
        dispensing_patients_share=(
            sum(p.registered_patients or 0.0 for p in dispensing) / known_patients
            if known_patients
            else None
        ),
        total_payments=paid,
        weighted_patients=weighted,
    )
