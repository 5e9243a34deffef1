"""How many independent units carry a result, and the "few clusters" note beside its n.

Items that share a cluster (a QA passage) are one unit to every interval and test here; other
items are each their own. With few units an interval's or a test's degrees of freedom are
few, whatever n says: 48 questions on 2 passages are 2 units, not 48. The CLI table, the
pages and the gate all say so through :func:`few_units_note` (one threshold,
:data:`FEW_UNITS`)."""

from __future__ import annotations

FEW_UNITS = 10
"""Below this many independent units (clusters, or items where items share none), a result
says so beside its n."""


def independent_units(n: int, clusters: int | None) -> int:
    """The units a result on ``n`` items rests on: its clusters, or the items themselves."""
    return n if clusters is None else min(clusters, n)


def few_units_note(n: int, clusters: int | None, unit: str = "cluster") -> str | None:
    """``"few clusters: 2 passages for 48 items"`` (or ``"few clusters: 6 items, each its
    own"``) when a result on ``n`` items rests on fewer than :data:`FEW_UNITS` independent
    units; None when it does not, or when nothing was scored."""
    units = independent_units(n, clusters)
    if n <= 0 or units >= FEW_UNITS:
        return None
    if units < n:
        return f"few clusters: {units} {unit}{'' if units == 1 else 's'} for {n} items"
    return f"few clusters: {n} item{'' if n == 1 else 's'}, each its own"
