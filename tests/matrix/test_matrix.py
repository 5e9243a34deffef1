"""The objective matrix and the leaderboard page, built from real (tiny-model) runs."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.cli import main
from evals.matrix.build import default_mode, renamed_model, variant_objective
from evals.matrix.family import Variant, load_family
from evals.matrix.verdicts import Column, build_matrix
from evals.models.objective import Objective
from evals.models.spec import parse_model_spec
from evals.runs.store import load_run
from tests.helpers import REPO
from tests.site_helpers import chromium

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def built(
    tiny_chat_model: Path, tiny_base_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    root = tmp_path_factory.mktemp("matrix")
    family = root / "tiny.yaml"
    family.write_text(
        "name: tiny\ntitle: Tiny family\nnote: random weights; a smoke family\n"
        "tasks: sentiment,qa\nlimit: 8\nvariants:\n"
        f"  - model: {tiny_chat_model}\n"
        f"  - model: {tiny_base_model}\n    prompt_modes: [completion]\n"
    )
    args = [
        "matrix",
        "--family",
        str(family),
        "--output",
        str(root / "runs"),
        "--reports",
        str(root / "reports"),
    ]
    assert main(args) == 0
    return {"root": root, "family": family, "args": args}


def test_matrix_files_and_reuse(built: dict, capsys: pytest.CaptureFixture[str]) -> None:
    reports = built["root"] / "reports"
    matrix = json.loads((reports / "matrix.json").read_text())
    assert [c["key"] for c in matrix["columns"]] == [
        "tiny-gpt2-instruct|chat",
        "tiny-gpt2|completion",
    ]
    assert [r["use_case"] for r in matrix["rows"]] == ["sentiment", "qa"]
    for row in matrix["rows"]:
        assert set(row["cells"]) == {c["key"] for c in matrix["columns"]}
        (comparison,) = row["comparisons"]
        # Two random-weight models on 8 items: no difference is significant (sentiment: both
        # 0; qa: 12.5 points, p = 0.5), so neither row has a winner and both are ties.
        assert comparison["n"] == 8 and not comparison["significant"]
        assert comparison["p_adjusted"] >= 0.05
        assert row["winner"] is None and row["agreement"] == "tie"
        for cell in row["cells"].values():
            assert cell["baseline"]["policy"] in {"majority", "unanswerable", "first_sentence"}
    assert (reports / "matrix.md").read_text().startswith("## Tiny family")
    assert (reports / "site" / "tiny.html").is_file() and (
        reports / "site" / "index.html"
    ).is_file()
    capsys.readouterr()
    assert main(built["args"]) == 0  # nothing new to evaluate
    assert "evaluated: 0, reused: 2" in capsys.readouterr().out


def test_report_rebuilds_without_running_a_model(
    built: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = built["root"] / "reports"
    (reports / "site" / "tiny.html").unlink()
    code = main(
        [
            "report",
            "--output",
            str(built["root"] / "runs"),
            "--reports",
            str(reports),
            "--families",
            str(built["root"] / "none"),
        ]
    )
    assert code == 0 and (reports / "site" / "tiny.html").is_file()
    assert "evaluated: 0, reused: 2" in capsys.readouterr().out


@pytest.mark.simulation
def test_adding_a_variant_costs_one_evaluation(
    built: dict, tiny_chat_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    family = built["root"] / "tiny3.yaml"
    text = built["family"].read_text().replace("name: tiny\n", "name: tiny3\n")
    family.write_text(
        text + f"  - model: {tiny_chat_model}\n    prompt_modes: [completion]\n"
        "    name: tiny-gpt2-instruct\n"
    )
    capsys.readouterr()
    args = [
        "matrix",
        "--family",
        str(family),
        "--output",
        str(built["root"] / "runs"),
        "--reports",
        str(built["root"] / "reports"),
    ]
    assert main(args) == 0
    assert "evaluated: 1, reused: 2" in capsys.readouterr().out


def _copy_run(built: dict, tmp_path: Path, mode: str, name: str) -> Path:
    folder = next(
        p
        for p in sorted((built["root"] / "runs").glob("*/*"))
        if p.is_dir() and load_run(p).results.prompt_mode == mode
    )
    copy = tmp_path / name / folder.name
    shutil.copytree(folder, copy)
    return copy


def _plant(folder: Path, use_case: str, metric: str, values: list[float]) -> None:
    """Set one use case's per-item scores (and its summary value) in a copied run."""
    path = folder / f"samples_{use_case}.jsonl"
    records = [json.loads(line) for line in path.open()]
    for record, value in zip(records, values, strict=True):
        record["scores"][metric] = value
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    results = json.loads((folder / "results.json").read_text())
    entry = results["use_cases"][use_case]
    entry["primary"]["value"] = entry["metrics"][metric]["value"] = sum(values) / len(values)
    (folder / "results.json").write_text(json.dumps(results))


