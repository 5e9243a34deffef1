"""The regression gate's decision: calibration at the margin, power, agreement of bound,
p-value and verdict, by simulation through :func:`evals.gate.decide.decide` itself (the function
whose verdicts and bounds the gate prints), at fewer repetitions than the documented figures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from evals.decision import holm_adjust, paired_difference
from evals.gate.decide import Verdict, classify, margin_test
from evals.gate.simulate import continuous, pass_fail, simulate_verdicts
from evals.statistics import item_statistics

N_ITEMS = 200
MARGIN = 2.0
ALPHA = 0.05


def _pairs(rng: np.random.Generator, delta: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A baseline and a candidate on the same items whose true difference is ``delta``."""
    generate = pass_fail if kind == "pass-fail" else continuous
    base, cand, _ = generate(rng, N_ITEMS, delta)
    return item_statistics(list(base)), item_statistics(list(cand))


def _decided(kind: str, delta: float, sims: int, seed: int, folder: Path) -> list:
    """Verdicts of :func:`evals.gate.decide.decide` on ``sims`` simulated comparisons (the full
    figures, at 2,000 each: ``scripts/gate_calibration.py``)."""
    return simulate_verdicts(kind, N_ITEMS, delta, MARGIN, sims, seed, folder)


@pytest.mark.simulation
@pytest.mark.parametrize(("kind", "sims"), [("pass-fail", 400), ("continuous", 80)])
def test_regression_rate_at_the_margin_is_at_most_alpha_and_not_far_below(
    kind: str, sims: int, tmp_path: Path
) -> None:
    """A true drop exactly equal to the allowed one: the boundary of the REGRESSION claim. The
    claim is about a probability, so it is checked as one: the count must not be significantly
    above α, nor significantly below α/2 (not needlessly conservative); binomial tests at 1%."""
    verdicts = _decided(kind, -MARGIN, sims, seed=21, folder=tmp_path)
    flagged = sum(v.verdict is Verdict.REGRESSION for v in verdicts)
    print(f"\nP(REGRESSION | drop = margin), {kind}: {flagged / sims:.4f}")
    assert binomtest(flagged, sims, ALPHA, alternative="greater").pvalue > 0.01
    assert binomtest(flagged, sims, ALPHA / 2, alternative="less").pvalue > 0.01


@pytest.mark.simulation
def test_p_values_at_the_margin_are_never_smaller_than_uniform(tmp_path: Path) -> None:
    """Both one-sided p-values at the margin: P(p ≤ u) must not be significantly above u (the
    t-test alone is uniform there for normal differences; with the bootstrap-t they are at
    least as large)."""
    verdicts = _decided("continuous", -MARGIN, 60, seed=22, folder=tmp_path)
    for name in ("p_regression", "p_noninferior"):
        p_values = np.array([getattr(v.test, name) for v in verdicts])
        for u in (0.02, 0.05, 0.1, 0.25, 0.5):
            below = int(np.sum(p_values <= u))
            assert binomtest(below, len(p_values), u, alternative="greater").pvalue > 0.01


@pytest.mark.simulation
@pytest.mark.parametrize(("kind", "sims"), [("pass-fail", 200), ("continuous", 50)])
def test_power_two_standard_errors_past_the_margin(kind: str, sims: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(23)
    se = np.median(
        [
            margin_test(paired_difference(*_pairs(rng, -MARGIN, kind)), MARGIN, ALPHA).null_se
            for _ in range(50)
        ]
    )
    verdicts = _decided(kind, -(MARGIN + 2 * se), sims, seed=24, folder=tmp_path)
    flagged = sum(v.verdict is Verdict.REGRESSION for v in verdicts)
    print(f"\npower at margin + 2·se ({MARGIN + 2 * se:.2f} points), {kind}: {flagged / sims:.3f}")
    assert binomtest(flagged, sims, 0.5, alternative="less").pvalue > 0.01


@pytest.mark.simulation
def test_no_change_at_n_200_says_underpowered_not_inconclusive(tmp_path: Path) -> None:
    """The old gate: INCONCLUSIVE 91.7%, PASS 5.4%. The items cannot show 'within 2 points'."""
    verdicts = [v.verdict for v in _decided("pass-fail", 0.0, 400, seed=25, folder=tmp_path)]
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
    test = margin_test(
        paired_difference(*_pairs(np.random.default_rng(3), -6.0, "continuous")), MARGIN, ALPHA
    )
    assert test.p_regression < ALPHA
    held = replace(test, p_regression_holm=0.06)
    assert classify(held, N_ITEMS, 20)[0] is not Verdict.REGRESSION


def test_minimum_detectable_drop_includes_the_margin() -> None:
    test = margin_test(
        paired_difference(*_pairs(np.random.default_rng(4), 0.0, "continuous")), MARGIN, ALPHA
    )
    one = test.min_detectable_drop(1)
    assert one == pytest.approx(MARGIN + (norm.ppf(0.95) + norm.ppf(0.8)) * test.null_se)
    assert test.min_detectable_drop(3) > one  # Holm's first step is stricter


def test_too_few_items_is_underpowered() -> None:
    test = margin_test(
        paired_difference(*_pairs(np.random.default_rng(5), 0.0, "continuous")), MARGIN, ALPHA
    )
    assert classify(test, 10, 20) == (Verdict.UNDERPOWERED, "only 10 items (policy min_n 20)")
