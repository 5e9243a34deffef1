"""The code use case's hooks without the sandbox (fast, so mutation testing can run them): the
extraction rule, the program each reply becomes, what is never run, pass@k from the outcomes.
A stand-in for the sandbox runs the bundled problems' programs in this process; the real
sandbox and the full data are tests/usecases/test_code.py's and tests/sandbox/test_fidelity.py's."""

from __future__ import annotations

from collections import OrderedDict
from math import comb
from types import ModuleType
from typing import Any

import pytest

from evals.metrics.code import pass_at_k
from evals.sandbox import Outcome, Program
from evals.usecases import discover_use_cases

UNIT = discover_use_cases()["code"]
DOCS = UNIT.load_test_docs()[:4]


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[Program]]:
    """The use case's module, its sandbox replaced by a run in this process; the list of the
    programs it was asked to run."""
    module = UNIT.module()
    ran: list[Program] = []

    def run_here(programs: list[Program], limits: Any, sandbox: Any) -> list[Outcome]:
        results = []
        for program in programs:
            ran.append(program)
            scope: dict[str, Any] = {}
            try:
                exec(compile(program.script, "<candidate>", "exec"), scope)
                results.append(Outcome("passed", "", 0.0, "here"))
            except Exception as err:  # the candidate's failure is its outcome
                results.append(Outcome("failed", type(err).__name__, 0.0, "here"))
        return results

    monkeypatch.setattr(module, "run_programs", run_here)
    monkeypatch.setattr(module, "find_sandbox", lambda allow_unsafe: "here")
    monkeypatch.setattr(module, "_RUNS", OrderedDict())
    return module, ran


def _fenced(code: str, language: str = "python") -> str:
    return f"Here you go:\n```{language}\n{code}```\nDone."


def test_the_extraction_rule(hooks: tuple[ModuleType, list[Program]]) -> None:
    module, _ = hooks
    doc = {"entry_point": "f"}
    helper, wanted = "def g():\n    return 1\n", "def f(x):\n    return x\n"
    assert module.extract_code(doc, f"{_fenced(helper)}{_fenced(wanted)}") == "\n" + wanted
    assert module.extract_code(doc, _fenced(helper) + _fenced(helper, "py")) == "\n" + helper
    later = "import math\n\n" + wanted  # the def is not the block's first line
    assert module.extract_code(doc, f"{_fenced(helper)}{_fenced(later)}") == "\n" + later
    assert module.extract_code(doc, "```\n" + wanted + "```") == "\n" + wanted  # bare fence
    assert module.extract_code(doc, "```python\n" + wanted) == "\n" + wanted  # never closed
    assert module.extract_code(doc, "```python\n   \n```") is None  # an empty block
    prose = "It is simple.\ndef f(x):\n    return x\n"
    assert module.extract_code(doc, prose) == "\n" + prose  # def at column 0: all of it
    body = "    return x\n"
    assert module.extract_code(doc, body) == body  # continues the prompt
    assert module.extract_code(doc, "  def f(x): pass") == "  def f(x): pass"
    assert module.extract_code(doc, " \n\t") is None
    assert module.extract_code({"entry_point": "ff"}, prose) == prose  # `f` is not `ff`


def test_reference_solutions_pass_and_stubs_fail(hooks: tuple[ModuleType, list[Program]]) -> None:
    module, ran = hooks
    for doc in DOCS:
        good = module.process_results(doc, [doc["solution"]])
        assert good == {"pass_at_1": 100.0, "invalid": 0.0}
        assert module.process_results(doc, ["    return None\n"]) == {
            "pass_at_1": 0.0,
            "invalid": 0.0,
        }
        whole = doc["prompt"] + doc["solution"]
        assert module.outcome(doc, _fenced(whole))["status"] == "passed"  # a chat reply
        program = module.program(doc, doc["solution"])
        assert program.solution.startswith(doc["prompt"]) and doc["entry_point"] in program.entry
    assert all(isinstance(p, Program) for p in ran)


def test_a_blank_or_unparsable_reply_is_invalid_and_never_run(
    hooks: tuple[ModuleType, list[Program]],
) -> None:
    module, ran = hooks
    doc = DOCS[0]
    for reply, detail in (("", "no code in the reply"), ("    return (\n", "not valid Python")):
        parsed = module.parse_output(doc, reply)
        assert parsed["status"] == "invalid" and parsed["detail"].startswith(detail)
        assert parsed["sandbox"] == ""
        assert module.process_results(doc, [reply]) == {"pass_at_1": 0.0, "invalid": 100.0}
    assert ran == []


def test_a_program_is_run_once_however_often_it_is_asked_for(
    hooks: tuple[ModuleType, list[Program]],
) -> None:
    module, ran = hooks
    doc = DOCS[1]
    parsed = module.parse_output(doc, doc["solution"])
    assert parsed["code"] == doc["solution"] and parsed["status"] == "passed"
    assert parsed["sandbox"] == "here"
    module.process_results(doc, [doc["solution"]])
    module.outcomes(doc, [doc["solution"], doc["solution"]])
    assert len(ran) == 1


