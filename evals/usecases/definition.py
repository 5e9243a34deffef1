"""The typed definition of a use case: what ``tasks/<name>/usecase.py`` builds as ``USE_CASE``.

A use case is one object (the shape of Inspect's ``Task`` and lighteval's task config). It owns
its loaders (a bundled split and a few-shot pool disjoint from it; benchmarks read theirs from
``DATA_DIR`` or the hub), the prompt, the output parser, metric objects that carry their corpus
reducer, the trivial baselines, the label set or entity types, the interval's cluster unit and
the folklore objective its variants are expected to win. The lm-eval YAML next to it is
generated from it (:mod:`evals.usecases.lm_eval_yaml`, ``make tasks``) and checked against it
on every load, so the two cannot drift.

Hooks are plain functions or bound methods; lm-eval reaches them by ``!function usecase.<name>``,
so each must also be a module-level name of ``usecase.py`` (the generator finds the name and
refuses a hook it cannot name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evals.models.objective import FOLKLORE_CLAIMS

Hook = Callable[..., Any]

REDUCER_NAMES = ("mean", "f1", "precision", "recall", "macro_f1", "macro_recall")
"""Corpus reducers in :data:`evals.statistics.REDUCERS` (kept literal: no numpy on import)."""


@dataclass(frozen=True)
class Metric:
    """One reported metric: per-item statistics from the task's scorer, one corpus reducer.

    A ``mean`` metric's per-item value is a number, or ``[value, weight]`` when it applies to
    some items only (``weighted``: QA's has-answer F1); any other reducer takes per-item count
    vectors (entity ``[tp, predicted, gold]``, one-hot label statistics) summed over the corpus.
    """

    name: str
    reducer: str = "mean"
    higher_is_better: bool = True
    weighted: bool = False

    def __post_init__(self) -> None:
        if self.reducer not in REDUCER_NAMES:
            raise ValueError(f"metric {self.name!r}: unknown reducer {self.reducer!r}")

    @property
    def aggregation_hook(self) -> str | None:
        """Name of the lm-eval aggregation function (None: lm-eval's own ``mean``)."""
        if self.reducer == "mean" and not self.weighted:
            return None
        return f"aggregate_{self.reducer}"


@dataclass(frozen=True)
class Generation:
    """Decoding settings of a generative task (greedy unless a run asks for samples)."""

    until: tuple[str, ...]
    max_gen_toks: int
    do_sample: bool = False

    def to_dict(self) -> dict[str, Any]:
        """As lm-eval's ``generation_kwargs``."""
        return {
            "until": list(self.until),
            "max_gen_toks": self.max_gen_toks,
            "do_sample": self.do_sample,
        }


@dataclass(frozen=True)
class Sampling:
    """``SAMPLES=n`` replies per item at ``TEMPERATURE=t`` instead of one greedy reply."""

    n: int
    temperature: float

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"SAMPLES must be at least 1, not {self.n}")
        if not 0 < self.temperature <= 2:
            raise ValueError(f"TEMPERATURE must be in (0, 2], not {self.temperature}")

    def generation(self) -> dict[str, Any]:
        """What it adds to a task's generation settings (and so to the run spec)."""
        return {"do_sample": True, "temperature": self.temperature, "samples": self.n}


@dataclass(frozen=True)
class Task:
    """One lm-eval task of a use case: a data source, its prompt and its scorer.

    The bundled task carries the use case's name; a benchmark (``benchmark="sst2"``) is a real
    dataset plugged into the same use case, overriding only what differs (its loader, its label
    set's parser and scorer, a metric list, the primary metric).
    """

    name: str
    loader: Hook
    """lm-eval ``custom_dataset``: ``(**metadata) -> DatasetDict`` with ``test`` (+ ``fewshot``)."""
    prompt: Hook | str
    """``doc_to_text``: a hook, or a Jinja template over the record."""
    target: Hook | str
    """``doc_to_target``: the gold answer in the format the prompt asks for (few-shot shots)."""
    score: Hook
    """``process_results``: ``(doc, results) -> {metric: per-item statistics}``."""
    metrics: tuple[Metric, ...]
    parse: Hook | None = None
    """``(doc, raw output) -> parsed``, what the sample browser shows (None: multiple choice)."""
    baselines: Hook | None = None
    """``(docs) -> {policy: [raw output per doc]}``: trivial policies scored like a model."""
    benchmark: str | None = None
    """The real dataset (:mod:`evals.benchmarks`); None for the bundled data."""
    primary_metric: str | None = None
    """Default: the use case's."""
    fewshot_completion: int | None = None
    """Default: the use case's."""
    output_type: str = "generate_until"
    choices: tuple[str, ...] = ()
    """``doc_to_choice`` of a ``multiple_choice`` task."""
    about: str = ""
    """One line for the generated YAML's header."""
    sampled: bool = False
    """Whether its scorer takes several replies per item (``SAMPLES=n``: code's pass@k)."""


@dataclass(frozen=True)
class Completion:
    """How a multi-turn transcript is written for a completion (base) model."""

    preamble: str
    user_prefix: str = "User: "
    assistant_prefix: str = "Assistant:"
    stop: tuple[str, ...] = ("\nUser:", "User:")


@dataclass(frozen=True)
class DialogueHooks:
    """What :mod:`evals.engine.multiturn` calls for one multi-turn task."""

    check_row: Hook
    turn_log: Hook
    target: Hook
    dialogue_scores: Hook
    doc_hash: Hook
    baseline_replies: Hook
    parse_output: Hook
    judge_requests: Hook | None = None


@dataclass(frozen=True)
class Dialogues:
    """One multi-turn task (lm-eval has no multi-turn evaluation: :mod:`evals.engine.multiturn`)."""

    name: str
    hooks: DialogueHooks
    primary_metric: str
    generation: Generation
    completion: Completion
    data: str | None = None
    """Bundled dialogues, relative to the folder (or ``benchmark``)."""
    benchmark: str | None = None
    fewshot: str | None = None
    fewshot_completion: int = 0
    context: str = "own"
    """``own``: later turns see the model's replies; ``golden``: the reference replies."""
    judge_prompts: str | None = None
    """Relative to ``DATA_DIR``: the judge's prompts (None: scored without a judge)."""
    primary_metric_without_judge: str | None = None

    def config(self) -> dict[str, Any]:
        """The settings :mod:`evals.engine.multiturn` reads, as a plain mapping (hashed into
        results)."""
        out: dict[str, Any] = {
            "name": self.name,
            "context": self.context,
            "fewshot_completion": self.fewshot_completion,
            "primary_metric": self.primary_metric,
            "generation": {
                "max_gen_toks": self.generation.max_gen_toks,
                "do_sample": self.generation.do_sample,
            },
            "completion": {
                "preamble": self.completion.preamble,
                "user_prefix": self.completion.user_prefix,
                "assistant_prefix": self.completion.assistant_prefix,
                "stop": list(self.completion.stop),
            },
        }
        optional = {
            "data": self.data,
            "benchmark": self.benchmark,
            "fewshot": self.fewshot,
            "judge_prompts": self.judge_prompts,
            "primary_metric_without_judge": self.primary_metric_without_judge,
        }
        return out | {k: v for k, v in optional.items() if v is not None}


@dataclass(frozen=True)
class Cluster:
    """Items that share a unit (QA questions on one passage) are resampled together."""

    unit: str
    key: Hook
    """``(doc) -> str``: the unit an item belongs to."""


@dataclass(frozen=True)
class UseCaseDefinition:
    """A use case: every task it runs, how each is prompted, parsed, scored and reduced."""

    name: str
    """The folder's name: ``summarization``, ``sentiment``, ``ner``, ``qa``, ``chat``, ``code``."""
    claims: tuple[str, ...]
    """The words of the folklore it measures (``("NER", "extraction")``): the objectives whose
    claims name one of them are the ones it is expected to favour (:attr:`objectives`)."""
    about: str
    """One line: what is measured."""
    version: str
    """Part of every result's identity; raise it when prompts or scoring change."""
    primary_metric: str
    """What the table, matrix and gate rank by."""
    tasks: tuple[Task, ...] = ()
    """The bundled lm-eval tasks: the primary (named after the use case) first."""
    benchmarks: tuple[Task, ...] = ()
    """Real datasets, each run as its own unit of the same use case."""
    dialogues: tuple[Dialogues, ...] = ()
    """Multi-turn tasks (a use case has lm-eval tasks or dialogues, not both)."""
    generation: Generation | None = None
    """Decoding settings of its lm-eval tasks."""
    fewshot_completion: int = 0
    """Shots in completion mode (chat mode is zero-shot)."""
    invalid_metric: str = "invalid"
    """Per-item metric that is 100 when the output could not be parsed (reported apart)."""
    labels: tuple[str, ...] = ()
    """The label set or entity types of the bundled data."""
    cluster: Cluster | None = None
    preflight: Hook | None = None
    """Called before any model loads; raises one clear error when the run cannot succeed."""
    target_delimiter: str = " "
    fewshot_delimiter: str = "\n\n"
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything else a consumer reads (kept out of identity unless hashed by the config)."""

    def __post_init__(self) -> None:
        unknown = set(self.claims) - {w for ws in FOLKLORE_CLAIMS.values() for w in ws}
        if not self.claims or unknown:
            raise ValueError(f"use case {self.name!r}: claims must be folklore words {unknown}")
        if bool(self.tasks or self.benchmarks) == bool(self.dialogues):
            raise ValueError(f"use case {self.name!r}: lm-eval tasks or dialogues, not both")
        if self.tasks and self.tasks[0].name != self.name:
            raise ValueError(f"use case {self.name!r}: its first task must be named after it")
        if (self.tasks or self.benchmarks) and self.generation is None:
            raise ValueError(f"use case {self.name!r}: lm-eval tasks need generation settings")
        for task in (*self.tasks, *self.benchmarks):
            names = [m.name for m in task.metrics]
            primary = self.primary_for(task)
            if any(task is t for t in self.tasks[1:]):
                continue  # an auxiliary bundled task (sentiment_choice) ranks by nothing
            if primary not in names:
                raise ValueError(f"task {task.name!r}: primary metric {primary!r} not measured")

    @property
    def objectives(self) -> tuple[str, ...]:
        """The fine-tuning objectives the folklore says win it."""
        return tuple(o for o, words in FOLKLORE_CLAIMS.items() if set(words) & set(self.claims))

    def primary_for(self, task: Task) -> str:
        """The metric a task's unit ranks by."""
        return task.primary_metric or self.primary_metric

    def fewshot_for(self, task: Task) -> int:
        """Completion-mode shots of a task."""
        shots = task.fewshot_completion
        return self.fewshot_completion if shots is None else shots
