"""Confidence intervals for a corpus metric from per-item statistics, cluster-aware.

Every metric is a function of *sums* of per-item statistic vectors (see :mod:`evals.statistics`),
so items that share a context (SQuAD questions on one paragraph) are handled by summing their
statistics per cluster first: resampling cluster sums is the cluster bootstrap, and the
delta-method variance over cluster sums is the cluster-robust variance.

Which interval (``docs/statistics.md`` has the coverage figures):

- **Wilson score** for a proportion (per-item scores 0 or 100, weight 1): the percentile
  bootstrap undercovers near 0 and 100 (86% at p=0.05, n=64); Wilson keeps nominal coverage.
  With clusters, Wilson on the effective sample size ``n / design effect`` (design effect from
  the cluster-robust variance, never below 1) and Student's t quantile with clusters − 1
  degrees of freedom.
- **BCa bootstrap** over clusters for everything else (ROUGE, F1 from counts, macro-F1, pass
  rates): bias-corrected and accelerated (acceleration from the delete-one-cluster jackknife).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evals.decision.distributions import norm_cdf, norm_ppf, t_ppf
from evals.statistics import REDUCERS

DEFAULT_ITERATIONS = 2000
DEFAULT_CONFIDENCE = 0.95
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class Estimate:
    """A metric value with its confidence interval, and what the interval was computed over."""

    value: float
    """The metric on all items."""

    ci_low: float
    """Lower end of the interval."""

    ci_high: float
    """Upper end of the interval."""

    n: int
    """Number of items scored."""

    method: str = "bca"
    """``wilson``, ``wilson-clustered``, ``bca``, ``percentile``, ``none`` (fewer than two
    independent units: no interval, both ends NaN) or ``constant`` (every bootstrap resample
    gave the same value, e.g. corpus F1 with no true positive: no interval either)."""

    clusters: int | None = None
    """Independent resampling units (clusters) when items share a context; None: the items."""

    @property
    def defined(self) -> bool:
        """False when nothing could be scored (e.g. every judgment unparseable)."""
        return not np.isnan(self.value)

    @property
    def has_interval(self) -> bool:
        """False when the items give no interval (fewer than two independent units)."""
        return bool(np.isfinite(self.ci_low) and np.isfinite(self.ci_high))

    def interval_text(self, digits: int = 1) -> str:
        """``[low, high]``, or why there is none."""
        if not self.defined:
            return "no scored item"
        if not self.has_interval:
            return "none (no spread)" if self.method == "constant" else "none (one unit)"
        return f"[{self.ci_low:.{digits}f}, {self.ci_high:.{digits}f}]"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Estimate:
        """Read back what :meth:`to_dict` wrote (``null`` is NaN again)."""

        def number(x: Any) -> float:
            return float("nan") if x is None else float(x)

        return cls(
            number(raw["value"]),
            number(raw["ci_low"]),
            number(raw["ci_high"]),
            int(raw["n"]),
            str(raw.get("method", "bca")),
            raw.get("clusters"),
        )

    def to_dict(self) -> dict[str, float | int | str | None]:
        """JSON-ready form (an undefined value is ``null``, never a bare NaN)."""

        def number(x: float) -> float | None:
            return None if np.isnan(x) else x

        return {
            "value": number(self.value),
            "ci_low": number(self.ci_low),
            "ci_high": number(self.ci_high),
            "n": self.n,
            "method": self.method,
            "clusters": self.clusters,
        }


def cluster_sums(stats: np.ndarray, clusters: Sequence[str] | None) -> np.ndarray:
    """Per-cluster sums of item statistics ``(K, d)`` (clusters in order of first appearance);
    without clusters, the items themselves."""
    if clusters is None:
        return stats
    if len(clusters) != stats.shape[0]:
        raise ValueError("one cluster key per item is needed")
    index: dict[str, int] = {}
    labels = np.array([index.setdefault(str(c), len(index)) for c in clusters])
    out = np.zeros((len(index), stats.shape[1]))
    np.add.at(out, labels, stats)
    return out


def has_clusters(clusters: Sequence[str] | None) -> bool:
    """Whether any two items share a cluster."""
    return clusters is not None and len(set(map(str, clusters))) < len(clusters)


def is_proportion(stats: np.ndarray) -> bool:
    """Whether per-item statistics are pass/fail: ``[0 or 100, 1]`` on every item."""
    if stats.ndim != 2 or stats.shape[1] != 2 or stats.shape[0] == 0:
        return False
    if not np.all(stats[:, 1] == 1):
        return False
    return bool(np.all((stats[:, 0] == 0) | (stats[:, 0] == 100)))


def gradient(reducer: str, totals: np.ndarray) -> np.ndarray:
    """Numerical gradient of a reducer at the summed statistics (central differences)."""
    reduce = REDUCERS[reducer]
    totals = np.asarray(totals, dtype=float)
    steps = 1e-6 * np.maximum(1.0, np.abs(totals))
    shifts = np.diag(steps)
    up = reduce(totals[None, :] + shifts)
    down = reduce(totals[None, :] - shifts)
    slope: np.ndarray = (up - down) / (2 * steps)
    return slope


def linearized_variance(units: np.ndarray, weights: np.ndarray) -> float:
    """Delta-method variance of ``f(Σ units)`` given ``∇f`` (``weights``), over independent
    units (clusters or items): ``K/(K−1) Σ_c (∇f·(s_c − s̄))²``."""
    k = units.shape[0]
    if k < 2:
        return float("nan")
    influence = (units - units.mean(axis=0)) @ weights
    return float(k / (k - 1) * np.sum(influence**2))


def wilson(
    successes: float, n: float, confidence: float = DEFAULT_CONFIDENCE, *, df: int | None = None
) -> tuple[float, float]:
    """Wilson score interval for a proportion (0..1); ``n`` may be an effective size, and with
    ``df`` (clusters − 1) the normal quantile becomes Student's t (few clusters)."""
    if n <= 0:
        return float("nan"), float("nan")
    z = norm_ppf(0.5 + confidence / 2) if df is None else t_ppf(0.5 + confidence / 2, df)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def resampled_sums(units: Sequence[np.ndarray], iterations: int, seed: int) -> list[np.ndarray]:
    """Σ units over ``iterations`` resamples (with replacement) of the rows; the same resamples
    for every array (paired)."""
    k = units[0].shape[0]
    rng = np.random.default_rng(seed)
    width = max(u.shape[1] for u in units)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, k * width))
    sums: list[list[np.ndarray]] = [[] for _ in units]
    for start in range(0, iterations, chunk):
        size = min(chunk, iterations - start)
        idx = rng.integers(0, k, size=(size, k))
        # How often each unit is drawn in each resample; Σ is then one matrix product.
        offsets = (np.arange(size) * k)[:, None]
        counts = np.bincount((idx + offsets).ravel(), minlength=size * k).reshape(size, k)
        weights = counts.astype(np.float64)
        for out, u in zip(sums, units, strict=True):
            out.append(weights @ u)
    return [np.concatenate(parts) for parts in sums]


