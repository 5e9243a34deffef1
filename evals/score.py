"""``evals score``: the suite's scorers on files made elsewhere, without a model.

The same functions that score model runs (:mod:`evals.metrics`, :mod:`evals.statistics`), so a
user can check a scorer against an official script or score another system's outputs. Inputs
may have CRLF line endings and trailing whitespace; a malformed line is reported with its
number. Every metric is in percent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.errors import DataError
from evals.metrics.classification import label_statistics
from evals.metrics.ner import entity_counts
from evals.metrics.rouge import ROUGE_TYPES, rouge_scores
from evals.metrics.squad import normalize_answer, squad_scores
from evals.statistics import REDUCERS, reducer_for

Sentence = tuple[list[str], list[str]]


def _lines(path: Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    return [line.rstrip() for line in text.splitlines()]


def read_conll(path: Path) -> list[Sentence]:
    """Sentences of a CoNLL-style file: ``token ... tag`` per line, blank line between sentences
    (``-DOCSTART-`` lines skipped); the tag is the last column."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        parts = line.split()
        if parts[0] == "-DOCSTART-":
            continue
        if len(parts) < 2:
            raise DataError(f"{path}:{number}: expected 'token ... tag', got {line.strip()!r}")
        tag = parts[-1]
        if tag != "O" and not (tag[:2] in ("B-", "I-", "E-", "S-") and len(tag) > 2):
            raise DataError(f"{path}:{number}: {tag!r} is not an IOB2 tag")
        tokens.append(parts[0])
        tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    if not sentences:
        raise DataError(f"{path} holds no sentences")
    return sentences


def _summed(metric_stats: dict[str, list[list[float]]]) -> dict[str, float]:
    return {
        metric: float(REDUCERS[reducer_for(metric, {"f1*": "f1", "precision": "precision",
                                                    "recall": "recall"})](np.sum(stats, axis=0)))
        for metric, stats in metric_stats.items()
    }  # fmt: skip


def score_ner(gold_path: Path, pred_path: Path) -> dict[str, Any]:
    """Entity-level micro P/R/F1 and per-type F1 (seqeval's definition)."""
    gold, pred = read_conll(gold_path), read_conll(pred_path)
    if len(gold) != len(pred):
        raise DataError(f"{pred_path} has {len(pred)} sentences, {gold_path} has {len(gold)}")
    types = sorted({t[2:] for _, tags in gold for t in tags if t != "O"})
    stats: dict[str, list[list[float]]] = {}
    for k, ((g_tokens, g_tags), (p_tokens, p_tags)) in enumerate(zip(gold, pred, strict=True), 1):
        if len(g_tokens) != len(p_tokens):
            raise DataError(f"sentence {k}: {len(p_tokens)} predicted tokens, {len(g_tokens)} gold")
        mismatch = next((i for i, (g, q) in enumerate(zip(g_tokens, p_tokens, strict=True))
                         if g != q), None)  # fmt: skip
        if mismatch is not None:
            raise DataError(
                f"sentence {k}, token {mismatch + 1}: predicted {p_tokens[mismatch]!r}, gold "
                f"{g_tokens[mismatch]!r} (the files must hold the same tokens)"
            )
        for metric, value in entity_counts(g_tags, p_tags, types).items():
            stats.setdefault(metric, []).append(value)
    return {**_summed(stats), "n_sentences": len(gold)}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None


