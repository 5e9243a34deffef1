"""What the gate writes: a markdown summary (PR comment, ``$GITHUB_STEP_SUMMARY``), a JUnit XML
file (one testcase per use case) that CI systems render, and a JSON verdict."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from evals.files import atomic_write_text, unique_folder, write_json
from evals.gate.decide import GateResult, UseCaseVerdict, Verdict

_ICON = {
    Verdict.PASS: "✅",
    Verdict.IMPROVED: "🟢",
    Verdict.REGRESSION: "❌",
    Verdict.UNDERPOWERED: "🔍",
    Verdict.INCONCLUSIVE: "⚠️",
}


def _fmt_diff(v: UseCaseVerdict) -> str:
    t = v.test
    return f"{t.difference.value:+.2f} [{t.lower_bound:+.2f}, {t.upper_bound:+.2f}]"


def decimals(n: int) -> int:
    """Decimals a score on ``n`` items carries: enough to show one item's step (100/n points),
    at least one and at most three (40 items: 1; 872: 1; 5000: 2)."""
    step = 100.0 / max(n, 1)
    return max(1, min(3, math.ceil(-math.log10(step)) if step < 1 else 1))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_ORDER = (
    Verdict.REGRESSION,
    Verdict.UNDERPOWERED,
    Verdict.INCONCLUSIVE,
    Verdict.IMPROVED,
    Verdict.PASS,
)
"""Rows in the comment: what fails or is unknown first."""


def _headline(result: GateResult) -> str:
    """The comment's first line: the verdict, and what caused it."""
    counts = {
        verdict: [v.use_case for v in result.verdicts if v.verdict is verdict] for verdict in _ORDER
    }
    parts = [
        f"{len(names)} {verdict.value.lower()} ({', '.join(_md_cell(n) for n in names)})"
        for verdict, names in counts.items()
        if names
    ]
    icon = "❌" if not result.passed else "✅" if result.headline == "PASS" else "🔍"
    return f"## {icon} Eval gate: {result.headline} — {'; '.join(parts) or 'nothing compared'}"


def _underpowered_note(result: GateResult) -> list[str]:
    """After the table: use cases whose items cannot detect a drop of the allowed size."""
    weak = [v for v in result.verdicts if v.verdict is Verdict.UNDERPOWERED]
    if not weak:
        return []
    names = ", ".join(
        f"{v.use_case} (n={v.n}, detects drops ≥ {v.min_detectable:.{decimals(v.n)}f})"
        for v in weak
    )
    fails = (
        " and fails the gate (policy fail_on_underpowered)"
        if (result.policy.fail_on_underpowered)
        else ""
    )
    return [
        "",
        f"> **Underpowered{fails}:** {names}: these items cannot detect a drop of the allowed "
        'size, so a pass there would not mean "no regression": add items (`evals plan`) or '
        "widen the allowed drop.",
    ]


def _link(target: str, link_base: str | None) -> str:
    return f"{link_base.rstrip('/')}/{target}" if link_base else target


def _narrow_row(v: UseCaseVerdict) -> str:
    d = decimals(v.n)
    t = v.test
    delta = f"{t.difference.value:+.{d}f} [{t.lower_bound:+.{d}f}, {t.upper_bound:+.{d}f}]"
    return (
        f"| {_md_cell(v.use_case)}{'' if v.required else ' (optional)'} "
        f"| {v.baseline.value:.{d}f} → {v.candidate.value:.{d}f} | {delta} "
        f"| {_ICON[v.verdict]} {v.verdict.value} |"
    )


def markdown_summary(
    result: GateResult, diff_page: str | None = None, link_base: str | None = None
) -> str:
    """The PR comment: the verdict on the first line, then a narrow table (use case, baseline →
    candidate, Δ with its bounds, verdict), regressions first, numbers rounded to what the
    items resolve; the details (tests, p-values, per-item losses) folded below. ``diff_page``:
    the run-vs-run page's name; ``link_base``: where the gate's output folder is published (an
    artifact or site URL), so links resolve from a comment; without it links are relative to
    the summary's folder."""
    base, cand = result.baseline, result.candidate
    ordered = sorted(result.verdicts, key=lambda v: _ORDER.index(v.verdict))
    lines = [
        _headline(result),
        "",
        f"**{_md_cell(cand.variant)}** vs baseline **{_md_cell(base.variant)}**, "
        f"{base.results.prompt_mode} prompts.",
        "",
        "| use case | baseline → candidate | Δ [bounds] | verdict |",
        "|---|---:|---:|---|",
        *(_narrow_row(v) for v in ordered),
        *_underpowered_note(result),
    ]
    if diff_page:
        name = Path(diff_page).name
        lines += [
            "",
            f"Every changed item, both outputs, word diff: [{name}]({_link(name, link_base)})",
        ]
    if result.allowed_differences:
        lines += [
            "",
            "**Compared although these run-spec fields differ** (`--allow-different`): "
            f"{', '.join(result.allowed_differences)}.",
        ]
    lines += _details(result, ordered, diff_page, link_base)
    return "\n".join(lines) + "\n"


