"""Summarization benchmarks.

- **XSum** (Narayan et al., 2018, "Don't Give Me the Details, Just the Summary!"): 251 BBC test
  articles from the FRANK sample (Pagnoni et al., 2021); the hub path gives the full test split
  (11,334), a different item set with a different data hash. Metric: ROUGE-1/2/L.
- **CNN/DailyMail** (Hermann et al., 2015; See et al., 2017): 250 test articles from the FRANK
  sample; the reference is the highlights. Metric: ROUGE-1/2/Lsum.
- **SAMSum** (Gliwa et al., 2019, dialogue summaries): the 819 test dialogues, fields
  ``context`` and ``response``. Metric: ROUGE.
- **DialogSum** (Chen et al., 2021): 500 test dialogues with three references each
  (``summary1..3``); scored against the best reference. Metric: ROUGE. Local only: no hub
  copy keeping the three references per dialogue could be checked from here.

None of the local copies has a train split, so the last ``HOLDOUT`` records of each file are
its few-shot pool (completion mode) and are not scored: XSum 241 of 251 scored, CNN/DM 240 of
250, SAMSum 809 of 819, DialogSum 490 of 500. The held-out records are the file's last, so the
first items, which ``LIMIT=N`` scores, stay the same. The hub path scores the whole test split
and takes its examples from ``train``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.benchmarks import Benchmark, HubSource, Records, read_rows, register

HOLDOUT = 10
"""Records at the end of each local file held out as the few-shot pool (not scored)."""
POOL = f"the file's last {HOLDOUT} records, not scored"


def _frank(path: Path) -> Records:
    return [
        {"id": str(row["id"]), "document": row["article"], "summaries": [row["reference"]]}
        for row in read_rows(path)
    ]


def _samsum(data_dir: Path) -> Records:
    rows = read_rows(data_dir / "samsum" / "test.jsonl")
    return [
        {"id": f"samsum-{i:04d}", "document": row["context"], "summaries": [row["response"]]}
        for i, row in enumerate(rows, start=1)
    ]


def _dialogsum(data_dir: Path) -> Records:
    rows = read_rows(data_dir / "dialogsum" / "dialogsum.test.jsonl")
    return [
        {
            "id": row["fname"],
            "document": row["dialogue"],
            "summaries": [row[k] for k in ("summary1", "summary2", "summary3") if row.get(k)],
        }
        for row in rows
    ]


def _hub_rows(document: str, summary: str, prefix: str) -> Any:
    def convert(dataset: Any) -> Records:
        return [
            {
                "id": str(row.get("id") or f"{prefix}-{i:05d}"),
                "document": row[document],
                "summaries": [row[summary]],
            }
            for i, row in enumerate(dataset, start=1)
            if str(row[summary]).strip()
        ]

    return convert


XSUM = register(
    Benchmark(
        "xsum",
        "summarization",
        "test",
        ("xsum/frank_xsum_test_sample.jsonl",),
        "github.com/artidoro/frank (XSum test sample)",
        "rougeL",
        lambda d: _frank(d / "xsum" / "frank_xsum_test_sample.jsonl"),
        fewshot_holdout=HOLDOUT,
        fewshot_pool=POOL,
        hub=HubSource(
            "EdinburghNLP/xsum",
            None,
            "test",
            _hub_rows("document", "summary", "xsum"),
            fewshot_split="train",
        ),
    )
)
CNN_DM = register(
    Benchmark(
        "cnn_dailymail",
        "summarization",
        "test",
        ("cnn_dailymail/frank_cnndm_test_sample.jsonl",),
        "github.com/artidoro/frank (CNN/DM test sample)",
        "rougeLsum",
        lambda d: _frank(d / "cnn_dailymail" / "frank_cnndm_test_sample.jsonl"),
        fewshot_holdout=HOLDOUT,
        fewshot_pool=POOL,
        hub=HubSource(
            "abisee/cnn_dailymail",
            "3.0.0",
            "test",
            _hub_rows("article", "highlights", "cnndm"),
            fewshot_split="train",
        ),
    )
)
SAMSUM = register(
    Benchmark(
        "samsum",
        "summarization",
        "test",
        ("samsum/test.jsonl",),
        "the SAMSum corpus (Samsung R&D)",
        "rougeLsum",
        _samsum,
        fewshot_holdout=HOLDOUT,
        fewshot_pool=POOL,
        hub=HubSource(
            "Samsung/samsum",
            None,
            "test",
            _hub_rows("dialogue", "summary", "samsum"),
            fewshot_split="train",
        ),
    )
)
DIALOGSUM = register(
    Benchmark(
        "dialogsum",
        "summarization",
        "test",
        ("dialogsum/dialogsum.test.jsonl",),
        "github.com/cylnlp/dialogsum",
        "rougeL",
        _dialogsum,
        fewshot_holdout=HOLDOUT,
        fewshot_pool=POOL,
    )
)
