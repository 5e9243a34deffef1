"""The site's pages in headless Chromium: filters, sort, search, keyboard, hostile text, and no
network request. Screenshots go to reports/test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.files import write_json
from evals.site.build import write_site
from tests.helpers import REPO
from tests.site_helpers import ARTIFACTS, BROWSER_FLAGS, HOSTILE, chromium, write_run

pytestmark = pytest.mark.browser

T0 = "2026-11-01T10:00:00+00:00"


def _store(tmp_path: Path) -> Path:
    runs, reports = tmp_path / "runs", tmp_path / "reports"
    write_run(runs, "instr", {"qa": [100.0] * 32 + [0.0] * 8, "ner": [50.0] * 40}, created=T0)
    write_run(
        runs,
        "chatty",
        {"qa": [100.0] * 31 + [0.0] * 9},
        created=T0,
        objective="chat",
        backend="llama-cpp",
    )
    write_run(
        runs,
        "based",
        {"qa": [100.0] * 8},
        created=T0,
        objective="base",
        prompt_mode="completion",
        limit=8,
        interval=(20, 0),
    )
    write_run(runs, "hostile", {"qa": [0.0] * 40}, created=T0, variant=HOSTILE)
    write_json(
        reports / "families" / "fam" / "matrix.json",
        {
            "family": {"name": "fam", "title": HOSTILE},
            "rows": [],
            "columns": [
                {"fingerprint": "instr", "prompt_mode": "chat"},
                {"fingerprint": "based", "prompt_mode": "completion"},
            ],
        },
    )
    return write_site(reports, {}, runs_root=runs)["index"]


def _variants(page) -> list[str]:
    return page.locator("#leaderboard tbody th.variant").evaluate_all(
        "nodes => nodes.map(n => n.firstChild.textContent)"
    )


def test_leaderboard_in_a_real_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    index = _store(tmp_path)
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(index.as_uri())
        assert page.locator("#row-count").inner_text() == "4 of 4 rows"
        # Hostile names are text: shown verbatim, nothing ran, no element was made of them.
        assert HOSTILE in _variants(page)
        assert page.locator("#family-links a").inner_text() == HOSTILE
        assert page.locator("img").count() == 0 and page.evaluate("window.__pwned === undefined")
        # Leader and not-separable cells print their state, not only a colour; the n=8 smoke
        # run scores highest but is listed apart and never ranked.
        rows = page.locator("#leaderboard tbody tr[data-key]")
        qa = {v: rows.nth(i).locator("td[data-column='qa']") for i, v in enumerate(_variants(page))}
        assert _variants(page) == ["instr", "chatty", HOSTILE, "based"]  # by mean rank
        assert "▲" not in qa["based"].inner_text() and "smoke run" in qa["based"].inner_text()
        assert (
            "LIMIT and smoke runs (1)"
            in page.locator("tbody.small-runs th.group-head").inner_text()
        )
        assert "▲ leader" in qa["instr"].inner_text()
        assert "≈ not separable" in qa["chatty"].inner_text()
        assert "▲" not in qa[HOSTILE].inner_text() and "≈" not in qa[HOSTILE].inner_text()
        assert "trivial (majority) 50.0" in qa["instr"].inner_text()
        assert (
            "accuracy" in page.locator("th[aria-sort] >> text=qa").first.locator("..").inner_text()
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)
        # Sort by a use case: descending first, then ascending; by keyboard (Tab + Enter), the
        # focus staying on the sort button.
        page.click("button[data-sort='qa']")
        assert _variants(page)[:2] == ["instr", "chatty"] and _variants(page)[-1] == "based"
        page.focus("button[data-sort='qa']")
        page.keyboard.press("Enter")
        assert _variants(page)[0] == HOSTILE
        assert page.locator("th[aria-sort='ascending'] button[data-sort='qa']").count() == 1
        assert page.evaluate("document.activeElement.dataset.sort") == "qa"
        # Filters, each alone and together.
        page.select_option("#filter-objective", "base")
        assert _variants(page) == ["based"]
        page.select_option("#filter-objective", "")
        page.select_option("#filter-backend", "llama-cpp")
        assert _variants(page) == ["chatty"]
        page.select_option("#filter-backend", "")
        page.select_option("#filter-family", "fam")
        assert sorted(_variants(page)) == ["based", "instr"]
        page.select_option("#filter-prompt-mode", "chat")
        assert _variants(page) == ["instr"]
        page.select_option("#filter-family", "")
        page.select_option("#filter-prompt-mode", "")
        page.fill("#search", "HAT")
        assert _variants(page) == ["chatty"]
        page.fill("#search", "zzz")
        assert page.locator("#empty-note").inner_text() == "No rows match the filters."
        page.fill("#search", "")
        page.select_option("#filter-objective", "chat")
        page.screenshot(path=str(ARTIFACTS / "leaderboard-filtered.png"), full_page=True)
        browser.close()
    assert errors == []
    assert requests and all(url.startswith(("file:", "data:")) for url in requests), requests


def test_many_rows_draw_the_first_hundred_then_all_on_request(tmp_path: Path) -> None:
    """The page stays light at scale (scripts/bench_site.py measures 500 × 17)."""
    from playwright.sync_api import sync_playwright

    runs, reports = tmp_path / "runs", tmp_path / "reports"
    for i in range(105):
        write_run(runs, f"v{i:03d}", {"qa": [100.0] * (i % 40) + [0.0] * (40 - i % 40)}, created=T0)
    index = write_site(reports, {}, runs_root=runs)["index"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page()
        page.goto(index.as_uri())
        assert page.locator("#leaderboard tbody tr").count() == 100
        assert page.locator("#row-count").inner_text() == "105 of 105 rows (first 100 shown)"
        page.focus("#show-all")
        page.keyboard.press("Enter")
        assert page.locator("#leaderboard tbody tr").count() == 105
        assert page.locator("#show-all").is_hidden()
        browser.close()


def test_the_site_works_from_a_static_host(tmp_path: Path) -> None:
    """Served over HTTP (as GitHub Pages serves it): every request stays on that host."""
    import functools
    import http.server
    import threading
    from urllib.parse import urljoin

    from playwright.sync_api import sync_playwright

    _store(tmp_path)  # tmp_path/runs and tmp_path/reports/site, served from tmp_path
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    requests: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(origin + "reports/site/index.html")
            assert page.locator("#row-count").inner_text() == "4 of 4 rows"
            page.click("a.variant-link >> text=instr")
            assert page.locator("#history-chart g.series").count() == 2
            href = page.locator("#history-table a.raw").first.get_attribute("href")
            samples = page.request.get(urljoin(page.url, href or ""))
            assert samples.ok and '"doc_hash"' in samples.text()  # linked relatively
            page.locator("#history-table a.samples").first.click()
            assert page.locator("#sample-view .pane.output").count() == 1  # the HTML viewer
            browser.close()
    finally:
        server.shutdown()
    assert errors == []
    assert requests and all(url.startswith(origin) for url in requests), requests


def test_every_cell_reaches_its_samples_as_html_in_one_click(tmp_path: Path) -> None:
    """Before: variant → "samples" opened a raw .jsonl whose prompt was a Python repr."""
    import json

    from playwright.sync_api import sync_playwright

    index = _store(tmp_path)
    folder = next((tmp_path / "runs" / "instr").iterdir())
    path = folder / "samples_qa.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": HOSTILE},
    ]
    records[0]["prompt"] = f"JsonChatStr(prompt={json.dumps(messages)!r})"  # as older runs stored
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    index = write_site(tmp_path / "reports", {}, runs_root=tmp_path / "runs")["index"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(index.as_uri())
        rows = page.locator("#leaderboard tbody tr[data-key]")
        for i in range(rows.count()):  # every cell links to an HTML page, the use case named
            for link in rows.nth(i).locator("td.cell a.samples-link").all():
                href = link.get_attribute("href") or ""
                assert re.match(r"^samples-[0-9a-f]{16}\.html#uc=\w+$", href), href
        rows.nth(0).locator("td[data-column='qa'] a.samples-link").click()  # instr, qa
        assert (
            page.url.endswith("#uc=qa") and page.locator("#sample-use-case").input_value() == "qa"
        )
        assert page.locator("#sample-count").inner_text() == "40 of 40 items"
        assert page.locator("#sample-prompt .message .role").all_text_contents() == [
            "system",
            "user",
        ]
        assert page.locator("#sample-prompt .message .pane").nth(1).inner_text() == HOSTILE
        assert page.evaluate("window.__pwned === undefined") and page.locator("img").count() == 0
        page.select_option("#sample-score", "zero")
        assert page.locator("#sample-count").inner_text() == "8 of 40 items"
        page.select_option("#sample-score", "")
        page.fill("#sample-text", "answer 3")
        assert page.locator("#sample-count").inner_text() == "11 of 40 items"  # 3, 30…39
        assert "answer 3" in page.locator("#sample-view .pane.output").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "run-samples.png"), full_page=True)
        browser.close()
    assert errors == []


def test_two_comparable_rows_reach_their_diff_in_two_clicks(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    index = _store(tmp_path)  # chatty and the hostile row: the same use cases and run spec
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(index.as_uri())
        rows = page.locator("#leaderboard tbody tr[data-key]")
        chatty = rows.nth(_variants(page).index("chatty"))
        picker = chatty.locator("select.compare")
        assert picker.locator("option").all_text_contents() == [
            "compare with…",
            f"{HOSTILE} (chat)",
        ]
        assert rows.nth(_variants(page).index("instr")).locator("select.compare").count() == 0
        picker.select_option(label=f"{HOSTILE} (chat)")  # opening the list, then a choice
        page.wait_for_url("**/diff-*.html")
        assert page.locator("#diff-table tr[data-use-case='qa'] .values").inner_text() == (
            "77.5 → 0.0"
        ) or page.locator("#diff-table tr[data-use-case='qa'] .values").inner_text() == (
            "0.0 → 77.5"
        )
        assert page.evaluate("window.__pwned === undefined")
        browser.close()
    assert errors == []


def test_the_view_is_in_the_url_and_the_index_is_usable_at_400px(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    index = _store(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 400, "height": 800})
        page.goto(index.as_uri())
        page.click("button[data-sort='qa']")
        page.select_option("#filter-prompt-mode", "chat")
        page.fill("#search", "t")
        view = _variants(page)
        assert "sort=qa" in page.url and "prompt_mode=chat" in page.url and "q=t" in page.url
        shared = page.url
        other = browser.new_page(viewport={"width": 400, "height": 800})
        other.goto(shared)  # the same view from the link alone
        assert _variants(other) == view and other.locator("#search").input_value() == "t"
        assert other.locator("#filter-prompt-mode").input_value() == "chat"
        assert other.locator("th[aria-sort='descending'] button[data-sort='qa']").count() == 1
        # 400 px: the page itself never scrolls sideways (the table scrolls in its box) and
        # the variant column stays in view while it does
        assert other.evaluate("document.documentElement.scrollWidth") <= 400
        other.locator(".scroll").evaluate("box => { box.scrollLeft = 10000; }")
        name = other.locator("#leaderboard tbody th.variant").first.bounding_box()
        assert name is not None and 0 <= name["x"] < 60
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        other.screenshot(path=str(ARTIFACTS / "leaderboard-400px-scrolled.png"), full_page=True)
        browser.close()


def test_a_variants_other_runs_fold_under_its_first_row(tmp_path: Path) -> None:
    """Before: one variant appeared once per limit (5/32/48/800), ungrouped."""
    from playwright.sync_api import sync_playwright

    runs, reports = tmp_path / "runs", tmp_path / "reports"
    write_run(runs, "many", {"qa": [100.0] * 35 + [0.0] * 5}, created=T0)
    write_run(runs, "many", {"qa": [100.0] * 30 + [0.0] * 10}, created=T0, prompt_mode="completion")
    write_run(runs, "many", {"qa": [100.0] * 30 + [0.0] * 10, "ner": [0.0] * 40}, created=T0)
    write_run(runs, "other", {"qa": [100.0] * 20 + [0.0] * 20}, created=T0)
    index = write_site(reports, {}, runs_root=runs)["index"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(index.as_uri())
        assert _variants(page) == ["many", "other"]
        fold = page.locator("button.fold[data-variant='many']")
        assert (
            fold.inner_text() == "▸ 2 more runs" and fold.get_attribute("aria-expanded") == "false"
        )
        fold.focus()
        page.keyboard.press("Enter")
        assert _variants(page) == ["many", "many", "many", "other"]
        assert page.evaluate("document.activeElement.dataset.variant") == "many"
        assert page.locator("tr.folded-run").count() == 2
        page.keyboard.press("Enter")
        assert _variants(page) == ["many", "other"]
        browser.close()


def test_a_site_of_runs_at_5_48_and_872_items(tmp_path: Path) -> None:
    """Issue 22's "done means": no smoke run and no below-baseline cell leads; a 3-point gap on
    872 shared items with few discordant pairs is separated; every cell reaches its samples as
    HTML in one click; two comparable rows reach their diff in two."""
    from playwright.sync_api import sync_playwright

    runs, reports = tmp_path / "runs", tmp_path / "reports"
    a = [100.0] * 698 + [0.0] * 174  # 80.0
    b = [100.0] * 694 + [0.0] * 4 + [100.0] * 30 + [0.0] * 144  # 83.0: 4 vs 30 discordant
    write_run(runs, "tune-a", {"qa": a}, created=T0, interval=(2.7, 2.6))
    write_run(runs, "tune-b", {"qa": b}, created=T0, interval=(2.5, 2.4))
    write_run(runs, "weak", {"qa": [100.0] * 349 + [0.0] * 523}, created=T0)  # 40: below 50
    write_run(runs, "smoke", {"qa": [100.0] * 5}, created=T0, limit=5)
    write_run(runs, "mid", {"qa": [100.0] * 43 + [0.0] * 5}, created=T0, limit=48)
    index = write_site(reports, {}, runs_root=runs)["index"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(index.as_uri())
        names = _variants(page)
        rows = page.locator("#leaderboard tbody tr[data-key]")
        qa = {
            v: rows.nth(i).locator("td[data-column='qa']").inner_text() for i, v in enumerate(names)
        }
        assert names[-1] == "smoke" and "▲" not in qa["smoke"] and "smoke run" in qa["smoke"]
        assert "▲ leader" in qa["tune-b"] and "▲" not in qa["weak"] and "▲" not in qa["tune-a"]
        assert "≈" not in qa["tune-a"]  # separated: the paired test, not overlapping intervals
        assert "▲ leader of limit-48 runs" in qa["mid"]  # its own items, never the full runs
        assert names.index("mid") > names.index("weak")  # listed apart, after the full runs
        for i in range(rows.count()):
            assert rows.nth(i).locator("td.cell a.samples-link").count() == 1
        page.screenshot(path=str(ARTIFACTS / "leaderboard-5-48-872.png"), full_page=True)
        rows.nth(names.index("tune-a")).locator("select.compare").select_option(
            label="tune-b (chat)"
        )
        page.wait_for_url("**/diff-*.html")
        assert page.locator("#diff-table tr[data-use-case='qa'] .values").count() == 1
        page.go_back()
        page.locator("#leaderboard tbody tr[data-key]").nth(names.index("weak")).locator(
            "td[data-column='qa'] a.samples-link"
        ).click()
        assert page.locator("#sample-count").inner_text() == "872 of 872 items"
        browser.close()


def test_families_not_evaluated_yet_are_listed_with_their_command(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    families = REPO / "families"
    runs, reports = tmp_path / "runs", tmp_path / "reports"
    write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    index = write_site(reports, {}, runs_root=runs, families_dir=families)["index"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.goto(index.as_uri())
        items = page.locator("#pending-families li")
        assert items.count() == len(list(families.glob("*.yaml")))
        assert all("make matrix FAMILY=" in text for text in items.all_inner_texts())
        assert page.locator("#pending-families a").count() == 0  # named, never linked
        page.screenshot(path=str(ARTIFACTS / "leaderboard-not-evaluated-yet.png"))
        browser.close()