def test_samples_score_pass_at_k_and_the_invalid_share(
    hooks: tuple[ModuleType, list[Program]],
) -> None:
    module, ran = hooks
    doc = DOCS[2]
    replies = [doc["solution"], "    return None\n", "", doc["solution"]] + ["    return 0\n"] * 6
    scores = module.process_results(doc, [replies])
    assert scores["pass_at_1"] == pytest.approx(100 * pass_at_k(10, 2, 1))
    assert scores["pass_at_10"] == pytest.approx(100.0) and "pass_at_100" not in scores
    assert scores["invalid"] == pytest.approx(10.0)
    parsed = module.parse_output(doc, replies)
    assert parsed["status"] == "2 of 10 passed" and len(parsed["samples"]) == 10
    assert parsed["code"] == doc["solution"] and parsed["detail"] == ""
    assert [s["status"] for s in parsed["samples"]][:3] == ["passed", "failed", "invalid"]
    assert len(ran) == 3  # the solution, `return None`, `return 0`: each run once


@pytest.mark.parametrize("n", [1, 2, 5, 10, 20])
def test_pass_at_k_is_the_unbiased_estimator(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            expected = 1.0 - comb(n - c, k) / comb(n, k)
            assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12), (n, c, k)
    for bad in ((n, n + 1, 1), (n, -1, 1), (n, 0, 0), (n, 0, n + 1)):
        with pytest.raises(ValueError, match=r"pass@k needs 0 <= c <= n and 1 <= k <= n"):
            pass_at_k(*bad)


def test_the_prompt_the_target_and_the_no_skill_baselines(
    hooks: tuple[ModuleType, list[Program]],
) -> None:
    module, _ = hooks
    for doc in DOCS:
        assert module.doc_to_text(doc) == doc["prompt"]
        assert module.doc_to_target(doc) == doc["solution"]
    mbpp_doc = {
        "entry_point": "add",
        "prompt": "",
        "test": "assert add(1, 2) == 3",
        "solution": "def add(a, b):\n    return a + b\n",
    }
    listed = module.baselines([*DOCS, mbpp_doc])
    assert listed["empty"] == [""] * (len(DOCS) + 1)
    # HumanEval's prompt holds the signature (a body completes it); MBPP's names the function
    assert listed["return_none"] == ["    return None\n"] * len(DOCS) + [
        "def add(*args, **kwargs):\n    return None\n"
    ]
    for doc, reply in zip([*DOCS, mbpp_doc], listed["return_none"], strict=True):
        assert module.outcome(doc, reply)["status"] == "failed"  # it runs, and computes nothing
    assert module.outcome(mbpp_doc, mbpp_doc["solution"])["status"] == "passed"


@pytest.mark.parametrize(
    ("loader", "name", "n"), [("load_mbpp", "mbpp", 500), ("load_humaneval", "humaneval", 164)]
)
def test_the_benchmark_loaders_read_the_real_files(loader: str, name: str, n: int) -> None:
    from tests.conftest import shared_data

    data_dir = shared_data(name).parent
    rows = getattr(UNIT.module(), loader)(data_dir=str(data_dir), data_source="local")["test"]
    assert len(rows) == n
    assert all(row["entry_point"] and row["test"] for row in rows)


def test_the_mbpp_format_program_and_what_the_sandbox_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MBPP's format: the prompt and code are the solution (its entry point taken from it even
    where the name is a built-in's), the asserts the tests; the sandbox that was found, the
    use case's limits and whether unsafe runs are allowed reach the run."""
    module = UNIT.module()
    doc = {"entry_point": "sum", "prompt": "# add up\n", "test": "assert sum([1, 2]) == 3"}
    code = "def sum(xs):\n    return 3"
    assert module.program(doc, code) == Program(
        "# add up\ndef sum(xs):\n    return 3\n", "assert sum([1, 2]) == 3\n", entry=("sum",)
    )
    assert module.program({**doc, "entry_point": ""}, code).entry == ()
    seen: dict[str, Any] = {}

    def find(allow_unsafe: bool) -> str:
        seen["allow_unsafe"] = allow_unsafe
        return "found-sandbox"

    def run(programs: list[Program], limits: Any, sandbox: Any) -> list[Outcome]:
        seen.update(limits=limits, sandbox=sandbox)
        return [Outcome("passed", "", 0.0, str(sandbox)) for _ in programs]

    monkeypatch.setattr(module, "find_sandbox", find)
    monkeypatch.setattr(module, "run_programs", run)
    monkeypatch.setattr(module, "_RUNS", OrderedDict())
    monkeypatch.setattr(module, "unsafe_runs_allowed", lambda: False)
    assert module.outcome(doc, code) == {
        "status": "passed",
        "detail": "",
        "sandbox": "found-sandbox",
    }
    assert seen == {"allow_unsafe": False, "limits": module.LIMITS, "sandbox": "found-sandbox"}
    monkeypatch.setattr(module, "_RUNS", OrderedDict())
    monkeypatch.setattr(module, "unsafe_runs_allowed", lambda: True)
    module.outcome(doc, code)
    assert seen["allow_unsafe"] is True
    parsed = module.parse_output(doc, [code, code])
    assert parsed["sandbox"] == "found-sandbox" and parsed["status"] == "2 of 2 passed"


def test_the_oldest_outcomes_are_forgotten_first(
    hooks: tuple[ModuleType, list[Program]], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, ran = hooks
    monkeypatch.setattr(module, "_MAX_RUNS", 2)
    doc = DOCS[0]
    replies = ["    return 1\n", "    return 2\n", "    return 3\n"]
    for reply in replies:
        module.outcome(doc, reply)
    assert len(ran) == 3
    module.outcome(doc, replies[2])  # the newest two are kept
    module.outcome(doc, replies[1])
    assert len(ran) == 3
    module.outcome(doc, replies[0])  # the oldest was forgotten: run again
    assert len(ran) == 4
