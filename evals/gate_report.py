"""What the gate writes: a markdown summary (PR comment, ``$GITHUB_STEP_SUMMARY``), a JUnit XML
file (one testcase per use case) that CI systems render, and a JSON verdict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from evals.gate import GateResult, UseCaseVerdict, Verdict
from evals.run_folder import atomic_write_text, unique_folder, write_json

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


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _lead(result: GateResult) -> list[str]:
    """What a reviewer must read first: underpowered use cases before anything else."""
    weak = [v for v in result.verdicts if v.verdict is Verdict.UNDERPOWERED]
    if not weak:
        return []
    names = ", ".join(f"{v.use_case} (n={v.n}, detects drops ≥ {v.min_detectable:.1f})"
                      for v in weak)  # fmt: skip
    fails = " and fails the gate (policy fail_on_underpowered)" if (
        result.policy.fail_on_underpowered) else ""  # fmt: skip
    return [
        f"> **UNDERPOWERED{fails}: these items cannot detect a drop of the allowed size in "
        f'{names}.** A pass here would not mean "no regression": add items (`evals plan`) '
        "or widen the allowed drop.",
        "",
    ]


def markdown_summary(result: GateResult, diff_page: str | None = None) -> str:
    """The summary table and the biggest per-item losses, as GitHub-flavoured markdown;
    ``diff_page``: the run-vs-run page's link (relative to the summary's folder)."""
    base, cand = result.baseline, result.candidate
    lines = [
        f"## Eval gate: {result.headline}",
        "",
        *_lead(result),
        f"Candidate **{_md_cell(cand.variant)}** (`{cand.results['model']['fingerprint']}`) vs "
        f"baseline **{_md_cell(base.variant)}** (`{base.results['model']['fingerprint']}`), "
        f"{base.results['prompt_mode']} prompts; policy `{_md_cell(result.policy.source)}`, "
        f"one-sided tests at alpha {result.policy.alpha} (Holm across use cases for "
        "regressions).",
        *(
            [f"**Compared although these run-spec fields differ** (`--allow-different`): "
             f"{', '.join(result.allowed_differences)}."]
            if result.allowed_differences else []
        ),
        "",
        "| use case | metric | n | baseline | candidate | difference [bounds] | allowed drop "
        "| p regression (Holm) | p no-drop | min. detectable drop | test | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for v in result.verdicts:
        t = v.test
        lines.append(
            f"| {v.use_case}{'' if v.required else ' (optional)'} | {v.metric} | {v.n} "
            f"| {v.baseline.value:.2f} | {v.candidate.value:.2f} | {_fmt_diff(v)} "
            f"| {v.margin:g} | {t.p_regression_holm:.3g} | {t.p_noninferior:.3g} "
            f"| {v.min_detectable:.2f} | {t.difference.method} "
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
    if diff_page:
        lines += ["", f"Run-vs-run page (every changed item, both outputs, word diff): "
                  f"[{Path(diff_page).name}]({diff_page})"]  # fmt: skip
    lines += ["", "Bounds: the lower bound of the no-drop test (level alpha) and the upper bound "
              "of the regression test (at its Holm level); REGRESSION when the upper bound is "
              "below minus the allowed drop, PASS when the lower bound is above it. Minimum "
              "detectable drop: the true drop these items flag with 80% power."]  # fmt: skip
    return "\n".join(lines) + "\n"


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
            "model": result.baseline.results["model"],
        },
        "candidate": {
            "folder": str(result.candidate.folder),
            "model": result.candidate.results["model"],
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
    return {v.use_case: {"verdict": v.verdict.value, "reason": v.reason,
                         "lower": v.test.lower_bound, "upper": v.test.upper_bound}
            for v in result.verdicts}  # fmt: skip


def write_gate_outputs(result: GateResult, out_dir: Path) -> dict[str, Path]:
    """Write the summary, JUnit, verdict and the run-vs-run page (linked from the summary);
    append the summary to ``$GITHUB_STEP_SUMMARY`` when set."""
    from evals.diff_page import write_run_diff

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "gate-summary.md",
        "junit": out_dir / "gate-junit.xml",
        "json": out_dir / "gate-verdict.json",
        "diff": out_dir / "run-diff.html",
    }
    write_run_diff(result.baseline, result.candidate, paths["diff"],
                   gate=gate_verdicts_for_page(result))  # fmt: skip
    summary = markdown_summary(result, diff_page=paths["diff"].name)
    atomic_write_text(paths["markdown"], summary)
    atomic_write_text(paths["junit"], junit_xml(result))
    write_json(paths["json"], verdict_json(result))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(summary)
    return paths
