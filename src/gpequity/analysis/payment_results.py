"""The results of the payments analysis (:mod:`gpequity.analysis.payments`).

Frozen dataclasses, each with ``as_dict()`` (the documented JSON contract of its CLI command,
``docs/payments-analysis.md``) and ``table()`` (a header and rows for tables and CSV), so that
the CLI, the charts and the web pages show the same figures in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from gpequity.intervals import DEFAULT, EquityIntervals, Interval, Settings

QUINTILES = 5
DECILES = 10
#: Decimal places of money per patient and of the slope index in results meant for people.
PENCE_PLACES = 2
#: Decimal places of the concentration index (a number between -1 and 1).
INDEX_PLACES = 4
#: Decimal places of patient counts (the files give list sizes as averages over quarters).
PATIENT_PLACES = 2
#: The key of the one entry of per-group measures when results are not split by a breakdown.
ALL = "all"

PER_PATIENT_METHOD = (
    "Per-patient figures are ratios of sums: a group's total payments divided by its total "
    "registered (or weighted) patients, not the mean of each practice's own figure."
)
QUINTILE_METHOD = (
    "Practices are ranked nationally by the IMD score of their registered population in that "
    "year and cut into groups of equal numbers of practices: Q1 is the least deprived fifth, "
    "Q5 the most deprived. Only the practices with a score and registered and weighted "
    "patients are ranked; practices with the same score are split by practice code."
)
SLOPE_METHOD = (
    "Slope index of inequality: population-weighted regression of each practice's payments per "
    "weighted patient on its fractional rank by deprivation (0 = most, 1 = least deprived); "
    "pounds per weighted patient, positive when the least deprived receive more (as the gap "
    "Q1 minus Q5 is)."
)
CONCENTRATION_METHOD = (
    "Concentration index of payments across weighted patients ranked by deprivation: negative "
    "when money concentrates in deprived practices, positive when in affluent ones."
)


class Total(StrEnum):
    """Which official total of NHS Payments to General Practice to analyse."""

    core = "core"
    incl_covid = "incl_covid"
    incl_covid_pcn = "incl_covid_pcn"


TOTAL_LABELS: dict[Total, str] = {
    Total.core: "Total NHS Payments to General Practice",
    Total.incl_covid: "Total NHS Payments to General Practice including covid vaccination, "
    "covid support and long covid payments",
    Total.incl_covid_pcn: "Total NHS Payments to General Practice including Covid and PCN payments",
}


class By(StrEnum):
    """Breakdowns of payments by deprivation: the practice attribute crossed with quintile."""

    dispensing = "dispensing"
    rurality = "rurality"
    icb = "icb"
    contract = "contract"


class Dispensing(StrEnum):
    """Which practices a time series covers, by dispensing status."""

    all = "all"
    yes = "yes"
    no = "no"


# ---------------------------------------------------------------------------------------------
# Labels and results


def rank_label(rank: int, groups: int = QUINTILES) -> str:
    """``Q1 (least deprived)`` ... ``Q5 (most deprived)``; ``D1`` ... ``D10`` for deciles."""
    letter = "Q" if groups == QUINTILES else "D"
    if rank == 1:
        return f"{letter}1 (least deprived)"
    if rank == groups:
        return f"{letter}{groups} (most deprived)"
    return f"{letter}{rank}"


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def ratio(numerator: Decimal | float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return float(numerator) / denominator


#: The columns of a deprivation group in tables and CSV (the rank is named by its kind).
GROUP_COLUMNS = (
    "quintile",
    "label",
    "practices",
    "registered_patients",
    "weighted_patients",
    "payments",
    "per_registered_patient",
    "per_weighted_patient",
)


#: The bounds of a group's money per weighted patient (:mod:`gpequity.intervals`) in the
#: tables and CSV of payments by deprivation.
INTERVAL_COLUMNS = ("per_weighted_patient_ci_lower", "per_weighted_patient_ci_upper")


@dataclass(frozen=True)
class Table:
    """A result as a header and rows of plain values, for tables and CSV downloads."""

    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Exclusion:
    """Practices left out of a result for one reason, with their patients and payments."""

    key: str
    reason: str
    practices: int
    registered_patients: float
    weighted_patients: float
    payments: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "practices": self.practices,
            "registered_patients": round(self.registered_patients, PATIENT_PLACES),
            "payments": self.payments,
            "reason": self.reason,
        }


#: The columns of :func:`exclusions_table`.
EXCLUSIONS_HEADER = (
    "reason_key",
    "reason",
    "practices",
    "registered_patients",
    "weighted_patients",
    "payments",
)


def exclusions_table(excluded: Sequence[Exclusion]) -> Table:
    """The practices a result left out, one row per reason (as in its JSON ``excluded``)."""
    return Table(
        EXCLUSIONS_HEADER,
        tuple(
            (
                e.key,
                e.reason,
                e.practices,
                round(e.registered_patients, PATIENT_PLACES),
                round(e.weighted_patients, PATIENT_PLACES),
                e.payments,
            )
            for e in excluded
        ),
    )


@dataclass(frozen=True)
class DispensingStatusSummary:
    """Practices of one dispensing status (``Yes``, ``No`` or ``Unknown``) in a year."""

    status: str
    practices: int
    registered_patients: float
    total_payments: Decimal
    prescribing_dispensing_payments: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "practices": self.practices,
            "registered_patients": round(self.registered_patients, PATIENT_PLACES),
            "total_payments": self.total_payments,
            "prescribing_dispensing_payments": self.prescribing_dispensing_payments,
        }


@dataclass(frozen=True)
class NationalSummary:
    """England's NHS payments to general practice in one financial year, every practice.

    A total the year's file does not publish is ``None`` (and said so in ``notes``).
    """

    year: str
    practices: int
    registered_patients: float
    weighted_patients: float
    total_payments: Decimal
    total_payments_incl_covid: Decimal | None
    total_payments_incl_covid_pcn: Decimal | None
    total_payments_minus_deductions: Decimal | None
    prescribing_dispensing_payments: Decimal
    by_dispensing_status: dict[str, DispensingStatusSummary]
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON contract of ``gpequity payments summary``."""
        return {
            "year": self.year,
            "practices": self.practices,
            "registered_patients": round(self.registered_patients, PATIENT_PLACES),
            "weighted_patients": round(self.weighted_patients, PATIENT_PLACES),
            "total_payments": self.total_payments,
            "total_payments_incl_covid": self.total_payments_incl_covid,
            "total_payments_incl_covid_pcn": self.total_payments_incl_covid_pcn,
            "total_payments_minus_deductions": self.total_payments_minus_deductions,
            "prescribing_dispensing_payments": self.prescribing_dispensing_payments,
            "by_dispensing_status": {k: v.as_dict() for k, v in self.by_dispensing_status.items()},
            "notes": list(self.notes),
        }

    def table(self) -> Table:
        """One row for all practices, then one per dispensing status (blank where the files
        give no such figure for a status)."""
        header = (
            "year",
            "dispensing_status",
            "practices",
            "registered_patients",
            "weighted_patients",
            "total_payments",
            "total_payments_incl_covid",
            "total_payments_incl_covid_pcn",
            "total_payments_minus_deductions",
            "prescribing_dispensing_payments",
        )
        rows: list[tuple[Any, ...]] = [
            (
                self.year,
                "All",
                self.practices,
                round(self.registered_patients, PATIENT_PLACES),
                round(self.weighted_patients, PATIENT_PLACES),
                self.total_payments,
                self.total_payments_incl_covid,
                self.total_payments_incl_covid_pcn,
                self.total_payments_minus_deductions,
                self.prescribing_dispensing_payments,
            )
        ]
        rows.extend(
            (
                self.year,
                s.status,
                s.practices,
                round(s.registered_patients, PATIENT_PLACES),
                None,
                s.total_payments,
                None,
                None,
                None,
                s.prescribing_dispensing_payments,
            )
            for s in self.by_dispensing_status.values()
        )
        return Table(header, tuple(rows))


