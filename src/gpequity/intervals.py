"""How sure an equity figure is: bootstrap confidence intervals over practices.

The figures of :mod:`gpequity.inequality` and the per-group money per patient are exact for
the practices of a year (or a pool), but they describe one set of practices; an analyst quoting
"£16 more per weighted patient in the least deprived fifth" must also say how much the figure
depends on which practices happen to be in each fifth. This module answers with a
**practice-level percentile bootstrap**:

* draw, with replacement, as many practices as each deprivation group has from that group's
  own practices (a bootstrap *stratified* by group, so every resample keeps the groups' sizes,
  as the quintiles of equal numbers of practices do), :data:`RESAMPLES` times, from a NumPy
  generator seeded with :data:`SEED` (the same seed always gives the same resamples);
* in every resample compute the same figures as the point estimate: each group's money per
  patient and share of the money (ratios of sums), the gap between the first and the last
  quintile, the slope index of inequality and the concentration index (with the fractional
  ranks of the resample: a practice drawn twice counts twice in the population);
* the interval is the middle :data:`LEVEL` of those values (the 2.5th and 97.5th percentiles by
  default, NumPy's linear interpolation between order statistics).

Everything is vectorised: a resample is a row of counts (how often each practice was drawn),
sums over groups are one matrix product and the ranks one cumulative sum, a few hundred
resamples at a time (:data:`CHUNK`) to bound memory. What does not depend on the money (the
draws, ranks and patients of each resample) is kept for a set of practices small enough
(:data:`KEPT_DRAWS`, an ICB's pool), so that its next allocation's intervals cost a fifth as
much. A resample whose figure is undefined (a group with no patients, one deprivation score
only) makes that figure's interval ``None``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

#: Default confidence level (95%), resamples and seed of every interval the project shows.
LEVEL = 0.95
RESAMPLES = 2000
SEED = 20230401
#: Resamples computed together (memory: a few arrays of CHUNK x practices floats).
CHUNK = 250

METHOD = "percentile bootstrap of practices, stratified by deprivation group"
#: What an interval means, in one plain sentence (pages, datapacks, CLI and API say it).
MEANING = (
    "A 95% confidence interval shows how much a figure could change if a different set of "
    "practices had been in each group: re-drawing the practices 2,000 times at random, 95% of "
    "the figures fell between the two numbers."
)

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval: ``lower`` and ``upper`` bounds, in the units of its figure."""

    lower: float
    upper: float

    def as_dict(self, places: int) -> dict[str, float]:
        return {"lower": round(self.lower, places), "upper": round(self.upper, places)}

    def scaled(self, factor: float) -> Interval:
        """The interval of the figure times ``factor`` (``factor`` > 0)."""
        return Interval(self.lower * factor, self.upper * factor)

    def excludes_zero(self) -> bool:
        return self.lower > 0 or self.upper < 0


@dataclass(frozen=True, slots=True)
class Settings:
    """How intervals are computed: confidence level, resamples, seed."""

    level: float = LEVEL
    resamples: int = RESAMPLES
    seed: int = SEED

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise ValueError("the confidence level must be between 0 and 1")
        if self.resamples < 1:
            raise ValueError("at least one resample is needed")

    def as_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "resamples": self.resamples,
            "seed": self.seed,
            "method": METHOD,
            "meaning": MEANING,
        }


DEFAULT = Settings()


@dataclass(frozen=True, slots=True)
class EquityIntervals:
    """The intervals of one set of practices' equity figures.

    ``per_patient`` and ``share`` are keyed by group (quintile or decile); ``gap`` is that of
    the first minus the last quintile of money per patient.
    """

    per_patient: dict[int, Interval | None] = field(default_factory=dict)
    share: dict[int, Interval | None] = field(default_factory=dict)
    gap: Interval | None = None
    slope_index: Interval | None = None
    concentration_index: Interval | None = None


Number = int | float | Decimal


