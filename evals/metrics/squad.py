"""SQuAD exact match and F1 ×100, as the official v1.1/v2.0 evaluation scripts compute them.

Normalization (official): lower-case, remove punctuation, remove the articles a/an/the, collapse
whitespace. Each prediction takes the maximum over gold answers. v2.0 rule: a question with no
gold answer scores 1 only for an empty prediction, and an empty prediction scores 0 on an
answerable question.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(text: str) -> str:
    """The official SQuAD answer normalization."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _f1(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = Counter(pred_tokens) & Counter(gold_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred_tokens), overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_scores(prediction: str, gold_answers: Sequence[str]) -> dict[str, float]:
    """``exact_match`` and ``f1`` ×100 for one question (``gold_answers`` empty = unanswerable)."""
    golds = [g for g in gold_answers if normalize_answer(g)] or [""]
    exact = max(float(normalize_answer(prediction) == normalize_answer(g)) for g in golds)
    f1 = max(_f1(prediction, g) for g in golds)
    return {"exact_match": 100.0 * exact, "f1": 100.0 * f1}
