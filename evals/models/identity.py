"""The model part of a run spec (:mod:`evals.runs.spec`): what answered, as the backend, the
model's content identity and every backend argument that can change an answer; and its short
hash, the request cache's namespace and the variant id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evals.fingerprint import sha256_json
from evals.secrets import is_secret, redact_url

OPERATIONAL_ARGS = frozenset(
    {
        "batch_size",
        "max_batch_size",
        "max_retries",
        "timeout",
        "num_concurrent",
        "device",
        "verify_certificate",
        "tokenized_requests",
    }
)
"""Backend arguments that change how requests are sent, never what is answered."""


def answer_args(args: Mapping[str, Any], *, local: bool = False) -> dict[str, Any]:
    """The backend arguments that can change an answer (no secrets, nothing operational; for
    local weights — a GGUF file or a model folder, named by their content hash — not their
    path, which depends on where they happen to lie or on the cache location)."""
    return {
        k: redact_url(v) if isinstance(v, str) and "://" in v else v
        for k, v in sorted(args.items())
        if not is_secret(k) and k not in OPERATIONAL_ARGS and not (local and k == "pretrained")
    }


def model_spec_part(
    *,
    backend: str,
    model_hash: str,
    model_args: Mapping[str, Any],
    chat_template_sha256: str | None,
    local: bool = False,
) -> dict[str, Any]:
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
