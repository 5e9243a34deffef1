"""The run spec: the one definition of what makes two results comparable.

Written as ``run_spec.json`` into every run folder before the first request. It holds:

- ``model``: what answered — backend, the model's content identity (file or folder SHA-256,
  the resolved hub commit, or ``server:url#model``), whether that identity is pinned, every
  backend argument that can change an answer (secrets and operational settings such as retries
  and timeouts left out; a GGUF's converted-folder path left out, since the file hash names
  it), the chat template's hash;
- ``tasks``: per use case or benchmark — task version, YAML config hash, the hash of the code
  that builds prompts and scores them (the use case's hooks, the shared metric, reducer and
  converter modules, the runner that drives it), data hash and provenance, prompt mode,
  few-shot count, few-shot pool hash and seed, generation settings, item limit and the sample
  it draws (``sampling``: method, seed, limit, items and clusters drawn, a hash of the
  positions; None without a limit — :mod:`evals.runs.limit`), judge;
- ``versions``: this suite's version and git commit, lm-eval's version (recorded; lm-eval's is
  compared, the suite's own code is compared through the code hashes above).

Two results are comparable iff their specs agree on every field outside ``model`` (and outside
``versions.suite``/``versions.git_commit``): :func:`first_difference` names the first field that
does not. The request cache keys answers by :func:`model_fingerprint`; the matrix reuses a
stored run only when its spec equals the one it would write; the gate refuses to compare what
:func:`first_difference` separates, unless told which fields to allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from evals.fingerprint import sha256_file, sha256_json, sha256_text
from evals.models.identity import model_fingerprint
from evals.runs.limit import item_sample
from evals.versions import code_sha256, git_commit, lm_eval_version, suite_version

RUN_SPEC_FILE = "run_spec.json"
FEWSHOT_SEED = 1234
"""The seed lm-eval's few-shot sampler gets (``fewshot_random_seed``)."""

_NOT_COMPARED = (("versions", "suite"), ("versions", "git_commit"))


@dataclass(frozen=True)
class TaskSpec:
    """One use case's entry in ``tasks``: everything about it that makes two results
    comparable. A field a spec lacks (written before the field existed, or by hand) reads as
    None, which is how a comparison has always treated a missing field."""

    version: str | None = None
    """The use case's config version."""

    kind: str | None = None
    """``single`` or ``multiturn``."""

    group: str | None = None
    """The use case measured (``sentiment`` for ``sst2``)."""

    config_sha256: str | None = None
    """Hash of the parsed task configs."""

    code_sha256: str | None = None
    """Hash of the code that builds prompts and scores them (:func:`evals.versions.code_sha256`)."""

    data_sha256: str | None = None
    """Hash of the data files (or the hub revision's identity)."""

    dataset: dict[str, Any] | None = None
    """Data provenance."""

    prompt_mode: str | None = None
    """``completion`` or ``chat``."""

    num_fewshot: int | None = None
    """Few-shot examples per prompt."""

    fewshot_pool_sha256: str | None = None
    """Hash of the few-shot pool (None: zero-shot)."""

    fewshot_seed: int | None = None
    """The seed of lm-eval's few-shot sampler (None: zero-shot)."""

    generation: dict[str, Any] | None = None
    """Generation settings."""

    limit: int | None = None
    """Item limit (None: every item)."""

    sampling: dict[str, Any] | None = None
    """The item sample a limit draws (:meth:`evals.runs.limit.ItemSample.to_spec`)."""

    judge: dict[str, Any] | None = None
    """The judge's name, fingerprint and token budget, when a judge grades this use case."""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TaskSpec:
        """Read back what :meth:`to_dict` wrote; fields this suite does not know are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written into ``run_spec.json``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RunSpec:
    """``run_spec.json``: what answered, on what, under which settings (the module docstring)."""

    model: dict[str, Any]
    """The model part (:func:`evals.models.identity.model_spec_part`)."""

    fingerprint: str
    """:func:`evals.models.identity.model_fingerprint` of the model part."""

    tasks: dict[str, TaskSpec]
    """Per use case or benchmark, in the order they ran."""

    versions: dict[str, str | None]
    """``suite``, ``git_commit`` and ``lm_eval``."""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RunSpec:
        """Read back what :meth:`to_dict` wrote. Raises ValueError on anything else."""
        try:
            tasks = raw["tasks"]
            if not isinstance(tasks, Mapping) or not isinstance(raw["model"], Mapping):
                raise TypeError("tasks and model must be objects")
            return cls(
                model=dict(raw["model"]),
                fingerprint=str(raw.get("fingerprint") or ""),
                tasks={str(k): TaskSpec.from_dict(v) for k, v in tasks.items()},
                versions=dict(raw.get("versions") or {}),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise ValueError(f"not a run spec ({type(err).__name__}: {err})") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written into ``run_spec.json``."""
        return {
            "model": self.model,
            "fingerprint": self.fingerprint,
            "tasks": {name: task.to_dict() for name, task in self.tasks.items()},
            "versions": self.versions,
        }


