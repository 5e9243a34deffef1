"""The normal and Student-t functions the decision module uses, with scipy imported on first
use: importing ``scipy.stats`` costs about a second, which a warm run that computes nothing (it
is served from a stored run) should not pay."""

from __future__ import annotations

from functools import cache
from types import ModuleType


@cache
def _stats() -> ModuleType:
    import scipy.stats

    module: ModuleType = scipy.stats
    return module


def norm_ppf(q: float) -> float:
    """Standard normal quantile."""
    return float(_stats().norm.ppf(q))


def norm_cdf(x: float) -> float:
    """Standard normal distribution function."""
    return float(_stats().norm.cdf(x))


def norm_sf(x: float) -> float:
    """Standard normal upper tail, 1 − Φ(x), accurate far in the tail."""
    return float(_stats().norm.sf(x))


def t_ppf(q: float, df: float) -> float:
    """Student-t quantile with ``df`` degrees of freedom."""
    return float(_stats().t.ppf(q, df))


def t_cdf(x: float, df: float) -> float:
    """Student-t distribution function."""
    return float(_stats().t.cdf(x, df))


def t_sf(x: float, df: float) -> float:
    """Student-t upper tail."""
    return float(_stats().t.sf(x, df))
