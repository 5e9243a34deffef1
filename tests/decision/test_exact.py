"""Exact values of the decision statistics against their closed forms: the JSON forms, Wilson's
and the BCa interval, the bootstrap's resamples, power and sample size, Holm, the reducers, and
every boundary (n = 0, one unit, zero iterations, a bias correction at 0 or 1)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm
from scipy.stats import t as student_t

from evals.decision import intervals
from evals.decision.intervals import Estimate, bca_bounds, estimate, resampled_sums, wilson
from evals.decision.multiple import holm_adjust, holm_levels
from evals.decision.paired import paired_difference
from evals.decision.power import (
    POWER,
    items_needed,
    min_detectable,
    paired_proportion_se,
    power_at,
    z_sum,
)
from evals.statistics import (
    item_scores,
    item_statistics,
    reduce_macro_f1,
    reduce_macro_recall,
    reduce_precision,
    reduce_recall,
    reducer_for,
)

CONTINUOUS = item_statistics([12.0, 40.0, 33.0, 90.0, 7.0, 61.0, 55.0, 20.0, 48.0, 70.0])

# --- JSON forms -------------------------------------------------------------------------------


def test_paired_difference_json_for_both_methods() -> None:
    a = item_statistics([100.0] * 6 + [0.0] * 2 + [100.0] * 12)
    b = item_statistics([0.0] * 6 + [100.0] * 2 + [100.0] * 12)
    diff = paired_difference(a, b)
    assert diff.to_dict() == {
        "value": -20.0,
        "se": diff.se,
        "n": 20,
        "units": 20,
        "method": "paired-proportions",
        "discordant": [6, 2],
    }
    assert diff.se == pytest.approx(100 * math.sqrt((8 / 20 - 0.04) / 20))
    t = paired_difference(CONTINUOUS, CONTINUOUS + [[1.0, 0.0]] * 10)
    assert t.to_dict() == {
        "value": pytest.approx(1.0),
        "se": t.se,
        "n": 10,
        "units": 10,
        "method": "linearized-t",
        "discordant": None,
    }


def test_estimate_json_keeps_numbers_and_writes_undefined_as_null() -> None:
    est = Estimate(61.5, 50.25, 70.0, 40, "wilson-clustered", 8)
    assert est.to_dict() == {
        "value": 61.5,
        "ci_low": 50.25,
        "ci_high": 70.0,
        "n": 40,
        "method": "wilson-clustered",
        "clusters": 8,
    }
    nothing = Estimate(float("nan"), float("nan"), float("nan"), 3, "none")
    assert nothing.to_dict() == {
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "n": 3,
        "method": "none",
        "clusters": None,
    }


# --- the interval of a difference ---------------------------------------------------------------


def test_two_sided_interval_is_both_one_sided_bounds_at_half_the_rest() -> None:
    both = paired_difference(CONTINUOUS, CONTINUOUS + np.array([[v, 0.0] for v in range(10)]))
    assert both.interval(0.9) == (both.lower_bound(0.05), both.upper_bound(0.05))
    diff = replace(both, pseudo=None)  # the t-test alone (the bootstrap-t: test_bootstrap_t.py)
    q = student_t.ppf(0.95, 9) * diff.se
    assert diff.interval(0.9) == pytest.approx((diff.value - q, diff.value + q), rel=1e-12)
    q95 = student_t.ppf(0.975, 9) * diff.se
    assert diff.interval() == pytest.approx((diff.value - q95, diff.value + q95), rel=1e-12)


# --- Wilson -------------------------------------------------------------------------------------


def _wilson(successes: float, n: float, z: float) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_wilson_with_few_clusters_takes_students_quantile() -> None:
    expected = _wilson(3, 10, student_t.ppf(0.95, 4))
    assert wilson(3, 10, 0.9, df=4) == pytest.approx(expected, rel=1e-12)
    assert wilson(3, 10, 0.9) == pytest.approx(_wilson(3, 10, norm.ppf(0.95)), rel=1e-12)


def test_wilson_of_one_item_and_of_none() -> None:
    assert wilson(1, 1) == pytest.approx(_wilson(1, 1, norm.ppf(0.975)), rel=1e-12)
    low, high = wilson(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_wilson_never_leaves_zero_to_one() -> None:
    """At p = 1 the closed form's upper end is 1 + 2e-16 in floating point (n = 16)."""
    assert _wilson(16, 16, norm.ppf(0.975))[1] > 1.0
    assert wilson(16, 16)[1] == 1.0
    assert wilson(0, 16)[0] == 0.0


