"""Use cases: one folder each under ``tasks/``, one typed definition each (``usecase.py``).

- :mod:`~evals.usecases.definition`: what a use case is (tasks, metrics, hooks, baselines).
- :mod:`~evals.usecases.lm_eval_yaml`: the lm-eval YAML generated from it and checked on load.
- :mod:`~evals.usecases.discovery`: finding folders, their units, suites and selections.
- :mod:`~evals.usecases.unit`: a unit a run runs (bundled data or one benchmark).
"""

from evals.usecases.definition import (
    Cluster,
    Completion,
    DialogueHooks,
    Dialogues,
    Generation,
    Metric,
    Sampling,
    Task,
    UseCaseDefinition,
)
from evals.usecases.discovery import (
    DEFAULT_SUITE,
    discover_use_cases,
    load_definition,
    load_folder,
    load_use_case,
    read_suites,
    select_use_cases,
    use_case_folders,
)
from evals.usecases.unit import (
    DEFAULT_TASKS_DIR,
    TaskSpec,
    UseCase,
    load_module,
    read_yaml,
    resolved_yaml,
    sibling,
)

__all__ = [
    "DEFAULT_SUITE",
    "DEFAULT_TASKS_DIR",
    "Cluster",
    "Completion",
    "DialogueHooks",
    "Dialogues",
    "Generation",
    "Metric",
    "Sampling",
    "Task",
    "TaskSpec",
    "UseCase",
    "UseCaseDefinition",
    "discover_use_cases",
    "load_definition",
    "load_folder",
    "load_module",
    "load_use_case",
    "read_suites",
    "read_yaml",
    "resolved_yaml",
    "select_use_cases",
    "sibling",
    "use_case_folders",
]
