"""The leaderboard at scale: 500 variants × 17 benchmarks of synthetic stored runs (no model).

Measures the page weight of ``index.html`` (target < 2 MB), the time until it is interactive in
headless Chromium (``loadEventEnd``: the inline script has drawn the table; target < 1 s on this
machine), one filter and one sort as a user triggers them, and the build time of the whole site
(index, exports, 500 variant pages). Figures for ``make bench``, never a timed test.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS, BENCHMARKS = 500, 17
WEIGHT_TARGET, INTERACTIVE_TARGET = 2_000_000, 1.0


def _store(runs: Path, variants: int, benchmarks: int) -> None:
    """``variants`` finished runs of ``benchmarks`` use cases each, as the runner writes them."""
    from evals.decision import Estimate
    from evals.models.loading import VariantIdentity
    from evals.models.objective import Objective
    from evals.runs.folder import SCHEMA_VERSION
    from evals.runs.results import RunResults, UseCaseResult
    from evals.runs.spec import RunSpec, TaskSpec

    rng = random.Random(0)
    objectives = ["base", "instruct", "chat", "code"]
    for v in range(variants):
        use_cases: dict[str, UseCaseResult] = {}
        mode = "chat" if v % 3 else "completion"
        for b in range(benchmarks):
            value = rng.uniform(5, 95)
            name = f"benchmark_{b:02d}"
            use_cases[name] = UseCaseResult(
                use_case=name,
                primary_metric="accuracy",
                primary_reducer="mean",
                metrics={"accuracy": Estimate(value, value - 4.2, value + 4.1, 500, "wilson")},
                invalid_rate=0.0,
                n=500,
                prompt_mode=mode,
                num_fewshot=0,
                task_version="1",
                data_sha256="d",
                config_sha256="c",
                generation={},
                model_fingerprint=f"fp{v:05d}",
                seconds=0.0,
                tasks=(name,),
                samples_files=(f"samples_{name}.jsonl",),
                baselines={
                    "strongest": "majority",
                    "above_all": value > 50,
                    "policies": {"majority": {"score": {"value": 50.0}}},
                },
            )
        model = VariantIdentity(
            name=f"org/variant-{v:03d}-instruct",
            objective=Objective(objectives[v % 4]),
            objective_source="override",
            has_chat_template=mode == "chat",
            spec=f"org/variant-{v:03d}",
            backend=["hf", "llama-cpp", "openai-chat"][v % 3],
        )
        results = RunResults(
            model=model,
            model_fingerprint=f"fp{v:05d}",
            prompt_mode=mode,
            limit=None,
            created_utc="2026-11-01T10:00:00+00:00",
            use_cases=use_cases,
            schema_version=SCHEMA_VERSION,
            complete=True,
        )
        spec = RunSpec(
            model={"backend": model.backend, "model_hash": f"h{v}"},
            fingerprint=f"fp{v:05d}",
            tasks={name: TaskSpec(version="1", prompt_mode=mode) for name in use_cases},
            versions={"suite": "bench"},
        )
        folder = runs / f"variant-{v:03d}" / "20261101T100000Z"
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps(results.to_dict()), encoding="utf-8")
        (folder / "run_spec.json").write_text(json.dumps(spec.to_dict()), encoding="utf-8")


def site_figures(variants: int = VARIANTS, benchmarks: int = BENCHMARKS) -> dict[str, float]:
    """Build the site from a synthetic store and load its index in headless Chromium."""
    from playwright.sync_api import sync_playwright

    from evals.site.build import write_site

    tmp = Path(tempfile.mkdtemp(prefix="bench-site-"))
    try:
        _store(tmp / "runs", variants, benchmarks)
        from evals.runs.store import find_runs

        stored = len(find_runs(tmp / "runs"))
        assert stored == variants, f"{stored} of {variants} synthetic runs read back"
        started = time.perf_counter()
        index = write_site(tmp / "reports", {}, runs_root=tmp / "runs")["index"]
        build_s = time.perf_counter() - started
        weight = index.stat().st_size
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=flags)
            loads, filters, sorts = [], [], []
            for _ in range(3):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(index.as_uri(), wait_until="load")
                nav = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
                shown = page.locator("#row-count").inner_text()
                assert shown.startswith(f"{variants} of {variants}"), shown
                loads.append(nav["loadEventEnd"] / 1000)
                filters.append(
                    page.evaluate("""() => { const t = performance.now();
                    const s = document.getElementById('filter-objective');
                    s.value = 'chat'; s.dispatchEvent(new Event('change'));
                    document.body.offsetHeight; return (performance.now() - t) / 1000; }""")
                )
                sorts.append(
                    page.evaluate("""() => { const t = performance.now();
                    document.querySelector("button[data-sort='benchmark_03']").click();
                    document.body.offsetHeight; return (performance.now() - t) / 1000; }""")
                )
                page.close()
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    interactive = sorted(loads)[1]
    return {
        "ratio": max(weight / WEIGHT_TARGET, interactive / INTERACTIVE_TARGET),
        "weight_mb": weight / 1e6,
        "interactive_s": interactive,
        "filter_s": sorted(filters)[1],
        "sort_s": sorted(sorts)[1],
        "build_s": build_s,
    }


if __name__ == "__main__":
    print(json.dumps(site_figures(), indent=2))
