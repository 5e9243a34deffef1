"""Paired comparison of two runs on the same items: the test the matrix and the gate share.

Items are matched by their content hash (``doc_hash``), never by position, so two runs that
scored different items cannot be compared by accident. Binary per-item scores (every value 0 or
100: accuracy, exact match, dialogue pass) get the exact McNemar test on the discordant pairs;
everything else (ROUGE, F1 from counts, pass rates) the paired bootstrap of the corpus metric's
difference. Holm's step-down correction controls the family-wise error across use cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import binomtest

from evals.statistics import (
    DEFAULT_CONFIDENCE,
    Estimate,
    item_statistics,
    paired_bootstrap_difference,
)

PAIRED_ITERATIONS = 2000


@dataclass(frozen=True)
class PairedResult:
    """metric(b) − metric(a) on the items both runs scored."""

    difference: Estimate
    """The difference with its paired-bootstrap CI (percent points)."""

    p_value: float
    """Two-sided p-value of "no difference" (McNemar or bootstrap, per ``test``)."""

    test: str
    """``mcnemar-exact`` or ``paired-bootstrap``."""

    n: int
    """Items shared by both runs."""

    discordant: tuple[int, int] | None = None
    """For McNemar: items only ``a`` got right, items only ``b`` got right."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "difference": self.difference.to_dict(),
            "p_value": self.p_value,
            "test": self.test,
            "n": self.n,
            "discordant": list(self.discordant) if self.discordant else None,
        }


def align_items(
    samples_a: Sequence[Mapping[str, Any]], samples_b: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Pairs of sample records for the same item (by ``doc_hash``), in ``a``'s order."""
    by_hash = {s["doc_hash"]: s for s in samples_b}
    return [(s, by_hash[s["doc_hash"]]) for s in samples_a if s["doc_hash"] in by_hash]


def is_binary(values: np.ndarray) -> bool:
    """Whether per-item scores are pass/fail: a value of 0 or 100 with weight 1 per item."""
    if values.shape[1] != 2 or not np.all(values[:, 1] == 1):
        return False
    return bool(np.all((values[:, 0] == 0) | (values[:, 0] == 100)))


def paired_test(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    reducer: str = "mean",
    *,
    iterations: int = PAIRED_ITERATIONS,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> PairedResult:
    """Compare aligned per-item statistics of two runs (rows = the same items)."""
    n = int(stats_a.shape[0])
    difference, draws = paired_bootstrap_difference(
        stats_a, stats_b, reducer, iterations=iterations, confidence=confidence, seed=seed
    )
    if reducer == "mean" and is_binary(stats_a) and is_binary(stats_b):
        a_right, b_right = stats_a[:, 0] > 0, stats_b[:, 0] > 0
        only_a, only_b = int(np.sum(a_right & ~b_right)), int(np.sum(b_right & ~a_right))
        p = 1.0 if only_a + only_b == 0 else binomtest(only_a, only_a + only_b, 0.5).pvalue
        return PairedResult(difference, float(p), "mcnemar-exact", n, (only_a, only_b))
    if difference.value == 0.0 and np.all(draws == 0):
        return PairedResult(difference, 1.0, "paired-bootstrap", n)
    # Two-sided bootstrap p-value: how often the resampled difference falls on the far side of 0.
    tail = min(np.mean(draws <= 0), np.mean(draws >= 0))
    p = min(1.0, 2.0 * max(tail, 1.0 / len(draws)))
    return PairedResult(difference, float(p), "paired-bootstrap", n)


def compare_samples(
    samples_a: Sequence[Mapping[str, Any]],
    samples_b: Sequence[Mapping[str, Any]],
    metric: str,
    reducer: str = "mean",
    **kwargs: Any,
) -> PairedResult:
    """Paired test of ``metric`` between two runs' sample records of one task."""
    pairs = align_items(samples_a, samples_b)
    if not pairs:
        raise ValueError("the two runs share no items")
    stats_a = item_statistics([a["scores"][metric] for a, _ in pairs])
    stats_b = item_statistics([b["scores"][metric] for _, b in pairs])
    return paired_test(stats_a, stats_b, reducer, **kwargs)


def holm_adjust(p_values: Mapping[str, float]) -> dict[str, float]:
    """Holm step-down adjusted p-values (monotone, capped at 1)."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    m = len(ordered)
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, (key, p) in enumerate(ordered):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[key] = running
    return adjusted
