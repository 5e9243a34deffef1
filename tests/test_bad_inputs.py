"""Each bad input a new user met (issue 18), reproduced: one clear line and exit 2 (or the right
result), never a traceback, a wrong status, a file outside the run store or a credential."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from evals.cli import main
from tests.helpers import only_run
from tests.openai_stub import openai_stub


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line (a progress bar or a library warning from another thread of the
    test process may share stderr; no traceback may)."""
    err = _err(capsys)
    errors = [line for line in err.splitlines() if line.startswith(("error:", "internal error:"))]
    assert "Traceback" not in err and len(errors) == 1, err
    return errors[0]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("    prompt_modes: 5\n", "prompt_modes must be a list"),
        ("    prompt_modes: {chat: 1}\n", "prompt_modes must be a list"),
        ("    name: [1, 2]\n", "name must be text"),
        ("    objective: 7\n", "objective 7"),
    ],
)
def test_a_malformed_family_entry_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, expected: str
) -> None:
    family = tmp_path / "f.yaml"
    family.write_text("variants:\n  - model: openai-chat:http://127.0.0.1:9/v1@m\n" + entry)
    assert main(["matrix", "--family", str(family), "--output", str(tmp_path / "r")]) == 2
    assert expected in _one_line(capsys)


def test_family_tasks_may_be_a_yaml_list(tmp_path: Path) -> None:
    from evals.matrix.family import load_family

    family = tmp_path / "f.yaml"
    family.write_text("tasks: [qa, ner]\nvariants:\n  - model: openai-chat:http://h/v1@m\n")
    assert load_family(family).tasks == "qa,ner"


def test_a_model_named_dot_dot_stays_inside_the_run_store(tmp_path: Path) -> None:
    runs = tmp_path / "store" / "runs"
    with openai_stub(lambda body: "positive") as (url, _):
        code = main(
            [
                "eval",
                "--model",
                f"openai-chat:{url}@..",
                "--tasks",
                "sentiment",
                "--limit",
                "2",
                "--output",
                str(runs),
            ]
        )
    assert code == 0
    written = [p for p in (tmp_path / "store").rglob("results.json")]
    assert written and all(runs in p.parents for p in written)
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["runs"]  # nothing beside it


def test_credentials_in_a_url_or_raw_spec_are_never_written_or_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = ["pw-9a8b7c6d5e", "qk-1f2e3d4c5b", "rk-6a5b4c3d2e"]
    runs = tmp_path / "runs"
    common = ["--tasks", "sentiment", "--limit", "2", "--output", str(runs)]
    with openai_stub(lambda body: "positive") as (url, requests):
        host = url.removeprefix("http://")
        with_user = f"openai-chat:http://user:{secrets[0]}@{host}?api_key={secrets[1]}@m1"
        assert main(["-v", "eval", "--model", with_user, *common]) == 0
        raw = (
            f"local-chat-completions:base_url={url}/chat/completions,model=m2,api_key={secrets[2]}"
        )
        assert main(["eval", "-v", "--model", raw, *common]) == 0
        assert (
            main(
                [
                    "site",
                    "--output",
                    str(runs),
                    "--reports",
                    str(tmp_path / "reports"),
                    "--families",
                    str(tmp_path / "none"),
                ]
            )
            == 0
        )
    assert len(requests) >= 4
    printed = capsys.readouterr()
    for secret in secrets:
        assert secret not in printed.out + printed.err
        leaks = [
            p for p in tmp_path.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()
        ]
        assert leaks == []


def test_a_stalled_server_ends_in_one_line_naming_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with openai_stub(lambda body: "positive", stall=3.0) as (url, _):
        code = main(
            [
                "eval",
                "--model",
                f"openai-chat:{url}@slow",
                "--model-args",
                "timeout=1,max_retries=1",
                "--tasks",
                "sentiment",
                "--limit",
                "1",
                "--output",
                str(tmp_path),
            ]
        )
    assert code == 2
    err = _err(capsys)
    assert "MODEL_ARGS=timeout=SECONDS" in err and "Traceback" not in err


def test_server_specs_get_a_default_request_timeout() -> None:
    from evals.models.loading import SERVER_TIMEOUT

    assert 0 < SERVER_TIMEOUT <= 120  # lm-eval's own is 300 s x 3 tries: a 15-minute 0% bar


def test_a_reply_with_a_lone_surrogate_is_scored_and_stored(tmp_path: Path) -> None:
    with openai_stub(lambda body: "posi\ud800tive") as (url, _):
        code = main(
            [
                "eval",
                "--model",
                f"openai-chat:{url}@odd",
                "--tasks",
                "sentiment",
                "--limit",
                "2",
                "--output",
                str(tmp_path),
            ]
        )
    assert code == 0
    (samples,) = tmp_path.rglob("samples_sentiment.jsonl")
    first = json.loads(samples.read_text(encoding="utf-8").splitlines()[0])
    assert "\ud800" in json.dumps(first, ensure_ascii=False) or "\\ud800" in json.dumps(first)


