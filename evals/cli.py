"""Command line: ``evals eval``, ``evals gate``, ``evals matrix``, ``evals report``,
``evals site``, ``evals diff``, ``evals plan``, ``evals cache``, ``evals score``. This module
parses the arguments and turns every outcome into an exit status: 0 ok, 1 regression (gate
only; an incomplete matrix), 2 bad input (one line), 3 internal error (one line; the traceback
goes to a log file). What each command does is in :mod:`evals.commands`."""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals import commands, secrets
from evals.errors import EvalsError

log = logging.getLogger("evals")
_TASKS_DIR = str(Path(__file__).resolve().parent.parent / "tasks")


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
        # Read by transformers when (and if) it is imported; importing it here would cost a
        # warm run, which never loads a model, more than half a second.
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        if "transformers" in sys.modules:
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()


_YES = {"1", "true", "yes", "on"}


def _add_unsafe_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run model-written code without a sandbox (only where bubblewrap cannot run, "
        "and only for code you trust); recorded in every code sample",
    )


def _add_run_options(command: argparse.ArgumentParser, *, evaluates: bool = True) -> None:
    """Options every command that runs (or finds) evaluations shares."""
    if evaluates:
        command.add_argument(
            "--tasks", default="", help="use cases or benchmarks, comma-separated (default: SUITE)"
        )
        command.add_argument(
            "--suite", default="", help="named selection in tasks/suites.yaml (default: bundled)"
        )
        command.add_argument("--data-dir", default="", help="folder of benchmark files")
        command.add_argument("--data-source", default="", choices=["", "local", "hub"])
        command.add_argument("--data-revision", default="", help="hub revision (commit SHA)")
        command.add_argument("--limit", type=int, default=0, help="items per use case (0: all)")
        command.add_argument("--batch-size", default="8", help="batch size, or 'auto'")
        command.add_argument(
            "--reuse-unpinned",
            action="store_true",
            # read here, at the edge, as before: EVALS_REUSE_UNPINNED=1 in the user's shell
            default=os.environ.get("EVALS_REUSE_UNPINNED", "").lower() in _YES,
            help="reuse cached answers of a hub model without a pinned revision across runs "
            "(or EVALS_REUSE_UNPINNED=1)",
        )
        _add_unsafe_option(command)
    command.add_argument("--output", default="reports/runs", help="runs folder")
    command.add_argument("--tasks-dir", default=_TASKS_DIR)


class _Subcommands:
    """``add_parser`` that gives every subcommand the shared ``-v``."""

    def __init__(self, action: Any, parent: argparse.ArgumentParser) -> None:
        self.action, self.parent = action, parent

    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self.action.add_parser(
            name, parents=[self.parent], **kwargs
        )
        return parser


