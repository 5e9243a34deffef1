"""What each ``evals`` subcommand does, given its parsed arguments (:mod:`evals.cli` parses them
and turns errors into exit statuses): ``eval``, ``gate``, ``diff``, ``matrix``, ``report``,
``plan``, ``cache``, ``score``, and the settings every command applies first."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.errors import EvalsError
from evals.secrets import redact_text

if TYPE_CHECKING:
    from evals.benchmarks.sources import DataSource
    from evals.matrix.build import BuildOutcome
    from evals.matrix.family import Family

log = logging.getLogger("evals")


def apply_process_options(args: argparse.Namespace) -> None:
    """``--unsafe-no-sandbox``: the one setting that cannot travel as an argument, since
    lm-eval calls the code use case's hooks with (doc, replies) only; the sandbox module holds
    it for this process (:func:`evals.sandbox.allow_unsafe_runs`), never the environment."""
    if getattr(args, "unsafe_no_sandbox", False):
        from evals.sandbox import allow_unsafe_runs

        allow_unsafe_runs()


def data_source(args: argparse.Namespace) -> DataSource:
    """DATA_DIR / DATA_SOURCE / DATA_REVISION as given (else as a plain ``lm_eval`` run would
    read them), passed to every use case selected."""
    from evals.benchmarks.sources import resolve_source

    data_dir = getattr(args, "data_dir", "")
    if data_dir:
        try:
            data_dir = str(Path(data_dir).expanduser().resolve())
        except RuntimeError as err:  # ~nouser/...: no such user's home
            raise EvalsError(f"--data-dir {data_dir!r}: {err}") from None
    return resolve_source(
        {
            "data_source": getattr(args, "data_source", ""),
            "data_dir": data_dir,
            "data_revision": getattr(args, "data_revision", ""),
        }
    )


def load_judge(args: argparse.Namespace):
    from evals.engine.judge import Judge
    from evals.models.loading import load_model
    from evals.models.spec import parse_model_spec

    if not args.judge:
        return None
    spec = parse_model_spec(args.judge, args.judge_args)
    log.info("loading judge %s", redact_text(spec.raw))
    model = load_model(spec, batch_size=args.batch_size, reuse_unpinned=args.reuse_unpinned)
    return Judge(model, max_tokens=args.judge_max_tokens)


def serve_warm(
    args: argparse.Namespace, spec, use_cases, limit, objective, not_run: dict[str, str]
) -> bool:
    """A run that repeats a complete stored run exactly is served from it without loading the
    model (:mod:`evals.engine.warm`); False when there is none."""
    from evals.engine.warm import matching_run, serve_from
    from evals.runs.table import format_table

    found = matching_run(
        spec,
        use_cases,
        runs_root=Path(args.output),
        limit=limit,
        prompt_mode=args.prompt_mode,
        objective=objective,
    )
    if found is None:
        return False
    run, mode = found
    folder, ident, results = serve_from(run, Path(args.output))
    print()
    print(
        f"{ident.name}  objective={ident.objective.value}  prompt mode={mode.value}"
        f"  fingerprint={ident.fingerprint}"
    )
    print(format_table(results))
    for name, reason in not_run.items():
        print(f"{name}: not run ({reason})")
    print(f"\nserved from {run.folder}: the same run spec, every answer stored; no model loaded")
    print(f"run folder: {folder}")
    return True


def sampling(args: argparse.Namespace) -> Any:
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


def runnable_use_cases(use_cases: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """The use cases whose preflight passes on this machine, and why each other one cannot run
    here (code without a sandbox). Only for the default suite: a use case asked for by name
    refuses with its one line instead."""
    from evals.sandbox import SandboxUnavailable

    runnable, not_run = [], {}
    for use_case in use_cases:
        try:
            if use_case.definition.preflight is not None:
                use_case.definition.preflight()
        except SandboxUnavailable as err:
            not_run[use_case.name] = f"no sandbox: {err}"
            continue
        runnable.append(use_case)
    if not runnable:
        raise EvalsError("; ".join(f"{k}: {v}" for k, v in not_run.items()))
    return runnable, not_run


def print_eval_plan(args: argparse.Namespace, use_cases: list[Any], source: DataSource) -> int:
    """``evals eval --dry-run``: what the command would evaluate, how, and from which data,
    without loading a model, reading a data file or reaching a hub or server."""
    from evals.models.spec import parse_model_spec

    spec = parse_model_spec(args.model, args.model_args)
    print(
        f"model: {redact_text(spec.raw) or 'default'} ({spec.source}, lm-eval backend "
        f"{spec.backend}), variant {spec.name}"
    )
    mode = args.prompt_mode or "from the objective and the chat template, when it loads"
    print(f"prompt mode: {mode}; objective: {args.objective or 'read from the name'}")
    print(
        f"items per use case: {args.limit or 'all'}; batch size: {args.batch_size}"
        + (
            f"; {args.samples} samples at temperature {args.temperature}"
            if args.samples > 1
            else ""
        )
    )
    for use_case in use_cases:
        revision = f"revision {source.revision}" if source.revision else "head, pinned at run time"
        if not use_case.benchmark:
            where = "bundled"
        elif source.kind == "hub":
            where = f"hub ({revision})"
        else:
            where = f"DATA_DIR {source.data_dir or '(not set)'}"
        print(f"  {use_case.name}: data {where}")
    print("dry run: nothing loaded, nothing evaluated")
    return 0


def eval_command(args: argparse.Namespace) -> int:
    from evals.engine.runner import RunSettings, preflight, run_evaluation
    from evals.models.loading import load_model
    from evals.models.objective import parse_objective
    from evals.models.spec import parse_model_spec
    from evals.runs.table import format_table
    from evals.usecases import select_use_cases

    source = data_source(args)
    use_cases = select_use_cases(
        args.tasks,
        Path(args.tasks_dir),
        suite=args.suite or None,
        sampling=sampling(args),
        check_data=not args.dry_run,
        data_source=source,
    )
    if args.dry_run:
        return print_eval_plan(args, use_cases, source)
    not_run: dict[str, str] = {}
    if not args.tasks and not args.suite:  # the default suite: run what this machine can
        use_cases, not_run = runnable_use_cases(use_cases)
    spec = parse_model_spec(args.model, args.model_args)
    objective = parse_objective(args.objective) if args.objective else None
    limit = args.limit or None
    # A stored run with the same run spec (data hashes included) was made from these very
    # files, so it is served before the rows are read again.
    if not args.judge and serve_warm(args, spec, use_cases, limit, objective, not_run):
        return 0
    preflight(use_cases)  # every data row checked before any model loads
    judge = load_judge(args)
    log.info("loading %s", redact_text(spec.raw) or "the embedded default model")
    model = load_model(
        spec,
        batch_size=args.batch_size,
        objective_override=objective,
        reuse_unpinned=args.reuse_unpinned,
    )
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
    for name, reason in not_run.items():
        print(f"{name}: not run ({reason})")
    for result in outcome.use_cases:
        if limit and limit > result.n:
            print(f"note: {result.use_case}: LIMIT={limit} capped at its {result.n} items")
    stats = getattr(model.lm, "stats", None)
    if stats is not None:
        print(f"\nmodel requests: {stats.computed} computed, {stats.from_cache} from the cache")
    print(f"run folder: {outcome.folder}")
    return 0


def gate_command(args: argparse.Namespace) -> int:
    from evals.files import output_error
    from evals.gate.decide import decide
    from evals.gate.inputs import SpecSettings, gate_runs, names_run_folder
    from evals.gate.policy import load_policy
    from evals.gate.report import default_out_folder, markdown_summary, write_gate_outputs
    from evals.runs.spec import unknown_fields
    from evals.usecases import discover_use_cases

    link_base = args.link_base.strip()
    if link_base and not link_base.startswith(("https://", "http://")):
        raise EvalsError(f"--link-base must be an http(s) URL (got {link_base!r})")
    known = set(discover_use_cases(Path(args.tasks_dir)))
    policy = load_policy(Path(args.policy) if args.policy else None, known=known)
    settings = SpecSettings(
        tasks_dir=Path(args.tasks_dir),
        tasks=args.tasks,
        suite=args.suite,
        limit=args.limit or None,
        model_args=args.model_args,
        batch_size=args.batch_size,
        runs_root=Path(args.output),
        # only a model spec is evaluated: two run folders need no data source
        data_source=None
        if names_run_folder(args.baseline) and names_run_folder(args.candidate)
        else data_source(args),
        reuse_unpinned=getattr(args, "reuse_unpinned", False),
    )
    baseline, candidate = gate_runs(args.baseline, args.candidate, settings)
    unknown = unknown_fields([baseline.run_spec, candidate.run_spec], args.allow_different)
    if unknown:
        raise EvalsError(
            f"--allow-different {unknown[0]!r} names no run-spec field of these "
            "runs (e.g. generation, lm_eval, num_fewshot)"
        )
    result = decide(baseline, candidate, policy, tuple(args.allow_different))
    out = Path(args.out) if args.out else default_out_folder(result)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        print(markdown_summary(result, diff_page=None))  # the verdict is not lost
        raise output_error(err, out) from None
    paths = write_gate_outputs(result, out, link_base=link_base or None)
    print(markdown_summary(result, diff_page=str(paths["diff"])))
    print("\n".join(f"{kind}: {path}" for kind, path in paths.items()))
    return result.exit_code


def diff_command(args: argparse.Namespace) -> int:
    from evals.runs.store import load_run
    from evals.site.diff_page import write_run_diff

    baseline, candidate = load_run(Path(args.baseline)), load_run(Path(args.candidate))
    out = Path(args.out)
    data = write_run_diff(baseline, candidate, out)
    print(f"run-vs-run page: {out}")
    if "not_comparable" in data:
        nc = data["not_comparable"]
        raise EvalsError(
            f"not comparable: {nc['field']} differs (baseline {nc['baseline']}, "
            f"candidate {nc['candidate']}); the page says so"
        )
    return 0


def print_build(outcome: BuildOutcome) -> None:
    from evals.matrix.verdicts import matrix_markdown

    family = outcome.matrix["family"]
    if outcome.matrix["rows"]:
        print(matrix_markdown(outcome.matrix, family["title"]))
    if outcome.matrix.get("missing_columns"):
        print(f"not evaluated (no stored run): {', '.join(outcome.matrix['missing_columns'])}")
    print(f"evaluated: {len(outcome.evaluated)}, reused: {len(outcome.reused)}")
    print("\n".join(f"{kind}: {path}" for kind, path in outcome.paths.items()))


def matrix_command(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from evals.matrix.build import build_family
    from evals.matrix.family import family_from_specs, load_family

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
    if args.prompt_mode:  # for every variant whose entry names no prompt mode
        family = replace(
            family,
            variants=tuple(
                v if v.prompt_modes else replace(v, prompt_modes=(args.prompt_mode,))
                for v in family.variants
            ),
        )
    if args.dry_run or args.executor != "local" or args.jobs > 1:
        return scaled_matrix_command(args, family)
    built = build_family(
        family,
        runs_root=Path(args.output),
        tasks_dir=Path(args.tasks_dir),
        evaluate=True,
        batch_size=args.batch_size,
        data_source=data_source(args),
        reuse_unpinned=args.reuse_unpinned,
    )
    print_build(_publish(built, args))
    return 0


def _publish(outcome: BuildOutcome, args: argparse.Namespace) -> BuildOutcome:
    from evals.site.build import publish_build

    return publish_build(
        outcome,
        reports_root=Path(args.reports),
        runs_root=Path(args.output),
        families_dir=Path(args.families),
    )


INCOMPLETE_EXIT = 1
"""``evals matrix`` exit status when a cell failed: the matrix was written without it."""


def scaled_matrix_command(args: argparse.Namespace, family: Family) -> int:
    """``evals matrix --dry-run`` / ``--executor processes|ray`` / ``--jobs N``."""
    from evals.matrix.cells import plan_cells, plan_lines
    from evals.matrix.executors import make_executor
    from evals.matrix.scale import build_family_on

    runs_root, tasks_dir = Path(args.output), Path(args.tasks_dir)
    source = data_source(args)
    if args.dry_run:
        print("\n".join(plan_lines(family, plan_cells(family, runs_root, tasks_dir, source))))
        return 0
    cells = plan_cells(family, runs_root, tasks_dir, source)
    unpinned = [c.key for c in cells if not c.complete and not c.pinned]
    if unpinned:  # its run could never be matched again: it would be missing from the matrix
        raise EvalsError(
            f"cell {unpinned[0]} has no pinned model identity (a hub id without a "
            "revision where the hub cannot be asked): name a revision "
            "(org/name@<commit>) to run it on an executor, or run it locally"
        )
    executor = make_executor(
        "processes" if args.jobs > 1 and args.executor == "local" else args.executor, jobs=args.jobs
    )
    build = build_family_on(
        executor,
        family,
        runs_root=runs_root,
        tasks_dir=tasks_dir,
        retries=args.retries,
        batch_size=args.batch_size,
        data_source=source,
        reuse_unpinned=args.reuse_unpinned,
        allow_unsafe=args.unsafe_no_sandbox,
    )
    print_build(_publish(build.outcome, args))
    for failure in build.failed:
        print(
            f"error: cell {failure.key} failed after {failure.attempts} attempt(s): "
            f"{failure.error}",
            file=sys.stderr,
        )
    if build.complete:
        return 0
    print(
        f"error: matrix {family.name} is incomplete ({len(build.failed)} failed cell(s)); "
        "run the same command again to compute only the missing cells",
        file=sys.stderr,
    )
    return INCOMPLETE_EXIT


def report_command(args: argparse.Namespace) -> int:
    """``evals report`` / ``evals site``: every family's matrix and page again from the runs its
    stored matrix names, then the leaderboard index and its exports from every stored run
    (single and LIMIT runs included). No model is loaded or fingerprinted and no data set read
    (:mod:`evals.site.publish`); family files with nothing stored are listed as not evaluated
    yet."""
    from evals.files import reports_lock
    from evals.matrix.build import BuildOutcome
    from evals.site.build import write_site
    from evals.site.publish import (
        pending_families,
        pending_lines,
        rebuild_stored_families,
        write_matrix_files,
    )

    runs, reports, families_dir = Path(args.output), Path(args.reports), Path(args.families)
    with reports_lock(reports):
        rebuilt = rebuild_stored_families(runs, reports, families_dir)
        written = {
            name: write_matrix_files(reports, family.matrix, latest=False)
            for name, family in rebuilt.items()
        }
        paths = write_site(
            reports,
            {name: family.columns for name, family in rebuilt.items()},
            runs_root=runs,
            families_dir=families_dir,
        )
        pending = pending_families(reports, families_dir)
    for name, family in rebuilt.items():
        page = {f"page_{name}": paths.pop(f"page_{name}")} if f"page_{name}" in paths else {}
        reused = tuple(column.key for column in family.columns)
        columns = tuple(family.columns)
        print_build(BuildOutcome(family.matrix, columns, written[name] | page, (), reused))
    print("\n".join(pending_lines(pending)) or "")
    if not rebuilt and not pending:
        print("no families found (families/*.yaml or reports/families/*/matrix.json)")
    print("\n".join(f"{kind}: {path}" for kind, path in paths.items()))
    return 0


def plan_command(args: argparse.Namespace) -> int:
    from evals.plan import plan_assumed, plan_measured

    margin = args.margin if args.margin is not None else None
    if args.runs:
        from evals.runs.pairing import align_items, pair_samples
        from evals.runs.store import load_run

        first, second = (load_run(Path(p)) for p in args.runs)
        lines = []
        for name, entry in first.use_cases.items():
            if name not in second.use_cases:
                continue
            if not align_items(first.samples(name), second.samples(name)):
                continue
            metric, reducer = entry.primary_metric, entry.primary_reducer
            diff = pair_samples(
                first.samples(name), second.samples(name), metric, reducer, (name, name)
            ).difference
            se = diff.null_se(-margin) if margin is not None else diff.se
            lines.append(
                plan_measured(
                    se=se,
                    n=diff.n,
                    gap=args.gap,
                    alpha=args.alpha,
                    power=args.power,
                    comparisons=args.comparisons,
                    margin=margin,
                    name=name,
                )
            )
        if not lines:
            raise EvalsError("the two runs share no use case with shared items")
    else:
        lines = [
            plan_assumed(
                gap=args.gap,
                rate=args.rate,
                discordance=args.discordance,
                alpha=args.alpha,
                power=args.power,
                comparisons=args.comparisons,
                margin=margin,
            )
        ]
    for line in lines:
        items = "no number of items (nothing varies)" if line.items is None else line.items
        print(f"{line.what}: {items} items  [{line.basis}]")
    return 0


def cache_command(args: argparse.Namespace) -> int:
    from evals.cache.admin import info_lines, prune

    if args.action == "info":
        print("\n".join(info_lines()))
        return 0
    if args.older_than is None and args.model is None:
        raise EvalsError("cache prune needs --older-than DAYS and/or --model NAME")
    removed = prune(args.older_than, args.model)
    freed = sum(e.size for e in removed)
    print(f"removed {len(removed)} cache entries ({freed / 2**20:.1f} MB)")
    return 0


def score_command(args: argparse.Namespace) -> int:
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
        result = score.score_code(
            gold, pred, allow_unsafe=args.unsafe_no_sandbox, limits=limits, out=out
        )
    else:
        result = score.score_rouge(gold, pred, args.field, args.pred_field)
    print(json.dumps(result, ensure_ascii=False))
    return 0
