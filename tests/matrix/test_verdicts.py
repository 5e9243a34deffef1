"""Matrix rows on synthetic runs (no model): who competes, what a winner needs, what a tie
says. The same rows on real tiny-model runs are in test_matrix.py."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evals.decision import holm_adjust, paired_difference
from evals.decision.power import items_needed, min_detectable
from evals.matrix.verdicts import (
    Column,
    build_matrix,
    compare_columns,
    folklore_claim,
    matrix_markdown,
)
from evals.runs.results import UseCaseResult
from evals.runs.store import StoredRun
from evals.statistics import item_statistics
from tests.helpers import memory_run, stored_use_case

N = 60


def _run(name: str, accuracy: list[float]) -> StoredRun:
    records = [
        {"doc_hash": f"item-{i}", "item_id": str(i), "scores": {"accuracy": v}}
        for i, v in enumerate(accuracy)
    ]
    value = sum(accuracy) / len(accuracy)
    entry = stored_use_case(
        "sentiment",
        accuracy,
        ci=(value - 5, value + 5),
        group="sentiment",
        baselines={
            "strongest": "majority",
            "above_all": True,
            "policies": {"majority": {"score": {"value": 50.0}}},
        },
    )
    return memory_run(Path(name), {"sentiment": entry}, {"sentiment": records}, fingerprint=name)


def _column(key: str, accuracy: list[float], objective: str, designated: bool = True) -> Column:
    variant, mode = key.split("|")
    return Column(key, variant, objective, mode, _run(key, accuracy), designated)


def right(k: int) -> list[float]:
    """The first k items right, the rest wrong."""
    return [100.0] * k + [0.0] * (N - k)


def test_winner_needs_every_comparison_after_holm() -> None:
    columns = [
        _column("a|chat", right(50), "instruct"),
        _column("b|chat", right(30), "chat"),
        _column("c|completion", right(20), "base"),
    ]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    raw = {c["a"]: c["p_value"] for c in row["comparisons"]}
    for other, k in (("b|chat", 30), ("c|completion", 20)):
        expected = paired_difference(item_statistics(right(k)), item_statistics(right(50)))
        assert raw[other] == pytest.approx(expected.p_value(0.0, "two-sided"))
    assert {c["a"]: c["p_adjusted"] for c in row["comparisons"]} == pytest.approx(holm_adjust(raw))
    assert row["winner"] == "a|chat" and row["agreement"] == "agrees"


def test_one_close_rival_makes_a_tie_even_when_the_rest_are_far_behind() -> None:
    columns = [
        _column("a|chat", right(50), "instruct"),
        _column("b|chat", right(48), "chat"),
        _column("c|completion", right(5), "base"),
    ]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    significant = {c["a"]: c["significant"] for c in row["comparisons"]}
    assert significant == {"b|chat": False, "c|completion": True}
    assert row["winner"] is None and row["agreement"] == "tie"
    diff = paired_difference(item_statistics(right(48)), item_statistics(right(50)))
    res = row["resolution"]
    assert res["against"] == "b|chat" and res["n"] == N
    assert res["min_detectable"] == pytest.approx(min_detectable(diff.se, 0.025, sides=2))
    assert res["items_for_gap"] == items_needed(diff.se, N, 10.0, 0.025, sides=2)
    assert row["verdict"] == (
        f"tie (n={N} resolves ≥ {res['min_detectable']:.1f} points; "
        f"{res['items_for_gap']} items would resolve 10)"
    )


def test_identical_variants_tie_and_say_the_outputs_do_not_differ() -> None:
    """Nothing differs: no number of items would separate them."""
    columns = [_column("a|chat", right(40), "instruct"), _column("b|chat", right(40), "chat")]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert row["winner"] is None
    # Before: "tie (n=60 resolves ≥ 0.0 points; ...)": a standard error of 0 read as a test
    # that resolves any difference, when these outputs say nothing about the resolution.
    assert row["resolution"]["min_detectable"] is None
    assert row["verdict"] == (
        f"tie (n={N}: every item scores the same for both variants, so "
        "these outputs cannot say what difference the items resolve)"
    )


def test_controls_never_compete_and_are_compared_with_their_variant() -> None:
    columns = [
        _column("a|chat", right(30), "instruct"),
        _column("a|completion", right(59), "instruct", designated=False),
        _column("b|completion", right(10), "base"),
    ]
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


# --- the whole matrix, exactly ------------------------------------------------------------------


def _entry(use_case: str, accuracy: list[float], **extra: Any) -> UseCaseResult:
    value = sum(accuracy) / len(accuracy)
    return stored_use_case(
        use_case, accuracy, ci=(value - 5, value + 5), invalid_rate=1.5, num_fewshot=3, **extra
    )


def _multi_run(name: str, use_cases: dict[str, tuple[list[float], dict[str, Any]]]) -> StoredRun:
    """A run of several use cases: ``{use case: (accuracy per item, entry fields)}``."""
    entries, samples = {}, {}
    for use_case, (accuracy, extra) in use_cases.items():
        entries[use_case] = _entry(use_case, accuracy, **extra)
        samples[use_case] = [
            {"doc_hash": f"item-{i}", "item_id": str(i), "scores": {"accuracy": v}}
            for i, v in enumerate(accuracy)
        ]
    return memory_run(
        Path("runs") / name,
        entries,
        samples,
        fingerprint=f"fp-{name}",
        model_hash=f"sha-{name}",
        spec=f"hf:{name}",
        created_utc=f"2026-01-0{len(name)}",
    )


SST2 = {
    "group": "sentiment",
    "dataset": {"benchmark": "sst2"},
    "baselines": {
        "strongest": "majority",
        "above_all": True,
        "policies": {"majority": {"score": {"value": 50.0}}},
    },
}


def _matrix_columns() -> list[Column]:
    """b (base) listed first though a (instruct) scores higher; a's completion mode is a control;
    c has only the chat use case. ``sst2`` belongs to the sentiment group; ``qa`` has no
    baselines and b's qa score is undefined; only the control ran ``ner``."""
    no_policy = {"baselines": {"strongest": None, "policies": {}, "above_all": None}}
    b = _multi_run("b", {"sst2": (right(20), SST2), "qa": (right(10), {})})
    qa = b.use_cases["qa"]
    b.use_cases["qa"] = replace(qa, metrics={"accuracy": replace(qa.primary, value=math.nan)})
    a = _multi_run("a", {"sst2": (right(50), SST2), "qa": (right(40), {})})
    control = _multi_run("ac", {"sst2": (right(59), SST2), "ner": (right(5), no_policy)})
    c = _multi_run("chat", {"chat": (right(7), {})})
    return [
        Column("b|completion", "b", "base", "completion", b),
        Column("a|chat", "a", "instruct", "chat", a),
        Column("a|completion", "a", "instruct", "completion", control, designated=False),
        Column("c|chat", "c", "chat", "chat", c),
    ]


