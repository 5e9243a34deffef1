"""LIMIT=N draws a seeded sample spread over clusters, the same on every run, and records it.

Before: a limit took the first N items, so SQuAD's first 48 questions came from 2 passages and a
quick QA run rested on 2 independent units."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from evals.benchmarks.sources import DataSource
from evals.cli import main
from evals.runs.limit import LIMIT_SEED, MEMO_FILE, draw, item_sample
from evals.runs.pairing import align_items
from evals.runs.spec import RUN_SPEC_FILE, RunSpec, build_run_spec, first_difference
from evals.runs.store import load_run
from evals.usecases import discover_use_cases, select_use_cases
from tests.conftest import shared_data

MODEL_PART = {
    "backend": "hf",
    "model_hash": "h",
    "pinned": True,
    "model_args": {},
    "chat_template_sha256": None,
}


def _keys(sizes: list[int]) -> list[str]:
    """Cluster keys of items laid out cluster after cluster, with the given cluster sizes."""
    return [f"c{c}" for c, size in enumerate(sizes) for _ in range(size)]


def test_the_same_limit_draws_the_same_items_and_the_seed_decides_them() -> None:
    keys = _keys([5] * 40)
    first = draw(keys, 12, LIMIT_SEED)
    assert first == draw(list(keys), 12, LIMIT_SEED)
    assert first != draw(keys, 12, LIMIT_SEED + 1)
    assert first != tuple(range(12))  # not the first N


def test_a_draw_is_a_subset_of_distinct_positions_and_a_limit_past_the_data_takes_all() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        sizes = [int(s) for s in rng.integers(1, 9, size=int(rng.integers(1, 30)))]
        keys = _keys(sizes)
        limit = int(rng.integers(1, len(keys) + 1))
        chosen = draw(keys, limit, int(rng.integers(0, 1000)))
        assert len(chosen) == limit == len(set(chosen))
        assert list(chosen) == sorted(chosen) and set(chosen) <= set(range(len(keys)))
    assert draw(_keys([3, 3]), 6, 1) == tuple(range(6))
    assert draw(_keys([3, 3]), 50, 1) == tuple(range(6))


def test_every_item_is_equally_likely_whatever_its_cluster_size() -> None:
    """Round-robin over clusters would give a lone item the chance of a whole cluster of 12;
    here each item is drawn with probability limit / N, so a LIMIT run estimates the mean
    the full run does."""
    sizes = [1] * 12 + [12] * 2 + [3] * 8
    keys, limit, seeds = _keys(sizes), 8, 3000
    counts = Counter(i for seed in range(seeds) for i in draw(keys, limit, seed))
    p = limit / len(keys)
    se = (p * (1 - p) / seeds) ** 0.5
    for position in range(len(keys)):
        assert abs(counts[position] / seeds - p) < 5 * se, position


def test_items_come_from_distinct_clusters_while_clusters_are_smaller_than_the_step() -> None:
    rng = np.random.default_rng(1)
    for _ in range(100):
        sizes = [int(s) for s in rng.integers(1, 7, size=int(rng.integers(10, 60)))]
        keys = _keys(sizes)
        limit = int(rng.integers(1, len(keys) // max(sizes) + 1))
        chosen = draw(keys, limit, int(rng.integers(0, 10_000)))
        assert len({keys[i] for i in chosen}) == limit


def test_unclustered_items_are_each_their_own_cluster() -> None:
    chosen = draw([None] * 100, 10, LIMIT_SEED)
    assert len(chosen) == 10 and chosen != tuple(range(10))


def test_squad_limit_48_draws_48_passages_where_the_first_48_questions_have_2() -> None:
    data = shared_data("squad_v1.1")
    (unit,) = select_use_cases("squad_v1.1", data_source=DataSource("local", data.parent))
    docs = unit.load_test_docs()
    assert unit.cluster is not None
    assert len({unit.cluster.key(d) for d in docs[:48]}) == 2  # what LIMIT=48 used to score
    sample = item_sample(unit, 48)
    assert sample is not None and sample == item_sample(unit, 48)
    assert len(sample.positions) == 48 and set(sample.positions) <= set(range(len(docs)))
    assert sample.clusters == len({unit.cluster.key(docs[i]) for i in sample.positions}) == 48
    assert (sample.of_items, sample.of_clusters) == (10_570, 2_067)


def test_no_limit_is_no_sample_and_the_run_spec_records_the_sample() -> None:
    units = discover_use_cases()
    qa, chat = units["qa"], units["chat"]
    assert item_sample(qa, None) is None
    spec = build_run_spec(MODEL_PART, [qa, chat], prompt_mode="chat", limit=8)
    recorded = spec.tasks["qa"].sampling
    assert recorded is not None
    assert recorded["limit"] == 8 and recorded["seed"] == LIMIT_SEED
    assert recorded["unit"] == "passage" and recorded["clusters"] == 8  # 16 passages of 4
    assert recorded["method"] and recorded["positions_sha256"]
    assert (spec.tasks["chat"].sampling or {})["clusters"] == 8  # dialogues: their own units
    full = build_run_spec(MODEL_PART, [qa], prompt_mode="chat", limit=None)
    assert full.tasks["qa"].sampling is None


def test_a_limit_run_stored_before_the_sample_is_not_comparable_but_a_full_run_is() -> None:
    """A LIMIT run made when a limit took the first N items scored other items: its spec
    (no ``sampling``) differs. A full run scored every item either way: comparable."""
    qa = discover_use_cases()["qa"]
    new = build_run_spec(MODEL_PART, [qa], prompt_mode="chat", limit=8)
    raw = json.loads(json.dumps(new.to_dict()))
    del raw["tasks"]["qa"]["sampling"]
    old = RunSpec.from_dict(raw)
    assert first_difference(old, new) is not None
    assert first_difference(old, new)[0].startswith("tasks.qa.sampling.")
    new_full = build_run_spec(MODEL_PART, [qa], prompt_mode="chat", limit=None)
    raw_full = json.loads(json.dumps(new_full.to_dict()))
    del raw_full["tasks"]["qa"]["sampling"]
    assert first_difference(RunSpec.from_dict(raw_full), new_full) is None


@pytest.fixture(scope="module")
def two_runs(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folders = []
    for name in ("first", "second"):
        runs = tmp_path_factory.mktemp(name)
        argv = [
            "eval",
            "--model",
            str(tiny_chat_model),
            "--tasks",
            "qa,chat,sentiment",
            "--limit",
            "8",
            "--output",
            str(runs),
        ]
        assert main(argv) == 0
        (folder,) = [p for p in runs.glob("*/*") if p.is_dir()]
        folders.append(folder)
    return folders


def test_a_limit_run_scores_its_recorded_sample_on_every_task(two_runs: list[Path]) -> None:
    run = load_run(two_runs[0])
    spec = json.loads((two_runs[0] / RUN_SPEC_FILE).read_text())
    units = discover_use_cases()
    for name in ("qa", "chat", "sentiment"):
        sample = item_sample(units[name], 8)
        assert sample is not None
        assert spec["tasks"][name]["sampling"] == sample.to_spec()
        records = run.samples(name)
        assert sorted(r["doc_id"] for r in records) == list(sample.positions)
    qa = run.use_cases["qa"]
    assert qa.n == 8 and qa.clusters == 8  # the first 8 were 2 passages
    choice = [
        json.loads(line)
        for line in (two_runs[0] / "samples_sentiment_choice.jsonl").read_text().splitlines()
    ]
    assert {r["doc_hash"] for r in choice} == {r["doc_hash"] for r in run.samples("sentiment")}


def test_two_runs_at_the_same_limit_pair_every_item(two_runs: list[Path]) -> None:
    a, b = (load_run(folder) for folder in two_runs)
    for name in ("qa", "chat", "sentiment"):
        samples_a, samples_b = a.samples(name), b.samples(name)
        assert len(align_items(samples_a, samples_b)) == len(samples_a) == len(samples_b) == 8


def test_a_draw_made_earlier_in_the_process_is_remembered_in_the_current_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm run is a fresh process: it finds its draw in the cache's memo file, or it must
    read the data (and import datasets) to draw again. A draw already made in this process under
    another cache folder used to be served from memory without reaching the current folder's
    file (test_warm failed in CI when another test on the same worker had drawn it first)."""
    qa = discover_use_cases()["qa"]
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path / "first"))
    sample = item_sample(qa, 7)
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path / "second"))
    assert item_sample(qa, 7) == sample
    memo = json.loads((tmp_path / "second" / MEMO_FILE).read_text())
    assert [tuple(d["positions"]) for d in memo.values()] == [sample.positions]
