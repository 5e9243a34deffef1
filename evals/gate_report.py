"""What the gate writes: a markdown summary (PR comment, ``$GITHUB_STEP_SUMMARY``), a JUnit XML
file (one testcase per use case) that CI systems render, and a JSON verdict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from evals.gate import GateResult, UseCaseVerdict, Verdict
from evals.results import atomic_write_text, write_json

_ICON = {
    Verdict.PASS: "✅",
    Verdict.IMPROVED: "🟢",
    Verdict.REGRESSION: "❌",
    Verdict.INCONCLUSIVE: "⚠️",
}


def _fmt_diff(v: UseCaseVerdict) -> str:
    d = v.paired.difference
    return f"{d.value:+.2f} [{d.ci_low:+.2f}, {d.ci_high:+.2f}]"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(result: GateResult) -> str:
    """The summary table and the biggest per-item losses, as GitHub-flavoured markdown."""
    status = "PASS" if result.passed else "FAIL"
    base, cand = result.baseline, result.candidate
    lines = [
        f"## Eval gate: {status}",
        "",
        f"Candidate **{_md_cell(cand.variant)}** (`{cand.results['model']['fingerprint']}`) vs "
        f"baseline **{_md_cell(base.variant)}** (`{base.results['model']['fingerprint']}`), "
        f"{base.results['prompt_mode']} prompts; policy `{_md_cell(result.policy.source)}`, "
        f"alpha {result.policy.alpha} (Holm across use cases).",
        "",
        "| use case | metric | baseline | candidate | difference [95% CI] | p (Holm) | test | n "
        "| allowed drop | min. detectable | verdict |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for v in result.verdicts:
        lines.append(
            f"| {v.use_case}{'' if v.required else ' (optional)'} | {v.metric} "
            f"| {v.baseline.value:.2f} | {v.candidate.value:.2f} | {_fmt_diff(v)} "
            f"| {v.p_adjusted:.3g} | {v.paired.test} | {v.paired.n} | {v.margin:.2f} "
            f"| {v.min_detectable:.2f} "
            f"| {_ICON[v.verdict]} {v.verdict.value}: {_md_cell(v.reason)} |"
        )
    losses = [(v, loss) for v in result.verdicts for loss in v.biggest_losses]
    if losses:
        lines += ["", "<details><summary>Biggest per-item losses</summary>", ""]
        lines += ["| use case | item | baseline | candidate | samples |", "|---|---|---:|---:|---|"]
        for v, loss in losses:
            lines.append(
                f"| {v.use_case} | `{_md_cell(str(loss['item_id']))}` | {loss['baseline']:.1f} "
                f"| {loss['candidate']:.1f} | [{Path(loss['samples']).name}]({loss['samples']}) |"
            )
        lines += ["", "</details>"]
    lines += ["", "Minimum detectable difference: the drop this many items would flag with 80% "
              "power; a smaller allowed drop needs more items."]  # fmt: skip
    return "\n".join(lines) + "\n"


def junit_xml(result: GateResult) -> str:
    """One testsuite, one testcase per use case; a REGRESSION (or a failing INCONCLUSIVE) is a
    failure carrying the reason."""
    failing_inconclusive = result.policy.fail_on_inconclusive
    failures = 0
    suite = ET.Element("testsuite", name="eval-gate", tests=str(len(result.verdicts)))
    for v in result.verdicts:
        case = ET.SubElement(suite, "testcase", classname="eval-gate", name=v.use_case)
        message = (
            f"{v.verdict.value}: {v.metric} {v.baseline.value:.2f} → {v.candidate.value:.2f}, "
            f"difference {_fmt_diff(v)}, p(Holm)={v.p_adjusted:.3g}; {v.reason}"
        )
        fails = v.fails or (
            failing_inconclusive and v.required and v.verdict is Verdict.INCONCLUSIVE
        )
        if fails:
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
        "exit_code": result.exit_code,
        "policy": result.policy.source,
        "baseline": {
            "folder": str(result.baseline.folder),
            "model": result.baseline.results["model"],
        },
        "candidate": {
            "folder": str(result.candidate.folder),
            "model": result.candidate.results["model"],
        },
        "use_cases": [v.to_dict() for v in result.verdicts],
    }


def write_gate_outputs(result: GateResult, out_dir: Path) -> dict[str, Path]:
    """Write the three files; append the summary to ``$GITHUB_STEP_SUMMARY`` when set."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "gate-summary.md",
        "junit": out_dir / "gate-junit.xml",
        "json": out_dir / "gate-verdict.json",
    }
    summary = markdown_summary(result)
    atomic_write_text(paths["markdown"], summary)
    atomic_write_text(paths["junit"], junit_xml(result))
    write_json(paths["json"], verdict_json(result))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(summary)
    return paths
