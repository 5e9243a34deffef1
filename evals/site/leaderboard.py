"""The published leaderboard: every stored complete run, one row per variant and run spec.

A row is a variant's latest complete run for one run spec (model fingerprint, prompt mode, item
limit and use-case set), so a single ``make eval`` run and a ``LIMIT`` run each appear. Every
cell is what the run folder holds: the primary metric with its stored 95% interval, its n and
the strongest trivial baseline on the same items. Marks come from :mod:`evals.site.ranking`: cells
are ranked only within a comparable group (same items and scoring), by the paired tests on
shared items (Holm within the group); smoke runs are set apart and never lead, and a cell not
above its trivial baseline is never crowned.

Written as ``reports/site/index.html`` plus ``leaderboard.json`` and ``leaderboard.csv`` with the
same numbers.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from evals.matrix.verdicts import cell_summary
from evals.runs.results import UseCaseResult
from evals.runs.store import StoredRun, find_runs
from evals.site.html import home_relative, page_html, sample_page_name, variant_page_name
from evals.site.publish import PendingFamily
from evals.site.ranking import SMALL_N, RankedCell, mean_rank, rank_columns

CSV_FIELDS = (
    "variant",
    "objective",
    "backend",
    "prompt_mode",
    "limit",
    "families",
    "run",
    "created_utc",
    "use_case",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "baseline_policy",
    "baseline_value",
    "above_baseline",
    "vs_leader",
)


@dataclass(frozen=True)
class FamilyLink:
    """A family matrix page, linked from the leaderboard."""

    name: str
    title: str
    page: str
    members: tuple[tuple[str, str], ...]
    """(model fingerprint, prompt mode) of each column of the family's matrix."""

    runs: frozenset[str] = frozenset()
    """The run folder (its ``<variant>/<run>`` tail) of each column, where recorded: only those
    runs carry the family's badge, not every run of the same model (a smoke run, say)."""

    objectives: tuple[tuple[str, str], ...] = ()
    """(model fingerprint, objective) the family file gives its variants."""

    def holds(self, run: StoredRun) -> bool:
        """Whether ``run`` is one of the family matrix's columns."""
        member = (run.results.model_fingerprint, run.results.prompt_mode)
        if member not in self.members:
            return False
        return not self.runs or _tail(str(run.folder)) in self.runs


def _tail(folder: str) -> str:
    path = Path(folder)
    return f"{path.parent.name}/{path.name}"


def family_links(reports_root: Path) -> list[FamilyLink]:
    """Every stored family matrix (``reports/families/*/matrix.json``), pages linked by name."""
    links = []
    for path in sorted((reports_root / "families").glob("*/matrix.json")):
        try:
            matrix = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        family = matrix.get("family") or {}
        if "name" not in family:
            continue
        if not matrix.get("columns"):  # nothing evaluated: listed as pending, no page
            continue
        columns = matrix.get("columns", [])
        members = tuple((c["fingerprint"], c["prompt_mode"]) for c in columns)
        runs = frozenset(_tail(c["run_folder"]) for c in columns if c.get("run_folder"))
        objectives = tuple(
            (c["fingerprint"], c["objective"]) for c in columns if c.get("objective")
        )
        links.append(
            FamilyLink(
                family["name"],
                family.get("title", family["name"]),
                f"{family['name']}.html",
                members,
                runs,
                objectives,
            )
        )
    return links


def _row_key(run: StoredRun) -> tuple[str, str, str, tuple[str, ...]]:
    return (
        run.results.model_fingerprint,
        run.results.prompt_mode,
        str(run.results.limit),
        tuple(sorted(run.use_cases)),
    )


def latest_runs(runs: Sequence[StoredRun]) -> list[StoredRun]:
    """The latest complete run of each run spec (``runs`` oldest first, as from find_runs)."""
    latest: dict[tuple[str, str, str, tuple[str, ...]], StoredRun] = {}
    for run in runs:
        latest[_row_key(run)] = run
    return list(latest.values())


def _leaderboard_cell(entry: UseCaseResult) -> dict[str, Any]:
    cell = cell_summary(entry)
    cell.pop("metrics", None)
    cell["metric"] = entry.primary_metric
    return cell


