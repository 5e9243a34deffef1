"""Finding use cases: every folder under ``tasks/`` with a ``usecase.py`` defining ``USE_CASE``.

A folder yields its **bundled** unit (named after the folder, CC0 data in ``data/``) and one
unit per **benchmark** it plugs in (``sst2``), each grouped under the folder's use case, with
data from ``DATA_DIR`` or the hub (:mod:`evals.benchmarks.sources`). ``tasks/suites.yaml``
names selections (``bundled``, ``standard``, ``real``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from types import ModuleType

from evals.benchmarks.sources import DataSource, resolve_source
from evals.errors import TaskConfigError
from evals.usecases.definition import Dialogues, Sampling, Task, UseCaseDefinition
from evals.usecases.lm_eval_yaml import DEFINITION_FILE, check_folder
from evals.usecases.unit import (
    DEFAULT_TASKS_DIR,
    TaskSpec,
    UseCase,
    load_module,
    module_name,
    read_yaml,
    resolved_yaml,
)

SUITES_FILE = "suites.yaml"
DEFAULT_SUITE = "bundled"


def definition_module(folder: Path) -> ModuleType:
    """A folder's ``usecase.py``, imported."""
    path = folder / DEFINITION_FILE
    try:
        return load_module(path, module_name(path))
    except TaskConfigError:
        raise
    except Exception as err:  # the author's code: name the file, keep the reason
        raise TaskConfigError(f"{path}: cannot load ({type(err).__name__}: {err})") from None


def load_definition(folder: Path) -> tuple[UseCaseDefinition, ModuleType]:
    """A folder's use case definition and the module that holds its hooks."""
    module = definition_module(folder)
    definition = getattr(module, "USE_CASE", None)
    if not isinstance(definition, UseCaseDefinition):
        raise TaskConfigError(f"{folder / DEFINITION_FILE}: USE_CASE must be a UseCaseDefinition")
    if definition.name != folder.name:
        raise TaskConfigError(
            f"{folder / DEFINITION_FILE}: USE_CASE is named {definition.name!r}, its folder "
            f"{folder.name!r}"
        )
    return definition, module


def _task_spec(definition: UseCaseDefinition, task: Task, folder: Path) -> TaskSpec:
    generation = (
        definition.generation.to_dict()
        if definition.generation is not None and task.output_type == "generate_until"
        else {}
    )
    return TaskSpec(
        name=task.name,
        config_path=folder / f"{task.name}.yaml",
        output_type=task.output_type,
        metrics=tuple(m.name for m in task.metrics),
        definition=task,
        generation=generation,
    )


def _reducers(tasks: tuple[Task, ...]) -> dict[str, str]:
    return {m.name: m.reducer for t in tasks for m in t.metrics if m.reducer != "mean"}


def _bundled_files(folder: Path) -> tuple[Path, ...]:
    data = folder / "data"
    return tuple(sorted(data.glob("*.jsonl"))) if data.is_dir() else ()


def _dialogue_unit(definition: UseCaseDefinition, folder: Path, task: Dialogues) -> UseCase:
    files = [] if task.benchmark or not task.data else [folder / task.data]
    files += [folder / task.fewshot] if task.fewshot else []
    return UseCase(
        name=task.name,
        folder=folder,
        definition=definition,
        kind="multiturn",
        version=definition.version,
        primary_metric=task.primary_metric,
        fewshot_completion=task.fewshot_completion,
        reducers={},
        dialogues=task,
        data_files=tuple(files),
        benchmark=task.benchmark,
    )


def units_of(definition: UseCaseDefinition, folder: Path) -> list[UseCase]:
    """Every unit of a definition: the bundled one first, then its benchmarks."""
    if definition.dialogues:
        return [_dialogue_unit(definition, folder, d) for d in definition.dialogues]
    units = []
    groups = [definition.tasks] if definition.tasks else []
    groups += [(b,) for b in definition.benchmarks]
    for tasks in groups:
        primary = tasks[0]
        units.append(
            UseCase(
                name=primary.name,
                folder=folder,
                definition=definition,
                kind="lm-eval",
                version=definition.version,
                primary_metric=definition.primary_for(primary),
                fewshot_completion=definition.fewshot_for(primary),
                reducers=_reducers(tasks),
                tasks=tuple(_task_spec(definition, t, folder) for t in tasks),
                data_files=() if primary.benchmark else _bundled_files(folder),
                benchmark=primary.benchmark,
            )
        )
    return units


def load_folder(folder: Path) -> list[UseCase]:
    """Every unit of a use case folder, its generated YAML checked against its definition."""
    definition, module = load_definition(folder)
    read = {p: resolved_yaml(p) for p in sorted(folder.glob("*.yaml"))}
    check_folder(definition, module, folder, read)
    return units_of(definition, folder)


def load_use_case(folder: Path) -> UseCase:
    """The bundled unit of a folder."""
    units = [u for u in load_folder(folder) if u.benchmark is None]
    if not units:
        raise TaskConfigError(f"{folder}: no bundled use case")
    return units[0]


def use_case_folders(tasks_dir: Path = DEFAULT_TASKS_DIR) -> list[Path]:
    """Folders under ``tasks_dir`` that hold a use case definition."""
    if not tasks_dir.is_dir():
        raise TaskConfigError(f"tasks folder not found: {tasks_dir}")
    return [
        p
        for p in sorted(tasks_dir.iterdir())
        if p.is_dir() and not p.name.startswith((".", "_")) and (p / DEFINITION_FILE).is_file()
    ]


def discover_use_cases(tasks_dir: Path = DEFAULT_TASKS_DIR) -> dict[str, UseCase]:
    """Every use case and benchmark under ``tasks_dir``, by name."""
    found: dict[str, UseCase] = {}
    for folder in use_case_folders(tasks_dir):
        for unit in load_folder(folder):
            if unit.name in found:
                raise TaskConfigError(f"{folder}: name {unit.name!r} is used twice")
            found[unit.name] = unit
    return found


@cache
def folklore_objectives(tasks_dir: Path = DEFAULT_TASKS_DIR) -> dict[str, tuple[str, ...]]:
    """Use case → the objectives the folklore says win it (``UseCaseDefinition.objectives``)."""
    return {f.name: load_definition(f)[0].objectives for f in use_case_folders(tasks_dir)}


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
    sampling: Sampling | None = None,
    check_data: bool = True,
) -> list[UseCase]:
    """The use cases or benchmarks named in ``TASKS=a,b``, else those of ``SUITE=`` (default:
    the bundled use cases), in the order given. Benchmarks get ``data_source`` (default: from
    the environment), and their files are checked here, before any model is loaded (not with
    ``check_data=False``: a dry run, which reads no data and reaches no hub). With
    ``sampling``, every chosen task must score several replies per item (code's pass@k)."""
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
            if check_data:  # a missing file or DATA_DIR fails here, with its path
                _ = unit.data_provenance
        chosen.append(replace(unit, sampling=sampling) if sampling is not None else unit)
    if sampling is not None:
        greedy = [u.name for u in chosen if not all(t.definition.sampled for t in u.tasks)]
        if greedy:
            able = [
                u.name
                for u in available.values()
                if u.tasks and all(t.definition.sampled for t in u.tasks)
            ]
            raise TaskConfigError(
                f"SAMPLES/TEMPERATURE apply to tasks scored from several replies per item "
                f"({', '.join(able)}), not to {', '.join(greedy)}; choose TASKS"
            )
    return chosen
