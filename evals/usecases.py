"""Use cases are the folders under ``tasks/``: each holds its config, data and metric code.

Two kinds of folder:

- **lm-eval** folders hold lm-eval task YAMLs (runnable by ``lm_eval --include_path``). The
  task named after the folder is the primary one; others (``sentiment_choice``) add metrics.
  Suite settings sit in the YAML's ``metadata`` block, which lm-eval passes through untouched:
  ``primary_metric``, ``fewshot_completion`` (shots in completion mode), ``reducers`` (how a
  non-mean metric is computed from its per-item statistics) and ``invalid_metric``.
- **multiturn** configs (a YAML with ``use_case:`` and no ``task:`` key, so lm-eval skips it)
  are run by :mod:`evals.multiturn`, since lm-eval has no multi-turn evaluation.

A folder yields its **bundled** use case (named after the folder, CC0 data in ``data/``) and
one **benchmark** unit per config whose metadata names a real dataset (``benchmark: sst2``),
named after its task (``sst2``), grouped under the folder's use case, with data from
``DATA_DIR`` or the hub (:mod:`evals.benchmarks.sources`). ``tasks/suites.yaml`` names
selections (``bundled``, ``standard``, ``real``).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from evals.benchmarks.sources import DataSource, provenance, resolve_source
from evals.errors import TaskConfigError
from evals.fingerprint import sha256_file, sha256_json, sha256_text

DEFAULT_TASKS_DIR = Path(__file__).resolve().parent.parent / "tasks"
SUITES_FILE = "suites.yaml"
DEFAULT_SUITE = "bundled"


class _TolerantLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Reads lm-eval YAML without resolving ``!function`` tags (kept as ``"!function x"``);
    libyaml's parser where PyYAML has it (about ten times faster: a run reads ~45 files)."""


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


def resolved_yaml(path: Path, depth: int = 0) -> dict[str, Any]:
    """A task config with its ``include:`` chain merged in (the including file wins)."""
    cfg = read_yaml(path)
    if "include" not in cfg:
        return cfg
    if depth > 8:
        raise TaskConfigError(f"{path}: include chain too deep")
    base = resolved_yaml(path.parent / str(cfg.pop("include")), depth + 1)
    return base | cfg


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
    """Bundled data files scored or used as few-shot examples (hashed into results)."""

    group: str = ""
    """The use case it measures (its folder: ``sentiment``); a benchmark's differs from its name."""

    benchmark: str | None = None
    """The real dataset it runs (:mod:`evals.benchmarks`), or None for the bundled data."""

    data_source: DataSource | None = None
    """Where a benchmark's data comes from in this run (set by :func:`select_use_cases`)."""

    hooks_file: str = "utils.py"
    """The Python file in the folder holding its prompt, parsing and scoring hooks."""

    @cached_property
    def data_provenance(self) -> dict[str, Any]:
        """Dataset name, split and content hashes (or hub revision) of the data scored."""
        if self.benchmark:
            return provenance(self.benchmark, self.data_source or resolve_source())
        return {
            "benchmark": None, "split": "test", "source": "bundled",
            "files": {p.name: sha256_file(p) for p in self.data_files},
        }  # fmt: skip

    @cached_property
    def data_sha256(self) -> str:
        """Content hash of the data scored (files, or hub id and revision)."""
        if self.benchmark:
            return sha256_json([self.data_provenance, [sha256_file(p) for p in self.data_files]])
        return sha256_text("".join(self.data_provenance["files"].values()))

    @cached_property
    def config_sha256(self) -> str:
        """Hash of the config files as parsed (prompt, generation settings, metrics)."""
        if self.kind == "multiturn":
            return sha256_json(self.config)
        return sha256_json([resolved_yaml(t.config_path) for t in self.tasks])

    def task_metadata(self) -> dict[str, str]:
        """What lm-eval passes to the data hooks (data source of a benchmark)."""
        return self.data_source.to_metadata() if self.benchmark and self.data_source else {}

    def hooks(self) -> ModuleType:
        """The folder's hooks module (prompt, parsing and scoring hooks)."""
        path = self.folder / self.hooks_file
        if path.resolve().parent.parent == DEFAULT_TASKS_DIR.resolve():
            # The suite's own tasks import under their package-like name (tasks.qa.utils), so
            # tools that key by module name (coverage, mutmut) see the file they know.
            return load_module(path, f"tasks.{self.folder.name}.{path.stem}")
        key = sha256_text(str(path.resolve()))[:8]
        return load_module(path, f"evals_task_{self.folder.name}_{path.stem}_{key}")


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


def _multiturn(folder: Path, path: Path, cfg: dict[str, Any]) -> UseCase:
    for key in ("version", "primary_metric"):
        if key not in cfg:
            raise TaskConfigError(f"{path}: missing key {key!r}")
    benchmark = cfg.get("benchmark")
    if not benchmark and "data" not in cfg:
        raise TaskConfigError(f"{path}: missing key 'data' (or 'benchmark')")
    data = [] if benchmark else [folder / str(cfg["data"])]
    data += [folder / str(cfg["fewshot"])] if cfg.get("fewshot") else []
    name = str(cfg.get("name") or (folder.name if path.name == "multiturn.yaml" else path.stem))
    return UseCase(
        name=name, folder=folder, kind="multiturn", version=str(cfg["version"]),
        primary_metric=str(cfg["primary_metric"]),
        invalid_metric=str(cfg.get("invalid_metric", "invalid")),
        fewshot_completion=int(cfg.get("fewshot_completion", 0)),
        reducers=dict(cfg.get("reducers") or {}), config=cfg, data_files=tuple(data),
        group=folder.name, benchmark=str(benchmark) if benchmark else None,
        hooks_file=str(cfg.get("hooks", "utils.py")),
    )  # fmt: skip


