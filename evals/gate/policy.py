"""The gate's policy file: per use case or benchmark the allowed drop (in the metric's own
units), whether it is required, a minimum n; and what a weak verdict does to the gate."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evals.errors import EvalsError

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent / "default_policy.yaml"
_TOP_KEYS = {"alpha", "confidence", "fail_on_inconclusive", "fail_on_underpowered", "use_cases"}
_RULE_KEYS = {"max_drop", "max_relative_drop", "required", "min_n", "planning_discordance"}


class PolicyError(EvalsError):
    """The policy file is unreadable or has a key or value the gate does not know."""


@dataclass(frozen=True)
class UseCaseRule:
    """What the gate tolerates for one use case."""

    max_drop: float = 2.0
    """Allowed drop in the primary metric's own units (points of a percentage; rating points
    for a 1-10 judge rating)."""

    max_relative_drop: float | None = None
    """Allowed drop as a share of the baseline (0.05: keep ≥ 95%); overrides ``max_drop``."""

    required: bool = True
    """Whether a REGRESSION here fails the gate."""

    min_n: int = 20
    """Fewer shared items than this gives UNDERPOWERED (unless a REGRESSION is shown)."""

    planning_discordance: float | None = None
    """The share of items expected to change between a baseline and a candidate (pass/fail;
    for other scores, the mean squared per-item difference over the squared scale width), from
    which the gate's power is planned; None: from the baseline, as two systems as noisy as it
    whose errors are unrelated (:func:`evals.decision.power.planning_se`)."""

    def margin(self, baseline_value: float) -> float:
        """The allowed drop in points, for a given baseline score."""
        if self.max_relative_drop is not None:
            return abs(baseline_value) * self.max_relative_drop
        return self.max_drop


@dataclass(frozen=True)
class GatePolicy:
    """The whole policy."""

    alpha: float = 0.05
    """Family-wise significance level across use cases (Holm-corrected)."""

    confidence: float = 0.95
    """Confidence level of the reported intervals."""

    fail_on_inconclusive: bool = False
    """Whether an INCONCLUSIVE use case fails the gate."""

    fail_on_underpowered: bool = False
    """Whether an UNDERPOWERED use case (too few items to detect the allowed drop) fails."""

    default: UseCaseRule = UseCaseRule()
    """Rule for use cases not named."""

    rules: dict[str, UseCaseRule] = field(default_factory=dict)
    """Rules by use case or benchmark name (``sentiment``, ``sst2``)."""

    source: str = "default"
    """Where the policy came from."""

    def rule(self, name: str, group: str | None = None) -> UseCaseRule:
        """The rule for a benchmark or use case by its own name, else its use case's
        (``group``), else the default."""
        if name in self.rules:
            return self.rules[name]
        return self.rules.get(group or name, self.default)


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise PolicyError(f"{where} must be true or false (got {value!r})")


def _number(value: Any, where: str, *, integer: bool = False) -> float:
    """A finite, non-negative number (every number of a policy is a drop, a count, a share or
    a level): ``.nan``, ``.inf`` and negatives are bad input, never a silent pass."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(f"{where} must be a number (got {value!r})")
    if not math.isfinite(value):
        raise PolicyError(f"{where} must be a finite number (got {value!r})")
    if value < 0:
        raise PolicyError(f"{where} must not be negative (got {value!r})")
    if integer and value != int(value):
        raise PolicyError(f"{where} must be a whole number (got {value!r})")
    return float(value)


def _reject_unknown(raw: dict[str, Any], known: set[str], where: str) -> None:
    unknown = set(raw) - known
    if unknown:
        raise PolicyError(
            f"{where}: unknown policy key {sorted(unknown)[0]!r} "
            f"(known: {', '.join(sorted(known))})"
        )


def _rule(raw: Any, base: UseCaseRule, where: str) -> UseCaseRule:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be a mapping")
    _reject_unknown(raw, _RULE_KEYS, where)
    values = {**base.__dict__, **raw}
    relative = values["max_relative_drop"]
    planning = values["planning_discordance"]
    rule = UseCaseRule(
        max_drop=_number(values["max_drop"], f"{where}.max_drop"),
        max_relative_drop=(
            None if relative is None else _number(relative, f"{where}.max_relative_drop")
        ),
        required=_bool(values["required"], f"{where}.required"),
        min_n=int(_number(values["min_n"], f"{where}.min_n", integer=True)),
        planning_discordance=(
            None if planning is None else _number(planning, f"{where}.planning_discordance")
        ),
    )
    if rule.planning_discordance is not None and not 0 < rule.planning_discordance <= 1:
        raise PolicyError(f"{where}: planning_discordance must be in (0, 1]")
    if rule.max_drop < 0 or (
        rule.max_relative_drop is not None and not 0 <= rule.max_relative_drop < 1
    ):
        raise PolicyError(f"{where}: max_drop must be ≥ 0 and max_relative_drop in [0, 1)")
    return rule


def load_policy(path: Path | None = None, known: set[str] | None = None) -> GatePolicy:
    """Read a policy file (the shipped default when ``path`` is None); with ``known`` (use case
    and benchmark names), a rule for any other name is rejected as a typo."""
    path = path or DEFAULT_POLICY_PATH
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise PolicyError(f"cannot read policy {path}: {err}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: a policy must be a mapping")
    _reject_unknown(raw, _TOP_KEYS, str(path))
    rules_raw = raw.get("use_cases") or {}
    if not isinstance(rules_raw, dict):
        raise PolicyError(f"{path}: use_cases must be a mapping")
    default = _rule(rules_raw.get("default", {}), UseCaseRule(), f"{path}: use_cases.default")
    rules = {
        name: _rule(rule, default, f"{path}: use_cases.{name}")
        for name, rule in rules_raw.items()
        if name != "default"
    }
    unknown = sorted(set(rules) - known) if known is not None else []
    if unknown:
        raise PolicyError(
            f"{path}: use_cases.{unknown[0]} names no use case or benchmark "
            f"(known: {', '.join(sorted(known or ()))})"
        )
    alpha = _number(raw.get("alpha", 0.05), f"{path}: alpha")
    confidence = _number(raw.get("confidence", 0.95), f"{path}: confidence")
    if not (0 < alpha < 1 and 0 < confidence < 1):
        raise PolicyError(f"{path}: alpha and confidence must be between 0 and 1")
    return GatePolicy(
        alpha=alpha,
        confidence=confidence,
        fail_on_inconclusive=_bool(
            raw.get("fail_on_inconclusive", False), f"{path}: fail_on_inconclusive"
        ),
        fail_on_underpowered=_bool(
            raw.get("fail_on_underpowered", False), f"{path}: fail_on_underpowered"
        ),
        default=default,
        rules=rules,
        source=str(path),
    )
