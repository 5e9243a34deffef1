"""The gate end to end on synthetic in-memory runs (no model): what makes two runs comparable,
how per-item scores are read, which items are shown as losses, the verdict table with its
reasons, and the exact JSON the gate writes. The same gate on real tiny-model runs is in
gate/test_cli.py; its calibration by simulation in gate/test_calibration.py."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm

from evals.decision import estimate, holm_adjust, paired_difference
from evals.decision.multiple import holm_levels
from evals.decision.power import POWER, planning_se
from evals.errors import EvalsError
from evals.gate.decide import (
    LOSSES_SHOWN,
    GateInputError,
    GateResult,
    MarginTest,
    UseCaseVerdict,
    Verdict,
    check_comparable,
    classify,
    decide,
    margin_test,
    rule_for,
)
from evals.gate.policy import GatePolicy, UseCaseRule
from evals.runs.pairing import align_items, metric_values
from evals.runs.spec import RUN_SPEC_FILE
from evals.runs.store import StoredRun
from evals.statistics import item_statistics
from tests.helpers import memory_run, stored_use_case


def _task_spec(name: str) -> dict[str, Any]:
    return {
        "version": "1",
        "group": name,
        "config_sha256": "c",
        "prompt_mode": "chat",
        "num_fewshot": 0,
        "generation": {"max_gen_toks": 8},
        "data_sha256": "d",
    }


def _records(metric: str, values: list[Any], clusters: list[str] | None = None) -> list[dict]:
    records = []
    for i, value in enumerate(values):
        record: dict[str, Any] = {
            "doc_hash": f"h{i}",
            "item_id": f"i{i}",
            "scores": {metric: value},
        }
        if clusters is not None:
            record["cluster"] = clusters[i]
        records.append(record)
    return records


def _run(
    folder: Path,
    use_cases: dict[str, tuple[dict[str, Any], list[dict]]],
    spec: dict[str, dict[str, Any]] | None = None,
) -> StoredRun:
    """A run held in memory, ``{name: (entry overrides, sample records)}``; only its run spec
    is written to ``folder`` (``spec``: per use case, fields that differ from the default)."""
    entries = {
        # The gate decides from the items; the stored value is left undefined.
        name: stored_use_case(
            name,
            [0.0] * len(records),
            value=math.nan,
            metric=extra.pop("primary_metric", "accuracy"),
            reducer=extra.pop("primary_reducer", "mean"),
            samples_files=(f"samples_{name}.jsonl", "more.jsonl"),
            **extra,
        )
        for name, (extra, records) in use_cases.items()
    }
    run_spec = {
        "model": {"backend": "hf", "model_hash": folder.name},
        "tasks": {name: {**_task_spec(name), **(spec or {}).get(name, {})} for name in use_cases},
        "versions": {"suite": folder.name, "lm_eval": "0.4.9"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RUN_SPEC_FILE).write_text(json.dumps(run_spec), encoding="utf-8")
    samples = {name: recs for name, (_, recs) in use_cases.items()}
    return memory_run(folder, entries, samples)


def _accuracy_run(folder: Path, right: list[bool], **spec: Any) -> StoredRun:
    values = [100.0 if r else 0.0 for r in right]
    return _run(folder, {"sentiment": ({}, _records("accuracy", values))}, {"sentiment": spec})


# --- check_comparable ---------------------------------------------------------------------------


def test_runs_of_the_same_spec_and_items_are_comparable_whatever_the_model(tmp_path: Path) -> None:
    run = _accuracy_run(tmp_path / "a", [True, False])
    assert check_comparable(run, _accuracy_run(tmp_path / "b", [False, False])) is None


def test_a_use_case_missing_from_the_candidate_is_named(tmp_path: Path) -> None:
    base = _run(
        tmp_path / "a",
        {"qa": ({}, _records("accuracy", [0.0])), "ner": ({}, _records("accuracy", [0.0]))},
    )
    cand = _run(tmp_path / "b", {"qa": ({}, _records("accuracy", [0.0]))})
    with pytest.raises(GateInputError) as err:
        check_comparable(base, cand)
    assert str(err.value) == "use case ner is in the baseline but not in the candidate run"
    assert isinstance(err.value, EvalsError)
    check_comparable(cand, base)  # extra use cases of the candidate are not compared


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", "2"),
        ("prompt_mode", "completion"),
        ("num_fewshot", 5),
        ("generation", {"max_gen_toks": 8, "temperature": 1.0}),
        ("data_sha256", "e"),
    ],
)
def test_a_spec_field_that_differs_is_named_with_both_values_and_the_way_out(
    tmp_path: Path, field: str, value: Any
) -> None:
    base = _accuracy_run(tmp_path / "a", [True, False])
    cand = _accuracy_run(tmp_path / "b", [True, False], **{field: value})
    with pytest.raises(GateInputError) as err:
        check_comparable(base, cand)
    key = f"tasks.sentiment.{field}"
    before = _task_spec("sentiment")[field]
    after = value
    if field == "generation":
        key, before, after = f"{key}.temperature", None, 1.0
    assert str(err.value) == (
        f"not comparable: {key} differs (baseline {before!r}, candidate {after!r}); "
        f"to compare anyway: --allow-different {key.rsplit('.', 1)[-1]}"
    )
    check_comparable(base, cand, allow=(key.rsplit(".", 1)[-1],))


def test_runs_at_different_limits_are_told_to_use_one_limit(tmp_path: Path) -> None:
    """Two LIMITs draw (almost) disjoint samples: allowing the field would only lead to the next
    sampling field and then to "different items". The line says what to do instead."""
    base = _accuracy_run(tmp_path / "a", [True, False], limit=48)
    cand = _accuracy_run(tmp_path / "b", [True, False], limit=100)
    with pytest.raises(GateInputError) as err:
        check_comparable(base, cand)
    assert str(err.value) == (
        "not comparable: tasks.sentiment.limit differs (baseline 48, candidate 100); runs at "
        "different LIMITs score different items: evaluate both at the same LIMIT"
    )


def test_runs_that_scored_different_items_are_named_with_the_counts(tmp_path: Path) -> None:
    base = _accuracy_run(tmp_path / "a", [True, True, False])
    cand = _accuracy_run(tmp_path / "b", [True, True])
    cand.samples("sentiment").append({"doc_hash": "other", "scores": {"accuracy": 0.0}})
    cand.samples("sentiment").append({"doc_hash": "another", "scores": {"accuracy": 0.0}})
    with pytest.raises(GateInputError) as err:
        check_comparable(base, cand)
    assert str(err.value) == (
        "use case sentiment: the runs scored different items (3 in the baseline, 4 in the "
        "candidate, 2 shared)"
    )


# --- reading items --------------------------------------------------------------------------------


def test_items_are_paired_by_hash_in_the_first_runs_order() -> None:
    a = [{"doc_hash": "x", "v": 1}, {"doc_hash": "y", "v": 2}, {"doc_hash": "z", "v": 3}]
    b = [{"doc_hash": "z", "v": 30}, {"doc_hash": "x", "v": 10}]
    assert align_items(a, b) == [(a[0], b[1]), (a[2], b[0])]


def test_metric_values_are_per_item_statistics() -> None:
    pairs = [
        ({"scores": {"m": 1}}, {"scores": {"m": 2.5}}),
        ({"scores": {"m": 0}}, {"scores": {"m": 100.0}}),
    ]
    assert metric_values(pairs, "m", 0, "w").tolist() == [[1.0, 1.0], [0.0, 1.0]]
    assert metric_values(pairs, "m", 1, "w").tolist() == [[2.5, 1.0], [100.0, 1.0]]
    vectors = [({"scores": {"f1": [1, 2, 3]}}, {}), ({"scores": {"f1": [0, 1.5, 2]}}, {})]
    assert metric_values(vectors, "f1", 0, "w").tolist() == [[1, 2, 3], [0, 1.5, 2]]


@pytest.mark.parametrize(
    "value",
    [
        None,
        "50",
        True,
        False,
        float("nan"),
        float("inf"),
        -float("inf"),
        [],
        [1.0, None],
        [1.0, True],
        [float("nan"), 1.0],
        {"a": 1},
    ],
)
def test_a_missing_or_non_numeric_score_is_bad_input_named(value: Any) -> None:
    good = {"item_id": "ok", "scores": {"acc": 100.0}}
    bad = {"item_id": "q7", "scores": {"acc": value}}
    with pytest.raises(GateInputError) as err:
        metric_values([(good, good), (good, bad)], "acc", 1, "candidate qa")
    assert str(err.value) == f"candidate qa: item 'q7' has no numeric 'acc' (got {value!r})"


def test_an_absent_metric_and_item_id_are_named() -> None:
    with pytest.raises(GateInputError) as err:
        metric_values([({"scores": {}}, {})], "f1", 0, "baseline ner")
    assert str(err.value) == "baseline ner: item None has no numeric 'f1' (got None)"


# --- decide ---------------------------------------------------------------------------------------

N = 40


def _pass_fail(right: range | list[int]) -> list[float]:
    return [100.0 if i in right else 0.0 for i in range(N)]


def _ner_counts(tp: list[int]) -> list[list[float]]:
    """Per-sentence [tp, predicted, gold]: 2 gold entities and 2 predicted in each."""
    return [[float(t), 2.0, 2.0] for t in tp]


def _runs(tmp_path: Path) -> tuple[StoredRun, StoredRun]:
    """sentiment: the candidate loses 14 of 30 right answers (a clear drop); ner (entity F1,
    its own reducer, grouped under a policy rule): candidate F1 within noise; qa (clustered
    continuous scores): small differences, with some losses of different sizes."""
    qa_base = [50.0 + (i % 5) * 10 for i in range(N)]
    qa_cand = list(qa_base)
    for passage, loss in enumerate((10, 20, 10, 5, 15, 10, 20, 5, 10, -5)):
        qa_cand[4 * passage + 1] -= loss  # the second question of each passage
    clusters = [f"p{i // 4}" for i in range(N)]
    base = _run(
        tmp_path / "base",
        {
            "sentiment": ({}, _records("accuracy", _pass_fail(range(30)))),
            "ner": (
                {"primary_metric": "f1", "primary_reducer": "f1", "group": "extraction"},
                _records("f1", _ner_counts([2, 1, 2, 0] * 10)),
            ),
            "qa": ({"primary_metric": "f1"}, _records("f1", qa_base, clusters)),
        },
    )
    cand = _run(
        tmp_path / "cand",
        {
            "sentiment": ({}, _records("accuracy", _pass_fail(range(14, 30)))),
            "ner": (
                {"primary_metric": "f1", "primary_reducer": "f1", "group": "extraction"},
                _records("f1", _ner_counts([2, 2, 1, 0] * 10)),
            ),
            "qa": ({"primary_metric": "f1"}, _records("f1", qa_cand, clusters)),
        },
    )
    return base, cand


POLICY = GatePolicy(
    alpha=0.1,
    confidence=0.9,
    default=UseCaseRule(max_drop=3.0, min_n=10, planning_discordance=0.0004),
    rules={
        "sentiment": UseCaseRule(max_drop=5.0),
        "extraction": UseCaseRule(max_relative_drop=0.25, required=False, min_n=N + 1),
    },
)


def test_decide_compares_every_use_case_of_the_baseline_exactly(tmp_path: Path) -> None:
    base, cand = _runs(tmp_path)
    result = decide(base, cand, POLICY)
    assert [v.use_case for v in result.verdicts] == ["sentiment", "ner", "qa"]
    assert (result.baseline, result.candidate, result.policy) == (base, cand, POLICY)
    spec = {
        "sentiment": ("accuracy", "mean", None),
        "ner": ("f1", "f1", None),
        "qa": ("f1", "mean", [f"p{i // 4}" for i in range(N)]),
    }
    diffs, ests = {}, {}
    for name, (metric, reducer, clusters) in spec.items():
        stats = [
            item_statistics([s["scores"][metric] for s in run.samples(name)])
            for run in (base, cand)
        ]
        diffs[name] = paired_difference(*stats, reducer, clusters=clusters)
        ests[name] = [estimate(s, reducer, clusters=clusters, confidence=0.9) for s in stats]
    margins = {"sentiment": 5.0, "ner": 0.25 * ests["ner"][0].value, "qa": 3.0}
    raw = {name: diffs[name].p_value(-margins[name], "less") for name in spec}
    adjusted, levels = holm_adjust(raw), holm_levels(raw, 0.1)
    for verdict in result.verdicts:
        name = verdict.use_case
        diff = diffs[name]
        metric, reducer, clusters = spec[name]
        base_stats = item_statistics([s["scores"][metric] for s in base.samples(name)])
        planned = planning_se(
            base_stats,
            reducer,
            clusters,
            score_range=100.0,
            margin=margins[name],
            discordance=verdict.rule.planning_discordance,
            pass_fail=diff.discordant is not None,
        )
        assert verdict.test == MarginTest(
            difference=diff,
            margin=margins[name],
            alpha=0.1,
            holm_level=levels[name],
            p_regression=raw[name],
            p_regression_holm=adjusted[name],
            p_noninferior=diff.p_value(-margins[name], "greater"),
            p_superior=diff.p_value(0.0, "greater"),
            design_se=planned,
        )
        assert (verdict.baseline, verdict.candidate) == tuple(ests[name])
        assert verdict.comparisons == 3 and verdict.n == N
        assert (verdict.verdict, verdict.reason) == classify(verdict.test, N, verdict.rule.min_n)
    by_name = {v.use_case: v for v in result.verdicts}
    assert by_name["sentiment"].rule == UseCaseRule(max_drop=5.0)
    assert by_name["ner"].rule == POLICY.rules["extraction"]
    assert by_name["qa"].rule == POLICY.default
    assert diffs["sentiment"].value == -35.0 and diffs["sentiment"].discordant == (14, 0)
    assert diffs["qa"].units == 10 and diffs["qa"].method == "linearized-t"
    assert ests["ner"][0].value == pytest.approx(62.5) and margins["ner"] == pytest.approx(15.625)
    assert {v.use_case: v.verdict for v in result.verdicts} == {
        "sentiment": Verdict.REGRESSION,
        "ner": Verdict.UNDERPOWERED,
        "qa": Verdict.INCONCLUSIVE,
    }
    assert by_name["ner"].reason == f"only {N} items (policy min_n {N + 1})"
    assert {v.use_case: v.metric for v in result.verdicts} == {
        "sentiment": "accuracy",
        "ner": "f1",
        "qa": "f1",
    }
    assert (result.passed, result.status, result.exit_code) == (False, "FAIL", 1)


def test_biggest_losses_are_the_largest_drops_of_the_candidate_in_its_samples(
    tmp_path: Path,
) -> None:
    base, cand = _runs(tmp_path)
    by_name = {v.use_case: v for v in decide(base, cand, POLICY).verdicts}

    def loss(item: int, b: float, c: float, name: str = "qa") -> dict[str, Any]:
        return {
            "item_id": f"i{item}",
            "baseline": b,
            "candidate": c,
            "samples": f"{tmp_path}/cand/samples_{name}.jsonl",
        }

    # 20 lost on items 5 and 25 (in item order), then 15 on item 17; 10 lost on four more.
    assert by_name["qa"].biggest_losses == (
        loss(5, 50.0, 30.0),
        loss(25, 50.0, 30.0),
        loss(17, 70.0, 55.0),
    )
    assert LOSSES_SHOWN == 3
    assert by_name["sentiment"].biggest_losses == tuple(
        loss(i, 100.0, 0.0, "sentiment") for i in range(3)
    )
    # Entity F1 per sentence (not tp / predicted): 2 of 2 found → 1 of 2 found is 100 → 50.
    assert by_name["ner"].biggest_losses[0] == loss(2, 100.0, 50.0, "ner")
    assert len(by_name["ner"].biggest_losses) == 3


def test_only_items_the_candidate_lost_are_shown_named_as_in_the_baseline(
    tmp_path: Path,
) -> None:
    """Two items lost (one by half a point), one gained, two unchanged: two losses shown."""
    base = _run(tmp_path / "b", {"qa": ({}, _records("accuracy", [10.0, 20.0, 30.0, 40.0, 50.0]))})
    cand_records = _records("accuracy", [10.0, 25.0, 0.0, 40.0, 49.5])
    for record in cand_records:
        record["item_id"] = "cand-" + record["item_id"]
    cand = _run(tmp_path / "c", {"qa": ({}, cand_records)})
    (verdict,) = decide(base, cand, GatePolicy()).verdicts
    samples = f"{tmp_path}/c/samples_qa.jsonl"
    assert verdict.biggest_losses == (
        {"item_id": "i2", "baseline": 30.0, "candidate": 0.0, "samples": samples},
        {"item_id": "i4", "baseline": 50.0, "candidate": 49.5, "samples": samples},
    )
    same = decide(base, base, GatePolicy()).verdicts[0]
    assert same.biggest_losses == ()


def test_equal_losses_are_shown_in_item_order(tmp_path: Path) -> None:
    """20 items, every even one 20 points down and every odd one 10: items 0, 2, 4."""
    base = _run(tmp_path / "b", {"qa": ({}, _records("accuracy", [50.0] * 20))})
    cand_values = [30.0 if i % 2 == 0 else 40.0 for i in range(20)]
    cand = _run(tmp_path / "c", {"qa": ({}, _records("accuracy", cand_values))})
    (verdict,) = decide(base, cand, GatePolicy()).verdicts
    assert [loss["item_id"] for loss in verdict.biggest_losses] == ["i0", "i2", "i4"]


def test_a_relative_margin_on_an_undefined_baseline_is_zero(tmp_path: Path) -> None:
    """Nothing in the baseline could be scored (every weight 0): no score to take a share of."""
    nothing = [[0.0, 0.0]] * 30
    run = _run(tmp_path, {"chat": ({"primary_metric": "rating"}, _records("rating", nothing))})
    policy = GatePolicy(rules={"chat": UseCaseRule(max_relative_drop=0.5)})
    (verdict,) = decide(run, run, policy).verdicts
    assert not verdict.baseline.defined and verdict.margin == 0.0


def test_decide_reads_bad_scores_of_either_run_as_bad_input(tmp_path: Path) -> None:
    base = _accuracy_run(tmp_path / "a", [True, False])
    cand = _accuracy_run(tmp_path / "b", [True, False])
    cand.samples("sentiment")[1]["scores"]["accuracy"] = "n/a"
    with pytest.raises(GateInputError, match=r"^candidate sentiment: item 'i1' has no numeric"):
        decide(base, cand, GatePolicy())
    with pytest.raises(GateInputError, match=r"^baseline sentiment: item 'i1' has no numeric"):
        decide(cand, base, GatePolicy())


def test_decide_stops_on_incomparable_runs_unless_the_difference_is_allowed(
    tmp_path: Path,
) -> None:
    base = _accuracy_run(tmp_path / "a", [True, False])
    cand = _accuracy_run(tmp_path / "b", [True, False], num_fewshot=5)
    with pytest.raises(GateInputError, match=r"^not comparable: tasks\.sentiment\.num_fewshot"):
        decide(base, cand, GatePolicy())
    allowed = decide(base, cand, GatePolicy(), ("num_fewshot",))
    assert allowed.allowed_differences == ("num_fewshot",)
    assert decide(base, base, GatePolicy()).allowed_differences == ()


def test_rules_are_looked_up_by_benchmark_then_group_then_default() -> None:
    policy = GatePolicy(
        default=UseCaseRule(max_drop=9.0),
        rules={"sst2": UseCaseRule(max_drop=1.0), "sentiment": UseCaseRule(max_drop=4.0)},
    )
    assert rule_for(policy, "sst2", "sentiment").max_drop == 1.0
    assert rule_for(policy, "tweet_eval", "sentiment").max_drop == 4.0
    assert rule_for(policy, "sentiment", "").max_drop == 4.0
    assert rule_for(policy, "sentiment", None).max_drop == 4.0
    assert rule_for(policy, "qa", "qa").max_drop == 9.0


# --- the statistic and its JSON -------------------------------------------------------------------


def _diff(only_a: int, only_b: int, n: int = 100) -> Any:
    a = [100.0] * only_a + [0.0] * only_b + [100.0] * (n - only_a - only_b)
    b = [0.0] * only_a + [100.0] * only_b + [100.0] * (n - only_a - only_b)
    return paired_difference(item_statistics(a), item_statistics(b))


def test_margin_test_alone_is_its_own_holm_family() -> None:
    diff = _diff(6, 2)
    test = margin_test(diff, 2.0, 0.05)
    assert test == MarginTest(
        difference=diff,
        margin=2.0,
        alpha=0.05,
        holm_level=0.05,
        p_regression=diff.p_value(-2.0, "less"),
        p_regression_holm=diff.p_value(-2.0, "less"),
        p_noninferior=diff.p_value(-2.0, "greater"),
        p_superior=diff.p_value(0.0, "greater"),
    )
    held = margin_test(diff, 2.0, 0.05, p_regression_holm=0.5, holm_level=0.01)
    assert (held.p_regression_holm, held.holm_level) == (0.5, 0.01)
    assert held.p_regression == test.p_regression


def test_margin_test_to_dict_is_exact() -> None:
    diff = _diff(6, 2)
    test = margin_test(diff, 2.0, 0.05, p_regression_holm=0.3, holm_level=0.025)
    se = diff.null_se(-2.0)
    power = float(norm.cdf(2.0 / se - norm.ppf(0.95)))
    detectable = 2.0 + (norm.ppf(1 - 0.05 / 3) + norm.ppf(0.8)) * se
    assert test.to_dict(3) == {
        "statistic": "paired-proportions",
        "difference": {
            "value": -4.0,
            "se": diff.se,
            "n": 100,
            "units": 100,
            "method": "paired-proportions",
            "discordant": [6, 2],
        },
        "null": -2.0,
        "p_regression": diff.p_value(-2.0, "less"),
        "p_regression_holm": 0.3,
        "holm_level": 0.025,
        "upper_bound": diff.upper_bound(0.025),
        "p_noninferior": diff.p_value(-2.0, "greater"),
        "lower_bound": diff.lower_bound(0.05),
        "p_superior": diff.p_value(0.0, "greater"),
        "design_se": se,
        "power_no_change": pytest.approx(power, rel=1e-12),
        "min_detectable_drop": pytest.approx(detectable, rel=1e-12),
    }
    assert test.upper_bound != diff.upper_bound(0.05)
    assert test.min_detectable_drop(0) == test.min_detectable_drop(1)
    assert test.min_detectable_drop(1) == pytest.approx(2.0 + (norm.ppf(0.95) + norm.ppf(0.8)) * se)


def test_null_se_with_nothing_differing_at_zero_margin_takes_one_items_drop() -> None:
    """Identical continuous scores, zero allowed drop: the variance a drop of one item's full
    score could have (100 / n points), not zero, so power is not claimed out of nothing."""
    same = item_statistics([float(v) for v in range(30)])
    test = margin_test(paired_difference(same, same), 0.0, 0.05)
    one_item = 100.0 / 30
    assert test.null_se == pytest.approx(np.sqrt(one_item * (100 - one_item) / 30))
    at_margin = margin_test(paired_difference(same, same), 4.0, 0.05)
    assert at_margin.null_se == pytest.approx(np.sqrt(4.0 * 96.0 / 30))


def test_null_se_of_a_single_pass_fail_item_at_zero_margin() -> None:
    """One item: a drop of one item's full score is the whole 100 points (no share of it)."""
    one = item_statistics([100.0])
    test = margin_test(paired_difference(one, one), 0.0, 0.05)
    assert test.null_se == 0.0 and test.power_no_change == 0.0


