"""The fine-tuning objective of a variant, read from its name as the naming convention goes."""

from __future__ import annotations

import re
from enum import Enum

from evals.errors import ModelSpecError


class Objective(str, Enum):
    """What a variant was fine-tuned for, as its release name states it."""

    BASE = "base"
    INSTRUCT = "instruct"
    CHAT = "chat"
    CODE = "code"


FOLKLORE_CLAIMS: dict[str, tuple[str, ...]] = {
    "base": ("summarization", "text generation", "QA"),
    "instruct": ("extraction", "sentiment", "NER", "summarization"),
    "chat": ("dialogue",),
    "code": ("code",),
}
"""The common advice, stated exactly as the README quotes it: objective → what it is "for".
Each use case names the words it measures (``UseCaseDefinition.claims``)."""

# Checked in this order: "CodeLlama-7b-Instruct" is a code model first, an instruct model second.
_NAME_MARKERS: tuple[tuple[Objective, frozenset[str]], ...] = (
    (Objective.CODE, frozenset({"code", "coder", "python", "codegen", "starcoder"})),
    (Objective.CHAT, frozenset({"chat"})),
    (Objective.INSTRUCT, frozenset({"instruct", "it", "sft", "inst"})),
)


def objective_from_name(name: str) -> Objective:
    """Read the objective from a model name: ``-instruct``/``-it`` → instruct, ``-chat`` → chat,
    ``-code``/``-coder``/``-python`` → code, anything else → base.

    >>> objective_from_name("Llama-2-13b-chat-hf").value
    'chat'
    >>> objective_from_name("gemma-3-270m").value
    'base'
    """
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    # Family names that fuse the marker: CodeLlama, CodeGemma, CodeQwen, StarCoder2.
    if any(w.startswith("code") or "coder" in w for w in words):
        return Objective.CODE
    for objective, markers in _NAME_MARKERS:
        if words & markers:
            return objective
    return Objective.BASE


def parse_objective(value: str) -> Objective:
    """Parse an ``OBJECTIVE=`` override; one clear error for anything else."""
    try:
        return Objective(value.strip().lower())
    except ValueError:
        allowed = ", ".join(o.value for o in Objective)
        raise ModelSpecError(f"unknown objective {value!r}; use one of: {allowed}") from None
