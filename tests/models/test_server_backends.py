"""The server path of the adapter, end to end through lm-eval's own API clients, against an
OpenAI-compatible server on loopback whose answers are known in advance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import main
from evals.runs.folder import RESULTS_FILE
from evals.runs.limit import item_sample
from evals.usecases import discover_use_cases
from tests.helpers import only_partial, only_run
from tests.openai_stub import openai_stub

LIMIT = 6


def gold_labels() -> list[str]:
    """The gold labels of the items a ``--limit LIMIT`` run scores (a seeded draw, not the
    first LIMIT items)."""
    use_case = discover_use_cases()["sentiment"]
    sample = item_sample(use_case, LIMIT)
    assert sample is not None and len(sample.positions) == LIMIT
    labels = use_case.module().load_dataset()["test"]["label"]
    return [labels[p] for p in sample.positions]


def run(tmp_path: Path, spec: str, tasks: str) -> dict:
    code = main(
        [
            "eval",
            "--model",
            spec,
            "--tasks",
            tasks,
            "--limit",
            str(LIMIT),
            "--output",
            str(tmp_path),
        ]
    )
    assert code == 0
    folder = only_run(tmp_path)
    return json.loads((folder / RESULTS_FILE).read_text()) | {"_folder": folder}


def test_chat_completions_server(tmp_path: Path) -> None:
    with openai_stub(lambda body: "Positive!") as (url, requests):
        results = run(tmp_path, f"openai-chat:{url}@stub-chat", "sentiment,chat")
    assert results["model"]["backend"] == "local-chat-completions"
    assert results["model"]["objective"] == "chat" and results["prompt_mode"] == "chat"
    sentiment = results["use_cases"]["sentiment"]
    expected = 100 * gold_labels().count("positive") / LIMIT
    assert sentiment["metrics"]["accuracy"]["value"] == expected
    assert "sentiment_choice" in sentiment["skipped_tasks"]  # no loglikelihoods from a chat API
    # A dialogue's second turn: the shortest request that carries an earlier reply back.
    second = min(
        (r["messages"] for r in requests if any(m["role"] == "assistant" for m in r["messages"])),
        key=len,
    )
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == "Positive!"  # the model's own reply was fed back
    assert all(r["model"] == "stub-chat" for r in requests)


def test_completions_server_runs_base_models_in_completion_mode(tmp_path: Path) -> None:
    with openai_stub(lambda body: " negative\n\nText: something else") as (url, requests):
        results = run(tmp_path, f"openai-completions:{url}@stub-base", "sentiment")
    assert results["model"]["backend"] == "local-completions"
    assert results["model"]["objective"] == "base" and results["prompt_mode"] == "completion"
    sentiment = results["use_cases"]["sentiment"]
    expected = 100 * gold_labels().count("negative") / LIMIT
    assert sentiment["metrics"]["accuracy"]["value"] == expected
    assert sentiment["num_fewshot"] == 4
    batches = [r["prompt"] if isinstance(r["prompt"], list) else [r["prompt"]] for r in requests]
    prompts = [p for batch in batches for p in batch]
    assert len(prompts) == LIMIT
    assert all(p.count("Text:") == 5 for p in prompts)  # 4 shots + the item
    assert "sentiment_choice" in sentiment["skipped_tasks"]  # no tokenizer given


def test_server_dying_mid_run_keeps_finished_use_cases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server serves sentiment, then answers 503 to everything: after lm-eval's retries the
    run ends with one line and exit 2, and sentiment's samples stay in the .partial folder."""
    with openai_stub(lambda body: "Positive!", fail_after=LIMIT) as (url, requests):
        code = main(
            [
                "eval",
                "--model",
                f"openai-chat:{url}@stub-chat",
                "--model-args",
                "max_retries=2",
                "--tasks",
                "sentiment,qa",
                "--limit",
                str(LIMIT),
                "--output",
                str(tmp_path),
            ]
        )
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    errors = [line for line in err if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == err[-1]
    assert "model backend failed during qa" in errors[0] and "503" in errors[0]
    partial = only_partial(tmp_path)
    assert len((partial / "samples_sentiment.jsonl").read_text().splitlines()) == LIMIT
    assert len(requests) == LIMIT + 2  # two tries at the first QA item, then it gave up
