"""The whole pipeline on a tiny GPT-2, through the same adapter path a real model takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import main
from evals.runs.folder import RESULTS_FILE
from evals.usecases import discover_use_cases
from tests.helpers import REPO, only_partial, only_run

USE_CASES = ("chat", "code", "ner", "qa", "sentiment", "summarization")


def run_cli(*args: str) -> int:
    return main(["eval", *args])


@pytest.fixture(scope="module")
def chat_run(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    assert run_cli("--model", str(tiny_chat_model), "--limit", "4", "--output", str(runs)) == 0
    return only_run(runs)


def test_run_folder_holds_complete_results_for_all_six_use_cases(chat_run: Path) -> None:
    assert not chat_run.name.endswith(".partial")
    results = json.loads((chat_run / RESULTS_FILE).read_text())
    assert results["complete"] is True
    assert set(results["use_cases"]) == set(USE_CASES)
    model = results["model"]
    assert model["objective"] == "instruct" and model["has_chat_template"] is True
    assert len(model["model_hash"]) == 64 and model["chat_template_sha256"]
    assert results["prompt_mode"] == "chat"
    for name, uc in results["use_cases"].items():
        primary = uc["primary"]
        assert uc["n"] == 4, name
        # No interval for one unit (4 QA questions on one passage) or no spread (every
        # resample equal: F1 with no true positive).
        if uc["interval"]["clusters"] == 1 or primary["method"] == "constant":
            assert primary["ci_low"] is None and primary["ci_high"] is None, name
        else:
            assert primary["ci_low"] <= primary["value"] <= primary["ci_high"], name
        assert 0.0 <= uc["invalid_rate"] <= 100.0
        assert uc["num_fewshot"] == 0 and uc["prompt_mode"] == "chat"
        assert len(uc["data_sha256"]) == 64 and uc["model_fingerprint"] == model["fingerprint"]
        assert uc["task_version"] == discover_use_cases()[name].version
        # Every result carries its trivial baselines on the same items and its interval unit.
        baselines = uc["baselines"]
        assert baselines["strongest"] in baselines["policies"], name
        assert isinstance(baselines["above_all"], bool)
        for policy in baselines["policies"].values():
            assert policy["score"]["n"] == 4 and 0.0 <= policy["p_value"] <= 1.0
        assert uc["interval"]["unit"] == ("passage" if name == "qa" else "item")
    assert results["use_cases"]["qa"]["interval"]["clusters"] >= 1
    # lm-eval's own result keys are kept for the single-turn tasks.
    assert results["lm_eval"]["ner"]["versions"] == 1.1
    assert "sentiment_choice" in results["lm_eval"]


def test_samples_are_complete_for_the_matrix_and_gate(chat_run: Path) -> None:
    results = json.loads((chat_run / RESULTS_FILE).read_text())
    for name, uc in results["use_cases"].items():
        for file in uc["samples_files"]:
            records = [json.loads(line) for line in (chat_run / file).open()]
            assert len(records) == 4, file
            for record in records:
                assert record["item_id"] and record["doc_hash"]
                assert "parsed" in record and "target" in record
                assert record["scores"], file
            if name != "chat":
                assert all(r["prompt"] for r in records)
    ner = [json.loads(line) for line in (chat_run / "samples_ner.jsonl").open()]
    assert set(ner[0]["scores"]) >= {"f1", "precision", "recall", "f1_PER", "invalid"}
    rows = Path(discover_use_cases()["ner"].data_files[1]).read_text().splitlines()
    for record in ner:  # one tag per token of the row it scored (a LIMIT draws rows anywhere)
        assert len(record["parsed"]["tags"]) == len(json.loads(rows[record["doc_id"]])["tokens"])
    chat = [json.loads(line) for line in (chat_run / "samples_chat.jsonl").open()]
    first = chat[0]["turns"]
    assert [t["turn"] for t in first] == list(range(1, len(first) + 1))
    # The model's own earlier reply is fed back: turn 2's prompt holds turn 1's reply.
    assert first[0]["raw_output"].strip() in first[1]["prompt"]
    assert "<|im_start|>assistant" in first[1]["prompt"]


def test_base_model_runs_in_completion_mode_with_few_shot(
    tiny_base_model: Path, tmp_path: Path
) -> None:
    assert (
        run_cli(
            "--model",
            str(tiny_base_model),
            "--tasks",
            "qa,chat",
            "--limit",
            "3",
            "--output",
            str(tmp_path),
        )
        == 0
    )
    folder = only_run(tmp_path)
    results = json.loads((folder / RESULTS_FILE).read_text())
    assert results["model"]["objective"] == "base" and results["prompt_mode"] == "completion"
    assert results["use_cases"]["qa"]["num_fewshot"] == 3
    qa = [json.loads(line) for line in (folder / "samples_qa.jsonl").open()]
    # Few-shot examples come from the few-shot split, never from scored items.
    fewshot_passage = "Brookside school orchestra"
    assert all(r["prompt"].count("Passage:") == 4 and fewshot_passage in r["prompt"] for r in qa)
    scored_questions = {r["prompt"].rsplit("Question: ", 1)[1] for r in qa}
    assert len(scored_questions) == 3
    chat = [json.loads(line) for line in (folder / "samples_chat.jsonl").open()]
    assert chat[0]["turns"][1]["prompt"].endswith("Assistant:")
    assert "User: My name is Sam" in chat[0]["turns"][0]["prompt"]


def test_prompt_mode_override_and_chat_without_template(
    tiny_base_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(
        "--model", str(tiny_base_model), "--prompt-mode", "chat", "--output", str(tmp_path)
    )
    assert code == 2
    assert "has no chat template" in capsys.readouterr().err


def test_bad_data_stops_before_any_run_and_a_failure_midway_keeps_finished_use_cases(
    tiny_chat_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad data row in the second use case is found before anything runs (one line naming
    file and line, exit 2, no run folder). A failure while the second use case is scored
    leaves the first's samples on disk in the .partial folder, named in the one line."""
    import shutil

    tasks = tmp_path / "tasks"
    for name in ("sentiment", "qa"):
        shutil.copytree(REPO / "tasks" / name, tasks / name)
    bad = tasks / "qa" / "data" / "test.jsonl"
    good = bad.read_text()
    lines = good.splitlines()
    lines[2] = '{"id": "broken", "context": "x"'
    bad.write_text("\n".join(lines) + "\n")
    runs = tmp_path / "runs"
    args = (
        "--model",
        str(tiny_chat_model),
        "--tasks",
        "sentiment,qa",
        "--limit",
        "2",
        "--tasks-dir",
        str(tasks),
        "--output",
        str(runs),
    )
    assert run_cli(*args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and f"{bad}:3: not valid JSON" in err[-1]
    assert not runs.exists()

    bad.write_text(good)
    hooks = tasks / "qa" / "usecase.py"
    scorer = '    """Per-item EM/F1 and the answerable / unanswerable split."""\n'
    assert hooks.read_text().count(scorer) == 1
    hooks.write_text(
        hooks.read_text().replace(
            scorer,
            scorer
            + (
                "    from evals.errors import DataError\n\n"
                "    raise DataError('planted scorer failure')\n"
            ),
        )
    )
    assert run_cli(*args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == err[-1] and "Traceback" not in "\n".join(err)
    assert "planted scorer failure" in errors[0] and ".partial" in errors[0]
    partial = only_partial(runs)
    assert (partial / "samples_sentiment.jsonl").is_file()
    progress = json.loads((partial / "results.partial.json").read_text())
    assert progress["complete"] is False and list(progress["use_cases"]) == ["sentiment"]
    assert not (partial / RESULTS_FILE).exists()
