"""A matrix as cells on executors: the plan, the process pool, failures, resuming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.cli import main
from evals.matrix.cells import plan_cells
from evals.matrix.family import FamilyError, load_family
from tests.helpers import REPO


def tiny_family(folder: Path, chat: Path, base: Path, name: str = "tiny", extra: str = "") -> Path:
    """Two tiny variants (three cells: chat model in chat mode, base model in completion)."""
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ntitle: Tiny family\ntasks: sentiment,qa\nlimit: 8\nvariants:\n"
        f"  - model: {chat}\n"
        f"  - model: {base}\n    prompt_modes: [completion]\n    resources: {{num_cpus: 1}}\n"
        + extra
    )
    return path


def comparable(matrix: dict[str, Any]) -> dict[str, Any]:
    """matrix.json without what differs between two builds of the same runs (where and when)."""
    matrix = json.loads(json.dumps(matrix))
    matrix.pop("created_utc")
    for column in matrix["columns"]:
        column.pop("run_folder")
        column.pop("created_utc")
    return matrix


def matrix_args(family: Path, root: Path, *more: str) -> list[str]:
    return [
        "matrix",
        "--family",
        str(family),
        "--output",
        str(root / "runs"),
        "--reports",
        str(root / "reports"),
        *more,
    ]


@pytest.fixture(scope="module")
def local_build(
    tiny_chat_model: Path, tiny_base_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The family's matrix from today's executor (`local`, the default)."""
    root = tmp_path_factory.mktemp("local")
    family = tiny_family(root, tiny_chat_model, tiny_base_model)
    assert main(matrix_args(family, root)) == 0
    matrix = json.loads((root / "reports" / "matrix.json").read_text())
    return {"root": root, "family": family, "matrix": matrix}


def test_plan_marks_the_cells_a_run_store_completes(
    local_build: dict[str, Any], tiny_chat_model: Path, tiny_base_model: Path, tmp_path: Path
) -> None:
    family = load_family(local_build["family"])
    tasks_dir = REPO / "tasks"
    empty = plan_cells(family, tmp_path / "none", tasks_dir)
    assert [c.key for c in empty] == ["tiny-gpt2-instruct|chat", "tiny-gpt2|completion"]
    assert not any(c.complete for c in empty) and all(c.pinned for c in empty)
    assert all(c.tasks == ("sentiment", "qa") and c.limit == 8 for c in empty)
    stored = plan_cells(family, local_build["root"] / "runs", tasks_dir)
    assert all(c.complete for c in stored)
    assert [c.spec_id for c in stored] == [c.spec_id for c in empty]  # identity = run spec
    # a new prompt mode of a variant is a new cell, and the only one to run
    extra = f"  - model: {tiny_chat_model}\n    prompt_modes: [completion]\n"
    more = tiny_family(tmp_path, tiny_chat_model, tiny_base_model, name="more", extra=extra)
    cells = plan_cells(load_family(more), local_build["root"] / "runs", tasks_dir)
    assert [c.key for c in cells if not c.complete] == ["tiny-gpt2-instruct|completion"]


