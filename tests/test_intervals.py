"""The bootstrap intervals: checked against a slow, obvious twin, and their invariants."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity import intervals
from gpequity.inequality import concentration_index, slope_index_of_inequality
from gpequity.intervals import (
    CHUNK,
    Interval,
    Settings,
    bootstrap_equity,
    resample_counts,
)


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the order statistics (NumPy's default), by hand."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def _twin(
    amounts: list[float],
    people: list[float],
    scores: list[float],
    groups: list[int],
    settings_: Settings,
    quintiles: list[int] | None = None,
) -> dict[str, object]:
    """The same intervals, slowly: each resample written out as the list of the practices it
    drew (a practice drawn twice is there twice), its figures computed by the exact measures of
    gpequity.inequality and sums in plain Python, then sorted and interpolated by hand."""
    rows = [
        row
        for chunk in resample_counts(groups, settings_.resamples, settings_.seed)
        for row in chunk.tolist()
    ]
    figures: dict[str, list[float]] = {"gap": [], "slope": [], "concentration": []}
    labels = sorted(set(groups))
    for g in labels:
        figures[f"per_patient_{g}"] = []
        figures[f"share_{g}"] = []
    for counts in rows:
        drawn = [i for i, times in enumerate(counts) for _ in range(times)]
        a = [amounts[i] for i in drawn]
        p = [people[i] for i in drawn]
        s = [scores[i] for i in drawn]
        g = [groups[i] for i in drawn]
        qs = [(quintiles or groups)[i] for i in drawn]

        def per_patient(group: int, a=a, p=p, g=g) -> float:
            money = sum(x for x, gx in zip(a, g, strict=True) if gx == group)
            heads = sum(x for x, gx in zip(p, g, strict=True) if gx == group)
            return money / heads

        for label in labels:
            figures[f"per_patient_{label}"].append(per_patient(label))
            share = sum(x for x, gx in zip(a, g, strict=True) if gx == label) / sum(a)
            figures[f"share_{label}"].append(share)
        figures["gap"].append(per_patient(1, g=qs) - per_patient(5, g=qs))
        slope = slope_index_of_inequality([x / y for x, y in zip(a, p, strict=True)], p, s)
        figures["slope"].append(math.nan if slope is None else slope)
        index = concentration_index(a, p, s)
        figures["concentration"].append(math.nan if index is None else index)
    tail = (1 - settings_.level) / 2
    return {
        name: Interval(_percentile(values, tail), _percentile(values, 1 - tail))
        for name, values in figures.items()
    }


def _sample(seed: int, n: int) -> tuple[list[float], list[float], list[float], list[int]]:
    rng = random.Random(seed)
    people = [rng.randint(500, 15000) + rng.random() for _ in range(n)]
    amounts = [round(p * rng.uniform(100, 220), 2) for p in people]
    scores = [round(rng.uniform(2, 60), 1) for _ in range(n)]
    scores[1] = scores[0]  # a tie: tied practices share one slice of the ranking
    order = sorted(range(n), key=lambda i: (scores[i], i))  # least deprived first
    groups = [0] * n
    for position, i in enumerate(order):
        groups[i] = 1 + position * 5 // n
    return amounts, people, scores, groups


def _close(a: Interval | None, b: object) -> None:
    assert isinstance(a, Interval) and isinstance(b, Interval)
    assert a.lower == pytest.approx(b.lower, rel=1e-9, abs=1e-12)
    assert a.upper == pytest.approx(b.upper, rel=1e-9, abs=1e-12)


def test_the_bootstrap_matches_a_slow_obvious_twin() -> None:
    amounts, people, scores, groups = _sample(7, 23)
    chosen = Settings(level=0.9, resamples=CHUNK + 37, seed=11)  # two chunks, one partial
    fast = bootstrap_equity(amounts, people, scores, groups, settings=chosen)
    slow = _twin(amounts, people, scores, groups, chosen)
    for label in range(1, 6):
        _close(fast.per_patient[label], slow[f"per_patient_{label}"])
        _close(fast.share[label], slow[f"share_{label}"])
    _close(fast.gap, slow["gap"])
    _close(fast.slope_index, slow["slope"])
    _close(fast.concentration_index, slow["concentration"])


def test_deciles_that_straddle_quintiles_match_the_twin_too() -> None:
    amounts, people, scores, _ = _sample(5, 23)
    order = sorted(range(23), key=lambda i: (scores[i], i))

    def ntile(k: int) -> list[int]:
        """DuckDB's ntile: the first buckets one larger (5, 5, 5, 4, 4 fifths of 23)."""
        size, extra = divmod(23, k)
        bounds = [0]
        for b in range(k):
            bounds.append(bounds[-1] + size + (1 if b < extra else 0))
        out = [0] * 23
        for position, i in enumerate(order):
            out[i] = next(b for b in range(1, k + 1) if position < bounds[b])
        return out

    quintiles, deciles = ntile(5), ntile(10)
    # Deciles of 3, 3, 3, 2, ...: the second decile ends after the first fifth (of 5) does.
    assert {quintiles[i] for i in range(23) if deciles[i] == 2} == {1, 2}
    chosen = Settings(resamples=120, seed=2)
    fast = bootstrap_equity(amounts, people, scores, deciles, quintiles=quintiles, settings=chosen)
    slow = _twin(amounts, people, scores, deciles, chosen, quintiles=quintiles)
    _close(fast.gap, slow["gap"])
    _close(fast.per_patient[10], slow["per_patient_10"])


