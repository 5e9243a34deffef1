"""What every page of the site shares: the self-contained HTML shell (inline CSS, data as JSON,
inline scripts), paths as published, and the file name of each kind of page (so a page links
another without importing its writer).

Data, CSS and JS are inline (no network, no CDN), so a page works from ``file://`` and from any
static host. Data travels as JSON inside ``<script type="application/json">`` with ``<``, ``>``
and ``&`` escaped, and the script renders every string with ``textContent``: a model output such
as ``<script>alert(1)</script>`` is shown as text and runs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.runs.store import StoredRun

ASSETS = Path(__file__).resolve().parent / "assets"


def embed_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no HTML parsing surprises)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return text


def page_html(
    title: str, body: str, data: dict[str, Any], scripts: Sequence[str] = ("page.js",)
) -> str:
    """A self-contained page: inline CSS, the data as JSON, and the given scripts inline, after
    ``dom.js`` (the element helpers they share)."""
    css = (ASSETS / "page.css").read_text(encoding="utf-8")
    js = "".join(
        f"<script>{(ASSETS / name).read_text(encoding='utf-8')}</script>"
        for name in ("dom.js", *scripts)
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{css}</style></head><body>{body}"
        f'<script type="application/json" id="page-data">{embed_json(data)}</script>'
        f"{js}</body></html>\n"
    )


def home_relative(text: str) -> str:
    """A path as published: the user's home folder shown as ``~``."""
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


def variant_page_name(variant: str) -> str:
    """The page file of a variant: a readable slug plus a short hash (names may collide once
    slugged, and may hold any character)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", variant).strip("-.")[:60] or "variant"
    digest = hashlib.sha256(variant.encode("utf-8")).hexdigest()[:8]
    return f"variant-{slug}-{digest}.html"


def sample_page_name(run: StoredRun) -> str:
    """The viewer of one run (one name per run folder)."""
    digest = hashlib.sha256(str(run.folder.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"samples-{digest}.html"


def diff_page_name(baseline: StoredRun, candidate: StoredRun) -> str:
    """The run-vs-run page of two runs (one name per ordered pair)."""
    key = f"{baseline.folder.resolve()}|{candidate.folder.resolve()}"
    return f"diff-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}.html"
