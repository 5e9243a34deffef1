"""Code: write a Python function from its description; scored by running its tests.

Datasets: the bundled ``data/problems.jsonl`` (46 original problems written for this project,
CC0, HumanEval's format) and HumanEval / MBPP (``humaneval.yaml``, ``mbpp.yaml``) read from
``DATA_DIR`` or the hub by :mod:`evals.benchmarks.code`. Record: ``{"id", "prompt", "solution",
"test", "entry_point", "check"}``.

**Prompt**, the same in both prompt modes: the problem's own prompt (HumanEval: signature and
docstring; MBPP: the task and its asserts in a docstring). In completion mode the model
continues it (the body, or for MBPP the whole function), zero-shot, stopping where the original
HumanEval harness stops a completion at top level (``class``, ``if __name__``, ``print(``,
``assert``; not at ``def``, which would cut a chat reply's code block); in chat mode it is the
user's message.

**Extraction** (:func:`extract_code`), one rule for both modes:

1. a fenced block (```` ```python ````, ```` ```py ```` or bare) → its code, the first block
   that defines the entry point, else the first block; an unclosed fence runs to the end;
2. else a line ``def <entry point>(`` at column 0 → the whole reply is code;
3. else the reply continues the prompt (a function body).

In cases 1 and 2 the code follows the prompt, so its definition replaces the prompt's stub and
the prompt's helpers and imports stay available. A blank reply, or a program that is not valid
Python, is **invalid** (scored 0, counted in the invalid rate); nothing is run for it.

**Metric**: ``pass_at_1``, 100 when the program (prompt + code + tests) runs to the end in the
sandbox (:mod:`evals.sandbox`), else 0; the outcome (``passed``, ``failed``, ``timeout``,
``forbidden``…) is in each sample's ``parsed`` field. Greedy decoding: pass@1 is the share of
problems solved. With ``SAMPLES=n TEMPERATURE=t`` each problem gets n sampled replies, run in
the sandbox together, and ``pass_at_k`` is the unbiased estimator 1 − C(n−c, k)/C(n, k)
(:func:`evals.metrics.code.pass_at_k`) for k = 1, 10, 100 up to n; ``invalid`` is the share of
invalid replies.

**Baselines**: ``empty`` (no code: invalid) and ``return_none`` (the prompt's function returning
None: the signature alone, which no problem's tests accept).
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

from evals.benchmarks.code import humaneval_record
from evals.benchmarks.sources import as_dataset_dict, benchmark_dataset
from evals.data import read_jsonl
from evals.metrics.code import humaneval_case, pass_at_k
from evals.sandbox import (
    Limits,
    Outcome,
    Program,
    find_sandbox,
    run_programs,
    unsafe_runs_allowed,
)
from evals.usecases import Generation, Metric, Task, UseCaseDefinition

DATA_DIR = Path(__file__).resolve().parent / "data"
LIMITS = Limits()
_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def _check(row: dict[str, Any]) -> str | None:
    for key in ("prompt", "canonical_solution", "test", "entry_point"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            return f"{key} must be a non-empty string"
    if f"def {row['entry_point']}" not in row["prompt"]:
        return f"the prompt does not define its entry point {row['entry_point']!r}"
    return None


def load_dataset(**_: Any) -> Any:
    """The bundled problems (lm-eval ``custom_dataset`` hook), zero-shot: ``test`` only."""
    required = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
    rows = read_jsonl(DATA_DIR / "problems.jsonl", required, _check)
    return as_dataset_dict("code", [humaneval_record(r) for r in rows], None)


def load_humaneval(**metadata: Any) -> Any:
    """HumanEval from DATA_DIR or the hub."""
    return benchmark_dataset("humaneval", **metadata)


def load_mbpp(**metadata: Any) -> Any:
    """MBPP (test split, ids 11-510) from DATA_DIR or the hub."""
    return benchmark_dataset("mbpp", **metadata)


def preflight() -> None:
    """Refuse before any model loads when code cannot be run safely (one line, exit 2)."""
    find_sandbox(allow_unsafe=unsafe_runs_allowed())


def doc_to_text(doc: dict[str, Any]) -> str:
    """The problem's prompt, as published."""
    return str(doc["prompt"])


def doc_to_target(doc: dict[str, Any]) -> str:
    """What the prompt asks a completion-mode model for: the reference body (or function)."""
    return str(doc["solution"])


def extract_code(doc: dict[str, Any], output: str) -> str | None:
    """The code to put after the prompt (module docstring: the rule); None for no code."""
    text = str(output)
    if not text.strip():
        return None
    entry = str(doc["entry_point"])
    blocks = _FENCE.findall(text)
    if blocks:
        defining = [b for b in blocks if re.search(rf"^\s*def {re.escape(entry)}\s*\(", b, re.M)]
        code = (defining or blocks)[0]
        return "\n" + code if code.strip() else None
    if re.search(rf"^def {re.escape(entry)}\s*\(", text, re.MULTILINE):
        return "\n" + text
    return text


def program(doc: dict[str, Any], code: str) -> Program:
    """What tests ``code`` (placed after the prompt): the solution runs in a process of its own,
    the tests in the sandbox's harness (:class:`~evals.sandbox.Program`)."""
    if doc.get("check"):  # HumanEval's format: the original harness's program
        return humaneval_case(doc["prompt"], code, doc["test"], doc["entry_point"])
    entry = (str(doc["entry_point"]),) if doc.get("entry_point") else ()
    return Program(f"{doc['prompt']}{code}\n", f"{doc['test']}\n", entry=entry)  # MBPP


