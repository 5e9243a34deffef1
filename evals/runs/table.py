"""The terminal table at the end of a run: use case, primary metric, score with its 95%
interval, n (and clusters; "few" under 10 independent units, said again under the table), the
strongest trivial baseline on the same items and whether the model is significantly above every
baseline, invalid-output rate."""

from __future__ import annotations

from collections.abc import Sequence

from evals.decision.units import FEW_UNITS
from evals.runs.results import UseCaseResult

_HEADER = (
    "use case",
    "primary metric",
    "score",
    "95% CI",
    "n",
    "trivial baseline",
    "above it?",
    "invalid",
    "mode",
    "time",
)


def _baseline_cells(result: UseCaseResult) -> tuple[str, str]:
    summary = result.baselines or {}
    strongest = summary.get("strongest")
    if not strongest:
        return "-", "-"
    policy = summary["policies"][strongest]
    value = policy["score"]["value"]
    shown = f"{strongest} {value:.1f}" if value is not None else f"{strongest} -"
    weakest = max(summary["policies"].values(), key=lambda p: p["p_value"])
    verdict = "yes" if summary.get("above_all") else f"NO (p={weakest['p_value']:.2g})"
    return shown, verdict


def _n_cell(result: UseCaseResult) -> str:
    """``48 (2 passages; few)``: n, its clusters, and whether they are few."""
    plural = "" if result.clusters == 1 else "s"
    parts = [f"{result.clusters} {result.interval_unit}{plural}"] if result.clusters else []
    if result.few_units:
        parts.append("few")
    return f"{result.n} ({'; '.join(parts)})" if parts else str(result.n)


def format_table(results: Sequence[UseCaseResult]) -> str:
    """A plain-text table (no colour codes: it pastes into issues and logs)."""
    rows = [_HEADER]
    for r in results:
        est = r.primary
        rows.append(
            (
                r.use_case,
                r.primary_metric,
                f"{est.value:.1f}" if est.defined else "-",
                est.interval_text(),
                _n_cell(r),
                *_baseline_cells(r),
                f"{r.invalid_rate:.1f}%",
                r.prompt_mode + (f" {r.num_fewshot}-shot" if r.num_fewshot else ""),
                f"{r.seconds:.0f}s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    numeric = {2, 3, 4, 7, 9}
    lines = []
    for k, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in numeric and k else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines + _notes(results))


def _notes(results: Sequence[UseCaseResult]) -> list[str]:
    """What a judged or partly scored use case needs said under the table."""
    notes = []
    for r in results:
        if r.few_units:
            notes.append(
                f"{r.use_case}: {r.few_units}; under {FEW_UNITS} independent units, "
                "its interval and tests rest on that many, whatever n says"
            )
        if r.judge:
            bad = r.metrics.get("unparseable_judgments")
            share = f"{bad.value:.1f}%" if bad and bad.defined else "n/a"
            notes.append(
                f"{r.use_case}: judged by {r.judge['name']}; unparseable judgments {share}"
            )
        unscored = r.metrics.get("unscored")
        if unscored and unscored.defined and unscored.value > 0:
            notes.append(
                f"{r.use_case}: {unscored.value:.1f}% of items unscored "
                + ("(no valid judgment)" if r.judge else "(no reference answer; set JUDGE=)")
            )
        for name, truncated in r.metrics.items():  # e.g. qa's passage_truncated
            if name.endswith("_truncated") and truncated.defined and truncated.value > 0:
                count = round(truncated.value * truncated.n / 100)
                what = name.removesuffix("_truncated")
                notes.append(
                    f"{r.use_case}: {count} of {truncated.n} items had their {what} cut to fit "
                    f"the prompt ({name}); the cut part was not shown"
                )
    notes.append(
        "trivial baseline: the strongest no-skill policy on the same items; above it: the model "
        "is significantly above every such policy (paired one-sided tests, alpha 0.05)"
    )
    return ["", *notes]
