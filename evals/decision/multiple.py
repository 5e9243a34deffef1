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
    """The level each hypothesis is tested at in Holm's procedure (α / (m − rank)); a
    confidence bound at that level agrees with the adjusted p-value's decision."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    m = len(ordered)
    return {key: alpha / (m - rank) for rank, (key, _) in enumerate(ordered)}
