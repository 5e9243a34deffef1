"""What a run measured: :class:`RunResults` (``results.json``), per use case
:class:`UseCaseResult`, and the intervals of its metrics from the per-item sample records. Where
and how they are written is :mod:`evals.runs.folder`; how a finished folder is read back,
:mod:`evals.runs.store`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.decision import Estimate, estimate
from evals.decision.units import few_units_note
from evals.fingerprint import sha256_json
from evals.models.loading import VariantIdentity
from evals.statistics import item_statistics, reducer_for


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
    (:func:`evals.engine.baselines.baseline_summary`)."""

    @property
    def few_units(self) -> str | None:
        """The "few clusters" note beside its n (:func:`evals.decision.units.few_units_note`)."""
        return few_units_note(self.n, self.clusters, self.interval_unit)

    @property
    def cluster_unit(self) -> str:
        """What this use case's clusters are (``passage``); ``cluster`` when its stored interval
        treated the items as their own units but a pairing finds clusters in the samples."""
        return "cluster" if self.interval_unit == "item" else self.interval_unit

    @property
    def primary(self) -> Estimate:
        """The primary metric's estimate."""
        return self.metrics[self.primary_metric]

    @property
    def fingerprint(self) -> str:
        """Identity of this result: same fingerprint ⇒ same model, items, prompts and settings."""
        return sha256_json(
            [
                self.model_fingerprint,
                self.task_version,
                self.data_sha256,
                self.config_sha256,
                self.prompt_mode,
                self.num_fewshot,
                self.n,
            ]
            + ([self.judge.get("fingerprint")] if self.judge else [])
        )[:16]

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> UseCaseResult:
        """Read back what :meth:`to_dict` wrote (a use case of ``results.json``)."""
        interval = entry.get("interval")
        interval = interval if isinstance(interval, Mapping) else {}  # older: none, or a name
        return cls(
            use_case=entry["use_case"],
            primary_metric=entry["primary_metric"],
            primary_reducer=entry["primary_reducer"],
            metrics={k: Estimate.from_dict(v) for k, v in entry["metrics"].items()},
            invalid_rate=float(entry["invalid_rate"]),
            n=int(entry["n"]),
            prompt_mode=entry["prompt_mode"],
            num_fewshot=int(entry["num_fewshot"]),
            task_version=entry["task_version"],
            data_sha256=entry["data_sha256"],
            config_sha256=entry["config_sha256"],
            generation=dict(entry["generation"]),
            model_fingerprint=entry["model_fingerprint"],
            seconds=float(entry.get("seconds") or 0.0),
            tasks=tuple(entry["tasks"]),
            samples_files=tuple(entry["samples_files"]),
            skipped_tasks=dict(entry.get("skipped_tasks") or {}),
            group="" if entry.get("group") == entry["use_case"] else entry.get("group") or "",
            dataset=dict(entry.get("dataset") or {}),
            judge=entry.get("judge"),
            interval_unit=str(interval.get("unit", "item")),
            clusters=interval.get("clusters"),
            baselines=dict(entry.get("baselines") or {}),
        )

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
            "interval": {
                "unit": self.interval_unit,
                "clusters": self.clusters,
                "method": self.primary.method,
                "confidence": 0.95,
            },
            "baselines": self.baselines,
        }