def _verdict(verdict: Verdict, required: bool = True) -> UseCaseVerdict:
    diff = _diff(3, 3)
    test = margin_test(diff, 2.0, 0.05)
    est = estimate(item_statistics([100.0] * 80 + [0.0] * 20))
    return UseCaseVerdict(
        use_case="qa",
        metric="f1",
        baseline=est,
        candidate=est,
        test=test,
        comparisons=2,
        rule=UseCaseRule(max_drop=2.0, required=required),
        verdict=verdict,
        reason="why",
        biggest_losses=({"item_id": "x"},),
    )


def test_use_case_verdict_to_dict_is_exact() -> None:
    v = _verdict(Verdict.INCONCLUSIVE)
    assert v.to_dict() == {
        "use_case": "qa",
        "metric": "f1",
        "n": 100,
        "baseline": v.baseline.to_dict(),
        "candidate": v.candidate.to_dict(),
        "test": v.test.to_dict(2),
        "margin": 2.0,
        "required": True,
        "verdict": "INCONCLUSIVE",
        "reason": "why",
        "min_detectable_drop": v.test.min_detectable_drop(2),
        "biggest_losses": [{"item_id": "x"}],
    }
    assert v.min_detectable == v.test.min_detectable_drop(2) != v.test.min_detectable_drop(1)
    assert v.baseline.to_dict()["value"] == 80.0
    assert _verdict(Verdict.PASS, required=False).to_dict()["required"] is False


