"""Multiplicity: Holm's step-down adjustment (family-wise error control, any dependence)."""

from __future__ import annotations

from collections.abc import Mapping


def holm_adjust(p_values: Mapping[str, float]) -> dict[str, float]:
    """Holm-adjusted p-values: the k-th smallest of m is multiplied by (m − k), then made
    monotone and capped at 1. A hypothesis is rejected at family-wise level α iff its adjusted
    p-value is below α."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    m = len(ordered)
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, (key, p) in enumerate(ordered):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[key] = running
    return adjusted


def holm_levels(p_values: Mapping[str, float], alpha: float) -> dict[str, float]:
    """The level each hypothesis is decided at in Holm's step-down procedure: the k-th
    smallest p-value of m (rank k = 0, 1, …) is tested at α / (m − k) while every earlier step
    rejected; from the first step that does not reject, that step's level α / (m − s) holds for
    it and for every later hypothesis (the procedure has stopped: none of them is rejected, and
    a confidence bound at that level says so, since each of their p-values is at least the
    stopping one). So ``p < level`` exactly when the Holm-adjusted p-value is below α, and a
    bound at ``level`` never contradicts the decision."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    m = len(ordered)
    levels: dict[str, float] = {}
    stopped: float | None = None
    for rank, (key, p) in enumerate(ordered):
        level = alpha / (m - rank) if stopped is None else stopped
        if stopped is None and not p < level:
            stopped = level
        levels[key] = level
    return levels
