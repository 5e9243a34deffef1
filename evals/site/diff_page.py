"""The run-vs-run page: two comparable runs side by side.

Per use case: the paired difference (candidate − baseline, :mod:`evals.runs.pairing` and
:mod:`evals.decision`) with its interval and a verdict — the gate's own verdicts and bounds when
the gate writes the page, else whether the 95% interval excludes 0 — and the items whose score
changed, biggest loss first, with both outputs and a word-level diff. A pair that is not
comparable gets a page saying which run-spec field differs, and nothing else.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from evals.decision.units import few_units_note
from evals.runs.pairing import align_items, pair_samples
from evals.runs.spec import first_difference
from evals.runs.store import RunFolderError, StoredRun
from evals.site.html import home_relative, page_html
from evals.site.samples import input_text, raw_output, reference_text
from evals.statistics import item_scores

FLIPS_SHOWN = 200
"""Changed items listed per use case and direction: the biggest losses and the biggest gains
(the page says how many changed in all, and pages through the listed ones)."""

_TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> list[list[str]]:
    """``[op, text]`` runs turning ``before`` into ``after`` word by word: ``=`` kept,
    ``-`` only in ``before``, ``+`` only in ``after`` (whitespace travels with its words)."""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    out: list[list[str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(["=", "".join(a[i1:i2])])
            continue
        if i2 > i1:
            out.append(["-", "".join(a[i1:i2])])
        if j2 > j1:
            out.append(["+", "".join(b[j1:j2])])
    return out


def not_comparable(baseline: StoredRun, candidate: StoredRun) -> tuple[str, Any, Any] | None:
    """The first run-spec field (model aside) on which the runs differ for the use cases they
    share, with both values; None when comparable."""
    shared = [name for name in baseline.use_cases if name in candidate.use_cases]
    if not shared:
        return "use cases", sorted(baseline.use_cases), sorted(candidate.use_cases)
    try:
        return first_difference(baseline.run_spec, candidate.run_spec, tasks=shared)
    except RunFolderError as err:
        return "run_spec.json", str(err), None


def _flips(paired: Any, reducer: str) -> tuple[list[dict[str, Any]], int, int]:
    """The changed items listed (the biggest losses, then the biggest gains, at most
    :data:`FLIPS_SHOWN` each) and how many items lost and gained in all."""
    base = item_scores(paired.stats_a, reducer)
    cand = item_scores(paired.stats_b, reducer)
    delta = [float(cand[i]) - float(base[i]) for i in range(len(paired.pairs))]
    losses = sorted((i for i, d in enumerate(delta) if d < 0), key=lambda i: delta[i])
    gains = sorted((i for i, d in enumerate(delta) if d > 0), key=lambda i: -delta[i])
    out = []
    for i in losses[:FLIPS_SHOWN] + gains[:FLIPS_SHOWN]:
        record_b, record_c = paired.pairs[i]
        before, after = raw_output(record_b), raw_output(record_c)
        out.append(
            {
                "item_id": str(record_b.get("item_id")),
                "input": input_text(record_b),
                "reference": reference_text(record_b),
                "baseline_score": float(base[i]),
                "candidate_score": float(cand[i]),
                "baseline_output": before,
                "candidate_output": after,
                "diff": word_diff(before, after),
            }
        )
    return out, len(losses), len(gains)


def _run_summary(run: StoredRun) -> dict[str, Any]:
    return {
        "variant": run.variant,
        "fingerprint": run.results.model_fingerprint,
        "folder": home_relative(str(run.folder)),
        "created_utc": run.results.created_utc,
        "prompt_mode": run.results.prompt_mode,
        "limit": run.results.limit,
    }


def run_diff_data(
    baseline: StoredRun,
    candidate: StoredRun,
    gate: Mapping[str, Mapping[str, Any]] | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The page data. ``gate``: per use case the gate's verdict, reason, bounds and both
    values; ``status``: the gate's overall status."""
    data: dict[str, Any] = {
        "kind": "diff",
        "baseline": _run_summary(baseline),
        "candidate": _run_summary(candidate),
        "use_cases": [],
        "source": "gate" if gate else "interval",
        "status": status,
        "flips_shown": FLIPS_SHOWN,
    }
    found = not_comparable(baseline, candidate)
    if found is not None and gate is None:
        field, base, cand = found
        data["not_comparable"] = {
            "field": field,
            "baseline": home_relative(repr(base)),
            "candidate": home_relative(repr(cand)),
        }
        return data
    for name, entry in baseline.use_cases.items():
        if name not in candidate.use_cases or (gate is not None and name not in gate):
            continue
        metric, reducer = entry.primary_metric, entry.primary_reducer
        samples_b, samples_c = baseline.samples(name), candidate.samples(name)
        if not align_items(samples_b, samples_c):
            continue
        paired = pair_samples(
            samples_b, samples_c, metric, reducer, (f"baseline {name}", f"candidate {name}")
        )
        diff = paired.difference
        flips, losses, gains = _flips(paired, reducer)
        values = (
            entry.primary.to_dict()["value"],
            candidate.use_cases[name].primary.to_dict()["value"],
        )
        if gate is not None:
            g = gate[name]
            low, high, verdict, reason = g["lower"], g["upper"], g["verdict"], g["reason"]
            values = (g.get("baseline", values[0]), g.get("candidate", values[1]))
            bounds = "the gate's bounds (no-drop test lower, regression test upper)"
        elif not losses and not gains:  # every shared item scores the same: nothing to test
            low = high = 0.0
            verdict, reason = "identical", "every shared item scores the same in both runs"
            bounds = "no item changed"
        else:
            low, high = diff.interval(0.95)
            verdict = (
                "candidate higher"
                if low > 0
                else "candidate lower"
                if high < 0
                else "not separable"
            )
            reason, bounds = "95% interval of the paired difference", "95% interval"
        data["use_cases"].append(
            {
                "use_case": name,
                "metric": metric,
                "n": diff.n,
                "method": diff.method,
                "few": few_units_note(
                    diff.n,
                    diff.units if diff.units < diff.n else None,
                    entry.cluster_unit,
                ),
                "baseline_value": values[0],
                "candidate_value": values[1],
                "difference": diff.value,
                "ci_low": low,
                "ci_high": high,
                "bounds": bounds,
                "verdict": verdict,
                "reason": reason,
                "flips": flips,
                "losses": losses,
                "gains": gains,
            }
        )
    return data


