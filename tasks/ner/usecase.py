"""NER: entities from a generative model, scored as seqeval entity-level F1.

Datasets: the bundled ``data/test.jsonl`` (64 sentences, scored) and ``data/fewshot.jsonl``
(completion-mode examples), original sentences written for this project, CC0, CoNLL types
(PER, ORG, LOC, MISC); and the real benchmarks CoNLL-2003 (``conll2003.yaml``, same types) and
WNUT-17 (``wnut17.yaml``: person, location, group, corporation, creative-work, product), read
from ``DATA_DIR`` or the hub by :mod:`evals.benchmarks`. Record:
``{"id", "tokens": [...], "tags": [IOB2 ...]}``.
Metric: seqeval entity-level micro precision / recall / F1 ×100 (exact span and type), F1 per
type; the answer format, parsing and alignment rules are in :mod:`evals.metrics.ner`.
``invalid`` is the format-failure rate (no parseable list); ``unaligned`` the share of items
with a listed entity that tags nothing (found nowhere in the sentence, only over tokens already
tagged, or listed more often than it occurs).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.benchmarks.ner import CONLL_TYPES, WNUT_TYPES
from evals.benchmarks.sources import benchmark_dataset
from evals.data import load_splits
from evals.metrics.ner import align_entities, entity_counts, get_entities, parse_entities
from evals.usecases import Generation, Metric, Task, UseCaseDefinition
from evals.usecases.aggregations import aggregate_f1 as aggregate_f1
from evals.usecases.aggregations import aggregate_precision as aggregate_precision
from evals.usecases.aggregations import aggregate_recall as aggregate_recall

TYPES = CONLL_TYPES
DATA_DIR = Path(__file__).resolve().parent / "data"
_FORMAT = (
    'List the named entities in the sentence as a JSON list of objects with "text" and "type" '
    "keys. Types: {types}. Copy each entity's text exactly as it appears, and list a name "
    "once for each time it occurs. Reply [] if there are none."
)
INSTRUCTION = _FORMAT.format(
    types="PER (person), ORG (organization), LOC (location), MISC (other names such as "
    "nationalities, events and works)"
)
WNUT_INSTRUCTION = _FORMAT.format(
    types="person, location, group (bands, teams, organizations without a company), "
    "corporation, creative-work (songs, films, books, games), product"
)


class EntityTask:
    """Prompt, parsing and scoring hooks for one entity type set."""

    def __init__(self, types: Sequence[str], instruction: str) -> None:
        self.types = tuple(types)
        self.instruction = instruction

    def check(self, row: dict[str, Any]) -> str | None:
        """Why a row is unusable, or None."""
        tokens, tags = row["tokens"], row["tags"]
        if not isinstance(tokens, list) or not tokens or len(tokens) != len(tags):
            return "tokens and tags must be non-empty lists of the same length"
        for tag in tags:
            if tag != "O" and (tag[:2] not in ("B-", "I-") or tag[2:] not in self.types):
                return f"tag {tag!r} is not IOB2 over {', '.join(self.types)}"
        return None

    def doc_to_text(self, doc: dict[str, Any]) -> str:
        """Instruction, sentence, and the answer cue."""
        return f"{self.instruction}\n\nSentence: {' '.join(doc['tokens'])}\nEntities:"

    def parse_output(self, doc: dict[str, Any], output: str) -> dict[str, Any]:
        """Parsed entities, the IOB2 tags they align to, and what could not be placed."""
        parsed = parse_entities(str(output), self.types)
        tags, unaligned = align_entities(doc["tokens"], parsed.entities)
        return {
            "entities": [{"text": t, "type": k} for t, k in parsed.entities],
            "tags": tags,
            "unaligned": unaligned,
            "format_ok": parsed.format_ok,
        }

    def process_results(self, doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
        """Per-item entity counts (``[tp, predicted, gold]``) and failure indicators."""
        parsed = self.parse_output(doc, results[0])
        counts = entity_counts(doc["tags"], parsed["tags"], self.types, parsed["unaligned"])
        return {
            **counts,
            "unaligned": 100.0 * bool(parsed["unaligned"]),
            "invalid": 100.0 * (not parsed["format_ok"]),
        }


BUNDLED = EntityTask(TYPES, INSTRUCTION)
WNUT17 = EntityTask(WNUT_TYPES, WNUT_INSTRUCTION)

_check = BUNDLED.check
doc_to_text = BUNDLED.doc_to_text
parse_output = BUNDLED.parse_output
process_results = BUNDLED.process_results
wnut17_doc_to_text = WNUT17.doc_to_text
wnut17_process_results = WNUT17.process_results
wnut17_parse_output = WNUT17.parse_output


def load_dataset(**_: Any) -> Any:
    """The bundled splits (lm-eval ``custom_dataset`` hook)."""
    return load_splits(
        DATA_DIR,
        {"test": "test.jsonl", "fewshot": "fewshot.jsonl"},
        ("id", "tokens", "tags"),
        _check,
    )


def load_conll2003(**metadata: Any) -> Any:
    """CoNLL-2003 English test (few-shot: dev) from DATA_DIR or the hub."""
    return benchmark_dataset("conll2003", **metadata)


def load_wnut17(**metadata: Any) -> Any:
    """WNUT-17 test (few-shot: dev) from DATA_DIR or the hub."""
    return benchmark_dataset("wnut17", **metadata)


def gold_entities(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The gold entities in the answer format."""
    return [
        {"text": " ".join(doc["tokens"][start : end + 1]), "type": kind}
        for kind, start, end in get_entities(list(doc["tags"]))
    ]