# --- estimate -----------------------------------------------------------------------------------


def test_a_proportion_gets_exactly_wilsons_interval_in_points() -> None:
    stats = item_statistics([100.0] * 7 + [0.0] * 13)
    low, high = wilson(7, 20, 0.9)
    assert estimate(stats, confidence=0.9) == Estimate(35.0, 100 * low, 100 * high, 20, "wilson")


def test_no_items_and_no_weight_are_undefined_with_method_none() -> None:
    empty = estimate(item_statistics([])).to_dict()
    assert empty == {
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "n": 0,
        "method": "none",
        "clusters": None,
    }
    unweighted = estimate(np.zeros((4, 2))).to_dict()
    assert unweighted == {**empty, "n": 4}


def test_two_items_already_have_an_interval() -> None:
    est = estimate(item_statistics([100.0, 0.0]))
    assert est.method == "wilson" and est.ci_low < 50.0 < est.ci_high
    cont = estimate(item_statistics([10.0, 30.0]), iterations=200)
    assert cont.method == "bca" and cont.ci_low < cont.ci_high


def test_zero_iterations_means_no_interval_and_one_iteration_a_degenerate_one() -> None:
    none = estimate(CONTINUOUS, iterations=0)
    assert (none.value, none.n, none.method, none.has_interval) == (43.6, 10, "none", False)
    assert np.isnan(none.ci_low) and np.isnan(none.ci_high)
    one = estimate(CONTINUOUS, iterations=1)
    assert one.method == "bca" and one.ci_low == one.ci_high != 43.6


def test_one_cluster_is_one_unit_no_interval_but_counted() -> None:
    """Ten questions on one passage: a value, but no interval; a zero-width one would read as
    certainty (the table showed "[9.2, 9.2]" for four questions on one SQuAD passage)."""
    est = estimate(CONTINUOUS, clusters=["p"] * 10)
    assert (est.value, est.n, est.method, est.clusters) == (43.6, 10, "none", 1)
    assert not est.has_interval and est.interval_text() == "none (one unit)"
    assert est.to_dict()["ci_low"] is None and est.to_dict()["ci_high"] is None


def test_distinct_cluster_keys_are_no_clusters() -> None:
    keys = [f"item-{i}" for i in range(10)]
    assert estimate(CONTINUOUS, clusters=keys) == estimate(CONTINUOUS)
    assert estimate(CONTINUOUS, clusters=keys).clusters is None


def test_the_bootstrap_is_seeded_with_zero_by_default() -> None:
    assert estimate(CONTINUOUS, iterations=300) == estimate(CONTINUOUS, iterations=300, seed=0)
    assert estimate(CONTINUOUS, iterations=300) != estimate(CONTINUOUS, iterations=300, seed=1)


def test_bca_estimate_is_bca_bounds_of_the_resampled_metric() -> None:
    """estimate() for a non-proportion is exactly: resample items, reduce, BCa with the
    delete-one jackknife."""
    stats = np.array(
        [
            [2.0, 3.0, 4.0],
            [1.0, 1.0, 1.0],
            [0.0, 2.0, 1.0],
            [3.0, 3.0, 3.0],
            [1.0, 2.0, 2.0],
            [0.0, 0.0, 1.0],
        ]
    )
    (sums,) = resampled_sums([stats], 500, 7)
    f1 = 100 * 2 * sums[:, 0] / (sums[:, 1] + sums[:, 2])
    rest = stats.sum(axis=0)[None, :] - stats
    jackknife = 100 * 2 * rest[:, 0] / (rest[:, 1] + rest[:, 2])
    value = 100 * 2 * 7 / 23
    low, high, method = bca_bounds(value, f1, jackknife, 0.9)
    assert estimate(stats, "f1", iterations=500, seed=7, confidence=0.9) == Estimate(
        pytest.approx(value), low, high, 6, method
    )


# --- resampling ---------------------------------------------------------------------------------


def _reference_sums(units: np.ndarray, sizes: list[int], seed: int) -> np.ndarray:
    """Each resample drawn explicitly: k unit indices with replacement, chunk by chunk."""
    rng = np.random.default_rng(seed)
    k = units.shape[0]
    out = [units[rng.integers(0, k, size=(size, k))].sum(axis=1) for size in sizes]
    return np.concatenate(out)


