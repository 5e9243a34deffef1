"""The code use case (tasks/code): oracle and baselines on the full real data through the task's
own hooks and the sandbox, the extraction rule, and the refusal without a sandbox."""

from __future__ import annotations

import json
import re
from math import comb
from pathlib import Path

import pytest

from evals import sandbox
from evals.benchmarks import load_benchmark
from evals.errors import EvalsError
from evals.usecases import discover_use_cases
from tests.conftest import shared_data
from tests.helpers import SHARED_DATA, require

pytestmark = pytest.mark.sandbox
WHOLE = pytest.mark.fidelity
"""A whole real benchmark (HumanEval, MBPP) through the task's hooks and the sandbox: minutes."""
BUNDLED = pytest.mark.slow
"""The 46 bundled problems, each in the sandbox: 5-7 s a test on 2 cores."""

HOOKS = discover_use_cases()["code"].module()
require(sandbox.bwrap_works(), "bubblewrap is not installed here", module=True)


def _bundled() -> list[dict]:
    return [dict(r) for r in HOOKS.load_dataset()["test"]]


def _records(name: str) -> list[dict]:
    if name == "code":
        return _bundled()
    shared_data()  # skips outside CI when ../shared/data is absent
    return load_benchmark(name, SHARED_DATA)


def _chat_reply(doc: dict) -> str:
    """The gold in the form a chat prompt gets it: the whole function in a fenced block."""
    code = doc["prompt"] + doc["solution"] if doc["check"] else doc["solution"]
    return f"Here is the function:\n\n```python\n{code}\n```\n\nIt handles the edge cases."


def _scores(docs: list[dict], outputs: list[str]) -> list[dict[str, float]]:
    return [HOOKS.process_results(d, [o]) for d, o in zip(docs, outputs, strict=True)]


@pytest.mark.parametrize(
    ("name", "n"),
    [
        pytest.param("code", 46, marks=BUNDLED),
        pytest.param("humaneval", 164, marks=WHOLE),
        pytest.param("mbpp", 500, marks=WHOLE),
    ],
)
def test_oracle_completion_gold_scores_100(name: str, n: int) -> None:
    docs = _records(name)
    assert len(docs) == n
    scores = _scores(docs, [HOOKS.doc_to_target(d) for d in docs])
    failed = [d["id"] for d, s in zip(docs, scores, strict=True) if s["pass_at_1"] != 100.0]
    assert failed == [] and all(s["invalid"] == 0.0 for s in scores)


@pytest.mark.parametrize(
    "name", [pytest.param("code", marks=BUNDLED), pytest.param("humaneval", marks=WHOLE)]
)
def test_oracle_chat_gold_in_a_code_block_scores_100(name: str) -> None:
    docs = _records(name)
    scores = _scores(docs, [_chat_reply(d) for d in docs])
    assert [d["id"] for d, s in zip(docs, scores, strict=True) if s["pass_at_1"] != 100.0] == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("code", marks=BUNDLED),
        pytest.param("humaneval", marks=WHOLE),
        pytest.param("mbpp", marks=WHOLE),
    ],
)
def test_trivial_policies_score_exactly_their_baseline(name: str) -> None:
    docs = _records(name)
    policies = HOOKS.baselines(docs)
    assert set(policies) == {"empty", "return_none"}
    empty = _scores(docs, policies["empty"])
    assert all(s == {"pass_at_1": 0.0, "invalid": 100.0} for s in empty)
    none = _scores(docs, policies["return_none"])
    assert [
        d["id"] for d, s in zip(docs, none, strict=True) if s != {"pass_at_1": 0.0, "invalid": 0.0}
    ] == []


DOC = {
    "id": "t",
    "prompt": 'def add(a, b):\n    """Sum."""\n',
    "solution": "    return a + b\n",
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n",
    "entry_point": "add",
    "check": True,
}


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("    return a + b\n", "passed"),  # completion: the body
        ("    return a - b\n", "failed"),
        ("```python\ndef add(a, b):\n    return a + b\n```", "passed"),
        ("```py\ndef add(a, b):\n    return a + b\n", "passed"),  # unclosed fence
        (
            "```\ndef helper():\n    pass\n```\n```python\ndef add(a, b):\n    return b + a\n```",
            "passed",
        ),  # the block that defines the entry point
        ("def add(a, b):\n    return a + b\n\nThat is it.", "invalid"),  # prose after code
        ("def add(a, b):\n    return a + b\n", "passed"),  # whole function, no fence
        ("Sure! The answer is to add them.", "invalid"),  # no code at all
        ("   \n", "invalid"),
        ("    import sys\n    sys.exit(0)\n", "exited"),
    ],
)  # timeouts: the sandbox's own tests (10 s each here)
def test_extraction_rule_and_outcomes(reply: str, status: str) -> None:
    assert HOOKS.outcome(DOC, reply)["status"] == status
    parsed = HOOKS.parse_output(DOC, reply)
    assert parsed["status"] == status and (parsed["code"] is None) == (not reply.strip())


