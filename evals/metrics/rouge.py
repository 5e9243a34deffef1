"""ROUGE F-measure ×100 with Google's ``rouge-score``: ROUGE-1, ROUGE-2, ROUGE-L, ROUGE-Lsum.

Convention (the one papers report for CNN/DM and XSum): Porter stemmer on; ROUGE-Lsum computed
on newline-separated sentences (summary-level LCS), which rouge-score does only when sentences
are split by ``\\n``. Texts are split into sentences here first (:func:`split_sentences`);
ROUGE-L without the split is also reported, since tools differ (BART-large-cnn: rougeL 30.6 vs
rougeLsum 40.0). With several references, each ROUGE type takes the best reference
(``score_multi``), as in SAMSum/DialogSum multi-reference practice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace and
# an upper-case letter, digit or opening quote. Abbreviations such as "Dr." are rare in
# summaries; existing newlines are kept as boundaries.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def split_sentences(text: str) -> str:
    """One sentence per line, for ROUGE-Lsum."""
    lines: list[str] = []
    for line in text.strip().splitlines():
        lines.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return "\n".join(lines)


def rouge_scores(prediction: str, references: str | Sequence[str]) -> dict[str, float]:
    """F-measure ×100 of each ROUGE type for one prediction (best over references)."""
    refs = [references] if isinstance(references, str) else list(references)
    if not refs:
        raise ValueError("ROUGE needs at least one reference")
    pred = split_sentences(prediction)
    scores = _scorer().score_multi([split_sentences(r) for r in refs], pred)
    return {name: 100.0 * scores[name].fmeasure for name in ROUGE_TYPES}