def build_parser() -> argparse.ArgumentParser:
    """The ``evals`` argument parser."""
    parser = argparse.ArgumentParser(prog="evals", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="library logs and tracebacks")
    # -v also after the subcommand (`evals eval -v`); SUPPRESS keeps a -v given before it.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="library logs and tracebacks",
    )
    subcommands = _Subcommands(parser.add_subparsers(dest="command", required=True), verbose)
    ev = subcommands.add_parser("eval", help="evaluate one model on the use-case tasks")
    ev.add_argument(
        "--model", default="", help="model spec (default: embedded SmolLM2-135M-Instruct)"
    )
    ev.add_argument(
        "--model-args",
        default=os.environ.get("EVALS_MODEL_ARGS", ""),
        help="extra lm-eval model args: k=v,k=v (default: $EVALS_MODEL_ARGS)",
    )
    ev.add_argument("--prompt-mode", default=None, choices=["completion", "chat"])
    ev.add_argument("--objective", default=None, help="override: base, instruct, chat, code")
    ev.add_argument("--judge", default="", help="model spec of the judge for MT-Bench use cases")
    ev.add_argument(
        "--judge-args",
        default=os.environ.get("EVALS_JUDGE_ARGS", ""),
        help="extra lm-eval model args for the judge (default: $EVALS_JUDGE_ARGS)",
    )
    ev.add_argument("--judge-max-tokens", type=int, default=512, help="judgment length cap")
    ev.add_argument(
        "--samples",
        type=int,
        default=1,
        help="replies per item, for pass@k (code; needs --temperature)",
    )
    ev.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be evaluated; load no model, read no data",
    )
    ev.add_argument(
        "--temperature",
        type=float,
        default=0.0,
        help="sampling temperature (0: greedy, one reply per item)",
    )
    _add_run_options(ev)
    ev.set_defaults(handler=commands.eval_command)

    gate = subcommands.add_parser(
        "gate", help="regression gate: candidate vs baseline (exit 0 pass, 1 regression, 2 error)"
    )
    gate.add_argument("--candidate", required=True, help="run folder or model spec")
    gate.add_argument("--baseline", required=True, help="run folder or model spec")
    gate.add_argument("--policy", default="", help="policy YAML (default: the shipped policy)")
    gate.add_argument("--out", default="", help="folder for the summary, JUnit XML and verdict")
    gate.add_argument(
        "--link-base",
        default="",
        metavar="URL",
        help="where the --out folder is published (artifact or site URL): "
        "the summary's links are absolute, so they resolve from a PR "
        "comment",
    )
    gate.add_argument(
        "--model-args",
        default=os.environ.get("EVALS_MODEL_ARGS", ""),
        help="extra lm-eval model args for specs (default: $EVALS_MODEL_ARGS)",
    )
    gate.add_argument(
        "--allow-different",
        action="append",
        default=[],
        metavar="FIELD",
        help="compare although this run-spec field differs (recorded)",
    )
    _add_run_options(gate)  # --tasks/--limit apply when the baseline is a model spec
    gate.set_defaults(handler=commands.gate_command)

    matrix = subcommands.add_parser("matrix", help="evaluate a family and build matrix and pages")
    matrix.add_argument("--family", default="", help="family YAML file")
    matrix.add_argument("--models", default="", help="space-separated model specs instead")
    matrix.add_argument("--reports", default="reports", help="reports folder")
    matrix.add_argument(
        "--prompt-mode",
        default=None,
        choices=["completion", "chat"],
        help="prompt mode of every variant whose family entry names none",
    )
    matrix.add_argument(
        "--families", default="families", help="family files the index lists when not evaluated yet"
    )
    _add_run_options(matrix)  # --tasks/--limit override the family file's
    matrix.add_argument(
        "--executor",
        default="local",
        choices=["local", "processes", "ray"],
        help="where cells run: this process (default), a local pool of --jobs "
        "processes, or Ray (RAY_ADDRESS=, else a local cluster)",
    )
    matrix.add_argument(
        "--jobs", type=int, default=1, help="worker processes (processes executor; >1 selects it)"
    )
    matrix.add_argument(
        "--retries", type=int, default=1, help="more tries for a failed cell (default 1)"
    )
    matrix.add_argument(
        "--dry-run", action="store_true", help="print the plan (cells, resources, reused runs)"
    )
    matrix.set_defaults(handler=commands.matrix_command)

    report = subcommands.add_parser("report", help="rebuild matrices and pages from stored runs")
    report.add_argument("--reports", default="reports", help="reports folder")
    report.add_argument("--families", default="families", help="family files folder")
    _add_run_options(report, evaluates=False)
    report.set_defaults(handler=commands.report_command)

    diff = subcommands.add_parser("diff", help="run-vs-run page of two stored runs")
    diff.add_argument("--baseline", required=True, help="baseline run folder")
    diff.add_argument("--candidate", required=True, help="candidate run folder")
    diff.add_argument("--out", default="reports/site/run-diff.html", help="page to write")
    diff.set_defaults(handler=commands.diff_command)

    site = subcommands.add_parser("site", help="build the leaderboard site from the run store")
    site.add_argument("--reports", default="reports", help="reports folder")
    site.add_argument("--families", default="families", help="family files folder")
    _add_run_options(site, evaluates=False)
    site.set_defaults(handler=commands.report_command)

    plan = subcommands.add_parser(
        "plan", help="how many items a comparison needs (assumed noise, or measured on two runs)"
    )
    plan.add_argument("--gap", type=float, default=10.0, help="true difference to find (points)")
    plan.add_argument(
        "--margin",
        type=float,
        default=None,
        help="gate: allowed drop to show an unchanged candidate within",
    )
    plan.add_argument("--rate", type=float, default=50.0, help="pass/fail score level (percent)")
    plan.add_argument(
        "--discordance",
        type=float,
        default=None,
        help="share of items on which the two systems differ (default: worst case)",
    )
    plan.add_argument(
        "--runs",
        nargs=2,
        metavar="RUN",
        default=None,
        help="two run folders: use the noise measured between them",
    )
    plan.add_argument("--alpha", type=float, default=0.05)
    plan.add_argument("--power", type=float, default=0.80)
    plan.add_argument("--comparisons", type=int, default=1, help="tests in the family (Holm)")
    plan.set_defaults(handler=commands.plan_command)

    cache = subcommands.add_parser("cache", help="what the request and model caches hold; prune")
    cache.add_argument("action", choices=["info", "prune"])
    cache.add_argument("--older-than", type=float, default=None, metavar="DAYS")
    cache.add_argument("--model", default=None, help="variant name as `cache info` shows it")
    cache.set_defaults(handler=commands.cache_command)

    score = subcommands.add_parser("score", help="score files made elsewhere (no model)")
    score.add_argument("kind", choices=["ner", "squad", "sentiment", "rouge", "code", "chat"])
    score.add_argument(
        "gold",
        help="gold / reference file (code: HumanEval-format problems; chat: dialogues JSONL)",
    )
    score.add_argument(
        "pred",
        help="prediction file (code: human-eval samples JSONL; chat: "
        '{"id", "replies": [...]} per dialogue)',
    )
    score.add_argument("--v2", action="store_true", help="squad: force v2.0 rules")
    score.add_argument("--metric", choices=["accuracy", "macro_f1", "macro_recall"], default=None)
    score.add_argument("--field", default=None, help="rouge: references are JSONL; this field")
    score.add_argument("--pred-field", default=None, help="rouge: predictions are JSONL too")
    score.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="code: wall time per sample (default 10, as the code use case; human-eval uses 3)",
    )
    score.add_argument(
        "--out", default="", metavar="FILE", help="code: per-sample results, one JSON line each"
    )
    _add_unsafe_option(score)
    score.set_defaults(handler=commands.score_command)
    return parser


