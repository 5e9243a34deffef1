"""The gate's two arguments: which is a stored run folder and which a model spec to evaluate,
and a candidate spec evaluated like the baseline run (no model: the evaluation is faked)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import evals.engine.runner
import evals.models.loading
import evals.models.spec
import evals.usecases
from evals.benchmarks.sources import DataSource
from evals.cli import main
from evals.gate.inputs import SpecSettings, gate_runs, names_run_folder, run_or_evaluate
from evals.runs.folder import RESULTS_FILE
from evals.runs.store import RunFolderError
from tests.helpers import memory_run, stored_use_case


def _finished_run(
    folder: Path, *, use_cases: tuple[str, ...], limit: int | None, mode: str
) -> Path:
    """A finished run folder's results, as :func:`evals.runs.store.load_run` reads them."""
    folder.mkdir(parents=True)
    entries = {name: stored_use_case(name, [1.0], prompt_mode=mode) for name in use_cases}
    run = memory_run(folder, entries, {}, name=folder.parent.name, prompt_mode=mode)
    results = replace(run.results, limit=limit)
    (folder / RESULTS_FILE).write_text(json.dumps(results.to_dict()))
    return folder


@pytest.mark.parametrize(
    "arg",
    [
        "runs/m/20260101T000000Z",  # a finished run's name, before the random suffix existed
        "runs/m/20260101T000000Z-042137",
        "runs/m/20260101T000000Z-042137.partial",
        "runs/m/20260101T000000Z-042137/",
    ],
)
def test_a_run_folder_name_is_a_stored_run_even_when_missing(arg: str) -> None:
    assert names_run_folder(arg)


@pytest.mark.parametrize(
    "arg",
    [
        "default",
        "hf:gpt2",
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "models/x.gguf",
        "runs/m/20260101T0000Z",
        "runs/m/20260101T000000Z-042137.tmp",
    ],
)
def test_anything_else_that_is_not_a_folder_is_a_model_spec(arg: str) -> None:
    assert not names_run_folder(arg)


def test_an_existing_folder_is_a_run_unless_it_holds_a_model(tmp_path: Path) -> None:
    run = tmp_path / "renamed-run"
    run.mkdir()
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    assert names_run_folder(str(run))
    assert not names_run_folder(str(model))


@dataclass
class _Outcome:
    folder: Path