def test_resampled_sums_are_sums_of_units_drawn_with_replacement() -> None:
    units = np.arange(12, dtype=float).reshape(6, 2)
    (sums,) = resampled_sums([units], 25, seed=3)
    assert sums.shape == (25, 2)
    np.testing.assert_allclose(sums, _reference_sums(units, [25], 3))


def test_resampled_sums_in_chunks_draw_the_same_resamples_for_every_array(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intervals, "_CHUNK_ELEMENTS", 30)  # 30 // (5 units × 2) = 3 per chunk
    a = np.arange(10, dtype=float).reshape(5, 2)
    b = np.arange(5, dtype=float).reshape(5, 1) * 7
    sums_a, sums_b = resampled_sums([a, b], 10, seed=5)
    np.testing.assert_allclose(sums_a, _reference_sums(a, [3, 3, 3, 1], 5))
    np.testing.assert_allclose(sums_b, _reference_sums(b, [3, 3, 3, 1], 5))


def test_resampled_sums_of_one_wide_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intervals, "_CHUNK_ELEMENTS", 1)  # one resample per chunk
    units = np.array([[4.0]])
    (sums,) = resampled_sums([units], 3, seed=0)
    assert sums.tolist() == [[4.0], [4.0], [4.0]]


# --- BCa ----------------------------------------------------------------------------------------


def _bca_reference(value: float, draws: np.ndarray, jack: np.ndarray, conf: float) -> tuple:
    """Efron's BCa (1987): z0 from the share below (ties half), acceleration from the jackknife."""
    z0 = norm.ppf((np.sum(draws < value) + 0.5 * np.sum(draws == value)) / len(draws))
    d = jack.mean() - jack
    a = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5) if np.any(d) else 0.0
    alpha = (1 - conf) / 2
    lv = [norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))) for z in norm.ppf([alpha, 1 - alpha])]
    return tuple(float(x) for x in np.quantile(draws, lv))


DRAWS = np.array([1.0, 2.0, 2.0, 3.0, 3.5, 4.0, 4.0, 4.0, 5.0, 7.0, 8.0, 9.5, 12.0, 15.0, 20.0])
JACK = np.array([0.10, 0.12, 0.15, 0.11, 0.30, 0.13, 0.12, 0.45])  # skewed, tiny spread


def test_bca_matches_efrons_formula_with_ties_and_skew() -> None:
    low, high, method = bca_bounds(4.0, DRAWS, JACK, 0.8)
    assert method == "bca"
    assert (low, high) == pytest.approx(_bca_reference(4.0, DRAWS, JACK, 0.8), rel=1e-12)
    without_accel = bca_bounds(4.0, DRAWS, np.full(8, 0.2), 0.8)[:2]
    assert without_accel != pytest.approx((low, high))
    assert without_accel == pytest.approx(_bca_reference(4.0, DRAWS, np.zeros(2), 0.8), rel=1e-12)


def test_bca_with_every_draw_equal_is_that_value() -> None:
    assert bca_bounds(5.0, np.full(10, 3.0), JACK) == (3.0, 3.0, "bca")
    assert bca_bounds(3.0, np.array([3.0]), JACK) == (3.0, 3.0, "bca")


@pytest.mark.parametrize("value", [0.5, 25.0])
def test_bca_falls_back_to_percentile_when_every_draw_is_on_one_side(value: float) -> None:
    low, high, method = bca_bounds(value, DRAWS, JACK, 0.8)
    assert method == "percentile"
    assert (low, high) == (float(np.quantile(DRAWS, 0.1)), float(np.quantile(DRAWS, 0.9)))


# --- power and sample size ----------------------------------------------------------------------


def test_z_sum_splits_alpha_over_the_sides() -> None:
    assert z_sum(0.05, sides=2) == norm.ppf(0.975) + norm.ppf(0.8)
    assert z_sum(0.05, 0.9) == norm.ppf(0.95) + norm.ppf(0.9)


def test_min_detectable_difference() -> None:
    assert min_detectable(2.0, 0.05) == 2.0 * (norm.ppf(0.95) + norm.ppf(POWER))
    assert min_detectable(2.0, 0.05, 0.9, sides=2) == 2.0 * (norm.ppf(0.975) + norm.ppf(0.9))


