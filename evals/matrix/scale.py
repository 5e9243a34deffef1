"""A family's matrix on an executor: plan cells, run the missing ones, build from the run store.

The matrix itself is always built the same way — :func:`evals.matrix.build.build_family` over
stored runs only — so a matrix computed on a pool or a Ray cluster is the one the ``local``
executor writes, item by item. Cells already complete in the run store are skipped; a cell
that fails (after ``retries``) is reported with its error and left out of the matrix as a
missing column, and :attr:`ScaledBuild.complete` is False.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from evals.benchmarks.sources import DataSource
from evals.matrix.build import BuildOutcome, build_family
from evals.matrix.cell_job import CellJob, CellWork, driver_environment
from evals.matrix.cells import Cell, plan_cells
from evals.matrix.executors import CellOutcome, Executor, run_cells
from evals.matrix.family import Family


@dataclass(frozen=True)
class ScaledBuild:
    """A matrix built on an executor."""

    outcome: BuildOutcome
    """The matrix, its files, and which columns were evaluated now or reused."""

    cells: tuple[Cell, ...]
    """The plan (as it was before this build ran anything)."""

    ran: tuple[CellOutcome, ...]
    """What became of each cell that had to run."""

    @property
    def failed(self) -> tuple[CellOutcome, ...]:
        """Cells that still failed after their retries."""
        return tuple(r for r in self.ran if r.folder is None)

    @property
    def complete(self) -> bool:
        """Whether every cell has its run (no failure, no missing column)."""
        return not self.failed and not self.outcome.matrix.get("missing_columns")


def build_family_on(
    executor: Executor,
    family: Family,
    *,
    runs_root: Path,
    tasks_dir: Path,
    retries: int = 1,
    batch_size: int | str = 8,
    work: CellWork | None = None,
    progress: bool = True,
    data_source: DataSource | None = None,
    reuse_unpinned: bool = False,
    allow_unsafe: bool = False,
) -> ScaledBuild:
    """Run the family's incomplete cells on ``executor``, then build the matrix from the run
    store (written by :func:`evals.site.build.publish_build`).

    ``work`` replaces the real cell job (the scheduling bench's fake backend)."""
    cells = plan_cells(family, runs_root, tasks_dir, data_source)
    todo = [c for c in cells if not c.complete]
    job = work or CellJob(
        str(Path(tasks_dir).resolve()),
        batch_size,
        driver_environment(),
        data_source=data_source,
        reuse_unpinned=reuse_unpinned,
        allow_unsafe=allow_unsafe,
    )
    try:
        ran = run_cells(
            todo,
            job,
            executor,
            runs_root,
            retries=retries,
            label=f"matrix {family.name} [{executor.name}]",
            progress=progress,
        )
    finally:
        executor.close()
    outcome = build_family(
        family, runs_root=runs_root, tasks_dir=tasks_dir, evaluate=False, data_source=data_source
    )
    evaluated = tuple(r.key for r in ran if r.folder is not None)
    reused = tuple(key for key in outcome.reused if key not in evaluated)
    outcome = replace(outcome, evaluated=evaluated, reused=reused)
    return ScaledBuild(outcome, cells, tuple(ran))
