"""The leaderboard's "compare with…" picker: run-vs-run pages (:mod:`evals.site.diff_page`)
written at build time for every pair of leaderboard rows that are comparable — the same use
cases and the same run spec apart from the model (:func:`evals.runs.spec.comparable_part`) — so
any two comparable rows reach their diff in two clicks. A set of more than :data:`COMPARE_MAX`
comparable rows gets no pages (their number grows with the square); the picker then names the
command that writes one (``evals diff``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.errors import EvalsError
from evals.fingerprint import sha256_json
from evals.runs.spec import comparable_part
from evals.runs.store import RunFolderError, StoredRun
from evals.site.diff_page import write_run_diff
from evals.site.html import diff_page_name

log = logging.getLogger(__name__)

COMPARE_MAX = 12
"""Most rows of one comparable set whose pairs get a page at build time."""


def comparable_sets(runs: Sequence[StoredRun]) -> list[list[StoredRun]]:
    """Runs grouped by use cases and run spec apart from the model (sets of two or more)."""
    groups: dict[str, list[StoredRun]] = {}
    for run in runs:
        try:
            key = sha256_json([sorted(run.use_cases), comparable_part(run.run_spec)])
        except (RunFolderError, KeyError, TypeError):
            continue  # no readable run spec: comparable with nothing
        groups.setdefault(key, []).append(run)
    return [group for group in groups.values() if len(group) > 1]


def write_compare_pages(runs: Sequence[StoredRun], site_dir: Path) -> dict[str, dict[str, Any]]:
    """Write the pages; per run folder, ``{"pages": {other folder: page}}`` or, for a set too
    large, ``{"too_many": size}``."""
    out: dict[str, dict[str, Any]] = {}
    for group in comparable_sets(runs):
        if len(group) > COMPARE_MAX:
            for run in group:
                out[str(run.folder)] = {"too_many": len(group)}
            continue
        ordered = sorted(group, key=lambda r: r.results.created_utc)
        for i, baseline in enumerate(ordered):
            for candidate in ordered[i + 1 :]:
                name = diff_page_name(baseline, candidate)
                try:
                    write_run_diff(baseline, candidate, site_dir / name)
                except EvalsError as err:  # samples unreadable: no page, no link
                    log.warning("no run-vs-run page for %s: %s", candidate.folder, err)
                    continue
                for one, other in ((baseline, candidate), (candidate, baseline)):
                    pages = out.setdefault(str(one.folder), {"pages": {}})["pages"]
                    pages[str(other.folder)] = name
    return out


def attach_compare(
    rows: Sequence[dict[str, Any]], runs: Sequence[StoredRun], site_dir: Path
) -> None:
    """Write the pages for the rows' runs (``runs``: the run of each row, as the rows' ``run``
    paths relative to ``site_dir`` name them) and give each row its ``compare`` list
    (``{key, label, page}`` per comparable row) and ``compare_too_many``."""
    import os

    by_path = {os.path.relpath(r.folder.resolve(), site_dir.resolve()): r for r in runs}
    row_of = {str(by_path[row["run"]].folder): row for row in rows if row["run"] in by_path}
    found = write_compare_pages([by_path[p] for p in by_path], site_dir)
    for folder, row in row_of.items():
        entry = found.get(folder, {})
        row["compare"] = [
            {
                "key": row_of[other]["key"],
                "page": page,
                "label": f"{row_of[other]['variant']} ({row_of[other]['prompt_mode']})",
            }
            for other, page in entry.get("pages", {}).items()
            if other in row_of
        ]
        row["compare_too_many"] = entry.get("too_many")
