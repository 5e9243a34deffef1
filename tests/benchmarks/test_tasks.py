"""Real benchmarks as runnable units: selection, data sources, provenance, and every benchmark
run end to end on the tiny model from ../shared/data (skipped when absent)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from evals.benchmarks import REGISTRY, get_benchmark
from evals.benchmarks.sources import DataSource, benchmark_records, provenance, resolve_source
from evals.cli import main
from evals.errors import DataError
from evals.runs.folder import RESULTS_FILE
from evals.usecases import discover_use_cases, read_suites, select_use_cases
from tests.conftest import shared_data
from tests.helpers import only_run

BUNDLED = {"chat", "code", "ner", "qa", "sentiment", "summarization"}


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


HUB_API = "https://huggingface.co/api/datasets"
SST2_ROWS = [
    {"idx": 0, "sentence": "a gem .", "label": 1},
    {"idx": 1, "sentence": "dull", "label": 0},
]


@pytest.fixture
def hub_boundary(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The hub's network boundary and nothing else: ``HfApi.dataset_info`` answers from
    ``state["heads"]`` (revision name -> commit SHA) or raises ``state["error"]``, and
    ``datasets.load_dataset`` returns SST-2-shaped rows or raises ``state["load_error"]``.
    Every call is recorded; the real
    ``resolve_revision``, ``load_hub`` and ``hub_provenance`` run, with the revision cache
    cleared before and after."""
    import datasets
    from huggingface_hub import HfApi

    from evals.benchmarks.hub import resolve_revision

    state: dict[str, Any] = {"heads": {}, "error": None, "load_error": None, "api": [], "loads": []}

    def dataset_info(self: Any, repo_id: str, *, revision: str | None = None, **kw: Any) -> Any:
        state["api"].append((repo_id, revision))
        if state["error"] is not None:
            raise state["error"]
        return SimpleNamespace(id=repo_id, sha=state["heads"][revision])

    def load_dataset(path: str, name: Any = None, **kwargs: Any) -> Any:
        state["loads"].append({"path": path, "name": name, **kwargs})
        if state["load_error"] is not None:
            raise state["load_error"]
        return datasets.Dataset.from_list(SST2_ROWS)

    monkeypatch.setattr(HfApi, "dataset_info", dataset_info)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    resolve_revision.cache_clear()
    yield state
    resolve_revision.cache_clear()


def _hub_http_error(
    status: int, headers: dict[str, str], url: str = f"{HUB_API}/stanfordnlp/sst2/revision/v9"
) -> Exception:
    """The exception huggingface_hub itself raises for this answer, with its real (multi-line)
    message."""
    import httpx2  # huggingface_hub's HTTP client
    from huggingface_hub.utils import hf_raise_for_status

    response = httpx2.Response(status, request=httpx2.Request("GET", url), headers=headers)
    try:
        hf_raise_for_status(response)
    except Exception as err:
        return err
    raise AssertionError(f"huggingface_hub raised nothing for HTTP {status}")


def test_hub_path_resolves_the_head_to_a_sha_loads_there_and_records_it(
    hub_boundary: dict[str, Any],
) -> None:
    head = "0123456789abcdef0123456789abcdef01234567"
    hub_boundary["heads"] = {"main": head}
    records, fewshot = benchmark_records("sst2", DataSource("hub"))
    assert [r["label"] for r in records] == ["positive", "negative"]
    assert fewshot is not None and len(fewshot) == 2
    assert hub_boundary["loads"] == [
        {"path": "stanfordnlp/sst2", "name": None, "split": "validation", "revision": head},
        {"path": "stanfordnlp/sst2", "name": None, "split": "train[:64]", "revision": head},
    ]
    hub_boundary["heads"] = {"main": "f" * 40}  # the head moves on after the data was loaded
    record = provenance("sst2", DataSource("hub"))
    assert record["revision"] == head and record["hub_id"] == "stanfordnlp/sst2"
    assert record["source"] == "hub" and record["hub_split"] == "validation"
    # one lookup for the whole run: the recorded SHA is the one the data was loaded at
    assert hub_boundary["api"] == [("stanfordnlp/sst2", "main")]


def test_hub_path_uses_a_given_sha_as_is(hub_boundary: dict[str, Any]) -> None:
    pinned = "89abcdef0123456789abcdef0123456789abcdef"
    hub_boundary["error"] = AssertionError("a commit SHA must not be looked up")
    benchmark_records("sst2", DataSource("hub", revision=pinned))
    assert [call["revision"] for call in hub_boundary["loads"]] == [pinned, pinned]
    assert provenance("sst2", DataSource("hub", revision=pinned))["revision"] == pinned
    assert hub_boundary["api"] == []


