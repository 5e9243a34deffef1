"""Real public benchmarks, read from a local copy in each dataset's own published format and
converted once into the record schema of its use case (``tasks/README.md``).

``DATA_DIR`` holds the copies (here ``../shared/data``; its README gives the layout). A missing
file is one clear error naming the path looked for and where the dataset is published. Wiring
these into ``make eval SUITE=standard`` and the hub path (``datasets`` with pinned revisions)
are the next steps of this module; the converters below are what both will share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.errors import DataError

Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Benchmark:
    """A real dataset for one use case."""

    name: str
    """Short name (``sst2``, ``conll2003``, ...)."""

    use_case: str
    """The use case whose record schema it converts to."""

    files: tuple[str, ...]
    """Files it reads, relative to ``DATA_DIR``."""

    source: str
    """Where the dataset is published (shown when a file is missing)."""

    metric: str
    """The benchmark's official or customary primary metric."""

    convert: Callable[[Path], Records]
    """Reads ``DATA_DIR`` and returns records in the use case's schema."""

    labels: tuple[str, ...] = ()
    """Label set (sentiment) or entity types (NER)."""


REGISTRY: dict[str, Benchmark] = {}


def register(benchmark: Benchmark) -> Benchmark:
    """Add a benchmark to the registry (module import time)."""
    REGISTRY[benchmark.name] = benchmark
    return benchmark


def load_benchmark(name: str, data_dir: Path) -> Records:
    """Records of a benchmark from ``data_dir``, converted to its use case's schema."""
    _import_all()
    if name not in REGISTRY:
        raise DataError(f"unknown benchmark {name!r}; known: {', '.join(sorted(REGISTRY))}")
    benchmark = REGISTRY[name]
    for relative in benchmark.files:
        path = Path(data_dir) / relative
        if not path.is_file():
            raise DataError(
                f"{name}: {path} not found; get it from {benchmark.source} and set DATA_DIR"
            )
    records = benchmark.convert(Path(data_dir))
    if not records:
        raise DataError(f"{name}: no records read from {data_dir}")
    return records


def _import_all() -> None:
    from evals.benchmarks import ner, qa, sentiment, summarization  # noqa: F401
