"""Honest ranking of a leaderboard column: only what the paired tests separate.

A column (one use case) holds cells of runs on possibly different items. Cells are ranked only
within a **comparable group**: the same use case, items and scoring — the run spec's task part
(version, config, code, data, generation, item limit, judge) without the variant's prompting
choices (prompt mode, few-shot), so base and instruct variants in their own modes compete, as in
a family matrix. Within a group:

* **small** cells (fewer than :data:`SMALL_N` items, or fewer than :data:`SMALL_CLUSTERS`
  independent clusters such as SQuAD passages) are set apart: shown greyed with one note, never
  a leader, never compared;
* the **leader** is the highest cell that is above its trivial baseline (a cell that is not is
  never crowned; without any such cell the group has no leader);
* every other cell is tested against the leader with the paired test of :mod:`evals.decision`
  on the items both scored, Holm's correction over the group's comparisons: ``below`` when it
  is separated, ``tie`` (*not separable*) when not. Where two cells share no items, only their
  stored intervals can be compared: ``overlap`` (*intervals overlap*, which says nothing about
  whether the outputs differ) or ``below``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.decision.multiple import holm_adjust
from evals.decision.units import FEW_UNITS
from evals.errors import EvalsError
from evals.fingerprint import sha256_json
from evals.runs.pairing import align_items, pair_samples
from evals.runs.results import UseCaseResult
from evals.runs.store import RunFolderError, StoredRun

SMALL_N = 30
"""Below this many items a cell is a smoke run: set apart, never ranked."""

SMALL_CLUSTERS = FEW_UNITS
"""Below this many independent clusters (passages shared by items) a cell is set apart too."""

ALPHA = 0.05
"""Family-wise error rate of a group's comparisons with its leader (Holm)."""

_PROMPTING = frozenset({"prompt_mode", "num_fewshot", "fewshot_pool_sha256", "fewshot_seed"})


@dataclass(frozen=True)
class RankedCell:
    """One cell of a column, with the run behind it."""

    run: StoredRun
    use_case: str
    cell: MutableMapping[str, Any]
    """The page's cell (``value``, ``ci_low``, ``ci_high``, ``n``, ``baseline`` …), marked here."""


def comparable_group(run: StoredRun, use_case: str) -> str:
    """A short id of what a cell's number measures apart from the model (see the module)."""
    entry = run.use_cases[use_case]
    try:
        task = run.run_spec.tasks.get(use_case)
    except RunFolderError:
        task = None
    if task is not None:
        identity = {k: v for k, v in task.to_dict().items() if k not in _PROMPTING}
    else:  # a run without its run spec: what results.json says about its items
        identity = {
            "task_version": entry.task_version,
            "data_sha256": entry.data_sha256,
            "config_sha256": entry.config_sha256,
            "limit": run.results.limit,
        }
    return sha256_json([use_case, identity])[:12]


def small_note(entry: UseCaseResult) -> str | None:
    """Why a cell is too small to rank (None: it is not)."""
    n, clusters = entry.n, entry.clusters
    if n < SMALL_N:
        return f"n={n}: a smoke run; too few items to rank, shown apart"
    if clusters is not None and clusters < SMALL_CLUSTERS:
        return (
            f"{n} items from only {clusters} passages: too few independent clusters to "
            "rank, shown apart"
        )
    return None


def _above_baseline(cell: Mapping[str, Any]) -> bool:
    baseline = cell.get("baseline")
    return baseline is None or baseline.get("above_all") is True


def _paired(leader: RankedCell, other: RankedCell) -> dict[str, Any] | None:
    """other − leader on shared items (None: no shared items or no samples)."""
    entry = leader.run.use_cases[leader.use_case]
    metric, reducer = entry.primary_metric, entry.primary_reducer
    try:
        a, b = leader.run.samples(leader.use_case), other.run.samples(other.use_case)
        if not align_items(a, b):
            return None
        diff = pair_samples(
            a, b, metric, reducer, (str(leader.run.folder), str(other.run.folder))
        ).difference
    except EvalsError:
        return None
    return {"difference": diff.value, "p": diff.p_value(0.0, "two-sided"), "n": diff.n}


def _by_intervals(leader: Mapping[str, Any], other: Mapping[str, Any]) -> str:
    if None in (other.get("ci_high"), leader.get("ci_low")):
        return "unknown"
    return "overlap" if other["ci_high"] >= leader["ci_low"] else "below"


def rank_group(cells: Sequence[RankedCell], alpha: float = ALPHA) -> None:
    """Mark one comparable group's cells (``vs_leader``, ``p_vs_leader``, ``small``)."""
    full = []
    for ranked in cells:
        note = small_note(ranked.run.use_cases[ranked.use_case])
        ranked.cell.update(small=note is not None, note=note, p_vs_leader=None, rank=None)
        if note is not None:
            ranked.cell["vs_leader"] = "small"
        elif ranked.cell["value"] is None:
            ranked.cell["vs_leader"] = "unknown"
        else:
            full.append(ranked)
    for ranked in full:  # 1 + how many cells of the group score higher (ties share a rank)
        ranked.cell["rank"] = 1 + sum(o.cell["value"] > ranked.cell["value"] for o in full)
    eligible = [r for r in full if _above_baseline(r.cell)]
    if not eligible:
        for ranked in full:
            ranked.cell["vs_leader"] = "no_leader"
        return
    leader = max(eligible, key=lambda r: r.cell["value"])
    leader.cell["vs_leader"] = "leader"
    tests: dict[int, dict[str, Any]] = {}
    for index, ranked in enumerate(full):
        if ranked is leader:
            continue
        result = _paired(leader, ranked)
        if result is None:
            ranked.cell["vs_leader"] = _by_intervals(leader.cell, ranked.cell)
        else:
            tests[index] = result
    adjusted = holm_adjust({str(i): t["p"] for i, t in tests.items()})
    for index, result in tests.items():
        ranked = full[index]
        p = adjusted[str(index)]
        ranked.cell["p_vs_leader"] = p
        separated = p < alpha and result["difference"] < 0
        ranked.cell["vs_leader"] = "below" if separated else "tie"


def rank_columns(cells: Sequence[RankedCell], alpha: float = ALPHA) -> None:
    """Mark every cell: each column's comparable groups ranked on their own."""
    groups: dict[tuple[str, str], list[RankedCell]] = {}
    for ranked in cells:
        key = (ranked.use_case, comparable_group(ranked.run, ranked.use_case))
        ranked.cell["group"] = key[1]
        groups.setdefault(key, []).append(ranked)
    for group in groups.values():
        rank_group(group, alpha)


def mean_rank(cells: Mapping[str, Mapping[str, Any]]) -> float | None:
    """A row's mean over its ranked cells of its rank within each cell's comparable group
    (None: no ranked cell): the leaderboard's default order."""
    ranks = [c["rank"] for c in cells.values() if c.get("rank") is not None]
    return round(sum(ranks) / len(ranks), 2) if ranks else None
