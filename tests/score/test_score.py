"""``evals score``: the scorers on files made elsewhere, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import main
from tests.conftest import shared_data


def score(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict | str]:
    code = main(["score", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else captured.err.strip()


def test_dialogsum_bart_baseline_via_jsonl_field(capsys: pytest.CaptureFixture[str]) -> None:
    root = shared_data("dialogsum")
    expected = json.loads((root / "expected_scores.json").read_text())["computed_here"]["summary1"]
    refs, preds = root / "dialogsum.test.jsonl", root / "baseline_bart_large_test_output.txt"
    code, result = score(capsys, "rouge", str(refs), str(preds), "--field", "summary1")
    assert code == 0 and result["n"] == 500
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, abs=0.05)


def test_squad_v2_is_detected_and_gold_scores_100(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = shared_data("squad_v2.0", "dev-v2.0.reconstructed.json")
    data = json.loads(gold.read_text())
    predictions = {
        qa["id"]: (qa["answers"][0]["text"] if qa["answers"] else "")
        for article in data["data"]
        for p in article["paragraphs"]
        for qa in p["qas"]
    }
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps(predictions))
    code, result = score(capsys, "squad", str(gold), str(pred))
    assert code == 0 and result["version"] == "2.0" and result["n"] == 11873
    assert result["exact_match"] == 100.0 and result["no_answer_f1"] == 100.0
    # Answering every question with nothing scores exactly the unanswerable share (5945 / 11873).
    pred.write_text(json.dumps(dict.fromkeys(predictions, "")))
    code, result = score(capsys, "squad", str(gold), str(pred))
    assert result["exact_match"] == pytest.approx(100 * 5945 / 11873)


def test_ner_against_seqeval_on_wnut17(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seqeval.metrics import f1_score

    from evals.score import read_conll

    gold = shared_data("wnut17", "emerging.test.annotated")
    sentences = read_conll(gold)
    assert len(sentences) == 1287
    # A prediction that drops every second entity's B- tag (turned into O), written with CRLF.
    lines, predicted = [], []
    for tokens, tags in sentences:
        new_tags, flip = [], False
        for tag in tags:
            if tag.startswith("B-"):
                flip = not flip
            new_tags.append("O" if flip and tag != "O" else tag)
        predicted.append(new_tags)
        lines += [f"{t}\t{g}  " for t, g in zip(tokens, new_tags, strict=True)] + [""]
    pred = tmp_path / "pred.conll"
    pred.write_bytes("\r\n".join(lines).encode())
    code, result = score(capsys, "ner", str(gold), str(pred))
    assert code == 0 and result["n_sentences"] == 1287
    expected = 100 * f1_score([t for _, t in sentences], predicted)
    assert result["f1"] == pytest.approx(expected)
    assert {"f1_person", "f1_location", "f1_corporation"} <= set(result)


def test_sentiment_metrics_match_scikit_learn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.metrics import recall_score

    gold = shared_data("tweet_eval_sentiment", "val_labels.txt")
    labels = gold.read_text().split()
    pred_labels = [("2" if i % 3 == 0 else label) for i, label in enumerate(labels)]
    pred = tmp_path / "pred.txt"
    pred.write_text("\r\n".join(pred_labels) + "\r\n")
    code, result = score(capsys, "sentiment", str(gold), str(pred), "--metric", "macro_recall")
    assert code == 0 and set(result) == {"macro_recall", "n", "labels"}
    assert result["macro_recall"] == pytest.approx(
        100 * recall_score(labels, pred_labels, average="macro")
    )


@pytest.mark.parametrize(
    ("kind", "gold", "pred", "message"),
    [
        ("ner", "Paris B-LOC\nis O\n", "Paris\nis O\n", "pred:1: expected 'token ... tag'"),
        ("ner", "Paris B-LOC\n", "Paris LOCATION\n", "pred:1: 'LOCATION' is not an IOB2 tag"),
        ("sentiment", "pos\nneg\n", "pos\n", "pred has 1 labels, "),
        ("rouge", '{"s": "a"}\n{"t": "b"}\n', "a\nb\n", "gold:2: no field 's'"),
        ("squad", '{"data": [', "{}", "gold:1: not valid JSON"),
    ],
)
def test_malformed_input_is_one_line_with_line_number(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    gold: str,
    pred: str,
    message: str,
) -> None:
    (tmp_path / "gold").write_text(gold)
    (tmp_path / "pred").write_text(pred)
    extra = ["--field", "s"] if kind == "rouge" else []
    code, err = score(capsys, kind, str(tmp_path / "gold"), str(tmp_path / "pred"), *extra)
    assert code == 2 and isinstance(err, str)
    assert err.startswith("error: ") and message in err and "\n" not in err
