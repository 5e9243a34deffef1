"""A matrix as cells: (variant, prompt mode, its group of tasks), one model load each.

A cell's identity is its run spec (:func:`evals.runs.spec.build_run_spec`: model identity, task
hashes, data, settings). The planner marks a cell complete when a finished run with that run spec
is already in the run store (the same test :mod:`evals.matrix.build` uses to reuse a column), so
a matrix interrupted anywhere resumes where it stopped and a new variant costs one cell.

Planning loads no model: it predicts each variant's model part of the run spec
(:func:`evals.models.loading.predicted_spec_part`) and hashes the tasks, so
``evals matrix --dry-run`` works where neither the hub nor a GPU is reachable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from evals.benchmarks.sources import DataSource
from evals.errors import EvalsError
from evals.fingerprint import sha256_json
from evals.matrix.family import Family, Resources, Variant


@dataclass(frozen=True)
class Cell:
    """One model load: a variant in one prompt mode, evaluated on all of the family's tasks."""

    key: str
    """Column key, ``<variant name>|<prompt mode>`` (as in ``matrix.json``)."""

    variant: Variant
    """The family-file variant it evaluates (with the hub revision the plan resolved, when the
    variant named none: every worker loads that commit)."""

    name: str
    """Display name of the variant."""

    objective: str
    """The variant's objective (base, instruct, chat, code)."""

    prompt_mode: str
    """completion or chat."""

    tasks: tuple[str, ...]
    """Use cases evaluated inside this one cell."""

    limit: int | None
    """Items per use case (None: all)."""

    resources: Resources
    """What the cell's worker must hold (``resources:`` of the variant)."""

    spec_id: str
    """Short hash of the run spec this cell would write: its identity."""

    pinned: bool
    """Whether the model identity is pinned (an unpinned cell is never reused)."""

    reused_run: Path | None = None
    """The stored complete run with this run spec, if any (then the cell is skipped)."""

    @property
    def complete(self) -> bool:
        """Whether the run store already holds this cell's run."""
        return self.reused_run is not None


def plan_cells(
    family: Family, runs_root: Path, tasks_dir: Path, data_source: DataSource | None = None
) -> tuple[Cell, ...]:
    """The family's cells in matrix order, each marked with the stored run it can reuse."""
    from evals.matrix.build import default_mode, run_matches, variant_objective
    from evals.models.loading import pin_hub_revision, predicted_spec_part
    from evals.models.spec import parse_model_spec
    from evals.runs.spec import build_run_spec
    from evals.runs.store import find_runs
    from evals.usecases import select_use_cases

    use_cases = select_use_cases(family.tasks, tasks_dir, data_source=data_source)
    stored = find_runs(runs_root)
    cells: list[Cell] = []
    for variant in family.variants:
        spec = parse_model_spec(variant.model, variant.model_args)
        name = variant.name or spec.name
        objective = variant_objective(variant, name)
        pinned_spec = pin_hub_revision(spec)
        revision = pinned_spec.model_args.get("revision")
        if revision and revision != spec.model_args.get("revision"):
            # workers evaluate the commit this plan identified, not what the hub serves later
            args = ",".join(filter(None, [variant.model_args, f"revision={revision}"]))
            variant = replace(variant, model_args=args)
        model_part = predicted_spec_part(pinned_spec)
        for mode in list(variant.prompt_modes) or [default_mode(objective, spec)]:
            key = f"{name}|{mode}"
            if any(c.key == key for c in cells):
                raise EvalsError(
                    f"family {family.name}: two variants are both {key!r}; give "
                    "them different names (name: ...)"
                )
            wanted = build_run_spec(model_part, use_cases, prompt_mode=mode, limit=family.limit)
            match = next((r for r in reversed(stored) if run_matches(r, model_part, wanted)), None)
            cells.append(
                Cell(
                    key=key,
                    variant=variant,
                    name=name,
                    objective=objective.value,
                    prompt_mode=mode,
                    tasks=tuple(uc.name for uc in use_cases),
                    limit=family.limit,
                    resources=variant.resources,
                    spec_id=sha256_json(wanted)[:16],
                    pinned=bool(model_part.get("pinned")),
                    reused_run=match.folder if match is not None else None,
                )
            )
    return tuple(cells)


def plan_lines(family: Family, cells: tuple[Cell, ...]) -> list[str]:
    """``evals matrix --dry-run``: one line per cell (resources, reused run or to run)."""
    todo = [c for c in cells if not c.complete]
    tasks = ", ".join(cells[0].tasks) if cells else "-"
    lines = [
        f"family {family.name}: {len(cells)} cells, {len(cells) - len(todo)} reused, "
        f"{len(todo)} to run; tasks: {tasks}"
    ]
    for cell in cells:
        state = f"reuse {cell.reused_run}" if cell.complete else "run"
        pin = "" if cell.pinned else "  [unpinned: never reused; pin a revision]"
        lines.append(
            f"  {cell.key:<44} {cell.resources.describe():<22} spec {cell.spec_id}  {state}{pin}"
        )
    gpus = sum(c.resources.num_gpus for c in todo)
    lines.append(f"to run: {len(todo)} cells, {gpus:g} GPU-cell(s) requested in all")
    return lines
