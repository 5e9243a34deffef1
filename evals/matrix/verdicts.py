"""The objective matrix: use cases × variants, which variant wins each use case, and whether the
naming folklore predicted it.

Competitors are **variants**, each at its designated prompt mode (the first mode its family
entry lists, else the one its objective calls for). Extra prompt modes of a variant are
*within-variant controls*: shown, and compared with the same variant's designated mode, but
never competitors.

For each use case the best variant (highest point estimate) is compared with every other
variant on the items both scored — the paired test of :mod:`evals.decision` at Δ = 0,
two-sided — and Holm's correction runs over those k − 1 comparisons. A winner is named only
when it beats *every* other variant after Holm. Otherwise the row is a tie, and it says why:
the smallest difference its items can resolve (80% power at the Holm level of the hardest
comparison) and how many items a stated gap would need.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from evals.decision.multiple import holm_adjust
from evals.decision.power import POWER, items_needed, min_detectable
from evals.models.objective import FOLKLORE_CLAIMS
from evals.runs.pairing import align_items, pair_samples
from evals.runs.results import UseCaseResult
from evals.runs.store import StoredRun


def folklore(group: str) -> tuple[str, ...]:
    """The objectives the folklore says win a use case (from its definition's claims; none
    for a group no definition under ``tasks/`` names)."""
    from evals.usecases.discovery import folklore_objectives

    return folklore_objectives().get(group, ())


RESOLVE_GAP = 10.0
"""The stated gap (points) a tie's "items needed" figure refers to."""


@dataclass(frozen=True)
class Column:
    """One column of the matrix: a variant in one prompt mode, backed by a stored run."""

    key: str
    """Unique id, ``<variant>|<prompt mode>``."""

    variant: str
    """Display name of the variant."""

    objective: str
    """Fine-tuning objective of the variant."""

    prompt_mode: str
    """``completion`` or ``chat``."""

    run: StoredRun
    """The run that supplies its scores and samples."""

    designated: bool = True
    """Whether this is the variant's designated prompt mode (a competitor); else a control."""

    @property
    def label(self) -> str:
        """Header text."""
        return f"{self.variant} ({self.prompt_mode})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        model = self.run.results.model
        return {
            "key": self.key,
            "label": self.label,
            "variant": self.variant,
            "objective": self.objective,
            "prompt_mode": self.prompt_mode,
            "designated": self.designated,
            "role": "competitor" if self.designated else "control",
            "run_folder": str(self.run.folder),
            "created_utc": self.run.results.created_utc,
            "fingerprint": self.run.results.model_fingerprint,
            "model_hash": model.model_hash,
            "spec": model.spec,
            "backend": model.backend,
        }


def cell_summary(entry: UseCaseResult) -> dict[str, Any]:
    """A stored use case as a matrix or leaderboard cell: the primary value, its interval,
    n (and few units), the strongest trivial baseline and every metric."""
    written = entry.to_dict()
    baselines = entry.baselines
    strongest = baselines.get("strongest")
    policy = (baselines.get("policies") or {}).get(strongest) if strongest else None
    primary = written["primary"]
    return {
        "value": primary["value"],
        "ci_low": primary["ci_low"],
        "ci_high": primary["ci_high"],
        "n": entry.n,
        "few": entry.few_units,
        "invalid_rate": entry.invalid_rate,
        "metrics": written["metrics"],
        "num_fewshot": entry.num_fewshot,
        "fingerprint": entry.fingerprint,
        "interval": written["interval"],
        "baseline": None
        if policy is None
        else {
            "policy": strongest,
            "value": policy["score"]["value"],
            "above_all": baselines.get("above_all"),
        },
    }