def test_items_needed_scales_as_the_square_of_se_over_gap() -> None:
    z = norm.ppf(0.95) + norm.ppf(0.8)
    assert items_needed(3.0, 100, 2.0, 0.05) == math.ceil(100 * (z * 3.0 / 2.0) ** 2)
    z2 = norm.ppf(0.975) + norm.ppf(0.9)
    assert items_needed(0.5, 40, 0.75, 0.05, 0.9, sides=2) == math.ceil(40 * (z2 * 0.5 / 0.75) ** 2)
    assert items_needed(0.1, 10, 5.0, 0.05) == 2  # never fewer than two items


@pytest.mark.parametrize(
    ("se", "gap"),
    [(1.0, 0.0), (1.0, -1.0), (0.0, 2.0), (-1.0, 2.0), (float("nan"), 2.0), (float("inf"), 2.0)],
)
def test_items_needed_is_none_when_nothing_can_be_resolved(se: float, gap: float) -> None:
    assert items_needed(se, 50, gap, 0.05) is None


def test_paired_proportion_standard_error() -> None:
    assert paired_proportion_se(100, 0.2) == pytest.approx(100 * math.sqrt(0.2 / 100))
    assert paired_proportion_se(50, 0.3, 10.0) == pytest.approx(100 * math.sqrt(0.29 / 50))
    assert paired_proportion_se(10, 0.01, 20.0) == 0.0  # a gap larger than the discordance


def test_power_at_a_difference() -> None:
    assert power_at(3.0, 1.5, 0.05) == pytest.approx(norm.cdf(2.0 - norm.ppf(0.95)))
    assert power_at(-3.0, 1.5, 0.05, sides=2) == pytest.approx(norm.cdf(2.0 - norm.ppf(0.975)))
    assert (power_at(1.0, 0.0, 0.05), power_at(0.0, 0.0, 0.05)) == (1.0, 0.0)
    assert power_at(1.0, 0.5, 0.05) == pytest.approx(norm.cdf(2.0 - norm.ppf(0.95)))


# --- Holm ---------------------------------------------------------------------------------------


def test_holm_levels_step_up_from_alpha_over_m_until_a_step_does_not_reject() -> None:
    every = holm_levels({"a": 0.02, "b": 0.001, "c": 0.05}, 0.06)
    assert every == pytest.approx({"b": 0.02, "a": 0.03, "c": 0.06})
    # a (0.04) is not rejected at 0.03: the procedure stops, c is reported at 0.03 too.
    stopped = holm_levels({"a": 0.04, "b": 0.001, "c": 0.2}, 0.06)
    assert stopped == pytest.approx({"b": 0.02, "a": 0.03, "c": 0.03})
    assert holm_levels({}, 0.05) == {}


def test_holm_adjusted_p_values_are_capped_at_one() -> None:
    assert holm_adjust({"a": 0.6, "b": 0.7}) == {"a": 1.0, "b": 1.0}
    assert holm_adjust({"a": 0.3, "b": 0.9}) == {"a": 0.6, "b": 0.9}


# --- reducers -----------------------------------------------------------------------------------


def test_precision_and_recall_reducers() -> None:
    summed = np.array([3.0, 4.0, 6.0])
    assert float(reduce_precision(summed)) == 75.0
    assert float(reduce_recall(summed)) == 50.0
    assert float(reduce_precision(np.zeros(3))) == 0.0


def test_macro_reducers_reduce_each_resample_separately() -> None:
    """Two resamples of 2 classes at once: one value per resample."""
    batch = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 2.0], [0.0, 1.0, 2.0, 1.0, 1.0, 2.0]])
    assert reduce_macro_recall(batch).tolist() == pytest.approx([75.0, 25.0])
    assert reduce_macro_f1(batch).tolist() == pytest.approx([100 * (1 + 2 / 3) / 2, 100 / 3])


def test_item_scores_are_each_items_own_metric() -> None:
    stats = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 1.0], [2.0, 2.0, 2.0]])
    assert item_scores(stats, "f1").tolist() == [50.0, 0.0, 100.0]
    assert item_scores(item_statistics([30.0, 70.0])).tolist() == [30.0, 70.0]
    assert item_scores(np.array([1.0, 2.0, 4.0]), "recall").tolist() == [25.0]


def test_an_unknown_reducer_is_named() -> None:
    with pytest.raises(KeyError, match=r"unknown reducer 'median' for metric 'rouge1'"):
        reducer_for("rouge1", {"rouge*": "median"})
    assert reducer_for("rouge1", None) == "mean"


