"""One evaluation run: a variant through the chosen use cases, into a run folder."""

from __future__ import annotations

import logging
import platform
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evals.engine.baselines import baseline_summary, compare_to_baselines, policy_statistics
from evals.engine.judge import Judge
from evals.engine.lm_eval_tasks import run_task
from evals.engine.multiturn import run_dialogues
from evals.errors import BackendError, EvalsError, OutputError, is_file_error
from evals.files import write_json
from evals.models.loading import (
    SERVER_TIMEOUT,
    LoadedModel,
    PromptMode,
    VariantIdentity,
    resolve_prompt_mode,
)
from evals.runs.folder import SCHEMA_VERSION, RunFolder
from evals.runs.limit import item_sample
from evals.runs.results import RunResults, UseCaseResult, estimate_metrics, sample_clusters
from evals.runs.spec import RUN_SPEC_FILE, build_run_spec
from evals.statistics import item_statistics, reducer_for
from evals.usecases import UseCase
from evals.versions import SUITE_NAME, lm_eval_version, suite_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """What the user asked for, beyond the model."""

    limit: int | None = None
    """Score N items of each use case, a seeded sample spread over its clusters
    (:mod:`evals.runs.limit`); None: every item."""

    prompt_mode: str | None = None
    """``completion`` / ``chat`` override (default: from the objective)."""

    runs_root: Path = Path("reports/runs")
    """Where run folders go."""

    judge: Judge | None = None
    """A judge model for use cases graded by one (MT-Bench); None: reference scoring only."""


@dataclass(frozen=True)
class RunOutcome:
    """A finished run."""

    folder: Path
    """The run folder."""

    identity: VariantIdentity
    """Who answered."""

    prompt_mode: PromptMode
    """How prompts were formatted."""

    use_cases: tuple[UseCaseResult, ...]
    """One result per use case, in the order run."""


def evaluate_use_case(
    model: LoadedModel,
    use_case: UseCase,
    mode: PromptMode,
    limit: int | None,
    folder: RunFolder,
    judge: Judge | None = None,
) -> tuple[UseCaseResult, dict[str, Any]]:
    """Run one use case (``limit``: on the items :func:`evals.runs.limit.item_sample` draws); write
    its samples; return its result and lm-eval's raw keys."""
    started = time.perf_counter()
    sample = item_sample(use_case, limit)
    items = None  # every item
    if sample is not None and len(sample.positions) < sample.of_items:
        items = sample.positions
    lm_eval_keys: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    metrics = {}
    samples_files = []
    n = 0
    invalid_rate = 0.0
    primary_records: list[dict[str, Any]] = []
    primary = use_case.primary_metric
    judged = judge is not None and "judge_prompts" in use_case.config
    if use_case.kind == "multiturn":
        if not judged:
            primary = str(use_case.config.get("primary_metric_without_judge", primary))
        records = run_dialogues(model, use_case, mode, items, judge if judged else None)
        primary_records = records
        samples_files.append(folder.write_samples(use_case.name, records))
        names = list(records[0]["scores"]) if records else []
        metrics = estimate_metrics(records, names, use_case.reducers)
        n = len(records)
        tasks: tuple[str, ...] = (use_case.name,)
        generation = dict(use_case.config.get("generation", {}))
    else:
        ran: list[str] = []
        generation = use_case.generation
        for task in use_case.tasks:
            if task.needs_loglikelihood and not model.supports_loglikelihood:
                skipped[task.name] = (
                    "no loglikelihoods from this backend (chat API or no tokenizer)"
                )
                continue
            keys, records = run_task(model, use_case, task, mode, items)
            annotate_clusters(use_case, records)
            ran.append(task.name)
            lm_eval_keys[task.name] = keys
            samples_files.append(folder.write_samples(task.name, records))
            metrics.update(estimate_metrics(records, task.metrics, use_case.reducers))
            if task is use_case.tasks[0]:
                n = len(records)
                primary_records = records
        tasks = tuple(ran)
    if use_case.invalid_metric in metrics:
        invalid_rate = metrics.pop(use_case.invalid_metric).value
    primary_reducer = reducer_for(primary, use_case.reducers)
    clusters = sample_clusters(primary_records)
    comparisons = (
        compare_to_baselines(
            item_statistics([r["scores"][primary] for r in primary_records]),
            policy_statistics(use_case, primary_records, primary),
            primary_reducer,
            clusters,
        )
        if primary_records and primary in metrics
        else []
    )
    result = UseCaseResult(
        use_case=use_case.name,
        primary_metric=primary,
        primary_reducer=primary_reducer,
        metrics=metrics,
        invalid_rate=invalid_rate,
        n=n,
        prompt_mode=mode.value,
        num_fewshot=0 if mode is PromptMode.CHAT else use_case.fewshot_completion,
        task_version=use_case.version,
        data_sha256=use_case.data_sha256,
        config_sha256=use_case.config_sha256,
        generation=generation,
        model_fingerprint=model.identity.fingerprint,
        seconds=time.perf_counter() - started,
        tasks=tasks,
        samples_files=tuple(samples_files),
        skipped_tasks=skipped,
        group=use_case.group or use_case.name,
        dataset=use_case.data_provenance,
        judge=judge.identity() if judged and judge is not None else None,
        interval_unit=use_case.cluster.unit if clusters and use_case.cluster else "item",
        clusters=len(set(clusters)) if clusters else None,
        baselines=baseline_summary(comparisons),
    )
    return result, lm_eval_keys


