"""Power: the smallest difference a comparison can resolve, and the items a stated gap needs.

All figures use the normal approximation to the test in :mod:`evals.decision.paired`: a test
at level α (one-sided, or α/2 per side) with standard error ``se`` detects a true difference of
``(z₁₋α + z_power) · se`` beyond its null with probability ``power``. The standard error of a
mean over n independent units shrinks as 1/√n, so the items a gap g needs are
``n · ((z₁₋α + z_power) · se / g)²``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from evals.decision.distributions import norm_cdf, norm_ppf

POWER = 0.80


def z_sum(alpha: float, power: float = POWER, *, sides: int = 1) -> float:
    """``z₁₋α/sides + z_power``."""
    return float(norm_ppf(1 - alpha / sides) + norm_ppf(power))


def min_detectable(se: float, alpha: float, power: float = POWER, *, sides: int = 1) -> float:
    """The smallest true difference (beyond the null) detected with ``power``."""
    return z_sum(alpha, power, sides=sides) * se


def items_needed(
    se: float, n: int, gap: float, alpha: float, power: float = POWER, *, sides: int = 1
) -> int | None:
    """Items for which a true difference ``gap`` is detected with ``power``, given the ``se``
    seen at ``n`` items (None when nothing varies: no number of items is informative)."""
    if gap <= 0 or not math.isfinite(se) or se <= 0:
        return None
    return max(2, math.ceil(n * (z_sum(alpha, power, sides=sides) * se / gap) ** 2))


def paired_proportion_se(n: int, discordance: float, difference: float = 0.0) -> float:
    """Standard error (points) of a paired difference of proportions at n items, when a share
    ``discordance`` of the items differ between the two systems."""
    d = difference / 100.0
    return 100.0 * math.sqrt(max(0.0, discordance - d * d) / n)


def power_at(difference: float, se: float, alpha: float, *, sides: int = 1) -> float:
    """Probability of detecting a true ``difference`` (beyond the null) with this ``se``."""
    if se <= 0:
        return 1.0 if difference > 0 else 0.0
    return float(norm_cdf(abs(difference) / se - norm_ppf(1 - alpha / sides)))


def planning_se(
    stats: np.ndarray,
    reducer: str,
    clusters: Sequence[str] | None,
    *,
    score_range: float,
    margin: float,
    discordance: float | None = None,
    pass_fail: bool = False,
) -> float:
    """The standard error of Δ̂ a comparison on these items is planned with — from the design,
    never from the candidate, so every candidate against one baseline on the same items gets
    the same power and the same UNDERPOWERED label:

    - with a planning ``discordance`` D (the policy's): R·√(D/n), the paired difference of n
      items of which a share D differ (pass/fail; R = ``score_range``);
    - else from the baseline's own per-unit noise: √2 · se(baseline metric) (linearized,
      cluster-robust), two systems as noisy as the baseline whose errors are unrelated (for
      pass/fail at a score p: a discordance of 2p(1 − p));

    and, for ``pass_fail`` items (Tango's score test), never below √(m(R − m)/n): the score
    test's variance at Δ₀ = −m is at least that whatever the data (its restricted estimate
    puts at least a share m/R of the items against the candidate). For other scores that
    figure, over K units, is taken only when the baseline's units show no spread at all (it is
    what the test takes when no unit differs)."""
    from evals.decision.intervals import cluster_sums, gradient, has_clusters, linearized_variance

    stats = np.asarray(stats, dtype=float)
    n = int(stats.shape[0])
    units = cluster_sums(stats, clusters if has_clusters(clusters) else None)
    k = int(units.shape[0])
    if n == 0:
        return float("nan")
    if discordance is not None:
        planned = score_range * math.sqrt(discordance / n)
    else:
        variance = linearized_variance(units, gradient(reducer, stats.sum(axis=0)))
        planned = math.sqrt(2 * variance) if math.isfinite(variance) else 0.0
    # A zero margin takes one unit's full drop instead (as MarginTest.null_se does), so a
    # design with nothing planned is not said to detect every drop.
    m = min(abs(margin), score_range) if margin else score_range / max(1, k)
    floor = math.sqrt(m * (score_range - m) / max(1, k))
    if not pass_fail:
        # A baseline with no spread between its units (every passage scoring the same) plans
        # nothing: then the test's own figure for units that do not differ.
        return planned if planned > 0 else floor
    return max(planned, floor)