# --- the paired difference: every branch of its tests and bounds ---------------------------------


def _pass_fail(only_a: int, only_b: int, same_right: int, same_wrong: int) -> tuple:
    a = [100.0] * only_a + [0.0] * only_b + [100.0] * same_right + [0.0] * same_wrong
    b = [0.0] * only_a + [100.0] * only_b + [100.0] * same_right + [0.0] * same_wrong
    return item_statistics(a), item_statistics(b)


def test_pass_fail_difference_counts_discordant_items() -> None:
    diff = paired_difference(*_pass_fail(6, 2, 10, 2))
    assert (diff.value, diff.n, diff.units, diff.method, diff.discordant) == (
        -20.0,
        20,
        20,
        "paired-proportions",
        (6, 2),
    )
    assert diff.se == 100 * math.sqrt((8 / 20 - 0.2**2) / 20)
    assert diff.score_range == 100.0


def test_identical_pass_fail_outputs_show_no_difference_at_zero() -> None:
    """No discordant pair: the score statistic has no variance at Δ₀ = 0 and no gap."""
    diff = paired_difference(*_pass_fail(0, 0, 6, 4))
    assert [diff.p_value(0.0, side) for side in ("less", "greater", "two-sided")] == [1.0] * 3
    assert diff.null_se(0.0) == 0.0


def test_two_sided_score_test_with_equal_discordant_counts_is_one() -> None:
    diff = paired_difference(*_pass_fail(5, 5, 20, 10))
    assert diff.p_value(0.0) == 1.0
    uneven = paired_difference(*_pass_fail(6, 4, 20, 10))
    assert uneven.p_value(0.0) == pytest.approx(2 * norm.sf(1.5 / math.sqrt(10)), rel=1e-12)


def test_score_test_at_a_null_away_from_zero_with_identical_outputs() -> None:
    """Restricted MLE on the boundary: q = max(0, −Δ₀), so the variance is n(Δ₀ − Δ₀²)."""
    diff = paired_difference(*_pass_fail(0, 0, 6, 4))
    sd = math.sqrt(10 * (0.05 - 0.05**2))
    assert diff.p_value(5.0, "greater") == pytest.approx(norm.sf((-0.5 - 0.5) / sd), rel=1e-12)
    assert diff.null_se(5.0) == pytest.approx(100 * sd / 10, rel=1e-12)
    # at Δ₀ = −60: q = 0.6, inside the upper limit (1 − Δ₀)/2 = 0.8 on p(neither) ≥ 0
    sd_drop = math.sqrt(10 * (2 * 0.6 - 0.6 - 0.6**2))
    expected = norm.sf((6.0 - 0.5) / sd_drop)
    assert diff.p_value(-60.0, "greater") == pytest.approx(expected, rel=1e-9, abs=0)
    assert 1e-4 < expected < 1e-3


def test_a_null_at_or_beyond_the_ends_of_the_scale_is_decided_by_the_sign() -> None:
    diff = paired_difference(*_pass_fail(3, 1, 14, 2))  # c − b − nΔ₀ = −2 + 20 at Δ₀ = −100
    assert (diff.p_value(-100.0, "less"), diff.p_value(-100.0, "greater")) == (1.0, 0.0)
    flipped = paired_difference(*_pass_fail(3, 17, 0, 0))  # every item differs
    assert (flipped.p_value(100.0, "less"), flipped.p_value(100.0, "greater")) == (0.0, 1.0)
    behind = paired_difference(*_pass_fail(30, 0, 5, 5))
    assert behind.p_value(-200.0, "less") == 1.0  # c − b − nΔ₀ = −30 + 80


def test_pass_fail_bounds_stop_at_the_ends_of_the_scale() -> None:
    diff = paired_difference(*_pass_fail(5, 0, 0, 0))  # −100 observed on five items
    assert diff.lower_bound(0.05) == -100.0 + 1e-9
    assert -100.0 < diff.upper_bound(0.05) < -10.0
    gain = paired_difference(*_pass_fail(0, 5, 0, 0))
    assert gain.upper_bound(0.05) == 100.0 - 1e-9 and 10.0 < gain.lower_bound(0.05) < 100.0