@dataclass(frozen=True)
class DeprivationGroup:
    """One deprivation group (quintile or decile), within one value of a breakdown if any."""

    rank: int
    label: str
    group: str | None
    practices: int
    registered_patients: float
    weighted_patients: float
    payments: Decimal
    per_registered_patient: float | None
    per_weighted_patient: float | None
    group_name: str | None = None

    @classmethod
    def of(
        cls,
        rank: int,
        label: str,
        sums: tuple[int, float, float, Decimal],
        group: str | None = None,
        group_name: str | None = None,
    ) -> DeprivationGroup:
        """The group of its sums (practices, registered and weighted patients, payments), with
        the payments per registered and per weighted patient (None without patients)."""
        practices, registered, weighted, payments = sums
        return cls(
            rank,
            label,
            group,
            practices,
            registered,
            weighted,
            payments,
            ratio(payments, registered),
            ratio(payments, weighted),
            group_name,
        )

    def row(self) -> tuple[Any, ...]:
        """The group's figures, in the order of :data:`GROUP_COLUMNS`."""
        return (
            self.rank,
            self.label,
            self.practices,
            round(self.registered_patients, PATIENT_PLACES),
            round(self.weighted_patients, PATIENT_PLACES),
            self.payments,
            _round(self.per_registered_patient, PENCE_PLACES),
            _round(self.per_weighted_patient, PENCE_PLACES),
        )

    def as_dict(self, rank_key: str, by: By | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if by is not None:
            out[by.value] = self.group
        out.update(
            {
                rank_key: self.rank,
                "label": self.label,
                "practices": self.practices,
                "registered_patients": round(self.registered_patients, PATIENT_PLACES),
                "weighted_patients": round(self.weighted_patients, PATIENT_PLACES),
                "payments": self.payments,
                "per_registered_patient": _round(self.per_registered_patient, PENCE_PLACES),
                "per_weighted_patient": _round(self.per_weighted_patient, PENCE_PLACES),
            }
        )
        return out


@dataclass(frozen=True)
class DeprivationResult:
    """Payments by deprivation group in one year, optionally within a breakdown.

    The per-breakdown measures (gap, slope index, concentration index) are keyed by the
    breakdown's values, or by :data:`ALL` when there is no breakdown.
    """

    year: str
    total: Total
    exclude_prescribing: bool
    groups_of: int
    by: By | None
    groups: tuple[DeprivationGroup, ...]
    gap_q1_minus_q5: dict[str, float | None]
    gap_first_minus_last: dict[str, float | None]
    slope_index: dict[str, float | None]
    concentration_index: dict[str, float | None]
    excluded: tuple[Exclusion, ...]
    notes: tuple[str, ...] = ()
    #: Bootstrap confidence intervals of the figures, keyed like the measures
    #: (:mod:`gpequity.intervals`); empty when none were computed.
    intervals: dict[str, EquityIntervals] = field(default_factory=dict)
    interval_settings: Settings = DEFAULT

    @property
    def rank_key(self) -> str:
        return "quintile" if self.groups_of == QUINTILES else "decile"

    def interval_of(self, key: str = ALL) -> EquityIntervals:
        """The intervals of the practices of breakdown value ``key`` (:data:`ALL`: no
        breakdown); empty intervals when none were computed."""
        return self.intervals.get(key, EquityIntervals())

    def group_interval(self, g: DeprivationGroup) -> Interval | None:
        """The interval of a group's money per weighted patient."""
        return self.interval_of(ALL if g.group is None else g.group).per_patient.get(g.rank)

    def group(self, rank: int, value: str | None = None) -> DeprivationGroup | None:
        """The group of this rank (and breakdown value), if it has any practice."""
        for g in self.groups:
            if g.rank == rank and g.group == value:
                return g
        return None

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON contract of ``gpequity payments by-deprivation``."""

        def measure(values: dict[str, float | None], places: int) -> Any:
            if self.by is None:
                return _round(values.get(ALL), places)
            return {k: _round(v, places) for k, v in values.items()}

        def interval(name: str, places: int) -> Any:
            def one(key: str) -> dict[str, float] | None:
                found: Interval | None = getattr(self.interval_of(key), name)
                return None if found is None else found.as_dict(places)

            if self.by is None:
                return one(ALL)
            return {k: one(k) for k in self.slope_index}

        out: dict[str, Any] = {"year": self.year, "total": self.total.value}
        if self.by is not None:
            out["by"] = self.by.value
        out["exclude_prescribing"] = self.exclude_prescribing
        out["groups"] = []
        for g in self.groups:
            found = self.group_interval(g)
            out["groups"].append(
                g.as_dict(self.rank_key, self.by)
                | {"per_weighted_patient_ci": found and found.as_dict(PENCE_PLACES)}
            )
        out["gap_q1_minus_q5"] = measure(self.gap_q1_minus_q5, PENCE_PLACES)
        out["gap_q1_minus_q5_ci"] = interval("gap", PENCE_PLACES)
        if self.groups_of == DECILES:
            out["gap_d1_minus_d10"] = measure(self.gap_first_minus_last, PENCE_PLACES)
        out["slope_index"] = measure(self.slope_index, PENCE_PLACES)
        out["slope_index_ci"] = interval("slope_index", PENCE_PLACES)
        out["concentration_index"] = measure(self.concentration_index, INDEX_PLACES)
        out["concentration_index_ci"] = interval("concentration_index", INDEX_PLACES)
        out["confidence_intervals"] = self.interval_settings.as_dict()
        out["excluded"] = {e.key: e.as_dict() for e in self.excluded}
        out["method"] = {
            "per_patient": PER_PATIENT_METHOD,
            "groups": QUINTILE_METHOD,
            "gap_q1_minus_q5": "Q1 (least deprived) minus Q5 (most deprived), pounds per "
            "weighted patient.",
            "slope_index": SLOPE_METHOD,
            "concentration_index": CONCENTRATION_METHOD,
        }
        out["notes"] = list(self.notes)
        return out

    def table(self) -> Table:
        """One row per group: the breakdown's value (and the ICB's name) if any, then
        :data:`GROUP_COLUMNS`."""
        lead: tuple[str, ...] = ()
        if self.by is not None:
            lead = (self.by.value, "icb_name") if self.by.value == "icb" else (self.by.value,)

        def lead_cells(g: DeprivationGroup) -> tuple[Any, ...]:
            return (g.group, g.group_name)[: len(lead)]

        def bounds(g: DeprivationGroup) -> tuple[float | None, float | None]:
            found = self.group_interval(g)
            if found is None:
                return (None, None)
            return (round(found.lower, PENCE_PLACES), round(found.upper, PENCE_PLACES))

        header = (*lead, self.rank_key, *GROUP_COLUMNS[1:], *INTERVAL_COLUMNS)
        rows = tuple((*lead_cells(g), *g.row(), *bounds(g)) for g in self.groups)
        return Table(header, rows)


@dataclass(frozen=True)
class TrendYear:
    """One year of the time series: payments by quintile with that year's IMD."""

    year: str
    groups: tuple[DeprivationGroup, ...]
    gap_q1_minus_q5: float | None
    imd_methods: tuple[str, ...]
    excluded: tuple[Exclusion, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "groups": [g.as_dict("quintile", None) for g in self.groups],
            "gap_q1_minus_q5": _round(self.gap_q1_minus_q5, PENCE_PLACES),
            "imd": list(self.imd_methods),
            "excluded": {e.key: e.as_dict() for e in self.excluded},
        }


