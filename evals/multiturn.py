"""Multi-turn dialogues, which lm-eval cannot run: the model's own replies are fed back.

Each dialogue has 2-4 user turns. Turn by turn, across all dialogues at once (one batched
``generate_until`` call per turn index), the conversation so far is formatted — with the chat
template in chat mode, or as a plain ``User:``/``Assistant:`` transcript with a worked example
dialogue in completion mode — and the reply is appended to the history. Each turn's verifiable
checks (defined in the use case's ``utils.py``) score the reply without a judge.
"""

from __future__ import annotations

import logging
from typing import Any

from tqdm.auto import tqdm

from evals.adapter import LoadedModel, PromptMode
from evals.data import read_jsonl
from evals.usecases import UseCase

log = logging.getLogger(__name__)

Message = dict[str, str]


def completion_transcript(
    history: list[Message], config: dict[str, Any], examples: list[dict[str, Any]]
) -> str:
    """Plain-text transcript for base models: preamble, example dialogues, then this one."""
    fmt = config.get("completion", {})
    user, assistant = fmt.get("user_prefix", "User: "), fmt.get("assistant_prefix", "Assistant:")
    parts = [fmt.get("preamble", "").strip()]
    for example in examples:
        lines = []
        for turn in example["turns"]:
            lines += [f"{user}{turn['user']}", f"{assistant} {turn['assistant']}"]
        parts.append("\n".join(lines))
    lines = []
    for message in history:
        if message["role"] == "system":
            parts.append(message["content"])
        elif message["role"] == "user":
            lines.append(f"{user}{message['content']}")
        else:
            lines.append(f"{assistant} {message['content']}")
    lines.append(assistant)
    parts.append("\n".join(lines))
    return "\n\n".join(p for p in parts if p)


def run_dialogues(
    model: LoadedModel, use_case: UseCase, mode: PromptMode, limit: int | None
) -> list[dict[str, Any]]:
    """Run every dialogue to its end; one sample record per dialogue."""
    from lm_eval.api.instance import Instance

    config, hooks = use_case.config, use_case.hooks()
    dialogues = read_jsonl(use_case.folder / config["data"], ("id", "turns"), hooks.check_row)
    dialogues = dialogues[:limit] if limit else dialogues
    examples: list[dict[str, Any]] = []
    if mode is PromptMode.COMPLETION and config.get("fewshot"):
        fewshot = read_jsonl(use_case.folder / config["fewshot"], ("id", "turns"))
        examples = fewshot[: use_case.fewshot_completion]

    gen: dict[str, Any] = {"max_gen_toks": 128, "do_sample": False, **config.get("generation", {})}
    if mode is PromptMode.COMPLETION:
        gen["until"] = list(config.get("completion", {}).get("stop", ["\nUser:"]))
    histories: list[list[Message]] = [
        [{"role": "system", "content": d["system"]}] if d.get("system") else [] for d in dialogues
    ]
    turn_logs: list[list[dict[str, Any]]] = [[] for _ in dialogues]
    most_turns = max(len(d["turns"]) for d in dialogues)
    for t in tqdm(range(most_turns), desc="chat turns", unit="turn"):
        active = [i for i, d in enumerate(dialogues) if len(d["turns"]) > t]
        prompts = []
        for i in active:
            histories[i].append({"role": "user", "content": dialogues[i]["turns"][t]["user"]})
            if mode is PromptMode.CHAT:
                prompts.append(model.lm.apply_chat_template(histories[i]))
            else:
                prompts.append(completion_transcript(histories[i], config, examples))
        requests = [
            Instance("generate_until", dialogues[i], (p, dict(gen)), 0, (use_case.name, i, 1))
            for i, p in zip(active, prompts, strict=True)
        ]
        outputs = model.lm.generate_until(requests)
        for i, prompt, output in zip(active, prompts, outputs, strict=True):
            reply = output if isinstance(output, str) else str(output)
            reply = reply.strip()
            histories[i].append({"role": "assistant", "content": reply})
            checks = hooks.run_checks(dialogues[i]["turns"][t]["checks"], reply, histories[i])
            turn_logs[i].append(
                {"turn": t + 1, "user": dialogues[i]["turns"][t]["user"], "prompt": str(prompt),
                 "raw_output": output, "checks": checks, "passed": all(c["passed"] for c in checks)}
            )  # fmt: skip
    return [
        {
            "item_id": str(d["id"]),
            "doc_id": i,
            "doc_hash": hooks.doc_hash(d),
            "turns": turn_logs[i],
            "parsed": [log_["raw_output"].strip() for log_ in turn_logs[i]],
            "target": [turn["checks"] for turn in d["turns"]],
            "scores": hooks.dialogue_scores(turn_logs[i]),
        }
        for i, d in enumerate(dialogues)
    ]
