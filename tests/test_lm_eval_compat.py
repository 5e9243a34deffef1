"""Task configs stay runnable by plain lm-eval, with no code of ours in the loop but the hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import TASKS_DIR


def test_plain_lm_eval_cli_runs_a_task_folder(tiny_chat_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "lm_eval", "--model", "hf",
         "--model_args", f"pretrained={tiny_chat_model},dtype=float32",
         "--include_path", str(TASKS_DIR / "ner"), "--tasks", "ner", "--limit", "3",
         "--device", "cpu", "--num_fewshot", "2", "--output_path", str(out), "--log_samples"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    ner = results["results"]["ner"]
    assert {"f1,none", "precision,none", "recall,none", "invalid,none"} <= set(ner)
    assert 0.0 <= ner["f1,none"] <= 100.0
    samples = [json.loads(line) for line in next(out.rglob("samples_ner_*.jsonl")).open()]
    assert len(samples) == 3 and len(samples[0]["f1"]) == 3  # [tp, predicted, gold]


def test_plain_lm_eval_cli_runs_a_real_benchmark_from_metadata(
    tiny_chat_model: Path, tmp_path: Path
) -> None:
    """A benchmark task finds DATA_DIR in lm-eval's own ``--metadata`` (no env, no wrapper)."""
    from tests.conftest import shared_data

    data_dir = shared_data()
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALS_DATA")}
    proc = subprocess.run(
        [sys.executable, "-m", "lm_eval", "--model", "hf",
         "--model_args", f"pretrained={tiny_chat_model},dtype=float32",
         "--include_path", str(TASKS_DIR), "--tasks", "sst2,wnut17", "--limit", "3",
         "--metadata", json.dumps({"data_dir": str(data_dir)}),
         "--device", "cpu", "--num_fewshot", "1", "--output_path", str(out), "--log_samples"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    assert {"accuracy,none", "macro_f1,none"} <= set(results["results"]["sst2"])
    assert "f1_creative-work,none" in results["results"]["wnut17"]
    samples = [json.loads(line) for line in next(out.rglob("samples_sst2_*.jsonl")).open()]
    assert samples[0]["doc"]["text"] == "it 's a charming and often affecting journey ."
