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
  positions; None without a limit — :mod:`evals.limit`), judge;
- ``versions``: this suite's version and git commit, lm-eval's version (recorded; lm-eval's is
  compared, the suite's own code is compared through the code hashes above).

Two results are comparable iff their specs agree on every field outside ``model`` (and outside
``versions.suite``/``versions.git_commit``): :func:`first_difference` names the first field that
does not. The request cache keys answers by :func:`model_fingerprint`; the matrix reuses a
stored run only when its spec equals the one it would write; the gate refuses to compare what
:func:`first_difference` separates, unless told which fields to allow.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from evals.fingerprint import sha256_file, sha256_json, sha256_text
from evals.limit import item_sample
from evals.secrets import is_secret, redact_url

RUN_SPEC_FILE = "run_spec.json"
PACKAGE = Path(__file__).resolve().parent
FEWSHOT_SEED = 1234
"""The seed lm-eval's few-shot sampler gets (``fewshot_random_seed``)."""

OPERATIONAL_ARGS = frozenset(
    {"batch_size", "max_batch_size", "max_retries", "timeout", "num_concurrent", "device",
     "verify_certificate", "tokenized_requests"}
)  # fmt: skip
"""Backend arguments that change how requests are sent, never what is answered."""

_NOT_COMPARED = (("versions", "suite"), ("versions", "git_commit"))


def answer_args(args: Mapping[str, Any], *, local: bool = False) -> dict[str, Any]:
    """The backend arguments that can change an answer (no secrets, nothing operational; for
    local weights — a GGUF file or a model folder, named by their content hash — not their
    path, which depends on where they happen to lie or on the cache location)."""
    return {
        k: redact_url(v) if isinstance(v, str) and "://" in v else v
        for k, v in sorted(args.items())
        if not is_secret(k) and k not in OPERATIONAL_ARGS and not (local and k == "pretrained")
    }  # fmt: skip


def model_spec_part(
    *, backend: str, model_hash: str, model_args: Mapping[str, Any],
    chat_template_sha256: str | None, local: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The ``model`` part of a run spec."""
    return {
        "backend": backend,
        "model_hash": redact_url(model_hash),
        "pinned": not model_hash.partition("+peft:")[0].endswith("@unpinned"),
        "model_args": answer_args(model_args, local=local),
        "chat_template_sha256": chat_template_sha256,
    }


def model_fingerprint(model_part: Mapping[str, Any]) -> str:
    """Short hash of the ``model`` part: the request cache's namespace and the variant id."""
    return sha256_json(dict(model_part))[:16]


@cache
def _source_hash(stamps: tuple[tuple[str, int, int], ...]) -> str:
    """Hash of source files, memoised on (path, size, mtime): an edit gives a new hash."""
    return sha256_text(
        "".join(f"{Path(p).name}:{sha256_text(Path(p).read_text('utf-8'))}" for p, _, _ in stamps)
    )


def is_evaluate_module(path: Path) -> bool:
    """Whether a task folder's Python file is its metric as a Hugging Face ``evaluate`` module:
    named after the folder (``tasks/ner/ner.py``, what ``evaluate.load`` of the folder reads)
    and defining an ``evaluate.Metric``. lm-eval and the runners never import it."""
    if path.stem != path.parent.name:
        return False
    try:
        return "(evaluate.Metric)" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def code_sha256(folder: Path, kind: str) -> str:
    """Hash of the code that prompts and scores a use case: its folder's Python files, the
    shared metric, reducer and data-converter modules, and the runner that drives it. Not the
    folder's ``evaluate`` module (:func:`is_evaluate_module`): no run calls it, so editing it
    leaves stored runs comparable."""
    runner = PACKAGE / ("multiturn.py" if kind == "multiturn" else "lm_eval_tasks.py")
    paths = (
        *sorted(p for p in folder.glob("*.py") if not is_evaluate_module(p)),
        *sorted((PACKAGE / "metrics").glob("*.py")),
        *sorted((PACKAGE / "benchmarks").glob("*.py")),
        *sorted((PACKAGE / "usecases").glob("*.py")),
        PACKAGE / "statistics.py", PACKAGE / "judge.py", PACKAGE / "data.py", runner,
    )  # fmt: skip
    files = [p for p in paths if p.is_file()]
    return _source_hash(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))


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
) -> dict[str, Any]:
    """One use case's entry in ``tasks``."""
    shots = 0 if prompt_mode == "chat" else use_case.fewshot_completion
    generation = use_case.generation
    return {
        "version": use_case.version,
        "kind": use_case.kind,
        "group": use_case.group or use_case.name,
        "config_sha256": use_case.config_sha256,
        "code_sha256": code_sha256(use_case.folder, use_case.kind),
        "data_sha256": use_case.data_sha256,
        "dataset": use_case.data_provenance,
        "prompt_mode": prompt_mode,
        "num_fewshot": shots,
        "fewshot_pool_sha256": fewshot_pool_sha256(use_case) if shots else None,
        "fewshot_seed": FEWSHOT_SEED if shots else None,
        "generation": generation,
        "limit": limit,
        "sampling": sample.to_spec() if (sample := item_sample(use_case, limit)) else None,
        "judge": None if judge is None else {
            k: judge.get(k) for k in ("name", "fingerprint", "max_tokens")
        },
    }  # fmt: skip


def git_commit() -> str | None:
    """The checkout's commit, when this suite runs from a git checkout (else None)."""
    try:
        out = subprocess.run(["git", "-C", str(PACKAGE), "rev-parse", "HEAD"], check=True,
                             capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def build_run_spec(
    model_part: Mapping[str, Any],
    use_cases: Iterable[Any],
    *,
    prompt_mode: str,
    limit: int | None,
    judge: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run spec of a run (see the module docstring)."""
    from evals.runner import lm_eval_version, suite_version

    judged = {uc.name for uc in use_cases if judge is not None and "judge_prompts" in uc.config}
    return {
        "model": dict(model_part),
        "fingerprint": model_fingerprint(model_part),
        "tasks": {
            uc.name: task_spec_part(
                uc, prompt_mode=prompt_mode, limit=limit, judge=judge if uc.name in judged else None
            )
            for uc in use_cases
        },
        "versions": {
            "suite": suite_version(),
            "git_commit": git_commit(),
            "lm_eval": lm_eval_version(),
        },
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in sorted(value):
            out.update(_flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    return {prefix: value}


def comparable_part(spec: Mapping[str, Any], tasks: Sequence[str] | None = None) -> dict:
    """What must agree for two results to be compared: everything but the model, for the
    given tasks (default: all of the spec's)."""
    chosen = spec["tasks"] if tasks is None else {t: spec["tasks"].get(t) for t in tasks}
    versions = {k: v for k, v in spec["versions"].items()
                if ("versions", k) not in _NOT_COMPARED}  # fmt: skip
    return {"tasks": chosen, "versions": versions}


def first_difference(
    a: Mapping[str, Any], b: Mapping[str, Any], *, tasks: Sequence[str] | None = None,
    allow: Iterable[str] = (),
) -> tuple[str, Any, Any] | None:  # fmt: skip
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


def unknown_fields(specs: Sequence[Mapping[str, Any]], allow: Iterable[str]) -> list[str]:
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
