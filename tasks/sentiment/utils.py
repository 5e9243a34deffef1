"""Sentiment: polarity of short texts, as a label named in free text.

Datasets: the bundled ``data/test.jsonl`` (scored) and ``data/fewshot.jsonl`` (completion-mode
examples), original texts written for this project, CC0, three labels; and the real benchmarks
SST-2 (``sst2.yaml``: two labels) and TweetEval (``tweet_eval.yaml``: three labels), read from
``DATA_DIR`` or the hub by :mod:`evals.benchmarks`. Record: ``{"id", "text", "label"}``.
Metrics: accuracy, macro-F1 and macro-recall (scikit-learn definitions over the dataset's label
set), ×100; invalid rate ×100. The label is read from free text by
:func:`evals.metrics.classification.parse_label`; no label word of the dataset's set → invalid
(scored wrong). ``sentiment_choice`` scores the bundled items by loglikelihood of the label words.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.benchmarks.sentiment import BINARY, THREE_WAY
from evals.benchmarks.sources import benchmark_dataset
from evals.data import load_splits
from evals.metrics.classification import label_statistics, parse_label
from evals.statistics import reduce_macro_f1, reduce_macro_recall

LABELS = THREE_WAY
DATA_DIR = Path(__file__).resolve().parent / "data"


class LabelSet:
    """Prompt-independent hooks for one label set (parsing and per-item scores)."""

    def __init__(self, labels: Sequence[str], *, macro_recall: bool = False) -> None:
        self.labels = tuple(labels)
        self.macro_recall = macro_recall

    def check(self, row: dict[str, Any]) -> str | None:
        """Why a row is unusable, or None."""
        if row["label"] not in self.labels:
            return f"label {row['label']!r} is not one of {', '.join(self.labels)}"
        if not isinstance(row["text"], str) or not row["text"].strip():
            return "text is empty"
        return None

    def parse_output(self, doc: dict[str, Any], output: str) -> str | None:
        """The label the output names (None: invalid)."""
        return parse_label(output, self.labels)

    def scores(self, gold: str, predicted: str | None, prefix: str = "") -> dict[str, Any]:
        """Accuracy, and the one-hot statistics macro-F1 and macro-recall are reduced from."""
        stats = label_statistics(gold, predicted, self.labels)
        out: dict[str, Any] = {
            f"{prefix}accuracy": 100.0 * (predicted == gold),
            f"{prefix}macro_f1": stats,
        }
        if self.macro_recall:
            out[f"{prefix}macro_recall"] = stats
        return out

    def process_results(self, doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
        """Per-item scores of a generated answer."""
        predicted = self.parse_output(doc, results[0])
        return {**self.scores(doc["label"], predicted), "invalid": 100.0 * (predicted is None)}


BUNDLED = LabelSet(LABELS)
SST2 = LabelSet(BINARY)
TWEET_EVAL = LabelSet(LABELS, macro_recall=True)
PARSERS = {"sst2": SST2.parse_output, "tweet_eval": TWEET_EVAL.parse_output}
"""Output parsers of the benchmark tasks (the bundled ones use :func:`parse_output`)."""

_check = BUNDLED.check
parse_output = BUNDLED.parse_output
process_results = BUNDLED.process_results
sst2_process_results = SST2.process_results
tweet_eval_process_results = TWEET_EVAL.process_results


def load_dataset(**_: Any) -> Any:
    """The bundled splits (lm-eval ``custom_dataset`` hook)."""
    return load_splits(
        DATA_DIR,
        {"test": "test.jsonl", "fewshot": "fewshot.jsonl"},
        ("id", "text", "label"),
        _check,
    )


def load_sst2(**metadata: Any) -> Any:
    """SST-2 (GLUE dev) from DATA_DIR or the hub."""
    return benchmark_dataset("sst2", **metadata)


def load_tweet_eval(**metadata: Any) -> Any:
    """TweetEval sentiment (test) from DATA_DIR or the hub."""
    return benchmark_dataset("tweet_eval", **metadata)


def label_index(doc: dict[str, Any]) -> int:
    """Index of the gold label among the bundled choices."""
    return LABELS.index(doc["label"])


def process_results_choice(
    doc: dict[str, Any], results: list[tuple[float, bool]]
) -> dict[str, Any]:
    """Per-item scores of the most likely label word."""
    loglikelihoods = [ll for ll, _ in results]
    return BUNDLED.scores(doc["label"], LABELS[int(np.argmax(loglikelihoods))], prefix="choice_")


def _summed(items: list[list[float]]) -> np.ndarray:
    return np.sum(np.asarray(items, dtype=float), axis=0)


def macro_f1_aggregation(items: list[list[float]]) -> float:
    """Corpus macro-F1 ×100 from per-item one-hot statistics."""
    return float(reduce_macro_f1(_summed(items)))


def macro_recall_aggregation(items: list[list[float]]) -> float:
    """Corpus macro-recall ×100 from per-item one-hot statistics."""
    return float(reduce_macro_recall(_summed(items)))


def baselines(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Trivial policy: always the most frequent gold label of the scored items (ties: the first
    in label order), written as the prompt asks (one label word)."""
    if not docs:
        return {}
    labels = [str(d["label"]) for d in docs]
    order = {label: k for k, label in enumerate(dict.fromkeys(LABELS + tuple(labels)))}
    majority = min(set(labels), key=lambda label: (-labels.count(label), order[label]))
    return {"majority": [majority] * len(docs)}
