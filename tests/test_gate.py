"""The regression gate's decision: calibration at the margin, power, agreement of bound,
p-value and verdict, by simulation with the gate's own functions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import binomtest, kstest, norm

from evals.decision import holm_adjust, paired_difference
from evals.gate import Verdict, classify, margin_test
from evals.statistics import item_statistics

SIMULATIONS = 2000
N_ITEMS = 200
MARGIN = 2.0
ALPHA = 0.05


def _pairs(rng: np.random.Generator, delta: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A baseline and a candidate on the same items whose true difference is ``delta``."""
    if kind == "pass-fail":  # 70% accuracy; 15% of items flip between the two runs
        flips = 0.15
        p_only_a, p_only_b = (flips - delta / 100) / 2, (flips + delta / 100) / 2
        u = rng.random(N_ITEMS)
        only_a, only_b = u < p_only_a, (u >= p_only_a) & (u < p_only_a + p_only_b)
        both = ~only_a & ~only_b & (rng.random(N_ITEMS) < 0.62)
        base = np.where(only_a | both, 100.0, 0.0)
        cand = np.where(only_b | both, 100.0, 0.0)
    else:  # ROUGE-like scores with per-item difficulty shared by both runs
        quality = 100 * rng.beta(4, 2, N_ITEMS)
        base = quality + rng.normal(0, 8, N_ITEMS)
        cand = quality + delta + rng.normal(0, 8, N_ITEMS)
    return item_statistics(list(base)), item_statistics(list(cand))


def _simulate(delta: float, kind: str, seed: int, sims: int = SIMULATIONS) -> list:
    rng = np.random.default_rng(seed)
    tests = []
    for _ in range(sims):
        base, cand = _pairs(rng, delta, kind)
        tests.append(margin_test(paired_difference(base, cand), MARGIN, ALPHA))
    return tests


@pytest.mark.parametrize("kind", ["pass-fail", "continuous"])
def test_regression_rate_at_the_margin_is_at_most_alpha_and_at_least_half(kind: str) -> None:
    """A true drop exactly equal to the allowed one: the boundary of the REGRESSION claim.

    The claim is about a probability, so it is checked as one: the observed count of 4,000
    simulations must not be significantly above α (one-sided binomial test at 1%; for the
    continuous case the t-test is exact, so its rate *is* α and a bare "observed ≤ α" would
    fail half the seeds), and must be at least α/2 (not needlessly conservative)."""
    sims = 4000
    tests = _simulate(-MARGIN, kind, seed=21, sims=sims)
    flagged = sum(classify(t, N_ITEMS, 20)[0] is Verdict.REGRESSION for t in tests)
    print(f"\nP(REGRESSION | drop = margin), {kind}: {flagged / sims:.4f}")
    assert binomtest(flagged, sims, ALPHA, alternative="greater").pvalue > 0.01
    assert flagged / sims >= ALPHA / 2


def test_p_values_at_the_margin_are_uniform() -> None:
    tests = _simulate(-MARGIN, "continuous", seed=22)
    p_values = [t.p_regression for t in tests]
    result = kstest(p_values, "uniform")
    print(f"\nKS test of p-values at the margin: D={result.statistic:.4f}, p={result.pvalue:.3f}")
    assert result.pvalue > 0.01


@pytest.mark.parametrize("kind", ["pass-fail", "continuous"])
def test_power_two_standard_errors_past_the_margin(kind: str) -> None:
    se = np.median([t.null_se for t in _simulate(-MARGIN, kind, seed=23, sims=200)])
    tests = _simulate(-(MARGIN + 2 * se), kind, seed=24, sims=1000)
    power = np.mean([classify(t, N_ITEMS, 20)[0] is Verdict.REGRESSION for t in tests])
    print(f"\npower at margin + 2·se ({MARGIN + 2 * se:.2f} points), {kind}: {power:.3f}")
    assert power >= 0.5


