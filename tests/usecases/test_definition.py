"""A use case is its ``usecase.py``; its lm-eval YAML is generated from it and cannot drift."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

import pytest

from evals.errors import TaskConfigError
from evals.usecases import (
    Generation,
    Metric,
    Task,
    UseCaseDefinition,
    discover_use_cases,
    load_definition,
    load_use_case,
    use_case_folders,
)
from evals.usecases.__main__ import main as write_all
from evals.usecases.lm_eval_yaml import expected_files, write_folder
from evals.usecases.unit import module_name
from tests.helpers import REPO

TASKS = REPO / "tasks"


def _copy(tmp_path: Path, name: str = "sentiment") -> Path:
    folder = tmp_path / "tasks" / name
    shutil.copytree(TASKS / name, folder)
    return folder


def test_every_committed_yaml_is_what_its_definition_generates() -> None:
    for folder in use_case_folders(TASKS):
        definition, module = load_definition(folder)
        for path, (_, text) in expected_files(definition, module, folder).items():
            assert path.read_text(encoding="utf-8") == text, f"{path}: run `make tasks`"
        assert set(folder.glob("*.yaml")) == set(expected_files(definition, module, folder))


def test_the_folklore_each_use_case_claims() -> None:
    objectives = {
        u.name: u.definition.objectives
        for u in discover_use_cases(TASKS).values()
        if u.benchmark is None and u.name == u.group
    }
    assert objectives == {
        "chat": ("chat",),
        "code": ("code",),
        "ner": ("instruct",),
        "qa": ("base",),
        "sentiment": ("instruct",),
        "summarization": ("base", "instruct"),
    }


def test_a_hand_edited_yaml_is_refused_with_the_fix(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "sst2.yaml"
    path.write_text(path.read_text().replace("max_gen_toks: 8", "max_gen_toks: 9"))
    with pytest.raises(
        TaskConfigError,
        match=r"sst2\.yaml: differs from what usecase\.py "
        r"defines; run `make tasks`",
    ):
        load_use_case(folder)
    assert write_folder(*load_definition(folder), folder) == [path]
    assert load_use_case(folder).name == "sentiment"


def test_a_missing_or_stale_yaml_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "tweet_eval.yaml").unlink()
    with pytest.raises(TaskConfigError, match=r"tweet_eval\.yaml: missing; run `make tasks`"):
        load_use_case(folder)
    assert write_all([str(folder.parent)]) == 0
    (folder / "old.yaml").write_text("task: old\n")
    with pytest.raises(TaskConfigError, match=r"old\.yaml: not generated from usecase\.py"):
        load_use_case(folder)


def test_a_broken_definition_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    definition = folder / "usecase.py"
    text = definition.read_text()
    definition.write_text(text + "\n(\n")
    with pytest.raises(TaskConfigError, match=r"usecase\.py: cannot load \(SyntaxError"):
        load_use_case(folder)
    definition.write_text(text.replace("USE_CASE = ", "DEFINITION = "))
    with pytest.raises(TaskConfigError, match="USE_CASE must be a UseCaseDefinition"):
        load_use_case(tmp_path / "tasks" / "sentiment")


def test_a_definition_checks_itself() -> None:
    def hook(*_: object) -> None:
        return None

    task = Task("toy", hook, "{{text}}", "{{label}}", hook, (Metric("accuracy"),))
    with pytest.raises(ValueError, match="its first task must be named after it"):
        UseCaseDefinition(
            "other",
            ("sentiment",),
            "",
            "1",
            "accuracy",
            tasks=(task,),
            generation=Generation(("\n",), 8),
        )
    with pytest.raises(ValueError, match="primary metric 'f1' not measured"):
        UseCaseDefinition(
            "toy", ("sentiment",), "", "1", "f1", tasks=(task,), generation=Generation(("\n",), 8)
        )
    with pytest.raises(ValueError, match="claims must be folklore words"):
        UseCaseDefinition(
            "toy",
            ("poetry",),
            "",
            "1",
            "accuracy",
            tasks=(task,),
            generation=Generation(("\n",), 8),
        )
    with pytest.raises(ValueError, match="unknown reducer 'median'"):
        Metric("accuracy", "median")


def test_a_hook_lm_eval_cannot_name_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    definition = folder / "usecase.py"
    text = definition.read_text()
    assert text.count("            sst2_process_results,\n") == 1
    definition.write_text(
        text.replace("            sst2_process_results,\n", "            lambda doc, out: {},\n")
    )
    with pytest.raises(TaskConfigError, match="is not a module-level name"):
        load_use_case(folder)


def test_a_metric_without_its_aggregation_hook_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    definition = folder / "usecase.py"
    definition.write_text(
        definition.read_text().replace(
            "from evals.usecases.aggregations import aggregate_macro_f1 as aggregate_macro_f1\n", ""
        )
    )
    with pytest.raises(
        TaskConfigError,
        match=r"needs `from evals\.usecases\.aggregations import "
        "aggregate_macro_f1`",
    ):
        load_use_case(folder)


def _plain(value: object) -> object:
    """A definition as plain data: functions by name (a fresh load has functions of its own)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    return value


def test_each_use_case_loaded_anew_under_its_name_is_the_same_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The definitions are built when their module loads: loaded again under the same name (a
    module of its own, executed anew), each must be the same definition and give the same
    files."""
    for folder in use_case_folders(TASKS):
        imported, already = load_definition(folder)
        name = module_name(folder / "usecase.py")
        with monkeypatch.context() as patch:
            patch.delitem(sys.modules, name)
            definition, module = load_definition(folder)
        assert module is not already and sys.modules[name] is already
        assert _plain(definition) == _plain(imported), folder.name
        for path, (_, text) in expected_files(definition, module, folder).items():
            assert path.read_text(encoding="utf-8") == text, path
