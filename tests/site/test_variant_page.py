"""Variant pages: a variant's runs over time, their run specs and samples links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.site.build import write_site
from evals.site.html import variant_page_name
from tests.helpers import REPO
from tests.site_helpers import (
    ARTIFACTS,
    BROWSER_FLAGS,
    HOSTILE,
    chromium,
    html_errors,
    write_run,
)

DAYS = ["2026-11-01T10:00:00+00:00", "2026-11-02T10:00:00+00:00", "2026-11-03T10:00:00+00:00"]


def _store(tmp_path: Path) -> tuple[Path, Path]:
    runs, reports = tmp_path / "runs", tmp_path / "reports"
    for day, k in zip(DAYS, (10, 25, 35), strict=True):
        write_run(
            runs, "alpha", {"qa": [100.0] * k + [0.0] * (40 - k), "ner": [50.0] * 40}, created=day
        )
    write_run(runs, "alpha", {"qa": [100.0] * 4}, created=DAYS[2], limit=4)
    write_run(runs, "other", {"qa": [0.0] * 4}, created=DAYS[0], variant=HOSTILE)
    write_site(reports, {}, runs_root=runs)
    return runs, reports / "site"


def _page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    start = text.index('id="page-data">') + len('id="page-data">')
    return json.loads(text[start : text.index("</script>", start)])


def test_every_run_of_a_variant_is_on_its_page_with_stored_numbers(tmp_path: Path) -> None:
    _, site = _store(tmp_path)
    data = _page_data(site / variant_page_name("alpha"))
    assert [r["created_utc"] for r in data["runs"]] == [*DAYS, DAYS[2]]
    assert [r["cells"]["qa"]["value"] for r in data["runs"]] == [25.0, 62.5, 87.5, 100.0]
    assert data["runs"][3]["limit"] == 4 and data["use_cases"] == ["ner", "qa"]
    pages = [r["vs_previous"] for r in data["runs"]]
    assert pages[0] is None and pages[3] is None  # nothing comparable before them
    assert all((site / page).is_file() for page in pages[1:3])
    for run in data["runs"]:
        for link in [run["cells"]["qa"]["samples"].split("#")[0], *run["cells"]["qa"]["raw"]]:
            assert (site / link).is_file()  # relative to the page, so file:// and hosts work
        assert run["run_spec"]["fingerprint"] == "alpha"
    rows = json.loads((site / "leaderboard.json").read_text())["rows"]
    assert {r["page"] for r in rows} == {variant_page_name("alpha"), variant_page_name(HOSTILE)}
    assert html_errors((site / variant_page_name(HOSTILE)).read_text()) == []


def test_page_names_are_safe_and_distinct() -> None:
    names = {variant_page_name(v) for v in ("a/b", "a b", "a-b", HOSTILE, "")}
    assert len(names) == 5
    assert all(n.startswith("variant-") and "/" not in n and "<" not in n for n in names)


@pytest.mark.browser
def test_variant_page_in_a_real_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    _, site = _store(tmp_path)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((site / "index.html").as_uri())
        page.click("a.variant-link >> text=alpha")
        assert page.url.endswith(variant_page_name("alpha"))
        # One chart per run spec: the three full runs on one axis, the LIMIT run on its own.
        charts = page.locator("#history-chart figure.history-spec")
        assert charts.locator("figcaption").all_inner_texts() == [
            "chat · all items",
            "chat · limit 4",
        ]
        full = charts.first.locator("g.series[data-use-case='qa']")
        assert (
            full.locator("circle.point").count() == 3 and full.locator("line.interval").count() == 3
        )
        assert len(full.locator("polyline").get_attribute("points").split()) == 3
        assert charts.nth(1).locator("g.series[data-use-case='qa'] circle.point").count() == 1
        # Labels say the time too (four same-day runs no longer all read "2026-12-06").
        labels = charts.first.locator("text.run-label").all_text_contents()
        assert labels == ["2026-11-01", "2026-11-02", "2026-11-03"]
        assert set(charts.first.locator("text.run-time").all_text_contents()) == {"10:00 UTC"}
        assert page.locator("#history-legend").inner_text().split() == ["ner", "qa"]
        # Series are selectable: unticking qa hides it in every chart.
        page.locator("#history-legend input[data-use-case='qa']").uncheck()
        assert page.locator("#history-chart g.series[data-use-case='qa']:visible").count() == 0
        assert page.locator("#history-chart g.series[data-use-case='ner']:visible").count() == 1
        page.locator("#history-legend input[data-use-case='qa']").check()
        row = page.locator("#history-table tr").nth(1)
        assert "25.0 [20.0, 30.0] n 40" in row.inner_text()
        page.locator("#run-specs summary").first.click()
        assert '"fingerprint": "alpha"' in page.locator("#run-specs pre").first.inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "variant-history.png"), full_page=True)
        # The second full run links its run-vs-run page against the first; the LIMIT run and
        # the first run have no comparable predecessor.
        links = page.locator("#history-table a.vs-previous")
        assert links.count() == 2
        links.first.click()
        assert page.locator("#diff-table tr[data-use-case='qa'] .difference").inner_text() == (
            "+37.50"
        )
        page.goto((site / variant_page_name(HOSTILE)).as_uri())
        assert page.locator("h1").inner_text() == HOSTILE
        assert page.locator("img").count() == 0 and page.evaluate("window.__pwned === undefined")
        browser.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_chat_prompts_are_stored_and_shown_as_messages() -> None:
    """lm-eval wraps chat messages in JsonChatStr, whose str() is a Python repr: new runs store
    the messages, and the viewer reads older runs' repr back as messages."""
    import json
    from dataclasses import dataclass

    from evals.engine.lm_eval_tasks import prompt_as_sent
    from evals.site.sample_page import prompt_messages

    @dataclass
    class JsonChatStr:  # lm-eval's shape: the messages as JSON text in .prompt
        prompt: str

    JsonChatStr.__qualname__ = "JsonChatStr"  # its repr as lm-eval's class writes it
    messages = [{"role": "user", "content": 'it\'s "quoted" <b>'}]
    wrapped = JsonChatStr(json.dumps(messages))
    assert prompt_as_sent(wrapped) == messages and prompt_as_sent("plain text") == "plain text"
    assert prompt_messages(repr(wrapped)) == messages == prompt_messages(messages)
    assert prompt_messages("plain text") is None


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_history_colour_has_3_to_1_contrast_on_white() -> None:
    """Before: a yellow series at 1.2:1 on the white plot."""
    import re

    script = REPO / "evals" / "site" / "assets" / "variant.js"
    palette = re.findall(
        r"#[0-9a-fA-F]{6}", script.read_text().split("const PALETTE = ")[1].split(";")[0]
    )
    assert len(palette) >= 8
    for colour in palette:
        assert 1.05 / (_luminance(colour) + 0.05) >= 3.0, colour
    assert 1.05 / (_luminance("#f0e442") + 0.05) < 3.0  # the check can fail
