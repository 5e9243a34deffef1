"""The run store's read side is typed: what the runner writes reads back as :class:`RunResults`
and :class:`RunSpec` and writes out again byte for byte; anything else is a corrupt run folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evals.cli import main
from evals.runs.folder import RESULTS_FILE
from evals.runs.results import RunResults, UseCaseResult
from evals.runs.spec import RUN_SPEC_FILE, RunSpec
from evals.runs.store import RunFolderError, load_run
from tests.helpers import only_run


@pytest.fixture(scope="module")
def run_folder(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    argv = ["eval", "--model", str(tiny_chat_model), "--tasks", "qa,sentiment", "--limit", "4"]
    assert main([*argv, "--output", str(runs)]) == 0
    return only_run(runs)


def test_what_the_runner_wrote_reads_back_typed_and_writes_out_the_same(run_folder: Path) -> None:
    raw = json.loads((run_folder / RESULTS_FILE).read_text())
    results = RunResults.from_dict(raw)
    assert results.to_dict() == raw
    assert json.loads(json.dumps(results.to_dict())) == raw
    spec_raw = json.loads((run_folder / RUN_SPEC_FILE).read_text())
    assert RunSpec.from_dict(spec_raw).to_dict() == spec_raw
    run = load_run(run_folder)
    assert run.results.to_dict() == raw and list(run.use_cases) == ["qa", "sentiment"]
    qa = run.use_cases["qa"]
    assert (
        isinstance(qa, UseCaseResult)
        and qa.n == 4
        and qa.primary_metric == raw["use_cases"]["qa"]["primary_metric"]
    )
    assert run.results.model.name == raw["model"]["name"]
    assert run.results.model_fingerprint == raw["model"]["fingerprint"] == run.run_spec.fingerprint
    assert set(run.run_spec.tasks) == {"qa", "sentiment"}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("use_cases", "qa", "n"), "four"),
        (("use_cases", "qa", "metrics"), []),
        (("use_cases", "qa"), 3),
        (("model", "objective"), "wizard"),
        (("model",), "m"),
        (("use_cases",), ["qa"]),
        (("model", "name"), ["a"]),
        (("model", "spec"), None),
        (("limit",), "abc"),
        (("prompt_mode",), 3),
    ],
)
def test_a_results_file_of_another_shape_is_a_corrupt_run(
    run_folder: Path, tmp_path: Path, path: tuple[str, ...], value: object
) -> None:
    raw = json.loads((run_folder / RESULTS_FILE).read_text())
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / RESULTS_FILE).write_text(json.dumps(raw))
    with pytest.raises(RunFolderError, match="is corrupt"):
        load_run(folder)


def test_an_undefined_score_reads_back_as_nan_and_writes_out_as_null(run_folder: Path) -> None:
    raw = json.loads((run_folder / RESULTS_FILE).read_text())
    entry = raw["use_cases"]["qa"]
    metric = entry["primary_metric"]
    for part in (entry["primary"], entry["metrics"][metric]):
        part.update(value=None, ci_low=None, ci_high=None)
    results = RunResults.from_dict(raw)
    assert math.isnan(results.use_cases["qa"].primary.value)
    assert results.to_dict()["use_cases"]["qa"]["primary"]["value"] is None
