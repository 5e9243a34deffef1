"""Reading-comprehension benchmarks in SQuAD JSON (``data[].paragraphs[].qas[]``).

- **SQuAD v1.1** (Rajpurkar et al., 2016): dev set, 10,570 questions. Metric: EM and F1.
- **SQuAD v2.0** (Rajpurkar et al., 2018, "Know What You Don't Know"): dev set, 11,873
  questions, 5,945 unanswerable (``is_impossible``; empty ``answers`` here). Metric: EM and F1
  under the v2.0 rule.

Few-shot examples (completion mode): the local copies hold only the dev sets, every dev
question is scored, and the SQuAD v2.0 dev articles are all SQuAD v1.1 dev articles, so neither
set can lend the other a pool without repeating scored passages and questions. Both use the
bundled QA use case's three project-written examples instead (``tasks/qa/data/fewshot.jsonl``,
CC0: one passage, two answerable questions and one unanswerable, matching the prompt's
instruction), which share no passage or question with SQuAD; the hub path uses ``train``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.benchmarks import REPO, Benchmark, HubSource, Records, read_rows, register
from evals.errors import DataError

FEWSHOT = "tasks/qa/data/fewshot.jsonl"
"""The bundled QA use case's few-shot examples (repository path), the pool of both SQuAD
tasks."""


def _bundled_fewshot(_: Path) -> Records:
    keys = ("id", "title", "context", "question", "answers")
    return [{k: row.get(k, "") for k in keys} for row in read_rows(REPO / FEWSHOT)]


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
                records.append(
                    {
                        "id": qa["id"],
                        "title": article.get("title", ""),
                        "context": paragraph["context"],
                        "question": qa["question"],
                        "answers": list(dict.fromkeys(answers)),
                    }
                )
    return records


def _hub_rows(dataset: Any) -> Records:
    return [
        {
            "id": row["id"],
            "title": row.get("title", ""),
            "context": row["context"],
            "question": row["question"],
            "answers": list(dict.fromkeys(row["answers"]["text"])),
        }
        for row in dataset
    ]


def _register_squad(version: str, hub_id: str) -> Benchmark:
    relative = f"squad_v{version}/dev-v{version}.reconstructed.json"
    return register(
        Benchmark(
            f"squad_v{version}",
            "qa",
            "dev",
            (relative,),
            f"rajpurkar.github.io/SQuAD-explorer (dev-v{version}.json)",
            "f1",
            lambda d: _squad(d / relative),
            fewshot=_bundled_fewshot,
            fewshot_bundled=(FEWSHOT,),
            fewshot_pool="the bundled QA examples (tasks/qa/data/fewshot.jsonl), not SQuAD",
            hub=HubSource(hub_id, None, "validation", _hub_rows, fewshot_split="train"),
        )
    )


SQUAD_V11 = _register_squad("1.1", "rajpurkar/squad")
SQUAD_V20 = _register_squad("2.0", "rajpurkar/squad_v2")
