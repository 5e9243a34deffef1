"""What a run runs: a **unit** of a use case, its bundled data or one benchmark.

A :class:`UseCase` is built from a folder's typed definition (:mod:`evals.usecases.definition`)
by :mod:`evals.usecases.discovery`. It carries what identity needs (version, config and data
hashes) and the hooks a run calls, typed, so nothing downstream looks a hook up by name.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from evals.benchmarks.sources import DataSource, benchmark_records, provenance, resolve_source
from evals.data import read_jsonl
from evals.errors import DataError, TaskConfigError
from evals.fingerprint import sha256_file, sha256_json, sha256_text
from evals.usecases.definition import Cluster, Dialogues, Sampling, Task, UseCaseDefinition

DEFAULT_TASKS_DIR = Path(__file__).resolve().parent.parent.parent / "tasks"


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


def load_module(path: Path, name: str) -> ModuleType:
    """Import a task folder's Python file by path (lm-eval does the same for ``!function``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise TaskConfigError(f"{path}: not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def module_name(path: Path) -> str:
    """The name a task folder's file imports under: ``tasks.qa.usecase`` for the suite's own
    tasks (so coverage and mutmut see the file they know), a path-keyed name elsewhere."""
    if path.resolve().parent.parent == DEFAULT_TASKS_DIR.resolve():
        return f"tasks.{path.parent.name}.{path.stem}"
    return f"evals_task_{path.parent.name}_{path.stem}_{sha256_text(str(path.resolve()))[:8]}"


def sibling(file: str, stem: str) -> ModuleType:
    """Another Python file of the same task folder (``usecase.py`` importing ``mt_bench.py``)."""
    path = Path(file).resolve().parent / f"{stem}.py"
    return load_module(path, module_name(path))


@dataclass(frozen=True)
class TaskSpec:
    """One lm-eval task of a unit, with its generated YAML."""

    name: str
    """lm-eval task name."""

    config_path: Path
    """The YAML file (generated from the definition)."""

    output_type: str
    """lm-eval output type (``generate_until``, ``multiple_choice``, ...)."""

    metrics: tuple[str, ...]
    """Metric names, as in its ``metric_list``."""

    definition: Task
    """The task as the use case defines it (loader, prompt, parser, scorer, baselines)."""

    generation: dict[str, Any] = field(default_factory=dict)
    """``generation_kwargs`` (empty for loglikelihood tasks)."""

    @property
    def needs_loglikelihood(self) -> bool:
        """Whether it scores continuations (impossible on chat-completions APIs)."""
        return self.output_type != "generate_until"

    def parse(self, doc: dict[str, Any], output: str) -> Any:
        """The parsed output the sample browser shows (the raw text when there is no parser)."""
        parser = self.definition.parse
        return parser(doc, output) if parser is not None else output


