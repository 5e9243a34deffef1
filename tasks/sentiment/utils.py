"""Sentiment: three-class polarity (negative / neutral / positive) of short texts.

Dataset: ``data/test.jsonl`` (scored) and ``data/fewshot.jsonl`` (completion-mode examples),
original texts written for this project, CC0. Record: ``{"id", "text", "label"}``.
Metrics: accuracy and macro-F1 (scikit-learn definition, all three labels), ×100; invalid
rate ×100. The label is
read from free text by :func:`evals.metrics.classification.parse_label`; no label word →
invalid (scored wrong). ``sentiment_choice`` scores the same items by loglikelihood of the
label words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from evals.data import load_splits
from evals.metrics.classification import label_statistics, parse_label
from evals.statistics import reduce_macro_f1

LABELS = ("negative", "neutral", "positive")
DATA_DIR = Path(__file__).resolve().parent / "data"


def _check(row: dict[str, Any]) -> str | None:
    if row["label"] not in LABELS:
        return f"label {row['label']!r} is not one of {', '.join(LABELS)}"
    if not isinstance(row["text"], str) or not row["text"].strip():
        return "text is empty"
    return None


def load_dataset(**_: Any) -> Any:
    """The bundled splits (lm-eval ``custom_dataset`` hook)."""
    return load_splits(
        DATA_DIR,
        {"test": "test.jsonl", "fewshot": "fewshot.jsonl"},
        ("id", "text", "label"),
        _check,
    )


def label_index(doc: dict[str, Any]) -> int:
    """Index of the gold label among the choices."""
    return LABELS.index(doc["label"])


def parse_output(doc: dict[str, Any], output: str) -> str | None:
    """The label the output names (None: invalid)."""
    return parse_label(output, LABELS)


def _scores(gold: str, predicted: str | None, prefix: str = "") -> dict[str, Any]:
    return {
        f"{prefix}accuracy": 100.0 * (predicted == gold),
        f"{prefix}macro_f1": label_statistics(gold, predicted, LABELS),
    }


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    """Per-item scores of a generated answer."""
    predicted = parse_output(doc, results[0])
    return {**_scores(doc["label"], predicted), "invalid": 100.0 * (predicted is None)}


def process_results_choice(
    doc: dict[str, Any], results: list[tuple[float, bool]]
) -> dict[str, Any]:
    """Per-item scores of the most likely label word."""
    loglikelihoods = [ll for ll, _ in results]
    return _scores(doc["label"], LABELS[int(np.argmax(loglikelihoods))], prefix="choice_")


def macro_f1_aggregation(items: list[list[float]]) -> float:
    """Corpus macro-F1 ×100 from per-item one-hot statistics."""
    return float(reduce_macro_f1(np.sum(np.asarray(items, dtype=float), axis=0)))
