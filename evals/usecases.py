"""Use cases are the folders under ``tasks/``: each holds its config, data and metric code.

Two kinds of folder:

- **lm-eval** folders hold lm-eval task YAMLs (runnable by ``lm_eval --include_path``). The
  task named after the folder is the primary one; others (``sentiment_choice``) add metrics.
  Suite settings sit in the YAML's ``metadata`` block, which lm-eval passes through untouched:
  ``primary_metric``, ``fewshot_completion`` (shots in completion mode), ``reducers`` (how a
  non-mean metric is computed from its per-item statistics) and ``invalid_metric``.
- **multiturn** folders hold a ``multiturn.yaml`` (no ``task:`` key, so lm-eval skips it),
  run by :mod:`evals.multiturn`, since lm-eval has no multi-turn evaluation.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from evals.errors import TaskConfigError
from evals.fingerprint import sha256_files, sha256_json, sha256_text

DEFAULT_TASKS_DIR = Path(__file__).resolve().parent.parent / "tasks"


class _TolerantLoader(yaml.SafeLoader):
    """Reads lm-eval YAML without resolving ``!function`` tags (kept as ``"!function x"``)."""


_TolerantLoader.add_constructor(
    "!function", lambda loader, node: f"!function {loader.construct_scalar(node)}"
)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or a :class:`TaskConfigError` naming the file."""
    try:
        value = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError) as err:
        raise TaskConfigError(f"{path}: cannot read task config ({err})") from None
    if not isinstance(value, dict):
        raise TaskConfigError(f"{path}: a task config must be a mapping")
    return value


@dataclass(frozen=True)
class TaskSpec:
    """One lm-eval task of a use case."""

    name: str
    """lm-eval task name."""

    config_path: Path
    """The YAML file."""

    output_type: str
    """lm-eval output type (``generate_until``, ``multiple_choice``, ...)."""

    metrics: tuple[str, ...]
    """Metric names in its ``metric_list``."""

    generation: dict[str, Any] = field(default_factory=dict)
    """``generation_kwargs`` (empty for loglikelihood tasks)."""

    @property
    def needs_loglikelihood(self) -> bool:
        """Whether it scores continuations (impossible on chat-completions APIs)."""
        return self.output_type != "generate_until"


@dataclass(frozen=True)
class UseCase:
    """A use case folder, read and checked."""

    name: str
    """Folder name: ``summarization``, ``sentiment``, ``ner``, ``qa``, ``chat``."""

    folder: Path
    """Where its config, data and metric code live."""

    kind: str
    """``lm-eval`` or ``multiturn``."""

    version: str
    """Task version (``metadata.version``); part of every result's identity."""

    primary_metric: str
    """The metric the table, matrix and gate rank by."""

    invalid_metric: str
    """Per-item metric that is 1 when the output could not be parsed."""

    fewshot_completion: int
    """Few-shot examples in completion mode (chat mode is zero-shot)."""

    reducers: dict[str, str]
    """Metric-name glob → reducer in :mod:`evals.statistics` (unlisted metrics are means)."""

    tasks: tuple[TaskSpec, ...] = ()
    """lm-eval tasks, primary first (empty for multiturn)."""

    config: dict[str, Any] = field(default_factory=dict)
    """The raw config of a multiturn use case."""

    data_files: tuple[Path, ...] = ()
    """Data files scored or used as few-shot examples (hashed into results)."""

    @cached_property
    def data_sha256(self) -> str:
        """Content hash of the data files."""
        return sha256_files(self.data_files)

    @cached_property
    def config_sha256(self) -> str:
        """Hash of the config files as parsed (prompt, generation settings, metrics)."""
        if self.kind == "multiturn":
            return sha256_json(self.config)
        return sha256_json([read_yaml(t.config_path) for t in self.tasks])

    def hooks(self) -> ModuleType:
        """The folder's ``utils.py`` (prompt, parsing and scoring hooks)."""
        path = self.folder / "utils.py"
        return load_module(path, f"evals_task_{self.name}_{sha256_text(str(path.resolve()))[:8]}")