@dataclass(frozen=True)
class UseCase:
    """A unit of a use case, read from its definition and checked."""

    name: str
    """The use case's name for its bundled data; the benchmark's task name otherwise."""

    folder: Path
    """Where its definition, data and generated YAML live."""

    definition: UseCaseDefinition
    """The use case it belongs to."""

    kind: str
    """``lm-eval`` or ``multiturn``."""

    version: str
    """Task version; part of every result's identity."""

    primary_metric: str
    """The metric the table, matrix and gate rank by."""

    fewshot_completion: int
    """Few-shot examples in completion mode (chat mode is zero-shot)."""

    reducers: dict[str, str]
    """Metric name → reducer in :mod:`evals.statistics` (unlisted metrics are means)."""

    tasks: tuple[TaskSpec, ...] = ()
    """lm-eval tasks, primary first (empty for multiturn)."""

    dialogues: Dialogues | None = None
    """The multi-turn task (None for lm-eval units)."""

    data_files: tuple[Path, ...] = ()
    """Bundled data files scored or used as few-shot examples (hashed into results)."""

    benchmark: str | None = None
    """The real dataset it runs (:mod:`evals.benchmarks`), or None for the bundled data."""

    data_source: DataSource | None = None
    """Where a benchmark's data comes from in this run (set by ``select_use_cases``)."""

    sampling: Sampling | None = None
    """``SAMPLES=n`` at a temperature (set by ``select_use_cases``); None: greedy."""

    @property
    def generation(self) -> dict[str, Any]:
        """The decoding settings its items are answered with (part of the run spec)."""
        if self.dialogues is not None:
            return dict(self.config.get("generation", {}))
        base = dict(self.tasks[0].generation)
        return base | self.sampling.generation() if self.sampling is not None else base

    @property
    def group(self) -> str:
        """The use case it measures (``sentiment`` for ``sst2``)."""
        return self.definition.name

    @property
    def invalid_metric(self) -> str:
        """Per-item metric that is 100 when the output could not be parsed."""
        return self.definition.invalid_metric

    @property
    def cluster(self) -> Cluster | None:
        """How items share an interval unit (None: each item is its own)."""
        return self.definition.cluster

    @property
    def config(self) -> dict[str, Any]:
        """A multi-turn unit's settings (empty for lm-eval units)."""
        return self.dialogues.config() if self.dialogues is not None else {}

    @property
    def primary_task(self) -> TaskSpec:
        """The lm-eval task the unit ranks by."""
        return self.tasks[0]

    @cached_property
    def data_provenance(self) -> dict[str, Any]:
        """Dataset name, split and content hashes (or hub revision) of the data scored."""
        if self.benchmark:
            return provenance(self.benchmark, self.data_source or resolve_source())
        return {
            "benchmark": None,
            "split": "test",
            "source": "bundled",
            "files": {p.name: sha256_file(p) for p in self.data_files},
        }

    @cached_property
    def data_sha256(self) -> str:
        """Content hash of the data scored (files, or hub id and revision)."""
        if self.benchmark:
            return sha256_json([self.data_provenance, [sha256_file(p) for p in self.data_files]])
        return sha256_text("".join(self.data_provenance["files"].values()))

    @cached_property
    def config_sha256(self) -> str:
        """Hash of the configs as parsed (prompt, generation settings, metrics)."""
        if self.kind == "multiturn":
            return sha256_json(self.config)
        return sha256_json([resolved_yaml(t.config_path) for t in self.tasks])

    def task_metadata(self) -> dict[str, str]:
        """What lm-eval passes to the data hooks (data source of a benchmark)."""
        return self.data_source.to_metadata() if self.benchmark and self.data_source else {}

    def module(self) -> ModuleType:
        """The folder's ``usecase.py`` (its hooks and helpers, e.g. ``extract_code``)."""
        path = self.folder / "usecase.py"
        return load_module(path, module_name(path))

    def load_test_docs(self) -> list[dict[str, Any]]:
        """The scored records of the primary task, read and checked by its loader."""
        dataset = self.primary_task.definition.loader(**self.task_metadata())
        return list(dataset["test"])

    def load_dialogues(self) -> list[dict[str, Any]]:
        """Every dialogue of a multi-turn use case: bundled JSONL, or a benchmark converted to
        the dialogue schema, each row checked by its hooks (a ``LIMIT`` picks some of them:
        :mod:`evals.runs.limit`)."""
        assert self.dialogues is not None
        hooks = self.dialogues.hooks
        if self.benchmark:
            assert self.data_source is not None
            dialogues, _ = benchmark_records(self.benchmark, self.data_source)
            for row in dialogues:
                reason = hooks.check_row(row)
                if reason:
                    raise DataError(f"{self.benchmark}: dialogue {row.get('id')}: {reason}")
            return dialogues
        return read_jsonl(self.folder / self.config["data"], ("id", "turns"), hooks.check_row)

    @property
    def baselines(self) -> Callable[[list[dict[str, Any]]], dict[str, list[str]]] | None:
        """Trivial policies of the primary task (None: it defines none)."""
        return self.primary_task.definition.baselines if self.tasks else None