def test_dry_run_prints_the_plan_and_runs_nothing(
    local_build: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = local_build["root"]
    before = sorted(p.name for p in (root / "runs").glob("*/*"))
    assert main(matrix_args(local_build["family"], root, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "2 cells, 2 reused, 0 to run" in out
    assert out.count("reuse ") == 2 and "cpus=1 gpus=0" in out
    assert sorted(p.name for p in (root / "runs").glob("*/*")) == before
    assert main(matrix_args(local_build["family"], tmp_path, "--dry-run")) == 0
    assert "2 cells, 0 reused, 2 to run" in capsys.readouterr().out
    assert not (tmp_path / "runs").exists() and not (tmp_path / "reports").exists()


@pytest.mark.slow
def test_process_pool_matrix_equals_local_and_a_failing_cell_is_reported(
    local_build: dict[str, Any],
    tiny_chat_model: Path,
    tiny_base_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = (
        f"  - model: {tiny_base_model}\n    name: broken\n"
        "    model_args: {dtype: not-a-dtype}\n    prompt_modes: [completion]\n"
    )
    family = tiny_family(tmp_path, tiny_chat_model, tiny_base_model, extra=broken)
    args = matrix_args(family, tmp_path, "--jobs", "2", "--retries", "1")
    assert main(args) == 1  # incomplete: the broken cell failed, twice
    captured = capsys.readouterr()
    assert "cell broken|completion failed after 2 attempt(s)" in captured.err
    assert "not-a-dtype" in captured.err and "is incomplete" in captured.err
    assert "evaluated: 2, reused: 0" in captured.out
    assert "not evaluated (no stored run): broken|completion" in captured.out
    matrix = json.loads((tmp_path / "reports" / "matrix.json").read_text())
    assert matrix["missing_columns"] == ["broken|completion"]
    local = local_build["matrix"]
    assert comparable(matrix)["columns"] == comparable(local)["columns"]
    assert comparable(matrix)["rows"] == comparable(local)["rows"]
    # the good family alone, from the same run store: the local executor's matrix, item by item
    good = tiny_family(tmp_path, tiny_chat_model, tiny_base_model, name="tiny")
    assert main(matrix_args(good, tmp_path, "--executor", "processes")) == 0
    assert "evaluated: 0, reused: 2" in capsys.readouterr().out
    again = json.loads((tmp_path / "reports" / "matrix.json").read_text())
    assert comparable(again) == comparable(local)


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ("{num_gpu: 1}", "unknown resource 'num_gpu'"),
        ("{num_gpus: -1}", "num_gpus must be a number ≥ 0"),
        ("{num_gpus: yes}", "num_gpus must be a number ≥ 0"),
        ("4", "resources must be a mapping"),
        ("{num_cpus: 0}", "at least one CPU or GPU"),
    ],
)
def test_bad_resources_are_one_clear_error(tmp_path: Path, resources: str, message: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(f"variants:\n  - model: x\n    resources: {resources}\n")
    with pytest.raises(FamilyError, match=message):
        load_family(path)


def test_gpu_backend_arguments_pass_through_to_the_run_spec(tmp_path: Path) -> None:
    path = tmp_path / "gpu.yaml"
    path.write_text(
        "variants:\n  - model: vllm:pretrained=org/model,revision=abc123\n"
        "    model_args: {tensor_parallel_size: 2, data_parallel_size: 2,"
        " gpu_memory_utilization: 0.9}\n    resources: {num_gpus: 4, num_cpus: 8}\n"
        "  - model: hf:pretrained=org/model,revision=abc123\n    name: hf-sharded\n"
        "    model_args: parallelize=True\n    resources: {num_gpus: 2}\n"
    )
    family = load_family(path)
    vllm, hf = family.variants
    assert vllm.model_args == (
        "tensor_parallel_size=2,data_parallel_size=2,gpu_memory_utilization=0.9"
    )
    assert (vllm.resources.num_gpus, vllm.resources.num_cpus) == (4.0, 8.0)
    from evals.models.loading import predicted_spec_part
    from evals.models.spec import parse_model_spec

    part = predicted_spec_part(parse_model_spec(vllm.model, vllm.model_args))
    assert part["pinned"] and part["model_args"]["tensor_parallel_size"] in (2, "2")
    assert part["model_args"]["gpu_memory_utilization"] in (0.9, "0.9")
    assert part["model_args"]["data_parallel_size"] in (2, "2")
    hf_part = predicted_spec_part(parse_model_spec(hf.model, hf.model_args))
    assert hf_part["model_args"]["parallelize"] in (True, "True")
    cells = plan_cells(family, tmp_path / "runs", REPO / "tasks")
    assert [c.resources.num_gpus for c in cells] == [4.0, 2.0]


@pytest.mark.parametrize(
    ("family", "cells", "gpu_cells"),
    [("smollm2", 7, 2), ("qwen2.5-0.5b", 4, 0), ("llama-2-7b", 3, 3)],
)
def test_real_families_plan_without_a_hub(
    family: str, cells: int, gpu_cells: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = REPO / "families" / f"{family}.yaml"
    args = [
        "matrix",
        "--family",
        str(path),
        "--output",
        str(tmp_path / "runs"),
        "--reports",
        str(tmp_path / "reports"),
        "--dry-run",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"{cells} cells, 0 reused, {cells} to run" in out
    assert "unpinned" not in out  # every variant names its hub commit
    plan = plan_cells(load_family(path), tmp_path / "runs", REPO / "tasks")
    assert sum(c.resources.num_gpus > 0 for c in plan) == gpu_cells
    assert all("@" in c.variant.model or "revision=" in c.variant.model for c in plan)


@pytest.mark.slow
def test_a_driver_killed_mid_matrix_resumes_with_only_the_missing_cells(
    tiny_chat_model: Path,
    tiny_base_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    extra = (
        f"  - model: {tiny_chat_model}\n    prompt_modes: [completion]\n"
        f"  - model: {tiny_base_model}\n    name: tiny-gpt2-chat-mode\n"
        "    objective: instruct\n    prompt_modes: [completion]\n"
        "    model_args: {max_length: 512}\n"
    )
    family = tiny_family(tmp_path, tiny_chat_model, tiny_base_model, extra=extra)
    args = matrix_args(family, tmp_path, "--executor", "processes", "--retries", "0")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    driver = subprocess.Popen(
        [sys.executable, "-m", "evals", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    runs = tmp_path / "runs"
    deadline = time.monotonic() + 600  # only so a broken build cannot hang the suite
    while not list(runs.glob("*/*/results.json")) and driver.poll() is None:
        assert time.monotonic() < deadline, "no cell finished"
        time.sleep(0.05)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its workers, mid-matrix
    driver.wait()
    stored = len(list(runs.glob("*/*/results.json")))
    assert 1 <= stored < 4, "the kill came after the whole matrix: nothing left to resume"
    assert not (tmp_path / "reports" / "matrix.json").exists()
    capsys.readouterr()
    assert main(args) == 0
    assert f"evaluated: {4 - stored}, reused: {stored}" in capsys.readouterr().out
    assert len(list(runs.glob("*/*/results.json"))) == 4


def test_an_unpinned_cell_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the hub cannot be asked for the revision
    family = tmp_path / "hub.yaml"
    family.write_text("variants:\n  - model: HuggingFaceTB/SmolLM2-135M\n")
    args = matrix_args(family, tmp_path, "--jobs", "2")
    assert main([*args, "--dry-run"]) == 0
    assert "[unpinned: never reused; pin a revision]" in capsys.readouterr().out
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cell SmolLM2-135M|completion has no pinned model identity")
    assert not (tmp_path / "runs").exists()


def test_a_hub_revision_resolved_by_the_plan_is_the_one_workers_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    import evals.models.loading

    def hub_serves(spec):  # what the hub would answer: the commit it serves now
        if spec.source != "hub" or spec.model_args.get("revision"):
            return spec
        return replace(spec, model_args={**spec.model_args, "revision": "c0ffee"})

    monkeypatch.setattr(evals.models.loading, "pin_hub_revision", hub_serves)
    family = tmp_path / "hub.yaml"
    family.write_text(
        "variants:\n  - model: HuggingFaceTB/SmolLM2-135M\n    model_args: {dtype: bfloat16}\n"
    )
    (cell,) = plan_cells(load_family(family), tmp_path / "runs", REPO / "tasks")
    assert cell.pinned and cell.variant.model_args == "dtype=bfloat16,revision=c0ffee"
    assert cell.variant.model == "HuggingFaceTB/SmolLM2-135M" and cell.name == "SmolLM2-135M"
