"""The models of ``GET /api/v1/payments/by-deprivation``: the JSON of ``gpequity payments
by-deprivation --format json`` (``DeprivationResult.as_dict()``), with its confidence intervals
(docs/payments-analysis.md)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ConfigDict, Field

from gpequity.web.api_schema import IntervalOut, IntervalsOut, Out

#: A measure: one number, or (with ``by``) one per value of the breakdown.
Measure = float | None | dict[str, float | None]
#: Its interval: one, or (with ``by``) one per value of the breakdown.
MeasureInterval = IntervalOut | None | dict[str, IntervalOut | None]


class DeprivationGroupOut(Out):
    """One deprivation group (within one value of the breakdown, whose key leads, if any):
    also its ``quintile`` or ``decile``, ``registered_patients``, ``weighted_patients``,
    ``payments`` and ``per_registered_patient``, as in docs/payments-analysis.md."""

    model_config = ConfigDict(extra="allow")

    label: str
    per_weighted_patient: float | None = Field(description="Pounds per weighted patient.")
    per_weighted_patient_ci: IntervalOut | None = Field(
        description="95% confidence interval of per_weighted_patient (bootstrap of the "
        "group's practices)."
    )


class ExclusionOut(Out):
    practices: int
    registered_patients: float
    payments: Decimal
    reason: str


class DeprivationOut(Out):
    """Payments by deprivation in one year, as ``gpequity payments by-deprivation``."""

    year: str
    total: str
    by: str | None = None
    exclude_prescribing: bool
    groups: list[DeprivationGroupOut]
    gap_q1_minus_q5: Measure = Field(
        description="Q1 (least deprived) minus Q5 (most deprived), pounds per weighted patient."
    )
    gap_q1_minus_q5_ci: MeasureInterval = Field(description="Its 95% confidence interval.")
    gap_d1_minus_d10: Measure = None
    slope_index: Measure = Field(
        description="Slope index of inequality, pounds per weighted patient: positive when the "
        "least deprived receive more."
    )
    slope_index_ci: MeasureInterval = Field(description="Its 95% confidence interval.")
    concentration_index: Measure = Field(
        description="Positive when money concentrates in less deprived practices."
    )
    concentration_index_ci: MeasureInterval = Field(description="Its 95% confidence interval.")
    confidence_intervals: IntervalsOut
    excluded: dict[str, ExclusionOut]
    method: dict[str, str]
    notes: list[str]
