"""objective-evals: which fine-tune of a model to use for which job.

Public API (everything else is an implementation detail)::

    from evals import parse_model_spec, load_model, select_use_cases, run_evaluation, RunSettings
"""

from evals.adapter import LoadedModel, PromptMode, VariantIdentity, load_model, resolve_prompt_mode
from evals.decision import Estimate, PairedDifference, estimate, paired_difference
from evals.errors import BackendError, DataError, EvalsError, ModelSpecError, TaskConfigError
from evals.model_spec import ModelSpec, parse_model_spec
from evals.objective import Objective, objective_from_name
from evals.results import UseCaseResult, load_results
from evals.runner import RunOutcome, RunSettings, run_evaluation
from evals.usecases import UseCase, discover_use_cases, select_use_cases

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
    "RunSettings",
    "TaskConfigError",
    "UseCase",
    "UseCaseResult",
    "VariantIdentity",
    "discover_use_cases",
    "estimate",
    "load_model",
    "load_results",
    "objective_from_name",
    "paired_difference",
    "parse_model_spec",
    "resolve_prompt_mode",
    "run_evaluation",
    "select_use_cases",
]