@pytest.mark.parametrize("verdict", list(Verdict))
@pytest.mark.parametrize("fail_on_underpowered", [False, True])
@pytest.mark.parametrize("fail_on_inconclusive", [False, True])
def test_which_verdicts_fail_the_gate(
    verdict: Verdict, fail_on_underpowered: bool, fail_on_inconclusive: bool
) -> None:
    policy = GatePolicy(
        fail_on_underpowered=fail_on_underpowered, fail_on_inconclusive=fail_on_inconclusive
    )
    expected = (
        verdict is Verdict.REGRESSION
        or (verdict is Verdict.UNDERPOWERED and fail_on_underpowered)
        or (verdict is Verdict.INCONCLUSIVE and fail_on_inconclusive)
    )
    assert _verdict(verdict).fails(policy) is expected
    assert _verdict(verdict, required=False).fails(policy) is False


@pytest.mark.parametrize(
    ("verdicts", "status"),
    [
        ([Verdict.PASS, Verdict.IMPROVED], "PASS"),
        ([], "PASS"),
        ([Verdict.PASS, Verdict.INCONCLUSIVE], "INCONCLUSIVE"),
        ([Verdict.UNDERPOWERED, Verdict.PASS], "UNDERPOWERED"),
        ([Verdict.INCONCLUSIVE, Verdict.UNDERPOWERED], "UNDERPOWERED"),
        ([Verdict.UNDERPOWERED, Verdict.REGRESSION], "FAIL"),
    ],
)
def test_gate_status_is_fail_else_the_weakest_finding(verdicts: list, status: str) -> None:
    run = StoredRun(Path("a"), {"use_cases": {}})
    result = GateResult(tuple(_verdict(v) for v in verdicts), GatePolicy(), run, run)
    assert result.status == status
    assert (result.passed, result.exit_code) == ((True, 0) if status != "FAIL" else (False, 1))
    # Only a gate where every use case showed PASS or IMPROVED reads as a pass.
    shown_safe = all(v in (Verdict.PASS, Verdict.IMPROVED) for v in verdicts)
    assert (result.headline == "PASS") is shown_safe
    assert result.headline.startswith("not shown safe") is (status not in ("PASS", "FAIL"))