def _lm_eval(folder: Path, name: str, configs: dict[Path, dict[str, Any]]) -> UseCase:
    specs = [_task_spec(p, c) for p, c in configs.items()]
    specs.sort(key=lambda t: t.name != name)
    if specs[0].name != name:
        raise TaskConfigError(f"{folder}: no task named {name!r} (the primary task)")
    meta = dict(configs[specs[0].config_path].get("metadata") or {})
    primary = str(meta.get("primary_metric", specs[0].metrics[0]))
    if primary not in specs[0].metrics:
        raise TaskConfigError(
            f"{specs[0].config_path}: primary_metric {primary!r} not in metric_list"
        )
    if "version" not in meta:
        raise TaskConfigError(f"{specs[0].config_path}: metadata.version is missing")
    benchmark = meta.get("benchmark")
    data_dir = folder / "data"
    data_files = tuple(sorted(data_dir.glob("*.jsonl"))) if data_dir.is_dir() else ()
    return UseCase(
        name=name, folder=folder, kind="lm-eval", version=str(meta["version"]),
        primary_metric=primary, invalid_metric=str(meta.get("invalid_metric", "invalid")),
        fewshot_completion=int(meta.get("fewshot_completion", 0)),
        reducers=dict(meta.get("reducers") or {}), tasks=tuple(specs),
        data_files=() if benchmark else data_files, group=folder.name,
        benchmark=str(benchmark) if benchmark else None,
    )  # fmt: skip


def load_folder(folder: Path) -> list[UseCase]:
    """Every unit of a use case folder: the bundled use case first, then its benchmarks."""
    configs = {p: read_yaml(p) for p in sorted(folder.glob("*.yaml"))}
    units: list[UseCase] = []
    bundled: dict[Path, dict[str, Any]] = {}
    for path, raw in configs.items():
        if "task" in raw:
            cfg = resolved_yaml(path)
            if (cfg.get("metadata") or {}).get("benchmark"):
                units.append(_lm_eval(folder, str(cfg["task"]), {path: cfg}))
            else:
                bundled[path] = cfg
        elif "use_case" in raw:
            units.append(_multiturn(folder, path, raw))
    if bundled:
        units.insert(0, _lm_eval(folder, folder.name, bundled))
    if not units:
        raise TaskConfigError(f"{folder}: no task config (a YAML with a `task:` key)")
    return units


def load_use_case(folder: Path) -> UseCase:
    """The bundled use case of a folder."""
    units = [u for u in load_folder(folder) if u.benchmark is None]
    if not units:
        raise TaskConfigError(f"{folder}: no bundled use case")
    return units[0]


def discover_use_cases(tasks_dir: Path = DEFAULT_TASKS_DIR) -> dict[str, UseCase]:
    """Every use case and benchmark under ``tasks_dir``, by name."""
    if not tasks_dir.is_dir():
        raise TaskConfigError(f"tasks folder not found: {tasks_dir}")
    folders = [
        p for p in sorted(tasks_dir.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))
    ]
    found: dict[str, UseCase] = {}
    for folder in (f for f in folders if any(f.glob("*.yaml"))):
        for unit in load_folder(folder):
            if unit.name in found:
                raise TaskConfigError(f"{folder}: name {unit.name!r} is used twice")
            found[unit.name] = unit
    return found


def read_suites(tasks_dir: Path = DEFAULT_TASKS_DIR) -> dict[str, list[str]]:
    """Named selections from ``tasks/suites.yaml`` (``bundled`` is every bundled use case)."""
    path = tasks_dir / SUITES_FILE
    suites = read_yaml(path) if path.is_file() else {}
    for name, members in suites.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise TaskConfigError(f"{path}: suite {name!r} must be a list of names")
    return {str(k): list(v) for k, v in suites.items()}


def select_use_cases(
    names: str | None,
    tasks_dir: Path = DEFAULT_TASKS_DIR,
    *,
    suite: str | None = None,
    data_source: DataSource | None = None,
) -> list[UseCase]:
    """The use cases or benchmarks named in ``TASKS=a,b``, else those of ``SUITE=`` (default:
    the bundled use cases), in the order given. Benchmarks get ``data_source`` (default: from
    the environment), and their files are checked here, before any model is loaded."""
    available = discover_use_cases(tasks_dir)
    wanted = [n.strip() for n in (names or "").split(",") if n.strip()]
    if not wanted:
        suites = read_suites(tasks_dir)
        chosen_suite = suite or DEFAULT_SUITE
        if chosen_suite in suites:
            wanted = suites[chosen_suite]
        elif chosen_suite == DEFAULT_SUITE:
            wanted = [n for n, u in available.items() if u.benchmark is None]
        else:
            known = ", ".join(sorted(set(suites) | {DEFAULT_SUITE}))
            raise TaskConfigError(f"unknown suite {chosen_suite!r}; known: {known}")
    source = data_source or resolve_source()
    chosen = []
    for name in wanted:
        if name not in available:
            raise TaskConfigError(f"unknown use case {name!r}; available: {', '.join(available)}")
        unit = available[name]
        if unit.benchmark:
            unit = replace(unit, data_source=source)
            _ = unit.data_provenance  # a missing file or DATA_DIR fails here, with its path
        chosen.append(unit)
    return chosen
