"""The run-vs-run page: paired differences from evals.decision, changed items by loss, word
diffs, the gate's page and link, and a pair that is not comparable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import main
from evals.gate.decide import decide
from evals.gate.policy import load_policy
from evals.gate.report import markdown_summary, write_gate_outputs
from evals.runs.pairing import pair_samples
from evals.runs.store import load_run
from evals.site.diff_page import run_diff_data, word_diff, write_run_diff
from tests.helpers import REPO
from tests.site_helpers import (
    ARTIFACTS,
    BROWSER_FLAGS,
    HOSTILE,
    chromium,
    html_errors,
    write_run,
)

T0, T1 = "2026-11-01T10:00:00+00:00", "2026-11-02T10:00:00+00:00"
N = 40


def _pair(tmp_path: Path, candidate_limit: int | None = None) -> tuple[Path, Path]:
    runs = tmp_path / "runs"
    base_out = [f"the answer is {i}" for i in range(N)]
    cand_out = list(base_out)
    cand_out[3] = HOSTILE
    cand_out[7] = "the answer was 7 maybe"
    baseline = write_run(
        runs, "base", {"qa": [100.0] * N, "ner": [50.0] * N}, created=T0, outputs={"qa": base_out}
    )
    qa = [100.0] * N
    qa[3], qa[7], qa[9] = 0.0, 50.0, 100.0
    candidate = write_run(
        runs,
        "cand",
        {"qa": qa, "ner": [50.0] * N},
        created=T1,
        outputs={"qa": cand_out},
        limit=candidate_limit,
    )
    return baseline, candidate


def test_word_diff_keeps_shared_words_and_marks_the_rest() -> None:
    assert word_diff("the answer is 7", "the answer was 7 maybe") == [
        ["=", "the answer "],
        ["-", "is"],
        ["+", "was"],
        ["=", " 7"],
        ["+", " maybe"],
    ]
    assert word_diff("", "") == []


def test_differences_are_the_decision_modules_and_flips_come_biggest_loss_first(
    tmp_path: Path,
) -> None:
    baseline, candidate = (load_run(p) for p in _pair(tmp_path))
    data = run_diff_data(baseline, candidate)
    qa = next(u for u in data["use_cases"] if u["use_case"] == "qa")
    diff = pair_samples(
        baseline.samples("qa"), candidate.samples("qa"), "accuracy", "mean", ("a", "b")
    ).difference
    assert qa["difference"] == diff.value and (qa["ci_low"], qa["ci_high"]) == diff.interval(0.95)
    assert qa["n"] == N and qa["verdict"] in {
        "candidate higher",
        "candidate lower",
        "not separable",
    }
    assert [f["item_id"] for f in qa["flips"]] == ["3", "7"]
    assert qa["flips"][0]["candidate_output"] == HOSTILE
    ner = next(u for u in data["use_cases"] if u["use_case"] == "ner")
    assert ner["flips"] == [] and ner["difference"] == 0.0


def test_a_pair_that_is_not_comparable_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline, candidate = _pair(tmp_path, candidate_limit=40)
    out = tmp_path / "diff.html"
    code = main(
        ["diff", "--baseline", str(baseline), "--candidate", str(candidate), "--out", str(out)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: not comparable: tasks.")
    assert ".limit differs (baseline None, candidate 40)" in err[0]
    assert '"not_comparable"' in out.read_text() and html_errors(out.read_text()) == []


def test_the_gate_writes_the_page_and_its_summary_links_it(tmp_path: Path) -> None:
    baseline, candidate = (load_run(p) for p in _pair(tmp_path))
    result = decide(baseline, candidate, load_policy(None))
    paths = write_gate_outputs(result, tmp_path / "gate")
    summary = paths["markdown"].read_text()
    assert "[run-diff.html](run-diff.html)" in summary
    assert "run-diff.html" not in markdown_summary(result)  # no link to a page not written
    text = paths["diff"].read_text()
    assert html_errors(text) == []
    start = text.index('id="page-data">') + len('id="page-data">')
    data = json.loads(text[start : text.index("</script>", start)])
    for v in result.verdicts:
        page = next(u for u in data["use_cases"] if u["use_case"] == v.use_case)
        assert page["verdict"] == v.verdict.value and page["reason"] == v.reason
        assert (page["ci_low"], page["ci_high"]) == (v.test.lower_bound, v.test.upper_bound)
        assert page["difference"] == v.test.difference.value


@pytest.mark.browser
def test_diff_page_in_a_real_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    baseline, candidate = (load_run(p) for p in _pair(tmp_path))
    page_path = tmp_path / "site" / "run-diff.html"
    write_run_diff(baseline, candidate, page_path)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri())
        assert page.locator("#diff-table tr[data-use-case]").count() == 2
        assert page.locator("#diff-table tr[data-use-case='qa'] .difference").inner_text() == (
            "-3.75"
        )
        page.select_option("#flip-use-case", "qa")
        flips = page.locator("article.flip")
        assert flips.count() == 2 and page.locator("#flip-count").inner_text() == (
            "losses 1–2 of 2 · 2 losses, 0 gains in all"
        )
        assert page.locator("#diff-table tr[data-use-case='qa'] .values").inner_text() == (
            "100.0 → 96.3"
        )
        assert flips.first.get_attribute("data-item") == "3"
        assert flips.first.locator(".candidate-output").inner_text() == HOSTILE
        assert flips.first.locator(".baseline-output").inner_text() == "the answer is 3"
        second = flips.nth(1).locator(".word-diff")
        assert second.locator("del").all_inner_texts() == ["is"]
        assert second.locator("ins").all_inner_texts() == ["was", " maybe"]
        assert page.locator("img").count() == 0 and page.evaluate("window.__pwned === undefined")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "run-diff.png"), full_page=True)
        page.select_option("#flip-use-case", "ner")
        assert flips.count() == 0
        browser.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


@pytest.mark.simulation
@pytest.mark.browser
def test_many_changed_items_are_counted_and_paged_gains_included(tmp_path: Path) -> None:
    """Before: the page stopped at 200 changed items without saying so, so gains never
    appeared when 450 items changed."""
    from playwright.sync_api import sync_playwright

    from evals.site.diff_page import FLIPS_SHOWN

    runs, n = tmp_path / "runs", 600
    base = [100.0] * 300 + [0.0] * 300
    cand = [0.0] * 300 + [100.0] * 150 + [0.0] * 150  # 300 losses, 150 gains
    baseline = load_run(write_run(runs, "base", {"qa": base}, created=T0))
    candidate = load_run(write_run(runs, "cand", {"qa": cand}, created=T1))
    page_path = tmp_path / "site" / "run-diff.html"
    qa = write_run_diff(baseline, candidate, page_path)["use_cases"][0]
    assert (qa["losses"], qa["gains"], qa["n"]) == (300, 150, n)
    assert len(qa["flips"]) == FLIPS_SHOWN + 150 < 450
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 400, "height": 800})
        page.goto(page_path.as_uri())
        count = page.locator("#flip-count")
        assert count.inner_text().startswith(f"losses 1–25 of 300 (the {FLIPS_SHOWN} biggest")
        page.click("#flip-next")
        assert count.inner_text().startswith("losses 26–50 of 300")
        page.select_option("#flip-kind", "gain")
        assert count.inner_text().startswith("gains 1–25 of 150 · 300 losses, 150 gains")
        assert page.locator("article.flip.gain").count() == 25
        # usable at 400 px: nothing wider than the window
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "run-diff-400px-gains.png"))
        browser.close()


def test_identical_runs_show_no_interval_wider_than_nothing(tmp_path: Path) -> None:
    """Before: two identical runs showed [−100, +100] for a use case with passages."""
    runs = tmp_path / "runs"
    scores = {"qa": [100.0] * 30 + [0.0] * 10}
    baseline = load_run(write_run(runs, "base", scores, created=T0))
    candidate = load_run(write_run(runs, "cand", scores, created=T1))
    qa = run_diff_data(baseline, candidate)["use_cases"][0]
    assert (qa["ci_low"], qa["ci_high"], qa["verdict"]) == (0.0, 0.0, "identical")


def test_the_gate_page_shows_the_status_both_values_and_verdict_colours(tmp_path: Path) -> None:
    baseline, candidate = (load_run(p) for p in _pair(tmp_path))
    result = decide(baseline, candidate, load_policy(None))
    text = write_gate_outputs(result, tmp_path / "gate")["diff"].read_text()
    assert f'id="gate-status">Gate: <strong>{result.status}</strong>' in text
    start = text.index('id="page-data">') + len('id="page-data">')
    data = json.loads(text[start : text.index("</script>", start)])
    assert data["status"] == result.status
    for v in result.verdicts:
        page = next(u for u in data["use_cases"] if u["use_case"] == v.use_case)
        assert (page["baseline_value"], page["candidate_value"]) == (
            v.baseline.value,
            v.candidate.value,
        )
    css = (REPO / "evals" / "site" / "assets" / "page.css").read_text()
    assert "td.verdict-REGRESSION" in css