def test_an_optional_regression_is_named_in_the_headline() -> None:
    run = StoredRun(Path("a"), {"use_cases": {}})
    optional = _verdict(Verdict.REGRESSION, required=False)
    passing = GateResult((optional, _verdict(Verdict.PASS)), GatePolicy(), run, run)
    assert passing.headline == "PASS (REGRESSION in optional qa)"
    weak = GateResult((optional, _verdict(Verdict.UNDERPOWERED)), GatePolicy(), run, run)
    assert weak.headline.startswith("not shown safe (UNDERPOWERED, REGRESSION in optional qa")


def test_an_optional_regression_does_not_fail_the_gate() -> None:
    run = StoredRun(Path("a"), {"use_cases": {}})
    optional = _verdict(Verdict.REGRESSION, required=False)
    result = GateResult((optional, _verdict(Verdict.PASS)), GatePolicy(), run, run)
    assert (result.passed, result.status, result.exit_code) == (True, "PASS", 0)
    strict = GatePolicy(fail_on_inconclusive=True)
    weak = GateResult((_verdict(Verdict.INCONCLUSIVE),), strict, run, run)
    assert (weak.passed, weak.status, weak.exit_code) == (False, "FAIL", 1)


# --- classify: every row of the verdict table, its reason and its boundaries ---------------------


