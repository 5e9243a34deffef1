"""Command line: ``evals eval``. Errors in the user's input print one line and exit 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from evals.errors import EvalsError

log = logging.getLogger("evals")


def _quiet_libraries(verbose: bool) -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("evals").setLevel(logging.INFO)
    for name in ("lm_eval", "transformers", "datasets", "huggingface_hub", "httpx", "urllib3"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)
    if not verbose:
        warnings.filterwarnings("ignore")
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()


def _eval_command(args: argparse.Namespace) -> int:
    from evals.adapter import load_model
    from evals.model_spec import parse_model_spec
    from evals.objective import parse_objective
    from evals.runner import RunSettings, run_evaluation
    from evals.table import format_table
    from evals.usecases import select_use_cases

    use_cases = select_use_cases(args.tasks, Path(args.tasks_dir))
    spec = parse_model_spec(args.model, args.model_args)
    objective = parse_objective(args.objective) if args.objective else None
    limit = args.limit if args.limit and args.limit > 0 else None
    log.info("loading %s", spec.raw or "the embedded default model")
    model = load_model(spec, batch_size=args.batch_size, objective_override=objective)
    settings = RunSettings(limit=limit, prompt_mode=args.prompt_mode, runs_root=Path(args.output))
    outcome = run_evaluation(model, use_cases, settings)
    ident = outcome.identity
    print()
    print(
        f"{ident.name}  objective={ident.objective.value}  prompt mode={outcome.prompt_mode.value}"
        f"  fingerprint={ident.fingerprint}"
    )
    print(format_table(outcome.use_cases))
    print(f"\nrun folder: {outcome.folder}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``evals`` argument parser."""
    parser = argparse.ArgumentParser(prog="evals", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="library logs and tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)
    ev = commands.add_parser("eval", help="evaluate one model on the use-case tasks")
    ev.add_argument(
        "--model", default="", help="model spec (default: embedded SmolLM2-135M-Instruct)"
    )
    ev.add_argument("--model-args", default="", help="extra lm-eval model args: k=v,k=v")
    ev.add_argument("--tasks", default="", help="use cases, comma-separated (default: all)")
    ev.add_argument("--limit", type=int, default=0, help="items per use case (0: all)")
    ev.add_argument("--prompt-mode", default=None, choices=["completion", "chat"])
    ev.add_argument("--objective", default=None, help="override: base, instruct, chat, code")
    ev.add_argument("--batch-size", default="8", help="batch size, or 'auto'")
    ev.add_argument("--output", default="reports/runs", help="runs folder")
    ev.add_argument("--tasks-dir", default=str(Path(__file__).resolve().parent.parent / "tasks"))
    ev.set_defaults(handler=_eval_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``evals`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "batch_size", None) and str(args.batch_size).isdigit():
        args.batch_size = int(args.batch_size)
    _quiet_libraries(args.verbose)
    try:
        return int(args.handler(args))
    except EvalsError as err:
        if args.verbose:
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(
            "error: interrupted (finished use cases are kept in the .partial run folder)",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
