"""The README's commands that evaluate the embedded model, run as typed in a new user's
checkout (fresh HOME, empty caches: the GGUF is converted here once), with small LIMITs. The
judge named in the README is a local stub server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.acceptance.workspace import Workspace
from tests.openai_stub import openai_stub

pytestmark = [pytest.mark.acceptance, pytest.mark.real_model]

COMMANDS = {
    "make eval": "make eval LIMIT=1",
    "make eval SUITE=standard DATA_DIR=../shared/data LIMIT=200": "make eval SUITE=standard DATA_DIR=../shared/data LIMIT=1",
    "make eval SUITE=real DATA_DIR=../shared/data LIMIT=20": "make eval SUITE=real DATA_DIR=../shared/data LIMIT=1",
    "make eval TASKS=tweet_eval,wnut17 DATA_DIR=../shared/data": "make eval TASKS=tweet_eval,wnut17 DATA_DIR=../shared/data LIMIT=2",
    "make eval TASKS=sst2 DATA_SOURCE=hub [DATA_REVISION=<commit sha>]": "make eval TASKS=sst2 DATA_SOURCE=hub DRY_RUN=1",
    "make eval TASKS=mt_bench DATA_DIR=../shared/data JUDGE=openai-chat:http://host:8000/v1@judge": "make eval TASKS=mt_bench DATA_DIR=../shared/data JUDGE=openai-chat:{judge}@judge LIMIT=1",
}
"""README line → what this tier runs (LIMIT made small; the judge's URL a local stub)."""

SUITES = {
    "make eval": ["chat", "code", "ner", "qa", "sentiment", "summarization"],
    "SUITE=standard": ["mt_bench", "humaneval", "conll2003", "squad_v2.0", "sst2", "xsum"],
    "SUITE=real": [
        "mt_bench",
        "mt_bench_101",
        "humaneval",
        "mbpp",
        "conll2003",
        "wnut17",
        "squad_v1.1",
        "squad_v2.0",
        "sst2",
        "tweet_eval",
        "cnn_dailymail",
        "dialogsum",
        "samsum",
        "xsum",
    ],
    "TASKS=tweet_eval,wnut17": ["tweet_eval", "wnut17"],
}

HEADER = re.compile(
    r"^SmolLM2-135M-Instruct  objective=instruct  prompt mode=chat  fingerprint=[0-9a-f]{16}$",
    flags=re.M,
)
COLUMNS = re.compile(
    r"^use case +primary metric +score +95% CI +n +trivial baseline +above it\? +invalid +mode",
    flags=re.M,
)


def assert_eval_table(output: str, rows: list[str]) -> None:
    """The documented shape: the variant line, the table's columns, a row per use case (or a
    line saying why it did not run), the baseline footnote and the run folder."""
    assert HEADER.search(output), output[-3000:]
    assert COLUMNS.search(output), output[-3000:]
    for name in rows:
        assert re.search(rf"^{re.escape(name)} +\S+ +(-|\d+\.\d) ", output, flags=re.M) or (
            f"{name}: not run (" in output
        ), f"no row for {name}:\n{output[-3000:]}"
    assert "trivial baseline: the strongest no-skill policy" in output
    assert re.search(
        r"^run folder: reports/runs/SmolLM2-135M-Instruct/\d{8}T\d{6}Z", output, flags=re.M
    )


def test_the_first_command_and_the_benchmark_commands(
    workspace: Workspace, shared_data_dir: Path
) -> None:
    for readme, command in COMMANDS.items():
        if "JUDGE=" in command or "DRY_RUN" in command:
            continue
        output = workspace.ok(command)
        keys = [key for key in SUITES if key != "make eval" and key in readme] or ["make eval"]
        (suite,) = [SUITES[key] for key in keys]
        assert_eval_table(output, suite)


def test_a_hub_benchmark_shows_its_plan_without_the_hub(workspace: Workspace) -> None:
    readme = "make eval TASKS=sst2 DATA_SOURCE=hub [DATA_REVISION=<commit sha>]"
    output = workspace.ok(COMMANDS[readme])
    assert "sst2: data hub (head, pinned at run time)" in output
    assert "dry run: nothing loaded, nothing evaluated" in output


def test_mt_bench_with_a_judge_server(workspace: Workspace, shared_data_dir: Path) -> None:
    """Before: every judged run ended in `internal error: AssertionError: LocalChatCompletion
    expects messages as list[dict]` (exit 3)."""
    readme = next(k for k in COMMANDS if "JUDGE=" in k)
    with openai_stub(lambda body: "The answer is clear and correct. Rating: [[8]]") as (url, log):
        output = workspace.ok(COMMANDS[readme].format(judge=url))
    assert log and all(isinstance(r["messages"], list) for r in log)
    assert re.search(r"^mt_bench +rating +8\.0 ", output, flags=re.M), output[-3000:]