def test_no_sandbox_refuses_before_any_model_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    sandbox.forget_probe()
    try:
        with pytest.raises(EvalsError, match="--unsafe-no-sandbox"):
            HOOKS.preflight()
        monkeypatch.setenv("EVALS_UNSAFE_NO_SANDBOX", "1")
        HOOKS.preflight()
    finally:
        monkeypatch.undo()
        sandbox.forget_probe()


def test_a_run_on_the_code_use_case_records_outcomes(tiny_chat_model: Path, tmp_path: Path) -> None:
    from evals.cli import main

    assert (
        main(
            [
                "eval",
                "--model",
                str(tiny_chat_model),
                "--tasks",
                "code",
                "--limit",
                "3",
                "--output",
                str(tmp_path),
            ]
        )
        == 0
    )
    (results,) = tmp_path.glob("*/*/results.json")
    code = json.loads(results.read_text())["use_cases"]["code"]
    assert code["primary_metric"] == "pass_at_1" and code["n"] == 3
    assert set(code["baselines"]["policies"]) == {"empty", "return_none"}
    samples = [json.loads(x) for x in (results.parent / "samples_code.jsonl").open()]
    assert all(s["parsed"]["status"] in (*sandbox.STATUSES, "invalid") for s in samples)


def test_pass_at_k_from_several_replies_to_one_problem() -> None:
    """``SAMPLES=n``: the scorer gets n replies per item; pass@k is the unbiased estimator."""
    right, wrong = "    return a + b\n", "    return a - b\n"
    assert HOOKS.process_results(DOC, [[right] * 3 + [wrong] * 7]) == pytest.approx(
        {"pass_at_1": 30.0, "pass_at_10": 100.0, "invalid": 0.0}
    )
    scores = HOOKS.process_results(DOC, [[right] + [wrong] * 10 + [""]])
    assert scores["pass_at_1"] == pytest.approx(100 / 12)
    assert scores["pass_at_10"] == pytest.approx(100 * (1 - comb(11, 10) / comb(12, 10)))
    assert scores["invalid"] == pytest.approx(100 / 12) and "pass_at_100" not in scores
    parsed = HOOKS.parse_output(DOC, [right, wrong])
    assert parsed["status"] == "1 of 2 passed"
    assert [s["status"] for s in parsed["samples"]] == ["passed", "failed"]
    # one greedy reply is the n = 1 case: the scores of a greedy run are unchanged
    assert HOOKS.process_results(DOC, [right]) == {"pass_at_1": 100.0, "invalid": 0.0}


def test_samples_at_a_temperature_are_scored_as_pass_at_k_and_cached_apart(
    tiny_chat_model: Path, tmp_path: Path
) -> None:
    from evals.cli import main

    def run(folder: str) -> tuple[dict, list[dict]]:
        assert (
            main(
                [
                    "eval",
                    "--model",
                    str(tiny_chat_model),
                    "--tasks",
                    "code",
                    "--limit",
                    "2",
                    "--samples",
                    "3",
                    "--temperature",
                    "1.0",
                    "--output",
                    str(tmp_path / folder),
                ]
            )
            == 0
        )
        (results,) = (tmp_path / folder).glob("*/*/results.json")
        samples = [json.loads(x) for x in (results.parent / "samples_code.jsonl").open()]
        return json.loads(results.read_text())["use_cases"]["code"], samples

    code, samples = run("a")
    assert code["generation"]["samples"] == 3 and code["generation"]["temperature"] == 1.0
    assert code["generation"]["do_sample"] is True and code["n"] == 2
    for sample in samples:
        assert len(sample["raw_output"]) == 3
        assert sample["scores"]["pass_at_1"] in (0.0, 100 / 3, 200 / 3, 100.0)
        assert "pass_at_10" not in sample["scores"]
        assert len(sample["parsed"]["samples"]) == 3
    # Sampled, not one reply copied three times (the cache keys each repeat apart) ...
    assert any(len(set(s["raw_output"])) > 1 for s in samples)
    # ... and a second run answers every repeat from the cache with its own sample.
    _, again = run("b")
    assert [s["raw_output"] for s in again] == [s["raw_output"] for s in samples]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--samples", "5"], "needs --temperature above 0"),
        (
            ["--samples", "5", "--temperature", "0.8", "--tasks", "ner"],
            "apply to tasks scored from several replies per item .*not to ner",
        ),
        (["--samples", "0", "--temperature", "0.8"], "at least 1"),
    ],
)
def test_sampling_options_that_cannot_work_are_one_line(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from evals.cli import main

    assert main(["eval", *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]), err
