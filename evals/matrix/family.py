"""Model families: the variants to compare, from a YAML file or a list of specs.

A family file::

    name: smollm2-135m
    title: SmolLM2-135M, base vs instruct
    note: free text shown on the page
    variants:
      - name: SmolLM2-135M               # display name (default: read from the spec)
        model: HuggingFaceTB/SmolLM2-135M # any model spec
        objective: base                  # default: read from the name
        prompt_modes: [completion]       # default: the objective's mode. The first mode is
                                         # the variant's designated one (it competes in the
                                         # matrix); further modes are within-variant controls
        model_args: "dtype=bfloat16"     # optional extra lm-eval arguments (a string, or a
                                         # mapping: {tensor_parallel_size: 2, ...}); GPU
                                         # backend arguments (vllm tensor_parallel_size,
                                         # data_parallel_size, gpu_memory_utilization; hf
                                         # parallelize=True) pass through and enter the run spec
        resources: {num_gpus: 1, num_cpus: 4}  # what one cell of this variant holds on a
                                         # worker (ray / processes executors; default 1 CPU)

Model paths may use ``~`` and ``$VARS``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from evals.errors import EvalsError
from evals.secrets import redact_text

_VARIANT_KEYS = {"name", "model", "objective", "prompt_modes", "model_args", "resources"}
_RESOURCE_KEYS = ("num_cpus", "num_gpus")
_FAMILY_KEYS = {"name", "title", "note", "variants", "tasks", "limit"}


class FamilyError(EvalsError):
    """A family file is unreadable or malformed."""


@dataclass(frozen=True)
class Resources:
    """What one cell of a variant holds while it runs (Ray's task resources)."""

    num_cpus: float = 1.0
    """CPU cores."""

    num_gpus: float = 0.0
    """GPUs (a tensor-parallel vLLM model: its ``tensor_parallel_size`` × data parallel)."""

    def describe(self) -> str:
        """``cpus=1 gpus=0``."""
        return f"cpus={self.num_cpus:g} gpus={self.num_gpus:g}"

    def to_dict(self) -> dict[str, float]:
        """``{"num_cpus": ..., "num_gpus": ...}``."""
        return {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}


@dataclass(frozen=True)
class Variant:
    """One fine-tune of the family."""

    model: str
    """Model spec (any form :func:`evals.models.spec.parse_model_spec` accepts)."""

    name: str | None = None
    """Display name (None: the name the model loader gives the spec)."""

    objective: str | None = None
    """Objective override (None: read from the name)."""

    prompt_modes: tuple[str, ...] = ()
    """Prompt modes to evaluate (empty: the objective's default)."""

    model_args: str = ""
    """Extra lm-eval model arguments."""

    resources: Resources = Resources()
    """What one cell of this variant holds on a worker."""


@dataclass(frozen=True)
class Family:
    """The variants compared on one matrix page."""

    name: str
    """Slug used for file names."""

    title: str
    """Page title."""

    note: str
    """Shown on the page (e.g. caveats about what the comparison can show)."""

    variants: tuple[Variant, ...]
    """The variants."""

    tasks: str = ""
    """Use cases (comma-separated; empty: all)."""

    limit: int | None = None
    """Items per use case (None: all)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "family"


def load_family(path: Path) -> Family:
    """Read a family file; one clear error for anything malformed."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise FamilyError(f"cannot read family file {path}: {err}") from None
    variants_raw = raw.get("variants") if isinstance(raw, dict) else None
    if not isinstance(variants_raw, list) or not variants_raw:
        raise FamilyError(f"{path}: a family file needs a non-empty `variants` list")
    unknown = set(raw) - _FAMILY_KEYS
    if unknown:
        raise FamilyError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    variants = []
    for k, item in enumerate(raw["variants"], start=1):
        if not isinstance(item, dict) or "model" not in item:
            raise FamilyError(f"{path}: variant {k} needs a `model` spec")
        bad = set(item) - _VARIANT_KEYS
        if bad:
            raise FamilyError(f"{path}: variant {k}: unknown key {sorted(bad)[0]!r}")
        where = f"{path}: variant {k}"
        modes = item.get("prompt_modes") or []
        modes = [modes] if isinstance(modes, str) else modes
        if not isinstance(modes, list):
            raise FamilyError(
                f"{where}: prompt_modes must be a list such as [chat, completion] (got {modes!r})"
            )
        for mode in modes:
            if mode not in ("completion", "chat"):
                raise FamilyError(f"{where}: prompt mode {mode!r} (completion or chat)")
        objective = item.get("objective")
        if objective is not None and objective not in OBJECTIVES:
            raise FamilyError(f"{where}: objective {objective!r} (one of {', '.join(OBJECTIVES)})")
        variants.append(
            Variant(
                model=_expand(_text(item["model"], "model", where)),
                name=_text(item.get("name"), "name", where)
                if item.get("name") is not None
                else None,
                objective=objective,
                prompt_modes=tuple(modes),
                model_args=_model_args(item.get("model_args"), f"{path}: variant {k}"),
                resources=parse_resources(item.get("resources"), f"{path}: variant {k}"),
            )
        )
    name = _text(raw.get("name") or Path(path).stem, "name", str(path))
    for key in ("title", "note"):
        if raw.get(key) is not None:
            _text(raw[key], key, str(path))
    tasks = raw.get("tasks") or ""
    if isinstance(tasks, list) and all(isinstance(t, str) for t in tasks):
        tasks = ",".join(tasks)
    tasks = _text(tasks, "tasks", str(path))
    limit = raw.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise FamilyError(f"{path}: limit must be a positive whole number of items (got {limit!r})")
    return Family(
        name=_slug(name),
        title=str(raw.get("title") or name),
        note=str(raw.get("note") or ""),
        variants=tuple(variants),
        tasks=tasks,
        limit=int(limit) if limit else None,
    )


OBJECTIVES = ("base", "instruct", "chat", "code")
"""The objectives a variant may declare."""


def _text(value: Any, key: str, where: str) -> str:
    """A scalar the file must give as text (a number is read as its text; a list or mapping is
    bad input)."""
    if isinstance(value, (dict, list, bool)) or value is None:
        raise FamilyError(f"{where}: {key} must be text (got {value!r})")
    return str(value)


def _model_args(raw: Any, where: str) -> str:
    """``model_args`` as lm-eval's ``k=v,k=v`` string (a YAML mapping is joined in order)."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(value, (dict, list)) or "," in str(value):
                raise FamilyError(f"{where}: model_args {key!r} must be a single value")
        return ",".join(f"{key}={value}" for key, value in raw.items())
    if isinstance(raw, str):
        return raw
    raise FamilyError(f"{where}: model_args must be a k=v,k=v string or a mapping")


def parse_resources(raw: Any, where: str) -> Resources:
    """``resources: {num_gpus: 1, num_cpus: 4}`` (absent: one CPU, no GPU)."""
    if raw is None:
        return Resources()
    if not isinstance(raw, dict):
        raise FamilyError(f"{where}: resources must be a mapping such as {{num_gpus: 1}}")
    unknown = set(raw) - set(_RESOURCE_KEYS)
    if unknown:
        raise FamilyError(
            f"{where}: unknown resource {sorted(unknown)[0]!r} (known: {', '.join(_RESOURCE_KEYS)})"
        )
    values = {}
    for key in _RESOURCE_KEYS:
        value = raw.get(key, getattr(Resources(), key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise FamilyError(f"{where}: resources {key} must be a number ≥ 0 (got {value!r})")
        values[key] = float(value)
    if values["num_cpus"] == 0 and values["num_gpus"] == 0:
        raise FamilyError(f"{where}: resources must ask for at least one CPU or GPU")
    return Resources(**values)


def _expand(spec: str) -> str:
    return os.path.expanduser(os.path.expandvars(spec)) if spec.startswith(("~", "$")) else spec


def family_from_specs(specs: list[str], name: str = "adhoc") -> Family:
    """A family from ``MODELS="spec-a spec-b"``."""
    if not specs:
        raise FamilyError("MODELS is empty: name at least one model spec")
    return Family(
        name=_slug(name),
        title="Ad-hoc comparison",
        note="",
        variants=tuple(Variant(model=_expand(s)) for s in specs),
    )


def family_to_dict(family: Family) -> dict[str, Any]:
    """JSON-ready form (stored next to the matrix so `make report` can rebuild it)."""
    return {
        "name": family.name,
        "title": family.title,
        "note": family.note,
        "tasks": family.tasks,
        "limit": family.limit,
        "variants": [
            _variant_dict(v)
            | {
                "prompt_modes": list(v.prompt_modes),
                "model": redact_text(v.model),
                "model_args": redact_text(v.model_args) if v.model_args else v.model_args,
            }
            for v in family.variants
        ],  # secrets never reach matrix.json; `make report` matches runs without them
    }


def _variant_dict(variant: Variant) -> dict[str, Any]:
    """A variant's fields; ``resources`` only when not the default (older matrices had none)."""
    fields = {k: v for k, v in variant.__dict__.items() if k != "resources"}
    if variant.resources != Resources():
        fields["resources"] = variant.resources.to_dict()
    return fields


def family_from_dict(raw: dict[str, Any]) -> Family:
    """Inverse of :func:`family_to_dict`."""
    return Family(
        name=raw["name"],
        title=raw["title"],
        note=raw.get("note", ""),
        tasks=raw.get("tasks", ""),
        limit=raw.get("limit"),
        variants=tuple(
            Variant(
                **{
                    **v,
                    "prompt_modes": tuple(v.get("prompt_modes", ())),
                    "resources": parse_resources(v.get("resources"), raw["name"]),
                }
            )
            for v in raw["variants"]
        ),
    )
