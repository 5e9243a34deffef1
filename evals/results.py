"""The one report writer: run folders, per-use-case results with CIs, and samples files.

Layout: ``reports/runs/<variant-slug>/<timestamp>-<random>/`` holding ``results.json`` and one
``samples_<task>.jsonl`` per task. The folder is written as ``<name>.partial/`` and renamed
only when the run completes, so an interrupted run never leaves a results file that looks
complete; what it finished stays in the partial folder (samples and ``results.partial.json``).

Concurrent writers: a run folder is created by one ``mkdir`` that fails if the name is taken
(so two runs started in the same second never share one), every file is written whole
(:func:`atomic_write_text`), and files several processes rewrite (the reports' matrix and index,
a converted GGUF folder) are written under :func:`file_lock`. A file that cannot be written
(permission denied, disk full, a file where a folder should be) raises
:class:`evals.errors.OutputError` naming the path.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evals.decision import Estimate, estimate
from evals.errors import OutputError
from evals.fingerprint import sha256_json
from evals.statistics import item_statistics, reducer_for

RESULTS_FILE = "results.json"
PARTIAL_RESULTS_FILE = "results.partial.json"
SCHEMA_VERSION = 4  # 4: run_spec.json; 3: clusters, interval methods and trivial baselines


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see either the old content or the whole new content.

    Raises :class:`OutputError` naming ``path`` when it cannot be written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError as err:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise output_error(err, path) from None


def write_json(path: Path, value: Any) -> None:
    """Atomic, pretty JSON."""
    atomic_write_text(
        path, json.dumps(value, indent=2, ensure_ascii=False, default=_jsonable) + "\n"
    )


def output_error(err: OSError, path: Path) -> OutputError:
    """One line for a file that could not be written: the path and what the system said."""
    reason = err.strerror or str(err) or type(err).__name__
    return OutputError(f"cannot write {path}: {reason}")


_held_locks = threading.local()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock (``fcntl.flock`` on ``<path>.lock``) while writing ``path``.

    Other processes, and other threads of this one, wait until it is released; the same thread
    may take it again inside (no deadlock). The lock file stays: removing it would let a waiter
    and a newcomer lock two different files. POSIX only."""
    lock_path = path.with_name(f"{path.name}.lock").absolute()
    held: set[Path] | None = getattr(_held_locks, "paths", None)
    if held is None:
        held = _held_locks.paths = set()
    if lock_path in held:
        yield
        return
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise output_error(err, lock_path) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(lock_path)
        try:
            yield
        finally:
            held.discard(lock_path)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def reports_lock(reports_root: Path) -> AbstractContextManager[None]:
    """The one lock every writer of shared report files holds (``matrix.json``, ``matrix.md``,
    the family files and the site pages); its file lies in ``reports/families/``."""
    return file_lock(reports_root / "families" / ".reports")


def unique_folder(base: Path) -> Path:
    """Create and return ``base``, or ``base-2``, ``base-3``… if taken: one ``mkdir`` each that
    fails when the name exists, so concurrent callers never get the same folder."""
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise output_error(err, base.parent) from None
    for counter in range(1, 10_000):
        path = base if counter == 1 else base.with_name(f"{base.name}-{counter}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            raise output_error(err, path) from None
        return path
    raise OutputError(f"cannot write {base}: too many folders of that name")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def slugify(name: str) -> str:
    """A folder-safe version of a variant name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "model"


@dataclass(frozen=True)
class UseCaseResult:
    """Everything measured for one use case in one run."""

    use_case: str
    """Use case name (the ``tasks/`` folder)."""

    primary_metric: str
    """The metric the table, matrix and gate rank by."""

    primary_reducer: str
    """How the primary metric is computed from per-item statistics (:mod:`evals.statistics`)."""

    metrics: dict[str, Estimate]
    """Every metric with its 95% bootstrap CI (percent scale)."""

    invalid_rate: float
    """Percent of items whose output could not be parsed (scored as wrong)."""

    n: int
    """Items scored (dialogues for chat)."""

    prompt_mode: str
    """``completion`` or ``chat``."""

    num_fewshot: int
    """Few-shot examples in each prompt."""

    task_version: str
    """The use case's config version."""

    data_sha256: str
    """Hash of the data files."""

    config_sha256: str
    """Hash of the parsed task configs (prompts, generation settings, metrics)."""

    generation: dict[str, Any]
    """Generation settings of the primary task."""

    model_fingerprint: str
    """The variant's fingerprint (model hash, backend arguments, chat template)."""

    seconds: float
    """Wall time of this use case, model requests and scoring."""

    tasks: tuple[str, ...]
    """lm-eval task names run (or the multiturn use case's name)."""

    samples_files: tuple[str, ...] = ()
    """Sample files, relative to the run folder."""

    skipped_tasks: dict[str, str] = field(default_factory=dict)
    """Tasks not run, with why (e.g. loglikelihood on a chat API)."""

    group: str = ""
    """The use case measured (``sentiment`` for ``sst2``); empty means ``use_case``."""

    dataset: dict[str, Any] = field(default_factory=dict)
    """Data provenance: benchmark name, split, source, and file hashes or hub revision."""

    judge: dict[str, Any] | None = None
    """The judge model's identity and settings, when a judge graded the outputs."""

    interval_unit: str = "item"
    """What the intervals resample: ``item``, or the cluster items share (``passage``)."""

    clusters: int | None = None
    """Number of independent clusters when items share a context; None: items are the unit."""

    baselines: dict[str, Any] = field(default_factory=dict)
    """Trivial policies on the same items and the model's paired test against each
    (:func:`evals.baselines.baseline_summary`)."""

    @property
    def primary(self) -> Estimate:
        """The primary metric's estimate."""
        return self.metrics[self.primary_metric]

    @property
    def fingerprint(self) -> str:
        """Identity of this result: same fingerprint ⇒ same model, items, prompts and settings."""
        return sha256_json(
            [self.model_fingerprint, self.task_version, self.data_sha256, self.config_sha256,
             self.prompt_mode, self.num_fewshot, self.n]
            + ([self.judge.get("fingerprint")] if self.judge else [])
        )[:16]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "use_case": self.use_case,
            "primary_metric": self.primary_metric,
            "primary_reducer": self.primary_reducer,
            "primary": self.primary.to_dict(),
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "invalid_rate": self.invalid_rate,
            "n": self.n,
            "prompt_mode": self.prompt_mode,
            "num_fewshot": self.num_fewshot,
            "task_version": self.task_version,
            "data_sha256": self.data_sha256,
            "config_sha256": self.config_sha256,
            "generation": self.generation,
            "model_fingerprint": self.model_fingerprint,
            "fingerprint": self.fingerprint,
            "seconds": round(self.seconds, 3),
            "tasks": list(self.tasks),
            "samples_files": list(self.samples_files),
            "skipped_tasks": self.skipped_tasks,
            "group": self.group or self.use_case,
            "dataset": self.dataset,
            "judge": self.judge,
            "interval": {"unit": self.interval_unit, "clusters": self.clusters,
                         "method": self.primary.method, "confidence": 0.95},
            "baselines": self.baselines,
        }