def bca_bounds(
    value: float,
    draws: np.ndarray,
    jackknife: np.ndarray,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[float, float, str]:
    """BCa interval from bootstrap draws and delete-one jackknife values; percentile when the
    bias correction is undefined (every draw on one side of the estimate)."""
    tail = (1 - confidence) / 2
    below = np.mean(draws < value) + 0.5 * np.mean(draws == value)
    if np.all(draws == draws[0]):
        return float(draws[0]), float(draws[0]), "bca"
    if not 0 < below < 1:
        low, high = np.quantile(draws, [tail, 1 - tail])
        return float(low), float(high), "percentile"
    z0 = norm_ppf(below)
    spread = jackknife.mean() - jackknife
    denom = np.sum(spread**2) ** 1.5
    accel = float(np.sum(spread**3) / (6 * denom)) if denom > 0 else 0.0
    levels = []
    for z in (norm_ppf(tail), norm_ppf(1 - tail)):
        levels.append(norm_cdf(z0 + (z0 + z) / (1 - accel * (z0 + z))))
    low, high = np.quantile(draws, np.clip(levels, 0.0, 1.0))
    return float(low), float(high), "bca"


def estimate(
    stats: np.ndarray,
    reducer: str = "mean",
    *,
    clusters: Sequence[str] | None = None,
    iterations: int = DEFAULT_ITERATIONS,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """The corpus metric of per-item statistics ``(n, d)`` with its interval (module docstring
    says which). ``clusters``: one key per item; items with the same key are resampled together."""
    reduce = REDUCERS[reducer]
    stats = np.asarray(stats, dtype=float)
    n = int(stats.shape[0])
    nan = float("nan")
    clustered = has_clusters(clusters)
    k = len(set(map(str, clusters))) if clustered and clusters is not None else None
    if n == 0:
        return Estimate(nan, nan, nan, 0, "none")
    if reducer == "mean" and stats.shape[1] == 2 and not stats[:, 1].any():
        return Estimate(nan, nan, nan, n, "none")  # a mean over no weight: nothing was scored
    if reducer == "mean" and stats.ndim == 2 and stats.shape[1] == 2:
        scored = stats[:, 1] != 0
        if not scored.all() and np.isin(stats[:, 1], (0.0, 1.0)).all():
            # A mean over the items it applies to (QA's has-answer F1): those items are the
            # sample, so a pass/fail score on them gets Wilson, not a bootstrap that collapses
            # to a zero-width interval when every one of them scored 0.
            kept = (
                [str(c) for c, s in zip(clusters, scored, strict=True) if s]
                if clustered and clusters is not None
                else None
            )
            return estimate(
                stats[scored],
                reducer,
                clusters=kept,
                iterations=iterations,
                confidence=confidence,
                seed=seed,
            )
    value = float(reduce(stats.sum(axis=0)))
    units = cluster_sums(stats, clusters if clustered else None)
    if units.shape[0] < 2 or iterations <= 0:
        # One unit (one item, or items that all share one passage) has no spread to measure:
        # no interval, rather than a zero-width one that would read as certainty.
        return Estimate(value, nan, nan, n, "none", k)
    if reducer == "mean" and is_proportion(stats):
        p = value / 100.0
        n_eff = float(n)
        method = "wilson"
        if clustered:
            srs = p * (1 - p) / n
            var = linearized_variance(units, gradient("mean", stats.sum(axis=0)) / 100.0)
            if srs > 0 and var > srs:
                n_eff = n * srs / var
            method = "wilson-clustered"
        df = units.shape[0] - 1 if clustered else None
        low, high = wilson(p * n_eff, n_eff, confidence, df=df)
        return Estimate(value, 100.0 * low, 100.0 * high, n, method, k)
    (sums,) = resampled_sums([units], iterations, seed)
    draws = reduce(sums)
    if draws.size > 1 and float(np.ptp(draws)) <= 1e-9 * max(1.0, abs(value)):
        # Every resample gives the same value, up to rounding (corpus F1 with no true positive
        # in any unit; 1/3 on every item): the data show no spread, which is not certainty, so
        # no interval rather than a zero-width one.
        return Estimate(value, nan, nan, n, "constant", k)
    jackknife = reduce(units.sum(axis=0)[None, :] - units)
    low, high, method = bca_bounds(value, draws, jackknife, confidence)
    return Estimate(value, low, high, n, method, k)
