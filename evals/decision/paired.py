"""The paired difference of two systems on the same items, and the tests on it.

One statistic serves every claim about a difference Δ = metric(b) − metric(a):

- **pass/fail items without clusters** (accuracy, exact match): the counts of discordant pairs
  ``(only a right, only b right)`` and Tango's score test for paired proportions (the variance
  taken at the restricted maximum-likelihood estimate under Δ = Δ₀), with a continuity
  correction of half an item; at Δ₀ = 0 it is McNemar's test with Edwards' correction.
- **everything else** (F1 from counts, ROUGE, macro-F1, pass rates, clustered items): the
  delta-method (linearized) difference with the cluster-robust variance over the independent
  units, tested twice — Student's t on ``K − 1`` degrees of freedom, and the studentized
  (bootstrap-t) test, which resamples the units' linearized values and refers the t statistic
  to its own resampled distribution — and a claim is made only when *both* reject (the larger
  p-value; the wider bound). The t-test alone is exact for normal differences only: when a
  candidate fails completely on a few items, the differences are skewed, the mean and its
  standard error move together, and the t-test's lower bound is too high (PASS at a true drop
  equal to the margin 8% of the time at α = 5%); the bootstrap-t follows the skew.

Its confidence bounds are the inversion of the same test, so an interval, a p-value and a
verdict computed here never disagree: ``p_value(Δ₀, "less") < α`` exactly when
``upper_bound(α) < Δ₀``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from evals.decision.distributions import norm_cdf, norm_sf, t_cdf, t_ppf, t_sf
from evals.decision.intervals import (
    cluster_sums,
    gradient,
    has_clusters,
    is_proportion,
    linearized_variance,
)
from evals.statistics import REDUCERS

Alternative = Literal["less", "greater", "two-sided"]


@dataclass(frozen=True)
class PairedDifference:
    """Δ = metric(b) − metric(a) on the same items, with what the tests need."""

    value: float
    """The observed difference (metric units, e.g. percent points)."""

    se: float
    """Its standard error (linearized, cluster-robust); for pass/fail items at Δ = Δ̂."""

    n: int
    """Items compared."""

    units: int
    """Independent units (clusters, or items): the t-test's degrees of freedom + 1."""

    method: str
    """``paired-proportions`` (discordant counts) or ``linearized-t``."""

    discordant: tuple[int, int] | None = None
    """Pass/fail items: (only ``a`` right, only ``b`` right)."""

    score_range: float = 100.0
    """Width of the per-item score scale (100 for percentages, 9 for a 1-10 rating): bounds
    the variance when no item differs (see :meth:`null_se`), and every bound of Δ."""

    pseudo: tuple[float, ...] | None = field(default=None, compare=False, repr=False)
    """Per-unit linearized values ``K·∇f·s_c`` (``linearized-t``): Δ̂* − Δ̂ ≈ their resampled
    mean minus their mean, and ``se`` is their standard error; what the bootstrap-t resamples.
    None: no bootstrap-t (pass/fail items, or built by hand), the t-test alone."""

    @cached_property
    def _t_draws(self) -> np.ndarray | None:
        """Sorted bootstrap-t statistics (:data:`BOOTSTRAP_T`), or None without pseudo-values."""
        if self.pseudo is None or not self.se > 0 or len(self.pseudo) < 2:
            return None
        return bootstrap_t(np.asarray(self.pseudo, dtype=float))

    @property
    def df(self) -> int:
        """Degrees of freedom of the t reference distribution."""
        return max(1, self.units - 1)

    def p_value(self, null: float = 0.0, alternative: Alternative = "two-sided") -> float:
        """p-value of Δ = ``null`` against ``alternative`` (``less``: Δ < null)."""
        if self.discordant is not None:
            return _tango_p(*self.discordant, self.n, null / 100.0, alternative)
        se = self.null_se(null)
        if se == 0 or not np.isfinite(se):
            # Every unit moved by the same amount: the exact sign-flip test of K units that
            # all agree (2 passages both one question up is p = 0.5 two-sided, not certainty).
            gap = self.value - null
            agree = 0.5**self.units
            one_sided = {"less": agree if gap < 0 else 1.0, "greater": agree if gap > 0 else 1.0}
            if alternative != "two-sided":
                return one_sided[alternative]
            return 1.0 if gap == 0 else min(1.0, 2 * agree)
        if alternative == "two-sided":
            return min(1.0, 2 * min(self.p_value(null, "less"), self.p_value(null, "greater")))
        t = (self.value - null) / se
        p = float(t_cdf(t, self.df)) if alternative == "less" else float(t_sf(t, self.df))
        draws = self._t_draws if self.discordant is None and se == self.se else None
        if draws is not None:
            # The bootstrap-t p-value, (#{t* at least as extreme} + 1) / (B + 1); a claim
            # needs both tests (module docstring). Beyond every draw, the bootstrap can only
            # say "below 1/(B + 1)": the t-test's p-value stands there.
            beyond = (
                int(np.searchsorted(draws, t, side="right"))
                if alternative == "less"
                else (len(draws) - int(np.searchsorted(draws, t, side="left")))
            )
            if beyond > 0:
                p = max(p, (beyond + 1) / (len(draws) + 1))
        return p

    def null_se(self, null: float) -> float:
        """Standard error of Δ̂ as the test takes it under Δ = ``null`` (metric units): the
        score test's restricted estimate for pass/fail items; else ``se``, except when no unit
        varies (se = 0: every unit shows the same difference, e.g. identical outputs), which
        says nothing about how large a true difference could hide: then the largest variance
        a mean difference of Δ₀ can have for scores bounded by ``score_range`` R
        (Bhatia–Davis, √(|Δ₀|(R − |Δ₀|)/K)) — for identical outputs the figure the score test
        takes for pass/fail items with no discordant pair. (At Δ₀ = 0 that bound is 0 and
        :meth:`p_value` uses the exact sign-flip test instead.) Power and the minimum
        detectable difference use it too."""
        if self.discordant is None:
            if self.se > 0 or not np.isfinite(self.se):
                return self.se
            spread = abs(null) * max(0.0, self.score_range - abs(null))
            return float(np.sqrt(spread / self.units))
        _, sd = _tango_parts(*self.discordant, self.n, null / 100.0)
        return 100.0 * sd / self.n

    def upper_bound(self, alpha: float) -> float:
        """One-sided (1 − α) upper confidence bound: the largest Δ₀ not rejected by the
        ``less`` test at level α."""
        return self._bound(alpha, upper=True)

    def lower_bound(self, alpha: float) -> float:
        """One-sided (1 − α) lower confidence bound (the ``greater`` test inverted)."""
        return self._bound(alpha, upper=False)

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Two-sided interval: both one-sided bounds at (1 − confidence)/2."""
        alpha = (1 - confidence) / 2
        return self.lower_bound(alpha), self.upper_bound(alpha)

    def _bound(self, alpha: float, *, upper: bool) -> float:
        """The bound, never beyond what a difference of two scores on this scale can be
        (±``score_range``): a t quantile on few units can reach past it ([−140, −47] for two
        0–100 scores), which no data could support."""
        width = self.score_range if self.discordant is None else 100.0
        return float(np.clip(self._raw_bound(alpha, upper=upper), -width, width))

    def _raw_bound(self, alpha: float, *, upper: bool) -> float:
        if self.discordant is None and np.isfinite(self.se) and self.se > 0:
            q = t_ppf(1 - alpha, self.df) * self.se
            bound = self.value + q if upper else self.value - q
            draws = self._t_draws
            if draws is None:
                return bound
            # p < α needs #{t* beyond t} ≤ c, c = ⌈α(B + 1)⌉ − 2 (at least 0: beyond every
            # draw, the t-test decides; see p_value): t beyond the (c+1)-th most extreme draw.
            c = max(0, int(np.ceil(alpha * (len(draws) + 1))) - 2)
            edge = draws[c] if upper else draws[len(draws) - 1 - c]
            boot = self.value - self.se * float(edge)
            return max(bound, boot) if upper else min(bound, boot)
        side: Alternative = "less" if upper else "greater"

        def excess(null: float) -> float:
            return self.p_value(null, side) - alpha

        # p(Δ₀, less) falls as Δ₀ grows (rejected above the upper bound); p(Δ₀, greater)
        # grows with Δ₀ (rejected below the lower bound).
        if self.discordant is None:
            span = self.score_range
            lo, hi = max(self.value - span, -span), min(self.value + span, span)
        else:
            lo, hi = -100.0 + 1e-9, 100.0 - 1e-9
        if upper:
            if excess(lo) < 0:
                return lo
            if excess(hi) >= 0:
                return hi
        else:
            if excess(lo) >= 0:
                return lo
            if excess(hi) < 0:
                return hi
        from scipy.optimize import brentq  # lazily: see evals.decision.distributions

        return float(brentq(excess, lo, hi, xtol=1e-7))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "value": self.value,
            "se": self.se,
            "n": self.n,
            "units": self.units,
            "method": self.method,
            "discordant": list(self.discordant) if self.discordant else None,
        }


BOOTSTRAP_T = 1999
"""Resamples of the bootstrap-t (``(B + 1)·α`` is whole for α = 0.05, 0.01, 0.025)."""


def bootstrap_t(pseudo: np.ndarray, resamples: int = BOOTSTRAP_T, seed: int = 0) -> np.ndarray:
    """Sorted studentized statistics (mean* − mean) / se* of ``resamples`` resamples of the
    units' values (seeded: the same data give the same bounds). The resampled variance is
    floored by one K-th of the sample's, se*² + se²/K: when few units differ, a resample can
    miss all of them and have no spread, which would make t* infinite and the test refuse
    any claim (a model at 90% against a policy at 0 would not be "above" it); the floor
    changes an ordinary resample's t* by a factor √(1 + 1/K) at most."""
    k = len(pseudo)
    centre = float(pseudo.mean())
    floor = float(pseudo.var(ddof=1)) / k / k
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // k)
    sums, squares = [], []
    for start in range(0, resamples, chunk):
        drawn = pseudo[rng.integers(0, k, size=(min(chunk, resamples - start), k))]
        sums.append(drawn.sum(axis=1))
        squares.append(np.square(drawn).sum(axis=1))
    mean = np.concatenate(sums) / k
    variance = np.maximum(0.0, (np.concatenate(squares) - k * mean**2) / (k - 1))
    return np.sort((mean - centre) / np.sqrt(variance / k + floor))


