"""Each use case's metric as a Hugging Face ``evaluate`` module (``tasks/<name>/<name>.py``):
loaded offline from its path, it gives exactly what ``evals score`` gives on the same inputs
written to files, on real data with imperfect predictions (one definition, two entry points).
No network: every socket connection fails the test."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals import sandbox
from evals.cli import main
from evals.score import read_conll
from evals.versions import code_sha256
from tests.conftest import shared_data
from tests.helpers import TASKS_DIR, requires

MODULES = ("ner", "sentiment", "qa", "summarization", "code", "chat")


@pytest.fixture(scope="module", autouse=True)
def offline() -> Iterator[None]:
    """The hub's offline switches on, and any network connection an error."""
    patch = pytest.MonkeyPatch()
    patch.setenv("HF_EVALUATE_OFFLINE", "1")
    patch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args}")

    for name in ("create_connection", "getaddrinfo"):
        patch.setattr(socket, name, refuse)
    patch.setattr(socket.socket, "connect", refuse)
    yield
    patch.undo()


def load(name: str, config_name: str | None = None) -> Any:
    """The module from its script's path (a path that exists: nothing is looked up)."""
    import evaluate

    module = evaluate.load(str(TASKS_DIR / name / f"{name}.py"), config_name, keep_in_memory=True)
    assert type(module).__module__.split(".")[-1] == name
    return module


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(["score", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_every_use_case_folder_has_a_module_that_loads_by_folder_too() -> None:
    import evaluate

    import evals

    assert Path(evals.__file__).resolve().parent.parent == TASKS_DIR.parent  # this checkout's
    assert {p.parent.name for p in TASKS_DIR.glob("*/usecase.py")} == set(MODULES)
    for name in MODULES:
        by_folder = evaluate.load(str(TASKS_DIR / name), keep_in_memory=True)
        info = by_folder.info
        assert info.description.strip() and info.citation.strip() and info.features
        assert "evals score" in info.description


def test_ner_on_conll2003(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sentences = read_conll(shared_data("conll2003", "eng.testb"))[:400]
    gold = [tags for _, tags in sentences]
    pred = []
    for k, tags in enumerate(gold):  # every 3rd sentence: PER read as ORG; every 5th: LOC missed
        new = [t.replace("PER", "ORG") if k % 3 == 0 else t for t in tags]
        pred.append(["O" if k % 5 == 0 and "LOC" in t else t for t in new])
    for path, tag_lists in (("gold", gold), ("pred", pred)):
        lines = []
        for (tokens, _), tags in zip(sentences, tag_lists, strict=True):
            lines += [f"{token} {tag}" for token, tag in zip(tokens, tags, strict=True)] + [""]
        (tmp_path / path).write_text("\n".join(lines))
    expected = cli(capsys, "ner", str(tmp_path / "gold"), str(tmp_path / "pred"))
    result = load("ner").compute(predictions=pred, references=gold)
    assert result == expected
    assert 50 < result["f1"] < 95 and result["f1_PER"] < result["f1_MISC"]


def test_sentiment_on_sst2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = shared_data("sst2", "dev.tsv").read_text().splitlines()[1:]
    gold = ["positive" if row.rsplit("\t", 1)[1] == "1" else "negative" for row in rows]
    flip = {"positive": "negative", "negative": "positive"}
    pred = [("" if k % 11 == 5 else flip[g] if k % 4 == 0 else g) for k, g in enumerate(gold)]
    (tmp_path / "gold").write_text("\n".join(gold) + "\n")
    (tmp_path / "pred").write_text("\n".join(pred) + "\n")
    assert len(gold) == 872
    expected = cli(capsys, "sentiment", str(tmp_path / "gold"), str(tmp_path / "pred"))
    assert load("sentiment").compute(predictions=pred, references=gold) == expected
    assert 60 < expected["accuracy"] < 75
    for metric in ("macro_f1", "macro_recall"):  # --metric, as a config name and as an argument
        only = cli(
            capsys, "sentiment", str(tmp_path / "gold"), str(tmp_path / "pred"), "--metric", metric
        )
        assert load("sentiment", metric).compute(predictions=pred, references=gold) == only
        assert load("sentiment").compute(predictions=pred, references=gold, metric=metric) == only


def test_qa_on_squad_v2_and_a_squad_v1_leaderboard_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(shared_data("squad_v2.0", "dev-v2.0.reconstructed.json").read_text())
    subset = {"version": data["version"], "data": data["data"][:2]}
    qas = [qa for a in subset["data"] for p in a["paragraphs"] for qa in p["qas"]]
    contexts = {
        qa["id"]: p["context"] for a in subset["data"] for p in a["paragraphs"] for qa in p["qas"]
    }
    answers = {}
    for k, qa in enumerate(qas):  # right, no answer, a wrong span, a padded answer, right
        gold = qa["answers"][0]["text"] if qa["answers"] else ""
        wrong = " ".join(contexts[qa["id"]].split()[:3])
        answers[qa["id"]] = [gold, "", wrong, f"it is {gold} now", gold][k % 5]
    (tmp_path / "gold.json").write_text(json.dumps(subset))
    (tmp_path / "pred.json").write_text(json.dumps(answers))
    expected = cli(capsys, "squad", str(tmp_path / "gold.json"), str(tmp_path / "pred.json"))
    references = [
        {
            "id": qa["id"],
            "answers": {
                "text": [a["text"] for a in qa["answers"]],
                "answer_start": [a["answer_start"] for a in qa["answers"]],
            },
        }
        for qa in qas
    ]
    predictions = [{"id": qa["id"], "prediction_text": answers[qa["id"]]} for qa in qas]
    result = load("qa").compute(predictions=predictions, references=references)
    assert result == expected and result["version"] == "2.0" and result["n"] == 626
    assert 40 < result["f1"] < 80 and result["no_answer_f1"] is not None

    root = shared_data("squad_v1.1")
    system = "predictions/match_lstm_boundary_ensemble_smu.json"
    expected = cli(capsys, "squad", str(root / "dev-v1.1.reconstructed.json"), str(root / system))
    gold_v1 = json.loads((root / "dev-v1.1.reconstructed.json").read_text())
    file_answers = json.loads((root / system).read_text())
    qas = [qa for a in gold_v1["data"] for p in a["paragraphs"] for qa in p["qas"]]
    references = [
        {
            "id": qa["id"],
            "answers": {
                "text": [a["text"] for a in qa["answers"]],
                "answer_start": [a["answer_start"] for a in qa["answers"]],
            },
        }
        for qa in qas
    ]
    # A question the file does not answer gets "" here: 0 on v1.1, as a missing id is.
    predictions = [
        {"id": qa["id"], "prediction_text": file_answers.get(qa["id"], "")} for qa in qas
    ]
    result = load("qa").compute(predictions=predictions, references=references)
    assert result == expected and result["n"] == 10570 and result["version"] == "1.1"
    published = json.loads((root / "expected_scores.json").read_text())["computed_here"][system]
    assert result["exact_match"] == pytest.approx(published["exact_match"], abs=0.001)
    assert result["f1"] == pytest.approx(published["f1"], abs=0.001)


def test_summarization_on_xsum_and_dialogsum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = shared_data("xsum", "frank_xsum_test_sample.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    preds = [row["system_summaries"]["BERTS2S"] for row in rows]
    (tmp_path / "preds.jsonl").write_text("".join(json.dumps({"s": p}) + "\n" for p in preds))
    expected = cli(
        capsys,
        "rouge",
        str(path),
        str(tmp_path / "preds.jsonl"),
        "--field",
        "reference",
        "--pred-field",
        "s",
    )
    refs = [row["reference"] for row in rows]
    result = load("summarization").compute(predictions=preds, references=refs)
    assert result == expected and result["n"] == 251
    anchor = json.loads(shared_data("xsum", "expected_scores.json").read_text())
    assert result["rouge1"] == pytest.approx(
        anchor["computed_here"]["scores"]["BERTS2S"]["rouge1"], abs=0.005
    )
    # Several references per item (DialogSum's three), the best one taken: a list feature.
    path = shared_data("dialogsum", "dialogsum.test.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()[:120]]
    multi = [[row[f"summary{i}"] for i in (1, 2, 3)] for row in rows]
    preds = [" ".join(row["dialogue"].split()[:25]) for row in rows]  # a lead-25-words baseline
    (tmp_path / "refs.jsonl").write_text("".join(json.dumps({"r": m}) + "\n" for m in multi))
    (tmp_path / "lead.txt").write_text("\n".join(preds) + "\n")
    expected = cli(
        capsys, "rouge", str(tmp_path / "refs.jsonl"), str(tmp_path / "lead.txt"), "--field", "r"
    )
    assert load("summarization").compute(predictions=preds, references=multi) == expected


@pytest.mark.fidelity
@pytest.mark.sandbox
@requires(sandbox.bwrap_works(), "bubblewrap is not installed")
def test_code_on_humaneval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with gzip.open(shared_data("humaneval", "HumanEval.jsonl.gz"), "rt", encoding="utf-8") as f:
        problems = [json.loads(line) for line in f][:20]
    none, stub = "    return None\n", "    pass\n"
    completions = []
    for k, p in enumerate(problems):  # 2 per problem: right and wrong, both right, both wrong
        right = p["canonical_solution"]
        completions.append([[right, none], [right, right], [right, none], [none, stub]][k % 4])
    (tmp_path / "problems.jsonl").write_text("".join(json.dumps(p) + "\n" for p in problems))
    samples = [
        {"task_id": p["task_id"], "completion": c}
        for p, cs in zip(problems, completions, strict=True)
        for c in cs
    ]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    expected = cli(
        capsys, "code", str(tmp_path / "problems.jsonl"), str(tmp_path / "samples.jsonl")
    )
    references = [
        {key: p[key] for key in ("task_id", "prompt", "test", "entry_point")} for p in problems
    ]
    result = load("code").compute(predictions=completions, references=references)
    assert result == expected
    assert result["pass_at_1"] == pytest.approx(100 * (5 * 0.5 + 5 * 1 + 5 * 0.5 + 5 * 0) / 20)
    assert result["n_samples"] == 40 and "pass_at_10" not in result


def test_the_evaluate_module_is_not_part_of_a_run_identity(tmp_path: Path) -> None:
    """No run calls it: editing it must not make stored runs incomparable (the hooks file
    still is part of it: tests/runs/test_spec.py)."""
    folder = tmp_path / "tasks" / "qa"
    shutil.copytree(TASKS_DIR / "qa", folder)
    before = code_sha256(folder, "lm-eval")
    module = folder / "qa.py"
    module.write_text(module.read_text() + "\n# a docstring fix\n")
    assert code_sha256(folder, "lm-eval") == before
    module.unlink()
    assert code_sha256(folder, "lm-eval") == before
    module.write_text("def doc_to_text(doc):\n    return doc['question']\n")  # hooks, not a metric
    assert code_sha256(folder, "lm-eval") != before


def test_code_module_refuses_without_a_sandbox_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_bwrap_works", lambda: False)
    problem = {
        "task_id": "t/0",
        "prompt": "def one():\n",
        "entry_point": "one",
        "test": "def check(f):\n    assert f() == 1",
    }
    module = load("code")
    with pytest.raises(sandbox.SandboxUnavailable, match="--unsafe-no-sandbox"):
        module.compute(predictions=[["    return 1"]], references=[problem])
    result = load("code").compute(
        predictions=[["    return 1", "    return 2"]],
        references=[problem],
        unsafe_no_sandbox=True,
        return_samples=True,
    )
    assert result["sandbox"] == "none" and result["pass_at_1"] == 50.0
    assert [s["status"] for s in result["samples"]] == ["passed", "failed"]


def test_chat_on_the_bundled_dialogues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Reference replies pass every check (the oracle: 100); the trivial policies score what the
    run's baselines score; imperfect replies give the same numbers through both entry points."""
    from evals.engine.baselines import policy_statistics
    from evals.usecases import discover_use_cases

    path = TASKS_DIR / "chat" / "data" / "dialogues.jsonl"
    dialogues = [json.loads(line) for line in path.read_text().splitlines()]
    oracle = [[t["reference"] for t in d["turns"]] for d in dialogues]
    echo = [[t["user"] for t in d["turns"]] for d in dialogues]
    mixed = [o if k % 3 else e for k, (o, e) in enumerate(zip(oracle, echo, strict=True))]
    results = {}
    for name, replies in (("oracle", oracle), ("echo_last", echo), ("mixed", mixed)):
        file = tmp_path / f"{name}.jsonl"
        file.write_text(
            "".join(
                json.dumps({"id": d["id"], "replies": r}) + "\n"
                for d, r in zip(dialogues, replies, strict=True)
            )
        )
        results[name] = cli(capsys, "chat", str(path), str(file))
        module = load("chat").compute(
            predictions=replies, references=[json.dumps(d) for d in dialogues]
        )
        assert module == results[name], name
    assert results["oracle"]["turn_pass_rate"] == 100.0 == results["oracle"]["dialogue_pass"]
    assert results["oracle"]["n_dialogues"] == 25 and results["oracle"]["n_turns"] == 59
    unit = discover_use_cases()["chat"]
    echo_stats = policy_statistics(unit, [{"doc": d} for d in dialogues], "turn_pass_rate")
    summed = echo_stats["echo_last"].sum(axis=0)
    assert results["echo_last"]["turn_pass_rate"] == pytest.approx(summed[0] / summed[1])
    assert 0 < results["mixed"]["turn_pass_rate"] < 100


@pytest.mark.parametrize(
    ("replies", "message"),
    [
        ({"d1": ["a"]}, "no replies to 1 dialogue"),
        ({"d1": ["a"], "d2": ["b", "c"], "zz": ["x"]}, "not in .*: zz"),
        ({"d1": ["a", "b"], "d2": ["b", "c"]}, "dialogue d1: 1 user turns need 1 replies"),
    ],
)
def test_chat_bad_replies_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], replies: dict, message: str
) -> None:
    import re

    dialogues = tmp_path / "d.jsonl"
    check = [{"type": "uppercase"}]
    dialogues.write_text(
        json.dumps({"id": "d1", "turns": [{"user": "Hi", "checks": check}]})
        + "\n"
        + json.dumps(
            {"id": "d2", "turns": [{"user": "A", "checks": check}, {"user": "B", "checks": check}]}
        )
        + "\n"
    )
    answers = tmp_path / "r.jsonl"
    answers.write_text(
        "".join(json.dumps({"id": k, "replies": v}) + "\n" for k, v in replies.items())
    )
    assert main(["score", "chat", str(dialogues), str(answers)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]), err
