"""Publishing from stored runs alone: ``evals site`` / ``evals report`` with no model files, no
cache and no DATA_DIR; families with nothing stored listed as not evaluated yet; a failed build
leaves the previous site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import pytest

from evals.cli import main
from evals.files import write_json
from evals.matrix.family import load_family
from evals.matrix.verdicts import Column, build_matrix
from evals.models.spec import GEMMA_ALIAS, parse_model_spec
from evals.runs.store import load_run
from tests.helpers import REPO
from tests.site_helpers import write_run

T0, T1 = "2026-11-01T10:00:00+00:00", "2026-11-02T10:00:00+00:00"


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME, an empty model cache and no DATA_DIR; loading, converting or
    fingerprinting a model fails the test."""
    for name in ("home", "cache"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path / "cache"))
    for variable in ("DATA_DIR", "EVALS_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("publishing touched a model")

    import evals.matrix.build
    import evals.models.loading
    import evals.models.spec

    for module in (evals.models.loading, evals.matrix.build, evals.models.spec):
        for name in ("load_model", "predicted_spec_part", "parse_model_spec"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    return tmp_path


def _site_args(root: Path, families: Path) -> list[str]:
    return [
        "site",
        "--output",
        str(root / "runs"),
        "--reports",
        str(root / "reports"),
        "--families",
        str(families),
    ]


def _index_data(root: Path) -> dict:
    return json.loads((root / "reports" / "site" / "leaderboard.json").read_text(encoding="utf-8"))


def test_site_on_a_bare_machine_lists_the_shipped_families_as_not_evaluated_yet(
    bare_machine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = bare_machine / "runs"
    write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    write_run(runs, "beta", {"qa": [0.0] * 40}, created=T1)
    assert main(_site_args(bare_machine, REPO / "families")) == 0
    data = _index_data(bare_machine)
    shipped = {load_family(p).name: p for p in (REPO / "families").glob("*.yaml")}
    assert {"offline-demo", "smollm2"} <= set(shipped)
    assert {p["name"]: p["command"] for p in data["pending"]} == {
        name: f"make matrix FAMILY={path}" for name, path in shipped.items()
    }
    assert data["families"] == [] and sorted(r["variant"] for r in data["rows"]) == [
        "alpha",
        "beta",
    ]
    site = bare_machine / "reports" / "site"
    assert not any((site / f"{name}.html").exists() for name in shipped)  # no empty page
    assert "not evaluated yet: offline-demo (make matrix FAMILY=" in capsys.readouterr().out


def _stored_family(root: Path, name: str, folder: Path) -> None:
    """A family matrix as ``evals matrix`` stores it, naming one stored run."""
    run = load_run(folder)
    column = Column(f"{run.variant}|chat", run.variant, "instruct", "chat", run)
    matrix = build_matrix([column], ["qa"])
    matrix["family"] = {
        "name": name,
        "title": f"{name} family",
        "note": "",
        "tasks": "",
        "limit": None,
        "variants": [],
    }
    matrix["missing_columns"] = []
    write_json(root / "reports" / "families" / name / "matrix.json", matrix)


def test_stored_families_are_rebuilt_from_their_runs_and_linked(
    bare_machine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = bare_machine / "runs"
    _stored_family(bare_machine, "fam", write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0))
    assert main(_site_args(bare_machine, bare_machine / "no-families")) == 0
    data = _index_data(bare_machine)
    assert [f["page"] for f in data["families"]] == ["fam.html"] and data["pending"] == []
    assert (bare_machine / "reports" / "site" / "fam.html").is_file()
    assert "evaluated: 0, reused: 1" in capsys.readouterr().out


def test_a_family_whose_runs_are_all_gone_is_pending_not_an_empty_page(bare_machine: Path) -> None:
    runs = bare_machine / "runs"
    folder = write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    _stored_family(bare_machine, "fam", folder)
    assert main(_site_args(bare_machine, bare_machine / "no-families")) == 0
    (folder / "results.json").unlink()
    assert main(_site_args(bare_machine, bare_machine / "no-families")) == 0
    data = _index_data(bare_machine)
    assert data["families"] == [] and [p["name"] for p in data["pending"]] == ["fam"]
    assert not (bare_machine / "reports" / "site" / "fam.html").exists()


def test_a_build_that_fails_midway_leaves_the_previous_site(
    bare_machine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs, reports = bare_machine / "runs", bare_machine / "reports"
    _stored_family(
        bare_machine, "a-good", write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    )
    broken = write_run(runs, "beta", {"qa": [0.0] * 40}, created=T0)
    _stored_family(bare_machine, "b-broken", broken)
    args = _site_args(bare_machine, bare_machine / "no-families")
    assert main(args) == 0
    site = reports / "site"
    before = {p.name: p.read_bytes() for p in site.iterdir()}
    assert {"a-good.html", "b-broken.html", "index.html"} <= set(before)
    write_run(runs, "gamma", {"qa": [50.0] * 40}, created=T1)  # the new build would add a row
    (broken / "samples_qa.jsonl").write_text("{not json\n", encoding="utf-8")
    capsys.readouterr()
    assert main(args) == 2  # the family pages are written first: a-good's, then the failure
    assert "corrupt samples line" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in site.iterdir()} == before
    assert [p.name for p in reports.iterdir() if p.name.startswith(".site")] == []


def test_the_gemma_alias_follows_the_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(Exception, match="make gemma"):
        parse_model_spec(GEMMA_ALIAS)
    gguf = tmp_path / "cache" / "models" / "gemma-3-270m-Q4_K_M.gguf"
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(b"GGUF")
    spec = parse_model_spec(GEMMA_ALIAS)
    assert spec.gguf_path == gguf.resolve() and spec.source == "gguf"
    shipped = [v.model for p in (REPO / "families").glob("*.yaml") for v in load_family(p).variants]
    assert not [m for m in shipped if ".cache" in m or m.startswith(("/", "~"))]


def test_gate_pages_are_published_and_linked_from_the_index(bare_machine: Path) -> None:
    from evals.gate.decide import decide
    from evals.gate.policy import load_policy
    from evals.gate.report import write_gate_outputs

    runs = bare_machine / "runs"
    base = load_run(write_run(runs, "base", {"qa": [100.0] * 40}, created=T0))
    cand = load_run(write_run(runs, "cand", {"qa": [0.0] * 40}, created=T1))
    result = decide(base, cand, load_policy(None))
    write_gate_outputs(result, bare_machine / "reports" / "gate" / "cand-vs-base")
    assert main(_site_args(bare_machine, bare_machine / "no-families")) == 0
    (link,) = _index_data(bare_machine)["gates"]
    assert link == {
        "page": "gate-cand-vs-base.html",
        "status": result.status,
        "candidate": "cand",
        "baseline": "base",
    }
    page = (bare_machine / "reports" / "site" / link["page"]).read_text(encoding="utf-8")
    assert f"Gate: <strong>{result.status}</strong>" in page


def test_every_published_page_is_well_formed(bare_machine: Path) -> None:
    from evals.gate.decide import decide
    from evals.gate.policy import load_policy
    from evals.gate.report import write_gate_outputs
    from tests.site_helpers import HOSTILE, html_errors

    runs = bare_machine / "runs"
    base = write_run(runs, "base", {"qa": [100.0] * 40}, created=T0, variant=HOSTILE)
    cand = write_run(runs, "cand", {"qa": [0.0] * 20 + [100.0] * 20}, created=T1)
    _stored_family(bare_machine, "fam", base)
    result = decide(load_run(base), load_run(cand), load_policy(None))
    write_gate_outputs(result, bare_machine / "reports" / "gate" / "g")
    assert main(_site_args(bare_machine, REPO / "families")) == 0
    pages = sorted((bare_machine / "reports" / "site").glob("*.html"))
    kinds = {p.name.split("-")[0].removesuffix(".html") for p in pages}
    assert {"index", "fam", "samples", "variant", "diff", "gate"} <= kinds, kinds
    for page in pages:
        assert html_errors(page.read_text(encoding="utf-8")) == [], page.name


def test_pages_of_deleted_runs_do_not_linger_and_other_files_stay(bare_machine: Path) -> None:
    import shutil

    runs, site = bare_machine / "runs", bare_machine / "reports" / "site"
    write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    gone = write_run(runs, "beta", {"qa": [0.0] * 40}, created=T0)
    args = _site_args(bare_machine, bare_machine / "no-families")
    assert main(args) == 0
    (site / "run-diff.html").write_text("<!doctype html><p>evals diff --out</p>\n")
    assert len(list(site.glob("samples-*.html"))) == 2
    shutil.rmtree(gone.parent)
    assert main(args) == 0
    assert len(list(site.glob("samples-*.html"))) == 1 and len(list(site.glob("variant-*"))) == 1
    assert (site / "run-diff.html").is_file()
