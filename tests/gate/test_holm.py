"""Holm's step-down in the gate: every printed bound is the bound of the test that decided, at
the level it used, so no verdict, adjusted p-value and bound disagree — over 1,000 random
multi-use-case comparisons, through the functions whose output the gate prints."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.stats import t as t_dist

from evals.decision import PairedDifference, holm_adjust, paired_difference
from evals.decision.multiple import holm_levels
from evals.gate.decide import MarginTest, Verdict, classify, holm_margin_tests
from evals.statistics import item_statistics

ALPHA = 0.05
NUMBER = r"([+-]\d+\.\d+)"


def _continuous(rng: np.random.Generator, margin: float) -> PairedDifference:
    """Half of them with a regression p-value near the levels Holm uses (0.005–0.08)."""
    units = int(rng.integers(5, 400))
    se = float(rng.uniform(0.2, 3))
    value = float(rng.normal(-3, 3))
    if rng.random() < 0.5:
        value = -margin + float(t_dist.ppf(rng.uniform(0.005, 0.08), units - 1)) * se
    return PairedDifference(value=value, se=se, n=units, units=units, method="linearized-t")


def _pass_fail(rng: np.random.Generator) -> PairedDifference:
    n = int(rng.integers(16, 400))
    only_a = int(rng.integers(0, max(1, n // 5)))
    only_b = int(rng.integers(0, max(1, n // 8)))
    a = [100.0] * only_a + [0.0] * only_b + [100.0] * (n - only_a - only_b)
    b = [0.0] * only_a + [100.0] * only_b + [100.0] * (n - only_a - only_b)
    return paired_difference(item_statistics(a), item_statistics(b))


def _check(test: MarginTest, verdict: Verdict, reason: str) -> None:
    m = test.margin
    regression = verdict is Verdict.REGRESSION
    assert regression == (test.p_regression_holm < ALPHA) == (test.upper_bound < -m)
    assert (test.p_regression < test.holm_level) == regression
    if verdict in (Verdict.PASS, Verdict.IMPROVED):
        assert test.lower_bound > -m
    if verdict is Verdict.INCONCLUSIVE:
        low, high = map(float, re.search(rf"\[{NUMBER}, {NUMBER}\]", reason).groups())
        assert low <= -m <= high, reason
    if regression:
        (bound,) = map(float, re.search(rf"upper bound {NUMBER} <", reason).groups())
        assert bound <= -m, reason
    if verdict is Verdict.PASS:
        (bound,) = map(float, re.search(rf"lower bound {NUMBER} >", reason).groups())
        assert bound >= -m, reason


@pytest.mark.simulation
def test_no_printed_bound_contradicts_its_verdict_over_1000_random_comparisons() -> None:
    rng = np.random.default_rng(2026)
    holm_changed = 0
    for _ in range(1000):
        k = int(rng.integers(2, 6))
        family = {}
        for i in range(k):
            margin = float(rng.choice([1.0, 2.0, 2.5, 5.0]))
            diff = _continuous(rng, margin) if rng.random() < 0.7 else _pass_fail(rng)
            family[f"u{i}"] = (diff, margin)
        tests = holm_margin_tests(family, ALPHA)
        for test in tests.values():
            verdict, reason = classify(test, test.difference.n, 0)
            _check(test, verdict, reason)
            holm_changed += (test.p_regression < ALPHA) and verdict is not Verdict.REGRESSION
    assert holm_changed >= 20  # the property was exercised where Holm changes the outcome


def test_the_reviewed_case_two_use_cases_at_p_030_and_040() -> None:
    """Before: the second use case was tested at α/1 although Holm's first step had not
    rejected, and printed "INCONCLUSIVE: the interval [−3.70, −2.05] straddles −2"."""
    assert holm_levels({"a": 0.030, "b": 0.040}, ALPHA) == {"a": 0.025, "b": 0.025}
    assert holm_adjust({"a": 0.030, "b": 0.040}) == {"a": 0.06, "b": 0.06}
    se = 0.5
    family = {}
    for name, p in (("a", 0.030), ("b", 0.040)):
        diff = PairedDifference(value=0.0, se=se, n=200, units=200, method="linearized-t")
        t = float(t_dist.ppf(p, 199))
        family[name] = (
            PairedDifference(value=-2.0 + t * se, se=se, n=200, units=200, method=diff.method),
            2.0,
        )
    tests = holm_margin_tests(family, ALPHA)
    for name, p in (("a", 0.030), ("b", 0.040)):
        test = tests[name]
        assert test.p_regression == pytest.approx(p)
        verdict, reason = classify(test, 200, 20)
        assert verdict is Verdict.INCONCLUSIVE and test.upper_bound >= -2.0
        _check(test, verdict, reason)


@pytest.mark.parametrize("seed", range(5))
def test_holm_levels_decide_exactly_what_adjusted_p_values_decide(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(200):
        p = {
            f"h{i}": float(rng.uniform(0, 0.1) ** rng.uniform(0.5, 2))
            for i in range(int(rng.integers(1, 7)))
        }
        levels, adjusted = holm_levels(p, ALPHA), holm_adjust(p)
        for key in p:
            assert (p[key] < levels[key]) == (adjusted[key] < ALPHA)
            assert ALPHA / len(p) <= levels[key] <= ALPHA
