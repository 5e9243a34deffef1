"""UNDERPOWERED from the design: the power threshold at every value around it, and the same
design (baseline, items, margin, policy) giving the same label whatever the candidate did."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from evals.decision import paired_difference
from evals.decision.power import POWER, planning_se
from evals.gate.decide import Verdict, classify, decide, margin_test
from evals.gate.policy import GatePolicy, UseCaseRule
from evals.gate.simulate import stored_run
from evals.statistics import item_statistics


def _neither_shown() -> object:
    """A test that shows neither a drop beyond 2 nor its absence."""
    same = [100.0] * 150 + [0.0] * 50
    other = [0.0] * 10 + [100.0] * 140 + [100.0] * 6 + [0.0] * 44
    test = margin_test(paired_difference(item_statistics(same), item_statistics(other)), 2.0, 0.05)
    assert test.p_regression_holm >= 0.05 and test.p_noninferior >= 0.05
    return test


@pytest.mark.parametrize("power", [0.1, 0.5, 0.55, 0.65, 0.75, 0.79, 0.799, 0.801, 0.81, 0.9])
def test_underpowered_exactly_when_the_planned_power_is_below_80_percent(power: float) -> None:
    """Power between 0.5 and 0.8 is UNDERPOWERED too (a threshold of 0.5 would pass these)."""
    base = _neither_shown()
    se = 2.0 / (norm.ppf(0.95) + norm.ppf(power))
    test = replace(base, design_se=se)
    assert test.power_no_change == pytest.approx(power, abs=1e-9)
    verdict, reason = classify(test, 200, 20)
    assert verdict is (Verdict.UNDERPOWERED if power < POWER else Verdict.INCONCLUSIVE)
    if verdict is Verdict.UNDERPOWERED:
        assert f"only {100 * power:.0f}% of the time" in reason


def test_every_candidate_against_one_baseline_gets_the_same_power(tmp_path: Path) -> None:
    """Before, power came from each run's observed discordance: at the n `evals plan` gave,
    13% of no-change runs said UNDERPOWERED and the rest INCONCLUSIVE or PASS. Now the design
    decides it: one baseline, 30 candidates, one power figure, one minimum detectable drop."""
    rng = np.random.default_rng(50)
    n = 300
    base = np.where(rng.random(n) < 0.7, 100.0, 0.0)
    records = [
        {"doc_hash": f"h{i}", "item_id": str(i), "scores": {"accuracy": v}}
        for i, v in enumerate(base)
    ]
    baseline = stored_run(tmp_path / "base", "sentiment", "accuracy", records)
    policy = GatePolicy(default=UseCaseRule(max_drop=5.0))
    powers, detectable, labels = set(), set(), set()
    for _ in range(30):
        flips = rng.random(n) < rng.uniform(0.02, 0.4)
        cand = np.where(flips, 100.0 - base, base)
        cand_records = [
            {**r, "scores": {"accuracy": float(v)}} for r, v in zip(records, cand, strict=True)
        ]
        (verdict,) = decide(
            baseline, stored_run(tmp_path / "c", "sentiment", "accuracy", cand_records), policy
        ).verdicts
        powers.add(verdict.test.power_no_change)
        detectable.add(verdict.min_detectable)
        if verdict.verdict in (Verdict.UNDERPOWERED, Verdict.INCONCLUSIVE):
            labels.add(verdict.verdict)
    assert len(powers) == 1 and len(detectable) == 1 and len(labels) <= 1
    (power,) = powers
    stats = item_statistics(list(base))
    expected = planning_se(stats, "mean", None, score_range=100.0, margin=5.0, pass_fail=True)
    assert power == pytest.approx(norm.cdf(5.0 / expected - norm.ppf(0.95)))


def test_planning_se_from_the_baseline_or_the_policy() -> None:
    """√2 × the baseline metric's standard error (two systems as noisy as it, unrelated
    errors: 2p(1 − p) of pass/fail items differ), or R·√(D/n) for a stated discordance D;
    for pass/fail never below what the score test takes at the margin."""
    stats = item_statistics([100.0] * 70 + [0.0] * 30)
    unrelated = planning_se(stats, "mean", None, score_range=100.0, margin=2.0)
    assert unrelated == pytest.approx(100 * np.sqrt(2 * 0.7 * 0.3 / 99))
    stated = planning_se(stats, "mean", None, score_range=100.0, margin=2.0, discordance=0.1)
    assert stated == pytest.approx(100 * np.sqrt(0.1 / 100))
    floor = planning_se(
        stats, "mean", None, score_range=100.0, margin=20.0, discordance=0.01, pass_fail=True
    )
    assert floor == pytest.approx(np.sqrt(20 * 80 / 100))
    ratings = item_statistics([5.0, 6.0] * 40)
    assert planning_se(
        ratings, "mean", None, score_range=9.0, margin=0.25, discordance=0.01
    ) == pytest.approx(9 * np.sqrt(0.01 / 80))


def test_a_baseline_without_spread_between_units_still_plans_some_noise() -> None:
    """Every passage scores the same (one unanswerable question of four scores 100): no
    spread between units, which must not plan a standard error of 0 (power 1)."""
    stats = item_statistics([100.0, 0.0, 0.0, 0.0] * 10)
    clusters = [f"p{i // 4}" for i in range(40)]
    planned = planning_se(stats, "mean", clusters, score_range=100.0, margin=2.0)
    assert planned == pytest.approx(np.sqrt(2 * 98 / 10))


def test_a_zero_margin_on_a_baseline_that_gets_nothing_right_detects_no_drop_for_free() -> None:
    """Baseline 0% (a relative margin of 0): before, the minimum detectable drop read 0.0."""
    stats = item_statistics([0.0] * 40)
    planned = planning_se(stats, "mean", None, score_range=100.0, margin=0.0, pass_fail=True)
    assert planned == pytest.approx(np.sqrt(2.5 * 97.5 / 40))
