"""NER benchmarks (CoNLL column files with IOB2 tags, read by :func:`evals.score.read_conll`).

- **CoNLL-2003 English** (Tjong Kim Sang & De Meulder, 2003; test set ``eng.testb``, 3,453
  sentences; PER, ORG, LOC, MISC). Metric: entity-level micro F1 (conlleval / seqeval).
- **WNUT-17** (Derczynski et al., 2017, "Results of the WNUT2017 Shared Task on Novel and
  Emerging Entity Recognition"; ``emerging.test.annotated``, 1,287 sentences; person,
  location, group, corporation, creative-work, product). Metric: entity-level F1.
"""

from __future__ import annotations

from pathlib import Path

from evals.benchmarks import Benchmark, Records, register
from evals.score import read_conll


def _conll_records(path: Path, prefix: str) -> Records:
    return [
        {"id": f"{prefix}-{i:05d}", "tokens": tokens, "tags": tags}
        for i, (tokens, tags) in enumerate(read_conll(path), start=1)
    ]


CONLL2003 = register(Benchmark(
    "conll2003", "ner", ("conll2003/eng.testb",), "the CoNLL-2003 shared task (Reuters RCV1)",
    "f1", lambda d: _conll_records(d / "conll2003" / "eng.testb", "conll"),
    labels=("PER", "ORG", "LOC", "MISC"),
))  # fmt: skip
WNUT17 = register(Benchmark(
    "wnut17", "ner", ("wnut17/emerging.test.annotated",),
    "github.com/leondz/emerging_entities_17", "f1",
    lambda d: _conll_records(d / "wnut17" / "emerging.test.annotated", "wnut17"),
    labels=("person", "location", "group", "corporation", "creative-work", "product"),
))  # fmt: skip
