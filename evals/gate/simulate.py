"""Simulated baseline/candidate pairs with a known true difference, judged by the gate's own
:func:`evals.gate.decide.decide` (the function whose verdicts and bounds the gate prints), for the
calibration figures of ``docs/statistics.md`` (``scripts/gate_calibration.py``) and the tests
that check them at fewer repetitions (``tests/gate/test_calibration.py``).

Each design returns per-item scores of the two runs (and cluster keys or None) whose true
difference of means is exactly ``delta``:

- ``pass-fail``: 70% accuracy, 15% of items flip between the runs;
- ``continuous``: ROUGE-like scores, per-item difficulty shared by both runs, normal noise;
- ``skewed``: the candidate fails completely (scores 0) on 3% of items and is otherwise close
  to the baseline (noise of 3 points on each), both clipped to [0, 100]; the shift that
  makes the true difference ``delta`` is solved exactly (quadrature);
- ``few-clusters``: 8 passages of 6 questions, a passage effect on the difference;
- ``mt-bench``: 80 questions rated 1–10 (integers), the rating moving by −2…+1 with a skewed
  distribution whose mean is ``delta``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from evals.decision import Estimate
from evals.gate.decide import GateResult, UseCaseVerdict, decide
from evals.gate.policy import GatePolicy, UseCaseRule
from evals.models.loading import VariantIdentity
from evals.models.objective import Objective
from evals.runs.folder import SCHEMA_VERSION
from evals.runs.results import RunResults, UseCaseResult
from evals.runs.spec import RUN_SPEC_FILE, RunSpec, TaskSpec
from evals.runs.store import StoredRun

Scores = tuple[np.ndarray, np.ndarray, list[str] | None]
ZERO_SHARE = 0.03
"""Share of items a skewed candidate fails completely on."""


def pass_fail(rng: np.random.Generator, n: int, delta: float) -> Scores:
    """About 60% accuracy (7.5% of items pass only for the baseline, and 62% of the 85% that do
    not flip pass for both: 0.075 + 0.527); 15% of items flip between the two runs."""
    flips = 0.15
    p_only_a, p_only_b = (flips - delta / 100) / 2, (flips + delta / 100) / 2
    u = rng.random(n)
    only_a, only_b = u < p_only_a, (u >= p_only_a) & (u < p_only_a + p_only_b)
    both = ~only_a & ~only_b & (rng.random(n) < 0.62)
    return np.where(only_a | both, 100.0, 0.0), np.where(only_b | both, 100.0, 0.0), None


def continuous(rng: np.random.Generator, n: int, delta: float) -> Scores:
    """ROUGE-like scores with a per-item difficulty both runs share."""
    quality = 100 * rng.beta(4, 2, n)
    base = quality + rng.normal(0, 8, n)
    return base, quality + delta + rng.normal(0, 8, n), None


def _skewed_draw(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    quality = 100 * rng.beta(4, 2, n)
    base = np.clip(quality + rng.normal(0, NOISE, n), 0, 100)
    cand = np.clip(quality + shift + rng.normal(0, NOISE, n), 0, 100)
    cand[rng.random(n) < ZERO_SHARE] = 0.0
    return base, cand


NOISE = 3.0
"""Noise (points) on each run's scores in the skewed design."""


def _clipped_mean(shift: float) -> float:
    """E[clip(100·q + shift + e, 0, 100)], q ~ Beta(4, 2) (density 20x³(1 − x)),
    e ~ N(0, NOISE²), by quadrature (the clipped normal's mean is closed-form)."""
    from scipy import integrate

    def cdf(z: float) -> float:
        return 0.5 * math.erfc(-z / math.sqrt(2))

    def pdf(z: float) -> float:
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def at(x: float) -> float:
        mu = 100 * x + shift
        lo, hi = (0 - mu) / NOISE, (100 - mu) / NOISE
        inside = mu * (cdf(hi) - cdf(lo)) + NOISE * (pdf(lo) - pdf(hi))
        return (inside + 100 * (1 - cdf(hi))) * 20 * x**3 * (1 - x)

    return float(integrate.quad(at, 0, 1, epsabs=1e-10)[0])


@cache
def skewed_shift(delta: float) -> float:
    """The shift of the candidate's non-failed items that makes the true difference ``delta``:
    (1 − ZERO_SHARE)·E[clip(q + shift + e)] − E[clip(q + e)] = delta, solved exactly."""
    from scipy.optimize import brentq

    base = _clipped_mean(0.0)
    return float(
        brentq(lambda s: (1 - ZERO_SHARE) * _clipped_mean(s) - base - delta, -50, 50, xtol=1e-10)
    )


def skewed(rng: np.random.Generator, n: int, delta: float) -> Scores:
    """3% of the candidate's items drop to 0; the rest move by the solved shift."""
    base, cand = _skewed_draw(rng, n, skewed_shift(delta))
    return base, cand, None


def few_clusters(rng: np.random.Generator, n: int, delta: float) -> Scores:
    """``n`` questions on 8 passages: passage difficulty shared, a passage effect on Δ."""
    passages = 8
    keys = [f"p{i % passages}" for i in range(n)]
    index = np.arange(n) % passages
    difficulty = 100 * rng.beta(2, 2, passages)
    effect = rng.normal(0, 4, passages)
    base = difficulty[index] + rng.normal(0, 10, n)
    return base, base + delta + effect[index] + rng.normal(0, 5, n), keys


