from pathlib import Path

import pytest

from evals.errors import DataError, TaskConfigError
from evals.usecases import discover_use_cases, select_use_cases
from tests.helpers import TASKS_DIR

MINIMUM_ITEMS = {"sentiment": 60, "ner": 60, "qa": 60, "summarization": 30, "chat": 25, "code": 40}


def test_six_use_cases_with_primary_metrics() -> None:
    found = discover_use_cases(TASKS_DIR)
    assert {n for n, u in found.items() if u.benchmark is None} == set(MINIMUM_ITEMS)
    assert all(found[n].group == n for n in MINIMUM_ITEMS)
    assert found["summarization"].primary_metric == "rougeLsum"
    assert found["ner"].primary_metric == "f1"
    assert found["qa"].primary_metric == "f1"
    assert found["sentiment"].primary_metric == "accuracy"
    assert found["code"].primary_metric == "pass_at_1" and found["code"].fewshot_completion == 0
    assert found["chat"].kind == "multiturn" and found["chat"].primary_metric == "turn_pass_rate"
    assert [t.name for t in found["sentiment"].tasks] == ["sentiment", "sentiment_choice"]
    assert found["sentiment"].tasks[1].needs_loglikelihood


@pytest.mark.parametrize("name", sorted(MINIMUM_ITEMS))
def test_bundled_data_is_big_enough_and_loads(name: str) -> None:
    use_case = discover_use_cases(TASKS_DIR)[name]
    hooks = use_case.module()
    if use_case.kind == "multiturn":
        from evals.data import read_jsonl

        rows = read_jsonl(
            use_case.folder / use_case.config["data"], ("id", "turns"), hooks.check_row
        )
        assert all(2 <= len(r["turns"]) <= 4 for r in rows)
        assert len(rows) >= MINIMUM_ITEMS[name]
        return
    dataset = hooks.load_dataset()
    assert len(dataset["test"]) >= MINIMUM_ITEMS[name]
    if use_case.fewshot_completion == 0:  # zero-shot (code): no pool at all
        assert set(dataset) == {"test"}
        return
    assert len(dataset["fewshot"]) >= use_case.fewshot_completion
    test_ids = set(dataset["test"]["id"])
    assert not test_ids & set(dataset["fewshot"]["id"])


def test_select_in_order_and_unknown_name() -> None:
    assert [u.name for u in select_use_cases("qa, ner", TASKS_DIR)] == ["qa", "ner"]
    with pytest.raises(TaskConfigError, match="unknown use case 'nerr'"):
        select_use_cases("nerr", TASKS_DIR)


def test_bad_rows_name_file_and_line(tmp_path: Path) -> None:
    from evals.data import read_jsonl

    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"id": "a", "text": "x", "label": "positive"}\n'
        '{"id": "a", "text": "y", "label": "positive"}\n'
    )
    with pytest.raises(DataError, match=r"rows.jsonl:2: duplicate id 'a'"):
        read_jsonl(path, ("id", "text"))
    path.write_text('{"id": "a"}\n')
    with pytest.raises(DataError, match=r"rows.jsonl:1: missing field\(s\) text"):
        read_jsonl(path, ("id", "text"))
    path.write_text("[1, 2]\n")
    with pytest.raises(DataError, match="must be a JSON object"):
        read_jsonl(path)
