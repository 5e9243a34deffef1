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
from evals.usecases import Generation, Metric, Task, UseCaseDefinition
from evals.usecases.aggregations import aggregate_macro_f1 as aggregate_macro_f1
from evals.usecases.aggregations import aggregate_macro_recall as aggregate_macro_recall

LABELS = THREE_WAY
PROMPT = (
    "Classify the sentiment of the text as positive, negative or neutral. Answer with one word."
    "\n\nText: {{text}}\nSentiment:"
)
"""The prompt (a Jinja template over the record), the same in both prompt modes."""
BINARY_PROMPT = (
    "Classify the sentiment of the text as positive or negative. Answer with one word."
    "\n\nText: {{text}}\nSentiment:"
)
TARGET = "{{label}}"
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

_check = BUNDLED.check
parse_output = BUNDLED.parse_output
process_results = BUNDLED.process_results
sst2_process_results = SST2.process_results
tweet_eval_process_results = TWEET_EVAL.process_results
sst2_parse_output = SST2.parse_output
tweet_eval_parse_output = TWEET_EVAL.parse_output


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


def baselines(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Trivial policy: always the most frequent gold label of the scored items (ties: the first
    in label order), written as the prompt asks (one label word)."""
    if not docs:
        return {}
    labels = [str(d["label"]) for d in docs]
    order = {label: k for k, label in enumerate(dict.fromkeys(LABELS + tuple(labels)))}
    majority = min(set(labels), key=lambda label: (-labels.count(label), order[label]))
    return {"majority": [majority] * len(docs)}


_LABEL_METRICS = (Metric("accuracy"), Metric("macro_f1", "macro_f1"))
_INVALID = Metric("invalid", higher_is_better=False)

USE_CASE = UseCaseDefinition(
    name="sentiment",
    claims=("sentiment",),
    about="Sentiment polarity named in free text; accuracy, macro-F1, macro-recall.",
    version="1.0",
    primary_metric="accuracy",
    fewshot_completion=4,
    generation=Generation(until=("\n\n", "Text:"), max_gen_toks=8),
    labels=LABELS,
    tasks=(
        Task(
            "sentiment",
            load_dataset,
            PROMPT,
            TARGET,
            process_results,
            (*_LABEL_METRICS, _INVALID),
            parse=parse_output,
            baselines=baselines,
            about="Sentiment of the bundled texts, the label named in free text.",
        ),
        Task(
            "sentiment_choice",
            load_dataset,
            PROMPT,
            label_index,
            process_results_choice,
            (Metric("choice_accuracy"), Metric("choice_macro_f1", "macro_f1")),
            output_type="multiple_choice",
            choices=LABELS,
            primary_metric="choice_accuracy",
            about="The bundled texts scored by the loglikelihood of each label word.",
        ),
    ),
    benchmarks=(
        Task(
            "sst2",
            load_sst2,
            BINARY_PROMPT,
            TARGET,
            sst2_process_results,
            (*_LABEL_METRICS, _INVALID),
            parse=sst2_parse_output,
            baselines=baselines,
            benchmark="sst2",
            about="SST-2 (GLUE dev, 872 sentences), two labels.",
        ),
        Task(
            "tweet_eval",
            load_tweet_eval,
            PROMPT,
            TARGET,
            tweet_eval_process_results,
            (Metric("macro_recall", "macro_recall"), *_LABEL_METRICS, _INVALID),
            parse=tweet_eval_parse_output,
            baselines=baselines,
            benchmark="tweet_eval",
            primary_metric="macro_recall",
            about="TweetEval sentiment test; macro-recall, its official metric.",
        ),
    ),
)
"""The sentiment use case: bundled texts (three labels), SST-2 and TweetEval."""