def resample_counts(
    strata: Sequence[int] | NDArray[np.int64], resamples: int = RESAMPLES, seed: int = SEED
) -> Iterator[NDArray[np.int64]]:
    """How often each practice is drawn in each resample, :data:`CHUNK` resamples at a time.

    Row ``b`` of a chunk counts, for each practice, its draws in resample ``b``: within every
    stratum (practices with the same ``strata`` value, in increasing order of value) as many
    draws, uniformly with replacement, as the stratum has practices (``rng.integers``: a
    chunk's draws of a stratum are one ``CHUNK x k`` matrix of positions among its ``k``
    practices, in their order in ``strata``). Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(strata)
    n = len(labels)
    members = [np.flatnonzero(labels == value) for value in np.unique(labels)]
    for start in range(0, resamples, CHUNK):
        size = min(CHUNK, resamples - start)
        counts = np.empty((size, n), dtype=np.int64)
        for group in members:
            k = len(group)
            drawn = rng.integers(0, k, size=(size, k))
            drawn += np.arange(size, dtype=np.int64)[:, None] * k
            # Counting within the stratum keeps the bins few (and in the processor's cache).
            counts[:, group] = np.bincount(drawn.ravel(), minlength=size * k).reshape(size, k)
        yield counts


def _dot(rows: Floats, column: Floats) -> Floats:
    """``rows @ column`` without BLAS: BLAS's threads, spinning on a shared machine, made a
    bootstrap three times slower."""
    out: Floats = np.einsum("ij,j->i", rows, column)
    return out


def _percentiles(values: Floats, level: float) -> Interval | None:
    if values.size == 0 or not np.all(np.isfinite(values)):
        return None
    tail = (1 - level) / 2
    lower, upper = np.quantile(values, [tail, 1 - tail])
    return Interval(float(lower), float(upper))


def _ratio(numerator: Floats, denominator: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / denominator
    out[denominator == 0] = np.nan
    return out


class _Ranks:
    """The tie groups of the scores, most deprived first: where each practice's group starts
    and ends in the line of practices sorted by score (highest first)."""

    def __init__(self, scores: Floats) -> None:
        self.order = np.argsort(-scores, kind="stable")
        ordered = scores[self.order]
        new_group = np.ones(len(ordered), dtype=bool)
        new_group[1:] = ordered[1:] != ordered[:-1]
        starts = np.flatnonzero(new_group)
        ends = np.append(starts[1:], len(ordered)) - 1
        group_of = np.cumsum(new_group) - 1
        self.start = starts[group_of]
        self.end = ends[group_of]
        self.tied = np.flatnonzero(self.start != self.end)

    def numerators(self, people: Floats) -> tuple[Floats, Floats]:
        """``r`` (rank = r / 2N) of each sorted practice, and N, for each row of ``people``
        (already in the sorted order)."""
        through = np.cumsum(people, axis=1)
        # 2 * (people more deprived) + own people = 2 * through - own, for untied practices;
        # a tied practice takes its tie group's: 2 * (people before the group) + the group's.
        r = 2 * through - people
        if self.tied.size:
            start, end = self.start[self.tied], self.end[self.tied]
            r[:, self.tied] = through[:, start] - people[:, start] + through[:, end]
        return r, through[:, -1]


def bootstrap_equity(
    amounts: Sequence[Number],
    populations: Sequence[Number],
    scores: Sequence[Number],
    groups: Sequence[int],
    *,
    quintiles: Sequence[int] | None = None,
    first: int = 1,
    last: int = 5,
    settings: Settings = DEFAULT,
) -> EquityIntervals:
    """Bootstrap intervals of the equity figures of practices (see the module's docstring).

    ``amounts`` are each practice's money, ``populations`` its patients (the weights: more
    than 0), ``scores`` its deprivation score (higher = more deprived) and ``groups`` its
    deprivation group (the strata, and the groups of ``per_patient`` and ``share``).
    ``quintiles`` (default ``groups``) are the groups whose ``first`` minus ``last`` money per
    patient is the gap.

    Everything but the money depends on the practices alone, so it is computed once per set of
    practices and kept, for a pool small enough (:data:`KEPT_DRAWS`): the next allocation of
    the same ICB's practices only weighs the kept resamples by its money.
    """
    n = len(amounts)
    if any(len(other) != n for other in (populations, scores, groups)):
        raise ValueError("amounts, populations, scores and groups must have the same length")
    if n == 0:
        return EquityIntervals()
    people = np.asarray([float(p) for p in populations])
    if not np.all(people > 0):
        raise ValueError("every population must be more than 0")
    group_of = np.asarray(groups, dtype=np.int64)
    quintile_of = group_of if quintiles is None else np.asarray(quintiles, dtype=np.int64)
    key = _DesignKey(
        people.tobytes(),
        np.asarray([float(s) for s in scores]).tobytes(),
        group_of.tobytes(),
        quintile_of.tobytes(),
        first,
        last,
        settings,
    )
    design = _kept_design(key) if n * settings.resamples <= KEPT_DRAWS else _Design(key)
    return design.intervals(np.asarray([float(a) for a in amounts]))


#: The most draws (practices x resamples) whose resamples are kept per set of practices: a
#: pool of 1,000 practices at the 2,000 resamples, four 16 MB matrices.
KEPT_DRAWS = 2_000_000
#: Sets of practices whose resamples are kept (an ICB's pool, and another being compared).
KEPT_DESIGNS = 2


class _DesignKey(NamedTuple):
    """What a bootstrap's resamples depend on: the practices' populations, scores, groups
    and quintiles (as bytes of float64 and int64 arrays), the gap's quintiles and settings."""

    people: bytes
    scores: bytes
    groups: bytes
    quintiles: bytes
    first: int
    last: int
    settings: Settings


class _Chunk(NamedTuple):
    """The money-free parts of :data:`CHUNK` resamples (see :meth:`_Design.intervals`)."""

    by_cell: Floats  # each practice's draws, the practices in cell order
    cs: Floats  # each practice's draws, the practices in deprivation order
    r: Floats  # the rank numerators of the drawn patients
    nu: Floats  # drawn patients x (rank numerator - N)
    spread: Floats
    total_people: Floats
    cell_people: Floats
    group_people: Floats


