"""Multi-turn dialogues, which lm-eval cannot run: the model's own replies are fed back.

Turn by turn, across all dialogues at once (one batched ``generate_until`` call per turn
index), the conversation so far is formatted — with the chat template in chat mode, or as a
plain ``User:``/``Assistant:`` transcript with a worked example dialogue in completion mode —
and the reply is appended to the history (``context: own``), or the dataset's own answer is
(``context: golden``, MT-Bench-101). The use case's hooks score each reply (``turn_log``:
verifiable checks, or a reference score); with a judge, every turn is then graded by it
(``judge_requests``, :mod:`evals.engine.judge`), and ``dialogue_scores`` pools a dialogue's turns.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tqdm.auto import tqdm

from evals.data import read_jsonl
from evals.engine.judge import Judge, load_judge_prompts
from evals.engine.lm_eval_tasks import prompt_as_sent
from evals.errors import DataError
from evals.models.loading import LoadedModel, PromptMode
from evals.usecases import DialogueHooks, UseCase

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
    model: LoadedModel,
    use_case: UseCase,
    mode: PromptMode,
    items: Sequence[int] | None = None,
    judge: Judge | None = None,
) -> list[dict[str, Any]]:
    """Run the dialogues at ``items`` (positions; None: all) to their end (and have the judge
    grade them); one record per dialogue, its ``doc_id`` its position."""
    from lm_eval.api.instance import Instance

    assert use_case.dialogues is not None
    config, hooks = use_case.config, use_case.dialogues.hooks
    every = use_case.load_dialogues()
    positions = list(range(len(every))) if items is None else sorted(items)
    dialogues = [every[p] for p in positions]
    golden = config.get("context", "own") == "golden"
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
    for t in tqdm(range(most_turns), desc=f"{use_case.name} turns", unit="turn"):
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
            reply = (output if isinstance(output, str) else str(output)).strip()
            turn = dialogues[i]["turns"][t]
            context = turn["golden"] if golden else reply
            histories[i].append({"role": "assistant", "content": context})
            turn_logs[i].append(
                {
                    "turn": t + 1,
                    "user": turn["user"],
                    "prompt": prompt_as_sent(prompt),
                    "raw_output": output,
                    **hooks.turn_log(dialogues[i], t, reply, histories[i]),
                }
            )
    if judge is not None:
        _grade(judge, use_case, hooks, dialogues, turn_logs)
    return [
        {
            "item_id": str(d["id"]),
            "doc_id": positions[i],
            "doc_hash": hooks.doc_hash(d),
            "doc": d,
            "turns": turn_logs[i],
            "parsed": [log_["raw_output"].strip() for log_ in turn_logs[i]],
            "target": hooks.target(d),
            "scores": hooks.dialogue_scores(turn_logs[i]),
        }
        for i, d in enumerate(dialogues)
    ]


def _grade(
    judge: Judge, use_case: UseCase, hooks: DialogueHooks, dialogues: list, turn_logs: list
) -> None:
    """Attach the judge's judgment and rating to every turn."""
    if hooks.judge_requests is None:
        raise DataError(f"{use_case.name}: this use case is scored without a judge; drop JUDGE")
    source = use_case.data_source
    if source is None or source.data_dir is None or "judge_prompts" not in use_case.config:
        raise DataError(f"{use_case.name}: judge prompts need DATA_DIR (judge_prompts.jsonl)")
    prompts = load_judge_prompts(source.data_dir / use_case.config["judge_prompts"])
    placed, requests = [], []
    for i, dialogue in enumerate(dialogues):
        for k, request in enumerate(hooks.judge_requests(dialogue, turn_logs[i], prompts)):
            placed.append((i, k))
            requests.append(request)
    log.info("judging %d turns with %s", len(requests), judge.model.identity.name)
    for (i, k), graded in zip(placed, judge.grade(requests), strict=True):
        turn_logs[i][k]["judge"] = graded


def replay_turns(
    hooks: DialogueHooks, dialogue: dict[str, Any], replies: Sequence[str]
) -> list[dict]:
    """The turn logs of fixed replies (a trivial policy's, or replies made elsewhere), as a run
    logs its own: each reply checked with the conversation so far."""
    history: list[dict[str, str]] = (
        [{"role": "system", "content": dialogue["system"]}] if dialogue.get("system") else []
    )
    logs = []
    for t, reply in enumerate(replies):
        history.append({"role": "user", "content": dialogue["turns"][t]["user"]})
        history.append({"role": "assistant", "content": reply})
        logs.append({"raw_output": reply, **hooks.turn_log(dialogue, t, reply.strip(), history)})
    return logs