def test_hub_path_resolves_a_branch_or_tag_through_the_api(hub_boundary: dict[str, Any]) -> None:
    tagged = "fedcba9876543210fedcba9876543210fedcba98"
    hub_boundary["heads"] = {"v1.0": tagged, "main": "0" * 40}
    benchmark_records("sst2", DataSource("hub", revision="v1.0"))
    assert [call["revision"] for call in hub_boundary["loads"]] == [tagged, tagged]
    assert provenance("sst2", DataSource("hub", revision="v1.0"))["revision"] == tagged
    assert hub_boundary["api"] == [("stanfordnlp/sst2", "v1.0")]


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(
            lambda: _hub_http_error(
                404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id: v9"}
            ),
            id="revision-not-found",
        ),
        pytest.param(lambda: _hub_http_error(503, {}), id="hub-down"),
        pytest.param(lambda: ConnectionError("offline"), id="offline"),
    ],
)
def test_a_hub_api_failure_is_one_line_naming_the_dataset(
    hub_boundary: dict[str, Any], error: Callable[[], Exception]
) -> None:
    hub_boundary["error"] = error()
    with pytest.raises(DataError) as caught:
        benchmark_records("sst2", DataSource("hub", revision="v9"))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("stanfordnlp/sst2: ")
    assert "revision 'v9'" in message
    assert hub_boundary["loads"] == []  # nothing is loaded at an unknown revision


def test_a_hub_answer_without_a_sha_is_refused(hub_boundary: dict[str, Any]) -> None:
    hub_boundary["heads"] = {"main": None}
    with pytest.raises(DataError, match=r"^stanfordnlp/sst2: the hub gave no commit SHA"):
        benchmark_records("sst2", DataSource("hub"))
    assert hub_boundary["loads"] == []


def test_a_hub_load_failure_is_one_line_naming_the_benchmark(
    hub_boundary: dict[str, Any],
) -> None:
    pinned = "89abcdef0123456789abcdef0123456789abcdef"
    hub_boundary["load_error"] = _hub_http_error(
        404, {"X-Error-Code": "EntryNotFound"}, f"{HUB_API}/stanfordnlp/sst2/tree/{pinned}"
    )
    with pytest.raises(DataError) as caught:
        benchmark_records("sst2", DataSource("hub", revision=pinned))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("sst2: cannot load stanfordnlp/sst2@89abcdef")


def test_a_benchmark_not_published_on_the_hub_says_so(hub_boundary: dict[str, Any]) -> None:
    with pytest.raises(DataError, match="not on the hub in its published form"):
        benchmark_records("mt_bench", DataSource("hub"))
    assert hub_boundary["api"] == [] and hub_boundary["loads"] == []


@pytest.fixture(scope="module")
def real_run(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = shared_data()
    runs = tmp_path_factory.mktemp("runs")
    argv = [
        "eval",
        "--model",
        str(tiny_chat_model),
        "--suite",
        "real",
        "--limit",
        "3",
        "--data-dir",
        str(data_dir),
        "--output",
        str(runs),
    ]
    assert main(argv) == 0
    return only_run(runs)


@pytest.mark.slow
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


@pytest.mark.slow
def test_benchmark_items_are_the_datasets_own(real_run: Path) -> None:
    results = json.loads((real_run / RESULTS_FILE).read_text())
    sst2 = [
        json.loads(x) for x in (real_run / results["use_cases"]["sst2"]["samples_files"][0]).open()
    ]
    dev = [
        line.split("\t")[0].strip()
        for line in shared_data("sst2", "dev.tsv").read_text().splitlines()[1:]
    ]
    for record in sst2:  # the row of GLUE's dev file it scored (a LIMIT draws rows anywhere)
        assert record["doc"]["text"] == dev[record["doc_id"]]
    assert "positive or negative" in sst2[0]["prompt"]
    wnut = results["use_cases"]["wnut17"]
    assert "f1_creative-work" in wnut["metrics"]
    wnut_samples = [json.loads(x) for x in (real_run / wnut["samples_files"][0]).open()]
    assert "creative-work" in wnut_samples[0]["prompt"]
    mt = results["use_cases"]["mt_bench"]
    assert mt["primary_metric"] == "reference_rougeL" and mt["judge"] is None
    mt_samples = [json.loads(x) for x in (real_run / mt["samples_files"][0]).open()]
    # Only math, reasoning and coding questions have reference answers: a dialogue without
    # one is unscored, and the unscored share is theirs.
    assert all(s["item_id"].startswith("mtbench-") for s in mt_samples)
    unreferenced = [not any(t.get("reference") for t in s["doc"]["turns"]) for s in mt_samples]
    assert mt["metrics"]["unscored"]["value"] == pytest.approx(100 * sum(unreferenced) / 3)
    assert mt["metrics"]["reference_rougeL"]["n"] == 3


@pytest.mark.slow
def test_golden_context_feeds_the_datasets_answers_not_the_models(real_run: Path) -> None:
    results = json.loads((real_run / RESULTS_FILE).read_text())
    entry = results["use_cases"]["mt_bench_101"]
    samples = [json.loads(x) for x in (real_run / entry["samples_files"][0]).open()]
    first = samples[0]
    rows = shared_data("mt_bench_101", "mtbench101.jsonl").read_text().splitlines()
    (dialogue,) = [
        row
        for row in map(json.loads, rows)  # the dataset's row it scored
        if first["item_id"] == f"mtbench101-{row['task']}-{row['id']}"
    ]
    second_prompt = first["turns"][1]["prompt"]
    assert dialogue["history"][0]["bot"] in second_prompt
    reply = first["turns"][0]["raw_output"].strip()
    assert not reply or reply not in second_prompt or reply in dialogue["history"][0]["bot"]
    assert len(first["turns"]) == len(dialogue["history"])
