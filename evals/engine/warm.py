"""Warm runs without loading the model.

A run whose run spec (:mod:`evals.runs.spec`) equals that of a complete stored run would ask
every one of that run's requests again and get the same answers from the request cache: the
weights need not be loaded at all (seconds here, minutes for a 70B model). Whether such a run
exists is decided before loading, from the model spec alone (:func:`evals.models.loading.
predicted_spec_part`: content hash or pinned revision, answer-changing arguments); the new run
folder is a copy of the stored one with its own time stamp and ``served_from`` naming the
original. Never for unpinned hub models, and not with ``EVALS_REQUEST_CACHE=off`` (which asks
for fresh answers).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from evals.cache.store import cache_enabled
from evals.files import write_json
from evals.models.loading import (
    PromptMode,
    VariantIdentity,
    predicted_spec_part,
    resolve_prompt_mode,
)
from evals.models.objective import Objective
from evals.models.spec import ModelSpec
from evals.runs.folder import RESULTS_FILE, RunFolder
from evals.runs.spec import RUN_SPEC_FILE, build_run_spec, first_difference
from evals.runs.store import RunFolderError, StoredRun, find_runs
from evals.usecases import UseCase


def matching_run(
    spec: ModelSpec,
    use_cases: list[UseCase],
    *,
    runs_root: Path,
    limit: int | None,
    prompt_mode: str | None,
    objective: Objective | None,
) -> tuple[StoredRun, PromptMode] | None:
    """The newest complete stored run this run would repeat exactly, and its prompt mode."""
    if not cache_enabled() or not runs_root.is_dir():
        return None
    model_part = predicted_spec_part(spec)
    if not model_part["pinned"]:
        return None
    for run in reversed(find_runs(runs_root)):
        try:
            stored = run.run_spec
        except RunFolderError:
            continue
        stored_model = {k: v for k, v in stored.model.items() if k != "chat_template_sha256"}
        if stored_model != model_part or list(stored.tasks) != [u.name for u in use_cases]:
            continue
        identity = run.results.model
        if objective is not None:
            identity = replace(identity, objective=objective, objective_source="override")
        if identity.objective != run.results.model.objective:
            continue
        mode = resolve_prompt_mode(identity, prompt_mode)
        wanted = build_run_spec(model_part, use_cases, prompt_mode=mode.value, limit=limit)
        if first_difference(stored, wanted) is None:
            return run, mode
    return None


def serve_from(run: StoredRun, runs_root: Path) -> tuple[Path, VariantIdentity, tuple]:
    """A new run folder repeating ``run`` (no model loaded); its folder, identity, results."""
    identity = run.results.model
    folder = RunFolder(runs_root, identity.name)
    for path in run.folder.iterdir():
        if path.is_file() and path.name != RESULTS_FILE:
            shutil.copy2(path, folder.path / path.name)
    answered = sum((run.results.requests or {}).values())
    results = replace(
        run.results,
        created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        served_from=str(run.folder),
        requests={"from_cache": answered, "computed": 0},
        timings={"model_load_seconds": 0.0, "evaluation_seconds": 0.0},
    )
    write_json(folder.path / RUN_SPEC_FILE, run.run_spec.to_dict())
    path = folder.finish(results.to_dict())
    outcomes = tuple(replace(e, seconds=0.0) for e in results.use_cases.values())
    return path, identity, outcomes
