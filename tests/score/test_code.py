"""``evals score code``: human-eval samples scored in the sandbox, pass@k as human-eval computes
it, through the real command line, on the real HumanEval data."""

from __future__ import annotations

import gzip
import json
from math import comb
from pathlib import Path

import pytest

from evals import sandbox
from evals.cli import main
from tests.conftest import shared_data
from tests.helpers import requires

needs_sandbox = requires(sandbox.bwrap_works(), "bubblewrap is not installed here")


def score(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict | str]:
    code = main(["score", "code", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else captured.err.strip()


def _humaneval() -> list[dict]:
    with gzip.open(shared_data("humaneval", "HumanEval.jsonl.gz"), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.fidelity
@pytest.mark.sandbox
@needs_sandbox
def test_canonical_solutions_of_all_164_problems_score_100(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = shared_data("humaneval", "HumanEval.jsonl.gz")  # read gzipped, as human-eval does
    samples = _write_jsonl(
        tmp_path / "samples.jsonl",
        [{"task_id": p["task_id"], "completion": p["canonical_solution"]} for p in _humaneval()],
    )
    out = tmp_path / "results.jsonl"
    code, result = score(capsys, str(problems), str(samples), "--out", str(out))
    assert code == 0 and isinstance(result, dict)
    assert result["pass_at_1"] == 100.0
    assert "pass_at_10" not in result  # one sample per problem: only pass@1 is defined
    assert result["n_problems"] == 164 and result["n_samples"] == 164
    assert result["statuses"] == {"passed": 164} and result["sandbox"] == "bwrap"
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["task_id"] for r in records] == [p["task_id"] for p in _humaneval()]
    assert all(r["passed"] and r["status"] == "passed" for r in records)
    assert set(records[0]) == {"task_id", "completion", "passed", "status", "reason", "sandbox"}


@pytest.mark.sandbox
@needs_sandbox
def test_example_samples_give_the_result_human_eval_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """human-eval's README: ``evaluate_functional_correctness data/example_samples.jsonl
    --problem_file=data/example_problem.jsonl`` prints ``{'pass@1': 0.4999999999999999}``.

    By hand: the problem is ``def return1():`` checked by ``assert candidate() == 1``; of its six
    samples, ``return 1`` indented by four spaces, two spaces or a tab are three valid bodies
    that pass; ``subprocess.check_output('rm -rf tmp')`` looks for a program named
    ``rm -rf tmp`` (no shell) and raises (and would return None anyway); ``input()`` meets the
    end of stdin and raises; ``time.sleep(10)`` passes the time limit (human-eval's is 3 s,
    given here too). So c = 3 of n = 6 and pass@1 = 1 − C(3,1)/C(6,1) = 1/2; pass@10 and
    pass@100 are undefined with 6 samples, and human-eval does not report them either."""
    problems = shared_data("humaneval", "example_problem.jsonl")
    samples = shared_data("humaneval", "example_samples.jsonl")
    out = tmp_path / "results.jsonl"
    code, result = score(capsys, str(problems), str(samples), "--timeout", "3", "--out", str(out))
    assert code == 0 and isinstance(result, dict)
    assert result["pass_at_1"] == pytest.approx(50.0, abs=1e-9)
    assert result["pass_at_1"] == pytest.approx(100 * 0.4999999999999999, abs=1e-9)
    assert set(result) == {
        "pass_at_1",
        "n_problems",
        "n_samples",
        "samples_per_problem",
        "statuses",
        "sandbox",
    }
    assert result["n_problems"] == 1 and result["n_samples"] == 6
    assert result["statuses"] == {"passed": 3, "error": 2, "timeout": 1}
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["status"] for r in records] == [
        "error",
        "timeout",
        "error",
        "passed",
        "passed",
        "passed",
    ]
    assert "EOFError" in records[2]["reason"]


@pytest.mark.sandbox
@needs_sandbox
def test_wrong_completions_fail_and_pass_at_k_matches_a_hand_computation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three problems, 12 samples each: HumanEval/0 with 1 right and 11 wrong (the canonical
    body with ``<`` turned into ``>``), HumanEval/2 with 5 right and 7 wrong (``return None``),
    HumanEval/3 with none right (11 ``return None``, one that is not Python: invalid, not run).
    pass@k = mean over problems of 1 − C(n−c, k) / C(n, k), written here with binomials."""
    by_id = {p["task_id"]: p for p in _humaneval()}
    chosen = ["HumanEval/0", "HumanEval/2", "HumanEval/3"]
    problems = _write_jsonl(tmp_path / "problems.jsonl", [by_id[t] for t in chosen])
    right = {t: by_id[t]["canonical_solution"] for t in chosen}
    flipped = right["HumanEval/0"].replace("distance < threshold", "distance > threshold")
    assert flipped != right["HumanEval/0"]
    none = "    return None\n"
    plan = {
        "HumanEval/0": [right["HumanEval/0"]] + [flipped] * 11,
        "HumanEval/2": [right["HumanEval/2"]] * 5 + [none] * 7,
        "HumanEval/3": [none] * 11 + ["    return (\n"],
    }
    rows = [{"task_id": t, "completion": c} for t, cs in plan.items() for c in cs]
    samples = _write_jsonl(tmp_path / "samples.jsonl", rows[::-1])  # order does not matter
    out = tmp_path / "results.jsonl"
    code, result = score(capsys, str(problems), str(samples), "--out", str(out))
    assert code == 0 and isinstance(result, dict)
    n, passed = 12, {"HumanEval/0": 1, "HumanEval/2": 5, "HumanEval/3": 0}

    def by_hand(k: int) -> float:
        return 100 * sum(1 - comb(n - c, k) / comb(n, k) for c in passed.values()) / 3

    assert by_hand(1) == pytest.approx(100 * (1 / 12 + 5 / 12 + 0) / 3)
    assert by_hand(10) == pytest.approx(100 * (1 - 11 / 66 + 1 + 0) / 3)
    assert result["pass_at_1"] == pytest.approx(by_hand(1), abs=1e-9)
    assert result["pass_at_10"] == pytest.approx(by_hand(10), abs=1e-9)
    assert "pass_at_100" not in result
    assert result["samples_per_problem"] == {"min": 12, "max": 12}
    assert result["statuses"] == {"passed": 6, "failed": 29, "invalid": 1}
    records = [json.loads(line) for line in out.read_text().splitlines()]
    wrong = [r for r in records if r["completion"] == flipped]
    assert len(wrong) == 11 and all(r["status"] == "failed" and not r["passed"] for r in wrong)
    assert "AssertionError" in wrong[0]["reason"]
    (invalid,) = [r for r in records if r["status"] == "invalid"]
    assert invalid["task_id"] == "HumanEval/3" and invalid["sandbox"] == ""


_PROBLEM = {
    "task_id": "t/0",
    "prompt": "def one():\n",
    "test": "def check(f):\n    assert f() == 1",
    "entry_point": "one",
}


@pytest.mark.parametrize(
    ("problems", "samples", "extra", "message"),
    [
        (
            [_PROBLEM],
            '{"task_id": "t/1", "completion": "    return 1"}\n',
            [],
            "samples.jsonl:1: task_id 't/1' is not among the 1 problems of ",
        ),
        ([_PROBLEM], '{"task_id": "t/0"}\n', [], 'samples.jsonl:1: a sample is {"task_id": str'),
        ([_PROBLEM], '\n{"task_id": "t/0", ', [], "samples.jsonl:2: not valid JSON"),
        (
            [_PROBLEM, {**_PROBLEM, "task_id": "t/1"}],
            '{"task_id": "t/0", "completion": ""}\n',
            [],
            "1 of the 2 problems of ",
        ),
        (
            [{**_PROBLEM, "test": None}],
            '{"task_id": "t/0", "completion": ""}\n',
            [],
            "problems.jsonl:1: 'test' must be a string",
        ),
        (
            [_PROBLEM, _PROBLEM],
            '{"task_id": "t/0", "completion": ""}\n',
            [],
            "problems.jsonl:2: duplicate task_id 't/0'",
        ),
        ([_PROBLEM], "", [], "samples.jsonl holds no samples"),
        (
            [_PROBLEM],
            '{"task_id": "t/0", "completion": "    return 1"}\n',
            ["--timeout", "0"],
            "the timeout must be a positive number of seconds",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    problems: list[dict],
    samples: str,
    extra: list[str],
    message: str,
) -> None:
    problems_path = _write_jsonl(tmp_path / "problems.jsonl", problems)
    (tmp_path / "samples.jsonl").write_text(samples)
    code, err = score(capsys, str(problems_path), str(tmp_path / "samples.jsonl"), *extra)
    assert code == 2 and isinstance(err, str)
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_no_sandbox_refuses_unless_unsafe_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same refusal as ``evals eval`` on the code use case, and the same flag."""
    monkeypatch.setattr(sandbox, "_bwrap_works", lambda: False)
    problems = _write_jsonl(tmp_path / "problems.jsonl", [_PROBLEM])
    samples = _write_jsonl(
        tmp_path / "samples.jsonl",
        [
            {"task_id": "t/0", "completion": "    return 1"},
            {"task_id": "t/0", "completion": "    return 2"},
        ],
    )
    code, err = score(capsys, str(problems), str(samples))
    assert code == 2 and isinstance(err, str) and "\n" not in err
    assert err.startswith("error: no sandbox for model-written code")
    assert "--unsafe-no-sandbox" in err
    code, result = score(capsys, str(problems), str(samples), "--unsafe-no-sandbox")
    assert code == 0 and isinstance(result, dict)
    assert result["sandbox"] == "none" and result["pass_at_1"] == 50.0
    assert result["statuses"] == {"passed": 1, "failed": 1}


def test_a_bwrap_that_cannot_start_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """bubblewrap installed but refused (Ubuntu 24.04's AppArmor): bad setup, not a bug."""
    folder = tmp_path / "bin"
    folder.mkdir()
    said = "bwrap: setting up uid map: Permission denied"
    (folder / "bwrap").write_text(f"#!/bin/sh\necho '{said}' >&2\nexit 1\n")
    (folder / "bwrap").chmod(0o755)
    problems = _write_jsonl(tmp_path / "problems.jsonl", [_PROBLEM])
    samples = _write_jsonl(tmp_path / "samples.jsonl", [{"task_id": "t/0", "completion": "  1"}])
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    sandbox.forget_probe()
    try:
        code, err = score(capsys, str(problems), str(samples))
    finally:
        monkeypatch.undo()
        sandbox.forget_probe()
    assert code == 2 and isinstance(err, str) and "\n" not in err
    assert "setting up uid map" in err and "apparmor_restrict_unprivileged_userns=0" in err
