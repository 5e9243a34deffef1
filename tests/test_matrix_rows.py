"""Matrix rows on synthetic runs (no model): who competes, what a winner needs, what a tie
says. The same rows on real tiny-model runs are in test_matrix.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evals.decision import holm_adjust, paired_difference
from evals.decision.power import items_needed, min_detectable
from evals.matrix import Column, build_matrix, matrix_markdown
from evals.runs import StoredRun
from evals.statistics import item_statistics

N = 60


def _run(name: str, accuracy: list[float]) -> StoredRun:
    records = [{"doc_hash": f"item-{i}", "item_id": str(i), "scores": {"accuracy": v}}
               for i, v in enumerate(accuracy)]  # fmt: skip
    value = sum(accuracy) / len(accuracy)
    entry: dict[str, Any] = {
        "primary_metric": "accuracy", "primary_reducer": "mean", "n": len(accuracy),
        "primary": {"value": value, "ci_low": value - 5, "ci_high": value + 5},
        "invalid_rate": 0.0, "metrics": {}, "num_fewshot": 0, "group": "sentiment",
        "data_sha256": "d", "task_version": "1", "samples_files": ["samples_sentiment.jsonl"],
        "baselines": {"strongest": "majority", "above_all": True,
                      "policies": {"majority": {"score": {"value": 50.0}}}},
    }  # fmt: skip
    model = {"fingerprint": name, "model_hash": name, "spec": name, "backend": "hf"}
    return StoredRun(Path(name), {"model": model, "use_cases": {"sentiment": entry}},
                     {"sentiment": records})  # fmt: skip


def _column(key: str, accuracy: list[float], objective: str, designated: bool = True) -> Column:
    variant, mode = key.split("|")
    return Column(key, variant, objective, mode, _run(key, accuracy), designated)


def right(k: int) -> list[float]:
    """The first k items right, the rest wrong."""
    return [100.0] * k + [0.0] * (N - k)


def test_winner_needs_every_comparison_after_holm() -> None:
    columns = [_column("a|chat", right(50), "instruct"), _column("b|chat", right(30), "chat"),
               _column("c|completion", right(20), "base")]  # fmt: skip
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    raw = {c["a"]: c["p_value"] for c in row["comparisons"]}
    for other, k in (("b|chat", 30), ("c|completion", 20)):
        expected = paired_difference(item_statistics(right(k)), item_statistics(right(50)))
        assert raw[other] == pytest.approx(expected.p_value(0.0, "two-sided"))
    assert {c["a"]: c["p_adjusted"] for c in row["comparisons"]} == pytest.approx(holm_adjust(raw))
    assert row["winner"] == "a|chat" and row["agreement"] == "agrees"


def test_one_close_rival_makes_a_tie_even_when_the_rest_are_far_behind() -> None:
    columns = [_column("a|chat", right(50), "instruct"), _column("b|chat", right(48), "chat"),
               _column("c|completion", right(5), "base")]  # fmt: skip
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    significant = {c["a"]: c["significant"] for c in row["comparisons"]}
    assert significant == {"b|chat": False, "c|completion": True}
    assert row["winner"] is None and row["agreement"] == "tie"
    diff = paired_difference(item_statistics(right(48)), item_statistics(right(50)))
    res = row["resolution"]
    assert res["against"] == "b|chat" and res["n"] == N
    assert res["min_detectable"] == pytest.approx(min_detectable(diff.se, 0.025, sides=2))
    assert res["items_for_gap"] == items_needed(diff.se, N, 10.0, 0.025, sides=2)
    assert row["verdict"] == (f"tie (n={N} resolves ≥ {res['min_detectable']:.1f} points; "
                              f"{res['items_for_gap']} items would resolve 10)")  # fmt: skip


def test_identical_variants_tie_and_say_the_outputs_do_not_differ() -> None:
    """Nothing differs: no number of items would separate them."""
    columns = [_column("a|chat", right(40), "instruct"), _column("b|chat", right(40), "chat")]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert row["winner"] is None
    assert row["verdict"].endswith("; the outputs do not differ)")


def test_controls_never_compete_and_are_compared_with_their_variant() -> None:
    columns = [_column("a|chat", right(30), "instruct"),
               _column("a|completion", right(59), "instruct", designated=False),
               _column("b|completion", right(10), "base")]  # fmt: skip
    matrix = build_matrix(columns, ["sentiment"])
    row = matrix["rows"][0]
    assert row["ranking"] == ["a|chat", "b|completion"] and row["best"] == "a|chat"
    assert row["winner"] == "a|chat"
    (control,) = row["controls"]
    assert (control["a"], control["b"]) == ("a|chat", "a|completion")
    assert control["difference"] == pytest.approx(100 * 29 / N)
    text = matrix_markdown(matrix)
    assert "a (completion) [control]" in text and "(trivial 50.0)" in text
    assert "a|chat wins (beats every other variant, Holm)" in text


def test_one_variant_has_nothing_to_compare() -> None:
    row = build_matrix([_column("a|chat", right(30), "instruct")], ["sentiment"])["rows"][0]
    assert row["winner"] is None and row["comparisons"] == []
    assert row["verdict"] == "one variant: nothing to compare"
