"""Credentials never leave the process: not in a file written, not in a line printed.

Three layers, each for a form a credential comes in:

- **by name**: a model argument or header whose name has a secret word (``api_key``,
  ``hf_token``, ``Authorization``) — :func:`is_secret`;
- **by place in a URL**: the password of ``http://user:PASSWORD@host`` and the value of a query
  parameter named like a secret (``?api_key=...``) — :func:`redact_url`;
- **by value**: every secret value seen when a model spec is parsed is remembered
  (:func:`remember`), and :func:`redact_text` replaces it wherever it appears — in a spec
  written in a form no rule above recognises, an error message, a log line
  (:func:`install_log_filter`).

Every writer of run folders, pages and gate outputs, and every printed error, goes through
:func:`redact_text` (or :func:`redact_value` for JSON documents).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "password",
        "passwd",
        "secret",
        "authorization",
        "auth",
        "header",
        "headers",
        "credential",
        "credentials",
        "cookie",
        "sig",
        "signature",
    }
)
"""An argument whose name has one of these as a word (``api_key``, ``hf_token``,
``Authorization``) is a secret: never written. ``tokenizer`` or ``max_tokens`` are not."""

REDACTED = "<redacted>"

MIN_REMEMBERED = 4
"""Values shorter than this are not replaced by value (``1`` or ``abc`` would mangle text);
they are still redacted by name and by place."""

_known: set[str] = set()
_lock = threading.Lock()


def is_secret(name: str) -> bool:
    """Whether a model argument, header or query parameter name holds a secret."""
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower())
    return any(word in SECRET_WORDS for word in words)


def remember(value: Any) -> None:
    """Never print or write ``value`` (a credential seen in a spec or its arguments)."""
    text = str(value) if value is not None else ""
    if len(text) >= MIN_REMEMBERED and text != REDACTED:
        with _lock:
            _known.add(text)


def url_secrets(url: str) -> list[str]:
    """The credentials a URL carries: its password and secret query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password] if parts.password else []
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=False) if is_secret(k)]
    return found


def remember_args(args: dict[str, Any]) -> None:
    """Remember every credential among backend arguments: values of secret-named arguments and
    the credentials of any URL among them."""
    for key, value in args.items():
        if is_secret(str(key)):
            remember(value)
        elif isinstance(value, str) and "://" in value:
            for secret in url_secrets(value):
                remember(secret)


def remember_text(text: str) -> None:
    """Remember the credentials of every URL and ``key=value`` pair inside ``text``."""
    for url in re.findall(r"[a-z][a-z0-9+.-]*://[^\s,'\"]+", text, flags=re.IGNORECASE):
        for secret in url_secrets(url):
            remember(secret)
    for match in re.finditer(r"(?P<key>[A-Za-z0-9_.-]+)=(?P<value>[^,&\s]*)", text):
        if is_secret(match["key"]):
            remember(match["value"])


def redact_url(url: str) -> str:
    """``url`` with its password and secret query values replaced."""
    text = re.sub(r"(//[^/@:\s]*:)[^/@\s]*@", rf"\g<1>{REDACTED}@", url)
    return re.sub(
        r"(?P<sep>[?&;])(?P<key>[^=&#\s]+)=(?P<value>[^&#\s]*)",
        lambda m: f"{m['sep']}{m['key']}={REDACTED}" if is_secret(m["key"]) else m[0],
        text,
    )


def redact_text(text: str) -> str:
    """``text`` with every credential replaced: remembered values, URL passwords and secret
    query values, and ``key=value`` pairs whose key is a secret
    (``hf:pretrained=x,token=abc`` → ``hf:pretrained=x,token=<redacted>``)."""
    if not text:
        return text
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    text = redact_url(text)
    return re.sub(
        r"(?P<key>[A-Za-z0-9_.-]+)=(?P<value>[^,&\s]*)",
        lambda m: f"{m['key']}={REDACTED}" if is_secret(m["key"]) else m[0],
        text,
    )


def redact_value(value: Any) -> Any:
    """A JSON-able value (metadata: results, run specs, identities) with :func:`redact_text`
    applied to every string in it, keys included."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            redact_text(k) if isinstance(k, str) else k: redact_value(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


def redact_known(text: str) -> str:
    """``text`` with remembered credential values replaced, and nothing else: for model output
    and data (samples files), where a ``token=...`` the model wrote is data, not a secret, and
    must be stored as it was scored. A value is also found in its JSON-escaped form."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        for form in {value, json.dumps(value)[1:-1]}:
            if form in text:
                text = text.replace(form, REDACTED)
    return text


def known_count() -> int:
    """How many credential values are remembered (for tests)."""
    with _lock:
        return len(_known)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = _RedactingFilter()


def install_log_filter() -> None:
    """Redact every log record printed by the root logger's handlers (lm-eval's ``INFO``
    lines print the model arguments it was given)."""
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
