"""Scorers for each use case, built on the field's libraries (rouge-score, seqeval,
scikit-learn). One implementation per metric: task hooks and ``evals score`` both call these."""

from evals.metrics.classification import label_statistics, parse_label
from evals.metrics.ner import align_entities, entity_counts, parse_entities
from evals.metrics.rouge import ROUGE_TYPES, rouge_scores, split_sentences
from evals.metrics.squad import normalize_answer, squad_scores

__all__ = [
    "ROUGE_TYPES",
    "align_entities",
    "entity_counts",
    "label_statistics",
    "normalize_answer",
    "parse_entities",
    "parse_label",
    "rouge_scores",
    "split_sentences",
    "squad_scores",
]
