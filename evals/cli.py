"""Command line: ``evals eval``, ``evals gate``, ``evals matrix``, ``evals report``,
``evals site``, ``evals diff``, ``evals plan``, ``evals score``. Exit status: 0 ok, 1 regression
(gate only), 2 bad input (one line), 3 internal error (one line; the traceback goes to a log
file)."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.errors import EvalsError

if TYPE_CHECKING:
    from evals.matrix_build import BuildOutcome

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


def _apply_data_options(args: argparse.Namespace) -> None:
    """DATA_DIR / DATA_SOURCE / DATA_REVISION for every benchmark read in this process (the
    lm-eval data hooks and our runners both read them from the environment)."""
    for option, variable in (("data_dir", "EVALS_DATA_DIR"), ("data_source", "EVALS_DATA_SOURCE"),
                             ("data_revision", "EVALS_DATA_REVISION")):  # fmt: skip
        value = getattr(args, option, "")
        if value:
            os.environ[variable] = str(Path(value).expanduser().resolve()) if option == "data_dir" \
                else str(value)  # fmt: skip
    if getattr(args, "reuse_unpinned", False):
        os.environ["EVALS_REUSE_UNPINNED"] = "1"
    if getattr(args, "unsafe_no_sandbox", False):
        os.environ["EVALS_UNSAFE_NO_SANDBOX"] = "1"  # read by tasks/code/utils.py


def _load_judge(args: argparse.Namespace):
    from evals.adapter import load_model
    from evals.judge import Judge
    from evals.model_spec import parse_model_spec

    if not args.judge:
        return None
    spec = parse_model_spec(args.judge, args.judge_args)
    log.info("loading judge %s", spec.raw)
    return Judge(load_model(spec, batch_size=args.batch_size), max_tokens=args.judge_max_tokens)


def _serve_warm(args: argparse.Namespace, spec, use_cases, limit, objective) -> bool:
    """A run that repeats a complete stored run exactly is served from it without loading the
    model (:mod:`evals.warm`); False when there is none."""
    from evals.table import format_table
    from evals.warm import matching_run, serve_from

    found = matching_run(spec, use_cases, runs_root=Path(args.output), limit=limit,
                         prompt_mode=args.prompt_mode, objective=objective)  # fmt: skip
    if found is None:
        return False
    run, mode = found
    folder, ident, results = serve_from(run, Path(args.output))
    print()
    print(f"{ident.name}  objective={ident.objective.value}  prompt mode={mode.value}"
          f"  fingerprint={ident.fingerprint}")  # fmt: skip
    print(format_table(results))
    print(f"\nserved from {run.folder}: the same run spec, every answer stored; no model loaded")
    print(f"run folder: {folder}")
    return True


def _sampling(args: argparse.Namespace) -> Any:
    """``--samples n --temperature t`` as a :class:`~evals.usecases.Sampling` (None: greedy)."""
    from evals.usecases import Sampling

    if args.samples == 1 and args.temperature == 0:
        return None
    if args.samples < 1 or args.temperature < 0:
        raise EvalsError("--samples must be at least 1 and --temperature at least 0")
    if args.temperature == 0:
        raise EvalsError(
            f"--samples {args.samples} needs --temperature above 0: greedy replies are all the same"
        )
    try:
        return Sampling(args.samples, args.temperature)
    except ValueError as err:
        raise EvalsError(f"--samples/--temperature: {err}") from None


def _eval_command(args: argparse.Namespace) -> int:
    from evals.adapter import load_model
    from evals.model_spec import parse_model_spec
    from evals.objective import parse_objective
    from evals.runner import RunSettings, preflight, run_evaluation
    from evals.table import format_table
    from evals.usecases import select_use_cases

    use_cases = select_use_cases(
        args.tasks, Path(args.tasks_dir), suite=args.suite or None, sampling=_sampling(args)
    )
    spec = parse_model_spec(args.model, args.model_args)
    objective = parse_objective(args.objective) if args.objective else None
    limit = args.limit or None
    # A stored run with the same run spec (data hashes included) was made from these very
    # files, so it is served before the rows are read again.
    if not args.judge and _serve_warm(args, spec, use_cases, limit, objective):
        return 0
    preflight(use_cases)  # every data row checked before any model loads
    judge = _load_judge(args)
    log.info("loading %s", spec.raw or "the embedded default model")
    model = load_model(spec, batch_size=args.batch_size, objective_override=objective)
    settings = RunSettings(
        limit=limit, prompt_mode=args.prompt_mode, runs_root=Path(args.output), judge=judge
    )
    outcome = run_evaluation(model, use_cases, settings)
    ident = outcome.identity
    print()
    print(
        f"{ident.name}  objective={ident.objective.value}  prompt mode={outcome.prompt_mode.value}"
        f"  fingerprint={ident.fingerprint}"
    )
    print(format_table(outcome.use_cases))
    for result in outcome.use_cases:
        if limit and limit > result.n:
            print(f"note: {result.use_case}: LIMIT={limit} capped at its {result.n} items")
    stats = getattr(model.lm, "stats", None)
    if stats is not None:
        print(f"\nmodel requests: {stats.computed} computed, {stats.from_cache} from the cache")
    print(f"run folder: {outcome.folder}")
    return 0


def _gate_command(args: argparse.Namespace) -> int:
    from evals.gate import decide
    from evals.gate_inputs import SpecSettings, gate_runs
    from evals.gate_policy import load_policy
    from evals.gate_report import default_out_folder, markdown_summary, write_gate_outputs
    from evals.usecases import discover_use_cases

    known = set(discover_use_cases(Path(args.tasks_dir)))
    policy = load_policy(Path(args.policy) if args.policy else None, known=known)
    settings = SpecSettings(
        tasks_dir=Path(args.tasks_dir), tasks=args.tasks, suite=args.suite,
        limit=args.limit or None, model_args=args.model_args, batch_size=args.batch_size,
        runs_root=Path(args.output),
    )  # fmt: skip
    baseline, candidate = gate_runs(args.baseline, args.candidate, settings)
    result = decide(baseline, candidate, policy, tuple(args.allow_different))
    out = Path(args.out) if args.out else default_out_folder(result)
    paths = write_gate_outputs(result, out)
    print(markdown_summary(result, diff_page=str(paths["diff"])))
    print("\n".join(f"{kind}: {path}" for kind, path in paths.items()))
    return result.exit_code


def _diff_command(args: argparse.Namespace) -> int:
    from evals.diff_page import write_run_diff
    from evals.runs import load_run

    baseline, candidate = load_run(Path(args.baseline)), load_run(Path(args.candidate))
    out = Path(args.out)
    data = write_run_diff(baseline, candidate, out)
    print(f"run-vs-run page: {out}")
    if "not_comparable" in data:
        nc = data["not_comparable"]
        raise EvalsError(f"not comparable: {nc['field']} differs (baseline {nc['baseline']}, "
                         f"candidate {nc['candidate']}); the page says so")  # fmt: skip
    return 0


def _print_build(outcome: BuildOutcome) -> None:
    from evals.matrix import matrix_markdown

    family = outcome.matrix["family"]
    if outcome.matrix["rows"]:
        print(matrix_markdown(outcome.matrix, family["title"]))
    if outcome.matrix.get("missing_columns"):
        print(f"not evaluated (no stored run): {', '.join(outcome.matrix['missing_columns'])}")
    print(f"evaluated: {len(outcome.evaluated)}, reused: {len(outcome.reused)}")
    print("\n".join(f"{kind}: {path}" for kind, path in outcome.paths.items()))


def _matrix_command(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from evals.family import family_from_specs, load_family
    from evals.matrix_build import build_family

    if bool(args.family) == bool(args.models):
        raise EvalsError('give exactly one of FAMILY=<file> or MODELS="spec-a spec-b"')
    family = (
        load_family(Path(args.family)) if args.family else family_from_specs(args.models.split())
    )
    if args.suite and not args.tasks:
        from evals.usecases import read_suites

        suites = read_suites(Path(args.tasks_dir))
        if args.suite not in suites:
            raise EvalsError(f"unknown suite {args.suite!r}; known: {', '.join(suites)}")
        family = replace(family, tasks=",".join(suites[args.suite]))
    if args.tasks:
        family = replace(family, tasks=args.tasks)
    if args.limit:
        family = replace(family, limit=args.limit)
    if args.dry_run or args.executor != "local" or args.jobs > 1:
        from evals.matrix_scale import scaled_matrix_command

        return scaled_matrix_command(args, family)
    outcome = build_family(
        family, runs_root=Path(args.output), reports_root=Path(args.reports),
        tasks_dir=Path(args.tasks_dir), evaluate=True, batch_size=args.batch_size,
    )  # fmt: skip
    _print_build(outcome)
    return 0


def _report_command(args: argparse.Namespace) -> int:
    """``evals report`` / ``evals site``: every family page again from stored runs, then the
    leaderboard index and its exports from every stored run (single and LIMIT runs included)."""
    from evals.matrix_build import rebuild_reports
    from evals.site import write_site

    outcomes = rebuild_reports(
        runs_root=Path(args.output), reports_root=Path(args.reports),
        tasks_dir=Path(args.tasks_dir), families_dir=Path(args.families),
    )  # fmt: skip
    for outcome in outcomes:
        _print_build(outcome)
    if not outcomes:
        print("no families found (families/*.yaml or reports/families/*/matrix.json)")
    paths = write_site(Path(args.reports), {}, runs_root=Path(args.output))
    print("\n".join(f"{kind}: {path}" for kind, path in paths.items()))
    return 0


def _plan_command(args: argparse.Namespace) -> int:
    from evals.plan import plan_assumed, plan_measured

    margin = args.margin if args.margin is not None else None
    if args.runs:
        from evals.pairing import align_items, pair_samples
        from evals.runs import load_run

        first, second = (load_run(Path(p)) for p in args.runs)
        lines = []
        for name, entry in first.use_cases.items():
            if name not in second.use_cases:
                continue
            if not align_items(first.samples(name), second.samples(name)):
                continue
            metric, reducer = entry["primary_metric"], entry["primary_reducer"]
            diff = pair_samples(first.samples(name), second.samples(name), metric, reducer,
                                (name, name)).difference  # fmt: skip
            se = diff.null_se(-margin) if margin is not None else diff.se
            lines.append(plan_measured(se=se, n=diff.n, gap=args.gap, alpha=args.alpha,
                                       power=args.power, comparisons=args.comparisons,
                                       margin=margin, name=name))  # fmt: skip
        if not lines:
            raise EvalsError("the two runs share no use case with shared items")
    else:
        lines = [plan_assumed(gap=args.gap, rate=args.rate, discordance=args.discordance,
                              alpha=args.alpha, power=args.power, comparisons=args.comparisons,
                              margin=margin)]  # fmt: skip
    for line in lines:
        items = "no number of items (nothing varies)" if line.items is None else line.items
        print(f"{line.what}: {items} items  [{line.basis}]")
    return 0


def _cache_command(args: argparse.Namespace) -> int:
    from evals.cache_admin import info_lines, prune

    if args.action == "info":
        print("\n".join(info_lines()))
        return 0
    if args.older_than is None and args.model is None:
        raise EvalsError("cache prune needs --older-than DAYS and/or --model NAME")
    removed = prune(args.older_than, args.model)
    freed = sum(e.size for e in removed)
    print(f"removed {len(removed)} cache entries ({freed / 2**20:.1f} MB)")
    return 0


def _score_command(args: argparse.Namespace) -> int:
    import json

    from evals import score

    gold, pred = Path(args.gold), Path(args.pred)
    if args.kind == "ner":
        result = score.score_ner(gold, pred)
    elif args.kind == "squad":
        result = score.score_squad(gold, pred, v2=True if args.v2 else None)
    elif args.kind == "sentiment":
        result = score.score_labels(gold, pred, args.metric)
    elif args.kind == "chat":
        result = score.score_chat(gold, pred)
    elif args.kind == "code":
        limits = score.code_limits(args.timeout)
        out = Path(args.out) if args.out else None
        result = score.score_code(gold, pred, allow_unsafe=args.unsafe_no_sandbox, limits=limits,
                                  out=out)  # fmt: skip
    else:
        result = score.score_rouge(gold, pred, args.field, args.pred_field)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _add_unsafe_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--unsafe-no-sandbox", action="store_true",
        help="run model-written code without a sandbox (only where bubblewrap cannot run, "
             "and only for code you trust); recorded in every code sample",
    )  # fmt: skip


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
            "--reuse-unpinned", action="store_true",
            help="reuse cached answers of a hub model without a pinned revision across runs",
        )  # fmt: skip
        _add_unsafe_option(command)
    command.add_argument("--output", default="reports/runs", help="runs folder")
    command.add_argument("--tasks-dir", default=_TASKS_DIR)


def build_parser() -> argparse.ArgumentParser:
    """The ``evals`` argument parser."""
    parser = argparse.ArgumentParser(prog="evals", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="library logs and tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)
    ev = commands.add_parser("eval", help="evaluate one model on the use-case tasks")
    ev.add_argument(
        "--model", default="", help="model spec (default: embedded SmolLM2-135M-Instruct)"
    )
    ev.add_argument("--model-args", default=os.environ.get("EVALS_MODEL_ARGS", ""),
                    help="extra lm-eval model args: k=v,k=v (default: $EVALS_MODEL_ARGS)")
    ev.add_argument("--prompt-mode", default=None, choices=["completion", "chat"])
    ev.add_argument("--objective", default=None, help="override: base, instruct, chat, code")
    ev.add_argument("--judge", default="", help="model spec of the judge for MT-Bench use cases")
    ev.add_argument("--judge-args", default=os.environ.get("EVALS_JUDGE_ARGS", ""),
                    help="extra lm-eval model args for the judge (default: $EVALS_JUDGE_ARGS)")
    ev.add_argument("--judge-max-tokens", type=int, default=512, help="judgment length cap")
    ev.add_argument("--samples", type=int, default=1,
                    help="replies per item, for pass@k (code; needs --temperature)")
    ev.add_argument("--temperature", type=float, default=0.0,
                    help="sampling temperature (0: greedy, one reply per item)")  # fmt: skip
    _add_run_options(ev)
    ev.set_defaults(handler=_eval_command)

    gate = commands.add_parser(
        "gate", help="regression gate: candidate vs baseline (exit 0 pass, 1 regression, 2 error)"
    )
    gate.add_argument("--candidate", required=True, help="run folder or model spec")
    gate.add_argument("--baseline", required=True, help="run folder or model spec")
    gate.add_argument("--policy", default="", help="policy YAML (default: the shipped policy)")
    gate.add_argument("--out", default="", help="folder for the summary, JUnit XML and verdict")
    gate.add_argument("--model-args", default=os.environ.get("EVALS_MODEL_ARGS", ""),
                      help="extra lm-eval model args for specs (default: $EVALS_MODEL_ARGS)")
    gate.add_argument("--allow-different", action="append", default=[], metavar="FIELD",
                      help="compare although this run-spec field differs (recorded)")
    _add_run_options(gate)  # --tasks/--limit apply when the baseline is a model spec
    gate.set_defaults(handler=_gate_command)

    matrix = commands.add_parser("matrix", help="evaluate a family and build matrix and pages")
    matrix.add_argument("--family", default="", help="family YAML file")
    matrix.add_argument("--models", default="", help="space-separated model specs instead")
    matrix.add_argument("--reports", default="reports", help="reports folder")
    _add_run_options(matrix)  # --tasks/--limit override the family file's
    matrix.add_argument("--executor", default="local", choices=["local", "processes", "ray"],
                        help="where cells run: this process (default), a local pool of --jobs "
                             "processes, or Ray (RAY_ADDRESS=, else a local cluster)")  # fmt: skip
    matrix.add_argument("--jobs", type=int, default=1,
                        help="worker processes (processes executor; >1 selects it)")  # fmt: skip
    matrix.add_argument("--retries", type=int, default=1,
                        help="more tries for a failed cell (default 1)")  # fmt: skip
    matrix.add_argument("--dry-run", action="store_true",
                        help="print the plan (cells, resources, reused runs)")  # fmt: skip
    matrix.set_defaults(handler=_matrix_command)

    report = commands.add_parser("report", help="rebuild matrices and pages from stored runs")
    report.add_argument("--reports", default="reports", help="reports folder")
    report.add_argument("--families", default="families", help="family files folder")
    _add_run_options(report, evaluates=False)
    report.set_defaults(handler=_report_command)

    diff = commands.add_parser("diff", help="run-vs-run page of two stored runs")
    diff.add_argument("--baseline", required=True, help="baseline run folder")
    diff.add_argument("--candidate", required=True, help="candidate run folder")
    diff.add_argument("--out", default="reports/site/run-diff.html", help="page to write")
    diff.set_defaults(handler=_diff_command)

    site = commands.add_parser("site", help="build the leaderboard site from the run store")
    site.add_argument("--reports", default="reports", help="reports folder")
    site.add_argument("--families", default="families", help="family files folder")
    _add_run_options(site, evaluates=False)
    site.set_defaults(handler=_report_command)

    plan = commands.add_parser(
        "plan", help="how many items a comparison needs (assumed noise, or measured on two runs)"
    )
    plan.add_argument("--gap", type=float, default=10.0, help="true difference to find (points)")
    plan.add_argument("--margin", type=float, default=None,
                      help="gate: allowed drop to show an unchanged candidate within")
    plan.add_argument("--rate", type=float, default=50.0, help="pass/fail score level (percent)")
    plan.add_argument("--discordance", type=float, default=None,
                      help="share of items on which the two systems differ (default: worst case)")
    plan.add_argument("--runs", nargs=2, metavar="RUN", default=None,
                      help="two run folders: use the noise measured between them")
    plan.add_argument("--alpha", type=float, default=0.05)
    plan.add_argument("--power", type=float, default=0.80)
    plan.add_argument("--comparisons", type=int, default=1, help="tests in the family (Holm)")
    plan.set_defaults(handler=_plan_command)

    cache = commands.add_parser("cache", help="what the request and model caches hold; prune")
    cache.add_argument("action", choices=["info", "prune"])
    cache.add_argument("--older-than", type=float, default=None, metavar="DAYS")
    cache.add_argument("--model", default=None, help="variant name as `cache info` shows it")
    cache.set_defaults(handler=_cache_command)

    score = commands.add_parser("score", help="score files made elsewhere (no model)")
    score.add_argument("kind", choices=["ner", "squad", "sentiment", "rouge", "code", "chat"])
    score.add_argument("gold", help="gold / reference file (code: HumanEval-format problems; "
                       "chat: dialogues JSONL)")
    score.add_argument("pred", help="prediction file (code: human-eval samples JSONL; chat: "
                       '{"id", "replies": [...]} per dialogue)')  # fmt: skip
    score.add_argument("--v2", action="store_true", help="squad: force v2.0 rules")
    score.add_argument("--metric", choices=["accuracy", "macro_f1", "macro_recall"], default=None)
    score.add_argument("--field", default=None, help="rouge: references are JSONL; this field")
    score.add_argument("--pred-field", default=None, help="rouge: predictions are JSONL too")
    score.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                       help="code: wall time per sample (default 10, as the code use case; "
                            "human-eval uses 3)")  # fmt: skip
    score.add_argument(
        "--out", default="", metavar="FILE", help="code: per-sample results, one JSON line each"
    )
    _add_unsafe_option(score)
    score.set_defaults(handler=_score_command)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``evals`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_run_options(args)
    except EvalsError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    if getattr(args, "batch_size", None) and str(args.batch_size).isdigit():
        args.batch_size = int(args.batch_size)
    _quiet_libraries(args.verbose)
    _apply_data_options(args)
    try:
        return int(args.handler(args))
    except EvalsError as err:
        _close_progress_bars()
        if args.verbose:  # the traceback too, but the exit status still says "bad input"
            import traceback

            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as err:
        _close_progress_bars()
        folder = getattr(err, "folder", None)
        where = f" in {folder}" if folder else ""
        print(f"error: interrupted: finished use cases are kept{where}; run the same command "
              "again to resume (computed answers come from the request cache)",
              file=sys.stderr)  # fmt: skip
        return 130
    except Exception as err:  # a bug, never a verdict: exit 3, the traceback in a file
        if args.verbose:
            raise
        _close_progress_bars()
        log_path = _write_traceback()
        print(f"internal error: {type(err).__name__}: {err} (traceback: {log_path})",
              file=sys.stderr)  # fmt: skip
        return INTERNAL_ERROR


INTERNAL_ERROR = 3


def _write_traceback() -> str:
    import tempfile
    import traceback

    handle, path = tempfile.mkstemp(prefix="evals-error-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(traceback.format_exc())
    return path


if __name__ == "__main__":
    sys.exit(main())