_RUNS: OrderedDict[Program, Outcome] = OrderedDict()
"""Outcomes of programs already run (a sample's ``parsed`` and its scores share one run)."""
_MAX_RUNS = 4096


def _prepare(doc: dict[str, Any], output: str) -> dict[str, Any] | Program:
    """The program to run for one reply, or the outcome of a reply that is never run."""
    code = extract_code(doc, output)
    if code is None:
        return {"status": "invalid", "detail": "no code in the reply", "sandbox": ""}
    script = program(doc, code)
    try:
        ast.parse(script.script)
    except (SyntaxError, ValueError) as err:
        return {"status": "invalid", "detail": f"not valid Python: {err}"[:200], "sandbox": ""}
    return script


def outcomes(doc: dict[str, Any], outputs: list[str]) -> list[dict[str, Any]]:
    """What happened to each reply: ``{"status", "detail", "sandbox"}`` (``invalid``: no code,
    or code that is not valid Python, which is never run). Programs not run yet go to the
    sandbox together, as many at a time as the machine has cores."""
    prepared = [_prepare(doc, output) for output in outputs]
    pending = list(dict.fromkeys(p for p in prepared if isinstance(p, Program) and p not in _RUNS))
    if pending:
        sandbox = find_sandbox(allow_unsafe=unsafe_runs_allowed())
        for script, result in zip(pending, run_programs(pending, LIMITS, sandbox), strict=True):
            _RUNS[script] = result
        while len(_RUNS) > _MAX_RUNS:
            _RUNS.popitem(last=False)
    return [
        p
        if isinstance(p, dict)
        else {"status": _RUNS[p].status, "detail": _RUNS[p].detail, "sandbox": _RUNS[p].sandbox}
        for p in prepared
    ]


def outcome(doc: dict[str, Any], output: str) -> dict[str, Any]:
    """What happened to one reply (:func:`outcomes`)."""
    return outcomes(doc, [output])[0]


def _replies(output: str | list[str]) -> list[str]:
    return [str(o) for o in output] if isinstance(output, list) else [str(output)]


def parse_output(doc: dict[str, Any], output: str | list[str]) -> dict[str, Any]:
    """The sample's ``parsed`` field: the extracted code and its outcome (no re-run); with
    ``SAMPLES=n`` the first sample's code, how many passed, and every sample's outcome."""
    replies = _replies(output)
    runs = [
        {"code": extract_code(doc, r), **o}
        for r, o in zip(replies, outcomes(doc, replies), strict=True)
    ]
    if not isinstance(output, list):
        return runs[0]
    passed = sum(r["status"] == "passed" for r in runs)
    first = runs[0]
    return {
        "code": first["code"],
        "status": f"{passed} of {len(runs)} passed",
        "detail": first["detail"],
        "sandbox": first["sandbox"],
        "samples": runs,
    }


PASS_AT = (1, 10, 100)
"""The k reported, each when every item has at least k samples (HumanEval's paper: 1, 10, 100)."""


def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, float]:
    """pass@k (the unbiased estimator over the item's n replies; greedy: n = 1) and the share
    of replies that were invalid, ×100."""
    statuses = [o["status"] for o in outcomes(doc, _replies(results[0]))]
    n, c = len(statuses), statuses.count("passed")
    scores = {f"pass_at_{k}": 100.0 * pass_at_k(n, c, k) for k in PASS_AT if k <= n}
    return {**scores, "invalid": 100.0 * statuses.count("invalid") / n}


def _returns_none(doc: dict[str, Any]) -> str:
    if doc.get("check"):  # the prompt holds the signature: a body
        return "    return None\n"
    return f"def {doc['entry_point']}(*args, **kwargs):\n    return None\n"


def baselines(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """No code; and the entry point returning None (the signature alone)."""
    return {"empty": [""] * len(docs), "return_none": [_returns_none(d) for d in docs]}


_METRICS = (
    *(Metric(f"pass_at_{k}") for k in PASS_AT),
    Metric("invalid", higher_is_better=False),
)


def _task(name: str, loader: Any, about: str, benchmark: str | None = None) -> Task:
    return Task(
        name,
        loader,
        doc_to_text,
        doc_to_target,
        process_results,
        _METRICS,
        parse=parse_output,
        baselines=baselines,
        benchmark=benchmark,
        about=about,
        sampled=True,
    )


USE_CASE = UseCaseDefinition(
    name="code",
    claims=("code",),
    about="Python functions from their description, pass@1 by running their tests in a sandbox.",
    version="1.0",
    primary_metric="pass_at_1",
    fewshot_completion=0,
    # The original HumanEval harness's top-level stops, less "\ndef" (it would cut a chat
    # reply's code block right after its opening fence); later functions are harmless.
    generation=Generation(
        until=("\nclass ", "\nif __name__", "\nprint(", "\nassert "), max_gen_toks=512
    ),
    target_delimiter="",
    preflight=preflight,
    tasks=(
        _task(
            "code",
            load_dataset,
            "The 46 bundled problems (CC0, HumanEval's format); see README.md.",
        ),
    ),
    benchmarks=(
        _task("humaneval", load_humaneval, "HumanEval, 164 problems, zero-shot.", "humaneval"),
        _task("mbpp", load_mbpp, "MBPP test split (ids 11-510), zero-shot.", "mbpp"),
    ),
)
"""The code use case: 46 bundled problems, HumanEval and MBPP."""