def _test(**p: float) -> MarginTest:
    base = margin_test(_diff(10, 10, 2000), 2.5, 0.05)
    return replace(base, **p)


def test_fewer_items_than_min_n_is_underpowered_and_exactly_min_n_is_not() -> None:
    test = _test(p_regression_holm=0.9, p_noninferior=0.001, p_superior=0.5)
    assert classify(test, 19, 20) == (Verdict.UNDERPOWERED, "only 19 items (policy min_n 20)")
    assert classify(test, 20, 20)[0] is Verdict.PASS


@pytest.mark.parametrize("n", [1, 16, 19, 20, 2000])
def test_a_shown_regression_is_a_regression_whatever_n_is(n: int) -> None:
    """Before: 19 of 19 items lost (p = 1.6e-5) was UNDERPOWERED below min_n, and the shipped
    policy let the gate pass."""
    test = _test(p_regression_holm=0.001, p_noninferior=0.9, p_superior=0.9)
    assert classify(test, n, 20)[0] is Verdict.REGRESSION
    assert classify(test, n, n + 1)[0] is Verdict.REGRESSION


def test_regression_reason_and_its_strict_boundary() -> None:
    test = _test(p_regression_holm=0.0123456)
    bound = test.difference.upper_bound(0.05)
    assert classify(test, 2000, 20) == (
        Verdict.REGRESSION,
        (f"drop beyond the allowed 2.5: upper bound {bound:+.2f} < -2.5 (p=0.0123, Holm)"),
    )
    at_alpha = _test(p_regression_holm=0.05, p_noninferior=0.5, p_superior=0.9)
    assert classify(at_alpha, 2000, 20)[0] is not Verdict.REGRESSION


