"""A model-aware request cache: every generation and loglikelihood request, on disk, keyed by
who answered and exactly what was asked.

lm-eval's own ``--use_cache`` keys requests by their arguments only, so two models sharing a
cache file answer for each other. Here the key is ``sha256([namespace, method, args])`` where
the namespace is the variant's fingerprint (model file hash or hub revision, backend, backend
arguments including dtype, chat template) plus the dtype the weights actually loaded in, and
``args`` are the request's arguments as lm-eval builds them (the exact prompt, and for
generation the settings: stop sequences, token limit, sampling).

Each answer is committed to SQLite (WAL) the moment the backend produces it, through lm-eval's
``cache_hook`` (HF, vLLM and the API backends call it per request), so a run killed at any
point (``kill -9``) keeps every finished request; starting the same run again recomputes only
the rest. One database per variant under ``<cache>/requests/``; ``EVALS_REQUEST_CACHE=off``
switches the cache off (a server whose model changes behind the same name needs that).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lm_eval.api.model import LM

from evals.cache.store import NoStore, RequestStore, cache_enabled, request_key, requests_dir
from evals.fingerprint import sha256_text

CACHED_METHODS = ("generate_until", "loglikelihood", "loglikelihood_rolling")
log = logging.getLogger(__name__)


@dataclass
class CacheStats:
    """Requests answered from the cache and by the model, per method."""

    from_cache: int = 0
    """Requests whose answer was already stored."""

    computed: int = 0
    """Requests sent to the model."""

    def to_dict(self) -> dict[str, int]:
        """JSON-ready form."""
        return {"from_cache": self.from_cache, "computed": self.computed}


class _Hook:
    """Stands in for lm-eval's ``CacheHook``: stores each answer as the backend produces it."""

    def __init__(self, cache: CachedLM) -> None:
        self.cache = cache

    def add_partial(self, attr: str, req: Iterable[Any], res: Any) -> None:
        if attr in CACHED_METHODS and req is not None:
            key = request_key(self.cache.namespace, attr, req)
            self.cache.store.put(key, capped(res))
            self.cache.stored_by_hook.add(key)


MAX_REPLY_CHARS = 65_536
"""A generated reply longer than this is cut here, before it is scored, stored or cached. Every
use case asks for at most 512 tokens (a few KB); a server that ignores ``max_tokens`` once
returned 20 MB per reply, stored twice in full (run folder and cache)."""


def capped(answer: Any) -> Any:
    """``answer`` with a generated text cut to :data:`MAX_REPLY_CHARS`."""
    if isinstance(answer, str) and len(answer) > MAX_REPLY_CHARS:
        log.warning("a reply of %d characters was cut to %d", len(answer), MAX_REPLY_CHARS)
        return answer[:MAX_REPLY_CHARS]
    return answer


class CachedLM(LM):
    """An lm-eval ``LM`` that answers stored requests from disk and forwards the rest."""

    def __init__(self, lm: LM, store: RequestStore | NoStore, namespace: str) -> None:
        super().__init__()
        self.lm = lm
        self.store = store
        self.namespace = namespace
        self.stats = CacheStats()
        self.stored_by_hook: set[str] = set()
        """Keys the backend's hook wrote during the current call (not written twice)."""
        lm.set_cache_hook(_Hook(self))

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes CachedLM itself lacks (tokenizer, model, ...).
        if name == "lm":
            raise AttributeError(name)
        return getattr(self.lm, name)

    def _answer(self, method: str, requests: list[Any], compute: Callable) -> list[Any]:
        keys = request_keys(self.namespace, method, [r.args for r in requests])
        stored = self.store.get_many(keys)
        missing = [i for i, k in enumerate(keys) if k not in stored]
        self.stats.from_cache += len(requests) - len(missing)
        self.stats.computed += len(missing)
        if missing:
            self.stored_by_hook.clear()
            answers = compute([requests[i] for i in missing])
            for i, answer in zip(missing, answers, strict=True):
                value = list(answer) if isinstance(answer, tuple) else capped(answer)
                stored[keys[i]] = value
                if keys[i] not in self.stored_by_hook:  # a backend without the hook
                    self.store.put(keys[i], value)
            self.stored_by_hook.clear()
        return [_restore(method, stored[k]) for k in keys]

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        return self._answer("generate_until", requests, self.lm.generate_until)

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        return self._answer("loglikelihood", requests, self.lm.loglikelihood)

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        return self._answer("loglikelihood_rolling", requests, self.lm.loglikelihood_rolling)

    def apply_chat_template(self, chat_history: list[dict[str, str]], **kwargs: Any) -> Any:
        return self.lm.apply_chat_template(chat_history, **kwargs)

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return self.lm.chat_template(chat_template)

    @property
    def tokenizer_name(self) -> str:
        return self.lm.tokenizer_name

    @property
    def rank(self) -> int:
        return self.lm.rank

    @property
    def world_size(self) -> int:
        return self.lm.world_size


def _sampled(args: Any) -> bool:
    settings = args[1] if isinstance(args, tuple | list) and len(args) > 1 else None
    return isinstance(settings, dict) and bool(settings.get("do_sample"))


def request_keys(namespace: str, method: str, args: list[Any]) -> list[str]:
    """The cache key of each request. A sampled generation asked k times in one call (``SAMPLES``
    repeats the same prompt) is k requests with k answers: the k-th occurrence is keyed with k,
    so the cache neither answers all k with one sample nor keeps only the last."""
    seen: Counter[str] = Counter()
    keys = []
    for a in args:
        key = request_key(namespace, method, a)
        if method == "generate_until" and _sampled(a):
            seen[key] += 1
            key = request_key(namespace, method, [*a, {"sample": seen[key]}])
        keys.append(key)
    return keys


def _restore(method: str, value: Any) -> Any:
    if method == "loglikelihood" and isinstance(value, list):
        return (float(value[0]), bool(value[1]))
    return value


def wrap_with_cache(lm: LM, fingerprint: str, label: str = "") -> LM:
    """``lm`` behind the request cache of this variant (unchanged when the cache is off);
    ``label`` (the variant's name) is stored with the file for ``evals cache info``."""
    dtype = getattr(getattr(lm, "model", None), "dtype", None)
    namespace = f"{fingerprint}:{dtype}"
    if not cache_enabled():  # nothing kept, but replies still capped and requests counted
        return CachedLM(lm, NoStore(), namespace)
    store = RequestStore(requests_dir() / f"{sha256_text(namespace)[:16]}.sqlite", label)
    return CachedLM(lm, store, namespace)