def test_mean_difference_t_test_values() -> None:
    a = item_statistics([10.0, 20.0, 30.0, 40.0, 55.0])
    b = item_statistics([12.0, 19.0, 35.0, 48.0, 56.0])
    diff = replace(paired_difference(a, b), pseudo=None)  # the t-test alone
    d = np.array([2.0, -1.0, 5.0, 8.0, 1.0])
    se = d.std(ddof=1) / math.sqrt(5)
    assert (diff.value, diff.units, diff.df, diff.method) == (
        pytest.approx(3.0),
        5,
        4,
        "linearized-t",
    )
    assert diff.se == pytest.approx(se, rel=1e-9)
    t = (3.0 - 1.0) / se
    assert diff.p_value(1.0, "less") == pytest.approx(student_t.cdf(t, 4), rel=1e-9)
    assert diff.p_value(1.0, "greater") == pytest.approx(student_t.sf(t, 4), rel=1e-9)
    assert diff.p_value(1.0) == pytest.approx(2 * student_t.sf(t, 4), rel=1e-9)
    assert diff.p_value(3.0) == pytest.approx(1.0)
    assert diff.p_value() == diff.p_value(0.0, "two-sided") != diff.p_value(1.0, "two-sided")
    q = student_t.ppf(0.9, 4) * diff.se
    assert (diff.lower_bound(0.1), diff.upper_bound(0.1)) == pytest.approx(
        (3.0 - q, 3.0 + q), rel=1e-9
    )


def test_one_item_decides_nothing() -> None:
    """One unit: the exact sign-flip test gives 0.5 one-sided at best; no bound is finite."""
    diff = paired_difference(item_statistics([10.0]), item_statistics([30.0]))
    assert diff.value == 20.0 and math.isnan(diff.se) and diff.df == 1
    assert math.isnan(diff.null_se(0.0))
    assert [diff.p_value(0.0, s) for s in ("less", "greater", "two-sided")] == [1.0, 0.5, 1.0]
    assert [diff.p_value(25.0, s) for s in ("less", "greater", "two-sided")] == [0.5, 1.0, 1.0]
    assert [diff.p_value(20.0, s) for s in ("less", "greater", "two-sided")] == [1.0, 1.0, 1.0]
    assert diff.p_value() == 1.0  # the default: two-sided at Δ₀ = 0
    assert (diff.lower_bound(0.05), diff.upper_bound(0.05)) == (-80.0, 100.0)


def test_a_constant_shift_has_the_bhatia_davis_spread_at_the_null() -> None:
    a = item_statistics([10.0, 40.0, 70.0, 20.0])
    diff = paired_difference(a, a + [[5.0, 0.0]] * 4)
    assert diff.se == pytest.approx(0.0, abs=1e-9)
    diff = replace(diff, se=0.0)
    assert diff.null_se(-2.0) == pytest.approx(math.sqrt(2 * 98 / 4), rel=1e-12)
    assert diff.null_se(-10.0) == pytest.approx(math.sqrt(10 * 90 / 4), rel=1e-12)
    assert diff.null_se(0.0) == 0.0
    # At Δ₀ = 0 the exact sign-flip test of 4 agreeing units: 1/16 one-sided, 1/8 two-sided.
    assert diff.p_value(0.0, "greater") == 1 / 16 and diff.p_value(0.0) == 1 / 8
    half = replace(diff, value=0.5)  # every unit half a point up: the same exact test
    assert half.p_value(0.0, "greater") == 1 / 16 and half.p_value(0.0, "less") == 1.0
    rating = replace(diff, score_range=9.0, value=1.0)
    assert rating.null_se(-2.0) == pytest.approx(math.sqrt(2 * 7 / 4), rel=1e-12)
    assert rating.null_se(-20.0) == 0.0  # Δ₀ beyond the scale


def test_identical_continuous_outputs_have_bounds_from_the_bhatia_davis_spread() -> None:
    same = item_statistics([10.0, 40.0, 70.0, 20.0, 90.0])
    diff = paired_difference(same, same)
    assert (diff.value, diff.se) == (0.0, 0.0)
    upper, lower = diff.upper_bound(0.05), diff.lower_bound(0.05)
    assert upper == pytest.approx(-lower, rel=1e-6) and upper > 0
    assert diff.p_value(upper, "less") == pytest.approx(0.05, abs=1e-6)
    assert diff.p_value(lower, "greater") == pytest.approx(0.05, abs=1e-6)
    assert [diff.p_value(0.0, s) for s in ("less", "greater", "two-sided")] == [1.0] * 3
    narrow = paired_difference(same, same, score_range=9.0)
    assert narrow.score_range == 9.0 and narrow.upper_bound(0.05) < 9.0 < upper