@dataclass(frozen=True)
class SkippedYear:
    """A loaded year left out of a time series, and why."""

    year: str
    reason: str


@dataclass(frozen=True)
class TrendResult:
    """Payments per weighted patient by quintile, every loaded year from 2014/15 on."""

    total: Total
    exclude_prescribing: bool
    dispensing: Dispensing
    years: tuple[TrendYear, ...]
    skipped: tuple[SkippedYear, ...] = ()
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON contract of ``gpequity payments trend``."""
        return {
            "total": self.total.value,
            "exclude_prescribing": self.exclude_prescribing,
            "dispensing": self.dispensing.value,
            "years": [y.as_dict() for y in self.years],
            "skipped_years": [{"year": s.year, "reason": s.reason} for s in self.skipped],
            "method": {"per_patient": PER_PATIENT_METHOD, "groups": QUINTILE_METHOD},
            "notes": list(self.notes),
        }

    def table(self) -> Table:
        """One row per year and quintile."""
        return Table(
            ("year", *GROUP_COLUMNS),
            tuple((y.year, *g.row()) for y in self.years for g in y.groups),
        )


@dataclass(frozen=True)
class PaymentLineByDeprivation:
    """One payment line's money per weighted patient in each quintile."""

    line: str
    label: str
    line_group: str
    payments: Decimal
    per_weighted_patient: float | None
    by_quintile: tuple[float | None, ...]
    gap_q1_minus_q5: float | None
    tilt: float | None
    favours: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "label": self.label,
            "line_group": self.line_group,
            "payments": self.payments,
            "per_weighted_patient": _round(self.per_weighted_patient, PENCE_PLACES),
            "by_quintile": [_round(v, PENCE_PLACES) for v in self.by_quintile],
            "gap_q1_minus_q5": _round(self.gap_q1_minus_q5, PENCE_PLACES),
            "tilt": _round(self.tilt, INDEX_PLACES),
            "favours": self.favours,
        }


