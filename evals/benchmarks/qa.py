"""Reading-comprehension benchmarks in SQuAD JSON (``data[].paragraphs[].qas[]``).

- **SQuAD v1.1** (Rajpurkar et al., 2016): dev set, 10,570 questions. Metric: EM and F1.
- **SQuAD v2.0** (Rajpurkar et al., 2018, "Know What You Don't Know"): dev set, 11,873
  questions, 5,945 unanswerable (``is_impossible``; empty ``answers`` here). Metric: EM and F1
  under the v2.0 rule.

Few-shot examples (completion mode) are drawn from the scored dev set, never the item itself;
the hub path uses ``train``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.benchmarks import Benchmark, HubSource, Records, register
from evals.errors import DataError


def _squad(path: Path) -> Records:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise DataError(f"{path}: not a SQuAD file ({err})") from None
    records = []
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [] if qa.get("is_impossible") else [a["text"] for a in qa["answers"]]
                records.append({
                    "id": qa["id"], "title": article.get("title", ""),
                    "context": paragraph["context"], "question": qa["question"],
                    "answers": list(dict.fromkeys(answers)),
                })  # fmt: skip
    return records


def _hub_rows(dataset: Any) -> Records:
    return [
        {"id": row["id"], "title": row.get("title", ""), "context": row["context"],
         "question": row["question"], "answers": list(dict.fromkeys(row["answers"]["text"]))}
        for row in dataset
    ]  # fmt: skip


SQUAD_V11 = register(Benchmark(
    "squad_v1.1", "qa", "dev", ("squad_v1.1/dev-v1.1.reconstructed.json",),
    "rajpurkar.github.io/SQuAD-explorer (dev-v1.1.json)", "f1",
    lambda d: _squad(d / "squad_v1.1" / "dev-v1.1.reconstructed.json"),
    hub=HubSource("rajpurkar/squad", None, "validation", _hub_rows, fewshot_split="train"),
))  # fmt: skip
SQUAD_V20 = register(Benchmark(
    "squad_v2.0", "qa", "dev", ("squad_v2.0/dev-v2.0.reconstructed.json",),
    "rajpurkar.github.io/SQuAD-explorer (dev-v2.0.json)", "f1",
    lambda d: _squad(d / "squad_v2.0" / "dev-v2.0.reconstructed.json"),
    hub=HubSource("rajpurkar/squad_v2", None, "validation", _hub_rows, fewshot_split="train"),
))  # fmt: skip
