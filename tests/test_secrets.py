"""A key given in the model spec is sent to the server and written nowhere: not in results,
samples, run spec, matrix, pages, gate outputs, nor in the Makefile's echoed commands."""

from __future__ import annotations

import subprocess
from pathlib import Path

from evals.cli import main
from tests.helpers import REPO, run_folders
from tests.openai_stub import openai_stub

SECRET = "sk-planted-9f8e7d6c5b4a"


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_api_key_is_sent_and_never_written(tmp_path: Path) -> None:
    runs, reports = tmp_path / "runs", tmp_path / "reports"
    with openai_stub(lambda body: "positive") as (url, requests):
        spec = f"openai-chat:{url}@stub-chat"
        common = ["--output", str(runs), "--tasks", "sentiment", "--limit", "4"]
        assert main(["eval", "--model", spec, "--model-args", f"api_key={SECRET}", *common]) == 0
        family = tmp_path / "family.yaml"
        family.write_text(
            f"name: keyed\nvariants:\n  - model: {spec}\n    model_args: api_key={SECRET}\n"
        )
        assert main(["matrix", "--family", str(family), "--reports", str(reports), *common]) == 0
        first = run_folders(runs)[0]  # any run: the gate compares it with itself
        assert (
            main(
                [
                    "gate",
                    "--candidate",
                    str(first),
                    "--baseline",
                    str(first),
                    "--out",
                    str(tmp_path / "gate"),
                ]
            )
            == 0
        )
        assert (
            main(
                [
                    "report",
                    "--output",
                    str(runs),
                    "--reports",
                    str(reports),
                    "--families",
                    str(tmp_path / "none"),
                ]
            )
            == 0
        )
    assert requests and {r["authorization"] for r in requests} == {f"Bearer {SECRET}"}
    written = [p for p in _files(tmp_path) if p.name != "family.yaml"]  # the input itself
    assert len(written) >= 8
    leaks = [str(p) for p in written if SECRET.encode() in p.read_bytes()]
    assert leaks == []


def test_secret_values_in_spec_strings_are_redacted() -> None:
    from evals.secrets import redact_text

    assert redact_text(f"hf:pretrained=org/x,token={SECRET},dtype=bfloat16") == (
        "hf:pretrained=org/x,token=<redacted>,dtype=bfloat16"
    )
    assert redact_text(f"api_key={SECRET},tokenizer=gpt2") == "api_key=<redacted>,tokenizer=gpt2"


def test_make_does_not_echo_model_or_judge_args() -> None:
    out = subprocess.run(
        [
            "make",
            "-n",
            "eval",
            f"MODEL_ARGS=api_key={SECRET}",
            "JUDGE=x",
            f"JUDGE_ARGS=api_key={SECRET}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "evals eval" in out and SECRET not in out
