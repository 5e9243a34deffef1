"""Two runs' sample records of one use case, paired item by item: what the gate, the matrix and
``evals plan`` compare. Items are matched by content hash (``doc_hash``), never by position,
and a per-item score that is missing or not a number is bad input, named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evals.decision import PairedDifference, paired_difference
from evals.errors import EvalsError
from evals.runs.results import sample_clusters
from evals.statistics import item_statistics

Record = Mapping[str, Any]
Pair = tuple[Record, Record]
"""(a's record, b's record) of one item."""

SCORE_RANGES: dict[str, tuple[float, float]] = {
    "rating": (1.0, 10.0),
    "dialogue_min_rating": (1.0, 10.0),
}
"""Per-item score scales that are not 0–100: the judge's 1–10 rating (MT-Bench, MT-Bench-101;
:func:`evals.engine.judge.parse_rating` rejects anything outside it)."""

PERCENT_RANGE = (0.0, 100.0)
"""Every other metric's per-item scale (accuracy, F1, ROUGE, pass rates: percent points)."""


def metric_range(metric: str) -> tuple[float, float]:
    """The lowest and highest score one item can have under ``metric``."""
    return SCORE_RANGES.get(metric, PERCENT_RANGE)


class ComparisonError(EvalsError):
    """Two runs cannot be compared (different items or settings, or a per-item score that is
    not a number)."""


def align_items(samples_a: Sequence[Record], samples_b: Sequence[Record]) -> list[Pair]:
    """Pairs of sample records for the same item (by ``doc_hash``), in ``a``'s order."""
    by_hash = {s["doc_hash"]: s for s in samples_b}
    return [(s, by_hash[s["doc_hash"]]) for s in samples_a if s["doc_hash"] in by_hash]


def metric_values(pairs: list[Pair], metric: str, side: int, where: str) -> np.ndarray:
    """Per-item statistics of ``metric`` from one side of aligned pairs; a missing or
    non-numeric value is bad input, named."""
    values = []
    for pair in pairs:
        value = pair[side]["scores"].get(metric)
        flat = value if isinstance(value, list) else [value]
        if not flat or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for x in flat
        ):
            raise ComparisonError(
                f"{where}: item {pair[side].get('item_id')!r} has no numeric {metric!r} "
                f"(got {value!r})"
            )
        values.append(value)
    return item_statistics(values)


@dataclass(frozen=True)
class PairedItems:
    """The items two runs share, their statistics side by side, and the paired difference."""

    pairs: list[Pair]
    """(a's record, b's record) per shared item, in ``a``'s order."""

    stats_a: np.ndarray
    """``a``'s per-item statistics."""

    stats_b: np.ndarray
    """``b``'s per-item statistics."""

    clusters: list[str] | None
    """The cluster each item shares with others (from ``a``'s records), or None."""

    difference: PairedDifference
    """metric(b) − metric(a) on the shared items."""


def pair_samples(
    samples_a: Sequence[Record],
    samples_b: Sequence[Record],
    metric: str,
    reducer: str,
    where: tuple[str, str],
) -> PairedItems:
    """Pair two runs' records of one use case and compute b − a, on the metric's own scale
    (:func:`metric_range`: bounds and tests of Δ stay within ±its width); ``where`` names
    the two sides in error messages. The caller checks that pairs exist."""
    pairs = align_items(samples_a, samples_b)
    stats_a = metric_values(pairs, metric, 0, where[0])
    stats_b = metric_values(pairs, metric, 1, where[1])
    clusters = sample_clusters([a for a, _ in pairs])
    low, high = metric_range(metric)
    diff = paired_difference(stats_a, stats_b, reducer, clusters=clusters, score_range=high - low)
    return PairedItems(pairs, stats_a, stats_b, clusters, diff)
