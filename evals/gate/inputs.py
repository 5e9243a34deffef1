"""What the gate compares: each of its two arguments is a stored run folder, or a model spec
evaluated now.

The baseline is resolved first. A candidate given as a model spec is then evaluated like the
baseline run (its use cases, item limit and prompt mode), so the two runs are comparable by
construction; only a baseline given as a model spec uses ``--tasks``, ``--suite`` and
``--limit``. An argument that looks like a run folder (an existing folder that is not a model,
or a path ending in a run folder's name) is never evaluated: a mistyped run folder is one
"run folder not found" line, not an attempt to load a model of that name.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from evals.benchmarks.sources import DataSource
from evals.runs.store import StoredRun, load_run

RUN_FOLDER_NAME = re.compile(r"\d{8}T\d{6}Z(-\d+)?(\.partial)?$")
"""A run folder's name (:class:`evals.runs.folder.RunFolder`), finished or not."""


@dataclass(frozen=True)
class SpecSettings:
    """How a model spec given to the gate is evaluated."""

    tasks_dir: Path
    """The use-case task folders."""

    tasks: str = ""
    """Use cases or benchmarks, comma-separated (a baseline spec only; empty: the suite)."""

    suite: str = ""
    """Named selection in ``tasks/suites.yaml`` (a baseline spec only; empty: bundled)."""

    limit: int | None = None
    """Items per use case (a baseline spec only; None: all)."""

    model_args: str = ""
    """Extra lm-eval model arguments for every spec, ``k=v,k=v``."""

    batch_size: int | str = 8
    """Batch size, or ``auto``."""

    runs_root: Path = Path("reports/runs")
    """Where the new run folders go."""

    data_source: DataSource | None = None
    """Where benchmarks are read from (None: as a plain ``lm_eval`` run would find it)."""

    reuse_unpinned: bool = False
    """Reuse cached answers of a hub model without a pinned revision across runs."""


def names_run_folder(arg: str) -> bool:
    """Whether a gate argument names a run folder rather than a model spec: an existing folder
    without a model's ``config.json``, or any path whose last part is a run folder's name."""
    path = Path(arg).expanduser()
    if path.is_dir() and not (path / "config.json").is_file():
        return True
    return RUN_FOLDER_NAME.search(path.name) is not None


def run_or_evaluate(arg: str, settings: SpecSettings, like: StoredRun | None = None) -> StoredRun:
    """The run folder ``arg`` names, or the model spec ``arg`` evaluated now, with ``like``'s
    use cases, limit and prompt mode when given (else ``settings``'). Raises
    :class:`evals.runs.store.RunFolderError` for a run folder that is missing or unfinished."""
    if names_run_folder(arg):
        return load_run(Path(arg).expanduser())
    # Imported here: a gate between two stored runs never loads lm-eval or a model stack.
    from evals.engine.runner import RunSettings, run_evaluation
    from evals.models.loading import load_model
    from evals.models.spec import parse_model_spec
    from evals.usecases import select_use_cases

    if like is not None:
        tasks, suite = ",".join(like.use_cases), None
        limit, mode = like.results.limit, like.results.prompt_mode
    else:
        tasks, suite = settings.tasks, settings.suite or None
        limit, mode = settings.limit, None
    spec = parse_model_spec(arg, settings.model_args)
    model = load_model(spec, batch_size=settings.batch_size, reuse_unpinned=settings.reuse_unpinned)
    run_settings = RunSettings(limit=limit, prompt_mode=mode, runs_root=settings.runs_root)
    use_cases = select_use_cases(
        tasks, settings.tasks_dir, suite=suite, data_source=settings.data_source
    )
    outcome = run_evaluation(model, use_cases, run_settings)
    print(f"evaluated {spec.raw or 'default'} → {outcome.folder}", file=sys.stderr)
    return load_run(outcome.folder)


def gate_runs(baseline: str, candidate: str, settings: SpecSettings) -> tuple[StoredRun, StoredRun]:
    """The baseline run and the candidate run (evaluated like the baseline when a spec)."""
    base = run_or_evaluate(baseline, settings)
    return base, run_or_evaluate(candidate, settings, like=base)