class _FakeEvaluation:
    """Stands in for model loading and evaluation; records what each evaluation was asked."""

    def __init__(self, runs_root: Path) -> None:
        self.runs_root = runs_root
        self.calls: list[dict[str, Any]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(evals.models.spec, "parse_model_spec", self.parse)
        monkeypatch.setattr(evals.models.loading, "load_model", self.load)
        monkeypatch.setattr(evals.usecases, "select_use_cases", self.select)
        monkeypatch.setattr(evals.engine.runner, "run_evaluation", self.run)

    def parse(self, spec: str, model_args: str) -> Any:
        self.calls.append({"spec": spec, "model_args": model_args})
        return type("Spec", (), {"raw": spec})()

    def load(self, spec: Any, *, batch_size: int | str, reuse_unpinned: bool) -> str:
        self.calls[-1].update(batch_size=batch_size, reuse_unpinned=reuse_unpinned)
        return spec.raw

    def select(
        self, tasks: str, tasks_dir: Path, *, suite: str | None, data_source: DataSource | None
    ) -> list[str]:
        self.calls[-1].update(
            tasks=tasks, tasks_dir=tasks_dir, suite=suite, data_source=data_source
        )
        return tasks.split(",") if tasks else ["sentiment", "qa"]

    def run(self, model: str, use_cases: list[str], settings: Any) -> _Outcome:
        self.calls[-1].update(
            limit=settings.limit, prompt_mode=settings.prompt_mode, runs_root=settings.runs_root
        )
        folder = settings.runs_root / model / f"20260101T00000{len(self.calls)}Z-000000"
        mode = settings.prompt_mode or "chat"
        return _Outcome(
            _finished_run(folder, use_cases=tuple(use_cases), limit=settings.limit, mode=mode)
        )


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _FakeEvaluation:
    faked = _FakeEvaluation(tmp_path / "runs")
    faked.install(monkeypatch)
    return faked


def _settings(fake: _FakeEvaluation, **changes: Any) -> SpecSettings:
    values: dict[str, Any] = {
        "tasks_dir": Path("tasks-here"),
        "runs_root": fake.runs_root,
        "model_args": "dtype=float32",
        "batch_size": 4,
    }
    return SpecSettings(**(values | changes))


def test_a_stored_run_is_read_not_evaluated(fake: _FakeEvaluation, tmp_path: Path) -> None:
    folder = _finished_run(
        tmp_path / "m" / "20260101T000000Z-000001", use_cases=("qa",), limit=10, mode="completion"
    )
    run = run_or_evaluate(str(folder), _settings(fake))
    assert run.folder == folder and list(run.use_cases) == ["qa"]
    assert fake.calls == []


def test_a_missing_run_folder_is_one_error_and_loads_no_model(
    fake: _FakeEvaluation, tmp_path: Path
) -> None:
    missing = tmp_path / "m" / "20260101T000000Z-000001"
    with pytest.raises(RunFolderError) as raised:
        run_or_evaluate(str(missing), _settings(fake))
    assert str(raised.value) == f"run folder not found: {missing}"
    assert fake.calls == []


def test_a_baseline_spec_uses_the_settings(fake: _FakeEvaluation) -> None:
    source = DataSource("local", Path("data-here"), None)
    settings = _settings(
        fake, tasks="qa,ner", suite="standard", limit=25, data_source=source, reuse_unpinned=True
    )
    run = run_or_evaluate("org/base", settings)
    (call,) = fake.calls
    assert call == {
        "spec": "org/base",
        "model_args": "dtype=float32",
        "batch_size": 4,
        "reuse_unpinned": True,
        "tasks": "qa,ner",
        "tasks_dir": Path("tasks-here"),
        "suite": "standard",
        "data_source": source,
        "limit": 25,
        "prompt_mode": None,
        "runs_root": fake.runs_root,
    }
    assert list(run.use_cases) == ["qa", "ner"]


def test_a_candidate_spec_is_evaluated_like_the_stored_baseline(
    fake: _FakeEvaluation, tmp_path: Path
) -> None:
    """The baseline's use cases, limit and prompt mode win over --tasks, --suite and --limit,
    so the two runs are comparable by construction."""
    folder = tmp_path / "b" / "20260101T000000Z-000001"
    baseline = _finished_run(folder, use_cases=("sentiment", "qa"), limit=40, mode="completion")
    settings = _settings(fake, tasks="ner", suite="standard", limit=7)
    base, cand = gate_runs(str(baseline), "org/candidate", settings)
    assert base.folder == baseline
    (call,) = fake.calls
    assert (call["spec"], call["tasks"], call["suite"]) == ("org/candidate", "sentiment,qa", None)
    assert (call["limit"], call["prompt_mode"]) == (40, "completion")
    assert list(cand.use_cases) == ["sentiment", "qa"]


def test_two_specs_evaluate_the_baseline_first(fake: _FakeEvaluation) -> None:
    base, cand = gate_runs("org/base", "org/candidate", _settings(fake, tasks="qa", limit=5))
    assert [c["spec"] for c in fake.calls] == ["org/base", "org/candidate"]
    assert fake.calls[1]["tasks"] == "qa" and fake.calls[1]["limit"] == 5
    assert fake.calls[1]["prompt_mode"] == base.results.prompt_mode == "chat"
    assert base.folder != cand.folder


def test_the_cli_reports_a_missing_run_folder_in_one_line(
    fake: _FakeEvaluation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    present = _finished_run(
        tmp_path / "b" / "20260101T000000Z-000001", use_cases=("qa",), limit=None, mode="chat"
    )
    missing = tmp_path / "c" / "20260101T000000Z-000002"
    code = main(["gate", "--candidate", str(missing), "--baseline", str(present)])
    assert code == 2
    assert capsys.readouterr().err == f"error: run folder not found: {missing}\n"
    assert fake.calls == []
