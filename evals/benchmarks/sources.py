"""Where a benchmark's records come from in a run (``DATA_DIR`` or the hub), the
``datasets.DatasetDict`` lm-eval gets, and the provenance recorded in results.

Options reach here from three places, first found wins: the task's lm-eval ``metadata`` (our
runner, or ``lm_eval --metadata '{"data_dir": "..."}'``), then the environment
(``EVALS_DATA_DIR``, ``EVALS_DATA_SOURCE``, ``EVALS_DATA_REVISION``), then the default
(local files, no directory: an error saying how to set one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.benchmarks import (
    REPO,
    Records,
    check_files,
    disjoint_pool,
    get_benchmark,
    load_local,
)
from evals.errors import DataError
from evals.fingerprint import sha256_file


@dataclass(frozen=True)
class DataSource:
    """Where benchmark data is read from in this run."""

    kind: str
    """``local`` (published files under ``data_dir``) or ``hub`` (``datasets``)."""

    data_dir: Path | None = None
    """The folder holding local copies (``DATA_DIR``)."""

    revision: str | None = None
    """Hub revision to load (a commit SHA pins it; default: the head, resolved and recorded)."""

    def to_metadata(self) -> dict[str, str]:
        """As lm-eval task metadata (what the ``custom_dataset`` hooks receive)."""
        out = {"data_source": self.kind}
        if self.data_dir is not None:
            out["data_dir"] = str(self.data_dir)
        if self.revision:
            out["data_revision"] = self.revision
        return out


def resolve_source(options: Mapping[str, Any] | None = None) -> DataSource:
    """The data source from task metadata, then the environment."""
    options = options or {}
    kind = str(options.get("data_source") or os.environ.get("EVALS_DATA_SOURCE") or "local")
    if kind not in ("local", "hub"):
        raise DataError(f"DATA_SOURCE must be 'local' or 'hub', not {kind!r}")
    data_dir = options.get("data_dir") or os.environ.get("EVALS_DATA_DIR") or None
    revision = options.get("data_revision") or os.environ.get("EVALS_DATA_REVISION") or None
    return DataSource(kind, Path(data_dir).expanduser() if data_dir else None, revision)


def _local_dir(name: str, source: DataSource) -> Path:
    if source.data_dir is None:
        benchmark = get_benchmark(name)
        raise DataError(
            f"{name}: no DATA_DIR set; it needs {', '.join(benchmark.files)} (from "
            f"{benchmark.source}) under DATA_DIR, e.g. DATA_DIR=../shared/data, or DATA_SOURCE=hub"
        )
    if not source.data_dir.is_dir():
        raise DataError(f"{name}: DATA_DIR {source.data_dir} is not a folder")
    return source.data_dir


def benchmark_records(name: str, source: DataSource) -> tuple[Records, Records | None]:
    """Scored records and few-shot records (None: the benchmark has no few-shot pool). Local
    pools never hold a scored item (:func:`evals.benchmarks.load_local`); a hub pool is a
    split of its own, and :func:`benchmark_dataset` removes any scored item from it too."""
    if source.kind == "hub":
        from evals.benchmarks.hub import load_hub

        return load_hub(get_benchmark(name), source.revision)
    return load_local(name, _local_dir(name, source))


def provenance(name: str, source: DataSource) -> dict[str, Any]:
    """What identifies the data a run scored: name, split, and file hashes or hub revision."""
    benchmark = get_benchmark(name)
    out: dict[str, Any] = {"benchmark": name, "split": benchmark.split, "source": source.kind}
    if source.kind == "hub":
        from evals.benchmarks.hub import hub_provenance

        return out | hub_provenance(benchmark, source.revision)
    data_dir = _local_dir(name, source)
    paths = check_files(benchmark, data_dir)
    out["files"] = {str(p.relative_to(data_dir)): sha256_file(p) for p in paths}
    if benchmark.fewshot_pool:
        out["fewshot"] = {"pool": benchmark.fewshot_pool} | (
            {"files": {p: sha256_file(REPO / p) for p in benchmark.fewshot_bundled}}
            if benchmark.fewshot_bundled
            else {}
        )
    return out


def as_dataset_dict(name: str, records: Records, fewshot: Records | None) -> Any:
    """``test`` (the scored records) and ``fewshot`` splits (``test`` alone when ``fewshot`` is
    None: a zero-shot benchmark). The few-shot split is never the
    scored one: lm-eval leaves out the item being scored only when the two splits have the same
    name, so a scored split handed over as ``fewshot`` would show items their own answers."""
    import datasets

    if fewshot is None:  # a zero-shot benchmark (HumanEval, MBPP): no pool at all
        return datasets.DatasetDict({"test": datasets.Dataset.from_list(records)})
    if not fewshot:
        raise DataError(f"{name}: no few-shot examples apart from the scored items")
    return datasets.DatasetDict(
        {
            "test": datasets.Dataset.from_list(records),
            "fewshot": datasets.Dataset.from_list(fewshot),
        }
    )


def benchmark_dataset(name: str, **metadata: Any) -> Any:
    """The lm-eval ``custom_dataset`` body shared by every benchmark task: the scored records
    and a few-shot pool from which every scored item is removed (by id and text)."""
    records, fewshot = benchmark_records(name, resolve_source(metadata))
    use_case = get_benchmark(name).use_case
    pool = None if fewshot is None else disjoint_pool(use_case, records, fewshot)
    return as_dataset_dict(name, records, pool)