def score_squad(gold_path: Path, pred_path: Path, v2: bool | None = None) -> dict[str, Any]:
    """Official SQuAD EM/F1 (v2.0: also over answerable / unanswerable questions). ``PRED``
    maps question id → answer; ``""`` is "no answer"; a missing id scores 0."""
    gold, pred = _read_json(gold_path), _read_json(pred_path)
    if not isinstance(gold, dict) or not isinstance(gold.get("data"), list):
        raise DataError(f"{gold_path}: not a SQuAD file (no 'data' list)")
    if not isinstance(pred, dict):
        raise DataError(f"{pred_path}: predictions must be a JSON object id → answer")
    qas = [qa for article in gold["data"] for p in article.get("paragraphs", []) for qa in p["qas"]]
    known = {qa["id"] for qa in qas}
    if pred and not known & set(pred):
        raise DataError(f"{pred_path}: none of its {len(pred)} question ids is in {gold_path}")
    if v2 is None:
        v2 = str(gold.get("version", "")).startswith(("v2", "2")) or any(
            qa.get("is_impossible") for qa in qas
        )
    totals: dict[str, list[float]] = {"exact_match": [], "f1": []}
    split: dict[str, list[float]] = {"has_answer_f1": [], "no_answer_f1": []}
    for qa in qas:
        answers = [a["text"] for a in qa.get("answers", []) if normalize_answer(a["text"])]
        answer = pred.get(qa["id"])
        if answer is None:
            scores = {"exact_match": 0.0, "f1": 0.0}
        else:
            scores = squad_scores(str(answer), answers)
        for key in totals:
            totals[key].append(scores[key])
        split["has_answer_f1" if answers else "no_answer_f1"].append(scores["f1"])
    result: dict[str, Any] = {k: float(np.mean(v)) for k, v in totals.items()}
    if v2:
        result.update({k: float(np.mean(v)) if v else None for k, v in split.items()})
    return {**result, "n": len(qas), "version": "2.0" if v2 else "1.1"}


def score_labels(gold_path: Path, pred_path: Path, metric: str | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1 and macro-recall over the gold label set (one label per line)."""
    gold = [x.strip() for x in _lines(gold_path)]
    pred = [x.strip() for x in _lines(pred_path)]
    while gold and not gold[-1]:
        gold.pop()
    while pred and not pred[-1]:
        pred.pop()
    if len(gold) != len(pred):
        raise DataError(f"{pred_path} has {len(pred)} labels, {gold_path} has {len(gold)}")
    for number, label in enumerate(gold, start=1):
        if not label:
            raise DataError(f"{gold_path}:{number}: empty label")
    labels = sorted(set(gold))
    stray = sorted({p for p in pred if p and p not in labels})
    if stray:
        raise DataError(f"{pred_path}: label {stray[0]!r} is not in the gold label set "
                        f"({', '.join(labels)})")  # fmt: skip
    stats = np.array([label_statistics(g, p if p in labels else None, labels)
                      for g, p in zip(gold, pred, strict=True)]).sum(axis=0)  # fmt: skip
    k = len(labels)
    all_metrics = {
        "accuracy": float(100.0 * stats[:k].sum() / len(gold)),
        "macro_f1": float(REDUCERS["macro_f1"](stats)),
        "macro_recall": float(REDUCERS["macro_recall"](stats)),
    }
    chosen = {metric: all_metrics[metric]} if metric else all_metrics
    return {**chosen, "n": len(gold), "labels": labels}


def _texts(path: Path, field: str | None) -> list[Any]:
    lines = _lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if field is None:
        if path.suffix == ".jsonl" or (lines and lines[0].lstrip().startswith("{")):
            raise DataError(f"{path} holds JSON lines: name the text field (--field / "
                            "--pred-field)")  # fmt: skip
        return lines
    out = []
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{number}: not valid JSON ({err.msg})") from None
        if not isinstance(row, dict) or field not in row:
            raise DataError(f"{path}:{number}: no field {field!r}")
        out.append(row[field])
    return out


def score_rouge(
    refs_path: Path, preds_path: Path, field: str | None = None, pred_field: str | None = None
) -> dict[str, Any]:
    """Mean ROUGE F-measure ×100 (stemmer on, rougeLsum on split sentences; a list-valued
    reference field means several references, best taken)."""
    refs = _texts(refs_path, field)
    preds = _texts(preds_path, pred_field)
    if len(refs) != len(preds):
        raise DataError(f"{preds_path} has {len(preds)} texts, {refs_path} has {len(refs)}")
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for number, (ref, pred) in enumerate(zip(refs, preds, strict=True), start=1):
        references: Sequence[str] = ref if isinstance(ref, list) else [str(ref)]
        if not references or not all(isinstance(r, str) and r.strip() for r in references):
            raise DataError(f"{refs_path}:{number}: empty reference")
        for key, value in rouge_scores(str(pred), references).items():
            totals[key] += value
    return {**{k: v / len(refs) for k, v in totals.items()}, "n": len(refs)}