def leaderboard_data(
    runs: Sequence[StoredRun],
    families: Sequence[FamilyLink],
    site_dir: Path,
    pending: Sequence[PendingFamily] = (),
) -> dict[str, Any]:
    """Rows, columns and family links of the leaderboard (the JSON export and the page data);
    ``pending``: families not evaluated yet, each with the command that would evaluate it."""
    rows: list[dict[str, Any]] = []
    ranked = []
    # A variant's objective is its identity's (as a family file gives it), whichever command
    # made the run: `make eval` reads it from the name, a family file may say otherwise.
    objective_of = {fp: objective for f in families for fp, objective in f.objectives}
    for run in latest_runs(runs):
        model = run.results.model
        mode = run.results.prompt_mode
        objective = objective_of.get(run.results.model_fingerprint) or model.objective.value
        rows.append(
            {
                "key": "|".join(map(str, _row_key(run)[:3])),
                "page": variant_page_name(model.name),
                "samples": sample_page_name(run),
                "variant": model.name,
                "objective": objective,
                "backend": model.backend or "unknown",
                "prompt_mode": mode,
                "limit": run.results.limit,
                "spec": home_relative(model.spec),
                "families": [f.name for f in families if f.holds(run)],
                "run": os.path.relpath(run.folder.resolve(), site_dir.resolve()),
                "created_utc": run.results.created_utc,
                "cells": {name: _leaderboard_cell(entry) for name, entry in run.use_cases.items()},
            }
        )
        ranked += [RankedCell(run, name, cell) for name, cell in rows[-1]["cells"].items()]
    columns = sorted({name for row in rows for name in row["cells"]})
    rank_columns(ranked)
    for row in rows:  # LIMIT runs and rows of smoke-run cells only are shown apart
        row["small"] = bool(row["cells"]) and all(c["small"] for c in row["cells"].values())
        row["apart"] = row["small"] or row["limit"] is not None  # listed apart, greyed
        row["mean_rank"] = mean_rank(row["cells"])
    rows.sort(
        key=lambda r: (
            r["apart"],
            r["mean_rank"] is None,
            r["mean_rank"] or 0,
            r["variant"],
            r["prompt_mode"],
            r["limit"] is not None,
            r["limit"] or 0,
        )
    )
    return {
        "kind": "leaderboard",
        "columns": columns,
        "rows": rows,
        "small_n": SMALL_N,
        "families": [{"name": f.name, "title": f.title, "page": f.page} for f in families],
        "pending": [p.to_dict() for p in pending],
    }