def _column(folder: Path, key: str, objective: str, designated: bool = True) -> Column:
    run = load_run(folder)
    variant, mode = key.split("|")
    return Column(key, variant, objective, mode, run, designated)


def _planted_columns(built: dict, tmp_path: Path) -> list[Column]:
    """The two real runs, with the chat column's answers all made right: a known winner."""
    chat = _copy_run(built, tmp_path, "chat", "chat")
    base = _copy_run(built, tmp_path, "completion", "base")
    _plant(chat, "sentiment", "accuracy", [100.0] * 8)
    _plant(base, "sentiment", "accuracy", [0.0] * 8)
    path = chat / "samples_qa.jsonl"
    records = [json.loads(line) for line in path.open()]
    records[0]["raw_output"] = HOSTILE
    # A program's run as the code use case records it: the page shows code and test outcome.
    records[1]["parsed"] = {
        "code": "def f():\n    while True: pass",
        "status": "timeout",
        "detail": HOSTILE,
        "sandbox": "bwrap",
    }
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return [
        _column(chat, "tiny-gpt2-instruct|chat", "instruct"),
        _column(base, "tiny-gpt2|completion", "base"),
    ]


def test_winner_when_it_beats_every_variant_and_folklore_is_checked(
    built: dict, tmp_path: Path
) -> None:
    """8 items all right against all wrong: Tango/McNemar (Edwards) p = 0.008, one comparison."""
    matrix = build_matrix(_planted_columns(built, tmp_path), ["sentiment", "qa"])
    row = next(r for r in matrix["rows"] if r["use_case"] == "sentiment")
    (comparison,) = row["comparisons"]
    assert comparison["difference"] == 100.0 and comparison["p_adjusted"] < 0.01
    assert row["winner"] == "tiny-gpt2-instruct|chat" and row["winner_objective"] == "instruct"
    assert row["agreement"] == "agrees"  # the folklore: instruct models for sentiment
    assert row["folklore_claim"] == "sentiment: instruct"
    assert row["verdict"] == "tiny-gpt2-instruct|chat wins (beats every other variant, Holm)"


def test_a_winner_the_folklore_does_not_name_disagrees(built: dict, tmp_path: Path) -> None:
    """Sentiment's folklore is instruct models: a base variant right on all 8 items against an
    instruct variant wrong on all of them wins, and the row says it disagrees."""
    chat = _copy_run(built, tmp_path, "chat", "chat")
    base = _copy_run(built, tmp_path, "completion", "base")
    _plant(chat, "sentiment", "accuracy", [0.0] * 8)
    _plant(base, "sentiment", "accuracy", [100.0] * 8)
    columns = [_column(chat, "a|chat", "instruct"), _column(base, "b|completion", "base")]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert row["folklore"] == ["instruct"] and row["winner"] == "b|completion"
    assert row["winner_objective"] == "base" and row["agreement"] == "disagrees"