def annotate_clusters(use_case: UseCase, records: list[dict[str, Any]]) -> None:
    """Give each record the cluster its item shares with others (the use case's ``cluster``,
    e.g. the passage of a reading-comprehension question); none defined, no cluster."""
    if use_case.cluster is None:
        return
    for record in records:
        record["cluster"] = use_case.cluster.key(record["doc"])


def preflight(use_cases: list[UseCase]) -> None:
    """Read and check every data row of every use case before any model loads, so a bad row
    costs seconds, not a model load and the use cases before it (one line, exit 2)."""
    for use_case in use_cases:
        if use_case.definition.preflight is not None:  # e.g. code: a sandbox to run it in
            use_case.definition.preflight()
        if use_case.kind == "multiturn":
            use_case.load_dialogues()
        else:
            use_case.primary_task.definition.loader(**use_case.task_metadata())


def run_evaluation(
    model: LoadedModel, use_cases: list[UseCase], settings: RunSettings
) -> RunOutcome:
    """Evaluate ``model`` on ``use_cases``. Each finished use case is written at once; a failure
    leaves them in the ``.partial`` folder and is re-raised as one clear line."""
    mode = resolve_prompt_mode(model.identity, settings.prompt_mode)
    folder = RunFolder(settings.runs_root, model.identity.name)
    judge = settings.judge.identity() if settings.judge is not None else None
    spec = build_run_spec(
        model.identity.spec_part,
        use_cases,
        prompt_mode=mode.value,
        limit=settings.limit,
        judge=judge,
    )
    write_json(folder.path / RUN_SPEC_FILE, spec.to_dict())  # before the first request
    started = time.perf_counter()
    document = RunResults(
        model=model.identity,
        model_fingerprint=model.identity.fingerprint,
        prompt_mode=mode.value,
        limit=settings.limit,
        created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        use_cases={},
        schema_version=SCHEMA_VERSION,
        suite={"name": SUITE_NAME, "version": suite_version()},
        lm_eval_version=lm_eval_version(),
        host={"python": platform.python_version(), "machine": platform.machine()},
        run_spec_file=RUN_SPEC_FILE,
    )
    results: list[UseCaseResult] = []
    for use_case in use_cases:
        log.info("use case %s (%s, %s mode)", use_case.name, use_case.kind, mode.value)
        try:
            result, lm_eval_keys = evaluate_use_case(
                model, use_case, mode, settings.limit, folder, settings.judge
            )
        except KeyboardInterrupt as err:
            err.folder = folder.path  # type: ignore[attr-defined]  # named by the CLI
            raise
        except EvalsError as err:
            raise type(err)(f"{err} (finished use cases kept in {folder.path})") from None
        except OSError as err:
            kept = f"(finished use cases kept in {folder.path})"
            if not is_file_error(err):  # a connection, a timeout: the backend
                hint = (
                    " (no answer in time: MODEL_ARGS=timeout=SECONDS sets the wait per "
                    f"request, default {SERVER_TIMEOUT} s)"
                    if "timeout" in f"{type(err).__name__} {err}".lower()
                    or "timed out" in str(err).lower()
                    else ""
                )
                raise BackendError(
                    f"model backend failed during {use_case.name}: {err}{hint} {kept}"
                ) from None
            # A full disk, a denied permission, a file where a folder should be: the files.
            path = Path(str(err.filename)) if err.filename is not None else folder.path
            ours = folder.path.absolute() in (path.absolute(), *path.absolute().parents)
            action = "write" if ours else "access"
            reason = err.strerror or str(err) or type(err).__name__
            raise OutputError(f"cannot {action} {path}: {reason} {kept}") from None
        results.append(result)
        document = replace(
            document,
            use_cases={**document.use_cases, use_case.name: result},
            lm_eval={**document.lm_eval, **lm_eval_keys},
        )
        folder.write_progress(document.to_dict())
    stats = getattr(model.lm, "stats", None)
    document = replace(
        document,
        complete=True,
        requests=stats.to_dict() if stats is not None else None,
        timings={
            "model_load_seconds": round(model.load_seconds, 3),
            "evaluation_seconds": round(time.perf_counter() - started, 3),
        },
    )
    path = folder.finish(document.to_dict())
    return RunOutcome(path, model.identity, mode, tuple(results))
