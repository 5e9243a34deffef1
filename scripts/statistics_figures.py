"""The simulation figures behind docs/statistics.md, recomputed with the suite's own functions.

    .venv/bin/python scripts/statistics_figures.py [--quick]

Prints markdown tables: interval coverage (Wilson, BCa, clusters, and the percentile bootstrap
they replace), the gate's calibration at the margin and its power, verdicts under no change,
and how much passage clusters widen SQuAD intervals on real predictions (../shared/data).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import binom, kstest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evals.decision import estimate, paired_difference  # noqa: E402
from evals.decision.intervals import resampled_sums, wilson  # noqa: E402
from evals.gate.decide import Verdict, classify, margin_test  # noqa: E402
from evals.statistics import item_statistics, reduce_mean  # noqa: E402


def percentile_interval(stats: np.ndarray, seed: int) -> tuple[float, float]:
    """The interval this suite used before: percentile bootstrap, 1,000 resamples."""
    (sums,) = resampled_sums([stats], 1000, seed)
    low, high = np.quantile(reduce_mean(sums), [0.025, 0.975])
    return float(low), float(high)


def coverage_table(sims: int) -> list[str]:
    rng = np.random.default_rng(1)
    lines = ["| case | n | interval | coverage | simulations |", "|---|---:|---|---:|---:|"]
    for p in (0.05, 0.5):
        exact = sum(
            binom.pmf(k, 64, p) * (wilson(k, 64)[0] <= p <= wilson(k, 64)[1]) for k in range(65)
        )
        hits_w = hits_p = 0
        for s in range(sims):
            stats = item_statistics(list((rng.random(64) < p) * 100.0))
            est = estimate(stats)
            hits_w += est.ci_low <= 100 * p <= est.ci_high
            low, high = percentile_interval(stats, s)
            hits_p += low <= 100 * p <= high
        lines.append(
            f"| pass/fail, p={p} | 64 | Wilson (now) | {hits_w / sims:.3f} "
            f"(exact {exact:.3f}) | {sims} |"
        )
        lines.append(
            f"| pass/fail, p={p} | 64 | percentile bootstrap (before) | "
            f"{hits_p / sims:.3f} | {sims} |"
        )
    for a, b in ((0.5, 5.0), (4.0, 2.0)):
        truth, hits = 100 * a / (a + b), 0
        runs = max(200, sims // 10)
        for s in range(runs):
            est = estimate(item_statistics(list(rng.beta(a, b, 64) * 100)), iterations=1000, seed=s)
            hits += est.ci_low <= truth <= est.ci_high
        lines.append(
            f"| scores ~ Beta({a:g}, {b:g})×100 (mean {truth:.1f}) | 64 | BCa | "
            f"{hits / runs:.3f} | {runs} |"
        )
    hits_c = hits_i = 0
    for _ in range(sims):
        p = rng.beta(2, 2, 16)
        stats = item_statistics(list((rng.random((16, 4)) < p[:, None]).ravel() * 100.0))
        clusters = [str(i // 4) for i in range(64)]
        a, b = estimate(stats, clusters=clusters), estimate(stats)
        hits_c += a.ci_low <= 50 <= a.ci_high
        hits_i += b.ci_low <= 50 <= b.ci_high
    lines.append(
        f"| 16 passages × 4 questions, passage difficulty ~ Beta(2, 2) | 64 | Wilson on "
        f"clusters (now) | {hits_c / sims:.3f} | {sims} |"
    )
    lines.append(f"| the same | 64 | Wilson ignoring clusters | {hits_i / sims:.3f} | {sims} |")
    return lines


def _pairs(rng: np.random.Generator, delta: float, kind: str, n: int) -> tuple:
    if kind == "pass-fail":
        flips = 0.15
        p_a, p_b = (flips - delta / 100) / 2, (flips + delta / 100) / 2
        u = rng.random(n)
        only_a, only_b = u < p_a, (u >= p_a) & (u < p_a + p_b)
        both = ~only_a & ~only_b & (rng.random(n) < 0.62)
        return (
            item_statistics(list(np.where(only_a | both, 100.0, 0.0))),
            item_statistics(list(np.where(only_b | both, 100.0, 0.0))),
        )
    quality = 100 * rng.beta(4, 2, n)
    return (
        item_statistics(list(quality + rng.normal(0, 8, n))),
        item_statistics(list(quality + delta + rng.normal(0, 8, n))),
    )


def gate_table(sims: int) -> list[str]:
    margin, n = 2.0, 200
    lines = [
        "| data (n=200, allowed drop 2) | true Δ | P(REGRESSION) | KS p of p-values | "
        "simulations |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in ("pass-fail", "continuous"):
        rng = np.random.default_rng(2)
        tests = [
            margin_test(paired_difference(*_pairs(rng, -margin, kind, n)), margin, 0.05)
            for _ in range(sims)
        ]
        rate = np.mean([classify(t, n, 20)[0] is Verdict.REGRESSION for t in tests])
        ks = kstest([t.p_regression for t in tests], "uniform").pvalue
        lines.append(f"| {kind} | −2 (the margin) | {rate:.4f} | {ks:.3f} | {sims} |")
        se = float(np.median([t.null_se for t in tests]))
        power_tests = [
            margin_test(paired_difference(*_pairs(rng, -(margin + 2 * se), kind, n)), margin, 0.05)
            for _ in range(sims // 2)
        ]
        power = np.mean([classify(t, n, 20)[0] is Verdict.REGRESSION for t in power_tests])
        lines.append(
            f"| {kind} | −(2 + 2·se) = {-(margin + 2 * se):.2f} | {power:.3f} (power) "
            f"| | {sims // 2} |"
        )
    rng = np.random.default_rng(3)
    verdicts = [
        classify(
            margin_test(paired_difference(*_pairs(rng, 0.0, "pass-fail", n)), margin, 0.05), n, 20
        )[0]
        for _ in range(sims)
    ]
    shares = ", ".join(f"{v.value} {verdicts.count(v) / sims:.3f}" for v in Verdict)
    lines += ["", f"Verdicts under no change (pass/fail, n=200, allowed drop 2): {shares}."]
    return lines


def cluster_widening() -> list[str]:
    shared = REPO.parent / "shared" / "data"
    if not (shared / "squad_v1.1").is_dir():
        return ["(../shared/data not found: cluster widening not measured)"]
    from evals.benchmarks.sources import DataSource, benchmark_records
    from evals.metrics.squad import squad_scores
    from evals.usecases import discover_use_cases

    hooks = discover_use_cases()["squad_v1.1"].module()
    records, _ = benchmark_records("squad_v1.1", DataSource("local", shared))
    lines = [
        "| SQuAD v1.1 dev predictions | n | passages | F1 | 95% interval, items | "
        "95% interval, passages | width ratio |",
        "|---|---:|---:|---:|---|---|---:|",
    ]
    for path in sorted((shared / "squad_v1.1" / "predictions").glob("*.json")):
        predictions = json.loads(path.read_text(encoding="utf-8"))
        f1 = item_statistics(
            [squad_scores(predictions.get(r["id"], ""), r["answers"])["f1"] for r in records]
        )
        clusters = [hooks.cluster_key(r) for r in records]
        plain, clustered = estimate(f1), estimate(f1, clusters=clusters)
        ratio = (clustered.ci_high - clustered.ci_low) / (plain.ci_high - plain.ci_low)
        lines.append(
            f"| {path.stem} | {plain.n} | {clustered.clusters} | {plain.value:.1f} | "
            f"[{plain.ci_low:.2f}, {plain.ci_high:.2f}] | "
            f"[{clustered.ci_low:.2f}, {clustered.ci_high:.2f}] | {ratio:.2f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer simulations")
    args = parser.parse_args()
    sims = 1000 if args.quick else 4000
    for title, lines in (
        ("Interval coverage", coverage_table(sims)),
        ("Gate calibration", gate_table(sims)),
        ("Cluster widening on real data", cluster_widening()),
    ):
        print(f"### {title}\n")
        print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