def _details(
    result: GateResult,
    ordered: list[UseCaseVerdict],
    diff_page: str | None,
    link_base: str | None,
) -> list[str]:
    """The folded part: every statistic of the decision, and the biggest per-item losses."""
    base, cand = result.baseline, result.candidate
    policy = _md_cell(Path(result.policy.source).name)
    lines = [
        "",
        "<details><summary>Details: tests, allowed drops, reasons</summary>",
        "",
        f"Candidate `{cand.results.model_fingerprint}`, baseline "
        f"`{base.results.model_fingerprint}`; policy `{policy}`, "
        f"one-sided tests at alpha {result.policy.alpha} (Holm across use cases for "
        "regressions).",
        "",
        "| use case | metric | n | allowed drop | p regression (Holm) | p no-drop "
        "| min. detectable drop | test | reason |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for v in ordered:
        t, d = v.test, decimals(v.n)
        lines.append(
            f"| {_md_cell(v.use_case)} | {v.metric} | {v.n} | {v.margin:.{d}f} "
            f"| {t.p_regression_holm:.2g} | {t.p_noninferior:.2g} | {v.min_detectable:.{d}f} "
            f"| {t.difference.method} | {_md_cell(v.reason)} |"
        )
    losses = [(v, loss) for v in ordered for loss in v.biggest_losses]
    if losses:
        where = (
            f" (each on [{Path(diff_page).name}]({_link(Path(diff_page).name, link_base)}))"
            if diff_page
            else ""
        )
        lines += [
            "",
            f"Biggest per-item losses{where}:",
            "",
            "| use case | item | baseline | candidate |",
            "|---|---|---:|---:|",
        ]
        for v, loss in losses:
            lines.append(
                f"| {_md_cell(v.use_case)} | `{_md_cell(str(loss['item_id']))}` "
                f"| {loss['baseline']:.1f} | {loss['candidate']:.1f} |"
            )
    lines += [
        "",
        "Bounds: the lower bound of the no-drop test (level alpha) and the upper bound "
        "of the regression test (at its Holm level); REGRESSION when the upper bound is "
        "below minus the allowed drop, PASS when the lower bound is above it. Minimum "
        "detectable drop: the true drop these items flag with 80% power.",
        "",
        "</details>",
    ]
    return lines


def junit_xml(result: GateResult) -> str:
    """One testsuite, one testcase per use case; a failing verdict (under the policy) is a
    failure carrying the reason."""
    failures = 0
    suite = ET.Element("testsuite", name="eval-gate", tests=str(len(result.verdicts)))
    for v in result.verdicts:
        case = ET.SubElement(suite, "testcase", classname="eval-gate", name=v.use_case)
        message = (
            f"{v.verdict.value}: {v.metric} {v.baseline.value:.2f} → {v.candidate.value:.2f}, "
            f"difference {_fmt_diff(v)}, allowed drop {v.margin:g}; {v.reason}"
        )
        if v.fails(result.policy):
            failures += 1
            ET.SubElement(case, "failure", message=message, type=v.verdict.value).text = message
        else:
            ET.SubElement(case, "system-out").text = message
    suite.set("failures", str(failures))
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def verdict_json(result: GateResult) -> dict[str, Any]:
    """The machine-readable verdict."""
    return {
        "passed": result.passed,
        "status": result.status,
        "allowed_differences": list(result.allowed_differences),
        "exit_code": result.exit_code,
        "policy": result.policy.source,
        "baseline": {
            "folder": str(result.baseline.folder),
            "model": result.baseline.results.model_dict(),
        },
        "candidate": {
            "folder": str(result.candidate.folder),
            "model": result.candidate.results.model_dict(),
        },
        "use_cases": [v.to_dict() for v in result.verdicts],
    }


def default_out_folder(result: GateResult, root: Path = Path("reports/gate")) -> Path:
    """``<root>/<candidate>-vs-<baseline>``: a folder of its own per invocation, made by one
    ``mkdir`` (``-2``, ``-3``… when taken), so two gates never share one."""
    name = f"{result.candidate.folder.name}-vs-{result.baseline.folder.name}"
    return unique_folder(root / name)


def gate_verdicts_for_page(result: GateResult) -> dict[str, dict[str, Any]]:
    """Per use case the gate's verdict, reason and bounds, for the run-vs-run page."""
    return {
        v.use_case: {
            "verdict": v.verdict.value,
            "reason": v.reason,
            "lower": v.test.lower_bound,
            "upper": v.test.upper_bound,
            "baseline": v.baseline.value,
            "candidate": v.candidate.value,
        }
        for v in result.verdicts
    }


def write_gate_outputs(
    result: GateResult, out_dir: Path, link_base: str | None = None
) -> dict[str, Path]:
    """Write the summary, JUnit, verdict and the run-vs-run page (linked from the summary, at
    ``link_base`` when the folder is published there); append the summary to
    ``$GITHUB_STEP_SUMMARY`` when set."""
    from evals.site.diff_page import write_run_diff

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "gate-summary.md",
        "junit": out_dir / "gate-junit.xml",
        "json": out_dir / "gate-verdict.json",
        "diff": out_dir / "run-diff.html",
    }
    write_run_diff(
        result.baseline,
        result.candidate,
        paths["diff"],
        gate=gate_verdicts_for_page(result),
        status=result.status,
    )
    summary = markdown_summary(result, diff_page=paths["diff"].name, link_base=link_base)
    atomic_write_text(paths["markdown"], summary)
    atomic_write_text(paths["junit"], junit_xml(result))
    write_json(paths["json"], verdict_json(result))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(summary)
    return paths
