"""Building a family's matrix: evaluate each variant (or reuse a matching stored run), aggregate,
and write ``matrix.json``, ``matrix.md`` and the pages.

A stored run is reused only when its run spec (:mod:`evals.runs.spec`) is the one this variant
would write now: the same model identity (content hash or pinned revision, backend, every
answer-changing argument, dtype) and, for every use case, the same task version, config, code,
data, prompt mode, few-shot pool, generation settings, item limit and judge — so adding a
fourth variant to a family costs one evaluation, not four, and nothing else is ever reused.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.benchmarks.sources import DataSource
from evals.engine.runner import RunSettings, run_evaluation
from evals.errors import EvalsError
from evals.matrix.family import Family, Variant, family_to_dict
from evals.matrix.verdicts import Column, build_matrix
from evals.models.loading import (
    LoadedModel,
    PromptMode,
    load_model,
    predicted_spec_part,
    resolve_prompt_mode,
)
from evals.models.objective import Objective, objective_from_name, parse_objective
from evals.models.spec import ModelSpec, parse_model_spec
from evals.runs.spec import RunSpec, build_run_spec, first_difference
from evals.runs.store import RunFolderError, StoredRun, find_runs, load_run
from evals.usecases import UseCase, select_use_cases

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOutcome:
    """What a matrix build produced."""

    matrix: dict[str, Any]
    """The matrix (as in ``matrix.json``)."""

    columns: tuple[Column, ...]
    """The stored run behind each column (what the family page shows item by item)."""

    paths: dict[str, Path]
    """Files written (none until :func:`evals.site.build.publish_build` writes them)."""

    evaluated: tuple[str, ...]
    """Column keys that needed a new evaluation."""

    reused: tuple[str, ...]
    """Column keys served from stored runs."""


def run_matches(run: StoredRun, model_part: dict[str, Any], wanted: RunSpec) -> bool:
    """Whether a stored run is the run this variant would make now: the same model part of
    the run spec (the chat template aside: the model hash covers its files) and the same
    comparable part (task versions, configs, code, data, prompt mode, few-shot, generation,
    limit, judge, lm-eval version) for every wanted use case."""
    try:
        stored = run.run_spec
    except RunFolderError:
        return False
    stored_model = {k: v for k, v in stored.model.items() if k != "chat_template_sha256"}
    if stored_model != model_part or not stored_model.get("pinned", False):
        return False
    if not set(wanted.tasks) <= set(stored.tasks):
        return False
    return first_difference(stored, wanted, tasks=list(wanted.tasks)) is None


def variant_objective(variant: Variant, name: str) -> Objective:
    """The variant's objective: as its family entry states it, else read from its name."""
    return parse_objective(variant.objective) if variant.objective else objective_from_name(name)


def default_mode(objective: Objective, spec: ModelSpec | None = None) -> str:
    """The prompt mode a variant competes in when its family entry names none: chat for a
    chat-completions API (it takes nothing else), else the one its objective calls for."""
    if spec is not None and spec.is_chat_api:
        return PromptMode.CHAT.value
    return PromptMode.COMPLETION.value if objective is Objective.BASE else PromptMode.CHAT.value


def resolve_columns(
    family: Family,
    runs_root: Path,
    use_cases: list[UseCase],
    *,
    evaluate: bool,
    batch_size: int | str = 8,
    reuse_unpinned: bool = False,
) -> tuple[list[Column], list[str], list[str], list[str]]:
    """Columns for every variant × prompt mode on the family's ``use_cases``; returns
    (columns, evaluated, reused, missing)."""
    stored = find_runs(runs_root)
    columns: list[Column] = []
    evaluated, reused, missing = [], [], []
    for variant in family.variants:
        spec = parse_model_spec(variant.model, variant.model_args)
        name = variant.name or spec.name
        objective = variant_objective(variant, name)
        modes = list(variant.prompt_modes) or [default_mode(objective, spec)]
        model_part = predicted_spec_part(spec)
        loaded: LoadedModel | None = None
        for position, mode in enumerate(modes):
            key = f"{name}|{mode}"
            if any(c.key == key for c in columns):
                raise EvalsError(
                    f"family {family.name}: two variants are both {key!r}; give "
                    "them different names (name: ...)"
                )
            wanted = build_run_spec(model_part, use_cases, prompt_mode=mode, limit=family.limit)
            match = next((r for r in reversed(stored) if run_matches(r, model_part, wanted)), None)
            if match is None and not evaluate:
                missing.append(key)
                continue
            if match is None:
                if loaded is None:
                    loaded = load_model(
                        spec,
                        batch_size=batch_size,
                        objective_override=objective,
                        reuse_unpinned=reuse_unpinned,
                    )
                    loaded = renamed_model(loaded, name)
                mode = resolve_prompt_mode(loaded.identity, mode).value
                settings = RunSettings(limit=family.limit, prompt_mode=mode, runs_root=runs_root)
                outcome = run_evaluation(loaded, use_cases, settings)
                print(f"evaluated {key} → {outcome.folder}", file=sys.stderr)
                match = load_run(outcome.folder)
                evaluated.append(key)
            else:
                reused.append(key)
            columns.append(Column(key, name, objective.value, mode, match, position == 0))
    return columns, evaluated, reused, missing


def renamed_model(model: LoadedModel, name: str) -> LoadedModel:
    """The loaded model under its name in the family (the same weights and identity else)."""
    if model.identity.name == name:
        return model
    from dataclasses import replace

    return replace(model, identity=replace(model.identity, name=name))


def build_family(
    family: Family,
    *,
    runs_root: Path,
    tasks_dir: Path,
    evaluate: bool,
    batch_size: int | str = 8,
    alpha: float = 0.05,
    data_source: DataSource | None = None,
    reuse_unpinned: bool = False,
) -> BuildOutcome:
    """Evaluate or reuse each variant's run, and aggregate them into the family's matrix
    (nothing is written here: :func:`evals.site.build.publish_build` writes the matrix files
    and the site)."""
    selected = select_use_cases(family.tasks, tasks_dir, data_source=data_source)
    columns, evaluated, reused, missing = resolve_columns(
        family,
        runs_root,
        selected,
        evaluate=evaluate,
        batch_size=batch_size,
        reuse_unpinned=reuse_unpinned,
    )
    use_cases = [uc.name for uc in selected]
    matrix = (
        build_matrix(columns, use_cases, alpha=alpha) if columns else {"columns": [], "rows": []}
    )
    matrix["family"] = family_to_dict(family)
    matrix["missing_columns"] = missing
    return BuildOutcome(matrix, tuple(columns), {}, tuple(evaluated), tuple(reused))