def test_clustered_pass_fail_items_use_the_t_test_over_clusters() -> None:
    a, b = _pass_fail(4, 1, 3, 2)
    clusters = ["p1", "p1", "p2", "p2", "p3", "p3", "p4", "p4", "p5", "p5"]
    diff = paired_difference(a, b, clusters=clusters)
    assert (diff.method, diff.units, diff.df, diff.discordant) == ("linearized-t", 5, 4, None)
    d = (b[:, 0] - a[:, 0]).reshape(5, 2).sum(axis=1) / 10
    assert diff.se == pytest.approx(math.sqrt(5 / 4 * np.sum((d - d.mean()) ** 2)), rel=1e-6)


def test_entity_f1_difference_has_the_delta_method_standard_error() -> None:
    a = np.array([[1.0, 2.0, 2.0], [0.0, 1.0, 1.0], [2.0, 2.0, 3.0], [1.0, 1.0, 2.0]])
    b = np.array([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0], [2.0, 3.0, 3.0], [0.0, 1.0, 2.0]])
    diff = paired_difference(a, b, "f1")

    def f1_grad(t: np.ndarray) -> np.ndarray:
        s = t[1] + t[2]
        return np.array([200 / s, -200 * t[0] / s**2, -200 * t[0] / s**2])

    ta, tb = a.sum(axis=0), b.sum(axis=0)
    influence = (a - a.mean(axis=0)) @ -f1_grad(ta) + (b - b.mean(axis=0)) @ f1_grad(tb)
    assert diff.value == pytest.approx(200 * 5 / 15 - 200 * 4 / 14)
    assert diff.se == pytest.approx(math.sqrt(4 / 3 * np.sum(influence**2)), rel=1e-6)
    assert diff.method == "linearized-t" and diff.discordant is None


def test_a_mean_over_non_binary_scores_is_not_a_proportion() -> None:
    diff = paired_difference(item_statistics([0.0, 100.0, 50.0]), item_statistics([100.0] * 3))
    assert diff.method == "linearized-t"


def test_paired_difference_rejects_unaligned_or_empty_input() -> None:
    with pytest.raises(ValueError, match=r"^paired statistics need the same items in the same "):
        paired_difference(item_statistics([1.0, 2.0]), item_statistics([1.0]))
    with pytest.raises(ValueError, match=r"^no items to compare$"):
        paired_difference(item_statistics([]), item_statistics([]))


# --- building blocks ------------------------------------------------------------------------------


def test_linearized_variance_over_independent_units() -> None:
    units = np.array([[1.0], [3.0]])
    assert intervals.linearized_variance(units, np.array([1.0])) == 4.0
    three = np.array([[1.0, 1.0], [2.0, 1.0], [6.0, 1.0]])
    expected = 3 / 2 * np.sum((np.array([1.0, 2.0, 6.0]) - 3.0) ** 2) * 4
    assert intervals.linearized_variance(three, np.array([2.0, 5.0])) == pytest.approx(expected)
    assert math.isnan(intervals.linearized_variance(np.array([[1.0]]), np.array([1.0])))


def test_gradient_of_f1_is_its_derivative() -> None:
    totals = np.array([3.0, 4.0, 5.0])
    expected = [200 / 9, -200 * 3 / 81, -200 * 3 / 81]
    assert intervals.gradient("f1", totals) == pytest.approx(expected, rel=1e-6)
    small = np.array([0.5, 1.0, 1.0])
    assert intervals.gradient("f1", small) == pytest.approx([100, -25, -25], rel=1e-6)


def test_proportion_detection_edges() -> None:
    assert intervals.is_proportion(np.array([[100.0, 1.0], [0.0, 1.0]]))
    assert not intervals.is_proportion(np.array([100.0, 0.0]))  # one-dimensional
    assert not intervals.is_proportion(np.array([[100.0, 1.0, 1.0]]))  # three statistics
    assert not intervals.is_proportion(np.zeros((0, 2)))
    assert not intervals.is_proportion(np.array([[100.0, 2.0], [0.0, 2.0]]))  # weight 2
    assert not intervals.is_proportion(np.array([[1.0, 1.0], [0.0, 1.0]]))  # 0/1, not 0/100


