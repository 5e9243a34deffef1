"""Sentiment benchmarks.

- **SST-2** (Socher et al., 2013, "Recursive Deep Models for Semantic Compositionality Over a
  Sentiment Treebank"; GLUE dev split, 872 sentences). Format: GLUE TSV, ``sentence/text<TAB>
  label`` with 0 = negative, 1 = positive. Metric: accuracy.
- **TweetEval sentiment** (Barbieri et al., 2020, "TweetEval"; test split, 12,284 tweets).
  Format: ``test_text.txt`` and ``test_labels.txt``, one per line, 0 negative / 1 neutral /
  2 positive. Official metric: macro-averaged recall.
"""

from __future__ import annotations

from pathlib import Path

from evals.benchmarks import Benchmark, Records, register
from evals.errors import DataError


def _sst2(data_dir: Path) -> Records:
    path = data_dir / "sst2" / "dev.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines[1:], start=2):
        text, _, label = line.rpartition("\t")
        if label not in ("0", "1") or not text:
            raise DataError(f"{path}:{number}: expected 'sentence<TAB>0|1'")
        records.append({"id": f"sst2-{number - 1:04d}", "text": text.strip(),
                        "label": ("negative", "positive")[int(label)]})  # fmt: skip
    return records


def _tweet_eval(data_dir: Path) -> Records:
    folder = data_dir / "tweet_eval_sentiment"
    texts = (folder / "test_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / "test_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise DataError(f"{folder}: {len(texts)} tweets but {len(labels)} labels")
    names = ("negative", "neutral", "positive")
    return [
        {"id": f"tweeteval-{i:05d}", "text": text.strip(), "label": names[int(label)]}
        for i, (text, label) in enumerate(zip(texts, labels, strict=True), start=1)
    ]


SST2 = register(Benchmark(
    "sst2", "sentiment", ("sst2/dev.tsv",), "GLUE (gluebenchmark.com), SST-2 dev.tsv",
    "accuracy", _sst2, labels=("negative", "positive"),
))  # fmt: skip
TWEET_EVAL = register(Benchmark(
    "tweet_eval", "sentiment",
    ("tweet_eval_sentiment/test_text.txt", "tweet_eval_sentiment/test_labels.txt"),
    "github.com/cardiffnlp/tweeteval, datasets/sentiment", "macro_recall", _tweet_eval,
    labels=("negative", "neutral", "positive"),
))  # fmt: skip
