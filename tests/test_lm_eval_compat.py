"""Task configs stay runnable by plain lm-eval, with no code of ours in the loop but the hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from evals.score import ner_result
from evals.usecases import discover_use_cases
from tests.helpers import TASKS_DIR


def test_plain_lm_eval_cli_runs_a_task_folder(tiny_chat_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lm_eval",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={tiny_chat_model},dtype=float32",
            "--include_path",
            str(TASKS_DIR / "ner"),
            "--tasks",
            "ner",
            "--limit",
            "3",
            "--device",
            "cpu",
            "--num_fewshot",
            "2",
            "--output_path",
            str(out),
            "--log_samples",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    ner = results["results"]["ner"]
    assert {"f1,none", "precision,none", "recall,none", "invalid,none"} <= set(ner)
    samples = [json.loads(line) for line in next(out.rglob("samples_ner_*.jsonl")).open()]
    assert len(samples) == 3 and len(samples[0]["f1"]) == 3  # [tp, predicted, gold]
    # lm-eval's numbers are the project's own scorer's (`evals score ner`) on the same items and
    # replies, and each item's gold count is its number of gold entities (7 in the first 3).
    hooks = discover_use_cases()["ner"].module()
    gold = [s["doc"]["tags"] for s in samples]
    parsed = [hooks.parse_output(s["doc"], s["filtered_resps"][0]) for s in samples]
    assert all(p["unaligned"] == [] for p in parsed)  # else ner_result would count them apart
    ours = ner_result(gold, [p["tags"] for p in parsed])
    for metric in ("f1", "precision", "recall"):
        assert ner[f"{metric},none"] == pytest.approx(ours[metric]), metric
    assert [s["f1"][2] for s in samples] == [len(get_entities(tags)) for tags in gold] == [3, 1, 3]
    # The same task as lm-eval loads it, scoring the gold answers: every entity found.
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(TASKS_DIR / "ner"), include_defaults=False)
    task = manager.load_task_or_group(["ner"])["ner"]
    docs = [s["doc"] for s in samples]
    items = [task.process_results(doc, [task.doc_to_target(doc)]) for doc in docs]
    metrics = ("f1", "precision", "recall")
    scores = {m: task.aggregation()[m]([item[m] for item in items]) for m in metrics}
    assert scores == dict.fromkeys(metrics, 100.0)
    assert {m: ner_result(gold, gold)[m] for m in metrics} == scores


@pytest.mark.slow
def test_plain_lm_eval_cli_runs_a_real_benchmark_from_metadata(
    tiny_chat_model: Path, tmp_path: Path
) -> None:
    """A benchmark task finds DATA_DIR in lm-eval's own ``--metadata`` (no env, no wrapper)."""
    from tests.conftest import shared_data

    data_dir = shared_data()
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALS_DATA")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lm_eval",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={tiny_chat_model},dtype=float32",
            "--include_path",
            str(TASKS_DIR),
            "--tasks",
            "sst2,wnut17",
            "--limit",
            "3",
            "--metadata",
            json.dumps({"data_dir": str(data_dir)}),
            "--device",
            "cpu",
            "--num_fewshot",
            "1",
            "--output_path",
            str(out),
            "--log_samples",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    assert {"accuracy,none", "macro_f1,none"} <= set(results["results"]["sst2"])
    assert "f1_creative-work,none" in results["results"]["wnut17"]
    samples = [json.loads(line) for line in next(out.rglob("samples_sst2_*.jsonl")).open()]
    assert samples[0]["doc"]["text"] == "it 's a charming and often affecting journey ."
