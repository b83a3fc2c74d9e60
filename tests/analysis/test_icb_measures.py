"""Every ICB's three measures for the map (``gpequity.analysis.icb_measures``), on a small
synthetic warehouse: the gap and the payments per weighted patient are the datapack's own
figures, the mean IMD score a simple Python twin's; the colour classes by hand-worked tables
and properties."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpequity.analysis.icb import icb_payments, resolve_icb
from gpequity.analysis.icb_measures import (
    CLASSES,
    Measure,
    class_of,
    diverging_breaks,
    icb_measures,
    quantile_breaks,
)
from gpequity.analysis.payments import By, payments_by_deprivation
from gpequity.sources.demo import generate_demo
from gpequity.warehouse.build import build_warehouse

CLOSE = 1e-9


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    tmp = tmp_path_factory.mktemp("icb-measures")
    generate_demo(tmp / "demo", seed=5, practices=300)
    build_warehouse(tmp / "demo.duckdb", [tmp / "demo"])
    connection = duckdb.connect(str(tmp / "demo.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_every_icb_of_the_year_is_measured_once(con: duckdb.DuckDBPyConnection) -> None:
    measures = icb_measures(con)
    codes = [i.code for i in measures.icbs]
    year_codes = con.execute(
        "SELECT DISTINCT icb_code FROM payment_icbs_today WHERE year = ? ORDER BY 1",
        [measures.year],
    ).fetchall()
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert codes == [str(r[0]) for r in year_codes]
    assert sum(i.practices for i in measures.icbs) == measures.england.practices


def test_the_gap_and_payments_are_the_datapacks(con: duckdb.DuckDBPyConnection) -> None:
    measures = icb_measures(con)
    by_icb = payments_by_deprivation(con, measures.year, by=By.icb)
    for icb in measures.icbs:
        pack = icb_payments(con, measures.year, resolve_icb(con, measures.year, icb.code))
        assert icb.gap_q1_minus_q5 == pack.all_payments.icb_gap_q1_minus_q5
        assert icb.gap_q1_minus_q5 == by_icb.gap_q1_minus_q5.get(icb.code)
        per_weighted = pack.all_payments.icb_per_weighted_patient
        assert icb.per_weighted_patient == pytest.approx(per_weighted, rel=CLOSE)
    assert measures.england.gap_q1_minus_q5 == pack.all_payments.england_gap_q1_minus_q5
    england = pack.all_payments.england_per_weighted_patient
    assert measures.england.per_weighted_patient == pytest.approx(england, rel=CLOSE)


def test_the_mean_imd_score_is_weighted_by_registered_patients(
    con: duckdb.DuckDBPyConnection,
) -> None:
    measures = icb_measures(con)
    rows = con.execute(
        "SELECT t.icb_code, p.registered_patients, i.score FROM payments p "
        "JOIN payment_icbs_today t ON t.year = p.year AND t.practice_code = p.practice_code "
        "LEFT JOIN practice_imd_year i ON i.year = p.year AND i.practice_code = p.practice_code "
        "WHERE p.year = ?",
        [measures.year],
    ).fetchall()
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for code, patients, score in rows:
        if score is None or not patients or patients <= 0:
            continue
        for key in (str(code), "England"):
            sums[key][0] += float(score) * float(patients)
            sums[key][1] += float(patients)
    for icb in measures.icbs:
        assert icb.mean_imd_score == pytest.approx(sums[icb.code][0] / sums[icb.code][1])
    england = sums["England"][0] / sums["England"][1]
    assert measures.england.mean_imd_score == pytest.approx(england)


def test_each_measure_is_read_by_its_name(con: duckdb.DuckDBPyConnection) -> None:
    icb = icb_measures(con).icbs[0]
    assert icb.value(Measure.gap) == icb.gap_q1_minus_q5
    assert icb.value(Measure.per_weighted) == icb.per_weighted_patient
    assert icb.value(Measure.imd) == icb.mean_imd_score


# --- colour classes: spec tables -----------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "breaks"),
    [
        (list(range(1, 11)), (3, 5, 7, 9)),  # ten values: two in each class
        ([1, 1, 1, 1, 2], (2,)),  # four alike: two classes only
        ([4.0], ()),  # one value: one class
        ([], ()),
    ],
)
def test_quantile_breaks(values: list[float], breaks: tuple[float, ...]) -> None:
    assert quantile_breaks(values) == breaks


def test_ten_values_fall_two_in_each_quantile_class() -> None:
    breaks = quantile_breaks(list(range(1, 11)))
    assert [class_of(v, breaks) for v in range(1, 11)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_diverging_breaks_are_symmetric_about_nought() -> None:
    # Sizes 0, 10, 10: the reach is 10, so five classes 4 wide centred on nought.
    breaks = diverging_breaks([-10.0, 0.0, 10.0])
    assert breaks == pytest.approx((-6.0, -2.0, 2.0, 6.0))
    assert [class_of(v, breaks) for v in (-10.0, -3.0, 0.0, 3.0, 10.0)] == [0, 1, 2, 3, 4]


def test_one_outlier_does_not_squash_the_diverging_scale() -> None:
    values = [float(v) for v in range(-9, 10)] + [350.0]
    breaks = diverging_breaks(values)
    # The reach is the 90th percentile of the sizes (9), not 350: -9 and 9 in the outer classes.
    assert class_of(-9.0, breaks) == 0 and class_of(9.0, breaks) == CLASSES - 1
    assert class_of(350.0, breaks) == CLASSES - 1


def test_all_nought_is_the_middle_class() -> None:
    assert class_of(0.0, diverging_breaks([0.0, 0.0])) == CLASSES // 2
    with pytest.raises(ValueError, match="odd"):
        diverging_breaks([1.0], classes=4)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200)
@given(st.lists(finite, min_size=1, max_size=60))
def test_classes_rise_with_the_value(values: list[float]) -> None:
    for breaks in (quantile_breaks(values), diverging_breaks(values)):
        assert list(breaks) == sorted(breaks)
        assert len(breaks) <= CLASSES - 1
        ordered = sorted(values)
        classes = [class_of(v, breaks) for v in ordered]
        assert classes == sorted(classes)
        assert all(0 <= c < CLASSES for c in classes)


@settings(max_examples=200)
@given(st.lists(finite, min_size=1, max_size=60))
def test_the_lowest_value_is_in_the_first_quantile_class(values: list[float]) -> None:
    assert class_of(min(values), quantile_breaks(values)) == 0
