"""``evals score ner|squad|sentiment|rouge``: the text use cases' scorers on files made elsewhere.

The same functions that score model runs (:mod:`evals.metrics`, :mod:`evals.statistics`), so a
user can check a scorer against an official script or score another system's outputs. Inputs
may have CRLF line endings and trailing whitespace; a malformed line is reported with its
number. Every metric is in percent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.data import is_iob_tag, read_conll, text_lines
from evals.errors import DataError
from evals.metrics.classification import label_statistics
from evals.metrics.ner import entity_counts
from evals.metrics.rouge import ROUGE_TYPES, rouge_scores
from evals.metrics.squad import normalize_answer, squad_scores
from evals.statistics import REDUCERS, reducer_for

log = logging.getLogger(__name__)


def _summed(metric_stats: dict[str, list[list[float]]]) -> dict[str, float]:
    return {
        metric: float(
            REDUCERS[
                reducer_for(metric, {"f1*": "f1", "precision": "precision", "recall": "recall"})
            ](np.sum(stats, axis=0))
        )
        for metric, stats in metric_stats.items()
    }


def ner_result(
    gold_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Entity-level micro P/R/F1 and per-type F1 (seqeval's definition) of tag sequences, one
    per sentence; the types are the gold ones (a predicted entity of another type still counts
    against precision)."""
    if len(gold_tags) != len(pred_tags):
        raise DataError(f"{len(pred_tags)} predicted sentences, {len(gold_tags)} gold")
    types = sorted({t[2:] for tags in gold_tags for t in tags if t != "O"})
    stats: dict[str, list[list[float]]] = {}
    for k, (gold, pred) in enumerate(zip(gold_tags, pred_tags, strict=True), start=1):
        if len(gold) != len(pred):
            raise DataError(f"sentence {k}: {len(pred)} predicted tags, {len(gold)} gold")
        bad = next((t for t in (*gold, *pred) if not is_iob_tag(t)), None)
        if bad is not None:
            raise DataError(f"sentence {k}: {bad!r} is not an IOB2 tag")
        for metric, value in entity_counts(list(gold), list(pred), types).items():
            stats.setdefault(metric, []).append(value)
    return {**_summed(stats), "n_sentences": len(gold_tags)}


def score_ner(gold_path: Path, pred_path: Path) -> dict[str, Any]:
    """:func:`ner_result` of two CoNLL files, aligned by position as the official conlleval
    script aligns them. The sentence and token counts must agree (else nothing can be aligned:
    one line, exit 2); tokens that differ in text (a shared-task file may carry a normalised
    token: ``get`` where the gold has ``gt``) are scored by position, and a warning gives their
    count and the first few."""
    gold, pred = read_conll(gold_path), read_conll(pred_path)
    if len(gold) != len(pred):
        raise DataError(f"{pred_path} has {len(pred)} sentences, {gold_path} has {len(gold)}")
    mismatches: list[str] = []
    for k, ((g_tokens, _), (p_tokens, _)) in enumerate(zip(gold, pred, strict=True), start=1):
        if len(g_tokens) != len(p_tokens):
            raise DataError(f"sentence {k}: {len(p_tokens)} predicted tokens, {len(g_tokens)} gold")
        mismatches += [
            f"sentence {k}, token {i + 1}: {q!r} for {g!r}"
            for i, (g, q) in enumerate(zip(g_tokens, p_tokens, strict=True))
            if g != q
        ]
    if mismatches:
        log.warning(
            "%s: %d token(s) differ from %s in text, scored by position as conlleval "
            "does (first: %s)",
            pred_path,
            len(mismatches),
            gold_path,
            "; ".join(mismatches[:3]),
        )
    result = ner_result([tags for _, tags in gold], [tags for _, tags in pred])
    return {**result, "token_mismatches": len(mismatches)} if mismatches else result


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None


def squad_result(
    questions: Sequence[tuple[str, Sequence[str]]], predictions: Mapping[str, str], v2: bool
) -> dict[str, Any]:
    """Official SQuAD EM/F1 (v2.0: also over answerable / unanswerable questions) of
    ``(question id, gold answer texts)`` pairs (no answer texts: unanswerable) and predictions
    id → answer; ``""`` is "no answer"; a question without a prediction scores 0."""
    known = {qid for qid, _ in questions}
    if predictions and not known & set(predictions):
        raise DataError(f"none of the {len(predictions)} predicted question ids is a gold one")
    totals: dict[str, list[float]] = {"exact_match": [], "f1": []}
    split: dict[str, list[float]] = {"has_answer_f1": [], "no_answer_f1": []}
    for qid, texts in questions:
        answers = [text for text in texts if normalize_answer(text)]
        answer = predictions.get(qid)
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
    return {**result, "n": len(questions), "version": "2.0" if v2 else "1.1"}


