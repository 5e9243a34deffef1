"""A family's matrix on an executor: plan cells, run the missing ones, build from the run store.

The matrix itself is always built the same way — :func:`evals.matrix_build.build_family` over
stored runs only — so a matrix computed on a pool or a Ray cluster is the one the ``local``
executor writes, item by item. Cells already complete in the run store are skipped; a cell
that fails (after ``retries``) is reported with its error and left out of the matrix as a
missing column, and :attr:`ScaledBuild.complete` is False.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

from evals.cell_job import CellJob, driver_environment
from evals.cells import Cell, plan_cells
from evals.errors import EvalsError
from evals.executors import CellOutcome, CellWork, Executor, run_cells
from evals.family import Family
from evals.matrix_build import BuildOutcome, build_family


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
    reports_root: Path,
    tasks_dir: Path,
    retries: int = 1,
    batch_size: int | str = 8,
    work: CellWork | None = None,
    progress: bool = True,
    families_dir: Path | None = None,
) -> ScaledBuild:
    """Run the family's incomplete cells on ``executor``, then write the matrix files and site.

    ``work`` replaces the real cell job (the scheduling bench's fake backend)."""
    cells = plan_cells(family, runs_root, tasks_dir)
    todo = [c for c in cells if not c.complete]
    job = work or CellJob(str(Path(tasks_dir).resolve()), batch_size, driver_environment())
    try:
        ran = run_cells(todo, job, executor, runs_root, retries=retries,
                        label=f"matrix {family.name} [{executor.name}]",
                        progress=progress)  # fmt: skip
    finally:
        executor.close()
    outcome = build_family(family, runs_root=runs_root, reports_root=reports_root,
                           tasks_dir=tasks_dir, evaluate=False,
                           families_dir=families_dir)  # fmt: skip
    evaluated = tuple(r.key for r in ran if r.folder is not None)
    reused = tuple(key for key in outcome.reused if key not in evaluated)
    outcome = replace(outcome, evaluated=evaluated, reused=reused)
    return ScaledBuild(outcome, cells, tuple(ran))


INCOMPLETE_EXIT = 1
"""``evals matrix`` exit status when a cell failed: the matrix was written without it."""


def scaled_matrix_command(args: argparse.Namespace, family: Family) -> int:
    """``evals matrix --dry-run`` / ``--executor processes|ray`` / ``--jobs N``."""
    import sys

    from evals.cells import plan_lines
    from evals.commands import print_build
    from evals.executors import make_executor

    runs_root, tasks_dir = Path(args.output), Path(args.tasks_dir)
    if args.dry_run:
        print("\n".join(plan_lines(family, plan_cells(family, runs_root, tasks_dir))))
        return 0
    cells = plan_cells(family, runs_root, tasks_dir)
    unpinned = [c.key for c in cells if not c.complete and not c.pinned]
    if unpinned:  # its run could never be matched again: it would be missing from the matrix
        raise EvalsError(
            f"cell {unpinned[0]} has no pinned model identity (a hub id without a "
            "revision where the hub cannot be asked): name a revision "
            "(org/name@<commit>) to run it on an executor, or run it locally"
        )
    executor = make_executor("processes" if args.jobs > 1 and args.executor == "local"
                             else args.executor, jobs=args.jobs)  # fmt: skip
    build = build_family_on(
        executor, family, runs_root=runs_root, reports_root=Path(args.reports),
        tasks_dir=tasks_dir, retries=args.retries, batch_size=args.batch_size,
        families_dir=Path(args.families),
    )  # fmt: skip
    print_build(build.outcome)
    for failure in build.failed:
        print(f"error: cell {failure.key} failed after {failure.attempts} attempt(s): "
              f"{failure.error}", file=sys.stderr)  # fmt: skip
    if build.complete:
        return 0
    print(
        f"error: matrix {family.name} is incomplete ({len(build.failed)} failed cell(s)); "
        "run the same command again to compute only the missing cells",
        file=sys.stderr,
    )
    return INCOMPLETE_EXIT
