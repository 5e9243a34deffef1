import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score

from evals.decision import estimate as bootstrap_ci
from evals.metrics.classification import label_statistics
from evals.statistics import (
    item_statistics,
    reduce_f1,
    reduce_macro_f1,
    reduce_macro_recall,
    reducer_for,
)

LABELS = ["negative", "neutral", "positive"]


def test_mean_ci_brackets_the_mean_and_narrows_with_n() -> None:
    rng = np.random.default_rng(1)
    small = item_statistics(rng.binomial(1, 0.7, 50) * 100.0)
    large = item_statistics(rng.binomial(1, 0.7, 2000) * 100.0)
    a, b = bootstrap_ci(small), bootstrap_ci(large)
    assert a.ci_low < a.value < a.ci_high
    assert (b.ci_high - b.ci_low) < (a.ci_high - a.ci_low) / 3
    # Normal-approximation check: the 95% half-width of a proportion, sqrt(p(1-p)/n)*1.96.
    half = 100 * 1.96 * np.sqrt(0.7 * 0.3 / 2000)
    assert (b.ci_high - b.ci_low) / 2 == pytest.approx(half, rel=0.15)


def test_macro_f1_and_recall_reducers_equal_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    gold = [LABELS[i] for i in rng.integers(0, 3, 300)]
    pred = [LABELS[i] if rng.random() > 0.1 else None for i in rng.integers(0, 3, 300)]
    pairs = zip(gold, pred, strict=True)
    stats = item_statistics([label_statistics(g, p, LABELS) for g, p in pairs])
    pred_sk = [p or "invalid" for p in pred]
    expected_f1 = 100 * f1_score(gold, pred_sk, labels=LABELS, average="macro", zero_division=0)
    expected_recall = 100 * recall_score(
        gold, pred_sk, labels=LABELS, average="macro", zero_division=0
    )
    assert float(reduce_macro_f1(stats.sum(0))) == pytest.approx(expected_f1)
    assert float(reduce_macro_recall(stats.sum(0))) == pytest.approx(expected_recall)
    est = bootstrap_ci(stats, "macro_f1")
    assert est.value == pytest.approx(expected_f1) and est.ci_low < est.value < est.ci_high


def test_f1_reducer_and_weighted_mean() -> None:
    stats = np.array([[2.0, 3.0, 4.0], [1.0, 1.0, 1.0]])
    assert float(reduce_f1(stats.sum(0))) == pytest.approx(100 * 2 * 3 / (4 + 5))
    weighted = item_statistics([[100.0, 2.0], [0.0, 1.0]])
    assert bootstrap_ci(weighted).value == pytest.approx(100 / 3)


def test_macro_averages_count_a_gold_class_that_is_never_predicted() -> None:
    """Macro-F1 and macro-recall average over the dataset's label set, not over the classes a
    model happened to predict: a class never predicted contributes 0."""
    gold = ["negative", "neutral", "positive", "positive"]
    pred = ["negative", "positive", "positive", "positive"]  # never says neutral
    stats = item_statistics(
        [label_statistics(g, p, LABELS) for g, p in zip(gold, pred, strict=True)]
    )
    expected = 100 * f1_score(gold, pred, labels=LABELS, average="macro", zero_division=0)
    assert float(reduce_macro_f1(stats.sum(0))) == pytest.approx(expected)
    assert float(reduce_macro_f1(stats.sum(0))) == pytest.approx(100 * (1 + 0 + 0.8) / 3)
    assert float(reduce_macro_recall(stats.sum(0))) == pytest.approx(100 * (1 + 0 + 1) / 3)


def test_degenerate_inputs() -> None:
    assert bootstrap_ci(item_statistics([])).n == 0
    one = bootstrap_ci(item_statistics([42.0]))
    assert (one.value, one.n, one.has_interval) == (42.0, 1, False)


def test_reducer_lookup_by_pattern() -> None:
    patterns = {"f1*": "f1", "macro_f1": "macro_f1"}
    assert reducer_for("f1_PER", patterns) == "f1"
    assert reducer_for("accuracy", patterns) == "mean"
    with pytest.raises(KeyError):
        reducer_for("x", {"x": "median"})


def test_a_weighted_mean_over_no_weight_is_undefined_not_zero() -> None:
    """Nothing scored (every judgment unparseable, no reference answer) is no score at all."""
    import json

    stats = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    estimate = bootstrap_ci(stats, "mean")
    assert not estimate.defined and estimate.n == 3
    assert json.loads(json.dumps(estimate.to_dict()))["value"] is None  # never a bare NaN
    partly = bootstrap_ci(np.array([[80.0, 1.0], [0.0, 0.0]]), "mean")
    assert partly.value == 80.0 and partly.defined