def compare_columns(a: Column, b: Column, use_case: str) -> dict[str, Any]:
    """Paired difference b − a of the primary metric on the items both scored."""
    entry = a.run.use_cases[use_case]
    metric, reducer = entry.primary_metric, entry.primary_reducer
    samples_a, samples_b = a.run.samples(use_case), b.run.samples(use_case)
    if not align_items(samples_a, samples_b):
        raise ValueError(f"{use_case}: {a.key} and {b.key} share no items")
    diff = pair_samples(samples_a, samples_b, metric, reducer, (a.key, b.key)).difference
    low, high = diff.interval(0.95)
    return {
        "a": a.key,
        "b": b.key,
        "difference": diff.value,
        "ci_low": low,
        "ci_high": high,
        "se": diff.se,
        "n": diff.n,
        "units": diff.units,
        "method": diff.method,
        "p_value": diff.p_value(0.0, "two-sided"),
        "_diff": diff,
    }


def _value(column: Column, use_case: str) -> float:
    value = column.run.use_cases[use_case].primary.value
    return float("-inf") if math.isnan(value) else float(value)


def _row(use_case: str, columns: Sequence[Column], alpha: float, gap: float) -> dict[str, Any]:
    present = [c for c in columns if use_case in c.run.use_cases]
    entries = {c.key: c.run.use_cases[use_case] for c in present}
    first = next(iter(entries.values()))
    group = first.group or use_case
    competitors = sorted((c for c in present if c.designated), key=lambda c: -_value(c, use_case))
    comparisons = []
    if len(competitors) >= 2:
        best = competitors[0]
        comparisons = [compare_columns(other, best, use_case) for other in competitors[1:]]
        adjusted = holm_adjust({c["a"]: c["p_value"] for c in comparisons})
        for c in comparisons:
            c["p_adjusted"] = adjusted[c["a"]]
            c["significant"] = c["p_adjusted"] < alpha and c["difference"] > 0
    won = bool(comparisons) and all(c["significant"] for c in comparisons)
    winner = competitors[0] if won else None
    row: dict[str, Any] = {
        "use_case": use_case,
        "metric": first.primary_metric,
        "cells": {key: cell_summary(entry) for key, entry in entries.items()},
        "ranking": [c.key for c in competitors],
        "best": competitors[0].key if competitors else None,
        "runner_up": competitors[1].key if len(competitors) > 1 else None,
        "comparisons": [{k: v for k, v in c.items() if k != "_diff"} for c in comparisons],
        "controls": _controls(use_case, present),
        "winner": winner.key if winner else None,
        "winner_objective": winner.objective if winner else None,
        "group": group,
        "dataset": first.dataset.get("benchmark"),
        "folklore": list(folklore(group)),
        "folklore_claim": folklore_claim(group),
        "data_sha256": first.data_sha256,
        "task_version": first.task_version,
    }
    row["agreement"] = (
        "tie"
        if winner is None
        else "agrees"
        if winner.objective in row["folklore"]
        else "disagrees"
    )
    row["resolution"] = _resolution(comparisons, alpha, gap)
    row["verdict"] = _verdict_text(row, competitors, comparisons)
    return row


def _controls(use_case: str, present: Sequence[Column]) -> list[dict[str, Any]]:
    """Each extra prompt mode against the same variant's designated mode (the mode effect)."""
    designated = {c.variant: c for c in present if c.designated}
    out = []
    for c in present:
        main = designated.get(c.variant)
        if c.designated or main is None:
            continue
        result = compare_columns(main, c, use_case)
        out.append({k: v for k, v in result.items() if k != "_diff"})
    return out


def _resolution(comparisons: list[dict[str, Any]], alpha: float, gap: float) -> dict[str, Any]:
    """What the hardest comparison (best vs runner-up) can resolve, and items for ``gap``."""
    if not comparisons:
        return {}
    hardest = min(comparisons, key=lambda c: abs(c["difference"]))
    diff = hardest["_diff"]
    level = alpha / len(comparisons)  # Holm's most demanding step
    return {
        "n": diff.n,
        # no spread (every item scores the same for both): no resolution to report, not 0
        "min_detectable": min_detectable(diff.se, level, POWER, sides=2) if diff.se > 0 else None,
        "gap": gap,
        "items_for_gap": items_needed(diff.se, diff.n, gap, level, POWER, sides=2),
        "power": POWER,
        "against": hardest["a"],
    }


