"""NER: CoNLL-style entities (PER, ORG, LOC, MISC) from a generative model.

Dataset: ``data/test.jsonl`` (64 sentences, scored) and ``data/fewshot.jsonl`` (completion-mode
examples), original sentences written for this project, CC0. Record:
``{"id", "tokens": [...], "tags": [IOB2 ...]}`` — the CoNLL-2003 column format maps onto it.
Metric: seqeval entity-level micro precision / recall / F1 ×100 (exact span and type), F1 per
type; the answer format, parsing and alignment rules are in :mod:`evals.metrics.ner`.
``invalid`` is the format-failure rate (no parseable list); ``unaligned`` the share of items
with an entity string found nowhere in the sentence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from seqeval.metrics.sequence_labeling import get_entities

from evals.data import load_splits
from evals.metrics.ner import align_entities, entity_counts, parse_entities
from evals.statistics import reduce_f1, reduce_precision, reduce_recall

TYPES = ("PER", "ORG", "LOC", "MISC")
DATA_DIR = Path(__file__).resolve().parent / "data"
INSTRUCTION = (
    'List the named entities in the sentence as a JSON list of objects with "text" and "type" '
    "keys. Types: PER (person), ORG (organization), LOC (location), MISC (other names such as "
    "nationalities, events and works). Copy each entity's text exactly as it appears. "
    "Reply [] if there are none."
)


def _check(row: dict[str, Any]) -> str | None:
    tokens, tags = row["tokens"], row["tags"]
    if not isinstance(tokens, list) or not tokens or len(tokens) != len(tags):
        return "tokens and tags must be non-empty lists of the same length"
    for tag in tags:
        if tag != "O" and (tag[:2] not in ("B-", "I-") or tag[2:] not in TYPES):
            return f"tag {tag!r} is not IOB2 over {', '.join(TYPES)}"
    return None


def load_dataset(**_: Any) -> Any:
    """The bundled splits (lm-eval ``custom_dataset`` hook)."""
    return load_splits(
        DATA_DIR,
        {"test": "test.jsonl", "fewshot": "fewshot.jsonl"},
        ("id", "tokens", "tags"),
        _check,
    )


def doc_to_text(doc: dict[str, Any]) -> str:
    """Instruction, sentence, and the answer cue."""
    return f"{INSTRUCTION}\n\nSentence: {' '.join(doc['tokens'])}\nEntities:"


def gold_entities(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The gold entities in the answer format."""
    return [
        {"text": " ".join(doc["tokens"][start : end + 1]), "type": kind}
        for kind, start, end in get_entities(list(doc["tags"]))
    ]


def doc_to_target(doc: dict[str, Any]) -> str:
    """The reference answer (used for few-shot examples)."""
    return json.dumps(gold_entities(doc), ensure_ascii=False)


def parse_output(doc: dict[str, Any], output: str) -> dict[str, Any]:
    """Parsed entities, the IOB2 tags they align to, and what could not be placed."""
    parsed = parse_entities(str(output), TYPES)
    tags, unaligned = align_entities(doc["tokens"], parsed.entities)
    return {
        "entities": [{"text": t, "type": k} for t, k in parsed.entities],
        "tags": tags,
        "unaligned": unaligned,
        "format_ok": parsed.format_ok,
    }


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    """Per-item entity counts (``[tp, predicted, gold]``) and failure indicators."""
    parsed = parse_output(doc, results[0])
    counts = entity_counts(doc["tags"], parsed["tags"], TYPES, parsed["unaligned"])
    return {
        **counts,
        "unaligned": 100.0 * bool(parsed["unaligned"]),
        "invalid": 100.0 * (not parsed["format_ok"]),
    }


def _sum(items: list[list[float]]) -> np.ndarray:
    return np.sum(np.asarray(items, dtype=float), axis=0)


def f1_aggregation(items: list[list[float]]) -> float:
    """Corpus entity-level F1 ×100."""
    return float(reduce_f1(_sum(items)))


def precision_aggregation(items: list[list[float]]) -> float:
    """Corpus entity-level precision ×100."""
    return float(reduce_precision(_sum(items)))


def recall_aggregation(items: list[list[float]]) -> float:
    """Corpus entity-level recall ×100."""
    return float(reduce_recall(_sum(items)))