CONTINUITY = 0.5
"""Half an item: the continuity correction of the score test (keeps its level at or below α
at the margin; ``docs/statistics.md``)."""


def _tango_p(only_a: int, only_b: int, n: int, null: float, alternative: Alternative) -> float:
    """Tango's (1998) score test for Δ = p(only b) − p(only a) = ``null`` (proportions)."""
    gap, sd = _tango_parts(only_a, only_b, n, null)
    if alternative == "less":
        gap += CONTINUITY
    elif alternative == "greater":
        gap -= CONTINUITY
    else:
        gap = max(0.0, abs(gap) - CONTINUITY)
    z = gap / sd if sd > 0 else float(np.sign(gap) * np.inf) if gap else 0.0
    if alternative == "less":
        return float(norm_cdf(z))
    if alternative == "greater":
        return float(norm_sf(z))
    return float(min(1.0, 2 * norm_sf(z)))


def _tango_parts(only_a: int, only_b: int, n: int, null: float) -> tuple[float, float]:
    """The score statistic's numerator ``c − b − n·Δ₀`` and its standard deviation under the
    null, at the restricted maximum-likelihood estimate."""
    b, c = float(only_a), float(only_b)
    if not -1 < null < 1:
        return c - b - n * null, 0.0
    # Restricted MLE of q = p(only a) with p(only b) = q + null: 2n q² + B q + C = 0.
    big_b = -(b + c) + (2 * n + b - c) * null
    big_c = -b * null * (1 - null)
    q = (-big_b + np.sqrt(max(0.0, big_b**2 - 8 * n * big_c))) / (4 * n)
    q = min(max(q, max(0.0, -null)), (1 - null) / 2)
    variance = n * (2 * q + null - null**2)
    return c - b - n * null, float(np.sqrt(max(0.0, variance)))


