"""One HTML sample viewer per stored run: the family page's sample browser on one run's items
(input, prompt as the messages sent, reference, output, item score), filtered by score and by
text. Every leaderboard cell and every run of a variant page links here, with the use case in
the fragment (``samples-<id>.html#uc=qa``); the raw ``.jsonl`` stays linked beside it."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from evals.errors import EvalsError
from evals.matrix.verdicts import Column
from evals.runs.store import StoredRun
from evals.site.html import page_html, sample_page_name
from evals.site.samples import SAMPLE_CONTROLS, sample_browser_data


def prompt_messages(prompt: Any) -> list[dict[str, str]] | None:
    """A stored chat prompt as ``[{role, content}]``: a list as stored now, or the repr
    ``JsonChatStr(prompt='[...]')`` older runs stored; None for a plain text prompt."""
    if (
        isinstance(prompt, str)
        and prompt.startswith("JsonChatStr(prompt=")
        and prompt.endswith(")")
    ):
        try:
            import json

            prompt = json.loads(ast.literal_eval(prompt[len("JsonChatStr(prompt=") : -1]))
        except (ValueError, SyntaxError):
            return None
    if isinstance(prompt, list) and all(isinstance(m, Mapping) for m in prompt):
        return [
            {"role": str(m.get("role", "")), "content": str(m.get("content", ""))} for m in prompt
        ]
    return None


def _prompts(run: StoredRun, use_case: str) -> dict[str, Any]:
    """Per item (doc hash): the prompt as sent, messages or text."""
    out: dict[str, Any] = {}
    for record in run.samples(use_case):
        prompt = record.get("prompt")
        if "turns" in record:
            prompt = "\n\n".join(
                f"[turn {t.get('turn')}]\n{t.get('prompt', '')}" for t in record["turns"]
            )
        messages = prompt_messages(prompt)
        out[record["doc_hash"]] = (
            messages if messages is not None else ("" if prompt is None else str(prompt))
        )
    return out


def run_samples_data(run: StoredRun) -> dict[str, Any]:
    """The page data: the family browser's items for one column, with each item's prompt."""
    mode = run.results.prompt_mode
    column = Column(f"{run.variant}|{mode}", run.variant, "", mode, run)
    use_cases = [name for name, entry in run.use_cases.items() if entry.samples_files]
    samples: dict[str, list] = {}
    errors: dict[str, str] = {}
    for use_case in use_cases:
        try:
            items = sample_browser_data([column], [use_case])[use_case]
            prompts = _prompts(run, use_case)
        except EvalsError as err:  # an unreadable samples file: said on the page, not fatal
            samples[use_case], errors[use_case] = [], str(err)
            continue
        by_id = {str(r["item_id"]): r["doc_hash"] for r in run.samples(use_case)}
        for item in items:
            item["prompt"] = prompts.get(by_id.get(str(item["item_id"]), ""), "")
        samples[use_case] = items
    metrics = {name: run.use_cases[name].primary_metric for name in use_cases}
    return {
        "kind": "samples",
        "columns": [{"key": column.key, "label": column.label}],
        "samples": samples,
        "errors": errors,
        "metrics": metrics,
        "variant": run.variant,
        "created_utc": run.results.created_utc,
    }


def run_samples_page(run: StoredRun, variant_page: str) -> str:
    """The viewer's HTML (the browser of :mod:`evals.site.build`, one column)."""
    data = run_samples_data(run)
    title = f"{run.variant} · samples"
    mode = escape(run.results.prompt_mode)
    body = f"""<header><h1>{escape(run.variant)}: samples</h1>
<div class="meta">run {escape(str(data["created_utc"]))} · {mode} mode ·
<a href="{escape(variant_page)}">all runs of this variant</a> ·
<a href="index.html">leaderboard</a></div></header><main>
<section><h2>Samples</h2>{SAMPLE_CONTROLS}<div id="sample-view"></div></section></main>"""
    return page_html(title, body, data)


def write_sample_pages(
    runs: Sequence[StoredRun], site_dir: Path, variant_pages: Mapping[str, str]
) -> dict[str, Path]:
    """One viewer per run under ``site_dir``; returns ``{run folder: path}``."""
    from evals.files import atomic_write_text

    paths = {}
    for run in runs:
        path = site_dir / sample_page_name(run)
        atomic_write_text(path, run_samples_page(run, variant_pages.get(run.variant, "index.html")))
        paths[str(run.folder)] = path
    return paths
