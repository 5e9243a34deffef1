"""Summarization: one- or two-sentence summaries of short news articles.

Datasets: the bundled ``data/test.jsonl`` (30 articles) and ``data/fewshot.jsonl``
(completion-mode examples), original articles and reference summaries written for this project,
CC0; and the real benchmarks XSum, CNN/DailyMail, SAMSum and DialogSum (``<name>.yaml``), read
from ``DATA_DIR`` or the hub by :mod:`evals.benchmarks`. Record:
``{"id", "document", "summaries": [...]}`` (several references allowed; XSum, CNN/DM, SAMSum and
DialogSum map onto it). Metric: ROUGE-1/2/L/Lsum F-measure ×100 from Google's rouge-score,
stemmer on, rougeLsum on newline-split sentences, best over references
(:mod:`evals.metrics.rouge`). Primary: rougeLsum. An empty output is invalid (and scores 0).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from evals.benchmarks.sources import benchmark_dataset
from evals.data import load_splits
from evals.metrics.rouge import rouge_scores
from evals.usecases import Generation, Metric, Task, UseCaseDefinition

DATA_DIR = Path(__file__).resolve().parent / "data"
INSTRUCTION = "Summarize the article in one sentence."
DIALOGUE_INSTRUCTION = "Summarize the dialogue in one or two sentences."


def _check(row: dict[str, Any]) -> str | None:
    summaries = row["summaries"]
    if (
        not isinstance(summaries, list)
        or not summaries
        or not all(isinstance(s, str) and s.strip() for s in summaries)
    ):
        return "summaries must be a non-empty list of non-empty strings"
    return None


def load_dataset(**_: Any) -> Any:
    """The bundled splits (lm-eval ``custom_dataset`` hook)."""
    return load_splits(
        DATA_DIR,
        {"test": "test.jsonl", "fewshot": "fewshot.jsonl"},
        ("id", "document", "summaries"),
        _check,
    )


def doc_to_text(doc: dict[str, Any]) -> str:
    """Instruction, article, and the answer cue."""
    return f"{INSTRUCTION}\n\nArticle: {doc['document']}\nSummary:"


def dialogue_doc_to_text(doc: dict[str, Any]) -> str:
    """Instruction, dialogue, and the answer cue (SAMSum, DialogSum)."""
    return f"{DIALOGUE_INSTRUCTION}\n\nDialogue:\n{doc['document']}\nSummary:"


def load_xsum(**metadata: Any) -> Any:
    """XSum test from DATA_DIR (FRANK sample) or the hub (full test split)."""
    return benchmark_dataset("xsum", **metadata)


def load_cnn_dailymail(**metadata: Any) -> Any:
    """CNN/DailyMail test from DATA_DIR (FRANK sample) or the hub (full test split)."""
    return benchmark_dataset("cnn_dailymail", **metadata)


def load_samsum(**metadata: Any) -> Any:
    """SAMSum test from DATA_DIR or the hub."""
    return benchmark_dataset("samsum", **metadata)


def load_dialogsum(**metadata: Any) -> Any:
    """DialogSum test (three references per dialogue) from DATA_DIR."""
    return benchmark_dataset("dialogsum", **metadata)


def doc_to_target(doc: dict[str, Any]) -> str:
    """The first reference (used for few-shot examples)."""
    return doc["summaries"][0]


def parse_output(doc: dict[str, Any], output: str) -> str:
    """The summary as scored: the output, stripped."""
    return str(output).strip()


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    """Per-item ROUGE F-measures ×100."""
    summary = parse_output(doc, results[0])
    scores = (
        rouge_scores(summary, doc["summaries"])
        if summary
        else dict.fromkeys(("rouge1", "rouge2", "rougeL", "rougeLsum"), 0.0)
    )
    return {**scores, "invalid": 100.0 * (not summary)}


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9])")


def sentences(document: str) -> list[str]:
    """A document's sentences: its lines for a dialogue (one utterance per line), else split
    after ., ! or ? followed by a capitalised word."""
    lines = [line.strip() for line in document.splitlines() if line.strip()]
    if len(lines) > 1:
        return lines
    return [s.strip() for s in _SENTENCE_END.split(document.strip()) if s.strip()]


def baselines(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Trivial policies: the first sentence (LEAD-1) and the first three (LEAD-3, the field's
    standard baseline for news; for a dialogue, its first utterances), one per line."""
    return {f"lead{k}": ["\n".join(sentences(d["document"])[:k]) for d in docs] for k in (1, 3)}


_METRICS = (
    Metric("rougeLsum"),
    Metric("rouge1"),
    Metric("rouge2"),
    Metric("rougeL"),
    Metric("invalid", higher_is_better=False),
)


def _benchmark(name: str, loader: Any, prompt: Any, about: str, **settings: Any) -> Task:
    return Task(
        name,
        loader,
        prompt,
        doc_to_target,
        process_results,
        _METRICS,
        parse=parse_output,
        baselines=baselines,
        benchmark=name,
        about=about,
        **settings,
    )


USE_CASE = UseCaseDefinition(
    name="summarization",
    claims=("summarization",),
    about="One-sentence summaries of articles and dialogues; ROUGE against the references.",
    version="1.0",
    primary_metric="rougeLsum",
    fewshot_completion=2,
    generation=Generation(until=("\n\n", "Article:"), max_gen_toks=64),
    tasks=(
        Task(
            "summarization",
            load_dataset,
            doc_to_text,
            doc_to_target,
            process_results,
            _METRICS,
            parse=parse_output,
            baselines=baselines,
            about="One-sentence summaries of the bundled articles; see README.md.",
        ),
    ),
    benchmarks=(
        _benchmark(
            "xsum",
            load_xsum,
            doc_to_text,
            "XSum test, one-sentence BBC summaries.",
            primary_metric="rougeL",
        ),
        _benchmark(
            "cnn_dailymail",
            load_cnn_dailymail,
            doc_to_text,
            "CNN/DailyMail 3.0.0 test, highlights as references.",
            fewshot_completion=1,
        ),
        _benchmark(
            "samsum", load_samsum, dialogue_doc_to_text, "SAMSum test, messenger dialogues."
        ),
        _benchmark(
            "dialogsum",
            load_dialogsum,
            dialogue_doc_to_text,
            "DialogSum test, three references per dialogue.",
            primary_metric="rougeL",
        ),
    ),
)
"""The summarization use case: bundled articles, XSum, CNN/DailyMail, SAMSum, DialogSum."""
