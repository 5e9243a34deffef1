"""Every other fenced command of the README, run as typed in a new user's checkout. Where the
README names a placeholder (``<spec>``, ``GOLD PRED``, a server), a concrete one stands in: a
tiny local model, a local stub server, the real data in ``../shared/data``. A command that
needs the hub or GPUs (as the README says beside it) runs with ``DRY_RUN=1``."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.readme import fenced_commands, python_snippets
from tests.acceptance.test_readme_default_model import COMMANDS as DEFAULT_MODEL_COMMANDS
from tests.acceptance.workspace import Workspace
from tests.helpers import run_folders
from tests.openai_stub import openai_stub

pytestmark = pytest.mark.acceptance

EVAL_SYNTAX = (
    "make eval MODEL=<spec> [MODEL_ARGS=k=v,...] [TASKS=ner,qa] [LIMIT=50] "
    "[PROMPT_MODE=completion|chat] [OBJECTIVE=base|instruct|chat|code] [BATCH_SIZE=8|auto] "
    "[SAMPLES=10 TEMPERATURE=0.8]"
)
GATE = (
    "make gate CANDIDATE=<run folder or model spec> BASELINE=<run folder or model spec> "
    "[POLICY=gate.yaml]"
)
SCORE = {
    "evals score ner GOLD PRED": "evals score ner {d}/conll2003/eng.testb {d}/conll2003/eng.testb",
    "evals score squad GOLD.json PRED.json": "evals score squad {d}/squad_v1.1/dev-v1.1.reconstructed.json {squad_pred}",
    "evals score sentiment GOLD PRED [--metric accuracy|macro_f1|macro_recall]": "evals score sentiment {tmp}/gold.txt {tmp}/pred.txt --metric macro_recall",
    "evals score rouge REFS PREDS [--field summary1] [--pred-field F]": "evals score rouge {d}/dialogsum/dialogsum.test.jsonl {tmp}/summaries.jsonl "
    "--field summary1 --pred-field summary",
    "evals score code PROBLEMS SAMPLES [--out RESULTS.jsonl] [--timeout S]": "evals score code {d}/humaneval/example_problem.jsonl {d}/humaneval/example_samples.jsonl "
    "--out {tmp}/results.jsonl --timeout 3",
    "evals score chat DIALOGUES REPLIES": "evals score chat tasks/chat/data/dialogues.jsonl "
    "{tmp}/replies.jsonl",
}
_NEEDS_HUB_OR_GPUS = (
    "make matrix FAMILY=families/smollm2.yaml EXECUTOR=processes JOBS=4",
    "RAY_ADDRESS=auto make matrix FAMILY=families/llama-2-7b.yaml EXECUTOR=ray",
    "make matrix FAMILY=families/llama-2-7b.yaml EXECUTOR=ray",
)
DRY = {
    "make matrix FAMILY=families/smollm2.yaml DRY_RUN=1": "",
    **{command: " DRY_RUN=1" for command in _NEEDS_HUB_OR_GPUS},
}
"""README line → what is appended to run it here (the plan only)."""
RUN_HERE = {
    EVAL_SYNTAX,
    "make matrix FAMILY=families/<name>.yaml",
    'make matrix MODELS="spec-a spec-b spec-c"',
    "make report",
    "make eval MODEL=<model a> TASKS=qa LIMIT=4",
    "make eval MODEL=<model b> TASKS=qa LIMIT=4",
    "make site",
    GATE,
    "evals gate --candidate ... --baseline ... [--policy ...] [--out DIR]",
}
COVERED_ELSEWHERE = {
    "make test": "CI runs it (.ci/run): test_workflows.py::test_ci_is_the_readmes_two_commands",
    ".venv/bin/pip install -e '.[ray]'": "make install runs it: test_workflows.py::"
    "test_the_test_command_installs_the_sandbox_browser_model_and_server",
}


def test_every_fenced_command_is_run_by_this_tier() -> None:
    """A command added to the README without a check here fails; so does a check of a command
    the README no longer shows."""
    covered = (
        set(DEFAULT_MODEL_COMMANDS) | set(SCORE) | set(DRY) | RUN_HERE | set(COVERED_ELSEWHERE)
    )
    shown = set(fenced_commands())
    assert shown - covered == set(), "README commands with no acceptance check"
    assert covered - shown == set(), "checks of commands the README no longer shows"


def _run_folders(workspace: Workspace) -> list[Path]:
    return run_folders(workspace.clone / "reports" / "runs")


def test_eval_options_a_published_leaderboard_and_the_gate(
    workspace: Workspace, tiny_chat_model: Path, tmp_path: Path
) -> None:
    # make eval MODEL=<spec> [...]: every option, on a tiny local model folder.
    out = workspace.ok(
        f"make eval MODEL={tiny_chat_model} MODEL_ARGS=dtype=float32 TASKS=ner,qa LIMIT=2 "
        "PROMPT_MODE=completion OBJECTIVE=base BATCH_SIZE=auto"
    )
    assert re.search(r"objective=base  prompt mode=completion", out) and "run folder:" in out
    out = workspace.ok(
        f"make eval MODEL={tiny_chat_model} TASKS=code LIMIT=1 SAMPLES=2 TEMPERATURE=0.8"
    )
    assert re.search(r"^code +pass_at_1 ", out, flags=re.M), out[-2000:]

    # Publishing: two models' runs, then the site from the store alone.
    with (
        openai_stub(lambda body: "Paris") as (url_a, _),
        openai_stub(lambda body: "unanswerable") as (url_b, _),
    ):
        for url, name in ((url_a, "model-a"), (url_b, "model-b")):
            out = workspace.ok(f"make eval MODEL=openai-chat:{url}@{name} TASKS=qa LIMIT=4")
            assert re.search(r"^qa +f1 ", out, flags=re.M)
        workspace.ok("make site")
        site = workspace.clone / "reports" / "site"
        board = json.loads((site / "leaderboard.json").read_text())
        names = json.dumps(board)
        assert (site / "index.html").is_file() and "model-a" in names and "model-b" in names

        # The gate: run folders, a policy, an out folder; and a model spec as the candidate.
        runs = {p.parent.name: p for p in _run_folders(workspace)}
        base, cand = runs["model-a"], runs["model-b"]
        (workspace.clone / "gate.yaml").write_text("use_cases:\n  default:\n    max_drop: 2.0\n")
        result = workspace.run(f"make gate CANDIDATE={cand} BASELINE={base} POLICY=gate.yaml")
        assert result.returncode in (0, 1), result.stdout[-3000:]  # a verdict, not an error
        headline = r"^## .*Eval gate: (PASS|FAIL|not shown safe)"
        assert re.search(headline, result.stdout, flags=re.M), result.stdout
        result = workspace.run(
            f"evals gate --candidate openai-chat:{url_a}@model-a --baseline "
            f"{base} --policy gate.yaml --out {tmp_path / 'gate'}"
        )
        assert result.returncode == 0, result.stdout[-3000:]  # the same answers: no regression
        for name in ("gate-summary.md", "gate-junit.xml", "gate-verdict.json", "run-diff.html"):
            assert (tmp_path / "gate" / name).is_file()


def test_matrix_commands_and_report(
    workspace: Workspace, tiny_chat_model: Path, tiny_base_model: Path
) -> None:
    family = workspace.clone / "families" / "tiny.yaml"
    family.write_text(
        f"name: tiny\nvariants:\n  - model: {tiny_base_model}\n"
        f"  - model: {tiny_chat_model}\n    name: tiny-gpt2-instruct\n"
    )
    out = workspace.ok("make matrix FAMILY=families/tiny.yaml TASKS=sentiment,ner LIMIT=4")
    assert "evaluated: 2, reused: 0" in out
    with openai_stub(lambda body: "positive") as (url, _):
        specs = " ".join(f"openai-chat:{url}@spec-{x}" for x in "abc")
        out = workspace.ok(f'make matrix MODELS="{specs}" TASKS=sentiment LIMIT=4')
    assert "evaluated: 3" in out
    out = workspace.ok("make report")
    site = workspace.clone / "reports" / "site"
    assert (site / "index.html").is_file() and list(site.glob("tiny*.html"))


def test_commands_that_need_the_hub_or_gpus_show_their_plan(workspace: Workspace) -> None:
    for readme, extra in DRY.items():
        out = workspace.ok(readme + extra)
        assert re.search(r"^to run: \d+ cells", out, flags=re.M), (readme, out[-2000:])


def test_scoring_commands_on_files_made_elsewhere(
    workspace: Workspace, shared_data_dir: Path, tmp_path: Path
) -> None:
    data = shared_data_dir
    (tmp_path / "gold.txt").write_text("positive\nnegative\nnegative\n")
    (tmp_path / "pred.txt").write_text("positive\nnegative\npositive\n")
    dialogsum = [json.loads(x) for x in (data / "dialogsum" / "dialogsum.test.jsonl").open()]
    (tmp_path / "summaries.jsonl").write_text(
        "".join(json.dumps({"summary": r["summary1"]}) + "\n" for r in dialogsum)
    )
    dialogues_file = workspace.clone / "tasks" / "chat" / "data" / "dialogues.jsonl"
    dialogues = [json.loads(x) for x in dialogues_file.open()]
    (tmp_path / "replies.jsonl").write_text(
        "".join(
            json.dumps({"id": d["id"], "replies": ["ok"] * len(d["turns"])}) + "\n"
            for d in dialogues
        )
    )
    squad_pred = next((data / "squad_v1.1" / "predictions").glob("*.json"))
    expected = {
        "ner": ("f1", 100.0),
        "squad": ("f1", None),
        "sentiment": ("macro_recall", 75.0),
        "rouge": ("rouge1", 100.0),
        "code": ("pass_at_1", 50.0),
        "chat": (None, None),
    }
    for readme, command in SCORE.items():
        line = command.format(d=data, tmp=tmp_path, squad_pred=squad_pred)
        out = workspace.ok(line, timeout=900)
        result = json.loads(out.strip().splitlines()[-1])
        kind = readme.split()[2]
        metric, value = expected[kind]
        if metric is not None:
            assert metric in result, (readme, result)
            if value is not None:
                assert result[metric] == pytest.approx(value, abs=0.01), (readme, result)


def test_the_python_snippet_runs_as_written(workspace: Workspace) -> None:
    (snippet,) = python_snippets()
    script = workspace.clone / "readme_snippet.py"
    script.write_text(
        snippet + "\nprint(code.compute(predictions=completions, "
        "references=problems, k=[1])['pass_at_1'])\n"
    )
    result = workspace.run(".venv/bin/python readme_snippet.py", timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "50.0"


def test_the_make_targets_the_workflows_call(workspace: Workspace) -> None:
    """The workflows' steps are these make targets; here they run as a workflow runs them."""
    workflows = workspace.clone / ".github" / "workflows"
    lines = [line.strip() for wf in workflows.glob("*.yml") for line in wf.read_text().splitlines()]
    steps = [line.removeprefix("run: ") for line in lines if line.startswith("run: make ")]
    assert "make pages PAGES_OUT=_site" in steps
    out = workspace.ok("make pages PAGES_OUT=_site")
    root = workspace.clone / "_site"
    assert (root / "index.html").is_file() and (root / "site" / "index.html").is_file()
    index = "TORCH_INDEX=https://download.pytorch.org/whl/cpu"
    dry = subprocess.run(
        ["make", "-n", "install-lean", index],
        cwd=workspace.clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "llama" not in dry and out is not None
