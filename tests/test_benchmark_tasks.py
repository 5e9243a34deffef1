"""Real benchmarks as runnable units: selection, data sources, provenance, and every benchmark
run end to end on the tiny model from ../shared/data (skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.benchmarks import REGISTRY, get_benchmark
from evals.benchmarks.sources import DataSource, benchmark_records, provenance, resolve_source
from evals.cli import main
from evals.errors import DataError
from evals.results import RESULTS_FILE
from evals.usecases import discover_use_cases, read_suites, select_use_cases
from tests.conftest import shared_data

BUNDLED = {"chat", "ner", "qa", "sentiment", "summarization"}


def test_every_registered_benchmark_is_a_unit_of_its_use_case() -> None:
    units = {u.benchmark: u for u in discover_use_cases().values() if u.benchmark}
    get_benchmark("sst2")  # imports every benchmark module
    assert set(units) == set(REGISTRY)
    for name, unit in units.items():
        assert unit.name == name and unit.group == REGISTRY[name].use_case
        assert unit.primary_metric == REGISTRY[name].metric or unit.kind == "multiturn"
    assert units["tweet_eval"].primary_metric == "macro_recall"


def test_suites_cover_each_use_case_once_and_every_benchmark() -> None:
    suites = read_suites()
    units = discover_use_cases()
    assert {units[n].group for n in suites["standard"]} == BUNDLED
    assert len(suites["standard"]) == len(BUNDLED)
    assert set(suites["real"]) == set(REGISTRY)
    assert set(suites["bundled"]) == BUNDLED
    default = select_use_cases(None)
    assert {u.name for u in default} == BUNDLED  # the default path never needs DATA_DIR


def test_missing_data_says_what_and_where(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("EVALS_DATA_DIR", raising=False)
    with pytest.raises(DataError, match=r"sst2: no DATA_DIR set; it needs sst2/dev\.tsv"):
        select_use_cases("sst2")
    with pytest.raises(DataError) as err:
        select_use_cases("conll2003", data_source=DataSource("local", tmp_path))
    message = str(err.value)
    assert str(tmp_path / "conll2003" / "eng.testb") in message
    assert "CoNLL-2003" in message and "DATA_DIR" in message
    assert main(["eval", "--tasks", "wnut17", "--data-dir", str(tmp_path)]) == 2


def test_source_comes_from_metadata_then_environment(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("EVALS_DATA_DIR", str(tmp_path))
    assert resolve_source({}).data_dir == tmp_path
    assert resolve_source({"data_dir": "/x"}).data_dir == Path("/x")
    with pytest.raises(DataError, match="DATA_SOURCE must be"):
        resolve_source({"data_source": "ftp"})


def test_hub_path_pins_and_records_the_revision(monkeypatch: Any) -> None:
    """The hub path without the hub: ``datasets.load_dataset`` and the revision lookup are
    replaced, so this checks our conversion and pinning, not the network."""
    import datasets

    import evals.benchmarks.hub as hub

    calls: list[dict[str, Any]] = []
    rows = [
        {"idx": 0, "sentence": "a gem .", "label": 1},
        {"idx": 1, "sentence": "dull", "label": 0},
    ]

    def fake_load(path: str, config: Any = None, **kwargs: Any) -> Any:
        calls.append({"path": path, "config": config, **kwargs})
        return datasets.Dataset.from_list(rows)

    sha = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    hub.resolve_revision.cache_clear()
    monkeypatch.setattr(hub, "resolve_revision", lambda path, revision: revision or sha)
    records, fewshot = benchmark_records("sst2", DataSource("hub"))
    assert [r["label"] for r in records] == ["positive", "negative"]
    assert fewshot is not None and len(fewshot) == 2
    assert calls[0] == {"path": "stanfordnlp/sst2", "config": None, "split": "validation",
                        "revision": sha}  # fmt: skip
    assert calls[1]["split"] == "train[:64]"
    record = provenance("sst2", DataSource("hub"))
    assert record["revision"] == sha and record["hub_id"] == "stanfordnlp/sst2"
    with pytest.raises(DataError, match="not on the hub in its published form"):
        benchmark_records("mt_bench", DataSource("hub"))


@pytest.fixture(scope="module")
def real_run(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = shared_data()
    runs = tmp_path_factory.mktemp("runs")
    argv = ["eval", "--model", str(tiny_chat_model), "--suite", "real", "--limit", "3",
            "--data-dir", str(data_dir), "--output", str(runs)]  # fmt: skip
    assert main(argv) == 0
    (folder,) = [p for p in runs.glob("*/*") if p.is_dir()]
    return folder


def test_every_benchmark_runs_end_to_end_and_records_provenance(real_run: Path) -> None:
    results = json.loads((real_run / RESULTS_FILE).read_text())
    assert set(results["use_cases"]) == set(REGISTRY)
    data_dir = shared_data()
    for name, entry in results["use_cases"].items():
        benchmark = REGISTRY[name]
        assert entry["n"] == 3, name
        assert entry["group"] == benchmark.use_case
        dataset = entry["dataset"]
        assert dataset["benchmark"] == name and dataset["split"] == benchmark.split
        assert dataset["source"] == "local"
        assert set(dataset["files"]) == set(benchmark.files + benchmark.fewshot_files)
        for relative, digest in dataset["files"].items():
            assert len(digest) == 64 and (data_dir / relative).is_file()
        samples = [json.loads(line) for line in (real_run / entry["samples_files"][0]).open()]
        assert len(samples) == 3


def test_benchmark_items_are_the_datasets_own(real_run: Path) -> None:
    results = json.loads((real_run / RESULTS_FILE).read_text())
    sst2 = [
        json.loads(x) for x in (real_run / results["use_cases"]["sst2"]["samples_files"][0]).open()
    ]
    assert sst2[0]["doc"]["text"] == "it 's a charming and often affecting journey ."
    assert "positive or negative" in sst2[0]["prompt"]
    wnut = results["use_cases"]["wnut17"]
    assert "f1_creative-work" in wnut["metrics"]
    wnut_samples = [json.loads(x) for x in (real_run / wnut["samples_files"][0]).open()]
    assert "creative-work" in wnut_samples[0]["prompt"]
    mt = results["use_cases"]["mt_bench"]
    assert mt["primary_metric"] == "reference_rougeL" and mt["judge"] is None
    mt_samples = [json.loads(x) for x in (real_run / mt["samples_files"][0]).open()]
    # Round-robin order: the first three are writing, roleplay, reasoning; only reasoning has
    # reference answers, so two of three dialogues are unscored.
    assert [s["item_id"] for s in mt_samples] == ["mtbench-81", "mtbench-91", "mtbench-101"]
    assert mt["metrics"]["unscored"]["value"] == pytest.approx(200 / 3)
    assert mt["metrics"]["reference_rougeL"]["n"] == 3


def test_golden_context_feeds_the_datasets_answers_not_the_models(real_run: Path) -> None:
    results = json.loads((real_run / RESULTS_FILE).read_text())
    entry = results["use_cases"]["mt_bench_101"]
    samples = [json.loads(x) for x in (real_run / entry["samples_files"][0]).open()]
    dialogue = json.loads((shared_data("mt_bench_101", "mtbench101.jsonl")).open().readline())
    first = samples[0]
    assert first["item_id"] == f"mtbench101-{dialogue['task']}-{dialogue['id']}"
    second_prompt = first["turns"][1]["prompt"]
    assert dialogue["history"][0]["bot"] in second_prompt
    reply = first["turns"][0]["raw_output"].strip()
    assert not reply or reply not in second_prompt or reply in dialogue["history"][0]["bot"]
    assert len(first["turns"]) == len(dialogue["history"])
