"""``evals plan``: how many items a comparison needs, before (or from) a run.

Two ways to know the noise of a paired difference:

- **assumed**: pass/fail items where a share ``discordance`` of items differ between the two
  systems (without a guess: ``2·min(p, 1 − p)`` at a score of ``p``, the worst case — the
  most items two systems that both score ``p`` can differ on, so the most items a comparison
  at that score can need; two systems whose errors are unrelated differ on ``2·p·(1 − p)``,
  43% fewer at 70%);
- **measured**: the standard error seen between two stored runs on their shared items, scaled
  by 1/√n (:mod:`evals.decision.power`).

For a matrix row (two-sided test of no difference, Holm over ``comparisons``) the answer is the
items for which a true gap of ``gap`` is found with 80% power; for the gate (``margin``) it is the
items for which an unchanged candidate is shown to be within the allowed drop with 80% power.
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.decision.power import POWER, items_needed, paired_proportion_se, z_sum
from evals.errors import EvalsError


@dataclass(frozen=True)
class PlanLine:
    """One answer."""

    what: str
    """The comparison planned."""

    items: int | None
    """Items needed (None: nothing varies, no number is informative)."""

    basis: str
    """Where the noise figure came from."""


def _level(comparisons: int, alpha: float, margin: float | None) -> tuple[float, int]:
    if margin is not None:
        return alpha, 1  # non-inferiority: one-sided at alpha (intersection-union, no Holm)
    return alpha / max(1, comparisons), 2


def plan_assumed(
    *,
    gap: float,
    rate: float,
    discordance: float | None,
    alpha: float = 0.05,
    power: float = POWER,
    comparisons: int = 1,
    margin: float | None = None,
) -> PlanLine:
    """Items for pass/fail scores around ``rate`` (percent)."""
    if not 0 < rate < 100:
        raise EvalsError(f"--rate must be between 0 and 100 (got {rate})")
    p = rate / 100
    share = discordance if discordance is not None else 2 * min(p, 1 - p)
    if not 0 < share <= 1:
        raise EvalsError(f"--discordance must be in (0, 1] (got {share})")
    level, sides = _level(comparisons, alpha, margin)
    unit_se = paired_proportion_se(1, share)  # se at n = 1; se(n) = unit_se / √n
    target = margin if margin is not None else gap
    if target is None or target <= 0:
        raise EvalsError("--gap (or --margin) must be positive")
    n = int(-(-((z_sum(level, power, sides=sides) * unit_se / target) ** 2) // 1))
    worst = "" if discordance is not None else " (the worst case: 2·min(p, 1 − p))"
    basis = f"pass/fail at {rate:g}%, {100 * share:.0f}% of items differing{worst}"
    return PlanLine(_what(gap, margin, comparisons, alpha, power), max(2, n), basis)


def plan_measured(
    *,
    se: float,
    n: int,
    gap: float,
    alpha: float = 0.05,
    power: float = POWER,
    comparisons: int = 1,
    margin: float | None = None,
    name: str = "",
) -> PlanLine:
    """Items for the noise seen between two stored runs (``se`` at ``n`` shared items)."""
    level, sides = _level(comparisons, alpha, margin)
    target = margin if margin is not None else gap
    items = items_needed(se, n, target, level, power, sides=sides)
    basis = f"{name}: se {se:.2f} measured on {n} shared items"
    return PlanLine(_what(gap, margin, comparisons, alpha, power), items, basis)


def _what(gap: float, margin: float | None, comparisons: int, alpha: float, power: float) -> str:
    if margin is not None:
        return (
            f"gate: show an unchanged candidate within the allowed drop {margin:g} "
            f"({100 * power:.0f}% power, one-sided alpha {alpha:g})"
        )
    holm = f", Holm over {comparisons}" if comparisons > 1 else ""
    return (
        f"matrix: find a true gap of {gap:g} points ({100 * power:.0f}% power, "
        f"two-sided alpha {alpha:g}{holm})"
    )