def test_a_tie_says_what_the_items_can_resolve(built: dict, tmp_path: Path) -> None:
    chat = _copy_run(built, tmp_path, "chat", "chat")
    base = _copy_run(built, tmp_path, "completion", "base")
    _plant(chat, "sentiment", "accuracy", [100.0] * 5 + [0.0] * 3)
    _plant(base, "sentiment", "accuracy", [100.0] * 4 + [0.0] * 4)
    columns = [_column(chat, "a|chat", "instruct"), _column(base, "b|completion", "base")]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert row["winner"] is None and row["agreement"] == "tie"
    res = row["resolution"]
    assert res["n"] == 8 and res["min_detectable"] > 10 and res["items_for_gap"] > 8
    assert row["verdict"] == (
        f"tie (n=8 resolves ≥ {res['min_detectable']:.1f} points; "
        f"{res['items_for_gap']} items would resolve 10)"
    )


def test_every_variant_is_tested_and_extra_modes_are_controls(built: dict, tmp_path: Path) -> None:
    """Three variants: the best is far above the third but not the second → tie (before, only
    best vs runner-up was tested, and a control column could win)."""
    folders = {name: _copy_run(built, tmp_path, "chat", name) for name in ("a", "b", "c", "d")}
    _plant(folders["a"], "sentiment", "accuracy", [100.0] * 8)
    _plant(folders["b"], "sentiment", "accuracy", [100.0] * 7 + [0.0])
    _plant(folders["c"], "sentiment", "accuracy", [0.0] * 8)
    _plant(folders["d"], "sentiment", "accuracy", [100.0] * 8)
    columns = [
        _column(folders["a"], "a|chat", "instruct"),
        _column(folders["b"], "b|chat", "chat"),
        _column(folders["c"], "c|chat", "base"),
        _column(folders["d"], "b|completion", "chat", designated=False),  # b's extra mode
    ]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert row["ranking"] == ["a|chat", "b|chat", "c|chat"]  # the control never competes
    assert [c["a"] for c in row["comparisons"]] == ["b|chat", "c|chat"]
    by_other = {c["a"]: c for c in row["comparisons"]}
    assert by_other["c|chat"]["p_adjusted"] < 0.05 and by_other["b|chat"]["p_adjusted"] > 0.05
    assert row["winner"] is None
    (control,) = row["controls"]
    assert (control["a"], control["b"], control["difference"]) == ("b|chat", "b|completion", 12.5)


def test_folklore_map_is_the_readme_advice() -> None:
    from evals.matrix.verdicts import FOLKLORE_CLAIMS, folklore

    assert FOLKLORE_CLAIMS == {
        "base": ("summarization", "text generation", "QA"),
        "instruct": ("extraction", "sentiment", "NER", "summarization"),
        "chat": ("dialogue",),
        "code": ("code",),
    }
    groups = ("summarization", "qa", "sentiment", "ner", "chat", "code", "poetry")
    assert {g: folklore(g) for g in groups} == {
        "summarization": ("base", "instruct"),
        "qa": ("base",),
        "sentiment": ("instruct",),
        "ner": ("instruct",),
        "chat": ("chat",),
        "code": ("code",),
        "poetry": (),
    }


