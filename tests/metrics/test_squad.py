import json

import pytest

from evals.metrics.squad import normalize_answer, squad_scores
from evals.score import score_squad
from tests.conftest import shared_data


def test_official_normalization() -> None:
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("an apple, a pear") == "apple pear"


def test_max_over_gold_answers_and_partial_f1() -> None:
    scores = squad_scores("Denver Broncos", ["Broncos", "the Denver Broncos"])
    assert scores == {"exact_match": 100.0, "f1": 100.0}
    partial = squad_scores("the Carolina Panthers team", ["Carolina Panthers"])
    assert partial["exact_match"] == 0.0
    assert partial["f1"] == pytest.approx(100 * 2 * (2 / 3) * 1 / (2 / 3 + 1))


def test_v2_unanswerable_rule() -> None:
    assert squad_scores("", []) == {"exact_match": 100.0, "f1": 100.0}
    assert squad_scores("Paris", []) == {"exact_match": 0.0, "f1": 0.0}
    assert squad_scores("", ["Paris"]) == {"exact_match": 0.0, "f1": 0.0}


@pytest.mark.parametrize(
    "system",
    [
        "bert_large_ensemble_google.json",
        "match_lstm_boundary_ensemble_smu.json",
        "logistic_regression_baseline_stanford.json",
    ],
)
def test_squad_v11_leaderboard_predictions_reproduce_expected_scores(system: str) -> None:
    root = shared_data("squad_v1.1")
    expected = json.loads((root / "expected_scores.json").read_text())["computed_here"]
    result = score_squad(root / "dev-v1.1.reconstructed.json", root / "predictions" / system)
    assert result["n"] == 10570 and result["version"] == "1.1"
    for key, value in expected[f"predictions/{system}"].items():
        assert result[key] == pytest.approx(value, abs=0.05)