def load_module(path: Path, name: str) -> ModuleType:
    """Import a task folder's Python file by path (lm-eval does the same for ``!function``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise TaskConfigError(f"{path}: metric code not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _task_spec(path: Path, cfg: dict[str, Any]) -> TaskSpec:
    metrics = tuple(str(m.get("metric")) for m in cfg.get("metric_list", []) if isinstance(m, dict))
    if not metrics:
        raise TaskConfigError(f"{path}: metric_list is empty")
    return TaskSpec(
        name=str(cfg["task"]),
        config_path=path,
        output_type=str(cfg.get("output_type", "generate_until")),
        metrics=metrics,
        generation=dict(cfg.get("generation_kwargs") or {}),
    )


def load_use_case(folder: Path) -> UseCase:
    """Read one use case folder."""
    name = folder.name
    multiturn = folder / "multiturn.yaml"
    if multiturn.is_file():
        cfg = read_yaml(multiturn)
        for key in ("version", "data", "primary_metric"):
            if key not in cfg:
                raise TaskConfigError(f"{multiturn}: missing key {key!r}")
        data = [folder / str(cfg["data"])] + (
            [folder / str(cfg["fewshot"])] if cfg.get("fewshot") else []
        )
        return UseCase(
            name=name, folder=folder, kind="multiturn", version=str(cfg["version"]),
            primary_metric=str(cfg["primary_metric"]),
            invalid_metric=str(cfg.get("invalid_metric", "invalid")),
            fewshot_completion=int(cfg.get("fewshot_completion", 0)),
            reducers=dict(cfg.get("reducers") or {}), config=cfg, data_files=tuple(data),
        )  # fmt: skip

    configs = {p: read_yaml(p) for p in sorted(folder.glob("*.yaml"))}
    task_cfgs = {p: c for p, c in configs.items() if "task" in c}
    if not task_cfgs:
        raise TaskConfigError(f"{folder}: no task config (a YAML with a `task:` key)")
    specs = [_task_spec(p, c) for p, c in task_cfgs.items()]
    specs.sort(key=lambda t: t.name != name)
    if specs[0].name != name:
        raise TaskConfigError(f"{folder}: no task named {name!r} (the primary task)")
    meta = dict(task_cfgs[specs[0].config_path].get("metadata") or {})
    primary = str(meta.get("primary_metric", specs[0].metrics[0]))
    if primary not in specs[0].metrics:
        raise TaskConfigError(
            f"{specs[0].config_path}: primary_metric {primary!r} not in metric_list"
        )
    if "version" not in meta:
        raise TaskConfigError(f"{specs[0].config_path}: metadata.version is missing")
    data_dir = folder / "data"
    return UseCase(
        name=name, folder=folder, kind="lm-eval", version=str(meta["version"]),
        primary_metric=primary, invalid_metric=str(meta.get("invalid_metric", "invalid")),
        fewshot_completion=int(meta.get("fewshot_completion", 0)),
        reducers=dict(meta.get("reducers") or {}), tasks=tuple(specs),
        data_files=tuple(sorted(data_dir.glob("*.jsonl"))) if data_dir.is_dir() else (),
    )  # fmt: skip


def discover_use_cases(tasks_dir: Path = DEFAULT_TASKS_DIR) -> dict[str, UseCase]:
    """Every use case folder under ``tasks_dir``, by name."""
    if not tasks_dir.is_dir():
        raise TaskConfigError(f"tasks folder not found: {tasks_dir}")
    folders = [
        p for p in sorted(tasks_dir.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))
    ]
    return {f.name: load_use_case(f) for f in folders if any(f.glob("*.yaml"))}


def select_use_cases(names: str | None, tasks_dir: Path = DEFAULT_TASKS_DIR) -> list[UseCase]:
    """The use cases named in ``TASKS=a,b`` (all of them when empty), in the order given."""
    available = discover_use_cases(tasks_dir)
    if not names:
        return list(available.values())
    chosen = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in available:
            raise TaskConfigError(f"unknown use case {name!r}; available: {', '.join(available)}")
        chosen.append(available[name])
    return chosen