@pytest.mark.browser
def test_page_in_a_real_browser(built: dict, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from evals.files import write_json
    from evals.matrix.family import family_to_dict
    from evals.site.build import write_site

    columns = _planted_columns(built, tmp_path / "runs")
    matrix = build_matrix(columns, ["sentiment", "qa"])
    matrix["family"] = family_to_dict(load_family(built["family"]))
    reports = tmp_path / "reports"
    write_json(reports / "families" / "tiny" / "matrix.json", matrix)
    page_path = write_site(reports, {"tiny": columns})["page_tiny"]
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 1200})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        assert page.locator("#heatmap td.cell").count() == 4
        assert "trivial (majority)" in page.locator("#heatmap td.cell").first.inner_text()
        assert page.locator("#heatmap td.cell").first.is_visible()
        winner_text = page.locator("tr[data-row='qa'] td.winner-cell").inner_text()
        assert winner_text.strip() != ""
        # Sorting by a use case reorders the columns.
        page.click("tr[data-row='qa'] th.sortable")
        first_header = page.locator("#heatmap tr").first.locator("th").nth(2).inner_text()
        assert first_header.startswith("tiny-gpt2-instruct (chat)")
        # A cell click shows every metric.
        page.click("tr[data-row='qa'] td.cell >> nth=0")
        assert page.locator("#details table tr").count() >= 4
        # The sample browser switches items; the hostile output is text, and nothing ran.
        page.select_option("#sample-use-case", "qa")
        first_input = page.locator("#sample-input").inner_text()
        card = page.locator(".card[data-column='tiny-gpt2-instruct|chat'] .output")
        assert card.inner_text() == HOSTILE
        assert page.locator("#sample-view img").count() == 0
        assert page.evaluate("window.__pwned === undefined")
        page.click("#next-item")
        assert page.locator("#sample-input").inner_text() != first_input
        run = page.locator(".card[data-column='tiny-gpt2-instruct|chat']")
        assert run.locator(".outcome").inner_text() == "timeout"
        assert run.locator(".outcome-detail").inner_text() == HOSTILE
        assert run.locator(".pane.code").inner_text() == "def f():\n    while True: pass"
        assert "code run" in run.inner_text().lower() and "(sandbox: bwrap)" in run.inner_text()
        assert page.locator("#sample-view img").count() == 0
        page.check("#only-disagree")
        assert "items" in page.locator("#sample-count").inner_text()
        artifacts = REPO / "reports" / "test-artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(artifacts / "family.png"), full_page=True)
        index = page_path.parent / "index.html"
        page.goto(index.as_uri())
        assert page.locator("#family-links a").inner_text() == "Tiny family"
        assert page.evaluate("window.__pwned === undefined")
        browser.close()
    assert errors == []


# --- the build's small rules, without a model -------------------------------------------------

CHAT_API = "local-chat-completions:base_url=http://127.0.0.1:9/v1/chat/completions,model=m"


@pytest.mark.parametrize(
    ("objective", "mode"),
    [
        (Objective.BASE, "completion"),
        (Objective.INSTRUCT, "chat"),
        (Objective.CHAT, "chat"),
        (Objective.CODE, "chat"),
    ],
)
def test_a_variant_competes_in_its_objectives_mode_unless_its_api_takes_chat_only(
    objective: Objective, mode: str
) -> None:
    assert default_mode(objective) == mode
    assert default_mode(objective, parse_model_spec("hf:pretrained=gpt2")) == mode
    assert default_mode(objective, parse_model_spec(CHAT_API)) == "chat"


def test_the_objective_is_the_familys_word_else_the_names() -> None:
    assert variant_objective(Variant("hf:pretrained=x"), "Llama-2-13b-chat-hf") is Objective.CHAT
    assert variant_objective(Variant("hf:pretrained=x"), "Llama-2-13b") is Objective.BASE
    stated = Variant("hf:pretrained=x", objective="code")
    assert variant_objective(stated, "Llama-2-13b-chat-hf") is Objective.CODE


@dataclass(frozen=True)
class _Identity:
    name: str
    sha: str


@dataclass(frozen=True)
class _Loaded:
    identity: _Identity
    weights: str


def test_a_loaded_model_takes_its_family_name_and_keeps_everything_else() -> None:
    model = _Loaded(_Identity("SmolLM2-135M-Instruct", "abc"), "w")
    renamed = renamed_model(model, "parent")  # type: ignore[arg-type]
    assert renamed == _Loaded(_Identity("parent", "abc"), "w")
    assert renamed_model(model, "SmolLM2-135M-Instruct") is model  # type: ignore[arg-type]