@dataclass(frozen=True)
class PaymentLinesResult:
    """Every payment line of a year by quintile: which favour deprived or affluent practices."""

    year: str
    lines: tuple[PaymentLineByDeprivation, ...]
    weighted_patients: tuple[float, ...]
    excluded: tuple[Exclusion, ...]
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "lines": [line.as_dict() for line in self.lines],
            "weighted_patients_by_quintile": [
                round(w, PATIENT_PLACES) for w in self.weighted_patients
            ],
            "excluded": {e.key: e.as_dict() for e in self.excluded},
            "method": {"per_patient": PER_PATIENT_METHOD, "groups": QUINTILE_METHOD},
            "notes": list(self.notes),
        }

    def table(self) -> Table:
        """One row per payment line: its figures per weighted patient, Q1 to Q5."""
        header = (
            "line",
            "label",
            "line_group",
            "payments",
            "per_weighted_patient",
            *(f"q{q}_per_weighted_patient" for q in range(1, QUINTILES + 1)),
            "gap_q1_minus_q5",
            "tilt",
            "favours",
        )
        rows = tuple(
            (
                line.line,
                line.label,
                line.line_group,
                line.payments,
                _round(line.per_weighted_patient, PENCE_PLACES),
                *(_round(v, PENCE_PLACES) for v in line.by_quintile),
                _round(line.gap_q1_minus_q5, PENCE_PLACES),
                _round(line.tilt, INDEX_PLACES),
                line.favours,
            )
            for line in self.lines
        )
        return Table(header, rows)
