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
        model_args: "dtype=bfloat16"     # optional extra lm-eval arguments

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
from evals.run_spec import redact_text

_VARIANT_KEYS = {"name", "model", "objective", "prompt_modes", "model_args"}
_FAMILY_KEYS = {"name", "title", "note", "variants", "tasks", "limit"}


class FamilyError(EvalsError):
    """A family file is unreadable or malformed."""


@dataclass(frozen=True)
class Variant:
    """One fine-tune of the family."""

    model: str
    """Model spec (any form :func:`evals.model_spec.parse_model_spec` accepts)."""

    name: str | None = None
    """Display name (None: the adapter's name for the spec)."""

    objective: str | None = None
    """Objective override (None: read from the name)."""

    prompt_modes: tuple[str, ...] = ()
    """Prompt modes to evaluate (empty: the objective's default)."""

    model_args: str = ""
    """Extra lm-eval model arguments."""


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
        modes = item.get("prompt_modes") or []
        modes = [modes] if isinstance(modes, str) else list(modes)
        for mode in modes:
            if mode not in ("completion", "chat"):
                raise FamilyError(f"{path}: variant {k}: prompt mode {mode!r} (completion or chat)")
        variants.append(
            Variant(
                model=_expand(str(item["model"])),
                name=item.get("name"),
                objective=item.get("objective"),
                prompt_modes=tuple(modes),
                model_args=str(item.get("model_args") or ""),
            )
        )
    name = str(raw.get("name") or Path(path).stem)
    limit = raw.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise FamilyError(f"{path}: limit must be a positive whole number of items (got {limit!r})")
    return Family(
        name=_slug(name),
        title=str(raw.get("title") or name),
        note=str(raw.get("note") or ""),
        variants=tuple(variants),
        tasks=str(raw.get("tasks") or ""),
        limit=int(limit) if limit else None,
    )


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
            v.__dict__ | {"prompt_modes": list(v.prompt_modes), "model": redact_text(v.model),
                          "model_args": redact_text(v.model_args) if v.model_args else v.model_args}
            for v in family.variants
        ],  # secrets never reach matrix.json; `make report` matches runs without them
    }  # fmt: skip


def family_from_dict(raw: dict[str, Any]) -> Family:
    """Inverse of :func:`family_to_dict`."""
    return Family(
        name=raw["name"], title=raw["title"], note=raw.get("note", ""),
        tasks=raw.get("tasks", ""), limit=raw.get("limit"),
        variants=tuple(Variant(**{**v, "prompt_modes": tuple(v.get("prompt_modes", ()))})
                       for v in raw["variants"]),
    )  # fmt: skip
