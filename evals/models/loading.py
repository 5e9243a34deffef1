"""The common model adapter: a :class:`ModelSpec` becomes an lm-eval ``LM`` plus the variant's
identity, through lm-eval's model registry, so every backend lm-eval supports works."""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from evals.errors import BackendError, ModelSpecError
from evals.fingerprint import model_folder_hash, sha256_file, sha256_text
from evals.models.gguf import converted_folder
from evals.models.identity import model_fingerprint, model_spec_part
from evals.models.objective import Objective, objective_from_name
from evals.models.peft import PEFT_ARG, adapter_sha256
from evals.models.spec import ModelSpec
from evals.secrets import is_secret, redact_text, redact_value

log = logging.getLogger(__name__)


class PromptMode(str, Enum):
    """How prompts reach the model."""

    COMPLETION = "completion"
    """Plain text, few-shot examples from the few-shot split: how base models are used."""

    CHAT = "chat"
    """The model's chat template, zero-shot: how instruct and chat models are used."""


@dataclass(frozen=True)
class VariantIdentity:
    """Who answered: recorded with every result so runs can be matched and reused."""

    name: str
    """Display name of the variant (from the file, folder, hub id or server model name)."""

    objective: Objective
    """Fine-tuning objective: read from the name unless overridden."""

    objective_source: str
    """``name`` when read from the name, ``override`` when the user set it."""

    has_chat_template: bool
    """Whether the model (or its server) can format chat messages itself."""

    spec: str
    """The model spec as given."""

    backend: str
    """lm-eval registry name of the backend that served the requests."""

    model_args: dict[str, Any] = field(default_factory=dict)
    """Backend arguments, secrets removed."""

    model_hash: str = ""
    """Content hash of the model file or folder, or ``repo@revision`` / ``server:url#model``."""

    chat_template_sha256: str | None = None
    """Hash of the chat template text, when there is one."""

    local: bool = False
    """Whether the weights are local files (a GGUF or a folder): their content hash names them,
    not their path."""

    @property
    def spec_part(self) -> dict[str, Any]:
        """The ``model`` part of the run spec (:mod:`evals.runs.spec`)."""
        return model_spec_part(
            backend=self.backend,
            model_hash=self.model_hash,
            model_args=self.model_args,
            chat_template_sha256=self.chat_template_sha256,
            local=self.local,
        )

    @property
    def fingerprint(self) -> str:
        """Short hash over everything that can change an answer (the run spec's model part)."""
        return model_fingerprint(self.spec_part)

    @classmethod
    def from_dict(cls, model: Mapping[str, Any]) -> VariantIdentity:
        """Read back what :meth:`to_dict` wrote (the fingerprint is computed again)."""
        return cls(
            name=model["name"],
            objective=Objective(model["objective"]),
            objective_source=model["objective_source"],
            has_chat_template=model["has_chat_template"],
            spec=model["spec"],
            backend=model["backend"],
            model_args=dict(model["model_args"]),
            model_hash=model["model_hash"],
            chat_template_sha256=model["chat_template_sha256"],
            local=bool(model.get("local", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written into results."""
        return {
            "name": self.name,
            "objective": self.objective.value,
            "objective_source": self.objective_source,
            "has_chat_template": self.has_chat_template,
            "spec": self.spec,
            "backend": self.backend,
            "model_args": self.model_args,
            "model_hash": self.model_hash,
            "chat_template_sha256": self.chat_template_sha256,
            "local": self.local,
            "fingerprint": self.fingerprint,
        }


@dataclass
class LoadedModel:
    """An lm-eval ``LM`` ready for requests, with the identity of the variant behind it."""

    lm: Any
    """The lm-eval ``LM`` instance."""

    identity: VariantIdentity
    """Name, objective, template and hashes of the variant."""

    spec: ModelSpec
    """The parsed spec it was built from."""

    load_seconds: float = 0.0
    """Wall time to build the backend (GGUF conversion included on a first load)."""

    @property
    def supports_loglikelihood(self) -> bool:
        """Chat-completions APIs return text only; a completions server scores continuations
        only when given a tokenizer (``MODEL_ARGS=tokenizer=...``); local backends always do."""
        if self.spec.is_chat_api:
            return False
        backend = self.spec.model_args.get("tokenizer_backend", "huggingface")
        return not self.spec.is_server or backend is not None


def resolve_prompt_mode(identity: VariantIdentity, override: str | None = None) -> PromptMode:
    """Base models get completion prompts; instruct, chat and code models their chat template.
    ``override`` (``PROMPT_MODE=``) wins, but chat needs a template to exist."""
    if override:
        try:
            mode = PromptMode(override.strip().lower())
        except ValueError:
            raise ModelSpecError(
                f"unknown prompt mode {override!r}; use completion or chat"
            ) from None
    elif identity.backend == "local-chat-completions":
        mode = PromptMode.CHAT  # a chat-completions API takes messages, whatever the name says
    elif identity.objective is Objective.BASE or not identity.has_chat_template:
        mode = PromptMode.COMPLETION
    else:
        mode = PromptMode.CHAT
    if mode is PromptMode.CHAT and not identity.has_chat_template:
        raise ModelSpecError(f"{identity.name} has no chat template: use PROMPT_MODE=completion")
    if mode is PromptMode.COMPLETION and identity.backend == "local-chat-completions":
        raise ModelSpecError("a chat-completions server takes chat prompts only: PROMPT_MODE=chat")
    return mode


SERVER_TIMEOUT = 60
"""Seconds a model server may take to answer one request before lm-eval retries it (3 tries),
unless ``MODEL_ARGS=timeout=SECONDS`` says otherwise."""


def load_model(
    spec: ModelSpec,
    *,
    batch_size: int | str = 8,
    objective_override: Objective | None = None,
    reuse_unpinned: bool = False,
) -> LoadedModel:
    """Build the lm-eval ``LM`` for ``spec`` and describe the variant. ``reuse_unpinned``: the
    answers of a hub model without a pinned revision may be reused across runs."""
    from lm_eval.api.registry import get_model

    started = time.perf_counter()
    spec = pin_hub_revision(spec)
    args = dict(spec.model_args)
    model_hash = spec_model_hash(spec)
    if spec.gguf_path is not None:
        args.setdefault("pretrained", str(converted_folder(spec.gguf_path)))
    if spec.adapter_path is not None:
        args[PEFT_ARG] = str(spec.adapter_path)
    if spec.backend in {"hf", "vllm"}:
        _default_local_args(args, spec.backend)
    if spec.is_server:
        _check_server(str(args["base_url"]))
        # lm-eval waits 300 s per try, 3 tries: a stalled server showed a 0% bar for 15 min.
        args.setdefault("timeout", SERVER_TIMEOUT)
        key = args.pop("api_key", None)
        if key:  # lm-eval's local-* clients read only OPENAI_API_KEY: send the given key
            args["header"] = {"Authorization": f"Bearer {key}"}

    try:
        lm_class = get_model(spec.backend)
    except (KeyError, ValueError) as err:
        raise ModelSpecError(f"lm-eval has no model backend {spec.backend!r} ({err})") from None
    except ImportError as err:
        raise BackendError(
            f"backend {spec.backend!r} needs a package that is not installed ({err.name}); "
            f"try: pip install 'lm-eval[{spec.backend}]'"
        ) from None
    try:
        lm = lm_class.create_from_arg_obj(args, {"batch_size": batch_size})
    except ImportError as err:
        raise BackendError(f"backend {spec.backend!r} cannot start: {err}") from None
    except (OSError, ValueError, TypeError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelSpecError(
            redact_text(f"cannot load {spec.raw or 'default'}: {first_line}")
        ) from None

    template = _chat_template(lm, spec)
    has_template = bool(template) or spec.is_chat_api
    objective = objective_override or objective_from_name(spec.name)
    identity = VariantIdentity(
        name=spec.name,
        objective=objective,
        objective_source="override" if objective_override else "name",
        has_chat_template=has_template,
        spec=redact_text(spec.raw) or "default",
        backend=spec.backend,
        model_args=redact_value(
            {
                k: v
                for k, v in sorted(args.items())
                if not is_secret(k)
                and not (is_local(spec) and k == "pretrained")
                and not (spec.adapter_path is not None and k == PEFT_ARG)
            }
        ),
        model_hash=redact_text(model_hash),
        chat_template_sha256=sha256_text(template) if template else None,
        local=is_local(spec),
    )
    namespace = identity.fingerprint
    if not identity.spec_part["pinned"] and not reuse_unpinned:
        # Unpinned hub weights can change under the same name: answers are reused within
        # this run only, never across runs (--reuse-unpinned allows).
        namespace += f":run-{uuid.uuid4().hex}"
    from evals.cache.requests import wrap_with_cache  # imports lm-eval: only when loading

    lm = wrap_with_cache(lm, namespace, identity.name)
    return LoadedModel(
        lm=lm, identity=identity, spec=spec, load_seconds=time.perf_counter() - started
    )


def is_local(spec: ModelSpec) -> bool:
    """Whether the spec names local weights (GGUF file or folder), identified by content."""
    return spec.gguf_path is not None or spec.source in {"folder", "embedded"}


def pin_hub_revision(spec: ModelSpec) -> ModelSpec:
    """A hub spec without a revision, pinned to the commit the hub serves now (when the hub
    answers); otherwise the spec as given (recorded as unpinned)."""
    if spec.source != "hub" or spec.model_args.get("revision"):
        return spec
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return spec
    try:
        from huggingface_hub import HfApi

        sha = HfApi().model_info(str(spec.model_args["pretrained"]), timeout=10).sha
    except Exception as err:  # no hub, no network, no such repo: stay unpinned, say so
        log.warning(
            "%s: hub revision not resolved (%s); the run is recorded as unpinned",
            spec.raw,
            type(err).__name__,
        )
        return spec
    if not sha:
        return spec
    return replace(spec, model_args={**spec.model_args, "revision": str(sha)})


def predicted_spec_part(spec: ModelSpec) -> dict[str, Any]:
    """The run spec's model part a spec would load as, without loading it (the chat template
    is left out: the model hash covers the files it comes from)."""
    spec = pin_hub_revision(spec)
    args = dict(spec.model_args)
    if spec.backend in {"hf", "vllm"}:
        _default_local_args(args, spec.backend)
    part = model_spec_part(
        backend=spec.backend,
        model_hash=spec_model_hash(spec),
        model_args=args,
        chat_template_sha256=None,
        local=is_local(spec),
    )
    part.pop("chat_template_sha256")
    return part


def spec_model_hash(spec: ModelSpec) -> str:
    """What identifies the weights behind a spec, without loading them: the GGUF file's or the
    folder's content hash, ``repo@revision`` for the hub, ``server:url#model`` for servers;
    with a PEFT adapter, ``+peft:`` and the adapter's content hash after it."""
    if spec.adapter_path is not None:
        base = spec_model_hash(replace(spec, adapter_path=None))
        return f"{base}+peft:{adapter_sha256(spec.adapter_path)}"
    if spec.gguf_path is not None:
        return sha256_file(spec.gguf_path)
    if spec.is_server:
        return f"server:{spec.model_args['base_url']}#{spec.model_args['model']}"
    return _pretrained_hash(spec.model_args)


def _default_local_args(args: dict[str, Any], backend: str) -> None:
    if not _accelerator_available():
        args.setdefault("device", "cpu")
        # bfloat16 matmuls are slower than float32 on most CPUs; "auto" would pick the former.
        args.setdefault("dtype", "float32")


GPU_DEVICE_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/dxg")
"""Device files without which no CUDA (NVIDIA, WSL) or ROCm device exists on the machine."""


def _accelerator_available() -> bool:
    """``torch.cuda.is_available()``, without importing torch (two seconds, which a warm run
    would otherwise spend just to predict its run spec) when no GPU device file exists."""
    if not any(os.path.exists(node) for node in GPU_DEVICE_NODES):
        return False
    import torch

    return bool(torch.cuda.is_available())


def _pretrained_hash(args: dict[str, Any]) -> str:
    pretrained = Path(str(args.get("pretrained", "")))
    if pretrained.is_dir():
        return model_folder_hash(pretrained)
    return f"{args.get('pretrained')}@{args.get('revision', 'unpinned')}"


def _chat_template(lm: Any, spec: ModelSpec) -> str | None:
    tokenizer = getattr(lm, "tokenizer", None)
    template = getattr(tokenizer, "chat_template", None) if tokenizer is not None else None
    if isinstance(template, dict):  # several named templates
        return json.dumps(template, sort_keys=True)
    return template if isinstance(template, str) and template.strip() else None


def _check_server(completions_url: str) -> None:
    """Fail fast, with one line, when nothing answers at the server's address."""
    import base64
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(completions_url)
    path = parts.path.removesuffix("/chat/completions").removesuffix("/completions")
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{parts.port}" if parts.port else ""
    root = urlunsplit((parts.scheme, netloc, path, "", ""))
    request = urllib.request.Request(
        urlunsplit((parts.scheme, netloc, path + "/models", parts.query, ""))
    )
    if parts.username is not None:  # user:password@host: basic auth, as requests sends it
        token = f"{parts.username}:{parts.password or ''}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
    try:
        with urllib.request.urlopen(request, timeout=10):
            return
    except urllib.error.HTTPError:
        return  # something answered; the endpoint may just not list models
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        reason = getattr(err, "reason", err)
        raise BackendError(
            redact_text(f"model server at {root} is unreachable: {reason}")
        ) from None