@dataclass(frozen=True)
class RunResults:
    """``results.json``: who answered, how, and what each use case measured. A run in progress
    writes it (incomplete) as ``results.partial.json`` after every use case."""

    model: VariantIdentity
    """Who answered."""

    model_fingerprint: str
    """The model's fingerprint as recorded when the run was made."""

    prompt_mode: str
    """``completion`` or ``chat``."""

    limit: int | None
    """Item limit per use case (None: every item)."""

    created_utc: str
    """When the run started (ISO 8601, UTC)."""

    use_cases: dict[str, UseCaseResult]
    """Per use case (or benchmark), in the order they ran."""

    schema_version: int
    """The results schema (:data:`evals.runs.folder.SCHEMA_VERSION`)."""

    suite: dict[str, str] = field(default_factory=dict)
    """This suite's name and version."""

    lm_eval_version: str = ""
    """lm-eval's version."""

    host: dict[str, str] = field(default_factory=dict)
    """Python version and machine."""

    run_spec_file: str = "run_spec.json"
    """The run spec beside it (:mod:`evals.runs.spec`)."""

    lm_eval: dict[str, Any] = field(default_factory=dict)
    """lm-eval's own per-task keys (versions, configs), by task."""

    complete: bool = False
    """True once every use case finished."""

    requests: dict[str, int] | None = None
    """Model requests answered from the cache and computed."""

    timings: dict[str, float] | None = None
    """Model load and evaluation seconds."""

    served_from: str | None = None
    """The stored run a warm run repeated (:mod:`evals.engine.warm`); None for a computed one."""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RunResults:
        """Read back what :meth:`to_dict` wrote; TypeError for a field of another type."""
        model = raw["model"]
        texts = ("name", "spec", "backend", "objective", "objective_source", "model_hash")
        wrong = [k for k in texts if not isinstance(model.get(k), str)]
        limit = raw.get("limit")
        if wrong or not isinstance(raw["prompt_mode"], str):
            raise TypeError(f"not text: {', '.join(wrong) or 'prompt_mode'}")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise TypeError(f"limit is not a whole number: {limit!r}")
        return cls(
            model=VariantIdentity.from_dict(model),
            model_fingerprint=str(model.get("fingerprint") or ""),
            prompt_mode=raw["prompt_mode"],
            limit=limit,
            created_utc=str(raw.get("created_utc") or ""),
            use_cases={str(k): UseCaseResult.from_dict(v) for k, v in raw["use_cases"].items()},
            schema_version=int(raw["schema_version"]),
            suite=dict(raw.get("suite") or {}),
            lm_eval_version=str(raw.get("lm_eval_version") or ""),
            host=dict(raw.get("host") or {}),
            run_spec_file=str(raw.get("run_spec") or "run_spec.json"),
            lm_eval=dict(raw.get("lm_eval") or {}),
            complete=bool(raw.get("complete")),
            requests=raw.get("requests"),
            timings=raw.get("timings"),
            served_from=raw.get("served_from"),
        )

    def model_dict(self) -> dict[str, Any]:
        """The ``model`` entry as recorded (its fingerprint the one the run was made with)."""
        return {**self.model.to_dict(), "fingerprint": self.model_fingerprint}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written into ``results.json``."""
        out: dict[str, Any] = {
            "schema_version": self.schema_version,
            "suite": self.suite,
            "lm_eval_version": self.lm_eval_version,
            "created_utc": self.created_utc,
            "host": self.host,
            "model": self.model_dict(),
            "run_spec": self.run_spec_file,
            "prompt_mode": self.prompt_mode,
            "limit": self.limit,
            "use_cases": {name: result.to_dict() for name, result in self.use_cases.items()},
            "lm_eval": self.lm_eval,
            "complete": self.complete,
            "requests": self.requests,
            "timings": self.timings,
        }
        if self.served_from is not None:
            out["served_from"] = self.served_from
        return out


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
        if not all(metric in s["scores"] for s in samples):
            continue  # reported only for some settings (pass@10 needs 10 samples per item)
        stats = item_statistics([s["scores"][metric] for s in samples])
        reducer = reducer_for(metric, dict(reducers or {}))
        out[metric] = estimate(stats, reducer, clusters=clusters, seed=seed)
    return out


def sample_clusters(samples: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """The records' cluster keys, or None when no record names one (each item its own)."""
    if not any(s.get("cluster") is not None for s in samples):
        return None
    return [str(s.get("cluster") or f"item:{s.get('doc_hash')}") for s in samples]
