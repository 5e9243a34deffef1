"""Corpus metrics as functions of summed per-item statistics (the reducers).

Every metric here is a function of *sums* of per-item statistic vectors. A mean is the sum of
``[value, 1]``; entity-level F1 is ``2·tp / (pred + gold)`` over summed ``[tp, pred, gold]``;
macro-F1 is the mean over classes of the same, from one-hot ``[tp_k.., pred_k.., gold_k..]``.
So resampling items (or clusters of items) and re-summing their statistics gives the exact
bootstrap distribution of the corpus metric, and its gradient at the sums gives the
delta-method variance: :mod:`evals.decision` builds every interval and test on that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fnmatch import fnmatch

import numpy as np

Reducer = Callable[[np.ndarray], np.ndarray]
"""Maps summed statistics of shape ``(..., d)`` to metric values of shape ``(...)``."""


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)


def reduce_mean(summed: np.ndarray) -> np.ndarray:
    """``[Σ value, Σ weight]`` → weighted mean (a plain mean when every weight is 1)."""
    return _safe_ratio(summed[..., 0], summed[..., 1])


def reduce_f1(summed: np.ndarray) -> np.ndarray:
    """``[Σ tp, Σ predicted, Σ gold]`` → micro F1 ×100 (seqeval's entity-level F1)."""
    return 100.0 * _safe_ratio(2.0 * summed[..., 0], summed[..., 1] + summed[..., 2])


def reduce_precision(summed: np.ndarray) -> np.ndarray:
    """``[Σ tp, Σ predicted, Σ gold]`` → precision ×100."""
    return 100.0 * _safe_ratio(summed[..., 0], summed[..., 1])


def reduce_recall(summed: np.ndarray) -> np.ndarray:
    """``[Σ tp, Σ predicted, Σ gold]`` → recall ×100."""
    return 100.0 * _safe_ratio(summed[..., 0], summed[..., 2])


def _per_class(summed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = summed.shape[-1] // 3
    return summed[..., :k], summed[..., k : 2 * k], summed[..., 2 * k :]


def reduce_macro_f1(summed: np.ndarray) -> np.ndarray:
    """One-hot ``[tp_k, pred_k, gold_k]`` over K classes → macro F1 ×100 (scikit-learn's
    ``f1_score(average="macro", labels=all K)``, zero for a class never predicted nor gold)."""
    tp, pred, gold = _per_class(summed)
    return 100.0 * _safe_ratio(2.0 * tp, pred + gold).mean(axis=-1)


def reduce_macro_recall(summed: np.ndarray) -> np.ndarray:
    """One-hot ``[tp_k, pred_k, gold_k]`` → macro recall ×100 (TweetEval's official metric)."""
    tp, _, gold = _per_class(summed)
    return 100.0 * _safe_ratio(tp, gold).mean(axis=-1)


REDUCERS: dict[str, Reducer] = {
    "mean": reduce_mean,
    "f1": reduce_f1,
    "precision": reduce_precision,
    "recall": reduce_recall,
    "macro_f1": reduce_macro_f1,
    "macro_recall": reduce_macro_recall,
}


def reducer_for(metric: str, patterns: dict[str, str] | None) -> str:
    """The reducer name a task declares for ``metric`` (glob patterns allowed), else ``mean``."""
    for pattern, name in (patterns or {}).items():
        if fnmatch(metric, pattern):
            if name not in REDUCERS:
                raise KeyError(f"unknown reducer {name!r} for metric {metric!r}")
            return name
    return "mean"


def item_statistics(values: Sequence[float | Sequence[float]]) -> np.ndarray:
    """Per-item values as logged (a scalar for mean metrics, a vector otherwise) → ``(n, d)``."""
    rows = [np.atleast_1d(np.asarray(v, dtype=float)) for v in values]
    if not rows:
        return np.zeros((0, 2))
    if rows[0].shape == (1,):
        return np.column_stack([np.concatenate(rows), np.ones(len(rows))])
    return np.vstack(rows)


def item_scores(stats: np.ndarray, reducer: str = "mean") -> np.ndarray:
    """Each item's own metric value from its statistics (rows of ``stats``), e.g. a sentence's
    entity F1: what per-item losses and the sample browser show."""
    return np.atleast_1d(np.asarray(REDUCERS[reducer](stats), dtype=float))
