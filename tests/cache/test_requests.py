"""The model-aware request cache: keys, isolation between models, and a real ``kill -9`` of a
running evaluation followed by a resume that recomputes nothing that had finished."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evals.cache.store import RequestStore, request_key
from evals.models.loading import load_model
from evals.models.spec import parse_model_spec
from evals.runs.folder import RESULTS_FILE
from tests.conftest import build_tiny_gpt2
from tests.helpers import REPO, only_run


def test_keys_depend_on_model_prompt_and_settings() -> None:
    base = request_key(
        "model-a", "generate_until", ("prompt", {"until": ["\n"], "max_gen_toks": 8})
    )
    assert base == request_key(
        "model-a", "generate_until", ("prompt", {"max_gen_toks": 8, "until": ["\n"]})
    )
    assert base != request_key(
        "model-b", "generate_until", ("prompt", {"until": ["\n"], "max_gen_toks": 8})
    )
    assert base != request_key(
        "model-a", "generate_until", ("prompt ", {"until": ["\n"], "max_gen_toks": 8})
    )
    assert base != request_key(
        "model-a", "generate_until", ("prompt", {"until": ["\n"], "max_gen_toks": 9})
    )
    assert base != request_key(
        "model-a", "loglikelihood", ("prompt", {"until": ["\n"], "max_gen_toks": 8})
    )


def test_store_survives_reopening(tmp_path: Path) -> None:
    store = RequestStore(tmp_path / "r.sqlite")
    store.put("k", [-1.5, True])
    assert RequestStore(tmp_path / "r.sqlite").get_many(["k", "x"]) == {"k": [-1.5, True]}


def _generate(model: Any, prompts: list[str]) -> list[str]:
    from lm_eval.api.instance import Instance

    gen = {"until": ["\n\n"], "max_gen_toks": 6, "do_sample": False}
    return model.lm.generate_until(
        [Instance("generate_until", {}, (p, dict(gen)), i) for i, p in enumerate(prompts)]
    )


def test_two_models_never_answer_for_each_other(
    tiny_chat_model: Path, tiny_base_model: Path
) -> None:
    chat = load_model(parse_model_spec(str(tiny_chat_model)), batch_size=2)
    base = load_model(parse_model_spec(str(tiny_base_model)), batch_size=2)
    prompts = ["The river", "A small"]
    first = _generate(chat, prompts)
    assert chat.lm.stats.computed == 2
    assert _generate(chat, prompts) == first and chat.lm.stats.from_cache == 2
    _generate(base, prompts)
    assert base.lm.stats.computed == 2 and base.lm.stats.from_cache == 0
    # loglikelihoods are cached too, as (float, bool) pairs.
    from lm_eval.api.instance import Instance

    req = [Instance("loglikelihood", {}, ("The river", " runs"), 0)]
    assert chat.lm.loglikelihood(req) == chat.lm.loglikelihood(req)
    assert isinstance(chat.lm.loglikelihood(req)[0], tuple)


LIMIT = 10
TOTAL = 2 * LIMIT  # LIMIT summaries + LIMIT answers, one generation each


def _eval_cmd(model: Path, runs: Path, batch_size: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "evals",
        "eval",
        "--model",
        str(model),
        "--tasks",
        "summarization,qa",
        "--limit",
        str(LIMIT),
        "--batch-size",
        str(batch_size),
        "--output",
        str(runs),
    ]


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "EVALS_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}


def _stored(cache: Path) -> int:
    files = list((cache / "requests").glob("*.sqlite"))
    if not files:
        return 0
    try:
        with sqlite3.connect(str(files[0]), timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    except sqlite3.Error:
        return 0


def _items(folder: Path) -> dict[str, Any]:
    results = json.loads((folder / RESULTS_FILE).read_text())
    out = {}
    for name, entry in results["use_cases"].items():
        samples = [json.loads(x) for x in (folder / entry["samples_files"][0]).open()]
        out[name] = {
            "metrics": {k: v["value"] for k, v in entry["metrics"].items()},
            "outputs": [(s["item_id"], s["parsed"]) for s in samples],
        }
    return out


def _requests(folder: Path) -> dict[str, int]:
    return json.loads((folder / RESULTS_FILE).read_text())["requests"]


@pytest.fixture(scope="module")
def talkative_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny GPT-2 (seed 2) whose greedy answers to these prompts are mostly non-empty and
    distinct. The shared ``tiny_chat_model`` (seed 0) answers nearly all of them with "", so
    comparing its runs could not tell a right answer from one meant for another request."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("talkative") / "tiny-gpt2-instruct", seed=2)


@pytest.fixture(scope="module")
def uninterrupted(
    talkative_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[int], tuple[Path, Path]]:
    """Per batch size, one uninterrupted run from an empty cache: (its folder, its cache)."""
    done: dict[int, tuple[Path, Path]] = {}

    def run(batch_size: int) -> tuple[Path, Path]:
        if batch_size not in done:
            root = tmp_path_factory.mktemp(f"uninterrupted-bs{batch_size}")
            result = subprocess.run(
                _eval_cmd(talkative_model, root / "runs", batch_size),
                env=_env(root / "cache"),
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, result.stderr[-2000:]
            folder = only_run(root / "runs")
            assert _requests(folder) == {"from_cache": 0, "computed": TOTAL}
            answers = [a for use in _items(folder).values() for _, a in use["outputs"]]
            assert len({a for a in answers if a.strip()}) >= TOTAL // 2, (
                f"the test model's answers are too uniform to compare runs by: {answers}"
            )
            done[batch_size] = (folder, root / "cache")
        return done[batch_size]

    return run


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", [1, 8])  # 8: the CLI's and the Makefile's default
def test_kill_dash_nine_then_resume_matches_an_uninterrupted_run(
    talkative_model: Path,
    uninterrupted: Callable[[int], tuple[Path, Path]],
    tmp_path: Path,
    batch_size: int,
) -> None:
    cache, runs = tmp_path / "cache", tmp_path / "runs"
    proc = subprocess.Popen(
        _eval_cmd(talkative_model, runs, batch_size),
        env=_env(cache),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while _stored(cache) < 8 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = _stored(cache)
    # Each use case is one generate_until call of LIMIT requests: fewer than LIMIT answers kept
    # means they were committed one by one as the backend produced them, not when a call (or
    # a use case) ended.
    assert 8 <= kept < LIMIT
    assert not [p for p in runs.glob("*/*") if not p.name.endswith(".partial")]

    resumed = subprocess.run(
        _eval_cmd(talkative_model, runs, batch_size),
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    folder = only_run(runs, leftover_partials=True)  # beside the killed run's .partial folder
    assert _requests(folder) == {"from_cache": kept, "computed": TOTAL - kept}
    fresh, _ = uninterrupted(batch_size)
    assert _items(folder) == _items(fresh)


@pytest.mark.slow
def test_resume_after_a_kill_inside_a_batch_matches_an_uninterrupted_run(
    talkative_model: Path, uninterrupted: Callable[[int], tuple[Path, Path]], tmp_path: Path
) -> None:
    """A ``kill -9`` rarely lands between two answers of one batch (the backend stores a
    batch's answers within a millisecond), so this cuts the cache there on purpose: keeping
    every third answer in the order they were stored leaves holes inside every batch, and the
    resumed run batches the missing requests differently (other neighbours, other padding)
    than the uninterrupted run did. Its answers must still be the same."""
    fresh, fresh_cache = uninterrupted(8)
    cache = tmp_path / "cache"
    shutil.copytree(fresh_cache, cache)
    (db_file,) = (cache / "requests").glob("*.sqlite")
    db = sqlite3.connect(str(db_file))
    with db:
        db.execute("DELETE FROM answers WHERE rowid % 3 != 0")
    kept = int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    db.close()
    assert kept == TOTAL // 3

    runs = tmp_path / "runs"
    resumed = subprocess.run(
        _eval_cmd(talkative_model, runs, 8),
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    folder = only_run(runs, leftover_partials=True)  # beside the killed run's .partial folder
    assert _requests(folder) == {"from_cache": kept, "computed": TOTAL - kept}
    assert _items(folder) == _items(fresh)


def test_warm_rerun_reads_only_the_cache(tiny_chat_model: Path, tmp_path: Path) -> None:
    from evals.cli import main

    argv = ["eval", "--model", str(tiny_chat_model), "--tasks", "sentiment,chat", "--limit", "4"]
    assert main([*argv, "--output", str(tmp_path / "a")]) == 0
    assert main([*argv, "--output", str(tmp_path / "b")]) == 0
    second = json.loads((only_run(tmp_path / "b") / RESULTS_FILE).read_text())
    assert second["requests"]["computed"] == 0 and second["requests"]["from_cache"] > 0
    assert _items(only_run(tmp_path / "a")) == _items(only_run(tmp_path / "b"))