def test_no_change_at_n_200_says_underpowered_not_inconclusive() -> None:
    """The old gate: INCONCLUSIVE 91.7%, PASS 5.4%. The items cannot show 'within 2 points'."""
    tests = _simulate(0.0, "pass-fail", seed=25, sims=1000)
    verdicts = [classify(t, N_ITEMS, 20)[0] for t in tests]
    shares = {v.value: verdicts.count(v) / len(verdicts) for v in Verdict}
    print(f"\nverdicts under no change (pass/fail, n=200, margin 2): {shares}")
    assert shares["UNDERPOWERED"] >= 0.75 and shares["INCONCLUSIVE"] <= 0.01
    assert shares["REGRESSION"] <= ALPHA and shares["IMPROVED"] <= ALPHA


def test_one_statistic_interval_p_value_and_verdict_agree() -> None:
    rng = np.random.default_rng(26)
    for kind in ("pass-fail", "continuous"):
        for delta in (-10.0, -4.0, -2.0, 0.0, 3.0):
            base, cand = _pairs(rng, delta, kind)
            test = margin_test(paired_difference(base, cand), MARGIN, ALPHA)
            verdict = classify(test, N_ITEMS, 20)[0]
            assert (verdict is Verdict.REGRESSION) == (test.upper_bound < -MARGIN)
            assert (verdict in (Verdict.PASS, Verdict.IMPROVED)) == (test.lower_bound > -MARGIN)


def test_five_discordant_items_at_n_40_is_one_consistent_verdict() -> None:
    """Before: CI wholly below −2, exact McNemar p=0.0625, verdict INCONCLUSIVE (Holm)."""
    base = item_statistics([100.0] * 25 + [0.0] * 15)
    cand = item_statistics([0.0] * 5 + [100.0] * 20 + [0.0] * 15)
    test = margin_test(paired_difference(base, cand), MARGIN, ALPHA)
    verdict, reason = classify(test, 40, 20)
    assert test.difference.value == -12.5
    assert verdict is Verdict.REGRESSION and test.upper_bound < -MARGIN
    assert test.p_regression < ALPHA and "Holm" in reason


def test_large_observed_drop_on_few_items_says_underpowered() -> None:
    """Before: −10 with CI [−20, −1.5] on 40 items passed silently (exit 0). Four items lost,
    none gained: not enough to show a drop beyond 2 points, and not enough to rule one out."""
    base = item_statistics([100.0] * 30 + [0.0] * 10)
    cand = item_statistics([0.0] * 4 + [100.0] * 26 + [0.0] * 10)
    test = margin_test(paired_difference(base, cand), MARGIN, ALPHA)
    assert test.difference.value == pytest.approx(-10.0)
    verdict, reason = classify(test, 40, 20)
    assert verdict is Verdict.UNDERPOWERED
    assert reason.startswith("these items cannot detect a drop of the allowed size")


def test_holm_adjusts_across_use_cases() -> None:
    assert holm_adjust({"a": 0.03, "b": 0.04}) == {"a": 0.06, "b": 0.06}
    assert holm_adjust({"a": 0.01, "b": 0.04, "c": 0.03}) == pytest.approx(
        {"a": 0.03, "c": 0.06, "b": 0.06}
    )
    test = margin_test(paired_difference(*_pairs(np.random.default_rng(3), -6.0, "continuous")),
                       MARGIN, ALPHA)  # fmt: skip
    assert test.p_regression < ALPHA
    held = replace(test, p_regression_holm=0.06)
    assert classify(held, N_ITEMS, 20)[0] is not Verdict.REGRESSION


def test_minimum_detectable_drop_includes_the_margin() -> None:
    test = margin_test(paired_difference(*_pairs(np.random.default_rng(4), 0.0, "continuous")),
                       MARGIN, ALPHA)  # fmt: skip
    one = test.min_detectable_drop(1)
    assert one == pytest.approx(MARGIN + (norm.ppf(0.95) + norm.ppf(0.8)) * test.null_se)
    assert test.min_detectable_drop(3) > one  # Holm's first step is stricter


def test_too_few_items_is_underpowered() -> None:
    test = margin_test(paired_difference(*_pairs(np.random.default_rng(5), 0.0, "continuous")),
                       MARGIN, ALPHA)  # fmt: skip
    assert classify(test, 10, 20) == (Verdict.UNDERPOWERED, "only 10 items (policy min_n 20)")
