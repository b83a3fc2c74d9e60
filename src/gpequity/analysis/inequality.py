"""Inequality of money across practices ranked by deprivation: fractional ranks, the
concentration index and the slope index of inequality.

These are the standard health-equity measures (O'Donnell, van Doorslaer, Wagstaff and Lindelow,
*Analyzing Health Equity Using Household Survey Data*, World Bank 2008, chapters 7-8), with the
practice's population as the weight and the practice IMD score (higher = more deprived) as the
ranking variable. They are pure functions: the allocation engine and the payments analysis call
them with their own figures.

Conventions (also in ``docs/allocation-method.md``):

* **Fractional rank** (:func:`fractional_ranks`): practices are lined up from the *most*
  deprived (highest IMD score) to the least deprived, each taking a slice of the line as wide as
  its share of the population; its rank is the middle of its slice, so the most deprived
  practices have ranks near 0 and the least deprived near 1. Practices with the same score share
  one slice (the middle of their combined slice).
* **Concentration index** (:func:`concentration_index`): ``2 cov_w(h, R) / mean_w(h)``, where
  ``h`` is the amount per head, ``R`` the fractional rank above and ``w`` the population weights.
  As ranks run from most to least deprived, it is **negative when money concentrates in deprived
  practices and positive when it concentrates in affluent ones**; 0 means money per head does not
  vary with deprivation. It lies between -1 and 1 when amounts are not negative.
* **Slope index of inequality** (:func:`slope_index_of_inequality`): the population-weighted
  least-squares slope of the amount per head on the rank *by deprivation* ``1 - R`` (0 = least
  deprived end, 1 = most deprived end). It is the fitted difference in pounds per head between
  the most and the least deprived ends: **positive when the most deprived get more per head**.

Every sum is computed exactly (with ``fractions.Fraction``), so the result never depends on the
order of the practices. Entries with a population of 0 carry no weight and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

#: Numbers the measures accept; each is converted exactly to a ``Fraction``.
Number = int | float | Decimal | Fraction


def _exact(values: Sequence[Number], what: str) -> list[Fraction]:
    try:
        return [Fraction(value) for value in values]
    except (ValueError, OverflowError, TypeError) as error:
        raise ValueError(f"every {what} must be a finite number") from error


def _exact_fractional_ranks(scores: list[Fraction], populations: list[Fraction]) -> list[Fraction]:
    if len(scores) != len(populations):
        raise ValueError("scores and populations must have the same length")
    if any(population < 0 for population in populations):
        raise ValueError("populations must not be negative")
    total = sum(populations, Fraction(0))
    if total <= 0:
        raise ValueError("the populations add up to zero, so there are no ranks")
    population_by_score: dict[Fraction, Fraction] = {}
    for score, population in zip(scores, populations, strict=True):
        population_by_score[score] = population_by_score.get(score, Fraction(0)) + population
    rank_by_score: dict[Fraction, Fraction] = {}
    above = Fraction(0)  # population share of the practices more deprived than this score
    for score in sorted(population_by_score, reverse=True):
        share = population_by_score[score] / total
        rank_by_score[score] = above + share / 2
        above += share
    return [rank_by_score[score] for score in scores]


def fractional_ranks(scores: Sequence[Number], populations: Sequence[Number]) -> list[float]:
    """Return each practice's population-weighted fractional rank by deprivation score.

    The practices are lined up from the most deprived (highest score) to the least deprived,
    each taking a slice of the line from 0 to 1 as wide as its share of the population; its rank
    is the middle of its slice (practices with equal scores share the middle of their combined
    slice). So ranks near 0 are the most deprived, near 1 the least deprived, and their
    population-weighted mean is exactly 1/2.
    """
    return [
        float(rank)
        for rank in _exact_fractional_ranks(
            _exact(scores, "score"), _exact(populations, "population")
        )
    ]


def _weighted_entries(
    values: Sequence[Number], populations: Sequence[Number], scores: Sequence[Number]
) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
    if not len(values) == len(populations) == len(scores):
        raise ValueError("values, populations and scores must have the same length")
    exact_values = _exact(values, "value")
    exact_populations = _exact(populations, "population")
    exact_scores = _exact(scores, "score")
    if any(population < 0 for population in exact_populations):
        raise ValueError("populations must not be negative")
    kept = [i for i, population in enumerate(exact_populations) if population > 0]
    return (
        [exact_values[i] for i in kept],
        [exact_populations[i] for i in kept],
        [exact_scores[i] for i in kept],
    )


def concentration_index(
    amounts: Sequence[Number],
    populations: Sequence[Number],
    deprivation_scores: Sequence[Number],
) -> float | None:
    """Return the concentration index of money per head across practices ranked by deprivation.

    ``amounts`` are each practice's total money (not per head), ``populations`` its patients and
    ``deprivation_scores`` its IMD score (higher = more deprived). With ``h_i = amount_i / p_i``,
    weights ``w_i = p_i / sum p`` and ``R_i`` the :func:`fractional_ranks` (0 = most deprived)::

        C = 2 * sum_i w_i (h_i - mu)(R_i - 1/2) / mu,   mu = sum_i w_i h_i

    which simplifies to ``2 * sum_i amount_i R_i / sum_i amount_i - 1``. Negative when money
    concentrates in deprived practices, positive when in affluent ones, 0 when money per head is
    the same along the deprivation ranking. ``None`` when no practice has patients or the
    amounts add up to 0 (the index is undefined).
    """
    exact_amounts, exact_populations, exact_scores = _weighted_entries(
        amounts, populations, deprivation_scores
    )
    total_amount = sum(exact_amounts, Fraction(0))
    if not exact_populations or total_amount == 0:
        return None
    ranks = _exact_fractional_ranks(exact_scores, exact_populations)
    weighted = sum(
        (amount * rank for amount, rank in zip(exact_amounts, ranks, strict=True)), Fraction(0)
    )
    return float(2 * weighted / total_amount - 1)


def slope_index_of_inequality(
    per_patient_values: Sequence[Number],
    populations: Sequence[Number],
    deprivation_scores: Sequence[Number],
) -> float | None:
    """Return the slope index of inequality (SII) of an amount per patient by deprivation.

    The population-weighted least-squares slope of ``per_patient_values`` on ``x_i = 1 - R_i``,
    the fractional rank by deprivation running from 0 (least deprived end) to 1 (most deprived
    end)::

        SII = sum_i w_i (x_i - 1/2)(y_i - ybar) / sum_i w_i (x_i - 1/2)^2

    It is the fitted gap in the amount per patient between the most and the least deprived ends
    of the population, in the units of ``per_patient_values``: positive when the most deprived
    get more per patient. ``None`` when all the population shares one deprivation score (there
    is no slope to fit) or no practice has patients.
    """
    values, exact_populations, exact_scores = _weighted_entries(
        per_patient_values, populations, deprivation_scores
    )
    if not exact_populations:
        return None
    ranks = _exact_fractional_ranks(exact_scores, exact_populations)
    total = sum(exact_populations, Fraction(0))
    weights = [population / total for population in exact_populations]
    xs = [1 - rank for rank in ranks]
    mean_x = sum((w * x for w, x in zip(weights, xs, strict=True)), Fraction(0))
    mean_y = sum((w * y for w, y in zip(weights, values, strict=True)), Fraction(0))
    spread = sum((w * (x - mean_x) ** 2 for w, x in zip(weights, xs, strict=True)), Fraction(0))
    if spread == 0:
        return None
    covariance = sum(
        (w * (x - mean_x) * (y - mean_y) for w, x, y in zip(weights, xs, values, strict=True)),
        Fraction(0),
    )
    return float(covariance / spread)