def score_squad(gold_path: Path, pred_path: Path, v2: bool | None = None) -> dict[str, Any]:
    """:func:`squad_result` of a SQuAD JSON file and a JSON object question id → answer; v2.0
    rules when the file says version 2 or marks a question ``is_impossible`` (or ``v2``)."""
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
    questions = [(qa["id"], [a["text"] for a in qa.get("answers", [])]) for qa in qas]
    return squad_result(questions, pred, v2)


LABEL_METRICS = ("accuracy", "macro_f1", "macro_recall")


def label_result(
    gold: Sequence[str],
    pred: Sequence[str],
    metric: str | None = None,
    gold_name: str = "references",
    pred_name: str = "predictions",
) -> dict[str, Any]:
    """Accuracy, macro-F1 and macro-recall (or only ``metric``) over the gold label set; an
    empty prediction is wrong (no label), a label outside the gold set an error. The names say
    where the labels came from, in error messages."""
    if metric is not None and metric not in LABEL_METRICS:
        raise DataError(f"unknown metric {metric!r} (one of {', '.join(LABEL_METRICS)})")
    if len(gold) != len(pred):
        raise DataError(f"{pred_name} has {len(pred)} labels, {gold_name} has {len(gold)}")
    if not gold:
        raise DataError(f"{gold_name} holds no label: nothing to score")
    for number, label in enumerate(gold, start=1):
        if not label:
            raise DataError(f"{gold_name}:{number}: empty label")
    labels = sorted(set(gold))
    stray = sorted({p for p in pred if p and p not in labels})
    if stray:
        raise DataError(
            f"{pred_name}: label {stray[0]!r} is not in the gold label set ({', '.join(labels)})"
        )
    stats = np.array(
        [
            label_statistics(g, p if p in labels else None, labels)
            for g, p in zip(gold, pred, strict=True)
        ]
    ).sum(axis=0)
    k = len(labels)
    all_metrics = {
        "accuracy": float(100.0 * stats[:k].sum() / len(gold)),
        "macro_f1": float(REDUCERS["macro_f1"](stats)),
        "macro_recall": float(REDUCERS["macro_recall"](stats)),
    }
    chosen = {metric: all_metrics[metric]} if metric else all_metrics
    return {**chosen, "n": len(gold), "labels": labels}


def score_labels(gold_path: Path, pred_path: Path, metric: str | None = None) -> dict[str, Any]:
    """:func:`label_result` of two files of one label per line."""
    gold = [x.strip() for x in text_lines(gold_path)]
    pred = [x.strip() for x in text_lines(pred_path)]
    while gold and not gold[-1]:
        gold.pop()
    while pred and not pred[-1]:
        pred.pop()
    return label_result(gold, pred, metric, str(gold_path), str(pred_path))


def _texts(path: Path, field: str | None) -> list[Any]:
    lines = text_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if field is None:
        if path.suffix == ".jsonl" or (lines and lines[0].lstrip().startswith("{")):
            raise DataError(
                f"{path} holds JSON lines: name the text field (--field / --pred-field)"
            )
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


def rouge_result(
    references: Sequence[str | Sequence[str]],
    predictions: Sequence[str],
    refs_name: str = "references",
    preds_name: str = "predictions",
) -> dict[str, Any]:
    """Mean ROUGE F-measure ×100 (stemmer on, rougeLsum on split sentences; a list of
    references per item means several, best taken). The names are for error messages."""
    if len(references) != len(predictions):
        raise DataError(
            f"{preds_name} has {len(predictions)} texts, {refs_name} has {len(references)}"
        )
    if not references:
        raise DataError(f"{refs_name} holds no texts")
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    for number, (ref, pred) in enumerate(zip(references, predictions, strict=True), start=1):
        refs: Sequence[str] = [ref] if isinstance(ref, str) else list(ref)
        if not refs or not all(isinstance(r, str) and r.strip() for r in refs):
            raise DataError(f"{refs_name}:{number}: empty reference")
        for key, value in rouge_scores(str(pred), refs).items():
            totals[key] += value
    return {**{k: v / len(references) for k, v in totals.items()}, "n": len(references)}


def score_rouge(
    refs_path: Path, preds_path: Path, field: str | None = None, pred_field: str | None = None
) -> dict[str, Any]:
    """:func:`rouge_result` of two files: one text per line, or JSON lines and a field (a
    list-valued reference field means several references)."""
    refs = _texts(refs_path, field)
    preds = _texts(preds_path, pred_field)
    references = [r if isinstance(r, list) else str(r) for r in refs]
    return rouge_result(references, [str(p) for p in preds], str(refs_path), str(preds_path))
