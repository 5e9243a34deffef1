"""The ``ray`` executor: each cell a Ray task holding the resources its variant declares.

Ray is an optional extra (``pip install 'objective-evals[ray]'``), imported only here. With
``RAY_ADDRESS`` set (``ray://head:10001`` or ``auto``) cells go to that cluster; otherwise a
local cluster is started for this matrix and stopped after it. A cluster already initialised
in this process (``ray.init`` by the caller, as the tests do) is used and left running.

Every node needs this package and the same ``tasks/`` checkout (the cell's ``tasks_dir`` is
the driver's path); nothing else is shared: a cell returns its run folder packed
(:class:`evals.matrix.cell_job.PackedRun`) and the driver writes it into its run store.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from typing import Any

from evals.errors import EvalsError
from evals.matrix.cell_job import CellWork, PackedRun
from evals.matrix.cells import Cell

INSTALL_HINT = "pip install 'objective-evals[ray]' (or make install, which installs it)"


def _run_cell(work: CellWork, cell: Cell) -> PackedRun:
    return work(cell)


class RayExecutor:
    """Cells as Ray tasks with ``num_cpus``/``num_gpus`` from the family file."""

    name = "ray"

    def __init__(self, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise EvalsError(
                f"the ray executor needs Ray, which is not installed: {INSTALL_HINT}"
            ) from None
        self._ray = ray
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            address = address or os.environ.get("RAY_ADDRESS") or None
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env=_runtime_env(address),
            )
        self._task = ray.remote(max_retries=0)(_run_cell)  # --retries are ours, with errors kept
        resources = ray.cluster_resources()
        # Ray queues tasks until their resources are free; keeping only as many in flight as the
        # cluster could run at once makes the progress bar's "running" mean running.
        self.capacity = max(1, int(resources.get("CPU", 0) + resources.get("GPU", 0)))

    def submit(self, work: CellWork, cell: Cell) -> Future[PackedRun]:
        short = _missing_resources(cell, self._ray.cluster_resources())
        if short:  # Ray would wait for it forever: the cell fails now, the others go on
            future: Future[PackedRun] = Future()
            future.set_exception(EvalsError(f"the cluster has no room for this cell: {short}"))
            return future
        options = {"num_cpus": cell.resources.num_cpus, "num_gpus": cell.resources.num_gpus}
        return self._task.options(**options).remote(work, cell).future()

    def close(self) -> None:
        if self._owns_cluster and self._ray.is_initialized():
            self._ray.shutdown()


def _missing_resources(cell: Cell, cluster: dict[str, float]) -> str:
    """What a cell asks for beyond the whole cluster ("" when it fits somewhere in total)."""
    wants = {"CPU": cell.resources.num_cpus, "GPU": cell.resources.num_gpus}
    return ", ".join(
        f"{amount:g} {kind} wanted, {cluster.get(kind, 0):g} in the cluster"
        for kind, amount in wants.items()
        if amount > cluster.get(kind, 0)
    )


def _runtime_env(address: str | None) -> dict[str, Any] | None:
    """A local cluster's workers import this checkout as the driver does (``PYTHONPATH``);
    a remote cluster's nodes have the package installed (docs/scaling.md)."""
    if address:
        return None
    import evals

    root = os.path.dirname(os.path.dirname(os.path.abspath(evals.__file__)))
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}}
