"""Fidelity of code execution, through the sandbox, on the full real data: every reference
solution passes its tests (HumanEval 164/164, MBPP 974/974, the bundled problems), and wrong
solutions fail (a body that returns None for every task; the bundled set's subtly wrong ones:
off-by-one, wrong tie rule). Each runs as the sandbox runs it: the solution in a process of its
own, the checks in the harness's, only plain data between them. A scorer or program-assembly bug
shows up as a reference below 100%."""

from __future__ import annotations

import gzip
import json
import math
from itertools import combinations
from pathlib import Path

import pytest

from evals import sandbox
from evals.metrics.code import humaneval_case, mbpp_case, mbpp_entry, pass_at_k, stub_of
from evals.sandbox import Limits, Program, run_programs
from tests.conftest import shared_data
from tests.helpers import REPO, requires

pytestmark = [pytest.mark.sandbox, pytest.mark.fidelity]

BUNDLED = REPO / "tasks" / "code" / "data"
LIMITS = Limits(wall_seconds=30, cpu_seconds=20)

needs_sandbox = requires(sandbox.bwrap_works(), "bubblewrap is not installed here")


def _jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _statuses(programs: list[Program]) -> list[str]:
    return [o.status for o in run_programs(programs, LIMITS, "bwrap")]


def _failures(names: list[str], statuses: list[str], want: str) -> list[tuple[str, str]]:
    """The (task, status) pairs that did not pass (want "passed") or did pass (otherwise)."""
    wanted = want == "passed"
    return [(n, s) for n, s in zip(names, statuses, strict=True) if (s == "passed") != wanted]


@needs_sandbox
def test_humaneval_canonical_solutions_pass_and_empty_bodies_fail() -> None:
    problems = _jsonl(shared_data("humaneval", "HumanEval.jsonl.gz"))
    assert len(problems) == 164
    names = [p["task_id"] for p in problems]
    good = [
        humaneval_case(p["prompt"], p["canonical_solution"], p["test"], p["entry_point"])
        for p in problems
    ]
    bad = [
        humaneval_case(p["prompt"], "    return None\n", p["test"], p["entry_point"])
        for p in problems
    ]
    statuses = _statuses(good + bad)
    assert _failures(names, statuses[:164], "passed") == []
    assert _failures(names, statuses[164:], "failed") == []


@needs_sandbox
def test_mbpp_reference_code_passes_all_974_and_stubs_fail() -> None:
    tasks = _jsonl(shared_data("mbpp", "mbpp.jsonl"))
    assert len(tasks) == 974
    names = [str(t["task_id"]) for t in tasks]
    entries = [mbpp_entry(t["code"], t["test_list"]) for t in tasks]
    good = [
        mbpp_case(t["code"], t["test_list"], t["test_setup_code"], e)
        for t, e in zip(tasks, entries, strict=True)
    ]
    bad = [
        mbpp_case(stub_of(t["code"]), t["test_list"], t["test_setup_code"], e)
        for t, e in zip(tasks, entries, strict=True)
    ]
    statuses = _statuses(good + bad)
    assert _failures(names, statuses[:974], "passed") == []
    assert _failures(names, statuses[974:], "failed") == []


@needs_sandbox
def test_mbpp_sanitized_reference_code_passes() -> None:
    tasks = json.loads(shared_data("mbpp", "sanitized-mbpp.json").read_text(encoding="utf-8"))
    assert len(tasks) == 427
    programs = [
        mbpp_case(
            "\n".join(t["test_imports"]) + "\n" + t["code"],
            t["test_list"],
            entry=mbpp_entry(t["code"], t["test_list"]),
        )
        for t in tasks
    ]
    names = [str(t["task_id"]) for t in tasks]
    assert _failures(names, _statuses(programs), "passed") == []


@needs_sandbox
def test_bundled_problems_pass_with_their_solutions_and_fail_with_wrong_ones() -> None:
    problems = _jsonl(BUNDLED / "problems.jsonl")
    wrong = {w["task_id"]: w["wrong_solution"] for w in _jsonl(BUNDLED / "wrong_solutions.jsonl")}
    assert len(problems) >= 40 and set(wrong) == {p["task_id"] for p in problems}
    assert [p["task_id"] for p in problems] == [f"bundled/{i}" for i in range(len(problems))]
    names = [p["task_id"] for p in problems]
    good = [
        humaneval_case(p["prompt"], p["canonical_solution"], p["test"], p["entry_point"])
        for p in problems
    ]
    bad = [
        humaneval_case(p["prompt"], wrong[p["task_id"]], p["test"], p["entry_point"])
        for p in problems
    ]
    empty = [
        humaneval_case(p["prompt"], "    return None\n", p["test"], p["entry_point"])
        for p in problems
    ]
    statuses = _statuses(good + bad + empty)
    n = len(problems)
    assert _failures(names, statuses[:n], "passed") == []
    assert _failures(names, statuses[n : 2 * n], "failed") == []
    assert _failures(names, statuses[2 * n :], "failed") == []


@pytest.mark.parametrize(("n", "c"), [(1, 0), (1, 1), (5, 2), (10, 3), (20, 20), (12, 0)])
def test_pass_at_k_is_the_chance_that_k_of_n_samples_hold_a_pass(n: int, c: int) -> None:
    """Against the definition: the share of k-subsets of the n samples with at least one pass."""
    outcomes = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        subsets = list(combinations(outcomes, k))
        exact = sum(any(s) for s in subsets) / len(subsets)
        assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)
    assert pass_at_k(n, c, 1) == pytest.approx(c / n)


def test_pass_at_k_large_n_and_bad_input() -> None:
    exact = 1 - math.comb(190, 10) / math.comb(200, 10)
    assert pass_at_k(200, 10, 10) == pytest.approx(exact, rel=1e-12)
    for bad in ((5, 6, 1), (5, 2, 0), (5, 2, 6), (5, -1, 1)):
        with pytest.raises(ValueError, match="pass@k needs"):
            pass_at_k(*bad)


def test_stub_keeps_names_and_signatures() -> None:
    stub = stub_of("import math\nR = 3\ndef area(r, *, pi=math.pi):\n\treturn pi * r * r\n")
    assert "def area(r, *, pi=math.pi):\n    return None" in stub and "R = 3" in stub
