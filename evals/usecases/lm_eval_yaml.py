"""The lm-eval YAML of a use case, generated from its definition.

``tasks/<use case>/<task>.yaml`` exists so that plain ``lm_eval --include_path tasks/<use case>``
runs the same tasks; the definition is the source. :func:`task_config` derives one task's
config; ``make tasks`` (:func:`write_folder`) writes the files; every load checks them
(:func:`check_folder`), so an edit to one side only is one clear error, never a silent drift.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from evals.errors import TaskConfigError
from evals.usecases.definition import Hook, Task, UseCaseDefinition

DEFINITION_FILE = "usecase.py"
MODULE = Path(DEFINITION_FILE).stem
HEADER = (
    "# Generated from usecase.py by `make tasks`: edit the definition there, not this file.\n"
    "# Runnable as is: lm_eval --include_path tasks/{folder} --tasks {task}\n"
)


class FunctionRef(str):
    """A ``!function usecase.<name>`` reference (a plain string when read back tolerantly)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    FunctionRef,
    lambda dumper, ref: dumper.represent_scalar("!function", str(ref).removeprefix("!function ")),
)
_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style='"' if "\n" in text else None
    ),
)
_QUOTED_REF = re.compile(r"!function '([\w.]+)'")
"""PyYAML quotes every explicitly tagged scalar; lm-eval's own configs write them plain."""


def hook_name(module: ModuleType, hook: Hook) -> str:
    """The module-level name lm-eval reaches ``hook`` by (a bound method has none of its own)."""
    for name, value in vars(module).items():
        if not name.startswith("__") and (value is hook or (callable(value) and value == hook)):
            return name
    described = getattr(hook, "__qualname__", repr(hook))
    raise TaskConfigError(
        f"{module.__file__}: hook {described} is not a module-level name; assign it to one "
        "(lm-eval reaches hooks as `!function usecase.<name>`)"
    )


def _ref(module: ModuleType, hook: Hook) -> FunctionRef:
    return FunctionRef(f"!function {MODULE}.{hook_name(module, hook)}")


def _text_or_hook(module: ModuleType, value: Hook | str) -> str:
    return value if isinstance(value, str) else _ref(module, value)


def _metric_list(module: ModuleType, task: Task) -> list[dict[str, Any]]:
    from evals.usecases import aggregations

    out = []
    for metric in task.metrics:
        name = metric.aggregation_hook
        if name is not None and getattr(module, name, None) is not getattr(aggregations, name):
            raise TaskConfigError(
                f"{module.__file__}: metric {metric.name!r} needs `from "
                f"evals.usecases.aggregations import {name}` (lm-eval's aggregation hook)"
            )
        aggregation: str = FunctionRef(f"!function {MODULE}.{name}") if name else "mean"
        out.append(
            {
                "metric": metric.name,
                "aggregation": aggregation,
                "higher_is_better": metric.higher_is_better,
            }
        )
    return out


def _as_number(version: str) -> float | str:
    """A version as lm-eval's own configs write it (``1.0``, a number) when it is one."""
    try:
        return float(version)
    except ValueError:
        return version


def task_config(definition: UseCaseDefinition, task: Task, module: ModuleType) -> dict[str, Any]:
    """One task's lm-eval config, as lm-eval reads it."""
    shots = definition.fewshot_for(task)
    cfg: dict[str, Any] = {
        "task": task.name,
        "custom_dataset": _ref(module, task.loader),
        "test_split": "test",
    }
    if shots:
        cfg["fewshot_split"] = "fewshot"
    cfg["output_type"] = task.output_type
    cfg["doc_to_text"] = _text_or_hook(module, task.prompt)
    if task.choices:
        cfg["doc_to_choice"] = list(task.choices)
    cfg["doc_to_target"] = _text_or_hook(module, task.target)
    cfg["target_delimiter"] = definition.target_delimiter
    if shots:
        cfg["fewshot_delimiter"] = definition.fewshot_delimiter
    if task.output_type == "generate_until":
        assert definition.generation is not None
        cfg["generation_kwargs"] = definition.generation.to_dict()
    cfg["process_results"] = _ref(module, task.score)
    cfg["metric_list"] = _metric_list(module, task)
    metadata: dict[str, Any] = {"version": _as_number(definition.version)}
    if task.benchmark:
        metadata["benchmark"] = task.benchmark
    cfg["metadata"] = metadata
    return cfg


def render(folder: str, cfg: dict[str, Any], about: str) -> str:
    """A config as YAML text, with the generated-file header."""
    header = HEADER.format(folder=folder, task=cfg["task"])
    if about:
        header += f"# {about}\n"
    body = yaml.dump(cfg, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**6)
    body = _QUOTED_REF.sub(r"!function \1", body)
    return header + body


def expected_files(
    definition: UseCaseDefinition, module: ModuleType, folder: Path
) -> dict[Path, tuple[dict[str, Any], str]]:
    """Every YAML the definition implies: path → (config, text)."""
    out = {}
    for task in (*definition.tasks, *definition.benchmarks):
        cfg = task_config(definition, task, module)
        out[folder / f"{task.name}.yaml"] = (cfg, render(folder.name, cfg, task.about))
    return out


def _as_read(value: Any) -> Any:
    """A generated config as the tolerant reader returns it (references as plain strings)."""
    if isinstance(value, dict):
        return {k: _as_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_read(v) for v in value]
    return str(value) if isinstance(value, FunctionRef) else value


def check_folder(
    definition: UseCaseDefinition,
    module: ModuleType,
    folder: Path,
    read: dict[Path, dict[str, Any]],
) -> None:
    """Fail when the folder's YAML files are not what the definition generates."""
    expected = expected_files(definition, module, folder)
    for path in sorted(set(read) - set(expected)):
        raise TaskConfigError(
            f"{path}: not generated from {DEFINITION_FILE} (a task it does not define); "
            "delete it or define the task"
        )
    for path, (cfg, _) in expected.items():
        if path not in read:
            raise TaskConfigError(f"{path}: missing; run `make tasks` to generate it")
        if read[path] != _as_read(cfg):
            raise TaskConfigError(
                f"{path}: differs from what {DEFINITION_FILE} defines; run `make tasks` "
                "(edit the definition, not the YAML)"
            )


def write_folder(definition: UseCaseDefinition, module: ModuleType, folder: Path) -> list[Path]:
    """Write the folder's YAML files from the definition; remove stale ones it does not define."""
    expected = expected_files(definition, module, folder)
    written = []
    for path, (_, text) in expected.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for stale in sorted(set(folder.glob("*.yaml")) - set(expected)):
        stale.unlink()
        written.append(stale)
    return written