MT_BENCH_STEPS = np.array([-2.0, -1.0, 0.0, 1.0])


def mt_bench(rng: np.random.Generator, n: int, delta: float) -> Scores:
    """Ratings 3–8 (so that a move of −2…+1 stays in 1–10); P(−2) = 0.05, P(+1) = 0.15 and
    P(−1) set so that the mean move is ``delta``."""
    base = rng.integers(3, 9, n).astype(float)
    p_down2, p_up = 0.05, 0.15
    p_down = p_up - 2 * p_down2 - delta
    probs = np.array([p_down2, p_down, 1 - p_down2 - p_down - p_up, p_up])
    return base, base + rng.choice(MT_BENCH_STEPS, size=n, p=probs), None


DESIGNS: dict[str, tuple[Callable[..., Scores], str]] = {
    "pass-fail": (pass_fail, "accuracy"),
    "continuous": (continuous, "rougeL"),
    "skewed": (skewed, "rougeL"),
    "few-clusters": (few_clusters, "f1"),
    "mt-bench": (mt_bench, "rating"),
}
"""Design name → (generator, metric name the runs record)."""


def _records(values: np.ndarray, metric: str, clusters: list[str] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, value in enumerate(values):
        record: dict[str, Any] = {
            "doc_hash": f"h{i}",
            "item_id": f"i{i}",
            "scores": {metric: float(value)},
        }
        if clusters is not None:
            record["cluster"] = clusters[i]
        out.append(record)
    return out


def stored_run(
    folder: Path, use_case: str, metric: str, records: list[dict[str, Any]]
) -> StoredRun:
    """A run held in memory (its run spec written to ``folder`` once)."""
    spec_path = folder / RUN_SPEC_FILE
    if not spec_path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        spec = RunSpec(
            model={"backend": "simulated", "model_hash": folder.name},
            fingerprint=folder.name,
            tasks={use_case: TaskSpec(version="1")},
            versions={"suite": "sim"},
        )
        spec_path.write_text(json.dumps(spec.to_dict()), encoding="utf-8")
    scores = [float(r["scores"][metric]) for r in records]
    # The gate reads the items, never the stored estimate: the mean stands without an interval.
    point = Estimate(float(np.mean(scores)), math.nan, math.nan, len(scores), method="none")
    entry = UseCaseResult(
        use_case=use_case,
        primary_metric=metric,
        primary_reducer="mean",
        metrics={metric: point},
        invalid_rate=0.0,
        n=len(scores),
        prompt_mode="chat",
        num_fewshot=0,
        task_version="1",
        data_sha256="sim",
        config_sha256="sim",
        generation={},
        model_fingerprint=folder.name,
        seconds=0.0,
        tasks=(use_case,),
        samples_files=(f"samples_{use_case}.jsonl",),
    )
    model = VariantIdentity(
        name=folder.name,
        objective=Objective.INSTRUCT,
        objective_source="name",
        has_chat_template=True,
        spec=folder.name,
        backend="simulated",
    )
    results = RunResults(
        model=model,
        model_fingerprint=model.fingerprint,
        prompt_mode="chat",
        limit=None,
        created_utc="",
        use_cases={use_case: entry},
        schema_version=SCHEMA_VERSION,
        complete=True,
    )
    return StoredRun(folder, results, {use_case: records})


def gate_once(
    design: str,
    rng: np.random.Generator,
    n: int,
    delta: float,
    margin: float,
    folder: Path,
    alpha: float = 0.05,
) -> GateResult:
    """One simulated comparison, decided by :func:`evals.gate.decide.decide`."""
    generate, metric = DESIGNS[design]
    base, cand, clusters = generate(rng, n, delta)
    use_case = "mt_bench" if design == "mt-bench" else "sim"
    policy = GatePolicy(alpha=alpha, default=UseCaseRule(max_drop=margin, min_n=0))
    return decide(
        stored_run(folder / "base", use_case, metric, _records(base, metric, clusters)),
        stored_run(folder / "cand", use_case, metric, _records(cand, metric, clusters)),
        policy,
    )


def simulate_verdicts(
    design: str, n: int, delta: float, margin: float, sims: int, seed: int, folder: Path
) -> list[UseCaseVerdict]:
    """The gate's finding on each of ``sims`` simulated comparisons."""
    rng = np.random.default_rng(seed)
    return [gate_once(design, rng, n, delta, margin, folder).verdicts[0] for _ in range(sims)]


def verdict_shares(
    design: str, n: int, delta: float, margin: float, sims: int, seed: int, folder: Path
) -> dict[str, float]:
    """Share of each verdict over ``sims`` simulated comparisons."""
    counts: dict[str, int] = {}
    for verdict in simulate_verdicts(design, n, delta, margin, sims, seed, folder):
        counts[verdict.verdict.value] = counts.get(verdict.verdict.value, 0) + 1
    return {k: v / sims for k, v in counts.items()}