def _close_progress_bars() -> None:
    """End any progress bar a failure interrupted, so the error starts on its own line."""
    from tqdm import tqdm

    for bar in list(getattr(tqdm, "_instances", ())):
        bar.close()


_BATCH_SIZE = re.compile(r"^(auto(:\d+)?|[1-9]\d*)$")


def check_run_options(args: argparse.Namespace) -> None:
    """Numbers and lists that must make sense before anything runs (one line, exit 2)."""
    limit = getattr(args, "limit", 0)
    if limit is not None and limit < 0:
        raise EvalsError(f"--limit must be a positive number of items, or 0 for all (got {limit})")
    tasks = getattr(args, "tasks", "")
    if tasks and not [t for t in tasks.split(",") if t.strip()]:
        raise EvalsError(f"--tasks {tasks!r} names no use case (give e.g. qa,ner or leave it out)")
    batch = getattr(args, "batch_size", None)
    if batch is not None and not _BATCH_SIZE.match(str(batch).strip()):
        raise EvalsError(f"--batch-size must be a positive whole number or 'auto' (got {batch!r})")


def _check_number(
    value: float | None,
    option: str,
    low: float,
    high: float,
    *,
    low_open: bool = True,
    high_open: bool = True,
) -> None:
    """``value`` finite and inside (or on, where not open) the bounds; else one line."""
    if value is None:
        return
    inside = (value > low if low_open else value >= low) and (
        value < high if high_open else value <= high
    )
    if not math.isfinite(value) or not inside:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        bounds = f"{left}{low:g}, {high:g}{right}"
        raise EvalsError(f"{option} must be a number in {bounds} (got {value})")


def check_command_options(args: argparse.Namespace) -> None:
    """The numbers of ``plan`` and ``cache`` that must make sense (one line, exit 2)."""
    if args.command == "plan":
        _check_number(args.alpha, "--alpha", 0, 1)
        _check_number(args.power, "--power", 0, 1)
        _check_number(args.gap, "--gap", 0, math.inf)
        _check_number(args.rate, "--rate", 0, 100)
        _check_number(args.discordance, "--discordance", 0, 1, high_open=False)
        _check_number(args.margin, "--margin", 0, math.inf, low_open=False)
        if args.comparisons < 1:
            raise EvalsError(f"--comparisons must be at least 1 (got {args.comparisons})")
    if args.command == "cache":
        _check_number(args.older_than, "--older-than", 0, math.inf, low_open=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``evals`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_run_options(args)
        check_command_options(args)
    except EvalsError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    if getattr(args, "batch_size", None) and str(args.batch_size).isdigit():
        args.batch_size = int(args.batch_size)
    _quiet_libraries(args.verbose)
    secrets.install_log_filter()
    try:
        commands.apply_process_options(args)
        return int(args.handler(args))
    except EvalsError as err:
        _close_progress_bars()
        if args.verbose:  # the traceback too, but the exit status still says "bad input"
            _print_traceback()
        print(secrets.redact_text(f"error: {err}"), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as err:
        _close_progress_bars()
        folder = getattr(err, "folder", None)
        where = f" in {folder}" if folder else ""
        print(
            f"error: interrupted: finished use cases are kept{where}; run the same command "
            "again to resume (computed answers come from the request cache)",
            file=sys.stderr,
        )
        return 130
    except Exception as err:  # a bug, never a verdict: exit 3, the traceback in a file
        _close_progress_bars()
        if args.verbose:  # shown, but still exit 3: a bug never reads as a regression (1)
            _print_traceback()
        log_path = _write_traceback()
        print(
            secrets.redact_text(
                f"internal error: {type(err).__name__}: {err} (traceback: {log_path})"
            ),
            file=sys.stderr,
        )
        return INTERNAL_ERROR


INTERNAL_ERROR = 3


def _print_traceback() -> None:
    import traceback

    print(secrets.redact_text(traceback.format_exc()), file=sys.stderr, end="")


def _write_traceback() -> str:
    import tempfile
    import traceback

    handle, path = tempfile.mkstemp(prefix="evals-error-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(secrets.redact_text(traceback.format_exc()))
    return path


if __name__ == "__main__":
    sys.exit(main())