class _Design:
    """The resamples of one set of practices and all that follows from them without money."""

    def __init__(self, key: _DesignKey) -> None:
        people = np.frombuffer(key.people)
        group_of = np.frombuffer(key.groups, dtype=np.int64)
        quintile_of = np.frombuffer(key.quintiles, dtype=np.int64)
        n = len(people)
        self.settings = key.settings
        self.unit = float(people.mean())
        people = people / self.unit  # in units of the mean, then per patient again: / unit
        self.labels = [int(g) for g in np.unique(group_of)]
        # Cells of practices with the same group and quintile (a decile can straddle two
        # quintiles by a practice), contiguous in this order: sums over cells by ``reduceat``,
        # then over the cells of each group, and of the gap's two quintiles.
        self.grouped = np.lexsort((quintile_of, group_of))
        cell_keys = np.stack([group_of[self.grouped], quintile_of[self.grouped]], axis=1)
        new_cell = np.ones(n, dtype=bool)
        new_cell[1:] = np.any(cell_keys[1:] != cell_keys[:-1], axis=1)
        self.starts = np.flatnonzero(new_cell)
        cells = cell_keys[self.starts]
        self.group_starts = np.searchsorted(cells[:, 0], self.labels)
        self.gap_groups = [np.flatnonzero(cells[:, 1] == end) for end in (key.first, key.last)]
        self.ranks = _Ranks(np.frombuffer(key.scores))
        self.people_sorted = people[self.ranks.order]
        self._people = people
        self._group_of = group_of

    def chunks(self) -> Iterator[_Chunk]:
        ranks, grouped, starts = self.ranks, self.grouped, self.starts
        settings = self.settings
        for counts in resample_counts(self._group_of, settings.resamples, settings.seed):
            c = counts.astype(np.float64)
            # Sums over groups: the practices in group order, each group's columns added up.
            by_cell = c[:, grouped]
            cell_people = np.add.reduceat(by_cell * self._people[grouped], starts, axis=1)
            group_people = np.add.reduceat(cell_people, self.group_starts, axis=1)
            cs = c[:, ranks.order]
            n_i = cs * self.people_sorted
            r, total_people = ranks.numerators(n_i)
            # Slope index: 2N sum n_i u_i y_i / sum n_i u_i^2, u_i = r_i - N.
            u = r - total_people[:, None]
            nu = n_i * u
            spread = np.einsum("ij,ij->i", nu, u)
            yield _Chunk(by_cell, cs, r, nu, spread, total_people, cell_people, group_people)

    def intervals(self, money: Floats) -> EquityIntervals:
        """The intervals of the practices' figures when they have ``money``."""
        grouped, starts, unit = self.grouped, self.starts, self.unit
        money_sorted = money[self.ranks.order]
        per_head_sorted = money_sorted / self.people_sorted
        labels = self.labels
        per_patient, share, gaps, slopes, concentrations = [], [], [], [], []
        for chunk in self.chunks():
            cell_money = np.add.reduceat(chunk.by_cell * money[grouped], starts, axis=1)
            group_money = np.add.reduceat(cell_money, self.group_starts, axis=1)
            total_money = group_money.sum(axis=1)
            per_patient.append(_ratio(group_money, chunk.group_people) / unit)
            share.append(_ratio(group_money, np.repeat(total_money[:, None], len(labels), axis=1)))
            gap_per_head = np.stack(
                [
                    _ratio(cell_money[:, ends].sum(axis=1), chunk.cell_people[:, ends].sum(axis=1))
                    for ends in self.gap_groups
                ],
                axis=1,
            )
            gaps.append((gap_per_head[:, 0] - gap_per_head[:, 1]) / unit)
            # Concentration index: (sum a_i r_i - N sum a) / (N sum a), a_i the money drawn.
            weighted = np.einsum("ij,ij,j->i", chunk.cs, chunk.r, money_sorted)
            total = chunk.total_people * total_money
            concentrations.append(_ratio(weighted - total, total))
            covariance = _dot(chunk.nu, per_head_sorted)
            slopes.append(_ratio(2 * chunk.total_people * covariance, chunk.spread) / unit)

        per_patient_all, share_all = np.concatenate(per_patient), np.concatenate(share)
        level = self.settings.level
        has_gap = all(len(ends) for ends in self.gap_groups)
        return EquityIntervals(
            per_patient={
                g: _percentiles(per_patient_all[:, j], level) for j, g in enumerate(labels)
            },
            share={g: _percentiles(share_all[:, j], level) for j, g in enumerate(labels)},
            gap=_percentiles(np.concatenate(gaps), level) if has_gap else None,
            slope_index=_percentiles(np.concatenate(slopes), level),
            concentration_index=_percentiles(np.concatenate(concentrations), level),
        )


class _KeptDesign(_Design):
    """A design whose resamples are computed once and kept."""

    def __init__(self, key: _DesignKey) -> None:
        super().__init__(key)
        self._chunks = tuple(super().chunks())

    def chunks(self) -> Iterator[_Chunk]:
        return iter(self._chunks)


@functools.lru_cache(maxsize=KEPT_DESIGNS)
def _kept_design(key: _DesignKey) -> _Design:
    return _KeptDesign(key)