def test_a_huge_reply_is_cut_before_it_is_stored(tmp_path: Path) -> None:
    from evals.cache.requests import MAX_REPLY_CHARS

    with openai_stub(lambda body: "x" * 5_000_000) as (url, _):
        code = main(
            [
                "eval",
                "--model",
                f"openai-chat:{url}@huge",
                "--tasks",
                "sentiment",
                "--limit",
                "2",
                "--output",
                str(tmp_path / "runs"),
            ]
        )
    assert code == 0
    run_bytes = sum(p.stat().st_size for p in (tmp_path / "runs").rglob("*") if p.is_file())
    assert run_bytes < 8 * 2 * MAX_REPLY_CHARS  # 2 items, a few copies of a capped reply each
    cache = Path(__import__("os").environ["EVALS_CACHE_DIR"]) / "requests"
    assert max(p.stat().st_size for p in cache.glob("*.sqlite*")) < 10_000_000


def test_a_cache_file_damaged_in_the_middle_is_moved_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from evals.cache.store import RequestStore

    path = tmp_path / "c.sqlite"
    store = RequestStore(path)
    for k in range(3000):
        store.put(f"key-{k}", "answer " * 20)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store._db.close()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8192] = b"\xff" * 8192  # not the header: opening alone sees nothing
    path.write_bytes(bytes(data))
    again = RequestStore(path)
    assert again.get_many(["key-1", "key-2999"]) == {}
    again.put("key-1", "fresh")
    assert again.get_many(["key-1"]) == {"key-1": "fresh"}
    assert list(tmp_path.glob("c.sqlite.corrupt-*")) and "moved aside" in caplog.text
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_verbose_internal_error_still_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evals import commands

    def broken(args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(commands, "plan_command", broken)
    assert main(["-v", "plan"]) == 3
    assert main(["plan", "-v"]) == 3  # -v after the subcommand is accepted too
    err = _err(capsys)
    assert "Traceback" in err and "internal error: RuntimeError: a bug" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "--data-dir", "~nouser-evals-test/x", "--tasks", "sst2"],
        ["cache", "prune", "--older-than", "-3"],
        ["plan", "--alpha", "0"],
        ["plan", "--power", "1"],
        ["plan", "--gap", "nan"],
        ["plan", "--rate", "120"],
    ],
)
def test_bad_numbers_and_paths_are_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    _one_line(capsys)


def test_negative_prune_age_deletes_nothing(tmp_path: Path) -> None:
    from evals.cache.store import RequestStore, requests_dir

    RequestStore(requests_dir() / "keep.sqlite").put("k", "v")
    assert main(["cache", "prune", "--older-than", "-3"]) == 2
    assert (requests_dir() / "keep.sqlite").exists()


def test_two_empty_label_files_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold, pred = tmp_path / "g.txt", tmp_path / "p.txt"
    gold.write_text("")
    pred.write_text("\n")
    assert main(["score", "sentiment", str(gold), str(pred)]) == 2
    assert "holds no label" in _one_line(capsys)


def test_gate_rejects_an_unknown_allowance_and_an_unwritable_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    with openai_stub(lambda body: "positive") as (url, _):
        assert (
            main(
                [
                    "eval",
                    "--model",
                    f"openai-chat:{url}@g",
                    "--tasks",
                    "sentiment",
                    "--limit",
                    "4",
                    "--output",
                    str(runs),
                ]
            )
            == 0
        )
    run = only_run(runs)
    capsys.readouterr()
    gate = ["gate", "--candidate", str(run), "--baseline", str(run)]
    assert main([*gate, "--allow-different", "nosuchfield", "--out", str(tmp_path / "g")]) == 2
    assert "nosuchfield" in _one_line(capsys)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main([*gate, "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {blocker / 'sub'}" in err and "Traceback" not in err


def test_matrix_of_chat_servers_runs_in_chat_mode_and_takes_prompt_mode(tmp_path: Path) -> None:
    with openai_stub(lambda body: "positive") as (url, _):
        models = f"openai-chat:{url}@a openai-chat:{url}@b"
        common = [
            "--tasks",
            "sentiment",
            "--limit",
            "2",
            "--output",
            str(tmp_path / "runs"),
            "--reports",
            str(tmp_path / "reports"),
        ]
        assert main(["matrix", "--models", models, *common]) == 0
        assert main(["matrix", "--models", models, "--prompt-mode", "chat", *common]) == 0
    matrix = json.loads((tmp_path / "reports" / "matrix.json").read_text())
    assert {c["prompt_mode"] for c in matrix["columns"]} == {"chat"}
