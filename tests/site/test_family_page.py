"""The family page's fixes on synthetic runs: ties never look like wins, full labels, round axis
ticks, chat references in words, no home folder in provenance; checked in headless Chromium."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from evals.files import write_json
from evals.matrix.family import family_from_dict
from evals.matrix.verdicts import Column, build_matrix
from evals.runs.store import load_run
from evals.site.build import write_site
from evals.site.samples import reference_text
from tests.site_helpers import ARTIFACTS, BROWSER_FLAGS, chromium, html_errors, write_run

T0 = "2026-11-01T10:00:00+00:00"
LONG = "SmolLM2-135M-Instruct-with-a-long-name"


def _family(tmp_path: Path, items: int = 40) -> Path:
    runs, reports = tmp_path / "runs", tmp_path / "reports"
    # qa: a and b tie (2 items apart of 40), c far below; ner: a clear winner.
    spec = {
        "a": ([100.0] * 30 + [0.0] * 10, [100.0] * 36 + [0.0] * 4),
        LONG: ([100.0] * 29 + [0.0] * 11, [0.0] * 40),
        "c": ([100.0] * 4 + [0.0] * 36, [100.0] * 20 + [0.0] * 20),
    }
    spec = {name: (qa[:items], ner[:items]) for name, (qa, ner) in spec.items()}
    columns = []
    for name, (qa, ner) in spec.items():
        folder = write_run(runs, name, {"qa": qa, "ner": ner}, created=T0)
        columns.append(Column(f"{name}|chat", name, "instruct", "chat", load_run(folder)))
    matrix = build_matrix(columns, ["qa", "ner"])
    matrix["family"] = {"name": "fam", "title": "Fam", "variants": [], "tasks": "qa,ner"}
    family_from_dict(matrix["family"])
    write_json(reports / "families" / "fam" / "matrix.json", matrix)
    return write_site(reports, {"fam": columns}, runs_root=runs)["page_fam"]


def test_chat_reference_is_shown_as_checks_in_words() -> None:
    record = {
        "turns": [],
        "target": [
            [{"type": "contains_any", "values": ["Priya"]}, {"type": "max_words", "value": 6}],
            [{"type": "recall", "values": ["teal"]}, {"type": "mystery", "x": 1}],
        ],
    }
    assert reference_text(record) == (
        "Turn 1: mentions any of “Priya”; at most 6 words\n"
        'Turn 2: recalls any of “teal”; {"type": "mystery", "x": 1}'
    )
    assert reference_text({"target": "positive"}) == "positive"


def test_family_page_hides_the_home_folder_and_is_well_formed(tmp_path: Path) -> None:
    text = _family(tmp_path).read_text(encoding="utf-8")
    assert str(Path.home()) + "/" not in text
    assert "~/models/a" in text
    assert html_errors(text) == []


@pytest.mark.browser
def test_family_page_in_a_real_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_path = _family(tmp_path)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_path.as_uri())
        qa = page.locator("tr[data-row='qa']")
        assert qa.locator("td.cell.winner").count() == 0
        assert qa.locator("td.cell.tied").count() == 2
        assert "≈ tied for best" in qa.locator("td.cell.tied").first.inner_text()
        assert page.locator("tr[data-row='ner'] td.cell.winner").count() == 1
        # Keyboard: Enter on a use case sorts the columns by it (ner: a first, then the rest).
        page.focus("tr[data-row='ner'] th.sortable")
        page.keyboard.press("Enter")
        headers = page.locator("#heatmap tr").first.locator("th").all_inner_texts()[2:5]
        assert [h.split(" (")[0] for h in headers] == ["a", "c", LONG]
        page.keyboard.press("Enter")  # focus stays on it: Enter again restores the order
        headers = page.locator("#heatmap tr").first.locator("th").all_inner_texts()[2:5]
        assert [h.split(" (")[0] for h in headers] == ["a", LONG, "c"]
        # Keyboard: a focused cell opens its details with Enter.
        qa.locator("td.cell").first.focus()
        page.keyboard.press("Enter")
        assert page.locator("#details table tr").count() >= 2
        # Dot plots: the whole label, drawn left of the plot; ticks at a round step.
        labels = page.locator("svg text.plot-label").all_text_contents()
        assert f"{LONG} (chat)" in labels
        overlap = page.evaluate("""[...document.querySelectorAll('#plots svg')].map((svg) => {
            const axis = svg.querySelector('line[stroke="#999"]').x1.baseVal.value;
            return Math.max(...[...svg.querySelectorAll('text.plot-label')].map(
                (t) => t.getBBox().x + t.getBBox().width)) - axis; })""")
        assert max(overlap) < 0, overlap  # every label ends before the plot starts
        first, second = (p.bounding_box() for p in page.locator("#plots svg").all())
        assert (
            first["x"] + first["width"] <= second["x"]
            or first["y"] + first["height"] <= second["y"]
        )
        for plot in page.locator("#plots svg").all():
            ticks = [float(t) for t in plot.locator("text.tick").all_text_contents()]
            steps = {round(b - a, 6) for a, b in pairwise(ticks)}
            assert len(steps) == 1 and steps.pop() in {1, 2, 2.5, 5, 10, 20, 25, 50}, ticks
        assert page.evaluate("window.__niceTicks(10, 80)") == [0, 20, 40, 60, 80]
        assert page.evaluate("window.__niceTicks(100, 100)") == [94, 96, 98, 100]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "family-ties-and-plots.png"), full_page=True)
        browser.close()
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


@pytest.mark.browser
def test_family_cells_with_few_items_say_so(tmp_path: Path) -> None:
    """Before: a cell printed "n 8" and nothing said that 8 items cannot rank variants."""
    from playwright.sync_api import sync_playwright

    page_path = _family(tmp_path, items=8)
    big = _family(tmp_path / "big")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page()
        page.goto(page_path.as_uri())
        notes = page.locator("#heatmap td.cell .small-n").all_inner_texts()
        assert len(notes) == 6
        assert notes[0] == "n=8: a smoke run, too few items to rank"  # not a 0-wide interval
        page.goto(big.as_uri())
        assert page.locator("#heatmap td.cell").count() == 6
        assert page.locator("#heatmap td.cell .small-n").count() == 0
        browser.close()


@pytest.mark.browser
def test_family_columns_link_their_evidence_and_the_page_fits_400px(tmp_path: Path) -> None:
    """Before: columns and provenance linked nowhere, hashes were cut to 16 characters (a
    server model's to "server:http://12") and the heatmap overflowed a narrow window."""
    from playwright.sync_api import sync_playwright

    page_path = _family(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 400, "height": 900})
        page.goto(page_path.as_uri())
        for link in page.locator("#heatmap a.variant-link").all():
            assert (page_path.parent / (link.get_attribute("href") or "")).is_file()
        assert page.locator("#heatmap a.variant-link").count() == 3
        hashes = page.locator("#provenance td.hash").all_inner_texts()
        assert "hash-a" in hashes and f"hash-{LONG}" in hashes  # whole, not cut
        samples = page.locator("#provenance a.samples")
        assert samples.count() == 3
        assert all(
            (page_path.parent / (a.get_attribute("href") or "")).is_file() for a in samples.all()
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "family-400px.png"), full_page=True)
        browser.close()
