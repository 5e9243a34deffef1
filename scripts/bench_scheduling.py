"""Scheduling overhead of the matrix executors, simulated (``make bench``; docs/scaling.md).

A matrix of 200 variants × 12 benchmarks (200 cells, 12 benchmarks inside each) runs against a
fake fast backend: each benchmark "takes" a fixed time (a sleep, so the workers do not fight the
driver for this machine's cores) and returns 50 sample lines; the cell returns its run folder
packed, as a real cell does, and the driver stores it in a run store. What is measured is
everything else: submitting, the pool or the Ray task, pickling the cell and its packed run,
writing the run folder atomically, the progress bar.

* ratio = wall time / ideal, ideal = sum of cell times / workers (target ≤ 1.2);
* overhead per cell = (wall × workers − sum of cell times) / cells: worker-seconds per cell not
  spent computing (target ≤ 1 s).

Run alone: ``python scripts/bench_scheduling.py --executor processes``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.matrix.cell_job import PackedRun  # noqa: E402
from evals.matrix.cells import Cell  # noqa: E402
from evals.matrix.family import Resources, Variant  # noqa: E402


@dataclass(frozen=True)
class FakeBackend:
    """A cell's work that only waits: ``seconds_per_benchmark`` for each of the cell's tasks."""

    seconds_per_benchmark: float

    def __call__(self, cell: Cell) -> PackedRun:
        files = []
        for task in cell.tasks:
            time.sleep(self.seconds_per_benchmark)
            lines = "".join(
                json.dumps({"doc_id": i, "scores": {"acc": i % 2}}) + "\n" for i in range(50)
            )
            files.append((f"samples_{task}.jsonl", lines.encode()))
        results = {"model": {"name": cell.name}, "complete": True, "use_cases": {}}
        files.append(("results.json", json.dumps(results).encode()))
        return PackedRun(variant_name=cell.name, files=tuple(files))


def fake_cells(variants: int, benchmarks: int) -> list[Cell]:
    """``variants`` cells of ``benchmarks`` tasks each (no model, no planner)."""
    tasks = tuple(f"bench{b:02d}" for b in range(benchmarks))
    return [
        Cell(
            key=f"v{v:04d}|completion",
            variant=Variant(model=f"fake/v{v:04d}"),
            name=f"v{v:04d}",
            objective="base",
            prompt_mode="completion",
            tasks=tasks,
            limit=None,
            resources=Resources(),
            spec_id=f"{v:016x}",
            pinned=True,
        )
        for v in range(variants)
    ]


def scheduling_overhead(
    executor_name: str,
    *,
    variants: int = 200,
    benchmarks: int = 12,
    seconds_per_benchmark: float = 0.02,
    workers: int = 2,
) -> dict[str, float]:
    """Wall / ideal and overhead seconds per cell of one simulated matrix on an executor."""
    from evals.matrix.executors import make_executor, run_cells

    ray = None
    if executor_name == "ray":
        import ray

        paths = f"{ROOT}:{ROOT / 'scripts'}"
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"PYTHONPATH": paths}},
        )
    store = Path(tempfile.mkdtemp(prefix="bench-scheduling-"))
    try:
        cells = fake_cells(variants, benchmarks)
        started = time.perf_counter()
        executor = make_executor(executor_name, jobs=workers)
        try:
            outcomes = run_cells(
                cells, FakeBackend(seconds_per_benchmark), executor, store, progress=False
            )
        finally:
            executor.close()
        wall = time.perf_counter() - started
        failed = [o for o in outcomes if o.folder is None]
        if failed:
            raise RuntimeError(f"{len(failed)} cells failed: {failed[0].error}")
        stored = len(list(store.glob("*/*/results.json")))
        assert stored == variants, f"{stored} runs stored of {variants}"
    finally:
        shutil.rmtree(store, ignore_errors=True)
        if ray is not None:
            ray.shutdown()
    busy = variants * benchmarks * seconds_per_benchmark
    ideal = busy / workers
    return {
        "ratio": wall / ideal,
        "overhead_s_per_cell": (wall * workers - busy) / variants,
        "wall_s": wall,
        "ideal_s": ideal,
        "cells": float(variants),
        "workers": float(workers),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", default="processes", choices=["processes", "ray"])
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--benchmarks", type=int, default=12)
    parser.add_argument("--seconds-per-benchmark", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    result = scheduling_overhead(
        args.executor,
        variants=args.variants,
        benchmarks=args.benchmarks,
        workers=args.workers,
        seconds_per_benchmark=args.seconds_per_benchmark,
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