def fewshot_pool_sha256(use_case: Any) -> str | None:
    """Hash of the few-shot pool a completion-mode prompt draws from (None: zero-shot)."""
    if not use_case.fewshot_completion:
        return None
    if use_case.kind == "multiturn":
        path = use_case.config.get("fewshot")
        return sha256_file(use_case.folder / path) if path else None
    if use_case.benchmark:
        return sha256_json(["benchmark-fewshot", use_case.data_sha256])
    shots = [p for p in use_case.data_files if p.name.startswith("fewshot")]
    return sha256_text("".join(sha256_file(p) for p in shots)) if shots else None


def task_spec_part(
    use_case: Any, *, prompt_mode: str, limit: int | None, judge: Mapping[str, Any] | None
) -> TaskSpec:
    """One use case's entry in ``tasks``."""
    shots = 0 if prompt_mode == "chat" else use_case.fewshot_completion
    sample = item_sample(use_case, limit)
    return TaskSpec(
        version=use_case.version,
        kind=use_case.kind,
        group=use_case.group or use_case.name,
        config_sha256=use_case.config_sha256,
        code_sha256=code_sha256(use_case.folder, use_case.kind),
        data_sha256=use_case.data_sha256,
        dataset=use_case.data_provenance,
        prompt_mode=prompt_mode,
        num_fewshot=shots,
        fewshot_pool_sha256=fewshot_pool_sha256(use_case) if shots else None,
        fewshot_seed=FEWSHOT_SEED if shots else None,
        generation=use_case.generation,
        limit=limit,
        sampling=sample.to_spec() if sample else None,
        judge=None
        if judge is None
        else {k: judge.get(k) for k in ("name", "fingerprint", "max_tokens")},
    )


def build_run_spec(
    model_part: Mapping[str, Any],
    use_cases: Iterable[Any],
    *,
    prompt_mode: str,
    limit: int | None,
    judge: Mapping[str, Any] | None = None,
) -> RunSpec:
    """The run spec of a run (see the module docstring)."""
    judged = {uc.name for uc in use_cases if judge is not None and "judge_prompts" in uc.config}
    return RunSpec(
        model=dict(model_part),
        fingerprint=model_fingerprint(model_part),
        tasks={
            uc.name: task_spec_part(
                uc, prompt_mode=prompt_mode, limit=limit, judge=judge if uc.name in judged else None
            )
            for uc in use_cases
        },
        versions={
            "suite": suite_version(),
            "git_commit": git_commit(),
            "lm_eval": lm_eval_version(),
        },
    )


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    return {prefix: value}


def comparable_part(spec: RunSpec, tasks: Sequence[str] | None = None) -> dict[str, Any]:
    """What must agree for two results to be compared: everything but the model, for the
    given tasks (default: all of the spec's)."""
    names = list(spec.tasks) if tasks is None else list(tasks)
    chosen = {t: spec.tasks[t].to_dict() if t in spec.tasks else None for t in names}
    versions = {k: v for k, v in spec.versions.items() if ("versions", k) not in _NOT_COMPARED}
    return {"tasks": chosen, "versions": versions}


def first_difference(
    a: RunSpec,
    b: RunSpec,
    *,
    tasks: Sequence[str] | None = None,
    allow: Iterable[str] = (),
) -> tuple[str, Any, Any] | None:
    """The first field (dotted path) on which two specs' comparable parts differ, with both
    values; None when they agree. A field in ``allow`` (or below it: ``generation`` allows
    ``tasks.x.generation.max_gen_toks``; a bare name matches in any task) is skipped."""
    allowed = tuple(allow)
    left = _flatten(comparable_part(a, tasks))
    right = _flatten(comparable_part(b, tasks))
    for key in sorted(set(left) | set(right)):
        if _allowed(key, allowed):
            continue
        if left.get(key) != right.get(key):
            return key, left.get(key), right.get(key)
    return None


def unknown_fields(specs: Sequence[RunSpec], allow: Iterable[str]) -> list[str]:
    """The names in ``allow`` that match no comparable field of any of ``specs`` (a typo in
    ``--allow-different`` would otherwise allow nothing, silently)."""
    keys = [k for spec in specs for k in _flatten(comparable_part(spec))]
    return [field for field in allow if not any(_allowed(k, (field,)) for k in keys)]


def _allowed(key: str, allowed: Sequence[str]) -> bool:
    parts = key.split(".")
    for field in allowed:
        if key == field or key.startswith(field + "."):
            return True
        if field in parts:  # a bare field name, e.g. "lm_eval" or "generation"
            return True
    return False
