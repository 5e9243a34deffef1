"""The calibration designs (evals/gate/simulate.py) are what they claim: each one's true
difference of means is the ``delta`` asked for, its scores stay on their scale, its clusters
are the ones named. The calibration table in docs/statistics.md rests on these."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from evals.gate.simulate import (
    DESIGNS,
    NOISE,
    ZERO_SHARE,
    _clipped_mean,
    gate_once,
    skewed_shift,
)

N = 200_000
REPLICATES = 2000


@pytest.mark.parametrize("design", sorted(DESIGNS))
@pytest.mark.parametrize("delta", [-2.0, 0.0, 1.0])
def test_each_design_has_the_true_difference_it_is_asked_for(design: str, delta: float) -> None:
    """Over independent replicates (a design's clusters share effects within one), the mean
    difference is ``delta``."""
    generate, _ = DESIGNS[design]
    if design == "mt-bench":  # ratings move by -2..+1 with P(+1) 0.15: a mean of at most -0.05
        delta = -0.25 + 0.1 * delta
    rng = np.random.default_rng(7)
    means = []
    for _ in range(REPLICATES):
        base, cand, _ = generate(rng, 48, delta)
        means.append(float(np.mean(cand - base)))
    se = float(np.std(means)) / math.sqrt(REPLICATES)
    assert abs(float(np.mean(means)) - delta) < 5 * se, (design, np.mean(means))


def test_scores_stay_on_their_scales() -> None:
    rng = np.random.default_rng(1)
    for design in ("pass-fail", "skewed"):
        base, cand, clusters = DESIGNS[design][0](rng, 5000, -2.0)
        assert clusters is None
        assert base.min() >= 0 and cand.min() >= 0 and base.max() <= 100 and cand.max() <= 100
    base, cand, _ = DESIGNS["pass-fail"][0](rng, 5000, -2.0)
    assert set(np.unique(base)) | set(np.unique(cand)) == {0.0, 100.0}
    flipped = float(np.mean(base != cand))
    assert abs(flipped - 0.15) < 0.03  # 15% of items flip
    base, cand, _ = DESIGNS["mt-bench"][0](rng, 5000, -0.25)
    assert base.min() >= 3 and base.max() <= 8  # so that a move of -2..+1 stays in 1-10
    assert cand.min() >= 1 and cand.max() <= 10 and np.all(cand == np.round(cand))
    assert set(np.unique(cand - base)) <= {-2.0, -1.0, 0.0, 1.0}
    assert (base.min(), base.max()) == (3, 8)  # every rating 3-8 drawn
    assert len(np.unique(cand - base)) == 4  # each item moves on its own


def test_the_skewed_candidate_fails_completely_on_its_share_of_items() -> None:
    base, cand, _ = DESIGNS["skewed"][0](np.random.default_rng(3), 100_000, -2.0)
    zero = float(np.mean(cand == 0))
    assert ZERO_SHARE <= zero < ZERO_SHARE + 0.01  # the failures, plus a few clipped at 0
    assert float(np.mean(base == 0)) < 0.01


def test_few_clusters_are_eight_passages_of_equal_size() -> None:
    base, cand, clusters = DESIGNS["few-clusters"][0](np.random.default_rng(2), 48, 0.0)
    assert clusters is not None and len(clusters) == len(base) == len(cand) == 48
    assert sorted(set(clusters)) == [f"p{i}" for i in range(8)]
    assert all(clusters.count(key) == 6 for key in set(clusters))


@pytest.mark.parametrize("shift", [-20.0, 0.0, 15.0])
def test_the_clipped_mean_is_the_mean_of_clipped_draws(shift: float) -> None:
    rng = np.random.default_rng(4)
    q = 100 * rng.beta(4, 2, N)
    draws = np.clip(q + shift + rng.normal(0, NOISE, N), 0, 100)
    se = float(np.std(draws)) / math.sqrt(N)
    assert abs(_clipped_mean(shift) - float(np.mean(draws))) < 5 * se


def test_the_skewed_shift_solves_for_the_difference() -> None:
    for delta in (-2.0, 0.0, 3.0):
        shift = skewed_shift(delta)
        assert (1 - ZERO_SHARE) * _clipped_mean(shift) - _clipped_mean(0.0) == pytest.approx(
            delta, abs=1e-6
        )
    assert skewed_shift(0.0) > 0  # it must make up for the failed items


def test_one_simulated_gate_is_decided_on_the_design_it_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    result = gate_once("few-clusters", rng, 48, -2.0, 2.0, tmp_path)
    (verdict,) = result.verdicts
    assert verdict.use_case == "sim" and verdict.metric == "f1" and verdict.n == 48
    assert "few clusters: 8 clusters for 48 items" in verdict.reason
    (rating,) = gate_once("mt-bench", rng, 80, -0.25, 0.25, tmp_path / "mt").verdicts
    assert rating.use_case == "mt_bench" and rating.metric == "rating" and rating.n == 80


def test_few_clusters_draw_the_documented_design() -> None:
    """Passage difficulty 100·Beta(2, 2), question noise sd 10, a passage effect on Δ of sd 4
    and a question effect of sd 5 (docs/statistics.md): the figures there come from this
    design, so each part is checked by its moments over many draws."""
    rng = np.random.default_rng(11)
    draws, per, delta = 3000, 8, -2.0
    passage_base, within_base, passage_diff, within_diff = [], [], [], []
    for _ in range(draws):
        base, cand, clusters = DESIGNS["few-clusters"][0](rng, 8 * per, delta)
        keys = np.array(clusters)
        for key in np.unique(keys):
            b, d = base[keys == key], (cand - base)[keys == key]
            passage_base.append(b.mean())
            passage_diff.append(d.mean())
            within_base.append(b.var(ddof=1))
            within_diff.append(d.var(ddof=1))
    assert abs(np.mean(within_base) - 100) < 2  # question noise sd 10
    assert abs(np.mean(within_diff) - 25) < 0.6  # the candidate's own noise sd 5
    assert abs(np.mean(passage_diff) - delta) < 0.1
    assert abs(np.var(passage_diff) - (16 + 25 / per)) < 1.2  # passage effect sd 4
    assert abs(np.mean(passage_base) - 50) < 0.4  # Beta(2, 2) is centred
    assert abs(np.var(passage_base) - (100**2 / 20 + 100 / per)) < 15  # Var Beta(2, 2) = 1/20


def test_the_skewed_design_draws_what_its_boundary_is_solved_for() -> None:
    """The skewed design's Δ at the boundary is solved from _clipped_mean: the draws must have
    those means (quality 100·Beta(4, 2), noise NOISE, ZERO_SHARE of candidate items at 0)."""
    base, cand, _ = DESIGNS["skewed"][0](np.random.default_rng(21), N, -2.0)
    se = 30 / math.sqrt(N)
    assert abs(float(np.mean(base)) - _clipped_mean(0.0)) < 4 * se
    assert abs(float(np.mean(cand)) - float(np.mean(base)) - (-2.0)) < 4 * se
    assert abs(float(np.mean(cand == 0)) - ZERO_SHARE) < 0.002  # the complete failures


def test_verdict_shares_are_shares_of_every_simulated_comparison_and_seeded(
    tmp_path: Path,
) -> None:
    from evals.gate.simulate import verdict_shares

    shares = verdict_shares("pass-fail", 400, 0.0, 5.0, 12, seed=5, folder=tmp_path)
    assert sum(shares.values()) == pytest.approx(1.0) and len(shares) >= 2  # verdicts vary
    assert all(12 * share == pytest.approx(round(12 * share)) for share in shares.values())
    assert verdict_shares("pass-fail", 400, 0.0, 5.0, 12, seed=5, folder=tmp_path) == shares


def test_pass_fail_and_continuous_draw_their_stated_designs() -> None:
    """pass-fail: 15% of items flip, Δ as asked, the baseline passing 0.075 + 0.85·0.62;
    continuous: quality 100·Beta(4, 2) shared by both runs, noise sd 8 on each."""
    rng = np.random.default_rng(31)
    base, cand, _ = DESIGNS["pass-fail"][0](rng, N, -3.0)
    only_base, only_cand = (
        np.mean((base == 100) & (cand == 0)),
        np.mean((base == 0) & (cand == 100)),
    )
    assert abs(only_base - (0.15 + 0.03) / 2) < 0.003 and abs(only_cand - (0.15 - 0.03) / 2) < 0.003
    assert abs(float(np.mean(base)) - 100 * (0.09 + 0.85 * 0.62)) < 0.4
    assert abs(float(np.mean((base == 100) & (cand == 100))) - 0.85 * 0.62) < 0.004
    base, cand, _ = DESIGNS["continuous"][0](rng, N, -3.0)
    var_quality = 100**2 * 4 * 2 / (6**2 * 7)
    assert abs(float(np.mean(base)) - 100 * 4 / 6) < 0.2
    assert abs(float(np.mean(cand - base)) + 3.0) < 0.1
    assert abs(float(np.var(cand - base)) - 2 * 64) < 2.5
    assert abs(float(np.var(base)) - (var_quality + 64)) < 5
    assert abs(float(np.cov(base, cand)[0, 1]) - var_quality) < 5  # the shared difficulty


def test_one_gate_per_simulation_uses_the_asked_margin_and_level_with_no_minimum_n(
    tmp_path: Path,
) -> None:
    result = gate_once("pass-fail", np.random.default_rng(2), 30, 0.0, 7.0, tmp_path, alpha=0.1)
    assert result.policy.alpha == 0.1
    assert (result.policy.default.max_drop, result.policy.default.min_n) == (7.0, 0)
    (verdict,) = result.verdicts
    assert verdict.n == 30 and verdict.margin == 7.0
    assert result.baseline.folder.name == "base" and result.candidate.folder.name == "cand"
    clustered = gate_once("few-clusters", np.random.default_rng(2), 32, 0.0, 5.0, tmp_path / "c")
    assert clustered.verdicts[0].test.difference.units == 8  # the passages reach the test