def run_diff_page(data: Mapping[str, Any]) -> str:
    """The HTML of a run-vs-run page."""
    b, c = data["baseline"], data["candidate"]
    title = f"{c['variant']} vs {b['variant']}"
    status = data.get("status")
    banner = (
        f'<p class="gate-status status-{escape(status)}" id="gate-status">Gate: '
        f"<strong>{escape(status)}</strong></p>"
        if status
        else ""
    )
    body = f"""<header><h1>{escape(title)}</h1>{banner}
<div class="meta">candidate {escape(str(c["folder"]))} · baseline {escape(str(b["folder"]))} · \
differences are candidate − baseline on the items both runs scored</div></header><main>
<section><h2>Per use case</h2><div id="diff-summary"></div></section>
<section><h2>Items that changed</h2><div class="controls">
<label>use case <select id="flip-use-case"></select></label>
<label>show <select id="flip-kind"><option value="loss">losses (biggest first)</option>
<option value="gain">gains (biggest first)</option></select></label>
<button type="button" id="flip-prev">◀ previous</button>
<button type="button" id="flip-next">next ▶</button>
<span class="meta" id="flip-count" aria-live="polite"></span></div>
<div id="flips"></div></section></main>"""
    return page_html(title, body, dict(data), scripts=("diff.js",))


def write_run_diff(
    baseline: StoredRun,
    candidate: StoredRun,
    path: Path,
    gate: Mapping[str, Mapping[str, Any]] | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """Write the page; returns its data (``not_comparable`` set when the pair is not)."""
    from evals.files import atomic_write_text

    data = run_diff_data(baseline, candidate, gate, status)
    atomic_write_text(path, run_diff_page(data))
    return data
