"""Real public benchmarks, converted once into the record schema of their use case
(``tasks/README.md``), from either of two sources:

1. **local** (the default): a copy in the dataset's own published format under ``DATA_DIR``
   (GLUE TSV, CoNLL columns, SQuAD JSON, JSONL, MT-Bench ``question.jsonl``). Here
   ``DATA_DIR=../shared/data`` holds every one (its README gives the layout). A missing file is
   one clear error naming the path looked for and where the dataset is published.
2. **hub**: the Hugging Face dataset through ``datasets.load_dataset`` at a pinned revision, for
   users who have the hub (:mod:`evals.benchmarks.hub`). Never used by tests or the default path.

Each benchmark module (``sentiment``, ``ner``, ``summarization``, ``qa``, ``chat``, ``code``)
registers its datasets with the paper, split and official metric in its header docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.data import jsonl_objects
from evals.errors import DataError

Records = list[dict[str, Any]]
REPO = Path(__file__).resolve().parents[2]
"""The repository root (bundled few-shot files are named relative to it)."""


def read_rows(path: Path) -> Records:
    """The JSON objects of a published JSONL file (a bad line is one error with file:line)."""
    return [row for _, row in jsonl_objects(path)]


@dataclass(frozen=True)
class HubSource:
    """Where a benchmark lives on the Hugging Face hub, and how its rows map to our schema."""

    path: str
    """Dataset id (``stanfordnlp/sst2``)."""

    config: str | None
    """Dataset configuration name, if it has several."""

    split: str
    """The split scored (``validation``, ``test``)."""

    convert: Callable[[Any], Records]
    """Turns the loaded ``datasets.Dataset`` into records of the use case's schema."""

    fewshot_split: str | None = None
    """A split disjoint from the scored one for few-shot examples (``train``), if any."""


@dataclass(frozen=True)
class Benchmark:
    """A real dataset for one use case."""

    name: str
    """Short name, also the lm-eval task name (``sst2``, ``conll2003``, ...)."""

    use_case: str
    """The use case whose record schema it converts to (its ``tasks/`` folder)."""

    split: str
    """Which split is scored (``dev``, ``test``), as the dataset's authors name it."""

    files: tuple[str, ...]
    """Files it reads, relative to ``DATA_DIR``."""

    source: str
    """Where the dataset is published (shown when a file is missing)."""

    metric: str
    """The benchmark's official or customary primary metric."""

    convert: Callable[[Path], Records]
    """Reads ``DATA_DIR`` and returns the scored records in the use case's schema."""

    labels: tuple[str, ...] = ()
    """Label set (sentiment) or entity types (NER)."""

    fewshot: Callable[[Path], Records] | None = None
    """Records of another split (dev/validation, or a separate set) for few-shot examples."""

    fewshot_files: tuple[str, ...] = ()
    """Files the few-shot split reads, relative to ``DATA_DIR``."""

    fewshot_holdout: int = 0
    """Where the local copy has no other split: the last this many records of the scored file
    are the few-shot pool instead, and are not scored."""

    fewshot_bundled: tuple[str, ...] = ()
    """Project files the few-shot split reads, relative to the repository root (not to
    ``DATA_DIR``); hashed into provenance."""

    fewshot_pool: str = ""
    """Where the few-shot pool of the local copy comes from, in words (recorded in results)."""

    hub: HubSource | None = None
    """The hub copy, or None where the dataset's published form is not on the hub."""


REGISTRY: dict[str, Benchmark] = {}


def register(benchmark: Benchmark) -> Benchmark:
    """Add a benchmark to the registry (module import time)."""
    REGISTRY[benchmark.name] = benchmark
    return benchmark


def get_benchmark(name: str) -> Benchmark:
    """A registered benchmark, or one clear error listing the known ones."""
    _import_all()
    if name not in REGISTRY:
        raise DataError(f"unknown benchmark {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def check_files(benchmark: Benchmark, data_dir: Path) -> list[Path]:
    """The local files a benchmark reads, each checked to exist."""
    paths = []
    for relative in benchmark.files + benchmark.fewshot_files:
        path = Path(data_dir) / relative
        if not path.is_file():
            raise DataError(
                f"{benchmark.name}: {path} not found; get it from {benchmark.source} "
                "and point DATA_DIR at the folder holding it (or DATA_SOURCE=hub)"
            )
        paths.append(path)
    return paths


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def item_texts(use_case: str, record: dict[str, Any]) -> set[tuple[str, str]]:
    """The texts that identify an item (casefolded, whitespace collapsed): the text classified,
    the sentence, the question and its passage, the document, a dialogue's user messages."""
    if use_case == "sentiment":
        return {("text", _norm(record["text"]))}
    if use_case == "ner":
        return {("sentence", _norm(" ".join(record["tokens"])))}
    if use_case == "qa":
        return {("question", _norm(record["question"])), ("passage", _norm(record["context"]))}
    if use_case == "summarization":
        return {("document", _norm(record["document"]))}
    if use_case == "code":
        return {("prompt", _norm(record["prompt"]))}
    return {("user", _norm(turn["user"])) for turn in record.get("turns", [])}


def disjoint_pool(use_case: str, scored: Records, pool: Records) -> Records:
    """The few-shot records that are no scored item: neither its id nor any text identifying
    it (``item_texts``) may be a scored record's, whichever split the pool comes from."""
    ids = {str(r["id"]) for r in scored}
    texts = set().union(*(item_texts(use_case, r) for r in scored))
    return [r for r in pool if str(r["id"]) not in ids and not item_texts(use_case, r) & texts]


def load_local(name: str, data_dir: Path) -> tuple[Records, Records | None]:
    """Scored records and few-shot pool of a benchmark from ``data_dir``, in its use case's
    schema. The pool shares no item with the scored records (``disjoint_pool``); it is None for
    a benchmark without one (the multi-turn sets, whose example dialogue is the config's)."""
    benchmark = get_benchmark(name)
    check_files(benchmark, data_dir)
    records = benchmark.convert(Path(data_dir))
    pool: Records | None = None
    if benchmark.fewshot_holdout:
        if len(records) <= benchmark.fewshot_holdout:
            raise DataError(
                f"{name}: {len(records)} records read from {data_dir}, not more than the "
                f"{benchmark.fewshot_holdout} held out for few-shot examples"
            )
        records, pool = (
            records[: -benchmark.fewshot_holdout],
            records[-benchmark.fewshot_holdout :],
        )
    elif benchmark.fewshot is not None:
        pool = benchmark.fewshot(Path(data_dir))
    if not records:
        raise DataError(f"{name}: no records read from {data_dir}")
    if pool is not None:
        pool = disjoint_pool(benchmark.use_case, records, pool)
    return records, pool


def load_benchmark(name: str, data_dir: Path) -> Records:
    """Scored records of a benchmark from ``data_dir``, converted to its use case's schema."""
    return load_local(name, data_dir)[0]


def load_fewshot(name: str, data_dir: Path) -> Records | None:
    """Few-shot records, disjoint from the scored ones, or None when the benchmark has none."""
    return load_local(name, data_dir)[1]


def _import_all() -> None:
    from evals.benchmarks import chat, code, ner, qa, sentiment, summarization  # noqa: F401
