"""Labels from free text, and per-item statistics for accuracy, macro-F1 and macro-recall.

Parsing rule (documented in ``tasks/sentiment/README.md``): the output is lower-cased and the
label word (e.g. ``positive``, ``negative``, ``neutral``) whose first whole-word occurrence comes
earliest is the answer. ``"Positive."``, ``"Sentiment: negative"`` and ``"It is neutral, not
negative"`` parse as positive, negative and neutral. No label word at all → invalid (scored
wrong, counted in the invalid rate). Negation is not interpreted: "not positive" reads as
positive; models asked for one word rarely write it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def parse_label(output: str, labels: Sequence[str]) -> str | None:
    """The label named earliest in ``output``, or ``None`` when it names none."""
    text = output.lower()
    best: tuple[int, str] | None = None
    for label in labels:
        match = re.search(rf"(?<![a-z]){re.escape(label.lower())}(?![a-z])", text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), label)
    return best[1] if best else None


def label_statistics(gold: str, predicted: str | None, labels: Sequence[str]) -> list[float]:
    """One-hot ``[tp_k.., predicted_k.., gold_k..]`` over ``labels`` for one item; summed over
    items they give scikit-learn's macro-F1 and macro-recall (see ``evals.statistics``)."""
    k = len(labels)
    stats = [0.0] * (3 * k)
    gold_index = labels.index(gold)
    stats[2 * k + gold_index] = 1.0
    if predicted is not None:
        pred_index = labels.index(predicted)
        stats[k + pred_index] = 1.0
        if pred_index == gold_index:
            stats[gold_index] = 1.0
    return stats
