"""Power: the smallest difference a comparison can resolve, and the items a stated gap needs.

All figures use the normal approximation to the test in :mod:`evals.decision.paired`: a test
at level α (one-sided, or α/2 per side) with standard error ``se`` detects a true difference of
``(z₁₋α + z_power) · se`` beyond its null with probability ``power``. The standard error of a
mean over n independent units shrinks as 1/√n, so the items a gap g needs are
``n · ((z₁₋α + z_power) · se / g)²``.
"""

from __future__ import annotations

import math

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