def test_cluster_keys_edges() -> None:
    assert not intervals.has_clusters(None)
    assert not intervals.has_clusters(["a", "b", "c"])
    assert intervals.has_clusters(["a", "b", "a"])
    assert intervals.has_clusters([1, "1"])  # keys compare as text
    stats = np.array([[1.0, 1.0], [2.0, 1.0]])
    assert intervals.cluster_sums(stats, None) is stats
    with pytest.raises(ValueError, match=r"^one cluster key per item is needed$"):
        intervals.cluster_sums(stats, ["a"])


def test_item_statistics_shapes() -> None:
    assert item_statistics([]).shape == (0, 2)
    assert item_statistics([3, 4.5]).tolist() == [[3.0, 1.0], [4.5, 1.0]]
    assert item_statistics([[1, 2, 3], [4, 5, 6]]).tolist() == [[1, 2, 3], [4, 5, 6]]
    assert item_statistics([[80.0, 2.0]]).tolist() == [[80.0, 2.0]]
    assert item_statistics(np.array([7.0])).dtype == float
    assert item_statistics([[1, 2, 3]]).dtype == float and item_statistics([3]).dtype == float


def test_a_mean_over_no_weight_is_zero_in_the_reducer() -> None:
    from evals.statistics import reduce_mean

    assert float(reduce_mean(np.array([5.0, 0.0]))) == 0.0
    assert float(reduce_mean(np.array([6.0, 4.0]))) == 1.5
    assert reduce_mean(np.array([[6.0, 4.0], [1.0, 0.0]])).tolist() == [1.5, 0.0]
    assert float(reduce_mean(np.array([40.0, 0.5]))) == 80.0  # a total weight below one


# --- Wilson on clustered items --------------------------------------------------------------------


def _clustered_wilson(values: list[float], clusters: list[str], confidence: float) -> tuple:
    """Wilson at the effective size n / design effect (never above n), t with K − 1 df."""
    y = np.array(values) / 100
    keys = list(dict.fromkeys(clusters))
    sums = np.array([[y[[c == k for c in clusters]].sum(), clusters.count(k)] for k in keys])
    n, p = len(values), y.mean()
    ratio_var = len(keys) / (len(keys) - 1) * np.sum(((sums[:, 0] - p * sums[:, 1]) / n) ** 2)
    srs = p * (1 - p) / n
    n_eff = n * srs / ratio_var if ratio_var > srs else n
    z = student_t.ppf(0.5 + confidence / 2, len(keys) - 1)
    return tuple(100 * x for x in _wilson(p * n_eff, n_eff, z))


def test_clustered_proportion_interval_uses_the_design_effect() -> None:
    """Questions on one passage tend to be right or wrong together: wider than Wilson."""
    values = [100.0] * 4 + [0.0] * 4 + [100.0] * 3 + [0.0] + [100.0] * 2 + [0.0] * 2
    clusters = [f"p{i // 4}" for i in range(16)]
    est = estimate(item_statistics(values), clusters=clusters, confidence=0.9)
    low, high = _clustered_wilson(values, clusters, 0.9)
    assert (est.method, est.clusters, est.n) == ("wilson-clustered", 4, 16)
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), rel=1e-9)
    plain = estimate(item_statistics(values), confidence=0.9)
    assert est.ci_high - est.ci_low > plain.ci_high - plain.ci_low


def test_clusters_that_vary_less_than_items_keep_the_item_count() -> None:
    """Every passage half right: the design effect is below one and is not used."""
    values = [100.0, 0.0] * 8
    clusters = [f"p{i // 2}" for i in range(16)]
    est = estimate(item_statistics(values), clusters=clusters, confidence=0.9)
    low, high = wilson(8, 16, 0.9, df=7)
    assert (est.method, est.clusters) == ("wilson-clustered", 8)
    assert (est.ci_low, est.ci_high) == pytest.approx((100 * low, 100 * high), rel=1e-12)


def test_identical_outputs_under_a_corpus_reducer_have_no_spread() -> None:
    """The numerical gradient leaves rounding noise (~1e-15) on identical units: it is zero."""
    counts = np.array([[1.0, 2.0, 2.0], [0.0, 1.0, 1.0], [2.0, 2.0, 3.0], [1.0, 3.0, 2.0]] * 3)
    diff = paired_difference(counts, counts, "f1")
    assert (diff.value, diff.se) == (0.0, 0.0)
    assert diff.p_value(0.0) == 1.0 and diff.p_value(0.0, "greater") == 1.0
