"""A warm run — the same run spec as a complete stored run — is served without loading the
model, and says so; anything that changes the spec (limit, tasks, prompt mode, cache off)
loads the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import evals.models.loading
from evals.cli import main
from tests.helpers import REPO, newest_run, only_run


def _run(model: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--model",
        str(model),
        "--tasks",
        "sentiment,qa",
        "--limit",
        "6",
        "--output",
        str(out),
        *extra,
    ]


def test_a_warm_run_loads_no_model_and_repeats_the_results(
    tiny_chat_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runs = tmp_path / "runs"
    assert main(_run(tiny_chat_model, runs)) == 0
    first = only_run(runs)
    capsys.readouterr()

    def no_load(*_: Any, **__: Any) -> None:
        raise AssertionError("the model was loaded for a warm run")

    monkeypatch.setattr(evals.models.loading, "load_model", no_load)
    assert main(_run(tiny_chat_model, runs)) == 0
    out = capsys.readouterr().out
    assert f"served from {first}: the same run spec, every answer stored; no model loaded" in out
    second = newest_run(runs)
    assert second != first
    a = json.loads((first / "results.json").read_text())
    b = json.loads((second / "results.json").read_text())
    assert b["served_from"] == str(first) and b["requests"]["computed"] == 0
    assert a["use_cases"] == b["use_cases"]
    assert (first / "run_spec.json").read_text() == (second / "run_spec.json").read_text()
    for changed in (["--limit", "5"], ["--prompt-mode", "completion"]):
        args = _run(tiny_chat_model, runs)
        args[args.index("--limit")] = "--limit"
        assert (
            main(
                [*args[:-4], *changed, *args[-2:]] if changed[0] == "--limit" else [*args, *changed]
            )
            == 3
        )
        assert "the model was loaded for a warm run" in capsys.readouterr().err


def test_cache_off_asks_the_model_again(
    tiny_chat_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    assert main(_run(tiny_chat_model, runs)) == 0
    monkeypatch.setenv("EVALS_REQUEST_CACHE", "off")
    assert main(_run(tiny_chat_model, runs)) == 0
    newest = newest_run(runs)
    assert "served_from" not in json.loads((newest / "results.json").read_text())


HEAVY = ("torch", "transformers", "datasets", "lm_eval", "scipy", "rouge_score", "nltk")


def test_a_warm_run_process_imports_no_model_or_scoring_library(
    tiny_chat_model: Path, tmp_path: Path
) -> None:
    """What makes the warm/cold ratio in ``make bench``: a fresh process serving a stored run
    imports none of the libraries that loading, evaluating or scoring need (before: torch,
    transformers, datasets, lm-eval and scipy, about 4 s)."""
    import subprocess
    import sys

    runs = tmp_path / "runs"
    assert main(_run(tiny_chat_model, runs)) == 0
    probe = (
        "import json, sys\nfrom evals.cli import main\n"
        f"code = main({_run(tiny_chat_model, runs)!r})\n"
        f"print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert "served from" in done.stdout, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [0, []]