def paired_difference(
    stats_a: np.ndarray,
    stats_b: np.ndarray,
    reducer: str = "mean",
    *,
    clusters: Sequence[str] | None = None,
    score_range: float = 100.0,
) -> PairedDifference:
    """Δ = metric(b) − metric(a) on aligned per-item statistics (rows are the same items);
    ``score_range``: width of the per-item score scale (100 for percent metrics)."""
    stats_a = np.asarray(stats_a, dtype=float)
    stats_b = np.asarray(stats_b, dtype=float)
    if stats_a.shape[0] != stats_b.shape[0]:
        raise ValueError("paired statistics need the same items in the same order")
    n = int(stats_a.shape[0])
    if n == 0:
        raise ValueError("no items to compare")
    reduce = REDUCERS[reducer]
    value = float(reduce(stats_b.sum(axis=0)) - reduce(stats_a.sum(axis=0)))
    clustered = has_clusters(clusters)
    if reducer == "mean" and not clustered and is_proportion(stats_a) and is_proportion(stats_b):
        a_right, b_right = stats_a[:, 0] > 0, stats_b[:, 0] > 0
        only_a, only_b = int(np.sum(a_right & ~b_right)), int(np.sum(b_right & ~a_right))
        d = (only_b - only_a) / n
        se = 100.0 * float(np.sqrt(max(0.0, (only_a + only_b) / n - d * d) / n))
        return PairedDifference(value, se, n, n, "paired-proportions", (only_a, only_b))
    joined = np.hstack([stats_a, stats_b])
    units = cluster_sums(joined, clusters if clustered else None)
    width = stats_a.shape[1]
    totals = joined.sum(axis=0)
    weights = np.concatenate(
        [-gradient(reducer, totals[:width]), gradient(reducer, totals[width:])]
    )
    variance = linearized_variance(units, weights)
    se = float(np.sqrt(variance)) if np.isfinite(variance) else float("nan")
    if se < 1e-9 * max(1.0, float(np.abs(joined).max(initial=0.0))):
        se = 0.0  # identical units: what is left is the numerical gradient's rounding
    pseudo = tuple(float(x) for x in units.shape[0] * (units @ weights))
    return PairedDifference(
        value, se, n, int(units.shape[0]), "linearized-t", score_range=score_range, pseudo=pseudo
    )
