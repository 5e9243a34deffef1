"""Score ranges: a difference is tested and bounded on its metric's own scale (MT-Bench's 1–10
rating is 9 points wide, not 100), and no interval of a difference reaches past what two
scores on that scale can differ by."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from evals.gate.decide import decide
from evals.gate.policy import GatePolicy, UseCaseRule
from evals.gate.simulate import stored_run
from evals.runs.pairing import metric_range, pair_samples
from evals.site.diff_page import run_diff_data


def _records(metric: str, values: list[float], clusters: list[str] | None = None) -> list[dict]:
    out = []
    for i, v in enumerate(values):
        record = {"doc_hash": f"h{i}", "item_id": f"i{i}", "scores": {metric: v}}
        if clusters is not None:
            record["cluster"] = clusters[i]
        out.append(record)
    return out


def test_judge_ratings_are_1_to_10_and_everything_else_0_to_100() -> None:
    assert metric_range("rating") == metric_range("dialogue_min_rating") == (1.0, 10.0)
    for metric in ("accuracy", "f1", "rougeL", "turn_pass_rate", "pass_at_1"):
        assert metric_range(metric) == (0.0, 100.0)
    ratings = _records("rating", [5.0, 6.0, 7.0])
    assert pair_samples(ratings, ratings, "rating", "mean", ("a", "b")).difference.score_range == 9
    scores = _records("f1", [5.0, 6.0, 7.0])
    assert pair_samples(scores, scores, "f1", "mean", ("a", "b")).difference.score_range == 100


def test_identical_mt_bench_ratings_on_80_questions_are_bounded_in_rating_points(
    tmp_path: Path,
) -> None:
    """Before: read as 0–100, identical outputs gave bounds ±3.35 rating points and a minimum
    detectable drop of 1.64 at a 0.25 margin; on the 1–10 scale, bounds of ±0.30."""
    ratings = [float(3 + i % 6) for i in range(80)]
    runs = [
        stored_run(tmp_path / side, "mt_bench", "rating", _records("rating", ratings))
        for side in ("base", "cand")
    ]
    policy = GatePolicy(default=UseCaseRule(max_drop=0.25))
    (verdict,) = decide(*runs, policy).verdicts
    test = verdict.test
    assert test.difference.score_range == 9.0
    assert 0.25 < test.upper_bound < 0.35 and -0.35 < test.lower_bound < -0.25
    # Planned from the baseline's spread in rating points (not 0-100): well under the 1.64
    # that the 0-100 reading gave, above the margin.
    assert 0.25 < verdict.min_detectable < 1.0


@pytest.mark.parametrize("seed", range(20))
def test_no_interval_of_a_difference_leaves_the_metric_scale(seed: int, tmp_path: Path) -> None:
    """Two to four passages of 0–100 scores, far apart: a t quantile on 1–3 degrees of freedom
    reaches past ±100 (the review saw [−140.07, −47.43] on the run-vs-run page)."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 5))
    n = 4 * k
    clusters = [f"p{i % k}" for i in range(n)]
    base = list(rng.uniform(60, 100, n))
    cand = [max(0.0, b - float(rng.uniform(30, 100))) for b in base]
    for metric, width, scale in (("f1", 100.0, 1.0), ("rating", 9.0, 0.09)):
        b = _records(metric, [1 + v * scale for v in base], clusters)
        c = _records(metric, [1 + v * scale for v in cand], clusters)
        diff = pair_samples(b, c, metric, "mean", ("b", "c")).difference
        for confidence in (0.8, 0.95, 0.999):
            low, high = diff.interval(confidence)
            assert -width <= low <= high <= width
    base_run = stored_run(tmp_path / "b", "qa", "f1", _records("f1", base, clusters))
    cand_run = stored_run(tmp_path / "c", "qa", "f1", _records("f1", cand, clusters))
    base_run.results = replace(base_run.results, model=cand_run.results.model)
    for entry in run_diff_data(base_run, cand_run)["use_cases"]:
        assert -100.0 <= entry["ci_low"] <= entry["ci_high"] <= 100.0
