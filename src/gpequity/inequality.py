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
  least-squares slope of the amount per head on the fractional rank ``R`` above (0 = most
  deprived end, 1 = least deprived end), as OHID's Fingertips computes it. It is the fitted
  difference in pounds per head between the least and the most deprived ends: **positive when
  the least deprived get more per head**, so it leans the same way as the gap "Q1 (least
  deprived) minus Q5 (most deprived)" and the concentration index (positive when money
  concentrates in affluent practices). It once ran the other way (rank ``1 - R``), so that a
  gap of +£28.47 stood beside a slope index of +£9.11 that meant the opposite.

Every sum is computed exactly (each number as an integer over one common denominator, which is
what ``fractions.Fraction`` would do one value at a time, but without a ``Fraction`` per
value), so the result never depends on the order of the practices. Entries with a population of
0 carry no weight and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

#: Numbers the measures accept; each is converted exactly (``as_integer_ratio``).
Number = int | float | Decimal | Fraction


#: Numbers exactly: their numerators over one common positive denominator.
Exact = tuple[list[int], int]


def _exact(values: Sequence[Number], what: str) -> Exact:
    """Each value exactly, as a numerator over one common denominator: sums are then integer
    sums (a ``Fraction`` per value took most of a payments analysis's time)."""
    try:
        ratios = [value.as_integer_ratio() for value in values]
    except (ValueError, OverflowError, TypeError, AttributeError) as error:
        raise ValueError(f"every {what} must be a finite number") from error
    denominator = math.lcm(1, *(d for _, d in ratios))
    return [n * (denominator // d) for n, d in ratios], denominator


def _rank_numerators(scores: Sequence[int], populations: Sequence[int]) -> list[int]:
    """Return ``r_i`` with fractional rank ``R_i = r_i / (2 N)``, ``N = sum(populations)``.

    ``scores`` are numerators over one denominator, so they order and compare as the scores.
    A group of equal scores with ``g`` people and ``a`` people more deprived than it spans
    ``a / N`` to ``(a + g) / N``; the middle is ``(2 a + g) / (2 N)``.
    """
    people_by_score: dict[int, int] = {}
    for score, people in zip(scores, populations, strict=True):
        people_by_score[score] = people_by_score.get(score, 0) + people
    rank_by_score: dict[int, int] = {}
    above = 0  # people in practices more deprived than this score
    for score in sorted(people_by_score, reverse=True):
        people = people_by_score[score]
        rank_by_score[score] = 2 * above + people
        above += people
    return [rank_by_score[score] for score in scores]


def _entries(
    scores: Sequence[Number], populations: Sequence[Number], *others: Sequence[Number]
) -> tuple[list[int], list[int], list[Exact]]:
    """Check and convert the inputs; drop the entries with a population of 0. The people are
    numerators over one denominator (the measures do not depend on the unit of population)."""
    if any(len(other) != len(scores) for other in (populations, *others)):
        raise ValueError("scores, populations and values must have the same length")
    exact_scores, _ = _exact(scores, "score")
    exact_populations, _ = _exact(populations, "population")
    exact_others = [_exact(other, "value") for other in others]
    if any(population < 0 for population in exact_populations):
        raise ValueError("populations must not be negative")
    kept = [i for i, population in enumerate(exact_populations) if population > 0]
    return (
        [exact_scores[i] for i in kept],
        [exact_populations[i] for i in kept],
        [([numerators[i] for i in kept], denominator) for numerators, denominator in exact_others],
    )


def fractional_ranks(scores: Sequence[Number], populations: Sequence[Number]) -> list[float]:
    """Return each practice's population-weighted fractional rank by deprivation score.

    The practices are lined up from the most deprived (highest score) to the least deprived,
    each taking a slice of the line from 0 to 1 as wide as its share of the population; its rank
    is the middle of its slice (practices with equal scores share the middle of their combined
    slice). So ranks near 0 are the most deprived, near 1 the least deprived, and their
    population-weighted mean is exactly 1/2. A practice with a population of 0 has a slice of
    width 0 (its rank is the edge where it would sit).
    """
    if len(scores) != len(populations):
        raise ValueError("scores and populations must have the same length")
    exact_scores, _ = _exact(scores, "score")
    people, _ = _exact(populations, "population")
    if any(population < 0 for population in people):
        raise ValueError("populations must not be negative")
    total = sum(people)
    if total <= 0:
        raise ValueError("the populations add up to zero, so there are no ranks")
    return [rank / (2 * total) for rank in _rank_numerators(exact_scores, people)]


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
    scores, people, ((money, _),) = _entries(deprivation_scores, populations, amounts)
    if not people:
        return None
    total_money = sum(money)
    if total_money == 0:
        return None
    ranks = _rank_numerators(scores, people)
    total_people = sum(people)
    # 2 sum(a_i r_i / 2N) / sum(a) - 1 = (sum(a_i r_i) - N sum(a)) / (N sum(a))
    weighted = sum(m * r for m, r in zip(money, ranks, strict=True))
    return (weighted - total_people * total_money) / (total_people * total_money)


def slope_index_of_inequality(
    per_patient_values: Sequence[Number],
    populations: Sequence[Number],
    deprivation_scores: Sequence[Number],
) -> float | None:
    """Return the slope index of inequality (SII) of an amount per patient by deprivation.

    The population-weighted least-squares slope of ``per_patient_values`` on ``x_i = R_i``,
    the fractional rank running from 0 (most deprived end) to 1 (least deprived end)::

        SII = sum_i w_i (x_i - 1/2)(y_i - ybar) / sum_i w_i (x_i - 1/2)^2

    (``1/2`` is the weighted mean of ``x``). It is the fitted gap in the amount per patient
    between the least and the most deprived ends of the population, in the units of
    ``per_patient_values``: positive when the least deprived get more per patient, like the gap
    Q1 minus Q5 and the concentration index. ``None`` when
    all the population shares one deprivation score (there is no slope to fit) or no practice
    has patients.
    """
    scores, people, ((ys, y_denominator),) = _entries(
        deprivation_scores, populations, per_patient_values
    )  # y_i = ys[i] / y_denominator
    if not people:
        return None
    ranks = _rank_numerators(scores, people)
    total_people = sum(people)
    # With x_i = r_i / 2N: 2N (x_i - 1/2) = r_i - N =: u_i, and sum_i n_i u_i = 0, so
    # SII = 2N sum_i n_i u_i y_i / sum_i n_i u_i^2.
    us = [rank - total_people for rank in ranks]
    spread = sum(n * u * u for n, u in zip(people, us, strict=True))
    if spread == 0:
        return None
    covariance = sum(n * u * y for n, u, y in zip(people, us, ys, strict=True))
    return (2 * total_people * covariance) / (spread * y_denominator)
