"""Single-turn use cases run by lm-eval itself: one ``simple_evaluate`` call per task on the
already-loaded ``LM``, with lm-eval's own bootstrap switched off (ours runs on the samples).
A ``LIMIT`` reaches lm-eval as the positions of the items drawn (:mod:`evals.runs.limit`), its
``samples`` argument; lm-eval's own ``limit`` would take the first N."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from evals.models.loading import LoadedModel, PromptMode
from evals.usecases import Sampling, TaskSpec, UseCase

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def task_manager(tasks_dir: Path, metadata: tuple[tuple[str, str], ...] = ()) -> Any:
    """lm-eval's TaskManager over our tasks only (the built-in index costs ~10 s to build);
    ``metadata`` reaches the data hooks (a benchmark's ``DATA_DIR`` or hub source)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(
        include_path=str(tasks_dir), include_defaults=False, metadata=dict(metadata) or None
    )


def run_task(
    model: LoadedModel,
    use_case: UseCase,
    task: TaskSpec,
    mode: PromptMode,
    items: Sequence[int] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run one lm-eval task on the items at ``items`` (positions in its test split; None:
    every item); return lm-eval's result keys for it and our sample records."""
    import lm_eval

    chat = mode is PromptMode.CHAT
    manager = task_manager(use_case.folder.parent, tuple(sorted(use_case.task_metadata().items())))
    sampling = use_case.sampling
    output = lm_eval.simple_evaluate(
        model=model.lm,
        tasks=[sampled_task(task.name, manager, sampling) if sampling else task.name],
        task_manager=manager,
        num_fewshot=0 if chat else use_case.fewshot_completion,
        # ascending: lm-eval numbers the chosen docs by their index in this list
        samples=None if items is None else {task.name: sorted(items)},
        bootstrap_iters=0,
        log_samples=True,
        apply_chat_template=chat,
        fewshot_as_multiturn=chat,
        random_seed=0,
        numpy_random_seed=1234,
        torch_random_seed=1234,
        fewshot_random_seed=1234,
    )
    if output is None:  # non-zero rank in a distributed run
        return {}, []
    samples = output.get("samples", {}).get(task.name, [])
    records = [_record(s, task) for s in samples]
    lm_eval_keys = {
        key: output[key][task.name]
        for key in ("results", "configs", "versions", "n-shot", "higher_is_better", "n-samples")
        if isinstance(output.get(key), dict) and task.name in output[key]
    }
    lm_eval_keys["task_hashes"] = output.get("task_hashes", {}).get(task.name)
    lm_eval_keys["lm_eval_version"] = output.get("lm_eval_version")
    lm_eval_keys["chat_template_sha"] = output.get("chat_template_sha")
    return lm_eval_keys, records


def sampled_task(name: str, manager: Any, sampling: Sampling) -> Any:
    """The task ``name`` answered ``sampling.n`` times per item at its temperature, every reply
    kept for the scorer (lm-eval's default filter keeps the first of repeated replies)."""
    from lm_eval.filters import build_filter_ensemble
    from lm_eval.tasks import get_task_dict

    task = get_task_dict([name], manager)[name]
    task.set_config("repeats", sampling.n)
    sampled = {"do_sample": True, "temperature": sampling.temperature}
    task.set_config("generation_kwargs", sampled, update=True)
    task._filters = [build_filter_ensemble("none", [["take_first_k", {"k": sampling.n}]])]
    return task


def prompt_as_sent(prompt: Any) -> str | list[Any]:
    """The prompt as the model received it: a chat request's messages as a list (lm-eval wraps
    them in ``JsonChatStr``, whose ``str`` is a Python repr), any other prompt as text."""
    messages = getattr(prompt, "prompt", None)
    if isinstance(messages, str):
        try:
            decoded = json.loads(messages)
        except ValueError:
            return messages
        return decoded if isinstance(decoded, list) else messages
    return str(prompt)


def _record(sample: dict[str, Any], task: TaskSpec) -> dict[str, Any]:
    doc = sample["doc"]
    first_args = sample["arguments"][0] if sample.get("arguments") else ("",)
    prompt = prompt_as_sent(first_args[0])
    if task.output_type == "generate_until":
        raw: Any = sample["filtered_resps"][0]
        raw = [str(r) for r in raw] if isinstance(raw, list) else str(raw)  # list: samples
        parsed = task.parse(doc, raw)
    else:
        raw = [float(r[0]) for r in sample["filtered_resps"]]
        choices = [str(a[1]).strip() for a in sample["arguments"]]
        parsed = choices[max(range(len(raw)), key=raw.__getitem__)] if raw else None
    return {
        "item_id": str(doc.get("id", sample["doc_id"])),
        "doc_id": sample["doc_id"],
        "doc_hash": sample.get("doc_hash"),
        "prompt_hash": sample.get("prompt_hash"),
        "doc": doc,
        "prompt": prompt,
        "raw_output": raw,
        "parsed": parsed,
        "target": sample.get("target"),
        "scores": {m: sample[m] for m in task.metrics if m in sample},
    }
