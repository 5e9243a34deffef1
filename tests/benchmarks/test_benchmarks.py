"""Real benchmarks converted from their published formats into the use cases' record schemas,
checked on the copies in ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.benchmarks import REGISTRY, load_benchmark
from evals.errors import DataError
from evals.usecases import discover_use_cases
from tests.conftest import shared_data
from tests.helpers import SHARED_DATA

# Scored items. The summarization files hold 10 more each (251, 250, 819, 500): their last 10
# records are the few-shot pool, never scored (evals/benchmarks/summarization.py).
EXPECTED_ROWS = {
    "sst2": 872,
    "tweet_eval": 12284,
    "conll2003": 3453,
    "wnut17": 1287,
    "xsum": 241,
    "cnn_dailymail": 240,
    "samsum": 809,
    "dialogsum": 490,
    "squad_v1.1": 10570,
    "squad_v2.0": 11873,
}
REQUIRED = {
    "sentiment": ("id", "text", "label"),
    "ner": ("id", "tokens", "tags"),
    "summarization": ("id", "document", "summaries"),
    "qa": ("id", "context", "question", "answers"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_benchmark_converts_to_its_schema(name: str) -> None:
    data_dir = shared_data()
    records = load_benchmark(name, data_dir)
    benchmark = REGISTRY[name]
    assert len(records) == EXPECTED_ROWS[name]
    assert len({r["id"] for r in records}) == len(records)
    for record in records:
        assert all(key in record for key in REQUIRED[benchmark.use_case])
    if benchmark.use_case == "sentiment":
        assert {r["label"] for r in records} == set(benchmark.labels)
    if benchmark.use_case == "ner":
        types = {t[2:] for r in records for t in r["tags"] if t != "O"}
        assert types == set(benchmark.labels)
        assert all(len(r["tokens"]) == len(r["tags"]) for r in records)
    if benchmark.use_case in ("summarization", "qa"):
        # The bundled task's own row check accepts every converted record.
        hooks = discover_use_cases()[benchmark.use_case].module()
        assert all(hooks._check(r) is None for r in records)


def test_known_facts_survive_conversion() -> None:
    data_dir = shared_data()
    sst2 = load_benchmark("sst2", data_dir)
    assert sst2[0]["text"] == "it 's a charming and often affecting journey ."
    assert sst2[0]["label"] == "positive"
    assert sum(r["label"] == "positive" for r in sst2) == 444
    squad2 = load_benchmark("squad_v2.0", data_dir)
    assert sum(not r["answers"] for r in squad2) == 5945
    dialogsum = load_benchmark("dialogsum", data_dir)
    assert all(len(r["summaries"]) == 3 for r in dialogsum)
    conll = load_benchmark("conll2003", data_dir)
    entities = sum(t.startswith("B-") for r in conll for t in r["tags"])
    assert entities == 1668 + 1661 + 1617 + 702


def test_missing_file_names_the_path_and_the_source(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"sst2/dev\.tsv not found; get it from GLUE"):
        load_benchmark("sst2", tmp_path)
    with pytest.raises(DataError, match="unknown benchmark 'imdb'"):
        load_benchmark("imdb", SHARED_DATA)
