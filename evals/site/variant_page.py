"""Variant pages: every stored run of one variant over time, a line per use case with its
stored 95% intervals, the run spec of each run and links to its samples files.

Numbers are the run folders' own (``results.json``); nothing is recomputed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from evals.errors import EvalsError
from evals.runs.store import RunFolderError, StoredRun
from evals.site.diff_page import not_comparable, write_run_diff
from evals.site.html import (
    diff_page_name,
    home_relative,
    page_html,
    sample_page_name,
    variant_page_name,
)

log = logging.getLogger(__name__)


def _published(value: Any) -> Any:
    """A run spec as published: every string with the home folder shown as ``~``."""
    if isinstance(value, Mapping):
        return {k: _published(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_published(v) for v in value]
    return home_relative(value) if isinstance(value, str) else value


def _run_entry(run: StoredRun, site_dir: Path) -> dict[str, Any]:
    try:
        spec: Any = _published(run.run_spec.to_dict())
    except RunFolderError as err:
        spec = {"error": str(err)}
    folder = os.path.relpath(run.folder.resolve(), site_dir.resolve())
    cells = {}
    for name, entry in run.use_cases.items():
        primary = entry.primary.to_dict()
        cells[name] = {
            "metric": entry.primary_metric,
            "value": primary["value"],
            "ci_low": primary["ci_low"],
            "ci_high": primary["ci_high"],
            "n": entry.n,
            "few": entry.few_units,
            "samples": f"{sample_page_name(run)}#uc={name}",
            "raw": [f"{folder}/{f}" for f in entry.samples_files],
        }
    return {
        "created_utc": run.results.created_utc,
        "folder": folder,
        "prompt_mode": run.results.prompt_mode,
        "limit": run.results.limit,
        "fingerprint": run.results.model_fingerprint,
        "run_spec": spec,
        "cells": cells,
    }


def _diffs_with_previous(ordered: Sequence[StoredRun], site_dir: Path) -> list[str | None]:
    """For each run, the run-vs-run page against the previous run of the same run spec
    (prompt mode and limit), written when the two are comparable; else None."""
    previous: dict[tuple[Any, Any], StoredRun] = {}
    pages: list[str | None] = []
    for run in ordered:
        key = (run.results.prompt_mode, run.results.limit)
        before = previous.get(key)
        previous[key] = run
        page = None
        if before is not None and not_comparable(before, run) is None:
            try:
                name = diff_page_name(before, run)
                write_run_diff(before, run, site_dir / name)
                page = name
            except EvalsError as err:  # samples missing or unreadable: no page, no link
                log.warning("no run-vs-run page for %s: %s", run.folder, err)
        pages.append(page)
    return pages


def variant_data(variant: str, runs: Sequence[StoredRun], site_dir: Path) -> dict[str, Any]:
    """The page data of one variant: its runs oldest first, each with its run-vs-run page
    against the previous comparable run (written here)."""
    ordered = sorted(runs, key=lambda r: r.results.created_utc)
    entries = [_run_entry(r, site_dir) for r in ordered]
    for entry, page in zip(entries, _diffs_with_previous(ordered, site_dir), strict=True):
        entry["vs_previous"] = page
    use_cases = sorted({name for e in entries for name in e["cells"]})
    return {"kind": "variant", "variant": variant, "use_cases": use_cases, "runs": entries}


def variant_page(data: Mapping[str, Any]) -> str:
    """The HTML of a variant page."""
    body = f"""<header><h1>{escape(data["variant"])}</h1>
<div class="meta">{len(data["runs"])} stored runs · <a href="index.html">leaderboard</a></div>
</header><main>
<section><h2>Scores over time (95% intervals), one chart per run spec</h2>
<div id="history-legend" class="legend" aria-label="use cases shown"></div>
<div id="history-chart"></div>
</section>
<section><h2>Runs</h2><div class="scroll"><table id="history-table"></table></div></section>
<section><h2>Run specs</h2><div id="run-specs"></div></section></main>"""
    return page_html(str(data["variant"]), body, dict(data), scripts=("variant.js",))


def write_variant_pages(runs: Sequence[StoredRun], site_dir: Path) -> dict[str, Path]:
    """One page per variant name under ``site_dir``; returns ``{variant: path}``."""
    from evals.files import atomic_write_text

    by_variant: dict[str, list[StoredRun]] = {}
    for run in runs:
        by_variant.setdefault(run.variant, []).append(run)
    paths = {}
    for variant, group in by_variant.items():
        path = site_dir / variant_page_name(variant)
        atomic_write_text(path, variant_page(variant_data(variant, group, site_dir)))
        paths[variant] = path
    return paths
