"""Intervals: nominal coverage where the percentile bootstrap undercovers, cluster-aware
widths, and the exact values of the Wilson interval."""

from __future__ import annotations

import numpy as np
import pytest

from evals.decision.intervals import cluster_sums, estimate, is_proportion, wilson
from evals.statistics import item_statistics


def _binary(rng: np.random.Generator, p: float, n: int) -> np.ndarray:
    return item_statistics(list((rng.random(n) < p) * 100.0))


@pytest.mark.simulation
@pytest.mark.parametrize("p", [0.05, 0.5])
def test_proportion_interval_covers_at_least_93_percent_at_n_64(p: float) -> None:
    """10,000 simulated runs of 64 pass/fail items (Monte Carlo se 0.24 points)."""
    rng = np.random.default_rng(7)
    sims = 10_000
    hits = 0
    for _ in range(sims):
        est = estimate(_binary(rng, p, 64))
        assert est.method == "wilson"
        hits += est.ci_low <= 100 * p <= est.ci_high
    coverage = hits / sims
    print(f"\ncoverage at p={p}, n=64: {coverage:.4f}")
    assert coverage >= 0.93


@pytest.mark.simulation
def test_continuous_metric_interval_covers_near_the_floor() -> None:
    """BCa over items for a skewed score near 0 (ROUGE-like, mean 9.1)."""
    rng = np.random.default_rng(8)
    sims, hits, truth = 600, 0, 100 * 0.5 / 5.5
    for s in range(sims):
        est = estimate(item_statistics(list(rng.beta(0.5, 5, 64) * 100)), iterations=1000, seed=s)
        assert est.method == "bca"
        hits += est.ci_low <= truth <= est.ci_high
    print(f"\nBCa coverage (beta(0.5, 5), n=64): {hits / sims:.3f}")
    assert hits / sims >= 0.92


def _clustered(rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """16 passages of 4 questions; each passage has its own difficulty."""
    p = rng.beta(2, 2, 16)
    values = (rng.random((16, 4)) < p[:, None]).ravel() * 100.0
    return item_statistics(list(values)), [f"passage-{i // 4}" for i in range(64)]


@pytest.mark.simulation
def test_clusters_widen_the_interval_and_restore_coverage() -> None:
    rng = np.random.default_rng(9)
    sims, with_clusters, without = 2000, 0, 0
    for _ in range(sims):
        stats, clusters = _clustered(rng)
        a, b = estimate(stats, clusters=clusters), estimate(stats)
        with_clusters += a.ci_low <= 50 <= a.ci_high
        without += b.ci_low <= 50 <= b.ci_high
    print(
        f"\nclustered coverage: resampling passages {with_clusters / sims:.3f}, "
        f"ignoring them {without / sims:.3f}"
    )
    assert with_clusters / sims >= 0.93
    assert without / sims < 0.90  # the independence assumption really does undercover here


def test_wilson_matches_the_closed_form() -> None:
    low, high = wilson(3, 64)
    z = 1.959963984540054
    p = 3 / 64
    centre = (p + z * z / 128) / (1 + z * z / 64)
    half = z * np.sqrt(p * (1 - p) / 64 + z * z / (4 * 64 * 64)) / (1 + z * z / 64)
    assert (low, high) == pytest.approx((centre - half, centre + half))
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)


def test_cluster_statistics_are_summed_per_cluster_in_order() -> None:
    stats = np.array([[1.0, 1], [2, 1], [3, 1], [4, 1]])
    summed = cluster_sums(stats, ["b", "a", "b", "c"])
    assert summed.tolist() == [[4.0, 2.0], [2.0, 1.0], [4.0, 1.0]]
    est = estimate(stats, clusters=["b", "a", "b", "c"])
    assert est.clusters == 3 and est.n == 4


def test_proportion_detection_and_degenerate_inputs() -> None:
    assert is_proportion(item_statistics([0.0, 100.0]))
    assert not is_proportion(item_statistics([0.0, 50.0]))
    assert not is_proportion(np.array([[100.0, 1.0], [0.0, 0.0]]))
    assert estimate(item_statistics([])).n == 0
    one = estimate(item_statistics([42.0]))
    assert (one.value, one.method, one.has_interval) == (42.0, "none", False)
    undefined = estimate(np.array([[0.0, 0.0], [0.0, 0.0]]))
    assert not undefined.defined and undefined.to_dict()["value"] is None
    # Every bootstrap resample equal: no spread in the data, which is not certainty, so no
    # interval (was [30.0, 30.0]); a pass/fail score all 0 still gets Wilson's interval.
    constant = estimate(item_statistics([30.0] * 20))
    assert (constant.value, constant.method, constant.has_interval) == (30.0, "constant", False)
    assert constant.interval_text() == "none (no spread)"
    assert estimate(item_statistics([0.0] * 20)).ci_high > 10.0
    # Up to rounding: 1/3 on every item differs between resamples in the last bits only.
    for value in (100.0 / 3.0, 0.1, 300.0 / 11.0):
        assert estimate(item_statistics([value] * 20)).method == "constant", value


def test_corpus_f1_with_no_true_positive_has_no_interval() -> None:
    """30 NER sentences, entities predicted and gold but none matching: F1 0 in every resample.
    Before: a zero-width [0.00, 0.00]; now no interval. One true positive anywhere brings the
    bootstrap back."""
    none_right = np.array([[0.0, 2.0, 3.0]] * 30)  # [tp, predicted, gold] per sentence
    f1 = estimate(none_right, "f1", iterations=400)
    assert f1.value == 0.0 and f1.method == "constant" and not f1.has_interval
    assert f1.to_dict()["ci_low"] is None
    one_right = none_right.copy()
    one_right[0, 0] = 1.0
    some = estimate(one_right, "f1", iterations=400)
    assert some.has_interval and some.ci_low < some.value < some.ci_high


def test_a_mean_over_the_items_it_applies_to_is_estimated_on_those_items() -> None:
    """Before: QA's has-answer F1 on 8 questions, 4 answerable and all scored 0, gave [0, 0]
    (a bootstrap of four zeros and four zero weights), which reads as certainty."""
    stats = np.array([[0.0, 1.0], [0.0, 0.0]] * 4)
    got = estimate(stats)
    assert got.value == 0.0 and got.n == 4 and got.method == "wilson"
    assert got.ci_high == pytest.approx(100 * wilson(0, 4, 0.95)[1]) and got.ci_high > 40
    clusters = ["a", "a", "b", "b", "c", "c", "d", "d"]
    clustered = estimate(stats, clusters=clusters)
    assert clustered.n == 4 and clustered.ci_high > 40
    continuous = np.array([[50.0, 1.0], [0.0, 0.0], [70.0, 1.0], [0.0, 0.0], [20.0, 1.0]])
    assert estimate(continuous).value == pytest.approx(140 / 3)
    assert estimate(continuous).n == 3


def test_an_estimate_of_nothing_scored_says_so_instead_of_an_interval() -> None:
    from evals.decision.intervals import Estimate

    nothing = Estimate(float("nan"), float("nan"), float("nan"), 0, "none")
    assert not nothing.defined and nothing.interval_text() == "no scored item"
    assert Estimate(50.0, 40.0, 60.0, 9).interval_text(2) == "[40.00, 60.00]"