def test_pass_and_improved_reasons_and_their_strict_boundaries() -> None:
    passing = _test(p_regression_holm=0.9, p_noninferior=0.00123456, p_superior=0.05)
    low = passing.difference.lower_bound(0.05)
    assert classify(passing, 2000, 20) == (
        Verdict.PASS,
        (f"no drop beyond 2.5: lower bound {low:+.2f} > -2.5 (p=0.00123)"),
    )
    improved = _test(p_regression_holm=0.9, p_noninferior=0.01, p_superior=0.000123456)
    assert classify(improved, 2000, 20) == (Verdict.IMPROVED, "gain shown (p=0.000123)")
    at_alpha = _test(p_regression_holm=0.9, p_noninferior=0.05, p_superior=0.01)
    assert classify(at_alpha, 2000, 20)[0] not in (Verdict.PASS, Verdict.IMPROVED)


def test_underpowered_and_inconclusive_reasons() -> None:
    weak = margin_test(_diff(2, 2, 40), 3.0, 0.05)
    assert weak.power_no_change == pytest.approx(0.1437, abs=1e-4)
    assert classify(weak, 40, 20) == (
        Verdict.UNDERPOWERED,
        (
            "these items cannot detect a drop of the allowed size: 40 items show no drop beyond 3 "
            "only 14% of the time even with no change"
        ),
    )
    strong = _test(p_regression_holm=0.5, p_noninferior=0.5, p_superior=0.5)
    assert strong.power_no_change >= POWER
    low, high = strong.difference.lower_bound(0.05), strong.difference.upper_bound(0.05)
    assert classify(strong, 2000, 20) == (
        Verdict.INCONCLUSIVE,
        (f"the interval [{low:+.2f}, {high:+.2f}] straddles the allowed drop -2.5"),
    )