def estimate_metrics(
    samples: Sequence[Mapping[str, Any]],
    metrics: Iterable[str],
    reducers: Mapping[str, str] | None = None,
    seed: int = 0,
) -> dict[str, Estimate]:
    """Every metric with its interval from the per-item ``scores`` of sample records (items
    with the same ``cluster`` are resampled together)."""
    out: dict[str, Estimate] = {}
    clusters = sample_clusters(samples)
    for metric in metrics:
        stats = item_statistics([s["scores"][metric] for s in samples])
        reducer = reducer_for(metric, dict(reducers or {}))
        out[metric] = estimate(stats, reducer, clusters=clusters, seed=seed)
    return out


def sample_clusters(samples: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """The records' cluster keys, or None when no record names one (each item its own)."""
    if not any(s.get("cluster") is not None for s in samples):
        return None
    return [str(s.get("cluster") or f"item:{s.get('doc_hash')}") for s in samples]


class RunFolder:
    """A run folder being written; renamed from ``.partial`` when :meth:`finish` is called.

    Its name is the UTC second the run started plus a random number, as in
    ``20250101T120000Z-042137``: names sort by time, and the folder is made by one ``mkdir`` that
    fails if the name exists, so runs started together (threads or processes) never share one."""

    def __init__(self, runs_root: Path, variant_name: str) -> None:
        parent = runs_root / slugify(variant_name)
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(err, parent) from None
        while True:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            name = f"{stamp}-{secrets.randbelow(1_000_000):06d}"
            path = parent / f"{name}.partial"
            if (parent / name).exists():
                continue  # taken by a finished run (its .partial was renamed away)
            try:
                path.mkdir()
            except FileExistsError:
                continue  # another run took this name first: draw again
            except OSError as err:
                raise output_error(err, path) from None
            break
        self.final_path = parent / name
        self.path = path

    def write_samples(self, task: str, records: Sequence[Mapping[str, Any]]) -> str:
        """Write one task's samples JSONL; returns its name relative to the folder."""
        name = f"samples_{task}.jsonl"
        text = "".join(json.dumps(r, ensure_ascii=False, default=_jsonable) + "\n" for r in records)
        atomic_write_text(self.path / name, text)
        return name

    def write_progress(self, results: Mapping[str, Any]) -> None:
        """Record what has finished so far (kept if the run dies)."""
        write_json(self.path / PARTIAL_RESULTS_FILE, results)

    def finish(self, results: Mapping[str, Any]) -> Path:
        """Write ``results.json`` and give the folder its final name."""
        write_json(self.path / RESULTS_FILE, results)
        try:
            (self.path / PARTIAL_RESULTS_FILE).unlink(missing_ok=True)
            self.path.rename(self.final_path)
        except OSError as err:
            raise output_error(err, self.final_path) from None
        self.path = self.final_path
        return self.final_path


def load_results(run_folder: Path) -> dict[str, Any]:
    """Read a finished run's ``results.json``."""
    path = run_folder / RESULTS_FILE
    return json.loads(path.read_text(encoding="utf-8"))