def test_resamples_draw_within_each_group_as_many_as_it_has() -> None:
    groups = [1, 1, 2, 2, 2, 5, 5]
    for chunk in resample_counts(groups, 40, seed=3):
        assert chunk.shape[1] == len(groups)
        assert (chunk[:, :2].sum(axis=1) == 2).all()
        assert (chunk[:, 2:5].sum(axis=1) == 3).all()
        assert (chunk[:, 5:].sum(axis=1) == 2).all()


def test_undefined_figures_have_no_interval() -> None:
    # One score for everybody: no slope to fit. No quintile 5: no gap.
    result = bootstrap_equity([10, 20, 30], [1, 2, 3], [4, 4, 4], [1, 1, 2])
    assert result.slope_index is None
    assert result.gap is None
    assert result.per_patient[1] is not None
    assert bootstrap_equity([], [], [], []).gap is None


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="same length"):
        bootstrap_equity([1], [1, 2], [1], [1])
    with pytest.raises(ValueError, match="more than 0"):
        bootstrap_equity([1, 2], [1, 0], [1, 2], [1, 5])
    with pytest.raises(ValueError, match="between 0 and 1"):
        Settings(level=1.5)


practices = st.integers(min_value=10, max_value=30).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(10, 1e6), min_size=n, max_size=n),
        st.lists(st.floats(1, 2e4), min_size=n, max_size=n),
        st.lists(st.integers(0, 80), min_size=n, max_size=n),
    )
)
SMALL = Settings(resamples=200, seed=5)


def _groups(scores: list[int]) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: (scores[i], i))
    groups = [0] * len(scores)
    for position, i in enumerate(order):
        groups[i] = 1 + position * 5 // len(scores)
    return groups


def _intervals(result: object) -> list[Interval | None]:
    return [
        *result.per_patient.values(),  # type: ignore[attr-defined]
        *result.share.values(),  # type: ignore[attr-defined]
        result.gap,  # type: ignore[attr-defined]
        result.slope_index,  # type: ignore[attr-defined]
        result.concentration_index,  # type: ignore[attr-defined]
    ]


@settings(max_examples=25, deadline=None)
@given(practices)
def test_lower_is_at_most_upper_and_a_seed_gives_the_same_intervals(data: tuple) -> None:
    amounts, people, scores = data
    groups = _groups(scores)
    first = bootstrap_equity(amounts, people, scores, groups, settings=SMALL)
    again = bootstrap_equity(amounts, people, scores, groups, settings=SMALL)
    assert first == again
    for interval in _intervals(first):
        if interval is not None:
            assert interval.lower <= interval.upper
    for interval in first.share.values():
        assert interval is not None and 0 <= interval.lower <= interval.upper <= 1


@settings(max_examples=25, deadline=None)
@given(practices, st.sampled_from([0.5, 2.0, 10.0]))
def test_intervals_scale_with_the_money_and_the_indices_do_not(data: tuple, k: float) -> None:
    amounts, people, scores = data
    groups = _groups(scores)
    base = bootstrap_equity(amounts, people, scores, groups, settings=SMALL)
    scaled = bootstrap_equity([a * k for a in amounts], people, scores, groups, settings=SMALL)
    for one, other in [
        *zip(base.per_patient.values(), scaled.per_patient.values(), strict=True),
        (base.gap, scaled.gap),
        (base.slope_index, scaled.slope_index),
    ]:
        if one is None:
            assert other is None
            continue
        assert other is not None
        assert other.lower == pytest.approx(one.lower * k, rel=1e-9, abs=1e-6)
        assert other.upper == pytest.approx(one.upper * k, rel=1e-9, abs=1e-6)
    # Shares and the concentration index do not depend on the unit of money, nor on the unit of
    # population (patients or thousands of patients).
    in_thousands = bootstrap_equity(
        amounts, [p / 1000 for p in people], scores, groups, settings=SMALL
    )
    for one, other in [
        (base.concentration_index, scaled.concentration_index),
        (base.concentration_index, in_thousands.concentration_index),
        *zip(base.share.values(), scaled.share.values(), strict=True),
    ]:
        assert (one is None) == (other is None)
        if one is not None and other is not None:
            assert other.lower == pytest.approx(one.lower, rel=1e-9, abs=1e-12)
            assert other.upper == pytest.approx(one.upper, rel=1e-9, abs=1e-12)


def test_a_wider_level_gives_a_wider_interval() -> None:
    amounts, people, scores, groups = _sample(3, 40)
    narrow = bootstrap_equity(
        amounts, people, scores, groups, settings=Settings(level=0.5, resamples=300)
    )
    wide = bootstrap_equity(
        amounts, people, scores, groups, settings=Settings(level=0.99, resamples=300)
    )
    assert narrow.gap is not None and wide.gap is not None
    assert wide.gap.lower <= narrow.gap.lower <= narrow.gap.upper <= wide.gap.upper


def test_a_pools_resamples_are_kept_and_weigh_other_money_exactly_as_drawn_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An allocation's intervals reuse the resamples of its practices (the same pool, other
    money): the figures are those of resamples drawn again, to the last bit."""
    amounts, people, scores, groups = _sample(4, 60)
    other = [a * (1 + (i % 7) / 10) for i, a in enumerate(amounts)]
    chosen = Settings(resamples=CHUNK + 11, seed=9)
    intervals._kept_design.cache_clear()

    def both() -> list[object]:
        return [
            bootstrap_equity(m, people, scores, groups, settings=chosen) for m in (amounts, other)
        ]

    kept = both()

    info = intervals._kept_design.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    monkeypatch.setattr(intervals, "KEPT_DRAWS", 0)  # too large to keep: drawn each time
    afresh = [
        bootstrap_equity(m, people, scores, groups, settings=chosen) for m in (amounts, other)
    ]
    assert intervals._kept_design.cache_info().misses == 1
    assert kept == afresh
    assert kept[0] != kept[1]
