"""Code benchmarks, in the code use case's record schema: ``{"id", "prompt", "solution", "test",
"entry_point", "check"}`` (``tasks/code/utils.py`` turns one into the program that tests a
completion: prompt + completion + test, then ``check(entry_point)`` when ``check``).

- **HumanEval** (Chen et al., 2021, "Evaluating Large Language Models Trained on Code"): 164
  problems, ``HumanEval.jsonl.gz`` from ``openai/human-eval``; the prompt is the signature and
  docstring, the solution the canonical body. Metric: pass@1. No few-shot pool (zero-shot, as
  published).
- **MBPP** (Austin et al., 2021, "Program Synthesis with Large Language Models"): ``mbpp.jsonl``
  (974 tasks); test split ids 11–510 (500 tasks) scored, ids 1–10 (the prompt split) the
  few-shot pool. The prompt is the task's text and its test asserts in a docstring; the model
  writes the whole function; the test is the setup code and the asserts. Metric: pass@1.
  Zero-shot, as EvalPlus scores it: the prompt split (ids 1–10) is not used.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

from evals.benchmarks import Benchmark, HubSource, Records, register
from evals.errors import DataError

HUMANEVAL_FILE = "humaneval/HumanEval.jsonl.gz"
MBPP_FILE = "mbpp/mbpp.jsonl"
MBPP_TEST_IDS = range(11, 511)


def humaneval_record(row: dict[str, Any]) -> dict[str, Any]:
    """A HumanEval-format problem (also the bundled problems' format) as a record."""
    return {
        "id": str(row["task_id"]),
        "prompt": row["prompt"],
        "solution": row["canonical_solution"],
        "test": row["test"],
        "entry_point": row["entry_point"],
        "check": True,
    }


def _humaneval(data_dir: Path) -> Records:
    path = data_dir / HUMANEVAL_FILE
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a HumanEval file ({err})") from None
    return [humaneval_record(row) for row in rows]


_CALLED = re.compile(r"^\s*assert\W*(?:not\W+)?(?:math\.isclose\(|set\(|sorted\()?\s*(\w+)\s*\(")


def mbpp_record(row: dict[str, Any]) -> dict[str, Any]:
    """An MBPP task as a record: the text and the asserts in a docstring as the prompt."""
    tests = [str(t) for t in row["test_list"]]
    code = str(row["code"]).replace("\r\n", "\n")
    defined = re.findall(r"^def (\w+)\s*\(", code, flags=re.MULTILINE)
    called = [m.group(1) for t in tests if (m := _CALLED.match(t))]
    entry = next((name for name in called if name in defined), defined[0] if defined else "")
    setup = str(row.get("test_setup_code") or "").replace("\r\n", "\n").strip()
    prompt = f'"""\n{str(row["text"]).strip()}\n' + "\n".join(tests) + '\n"""\n'
    return {
        "id": f"mbpp/{row['task_id']}",
        "prompt": prompt,
        "solution": code,
        "test": (setup + "\n" if setup else "") + "\n".join(tests),
        "entry_point": entry,
        "check": False,
    }


def _mbpp_rows(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / MBPP_FILE
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as err:
            raise DataError(f"{path}:{number}: not valid JSON ({err})") from None
    return rows


def _mbpp(ids: range) -> Any:
    def convert(data_dir: Path) -> Records:
        return [mbpp_record(r) for r in _mbpp_rows(data_dir) if int(r["task_id"]) in ids]

    return convert


def _hub_humaneval(dataset: Any) -> Records:
    return [humaneval_record(dict(row)) for row in dataset]


def _hub_mbpp(dataset: Any) -> Records:
    return [mbpp_record(dict(row)) for row in dataset]


HUMANEVAL = register(
    Benchmark(
        "humaneval",
        "code",
        "test",
        (HUMANEVAL_FILE,),
        "github.com/openai/human-eval (data/)",
        "pass_at_1",
        _humaneval,
        fewshot_pool="none: zero-shot, as published",
        hub=HubSource("openai/openai_humaneval", None, "test", _hub_humaneval),
    )
)

MBPP = register(
    Benchmark(
        "mbpp",
        "code",
        "test (ids 11-510)",
        (MBPP_FILE,),
        "github.com/google-research/google-research (mbpp/)",
        "pass_at_1",
        _mbpp(MBPP_TEST_IDS),
        fewshot_pool="none: zero-shot",
        hub=HubSource("google-research-datasets/mbpp", "full", "test", _hub_mbpp),
    )
)
