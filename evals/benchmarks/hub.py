"""The hub path: a benchmark loaded with ``datasets.load_dataset`` at a pinned revision.

For users who have the Hugging Face hub; tests and the default path never come here. A
revision given as a 40-hex commit SHA (``DATA_REVISION``) is used as is. Without one, the
dataset's current head is resolved to its commit SHA *before* loading, the data is loaded at
that SHA, and the SHA is recorded in the results: the run is pinned after the fact and can be
repeated exactly with ``DATA_REVISION=<sha>``. No SHA is hard-coded here, because none could be
checked from this offline machine.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from evals.benchmarks import Benchmark, Records
from evals.errors import DataError

_SHA = re.compile(r"^[0-9a-f]{40}$")


def _one_line(err: BaseException) -> str:
    """``err`` as one line: the hub's HTTP errors span several (status, URL, server message)."""
    return " ".join(str(err).split()) or type(err).__name__


def _hub(benchmark: Benchmark) -> Any:
    if benchmark.hub is None:
        raise DataError(
            f"{benchmark.name}: not on the hub in its published form; use DATA_SOURCE=local "
            f"with DATA_DIR holding {', '.join(benchmark.files)} (from {benchmark.source})"
        )
    return benchmark.hub


@lru_cache(maxsize=64)
def resolve_revision(path: str, revision: str | None) -> str:
    """A commit SHA for ``revision`` (a branch, tag, or None for the head)."""
    if revision and _SHA.match(revision):
        return revision
    name = revision or "main"
    try:
        from huggingface_hub import HfApi

        sha = HfApi().dataset_info(path, revision=name).sha
    except Exception as err:
        raise DataError(
            f"{path}: cannot resolve revision {name!r} on the hub ({_one_line(err)})"
        ) from None
    if not sha:
        raise DataError(f"{path}: the hub gave no commit SHA for {name!r}")
    return str(sha)


def load_hub(benchmark: Benchmark, revision: str | None) -> tuple[Records, Records | None]:
    """Scored and few-shot records from the hub, at a pinned commit."""
    hub = _hub(benchmark)
    sha = resolve_revision(hub.path, revision)
    try:
        import datasets

        scored = datasets.load_dataset(hub.path, hub.config, split=hub.split, revision=sha)
        shots = (
            datasets.load_dataset(
                hub.path, hub.config, split=f"{hub.fewshot_split}[:64]", revision=sha
            )
            if hub.fewshot_split
            else None
        )
    except Exception as err:
        raise DataError(
            f"{benchmark.name}: cannot load {hub.path}@{sha[:12]} ({_one_line(err)})"
        ) from None
    records = hub.convert(scored)
    if not records:
        raise DataError(f"{benchmark.name}: {hub.path} split {hub.split} is empty")
    return records, (hub.convert(shots) if shots is not None else None)


def hub_provenance(benchmark: Benchmark, revision: str | None) -> dict[str, Any]:
    """Hub id, configuration, split and the commit SHA loaded."""
    hub = _hub(benchmark)
    return {
        "hub_id": hub.path,
        "hub_config": hub.config,
        "hub_split": hub.split,
        "revision": resolve_revision(hub.path, revision),
    }
