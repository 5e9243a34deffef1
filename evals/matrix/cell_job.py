"""What one cell does on a worker, and how its run folder reaches the driver's run store.

Results travel back in the task's return value, never through a shared filesystem: the worker
evaluates into a private temporary run store, packs the finished run folder
(:class:`PackedRun`: its files as bytes) and returns it; the driver writes it into its own run
store with :func:`store_packed_run` — as a ``.partial`` folder renamed when whole, exactly as a
local run is written (:class:`evals.runs.folder.RunFolder`). So a user without a shared
filesystem (a Ray cluster of plain machines) needs nothing more than the driver's disk, and a
driver killed while storing a run leaves only a ``.partial`` folder, which is never reused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from evals.benchmarks.sources import DataSource
from evals.matrix.cells import Cell
from evals.runs.folder import RESULTS_FILE, RunFolder

FORWARDED_ENV_PREFIXES = ("EVALS_", "HF_", "TRANSFORMERS_", "VLLM_")
"""Driver environment variables a worker evaluates under (caches, offline mode, hub access)."""


@dataclass(frozen=True)
class CellJob:
    """Everything a worker needs besides the cell: picklable, so it crosses processes and nodes."""

    tasks_dir: str
    """Use-case folder (the same checkout on every worker)."""

    batch_size: int | str = 8
    """lm-eval batch size."""

    environment: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """The driver's environment the worker evaluates under: caches, offline mode, hub
    settings (see :func:`driver_environment`); never a setting of this suite."""

    data_source: DataSource | None = None
    """Where benchmarks are read from (None: as a plain ``lm_eval`` run would find it)."""

    reuse_unpinned: bool = False
    """Reuse cached answers of a hub model without a pinned revision across runs."""

    allow_unsafe: bool = False
    """``--unsafe-no-sandbox``: run model-written code without a sandbox where there is none."""

    def __call__(self, cell: Cell) -> PackedRun:
        """Evaluate the cell into a private run store and return its run folder packed."""
        for key, value in self.environment:
            os.environ[key] = value
        if self.allow_unsafe:
            from evals.sandbox import allow_unsafe_runs

            allow_unsafe_runs()
        scratch = Path(tempfile.mkdtemp(prefix="evals-cell-"))
        try:
            folder = evaluate_cell(
                cell,
                runs_root=scratch,
                tasks_dir=Path(self.tasks_dir),
                batch_size=self.batch_size,
                data_source=self.data_source,
                reuse_unpinned=self.reuse_unpinned,
            )
            return pack_run(folder)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def driver_environment() -> tuple[tuple[str, str], ...]:
    """The driver's ``EVALS_*``/``HF_*``/… variables, forwarded to every worker."""
    return tuple(
        sorted((k, v) for k, v in os.environ.items() if k.startswith(FORWARDED_ENV_PREFIXES))
    )


@dataclass(frozen=True)
class PackedRun:
    """A finished run folder in a task's return value."""

    variant_name: str
    """The run's model name (its folder under the run store)."""

    files: tuple[tuple[str, bytes], ...]
    """(file name, content) for every file of the folder, ``results.json`` included."""


CellWork = Callable[[Cell], PackedRun]
"""A cell's work on a worker (picklable: :class:`CellJob` or a test's fake)."""


def evaluate_cell(
    cell: Cell,
    *,
    runs_root: Path,
    tasks_dir: Path,
    batch_size: int | str,
    data_source: DataSource | None = None,
    reuse_unpinned: bool = False,
) -> Path:
    """Load the cell's model once and evaluate all its tasks; returns the finished run folder."""
    from evals.engine.runner import RunSettings, run_evaluation
    from evals.matrix.build import renamed_model
    from evals.models.loading import load_model, resolve_prompt_mode
    from evals.models.objective import parse_objective
    from evals.models.spec import parse_model_spec
    from evals.usecases import select_use_cases

    spec = parse_model_spec(cell.variant.model, cell.variant.model_args)
    loaded = load_model(
        spec,
        batch_size=batch_size,
        objective_override=parse_objective(cell.objective),
        reuse_unpinned=reuse_unpinned,
    )
    loaded = renamed_model(loaded, cell.name)
    mode = resolve_prompt_mode(loaded.identity, cell.prompt_mode).value
    use_cases = select_use_cases(",".join(cell.tasks), tasks_dir, data_source=data_source)
    settings = RunSettings(limit=cell.limit, prompt_mode=mode, runs_root=runs_root)
    return run_evaluation(loaded, use_cases, settings).folder


def pack_run(folder: Path) -> PackedRun:
    """A finished run folder's files, for the trip back to the driver."""
    results = json.loads((folder / RESULTS_FILE).read_text(encoding="utf-8"))
    files = tuple((p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file())
    return PackedRun(variant_name=str(results["model"]["name"]), files=files)


def store_packed_run(packed: PackedRun, runs_root: Path) -> Path:
    """Write a packed run into the run store: a new ``.partial`` folder, renamed when whole."""
    folder = RunFolder(runs_root, packed.variant_name)
    results = None
    for name, content in packed.files:
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"packed run holds an unsafe file name {name!r}")
        if name == RESULTS_FILE:
            results = json.loads(content.decode("utf-8"))
            continue
        tmp = folder.path / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.replace(folder.path / name)
    if results is None:
        raise ValueError("packed run has no results.json: the cell did not finish")
    return folder.finish(results)
