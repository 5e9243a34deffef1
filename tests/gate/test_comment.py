"""The gate's PR comment: the verdict on the first line, regressions first, a narrow table,
numbers rounded to what the items resolve, links that resolve from a comment; rendered at
GitHub's comment width in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.cli import main
from evals.gate.decide import GateResult, decide
from evals.gate.policy import load_policy
from evals.gate.report import decimals, markdown_summary, write_gate_outputs
from evals.runs.store import load_run
from tests.site_helpers import ARTIFACTS, BROWSER_FLAGS, chromium, gate_example_runs

BASE = "https://example.org/artifacts/pr-12"


def _result(tmp_path: Path) -> GateResult:
    baseline, candidate = gate_example_runs(tmp_path)
    return decide(load_run(baseline), load_run(candidate), load_policy(None))


def test_the_first_line_is_the_verdict_and_regressions_come_first(tmp_path: Path) -> None:
    comment = markdown_summary(_result(tmp_path), diff_page="run-diff.html", link_base=BASE)
    lines = comment.splitlines()
    assert lines[0] == (
        "## ❌ Eval gate: FAIL — 1 regression (qa); 1 underpowered (ner); 1 improved (sentiment)"
    )
    table = [
        line
        for line in lines[
            : lines.index("<details><summary>Details: tests, allowed drops, reasons</summary>")
        ]
        if line.startswith("| ")
    ]
    assert table[0] == "| use case | baseline → candidate | Δ [bounds] | verdict |"
    assert [row.split(" | ")[0] for row in table[1:]] == ["| qa", "| ner", "| sentiment"]
    assert all(row.count(" | ") == 3 for row in table)  # four columns, the verdict the last
    assert "80.0 → 65.0" in table[1] and table[1].endswith("❌ REGRESSION |")


def test_numbers_are_rounded_and_links_resolve_from_a_comment(tmp_path: Path) -> None:
    comment = markdown_summary(_result(tmp_path), diff_page="run-diff.html", link_base=BASE)
    tables = "\n".join(line for line in comment.splitlines() if line.startswith("| "))
    assert re.findall(r"\d\.\d{3,}", tables) == []  # no 4.58333 or 4.583: one decimal here
    links = re.findall(r"\]\(([^)]+)\)", comment)
    assert links and all(link.startswith(BASE + "/") for link in links)
    assert str(tmp_path) not in comment
    assert (decimals(40), decimals(872), decimals(5000)) == (1, 1, 2)
    plain = markdown_summary(_result(tmp_path / "again"), diff_page="run-diff.html")
    assert "](run-diff.html)" in plain  # without a base: relative to the summary's folder


def test_link_base_must_be_a_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline, candidate = gate_example_runs(tmp_path)
    code = main(
        [
            "gate",
            "--baseline",
            str(baseline),
            "--candidate",
            str(candidate),
            "--out",
            str(tmp_path / "gate"),
            "--link-base",
            "artifacts/x",
        ]
    )
    assert code == 2 and "--link-base must be an http(s) URL" in capsys.readouterr().err
    code = main(
        [
            "gate",
            "--baseline",
            str(baseline),
            "--candidate",
            str(candidate),
            "--out",
            str(tmp_path / "gate"),
            "--link-base",
            BASE,
        ]
    )
    summary = (tmp_path / "gate" / "gate-summary.md").read_text(encoding="utf-8")
    assert code == 1 and f"]({BASE}/run-diff.html)" in summary


@pytest.mark.browser
def test_the_comment_at_githubs_width(tmp_path: Path) -> None:
    """GitHub renders a PR comment about 780 px wide: the verdict column must be in view."""
    from playwright.sync_api import sync_playwright

    # markdown-it-py (CommonMark + tables, as GitHub renders) comes with rich; not declared
    MarkdownIt = pytest.importorskip("markdown_it").MarkdownIt

    paths = write_gate_outputs(_result(tmp_path), tmp_path / "gate", link_base=BASE)
    html = MarkdownIt("commonmark").enable("table").render(paths["markdown"].read_text())
    page_file = tmp_path / "comment.html"
    page_file.write_text(
        "<!doctype html><meta charset='utf-8'><style>body{font:14px system-ui;margin:0;"
        "padding:16px;width:780px;box-sizing:border-box} table{border-collapse:collapse}"
        "td,th{border:1px solid #d0d7de;padding:6px 13px}</style>" + html,
        encoding="utf-8",
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 780, "height": 700})
        page.goto(page_file.as_uri())
        first = page.locator("table").first
        verdict = first.locator("tbody tr").first.locator("td").last
        box = verdict.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 780
        assert "REGRESSION" in verdict.inner_text()
        assert page.locator("h2").first.inner_text().startswith("❌ Eval gate: FAIL")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "gate-comment-780px.png"), full_page=True)
        browser.close()