def _comparison(a: str, b: str, right_a: int, right_b: int) -> dict[str, Any]:
    diff = paired_difference(item_statistics(right(right_a)), item_statistics(right(right_b)))
    low, high = diff.interval(0.95)
    return {
        "a": a,
        "b": b,
        "difference": diff.value,
        "ci_low": low,
        "ci_high": high,
        "se": diff.se,
        "n": N,
        "units": N,
        "method": "paired-proportions",
        "p_value": diff.p_value(0.0, "two-sided"),
    }


def test_column_json_names_the_run_and_its_role() -> None:
    columns = _matrix_columns()
    assert columns[2].to_dict() == {
        "key": "a|completion",
        "label": "a (completion)",
        "variant": "a",
        "objective": "instruct",
        "prompt_mode": "completion",
        "designated": False,
        "role": "control",
        "run_folder": str(Path("runs") / "ac"),
        "created_utc": "2026-01-02",
        "fingerprint": "fp-ac",
        "model_hash": "sha-ac",
        "spec": "hf:ac",
        "backend": "hf",
    }
    assert columns[1].to_dict()["role"] == "competitor"


def test_every_row_of_the_matrix_is_exact() -> None:
    columns = _matrix_columns()
    matrix = build_matrix(columns, ["sst2", "qa", "ner", "chat", "code"], alpha=0.05, gap=8.0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", matrix.pop("created_utc"))
    rows = matrix.pop("rows")
    assert matrix == {
        "alpha": 0.05,
        "correction": "holm within each row (best vs every other variant)",
        "folklore_claims": {
            "base": ["summarization", "text generation", "QA"],
            "instruct": ["extraction", "sentiment", "NER", "summarization"],
            "chat": ["dialogue"],
            "code": ["code"],
        },
        "columns": [c.to_dict() for c in columns],
    }
    assert [r["use_case"] for r in rows] == ["sst2", "qa", "ner", "chat"]  # no run has code
    sst2, qa, ner, chat = rows

    def cell(accuracy: list[float], baseline: bool) -> dict[str, Any]:
        value = sum(accuracy) / N
        return {
            "value": value,
            "ci_low": value - 5,
            "ci_high": value + 5,
            "n": N,
            "few": None,
            "invalid_rate": 1.5,
            "metrics": {
                "accuracy": {
                    "value": value,
                    "ci_low": value - 5,
                    "ci_high": value + 5,
                    "n": N,
                    "method": "wilson",
                    "clusters": None,
                }
            },
            "num_fewshot": 3,
            "fingerprint": _entry("any", accuracy).fingerprint,
            "interval": {"unit": "item", "clusters": None, "method": "wilson", "confidence": 0.95},
            "baseline": {"policy": "majority", "value": 50.0, "above_all": True}
            if baseline
            else None,
        }

    versus_b = {**_comparison("b|completion", "a|chat", 20, 50)}
    versus_b["p_adjusted"] = versus_b["p_value"]
    versus_b["significant"] = True
    b_diff = paired_difference(item_statistics(right(20)), item_statistics(right(50)))
    assert sst2 == {
        "use_case": "sst2",
        "metric": "accuracy",
        "cells": {
            "b|completion": cell(right(20), True),
            "a|chat": cell(right(50), True),
            "a|completion": cell(right(59), True),
        },
        "ranking": ["a|chat", "b|completion"],
        "best": "a|chat",
        "runner_up": "b|completion",
        "comparisons": [versus_b],
        "controls": [_comparison("a|chat", "a|completion", 50, 59)],
        "winner": "a|chat",
        "winner_objective": "instruct",
        "group": "sentiment",
        "dataset": "sst2",
        "folklore": ["instruct"],
        "folklore_claim": "sentiment: instruct",
        "data_sha256": "d",
        "task_version": "1",
        "agreement": "agrees",
        "resolution": {
            "n": N,
            "min_detectable": min_detectable(b_diff.se, 0.05, sides=2),
            "gap": 8.0,
            "power": 0.8,
            "against": "b|completion",
            "items_for_gap": items_needed(b_diff.se, N, 8.0, 0.05, sides=2),
        },
        "verdict": "a|chat wins (beats every other variant, Holm)",
    }
    assert sst2["controls"][0]["difference"] == pytest.approx(15.0)
    # qa: b's score is undefined, so a ranks first; the instruct winner is not the folklore's.
    assert (qa["ranking"], qa["winner"], qa["group"], qa["dataset"]) == (
        ["a|chat", "b|completion"],
        "a|chat",
        "qa",
        None,
    )
    assert (qa["folklore"], qa["folklore_claim"], qa["agreement"]) == (
        ["base"],
        "qa: base",
        "disagrees",
    )
    assert qa["cells"]["a|chat"]["baseline"] is None and qa["controls"] == []
    # ner: only a control ran it: no competitor, nothing compared.
    assert (ner["ranking"], ner["best"], ner["runner_up"], ner["winner"]) == ([], None, None, None)
    assert (ner["comparisons"], ner["controls"], ner["resolution"]) == ([], [], {})
    assert ner["cells"]["a|completion"]["baseline"] is None
    assert (ner["verdict"], ner["agreement"], ner["winner_objective"]) == (
        "one variant: nothing to compare",
        "tie",
        None,
    )
    assert (chat["best"], chat["runner_up"], chat["folklore"]) == ("c|chat", None, ["chat"])


def test_the_markdown_table_is_exact() -> None:
    matrix = build_matrix(_matrix_columns(), ["sst2", "qa", "ner", "chat"])
    qa_verdict = "a|chat wins (beats every other variant, Holm)"
    assert matrix_markdown(matrix, "Variants") == "\n".join(
        [
            "## Variants",
            "",
            "| use case | metric | b (completion) | a (chat) | a (completion) [control] | c (chat) "
            "| verdict | folklore | agreement |",
            "|---|---|---|---|---|---|---|---|---|",
            "| sst2 | accuracy | 33.3 [28.3, 38.3] n=60 (trivial 50.0) "
            "| 83.3 [78.3, 88.3] n=60 (trivial 50.0) **★** "
            "| 98.3 [93.3, 103.3] n=60 (trivial 50.0) "
            "| — | a|chat wins (beats every other variant, Holm) | sentiment: instruct | agrees |",
            f"| qa | accuracy | — | 66.7 [61.7, 71.7] n=60 **★** | — | — | {qa_verdict} "
            "| qa: base | disagrees |",
            "| ner | accuracy | — | — | 8.3 [3.3, 13.3] n=60 | — "
            "| one variant: nothing to compare "
            "| ner: instruct | tie |",
            "| chat | accuracy | — | — | — | 11.7 [6.7, 16.7] n=60 "
            "| one variant: nothing to compare "
            "| chat: chat | tie |",
            "",
            "Cells: primary metric [95% interval] n= items (trivial: the strongest no-skill policy "
            "on the same items). ★ = winner: the best variant beats every other variant on shared "
            "items "
            "(paired test, Holm within the row, alpha 0.05). [control] = an extra prompt mode of a "
            "variant, compared with its designated mode, never a competitor. Folklore: base: "
            "summarization, text generation, QA; instruct: extraction, sentiment, NER, "
            "summarization; chat: dialogue; code: code.",
            "",
        ]
    )


def test_markdown_of_an_older_matrix_without_roles_treats_columns_as_competitors() -> None:
    matrix = build_matrix(_matrix_columns()[:2], ["sst2"])
    for column in matrix["columns"]:
        del column["designated"]
    matrix["rows"][0]["cells"]["b|completion"]["baseline"]["value"] = None
    head, _, row = matrix_markdown(matrix).splitlines()[2:5]
    assert head == (
        "| use case | metric | b (completion) | a (chat) | verdict | folklore | agreement |"
    )
    assert row.startswith(
        "| sst2 | accuracy | 33.3 [28.3, 38.3] n=60 | 83.3 [78.3, 88.3] n=60 (trivial 50.0) **★** |"
    )


def test_a_winner_must_be_ahead_on_the_shared_items_not_only_in_its_reported_score() -> None:
    """The ranking comes from the reported scores; a best whose items say it is significantly
    behind is no winner."""
    columns = [_column("a|chat", right(20), "instruct"), _column("b|chat", right(50), "chat")]
    entry = columns[0].run.use_cases["sentiment"]
    columns[0].run.use_cases["sentiment"] = replace(
        entry, metrics={"accuracy": replace(entry.primary, value=99.0)}
    )
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    (comparison,) = row["comparisons"]
    assert row["best"] == "a|chat" and comparison["difference"] == pytest.approx(-50.0)
    assert comparison["p_adjusted"] < 0.05 and comparison["significant"] is False
    assert row["winner"] is None and row["agreement"] == "tie"


def test_half_a_point_ahead_on_many_items_is_a_win() -> None:
    """Ten items of 2,000 where only the best is right: 0.5 points, significant (p ≈ 0.003)."""
    n = 2000
    best = [100.0] * 10 + [0.0] * (n - 10)
    columns = [_column("a|chat", best, "instruct"), _column("b|chat", [0.0] * n, "chat")]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert row["comparisons"][0]["difference"] == 0.5 and row["winner"] == "a|chat"


def test_a_comparison_at_exactly_alpha_is_not_significant() -> None:
    columns = [_column("a|chat", right(50), "instruct"), _column("b|chat", right(30), "chat")]
    p = build_matrix(columns, ["sentiment"])["rows"][0]["comparisons"][0]["p_adjusted"]
    row = build_matrix(columns, ["sentiment"], alpha=p)["rows"][0]
    assert row["comparisons"][0]["significant"] is False and row["winner"] is None


def test_clustered_items_widen_the_comparison() -> None:
    """Items that share a passage are compared as passages (10 units, not 60)."""
    columns = [_column("a|chat", right(45), "instruct"), _column("b|chat", right(15), "chat")]
    for column in columns:
        for i, sample in enumerate(column.run.samples("sentiment")):
            sample["cluster"] = f"passage-{i // 6}"
    (comparison,) = build_matrix(columns, ["sentiment"])["rows"][0]["comparisons"]
    clusters = [f"passage-{i // 6}" for i in range(N)]
    diff = paired_difference(
        item_statistics(right(15)), item_statistics(right(45)), clusters=clusters
    )
    assert comparison["units"] == 10 and comparison["method"] == "linearized-t"
    assert comparison["se"] == diff.se and comparison["p_value"] == diff.p_value(0.0)


def test_variants_that_share_no_items_are_named() -> None:
    a, b = _column("a|chat", right(10), "instruct"), _column("b|chat", right(20), "chat")
    for sample in b.run.samples("sentiment"):
        sample["doc_hash"] = "other-" + sample["doc_hash"]
    with pytest.raises(ValueError, match=r"^sentiment: a\|chat and b\|chat share no items$"):
        compare_columns(a, b, "sentiment")


def test_folklore_claims_in_words() -> None:
    assert folklore_claim("summarization") == "summarization: base, instruct"
    assert folklore_claim("ner") == "ner: instruct"
    assert folklore_claim("translation") == "translation: no folklore claim"


def test_the_markdown_title_defaults_to_objective_matrix() -> None:
    matrix = build_matrix([_column("a|chat", right(30), "instruct")], ["sentiment"])
    assert matrix_markdown(matrix).startswith("## Objective matrix\n\n| use case | metric |")


def test_a_use_case_without_a_folklore_claim() -> None:
    columns = [_column("a|chat", right(30), "instruct"), _column("b|chat", right(20), "chat")]
    for column in columns:
        column.run.use_cases["sentiment"] = replace(
            column.run.use_cases["sentiment"], group="translation"
        )
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert (row["group"], row["folklore"], row["folklore_claim"]) == (
        "translation",
        [],
        "translation: no folklore claim",
    )


def test_identical_continuous_scores_are_compared_without_spread() -> None:
    """Same ROUGE-like scores on every item: the difference is exactly zero, p = 1."""
    scores = [float(10 + 7 * i % 60) for i in range(N)]
    columns = [_column("a|chat", scores, "instruct"), _column("b|chat", list(scores), "chat")]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    (comparison,) = row["comparisons"]
    assert (comparison["difference"], comparison["se"], comparison["p_value"]) == (0.0, 0.0, 1.0)
    assert comparison["method"] == "linearized-t" and row["winner"] is None


def test_comparisons_use_the_use_cases_own_reducer() -> None:
    """Entity F1 from per-sentence counts, not a mean of per-sentence ratios."""

    def ner_column(key: str, tp: list[float], objective: str) -> Column:
        column = _column(key, [0.0] * N, objective)
        entry = column.run.use_cases["sentiment"]
        column.run.use_cases["sentiment"] = replace(
            entry, primary_metric="f1", primary_reducer="f1", metrics={"f1": entry.primary}
        )
        for sample, t in zip(column.run.samples("sentiment"), tp, strict=True):
            sample["scores"] = {"f1": [t, 2.0, 3.0]}
        return column

    best = [2.0] * 40 + [0.0] * 20
    other = [1.0] * 60
    columns = [ner_column("a|chat", best, "instruct"), ner_column("b|chat", other, "chat")]
    (comparison,) = build_matrix(columns, ["sentiment"])["rows"][0]["comparisons"]
    stats = [[[t, 2.0, 3.0] for t in tp] for tp in (other, best)]
    diff = paired_difference(*(item_statistics(s) for s in stats), "f1")
    assert comparison["difference"] == pytest.approx(200 * 80 / 300 - 200 * 60 / 300)
    assert (comparison["se"], comparison["p_value"]) == (diff.se, diff.p_value(0.0))


def test_holm_turns_a_row_of_raw_wins_into_a_tie() -> None:
    """The best beats each of two rivals on 5 discordant items of 60 (raw p ≈ 0.044 each, both
    below 0.05), which Holm adjusts to ≈ 0.088: no winner. Against either rival alone (no
    correction) it wins. A matrix judged on raw p-values would name it."""
    best = right(40)
    rival = [0.0] * 5 + best[5:]
    columns = [
        _column("a|chat", best, "instruct"),
        _column("b|chat", rival, "chat"),
        _column("c|completion", list(rival), "base"),
    ]
    row = build_matrix(columns, ["sentiment"])["rows"][0]
    assert all(c["p_value"] < 0.05 <= c["p_adjusted"] for c in row["comparisons"])
    assert row["winner"] is None and row["agreement"] == "tie"
    alone = build_matrix(columns[:2], ["sentiment"])["rows"][0]
    assert alone["winner"] == "a|chat"
