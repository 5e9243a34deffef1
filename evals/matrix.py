"""The objective matrix: use cases × variants, which one wins each use case, and whether the
naming folklore predicted it.

For each use case the best column is compared with the runner-up on the items both scored,
with the same paired test as the gate (exact McNemar for pass/fail scores, paired bootstrap
otherwise), Holm-corrected across use cases. A winner is named only when the adjusted p-value is
below alpha; otherwise the row is a tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from evals.paired import PairedResult, compare_samples, holm_adjust
from evals.runs import StoredRun

# What the naming folklore says each objective is for, by use case.
FOLKLORE: dict[str, tuple[str, ...]] = {
    "summarization": ("base", "instruct"),
    "qa": ("base",),
    "sentiment": ("instruct",),
    "ner": ("instruct",),
    "chat": ("chat",),
    "code": ("code",),
}


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

    @property
    def label(self) -> str:
        """Header text."""
        return f"{self.variant} ({self.prompt_mode})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        model = self.run.results["model"]
        return {
            "key": self.key,
            "label": self.label,
            "variant": self.variant,
            "objective": self.objective,
            "prompt_mode": self.prompt_mode,
            "run_folder": str(self.run.folder),
            "created_utc": self.run.results.get("created_utc"),
            "fingerprint": model["fingerprint"],
            "model_hash": model["model_hash"],
            "spec": model["spec"],
            "backend": model["backend"],
        }


def _cell(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "value": entry["primary"]["value"],
        "ci_low": entry["primary"]["ci_low"],
        "ci_high": entry["primary"]["ci_high"],
        "n": entry["n"],
        "invalid_rate": entry["invalid_rate"],
        "metrics": entry["metrics"],
        "num_fewshot": entry["num_fewshot"],
        "fingerprint": entry.get("fingerprint"),
    }


def _row(use_case: str, columns: Sequence[Column]) -> tuple[dict[str, Any], PairedResult | None]:
    present = [c for c in columns if use_case in c.run.use_cases]
    entries = {c.key: c.run.use_cases[use_case] for c in present}
    first = next(iter(entries.values()))

    def score(c: Column) -> float:
        value = entries[c.key]["primary"]["value"]
        return float("-inf") if value is None else float(value)

    ranking = sorted(present, key=lambda c: -score(c))
    paired = None
    if len(ranking) >= 2:
        best, second = ranking[0], ranking[1]
        paired = compare_samples(
            second.run.samples(use_case),
            best.run.samples(use_case),
            first["primary_metric"],
            first.get("primary_reducer", "mean"),
        )
    row = {
        "use_case": use_case,
        "metric": first["primary_metric"],
        "cells": {key: _cell(entry) for key, entry in entries.items()},
        "ranking": [c.key for c in ranking],
        "best": ranking[0].key,
        "runner_up": ranking[1].key if len(ranking) > 1 else None,
        "paired": paired.to_dict() if paired else None,
        "group": first.get("group", use_case),
        "dataset": first.get("dataset", {}).get("benchmark"),
        "folklore": list(FOLKLORE.get(first.get("group", use_case), ())),
        "data_sha256": first["data_sha256"],
        "task_version": first["task_version"],
    }
    return row, paired


def build_matrix(
    columns: Sequence[Column], use_cases: Sequence[str], *, alpha: float = 0.05
) -> dict[str, Any]:
    """The matrix as a JSON-ready dict (what ``matrix.json`` holds and the page renders)."""
    by_key = {c.key: c for c in columns}
    rows, p_values = [], {}
    for use_case in use_cases:
        if not any(use_case in c.run.use_cases for c in columns):
            continue
        row, paired = _row(use_case, columns)
        rows.append(row)
        if paired is not None:
            p_values[use_case] = paired.p_value
    adjusted = holm_adjust(p_values)
    for row in rows:
        best = by_key[row["best"]]
        p_adj = adjusted.get(row["use_case"])
        significant = (
            p_adj is not None and p_adj < alpha and row["paired"]["difference"]["value"] > 0
        )
        row["p_adjusted"] = p_adj
        row["winner"] = row["best"] if significant else None
        row["winner_objective"] = best.objective if significant else None
        if not significant:
            row["agreement"] = "tie"
        elif best.objective in row["folklore"]:
            row["agreement"] = "agrees"
        else:
            row["agreement"] = "disagrees"
    return {
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "alpha": alpha,
        "correction": "holm",
        "columns": [c.to_dict() for c in columns],
        "rows": rows,
    }


def matrix_markdown(matrix: dict[str, Any], title: str = "Objective matrix") -> str:
    """A paste-able markdown table: one row per use case, one column per variant."""
    columns = matrix["columns"]
    labels = {c["key"]: c["label"] for c in columns}
    head = ["use case", "metric", *(c["label"] for c in columns), "winner", "objective",
            "folklore", "verdict"]  # fmt: skip
    lines = [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in matrix["rows"]:
        cells = []
        for c in columns:
            cell = row["cells"].get(c["key"])
            if cell is None:
                cells.append("—")
                continue
            mark = " **★**" if row["winner"] == c["key"] else ""
            cells.append(f"{cell['value']:.1f} [{cell['ci_low']:.1f}, {cell['ci_high']:.1f}]{mark}")
        p = row["p_adjusted"]
        winner = labels[row["winner"]] if row["winner"] else f"tie (p={p:.2g})" if p else "tie"
        lines.append(
            "| "
            + " | ".join(
                [
                    row["use_case"],
                    row["metric"],
                    *cells,
                    winner,
                    row["winner_objective"] or "—",
                    "/".join(row["folklore"]) or "—",
                    row["agreement"],
                ]
            )
            + " |"
        )
    lines += [
        "",
        f"Cells: primary metric [95% bootstrap CI]. ★ = winner: best vs runner-up on shared items "
        f"(exact McNemar or paired bootstrap), Holm-corrected across use cases, alpha "
        f"{matrix['alpha']}. Folklore: the objective the naming convention recommends.",
    ]
    return "\n".join(lines) + "\n"
