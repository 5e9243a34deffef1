"""Summarization benchmarks.

- **XSum** (Narayan et al., 2018, "Don't Give Me the Details, Just the Summary!"): 251 BBC test
  articles from the FRANK sample (Pagnoni et al., 2021). Metric: ROUGE-1/2/L.
- **CNN/DailyMail** (Hermann et al., 2015; See et al., 2017): 250 test articles from the FRANK
  sample; the reference is the highlights. Metric: ROUGE-1/2/Lsum.
- **SAMSum** (Gliwa et al., 2019, dialogue summaries): the 819 test dialogues, fields
  ``context`` and ``response``. Metric: ROUGE.
- **DialogSum** (Chen et al., 2021): 500 test dialogues with three references each
  (``summary1..3``); scored against the best reference. Metric: ROUGE.
"""

from __future__ import annotations

import json
from pathlib import Path

from evals.benchmarks import Benchmark, Records, register
from evals.errors import DataError


def _jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{number}: not valid JSON ({err.msg})") from None
    return rows


def _frank(path: Path) -> Records:
    return [
        {"id": str(row["id"]), "document": row["article"], "summaries": [row["reference"]]}
        for row in _jsonl(path)
    ]


def _samsum(data_dir: Path) -> Records:
    rows = _jsonl(data_dir / "samsum" / "test.jsonl")
    return [
        {"id": f"samsum-{i:04d}", "document": row["context"], "summaries": [row["response"]]}
        for i, row in enumerate(rows, start=1)
    ]


def _dialogsum(data_dir: Path) -> Records:
    rows = _jsonl(data_dir / "dialogsum" / "dialogsum.test.jsonl")
    return [
        {"id": row["fname"], "document": row["dialogue"],
         "summaries": [row[k] for k in ("summary1", "summary2", "summary3") if row.get(k)]}
        for row in rows
    ]  # fmt: skip


XSUM = register(Benchmark(
    "xsum", "summarization", ("xsum/frank_xsum_test_sample.jsonl",),
    "github.com/artidoro/frank (XSum test sample)", "rougeL",
    lambda d: _frank(d / "xsum" / "frank_xsum_test_sample.jsonl"),
))  # fmt: skip
CNN_DM = register(Benchmark(
    "cnn_dailymail", "summarization", ("cnn_dailymail/frank_cnndm_test_sample.jsonl",),
    "github.com/artidoro/frank (CNN/DM test sample)", "rougeLsum",
    lambda d: _frank(d / "cnn_dailymail" / "frank_cnndm_test_sample.jsonl"),
))  # fmt: skip
SAMSUM = register(Benchmark(
    "samsum", "summarization", ("samsum/test.jsonl",), "the SAMSum corpus (Samsung R&D)",
    "rougeLsum", _samsum,
))  # fmt: skip
DIALOGSUM = register(Benchmark(
    "dialogsum", "summarization", ("dialogsum/dialogsum.test.jsonl",),
    "github.com/cylnlp/dialogsum", "rougeL", _dialogsum,
))  # fmt: skip
