"""Shared fixtures: a tiny GPT-2 built locally (no download), paths to the real shared data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import SHARED_DATA, TASKS_DIR, require

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; skip the test when that folder is absent, except in CI,
    where the data is always there and a missing file is a failure."""
    path = SHARED_DATA.joinpath(*parts)
    require(path.exists(), f"shared data not available: {path}")
    return path


_HEAVY = ("real_model", "acceptance", "slow", "server", "fidelity", "browser", "ray")
"""Tiers whose tests take seconds to minutes each, heaviest first."""


def _weight(item: pytest.Item) -> int:
    marks = {m.name for m in item.iter_markers()}
    return next((len(_HEAVY) - i for i, name in enumerate(_HEAVY) if name in marks), 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with the heaviest tiers first (stable otherwise). `make test` hands whole files to
    its two workers as they free up (``--dist loadfile``: a module's fixtures are built once),
    so the long files start first and the many quick ones fill in around them; in file order,
    the real-model files came last and one worker ran them alone for minutes at the end."""
    heaviest: dict[str, int] = {}
    for item in items:
        path = str(item.path)
        heaviest[path] = max(heaviest.get(path, 0), _weight(item))
    items.sort(key=lambda item: -heaviest[str(item.path)])


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@requires(condition, reason)`` (tests/helpers.py): skip here, fail in CI."""
    for mark in item.iter_markers("requires"):
        require(*mark.args)


def _corpus() -> list[str]:
    lines: list[str] = []
    for data in sorted(TASKS_DIR.glob("*/data/*.jsonl")):
        for line in data.read_text(encoding="utf-8").splitlines():
            lines.append(" ".join(str(v) for v in json.loads(line).values()))
    return lines


TINY_REPLY_TOKENS = 8
"""Where the tiny model starts to favour its end token: replies end a few tokens later."""


def build_tiny_gpt2(
    folder: Path, *, chat_template: bool = True, seed: int = 0, stops_early: bool = True
) -> Path:
    """A 2-layer GPT-2 with a BPE tokenizer trained on the task data: loads in well under a
    second and drives the whole pipeline through the same adapter path as a real model.

    Its random weights never choose the end token by themselves, so every reply ran to the use
    case's ``max_gen_toks`` (up to 512 tokens): most of the test suite's time. With
    ``stops_early`` (the default) its generation config raises the end token's score
    exponentially after :data:`TINY_REPLY_TOKENS` new tokens (transformers'
    ``exponential_decay_length_penalty``, which ``generate`` applies under lm-eval too), so a
    reply ends within a few more tokens; ``stops_early=False`` keeps the long replies."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_corpus(), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    if chat_template:
        tokenizer.chat_template = CHATML
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=2048,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    if stops_early:
        model.generation_config.exponential_decay_length_penalty = (TINY_REPLY_TOKENS, 4.0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_chat_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny GPT-2 folder named like an instruct fine-tune, with a ChatML template."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("models") / "tiny-gpt2-instruct")


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny GPT-2 folder named like a base model, without a chat template."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("models") / "tiny-gpt2", chat_template=False)


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hash memos and converted models go to a per-session folder, unless a real-model test
    needs the user's cache (it sets EVALS_CACHE_DIR itself)."""
    if "EVALS_TEST_KEEP_CACHE" not in os.environ:
        monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def _unsafe_runs_forbidden_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--unsafe-no-sandbox`` holds for the rest of a process (:mod:`evals.sandbox`): restored
    after every test, so a test that passes it to an in-process ``main`` does not unsandbox the
    next one on the same worker."""
    from evals import sandbox

    monkeypatch.setattr(sandbox, "_UNSAFE_ALLOWED", sandbox._UNSAFE_ALLOWED)
