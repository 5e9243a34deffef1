"""NER benchmarks (CoNLL column files with IOB2 tags, read by :func:`evals.data.read_conll`).

- **CoNLL-2003 English** (Tjong Kim Sang & De Meulder, 2003; test set ``eng.testb``, 3,453
  sentences; PER, ORG, LOC, MISC). Metric: entity-level micro F1 (conlleval / seqeval).
  Few-shot examples: the dev set ``eng.testa``.
- **WNUT-17** (Derczynski et al., 2017, "Results of the WNUT2017 Shared Task on Novel and
  Emerging Entity Recognition"; ``emerging.test.annotated``, 1,287 sentences; person,
  location, group, corporation, creative-work, product). Metric: entity-level F1. Few-shot
  examples: the dev set ``emerging.dev.conll``.

A dev sentence identical to a test sentence is no few-shot example (``disjoint_pool``): 64 of
``eng.testa``'s 3,250 are, all boilerplate of the Reuters sports and finance pages
(``Scorers :``, ``Division one``, ``It gave no further details .``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.benchmarks import Benchmark, HubSource, Records, register
from evals.data import read_conll

CONLL_TYPES = ("PER", "ORG", "LOC", "MISC")
WNUT_TYPES = ("person", "location", "group", "corporation", "creative-work", "product")


def _conll_records(path: Path, prefix: str) -> Records:
    return [
        {"id": f"{prefix}-{i:05d}", "tokens": tokens, "tags": tags}
        for i, (tokens, tags) in enumerate(read_conll(path), start=1)
    ]


def _hub_rows(prefix: str) -> Any:
    def convert(dataset: Any) -> Records:
        names = dataset.features["ner_tags"].feature.names
        return [
            {
                "id": f"{prefix}-{i:05d}",
                "tokens": list(row["tokens"]),
                "tags": [names[t] for t in row["ner_tags"]],
            }
            for i, row in enumerate(dataset, start=1)
            if row["tokens"]
        ]

    return convert


CONLL2003 = register(
    Benchmark(
        "conll2003",
        "ner",
        "test",
        ("conll2003/eng.testb",),
        "the CoNLL-2003 shared task (Reuters RCV1)",
        "f1",
        lambda d: _conll_records(d / "conll2003" / "eng.testb", "conll"),
        labels=CONLL_TYPES,
        fewshot=lambda d: _conll_records(d / "conll2003" / "eng.testa", "conll-dev"),
        fewshot_files=("conll2003/eng.testa",),
        fewshot_pool="dev set eng.testa, less sentences that are also test sentences",
        hub=HubSource(
            "eriktks/conll2003", None, "test", _hub_rows("conll"), fewshot_split="validation"
        ),
    )
)
WNUT17 = register(
    Benchmark(
        "wnut17",
        "ner",
        "test",
        ("wnut17/emerging.test.annotated",),
        "github.com/leondz/emerging_entities_17",
        "f1",
        lambda d: _conll_records(d / "wnut17" / "emerging.test.annotated", "wnut17"),
        labels=WNUT_TYPES,
        fewshot=lambda d: _conll_records(d / "wnut17" / "emerging.dev.conll", "wnut17-dev"),
        fewshot_files=("wnut17/emerging.dev.conll",),
        fewshot_pool="dev set emerging.dev.conll",
        hub=HubSource(
            "leondz/wnut_17", None, "test", _hub_rows("wnut17"), fewshot_split="validation"
        ),
    )
)
