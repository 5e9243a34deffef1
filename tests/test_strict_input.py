"""Input a careful user gets wrong: each is one line on stderr and exit 2, before any model is
loaded where possible; limits that exceed the data are said, not silent."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from evals.cli import main
from tests.helpers import REPO
from tests.openai_stub import openai_stub


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing on stderr"
    return err[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "-1"], "--limit must be a positive number of items, or 0 for all (got -1)"),
        (["--tasks", ","], "--tasks ',' names no use case (give e.g. qa,ner or leave it out)"),
        (["--batch-size", "0"], "--batch-size must be a positive whole number or 'auto'"),
        (["--batch-size", "many"], "--batch-size must be a positive whole number or 'auto'"),
    ],
)
def test_run_options_are_checked(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", *args]) == 2
    assert _err(capsys).startswith(f"error: {message}")


def test_verbose_bad_input_still_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: -v re-raised, exit 1, which CI reads as a regression."""
    assert main(["-v", "eval", "--model", "what is this"]) == 2
    captured = capsys.readouterr().err
    assert "Traceback" in captured and captured.strip().splitlines()[-1].startswith("error: ")


def test_family_limit_must_be_a_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    family = tmp_path / "f.yaml"
    family.write_text("name: f\nlimit: ten\nvariants:\n  - model: default\n")
    assert main(["matrix", "--family", str(family), "--output", str(tmp_path)]) == 2
    assert (
        _err(capsys) == f"error: {family}: limit must be a positive whole number of items "
        "(got 'ten')"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_bad_data_row_is_found_before_the_model_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The model is a server nobody answers at: had it been loaded first, the error would be
    'unreachable'. The data error comes first."""
    tasks = tmp_path / "tasks"
    shutil.copytree(REPO / "tasks" / "qa", tasks / "qa")
    data = tasks / "qa" / "data" / "test.jsonl"
    lines = data.read_text().splitlines()
    lines[2] = '{"id": "broken", "context": "x"'
    data.write_text("\n".join(lines) + "\n")
    spec = f"openai-chat:http://127.0.0.1:{_free_port()}/v1@m"
    assert (
        main(
            [
                "eval",
                "--model",
                spec,
                "--tasks-dir",
                str(tasks),
                "--tasks",
                "qa",
                "--output",
                str(tmp_path / "runs"),
            ]
        )
        == 2
    )
    err = _err(capsys)
    assert "test.jsonl:3" in err and "unreachable" not in err
    assert not (tmp_path / "runs").exists()


def test_limit_beyond_the_data_is_said_and_chat_apis_default_to_chat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A chat-completions server whose model name says nothing about its objective runs in
    chat mode (before: 'takes chat prompts only: PROMPT_MODE=chat')."""
    with openai_stub(lambda body: "positive") as (url, _):
        code = main(
            [
                "eval",
                "--model",
                f"openai-chat:{url}@plainmodel",
                "--tasks",
                "sentiment",
                "--limit",
                "100000",
                "--output",
                str(tmp_path),
            ]
        )
    out = capsys.readouterr().out
    assert code == 0
    assert "note: sentiment: LIMIT=100000 capped at its 64 items" in out
    assert "prompt mode=chat" in out


def test_interrupt_names_the_folder_and_how_to_resume(
    tiny_chat_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import evals.engine.runner as runner

    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "evaluate_use_case", interrupted)
    code = main(
        [
            "eval",
            "--model",
            str(tiny_chat_model),
            "--tasks",
            "qa",
            "--limit",
            "2",
            "--output",
            str(tmp_path),
        ]
    )
    (partial,) = tmp_path.glob("*/*.partial")
    assert code == 130
    assert _err(capsys) == (
        f"error: interrupted: finished use cases are kept in {partial}; run the same command "
        "again to resume (computed answers come from the request cache)"
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_score_commands_refuse_what_they_cannot_score(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    squad = _write(
        tmp_path / "g.json",
        json.dumps(
            {
                "version": "1.1",
                "data": [
                    {
                        "paragraphs": [
                            {"context": "A b.", "qas": [{"id": "q1", "answers": [{"text": "b"}]}]}
                        ]
                    }
                ],
            }
        ),
    )
    preds = _write(tmp_path / "p.json", json.dumps({"other-id": "b"}))
    assert main(["score", "squad", str(squad), str(preds)]) == 2
    assert "none of its 1 question ids is in" in _err(capsys)

    gold = _write(tmp_path / "gold.txt", "positive\nnegative\n")
    pred = _write(tmp_path / "pred.txt", "positive\nnegativ\n")
    assert main(["score", "sentiment", str(gold), str(pred)]) == 2
    assert "label 'negativ' is not in the gold label set (negative, positive)" in _err(capsys)

    conll_gold = _write(tmp_path / "gold.conll", "John B-PER\nran O\n")
    conll_pred = _write(tmp_path / "pred.conll", "John B-PER\n")
    assert main(["score", "ner", str(conll_gold), str(conll_pred)]) == 2
    assert "sentence 1: 1 predicted tokens, 2 gold" in _err(capsys)

    refs = _write(tmp_path / "refs.jsonl", '{"summary": "a cat sat"}\n')
    outs = _write(tmp_path / "outs.txt", "a cat sat\n")
    assert main(["score", "rouge", str(refs), str(outs)]) == 2
    assert "holds JSON lines: name the text field" in _err(capsys)


def test_a_231_kb_passage_is_cut_not_the_instruction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the backend cut the prompt from the front, dropping the instruction, and nothing
    said so. Now the passage alone is cut, each item records it, and the table counts it."""
    huge = ("The river floods every spring and the town rebuilds. " * 4400)[:231_000]
    paragraphs = [
        {
            "context": huge,
            "qas": [
                {
                    "id": "big",
                    "question": "What floods?",
                    "is_impossible": False,
                    "answers": [{"text": "The river", "answer_start": 0}],
                }
            ],
        },
        {
            "context": "Ada wrote the first program.",
            "qas": [
                {
                    "id": "small",
                    "question": "Who wrote it?",
                    "is_impossible": False,
                    "answers": [{"text": "Ada", "answer_start": 0}],
                }
            ],
        },
    ]
    folder = tmp_path / "data" / "squad_v2.0"
    folder.mkdir(parents=True)
    _write(
        folder / "dev-v2.0.reconstructed.json",
        json.dumps({"version": "v2.0", "data": [{"title": "t", "paragraphs": paragraphs}]}),
    )
    with openai_stub(lambda body: "The river") as (url, requests):
        code = main(
            [
                "eval",
                "--model",
                f"openai-chat:{url}@plainmodel",
                "--tasks",
                "squad_v2.0",
                "--data-dir",
                str(tmp_path / "data"),
                "--output",
                str(tmp_path / "runs"),
            ]
        )
    out = capsys.readouterr().out
    assert code == 0
    from tasks.qa.usecase import INSTRUCTION, MAX_PASSAGE_CHARS

    prompts = [m["content"] for r in requests for m in r.get("messages", []) if m["role"] == "user"]
    (big,) = [p for p in prompts if "What floods?" in p]
    assert big.startswith(INSTRUCTION) and big.endswith("[…]\nQuestion: What floods?\nAnswer:")
    assert len(big) < MAX_PASSAGE_CHARS + len(INSTRUCTION) + 100
    assert "1 of 2 items had their passage cut to fit the prompt (passage_truncated)" in out
    (results,) = (tmp_path / "runs").glob("*/*/results.json")
    qa = json.loads(results.read_text())["use_cases"]["squad_v2.0"]
    assert qa["metrics"]["passage_truncated"]["value"] == 50.0


def test_ner_files_whose_tokens_differ_in_text_are_scored_by_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A WNUT-17 submission carries `get` where the gold has `gt` (an HTML entity normalised):
    conlleval aligns by position and the published F1 reproduces; refusing the file was wrong.
    The count and the first mismatches are said."""
    gold = _write(tmp_path / "gold.conll", "I O\ngt O\nParis B-LOC\n\nHi O\n")
    pred = _write(tmp_path / "pred.conll", "I O\nget O\nParis B-LOC\n\nHi O\n")
    assert main(["score", "ner", str(gold), str(pred)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["f1"] == 100.0 and result["token_mismatches"] == 1
    assert "1 token(s) differ" in caplog.text and "'get' for 'gt'" in caplog.text