def leaderboard_csv(data: Mapping[str, Any]) -> str:
    """One line per row and use case, the same numbers as the page and the JSON."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in data["rows"]:
        for use_case, cell in sorted(row["cells"].items()):
            baseline = cell.get("baseline") or {}
            writer.writerow(
                {
                    "variant": row["variant"],
                    "objective": row["objective"],
                    "backend": row["backend"],
                    "prompt_mode": row["prompt_mode"],
                    "limit": "" if row["limit"] is None else row["limit"],
                    "families": " ".join(row["families"]),
                    "run": row["run"],
                    "created_utc": row["created_utc"],
                    "use_case": use_case,
                    "metric": cell["metric"],
                    "value": cell["value"],
                    "ci_low": cell["ci_low"],
                    "ci_high": cell["ci_high"],
                    "n": cell["n"],
                    "baseline_policy": baseline.get("policy", ""),
                    "baseline_value": baseline.get("value", ""),
                    "above_baseline": baseline.get("above_all", ""),
                    "vs_leader": cell.get("vs_leader", ""),
                }
            )
    return out.getvalue()


def leaderboard_page(data: Mapping[str, Any], suite: Mapping[str, Any]) -> str:
    """``index.html``: the filterable, sortable table across every stored run."""
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    body = f"""<header><h1>Leaderboard</h1>
<div class="meta">suite {escape(suite["name"])} {escape(suite["version"])} · generated \
{escape(generated)} · every stored complete run, the latest per variant and run spec · \
<a href="leaderboard.json">leaderboard.json</a> · <a href="leaderboard.csv">leaderboard.csv</a>\
</div>
<div class="note">Cells: primary metric, its 95% interval, n, and the strongest trivial baseline
on the same items. Cells are ranked only against runs on the same items and scoring.
<span class="key leader">▲ leader</span> the highest score above its trivial baseline;
<span class="key tie">≈ not separable</span> the paired test on shared items cannot tell it
from the leader (Holm, alpha 0.05); <span class="key overlap">∩ intervals overlap</span> no shared
items, only intervals to compare, which cannot separate them; ▽ below: separated below the
leader. LIMIT runs are listed apart, greyed, ranked only against runs on the same items; runs
with fewer than {SMALL_N} items (or under 10 passages) are smoke runs, never ranked.</div>
<nav id="family-links" aria-label="family matrix pages"></nav></header>
<main><section><h2>Runs</h2><div class="controls" role="search">
<label>search <input type="search" id="search" placeholder="variant name"></label>
<label>objective <select id="filter-objective"></select></label>
<label>family <select id="filter-family"></select></label>
<label>backend <select id="filter-backend"></select></label>
<label>prompt mode <select id="filter-prompt-mode"></select></label>
<span class="meta" id="row-count" aria-live="polite"></span>
<button type="button" id="show-all" hidden>show all rows</button></div>
<div class="scroll"><table id="leaderboard"></table></div>
<p class="meta" id="empty-note"></p></section></main>"""
    return page_html("Leaderboard", body, compact_page_data(data), scripts=("leaderboard.js",))


PAGE_CELL_FIELDS = (
    "value",
    "ci_low",
    "ci_high",
    "n",
    "baseline_policy",
    "baseline_value",
    "above_baseline",
    "vs_leader",
    "note",
    "metric",
    "small",
    "group",
    "p_vs_leader",
    "rank",
    "few",
)
"""The order of a cell's values in the page's data (each cell an array: 500 variants × 17
benchmarks stay under 2 MB); leaderboard.json keeps named fields."""


def compact_page_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The page's copy of the data: the same values, each cell an array in
    :data:`PAGE_CELL_FIELDS` order, fields the page does not show left out."""
    rows = []
    for row in data["rows"]:
        cells = {}
        for name, cell in row["cells"].items():
            baseline = cell.get("baseline") or {}
            cells[name] = [
                cell["value"],
                cell["ci_low"],
                cell["ci_high"],
                cell["n"],
                baseline.get("policy"),
                baseline.get("value"),
                baseline.get("above_all"),
                cell.get("vs_leader"),
                cell.get("note"),
                cell["metric"],
                cell.get("small"),
                cell.get("group"),
                cell.get("p_vs_leader"),
                cell.get("rank"),
                cell.get("few"),
            ]
        rows.append({k: v for k, v in row.items() if k not in ("cells", "spec")} | {"cells": cells})
    return {**data, "rows": rows, "cell_fields": list(PAGE_CELL_FIELDS)}


def write_leaderboard(
    runs_root: Path,
    reports_root: Path,
    suite: Mapping[str, Any],
    site: Path,
    pending: Sequence[PendingFamily] = (),
) -> dict[str, Path]:
    """Write ``index.html``, ``leaderboard.json``, ``leaderboard.csv`` and one page per variant
    under ``site`` (the site folder, or its staged copy beside it) from every stored run (the
    caller holds the reports lock)."""
    from evals.files import atomic_write_text, write_json
    from evals.site.compare import attach_compare
    from evals.site.publish import publish_gate_pages
    from evals.site.sample_page import write_sample_pages
    from evals.site.variant_page import write_variant_pages

    runs = find_runs(runs_root)
    data = leaderboard_data(runs, family_links(reports_root), site, pending)
    attach_compare(data["rows"], latest_runs(runs), site)  # "compare with…" pages
    data["gates"] = publish_gate_pages(reports_root, site)  # the gates' run-vs-run pages
    paths = {
        "index": site / "index.html",
        "leaderboard_json": site / "leaderboard.json",
        "leaderboard_csv": site / "leaderboard.csv",
    }
    atomic_write_text(paths["index"], leaderboard_page(data, suite))
    write_json(paths["leaderboard_json"], data)
    atomic_write_text(paths["leaderboard_csv"], leaderboard_csv(data))
    pages = write_variant_pages(runs, site)  # named in each row's "page"
    write_sample_pages(runs, site, {v: path.name for v, path in pages.items()})  # "samples"
    return paths