def doc_to_target(doc: dict[str, Any]) -> str:
    """The reference answer (used for few-shot examples)."""
    return json.dumps(gold_entities(doc), ensure_ascii=False)


def baselines(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Trivial policy: no entities (the reply the prompt asks for when there are none)."""
    return {"no_entities": ["[]"] * len(docs)}


def _metrics(types: Sequence[str]) -> tuple[Metric, ...]:
    return (
        Metric("f1", "f1"),
        Metric("precision", "precision"),
        Metric("recall", "recall"),
        *(Metric(f"f1_{kind}", "f1") for kind in types),
        Metric("unaligned", higher_is_better=False),
        Metric("invalid", higher_is_better=False),
    )


USE_CASE = UseCaseDefinition(
    name="ner",
    claims=("NER", "extraction"),
    about="Named entities from a generative model, seqeval entity-level F1.",
    version="1.1",
    primary_metric="f1",
    fewshot_completion=3,
    generation=Generation(until=("\n\n", "Sentence:"), max_gen_toks=96),
    labels=TYPES,
    tasks=(
        Task(
            "ner",
            load_dataset,
            doc_to_text,
            doc_to_target,
            process_results,
            _metrics(TYPES),
            parse=parse_output,
            baselines=baselines,
            about="Named-entity recognition on the bundled sentences; see README.md.",
        ),
    ),
    benchmarks=(
        Task(
            "conll2003",
            load_conll2003,
            doc_to_text,
            doc_to_target,
            process_results,
            _metrics(TYPES),
            parse=parse_output,
            baselines=baselines,
            benchmark="conll2003",
            about="CoNLL-2003 English test (eng.testb; few-shot from eng.testa).",
        ),
        Task(
            "wnut17",
            load_wnut17,
            wnut17_doc_to_text,
            doc_to_target,
            wnut17_process_results,
            _metrics(WNUT_TYPES),
            parse=wnut17_parse_output,
            baselines=baselines,
            benchmark="wnut17",
            about="WNUT-17 test (few-shot from dev), its six entity types.",
        ),
    ),
)
"""The NER use case: bundled sentences (CoNLL types), CoNLL-2003 and WNUT-17."""
