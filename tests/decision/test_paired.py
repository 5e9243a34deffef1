"""The paired difference: its p-values against independent computations, the direction of
every one-sided test, and the agreement of bounds and p-values by construction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import norm, ttest_rel

from evals.decision.intervals import resampled_sums
from evals.decision.paired import paired_difference
from evals.statistics import REDUCERS, item_statistics


def _pass_fail(only_a: int, only_b: int, both: int, neither: int) -> tuple[np.ndarray, ...]:
    a = [100.0] * only_a + [0.0] * only_b + [100.0] * both + [0.0] * neither
    b = [0.0] * only_a + [100.0] * only_b + [100.0] * both + [0.0] * neither
    return item_statistics(a), item_statistics(b)


def _tango_reference(only_a: int, only_b: int, n: int, null: float, side: str) -> float:
    """Tango's score test computed independently: the restricted MLE by numerical search."""
    b, c, m = only_a, only_b, n - only_a - only_b

    def negative_loglik(q: float) -> float:
        return -(b * np.log(q) + c * np.log(q + null) + m * np.log(1 - 2 * q - null))

    low = max(0.0, -null) + 1e-12
    high = (1 - null) / 2 - 1e-12
    q = minimize_scalar(
        negative_loglik, bounds=(low, high), method="bounded", options={"xatol": 1e-12}
    ).x
    sd = np.sqrt(n * (2 * q + null - null**2))
    gap = c - b - n * null + (0.5 if side == "less" else -0.5)
    return float(norm.cdf(gap / sd) if side == "less" else norm.sf(gap / sd))


@pytest.mark.parametrize(
    ("only_a", "only_b", "null"),
    [(12, 4, -0.02), (5, 0, -0.02), (30, 25, -0.05), (3, 9, 0.01), (20, 20, -0.1)],
)
@pytest.mark.parametrize("side", ["less", "greater"])
def test_score_test_p_value_matches_an_independent_computation(
    only_a: int, only_b: int, null: float, side: str
) -> None:
    a, b = _pass_fail(only_a, only_b, both=100, neither=200 - 100 - only_a - only_b)
    diff = paired_difference(a, b)
    assert diff.method == "paired-proportions" and diff.discordant == (only_a, only_b)
    expected = _tango_reference(only_a, only_b, 200, null, side)
    assert diff.p_value(100 * null, side) == pytest.approx(expected, rel=1e-5, abs=1e-9)


def test_at_zero_it_is_mcnemar_with_edwards_correction() -> None:
    a, b = _pass_fail(only_a=5, only_b=0, both=20, neither=15)
    diff = paired_difference(a, b)
    z = (5 - 0.5) / np.sqrt(5)
    assert diff.p_value(0.0, "two-sided") == pytest.approx(2 * norm.sf(z))
    assert diff.p_value(0.0, "less") == pytest.approx(norm.sf(z))
    assert diff.value == pytest.approx(-12.5)


def test_one_sided_tests_point_the_right_way() -> None:
    rng = np.random.default_rng(1)
    base = rng.beta(4, 2, 300) * 100
    better = item_statistics(list(np.clip(base + 8 + rng.normal(0, 5, 300), 0, 100)))
    diff = paired_difference(item_statistics(list(base)), better)
    assert diff.value > 0
    assert diff.p_value(0.0, "greater") < 1e-6 and diff.p_value(0.0, "less") > 0.999
    a, b = _pass_fail(only_a=2, only_b=30, both=100, neither=68)
    gain = paired_difference(a, b)
    assert gain.p_value(0.0, "greater") < 1e-4 and gain.p_value(0.0, "less") > 0.999


def test_mean_difference_uses_the_paired_t_test() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(50, 10, 80)
    y = x + rng.normal(1.5, 6, 80)
    diff = paired_difference(item_statistics(list(x)), item_statistics(list(y)))
    assert diff.method == "linearized-t" and diff.df == 79
    assert diff.p_value(0.0, "two-sided") == pytest.approx(ttest_rel(y, x).pvalue, rel=1e-6)


