import json

import pytest

from evals.metrics.rouge import rouge_scores, split_sentences
from tests.conftest import shared_data


def test_sentence_split_for_rougelsum() -> None:
    text = 'The bridge opened. "It is lovely," she said! Costs rose 3.5 percent. Dr. Lee agreed?'
    assert split_sentences(text).split("\n") == [
        "The bridge opened.",
        '"It is lovely," she said!',
        "Costs rose 3.5 percent.",
        "Dr.",
        "Lee agreed?",
    ]


def test_identical_and_disjoint_texts() -> None:
    same = rouge_scores("The cat sat on the mat.", "The cat sat on the mat.")
    assert all(v == pytest.approx(100.0) for v in same.values())
    assert rouge_scores("alpha beta", "gamma delta") == dict.fromkeys(same, 0.0)


def test_stemmer_is_on_and_best_reference_wins() -> None:
    assert rouge_scores("cats running", "cat run")["rouge1"] == pytest.approx(100.0)
    multi = rouge_scores("the trains were late", ["nothing alike here", "the trains were late"])
    assert multi["rouge2"] == pytest.approx(100.0)


def test_rougelsum_differs_from_rougel_on_multi_sentence_summaries() -> None:
    pred = "Prices rose. The bank acted fast. Markets calmed."
    ref = "The bank acted fast. Prices rose. Markets calmed down."
    scores = rouge_scores(pred, ref)
    assert scores["rougeLsum"] > scores["rougeL"]


@pytest.mark.fidelity
def test_dialogsum_bart_baseline_reproduces_expected_rouge() -> None:
    root = shared_data("dialogsum")
    expected = json.loads((root / "expected_scores.json").read_text())["computed_here"]["summary1"]
    refs = [json.loads(line)["summary1"] for line in (root / "dialogsum.test.jsonl").open()]
    preds = (root / "baseline_bart_large_test_output.txt").read_text().splitlines()
    assert len(refs) == len(preds) == 500
    totals = dict.fromkeys(expected, 0.0)
    for pred, ref in zip(preds, refs, strict=True):
        scores = rouge_scores(pred, ref)
        for key in totals:
            totals[key] += scores[key]
    for key, value in expected.items():
        assert totals[key] / 500 == pytest.approx(value, abs=0.05)


@pytest.mark.fidelity
@pytest.mark.parametrize(
    ("folder", "systems"),
    [
        ("cnn_dailymail", ("bart", "bert_sum", "bus", "pgn", "s2s")),
        ("xsum", ("BERTS2S", "PtGen", "TConvS2S", "TranS2S")),
    ],
)
def test_frank_system_summaries_reproduce_expected_rouge(folder: str, systems: tuple) -> None:
    """ROUGE-1/2/L of every published system against the references, through the same
    converter and scorer a model run uses (the convention is in tasks/summarization/README.md)."""
    from evals.benchmarks import load_benchmark, load_fewshot

    root = shared_data(folder)
    expected = json.loads((root / "expected_scores.json").read_text())["computed_here"]
    # the whole FRANK sample: the scored records, then the held-out tail (the few-shot pool)
    records = load_benchmark(folder, root.parent) + (load_fewshot(folder, root.parent) or [])
    rows = [json.loads(line) for line in next(root.glob("frank_*.jsonl")).open()]
    assert len(rows) == len(records) == expected["n"]
    assert set(expected["scores"]) == set(systems)
    for system in systems:
        totals = dict.fromkeys(("rouge1", "rouge2", "rougeL"), 0.0)
        for row, record in zip(rows, records, strict=True):
            scores = rouge_scores(row["system_summaries"][system], record["summaries"])
            for key in totals:
                totals[key] += scores[key]
        for key, value in expected["scores"][system].items():
            assert totals[key] / len(rows) == pytest.approx(value, abs=0.05), (system, key)
