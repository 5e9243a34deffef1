"""objective-evals: which fine-tune of a model to use for which job.

Public API (everything else is an implementation detail)::

    from evals import parse_model_spec, load_model, select_use_cases, run_evaluation, RunSettings
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Exported names resolve on first use (PEP 562): ``python -m evals`` serving a warm run, or
# ``evals cache info``, should not pay for numpy, scipy and lm-eval imports it never uses.
_EXPORTS = {
    "BackendError": "evals.errors",
    "DataError": "evals.errors",
    "Estimate": "evals.decision",
    "EvalsError": "evals.errors",
    "LoadedModel": "evals.models.loading",
    "ModelSpec": "evals.models.spec",
    "ModelSpecError": "evals.errors",
    "Objective": "evals.models.objective",
    "PairedDifference": "evals.decision",
    "PromptMode": "evals.models.loading",
    "RunOutcome": "evals.engine.runner",
    "RunSettings": "evals.engine.runner",
    "TaskConfigError": "evals.errors",
    "UseCase": "evals.usecases",
    "RunResults": "evals.runs.results",
    "RunSpec": "evals.runs.spec",
    "StoredRun": "evals.runs.store",
    "UseCaseResult": "evals.runs.results",
    "VariantIdentity": "evals.models.loading",
    "discover_use_cases": "evals.usecases",
    "estimate": "evals.decision",
    "load_model": "evals.models.loading",
    "load_results": "evals.runs.folder",
    "load_run": "evals.runs.store",
    "objective_from_name": "evals.models.objective",
    "paired_difference": "evals.decision",
    "parse_model_spec": "evals.models.spec",
    "resolve_prompt_mode": "evals.models.loading",
    "run_evaluation": "evals.engine.runner",
    "select_use_cases": "evals.usecases",
}

if TYPE_CHECKING:
    from evals.decision import Estimate, PairedDifference, estimate, paired_difference
    from evals.engine.runner import RunOutcome, RunSettings, run_evaluation
    from evals.errors import BackendError, DataError, EvalsError, ModelSpecError, TaskConfigError
    from evals.models.loading import (
        LoadedModel,
        PromptMode,
        VariantIdentity,
        load_model,
        resolve_prompt_mode,
    )
    from evals.models.objective import Objective, objective_from_name
    from evals.models.spec import ModelSpec, parse_model_spec
    from evals.runs.folder import load_results
    from evals.runs.results import RunResults, UseCaseResult
    from evals.runs.spec import RunSpec
    from evals.runs.store import StoredRun, load_run
    from evals.usecases import UseCase, discover_use_cases, select_use_cases


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'evals' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "BackendError",
    "DataError",
    "Estimate",
    "EvalsError",
    "LoadedModel",
    "ModelSpec",
    "ModelSpecError",
    "Objective",
    "PairedDifference",
    "PromptMode",
    "RunOutcome",
    "RunResults",
    "RunSettings",
    "RunSpec",
    "StoredRun",
    "TaskConfigError",
    "UseCase",
    "UseCaseResult",
    "VariantIdentity",
    "discover_use_cases",
    "estimate",
    "load_model",
    "load_results",
    "load_run",
    "objective_from_name",
    "paired_difference",
    "parse_model_spec",
    "resolve_prompt_mode",
    "run_evaluation",
    "select_use_cases",
]
