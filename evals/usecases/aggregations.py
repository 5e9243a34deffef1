"""lm-eval aggregation hooks for metrics whose corpus value is not a mean of item values.

A task module imports the ones its metrics need (``from evals.usecases.aggregations import
aggregate_f1``) so its generated YAML can name them (``!function usecase.aggregate_f1``); each is
the same reducer :mod:`evals.statistics` applies to the suite's own estimates, so lm-eval's
printed table and the suite's numbers agree.
"""

from __future__ import annotations

import numpy as np

from evals.statistics import REDUCERS


def _reduced(reducer: str, items: list[list[float]]) -> float:
    return float(REDUCERS[reducer](np.sum(np.asarray(items, dtype=float), axis=0)))


def aggregate_mean(items: list[list[float]]) -> float:
    """Mean over the items a metric applies to (``[value, weight]`` per item)."""
    return _reduced("mean", items)


def aggregate_f1(items: list[list[float]]) -> float:
    """Corpus F1 ×100 from per-item ``[tp, predicted, gold]``."""
    return _reduced("f1", items)


def aggregate_precision(items: list[list[float]]) -> float:
    """Corpus precision ×100 from per-item ``[tp, predicted, gold]``."""
    return _reduced("precision", items)


def aggregate_recall(items: list[list[float]]) -> float:
    """Corpus recall ×100 from per-item ``[tp, predicted, gold]``."""
    return _reduced("recall", items)


def aggregate_macro_f1(items: list[list[float]]) -> float:
    """Corpus macro-F1 ×100 from per-item one-hot label statistics."""
    return _reduced("macro_f1", items)


def aggregate_macro_recall(items: list[list[float]]) -> float:
    """Corpus macro-recall ×100 from per-item one-hot label statistics."""
    return _reduced("macro_recall", items)
