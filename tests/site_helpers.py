"""Synthetic stored runs (no model) and a strict HTML well-formedness check for the site tests."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from evals.runs.results import UseCaseResult
from tests.helpers import REPO, memory_run, require, stored_use_case

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


def write_run(
    runs_root: Path,
    name: str,
    scores: dict[str, list[float]],
    *,
    created: str,
    prompt_mode: str = "chat",
    limit: int | None = None,
    objective: str = "instruct",
    backend: str = "hf",
    fingerprint: str | None = None,
    interval: tuple[float, float] = (5, 5),
    outputs: dict[str, list[str]] | None = None,
    variant: str | None = None,
) -> Path:
    """A finished run folder: results.json (schema of this suite), run_spec.json, samples."""
    stamp = created.replace(":", "").replace("-", "")
    folder = runs_root / name / stamp
    suffix = 0
    while folder.exists():  # two runs stored in the same second, as run folders allow
        suffix += 1
        folder = runs_root / name / f"{stamp}-{suffix}"
    folder.mkdir(parents=True)
    use_cases: dict[str, UseCaseResult] = {}
    for use_case, values in scores.items():
        value = sum(values) / len(values)
        texts = (outputs or {}).get(use_case) or [f"answer {i}" for i in range(len(values))]
        with (folder / f"samples_{use_case}.jsonl").open("w", encoding="utf-8") as handle:
            for i, (v, text) in enumerate(zip(values, texts, strict=True)):
                handle.write(
                    json.dumps(
                        {
                            "doc_hash": f"{use_case}-{i}",
                            "item_id": str(i),
                            "doc": {"question": f"q{i}"},
                            "target": "t",
                            "raw_output": text,
                            "parsed": text,
                            "scores": {"accuracy": v},
                        }
                    )
                    + "\n"
                )
        # An accuracy's interval stays within 0-100, as every real one does.
        use_cases[use_case] = stored_use_case(
            use_case,
            values,
            ci=(max(0.0, value - interval[0]), min(100.0, value + interval[1])),
            prompt_mode=prompt_mode,
            model_fingerprint=fingerprint or name,
            baselines={
                "strongest": "majority",
                "above_all": value > 50,
                "policies": {"majority": {"score": {"value": 50.0}}},
            },
        )
    stored = memory_run(
        folder,
        use_cases,
        {},
        name=variant or name,
        fingerprint=fingerprint or name,
        objective=objective,
        prompt_mode=prompt_mode,
        created_utc=created,
        spec=str(Path.home() / "models" / name),
        backend=backend,
        model_hash=f"hash-{name}",
    )
    results = replace(stored.results, limit=limit).to_dict()
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    spec = {
        "model": {"name": name},
        "fingerprint": fingerprint or name,
        "tasks": {uc: {"limit": limit, "prompt_mode": prompt_mode} for uc in scores},
        "versions": {"suite": "1"},
    }
    (folder / "run_spec.json").write_text(json.dumps(spec), encoding="utf-8")
    return folder


class _StrictChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.errors: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key == "id":
                if value in self.ids:
                    self.errors.append(f"duplicate id {value!r}")
                self.ids.add(value or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()


def html_errors(text: str) -> list[str]:
    """Structural errors: no doctype, an unbalanced or misnested tag, a duplicate id."""
    checker = _StrictChecker()
    checker.feed(text)
    checker.close()
    errors = list(checker.errors)
    if not checker.doctype:
        errors.append("no <!doctype html>")
    if checker.stack:
        errors.append(f"unclosed: {checker.stack}")
    return errors


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require(path is not None, "chromium not installed (apt-get install chromium; .ci/run does)")
    assert path is not None
    return path


BROWSER_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "reports" / "test-artifacts"


def gate_example_runs(tmp_path: Path) -> tuple[Path, Path]:
    """A baseline and a candidate run for the gate's report tests: sentiment improves, qa
    regresses on 400 items, ner is unchanged on 40 items (underpowered)."""
    runs = tmp_path / "runs"
    t0, t1 = "2026-11-01T10:00:00+00:00", "2026-11-02T10:00:00+00:00"
    baseline = write_run(
        runs,
        "base",
        {
            "sentiment": [100.0] * 380 + [0.0] * 20,
            "qa": [100.0] * 320 + [0.0] * 80,
            "ner": [100.0] * 20 + [0.0] * 20,
        },
        created=t0,
    )
    candidate = write_run(
        runs,
        "cand",
        {
            "sentiment": [100.0] * 400,
            "qa": [100.0] * 260 + [0.0] * 140,
            "ner": [100.0] * 20 + [0.0] * 20,
        },
        created=t1,
    )
    return baseline, candidate