def test_corpus_f1_standard_error_agrees_with_the_bootstrap() -> None:
    rng = np.random.default_rng(3)
    n = 400
    gold = rng.integers(0, 4, n).astype(float)
    tp_a = np.minimum(gold, rng.integers(0, 4, n))
    tp_b = np.minimum(gold, rng.integers(0, 5, n))
    a = np.column_stack([tp_a, tp_a + rng.integers(0, 2, n), gold])
    b = np.column_stack([tp_b, tp_b + rng.integers(0, 2, n), gold])
    diff = paired_difference(a, b, "f1")
    sums_a, sums_b = resampled_sums([a, b], 4000, seed=0)
    boot_se = float(np.std(REDUCERS["f1"](sums_b) - REDUCERS["f1"](sums_a)))
    assert diff.se == pytest.approx(boot_se, rel=0.1)


def test_clusters_enter_the_standard_error() -> None:
    rng = np.random.default_rng(4)
    effect = np.repeat(rng.normal(0, 15, 20), 10)  # 20 passages × 10 questions
    a = rng.normal(50, 5, 200)
    b = a + effect + rng.normal(0, 5, 200)
    clusters = [f"p{i // 10}" for i in range(200)]
    clustered = paired_difference(
        item_statistics(list(a)), item_statistics(list(b)), clusters=clusters
    )
    naive = paired_difference(item_statistics(list(a)), item_statistics(list(b)))
    assert clustered.units == 20 and naive.units == 200
    assert clustered.se > 2 * naive.se


@pytest.mark.simulation
@pytest.mark.parametrize("kind", ["pass-fail", "continuous", "clustered"])
def test_bounds_and_p_values_never_disagree(kind: str) -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        clusters = None
        if kind == "pass-fail":
            only_a, only_b = rng.integers(0, 15, 2)
            a, b = _pass_fail(int(only_a), int(only_b), both=40, neither=20)
        else:
            x = rng.beta(3, 3, 60) * 100
            a = item_statistics(list(x))
            b = item_statistics(list(np.clip(x + rng.normal(-3, 10, 60), 0, 100)))
            clusters = [str(i // 3) for i in range(60)] if kind == "clustered" else None
        diff = paired_difference(a, b, clusters=clusters)
        upper, lower = diff.upper_bound(0.05), diff.lower_bound(0.05)
        assert lower <= diff.value <= upper
        for null in np.linspace(-30, 30, 121):
            assert (diff.p_value(null, "less") < 0.05) == (upper < null)
            assert (diff.p_value(null, "greater") < 0.05) == (lower > null)


def test_identical_pass_fail_outputs_cannot_exclude_a_small_drop() -> None:
    """Same answers on 40 items: no drop was seen, but 40 items cannot rule out 2 points."""
    same = item_statistics([100.0] * 30 + [0.0] * 10)
    diff = paired_difference(same, same)
    assert diff.value == 0.0 and diff.discordant == (0, 0)
    assert diff.lower_bound(0.05) < -2.0
    assert diff.p_value(-2.0, "greater") > 0.05


def test_unaligned_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="same items"):
        paired_difference(item_statistics([1.0, 2.0]), item_statistics([1.0]))


def test_the_same_difference_on_every_cluster_is_not_certainty() -> None:
    """Two passages, each with one more question right: no variation between the two units
    says nothing about the variance; the difference must not come out 'certain'."""
    a = item_statistics([0.0] * 8)
    b = item_statistics([100.0, 0.0, 0.0, 0.0] * 2)
    clusters = ["p1"] * 4 + ["p2"] * 4
    diff = paired_difference(a, b, clusters=clusters)
    assert diff.se == 0.0 and diff.value == 25.0 and diff.units == 2
    assert diff.p_value(0.0, "two-sided") == 0.5  # the exact sign-flip test of 2 units
    low, high = diff.interval(0.95)
    assert low < 0 < high