def _verdict_text(row: dict[str, Any], competitors: list[Column], comparisons: list) -> str:
    if len(competitors) < 2:
        return "one variant: nothing to compare"
    if row["winner"]:
        return f"{row['winner']} wins (beats every other variant, Holm)"
    res = row["resolution"]
    if res["min_detectable"] is None:
        both = "both variants" if len(competitors) == 2 else "the two closest variants"
        return (
            f"tie (n={res['n']}: every item scores the same for {both}, so these outputs "
            "cannot say what difference the items resolve)"
        )
    needed = res["items_for_gap"]
    more = f"; {needed} items would resolve {res['gap']:g}" if needed else ""
    return f"tie (n={res['n']} resolves ≥ {res['min_detectable']:.1f} points{more})"


def folklore_claim(group: str) -> str:
    """The folklore's words for a use case: ``summarization: base, instruct``."""
    objectives = folklore(group)
    if not objectives:
        return f"{group}: no folklore claim"
    return f"{group}: " + ", ".join(objectives)


def build_matrix(
    columns: Sequence[Column],
    use_cases: Sequence[str],
    *,
    alpha: float = 0.05,
    gap: float = RESOLVE_GAP,
) -> dict[str, Any]:
    """The matrix as a JSON-ready dict (what ``matrix.json`` holds and the page renders)."""
    rows = [
        _row(use_case, columns, alpha, gap)
        for use_case in use_cases
        if any(use_case in c.run.use_cases for c in columns)
    ]
    return {
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "alpha": alpha,
        "correction": "holm within each row (best vs every other variant)",
        "folklore_claims": {k: list(v) for k, v in FOLKLORE_CLAIMS.items()},
        "columns": [c.to_dict() for c in columns],
        "rows": rows,
    }


def matrix_markdown(matrix: dict[str, Any], title: str = "Objective matrix") -> str:
    """A paste-able markdown table: one row per use case, one column per variant."""
    columns = matrix["columns"]
    head = [
        "use case",
        "metric",
        *(c["label"] + ("" if c.get("designated", True) else " [control]") for c in columns),
        "verdict",
        "folklore",
        "agreement",
    ]
    lines = [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in matrix["rows"]:
        cells = []
        for c in columns:
            cell = row["cells"].get(c["key"])
            if cell is None or cell["value"] is None:
                cells.append("—")
                continue
            mark = " **★**" if row["winner"] == c["key"] else ""
            base = cell.get("baseline")
            trivial = (
                f" (trivial {base['value']:.1f})" if base and base["value"] is not None else ""
            )
            bounds = (
                f"[{cell['ci_low']:.1f}, {cell['ci_high']:.1f}]"
                if cell["ci_low"] is not None and cell["ci_high"] is not None
                else "[no interval]"
            )
            few = f" ({cell['few']})" if cell.get("few") else ""
            cells.append(f"{cell['value']:.1f} {bounds} n={cell['n']}{few}{trivial}{mark}")
        fields = [
            row["use_case"],
            row["metric"],
            *cells,
            row["verdict"],
            row["folklore_claim"],
            row["agreement"],
        ]
        lines.append("| " + " | ".join(fields) + " |")
    lines += [
        "",
        "Cells: primary metric [95% interval] n= items (trivial: the strongest no-skill policy "
        "on the same items). ★ = winner: the best variant beats every other variant on shared "
        f"items (paired test, Holm within the row, alpha {matrix['alpha']}). [control] = an extra "
        "prompt mode of a variant, compared with its designated mode, never a competitor. "
        "Folklore: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in FOLKLORE_CLAIMS.items()) + ".",
    ]
    return "\n".join(lines) + "\n"
