"""Multi-turn chat benchmarks, converted to the dialogue schema of ``tasks/chat``
(``{"id", "category", "turns": [{"user", "reference"?, "golden"?}]}``).

- **MT-Bench** (Zheng et al., 2023, "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena";
  FastChat ``llm_judge/data/mt_bench``): 80 two-turn questions, 10 in each of 8 categories;
  GPT-4 reference answers for the 30 math, reasoning and coding questions
  (``reference_answer/gpt-4.jsonl``). Metric: the judge's 1-10 rating (single-answer grading).
- **MT-Bench-101** (Bai et al., 2024, "MT-Bench-101: A Fine-Grained Benchmark for Evaluating
  Large Language Models in Multi-Turn Dialogues"; OpenCompass ``mtbench101.jsonl``): 1,388
  dialogues over 13 tasks, 2-7 turns, in golden-context form: every earlier assistant turn is
  the dataset's, and each turn's dataset answer is its reference. Metric: judge rating per turn,
  the dialogue scored by its worst turn.

Both are ordered round-robin over categories (tasks), so ``LIMIT=N`` takes a balanced slice.
Their published form is the GitHub files; there is no hub path.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from evals.benchmarks import Benchmark, Records, read_rows, register
from evals.errors import DataError

NEEDS_REFERENCE = ("math", "reasoning", "coding")
"""MT-Bench categories graded against a reference answer (FastChat's ``NEED_REF_CATS``)."""


def round_robin(records: Records, key: str) -> Records:
    """Interleave records by ``key`` (first of each group, then second, ...), stable."""
    groups: dict[str, Records] = defaultdict(list)
    for record in records:
        groups[str(record[key])].append(record)
    ordered: Records = []
    depth = max(len(g) for g in groups.values()) if groups else 0
    for k in range(depth):
        ordered += [g[k] for g in groups.values() if k < len(g)]
    return ordered


def _mt_bench(data_dir: Path) -> Records:
    folder = data_dir / "mt_bench"
    references = {}
    for row in read_rows(folder / "reference_answer" / "gpt-4.jsonl"):
        references[int(row["question_id"])] = list(row["choices"][0]["turns"])
    records = []
    for row in read_rows(folder / "question.jsonl"):
        qid, turns = int(row["question_id"]), row.get("turns")
        if not isinstance(turns, list) or not turns:
            raise DataError(f"{folder / 'question.jsonl'}: question {qid} has no turns")
        refs = references.get(qid, [])
        records.append(
            {
                "id": f"mtbench-{qid}",
                "category": str(row["category"]),
                "turns": [
                    {"user": str(q), **({"reference": str(refs[k])} if k < len(refs) else {})}
                    for k, q in enumerate(turns)
                ],
            }
        )
    return round_robin(records, "category")


def _mt_bench_101(data_dir: Path) -> Records:
    path = data_dir / "mt_bench_101" / "mtbench101.jsonl"
    records = []
    for row in read_rows(path):
        history = row.get("history")
        if not isinstance(history, list) or not history:
            raise DataError(f"{path}: dialogue {row.get('id')} has no history")
        records.append(
            {
                "id": f"mtbench101-{row['task']}-{row['id']}",
                "category": str(row["task"]),
                "turns": [
                    {"user": str(t["user"]), "golden": str(t["bot"]), "reference": str(t["bot"])}
                    for t in history
                ],
            }
        )
    return round_robin(records, "category")


MT_BENCH = register(
    Benchmark(
        "mt_bench",
        "chat",
        "test",
        (
            "mt_bench/question.jsonl",
            "mt_bench/reference_answer/gpt-4.jsonl",
            "mt_bench/judge_prompts.jsonl",
        ),
        "github.com/lm-sys/FastChat, fastchat/llm_judge/data/mt_bench",
        "rating",
        _mt_bench,
    )
)
MT_BENCH_101 = register(
    Benchmark(
        "mt_bench_101",
        "chat",
        "test",
        ("mt_bench_101/mtbench101.jsonl", "mt_bench/judge_prompts.jsonl"),
        "github.com/open-compass/opencompass, data/subjective/mtbench101.jsonl",
        "rating",
        _mt_bench_101,
    )
)
