"""Scorers for each use case, built on the field's libraries (rouge-score, seqeval,
scikit-learn). One implementation per metric: task hooks and ``evals score`` both call these.

Names are imported on first use (PEP 562), so a task that needs only SQuAD scoring does not
pay for importing seqeval and scikit-learn (1.5 s) or rouge-score and nltk (0.5 s)."""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "label_statistics": "classification",
    "parse_label": "classification",
    "align_entities": "ner",
    "entity_counts": "ner",
    "parse_entities": "ner",
    "ROUGE_TYPES": "rouge",
    "rouge_scores": "rouge",
    "split_sentences": "rouge",
    "normalize_answer": "squad",
    "squad_scores": "squad",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"evals.metrics.{_WHERE[name]}"), name)
