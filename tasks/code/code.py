"""The code use case's metric as a Hugging Face ``evaluate`` module: pass@k of completions run
against their problem's tests in the sandbox.

``evaluate.load("tasks/code/code.py")`` (the script's path: nothing is fetched; a folder path
that does not exist would be looked up on the Hub). It calls :func:`evals.score.code_result`,
the function behind ``evals score code``, so both give the same numbers; the ``evals`` package
of this project must be importable. Not used by lm-eval or ``evals eval`` (they read the
YAMLs). It runs the code it is given: in the bubblewrap sandbox of :mod:`evals.sandbox`, and
without one only when ``unsafe_no_sandbox=True`` is passed.
"""

from __future__ import annotations

import datasets
import evaluate

from evals.errors import DataError
from evals.sandbox import find_sandbox
from evals.score import code_limits, code_result

_CITATION = """\
@article{chen2021codex,
  title = {Evaluating Large Language Models Trained on Code},
  author = {Mark Chen and Jerry Tworek and Heewoo Jun and Qiming Yuan and Henrique Ponde de
            Oliveira Pinto and Jared Kaplan and others},
  year = {2021},
  eprint = {2107.03374},
  archivePrefix = {arXiv},
  primaryClass = {cs.LG},
}
"""

_DESCRIPTION = """\
Functional correctness of HumanEval-format completions, as OpenAI's human-eval harness
(evaluate_functional_correctness) computes it: each completion is appended to its problem's
prompt and followed by the problem's test and `check(entry_point)`, and passes when that
program runs to the end. Per problem, n completions of which c pass give the unbiased pass@k
estimator 1 - C(n-c, k) / C(n, k) (Chen et al., 2021), averaged over problems, x100, for each k
that every problem has at least k completions for. Programs run in a bubblewrap sandbox (no
network, read-only system, time, memory and process limits: 10 s of wall time each by
default, as the code use case of objective-evals; human-eval allows 3 s); a program that is not
valid Python is `invalid` and not run. The same function as `evals score code`.
"""

_KWARGS_DESCRIPTION = """\
Args:
    predictions: for each problem, a list of completions (the code after the prompt).
    references: the problems, in HumanEval's format: {"task_id", "prompt", "test",
        "entry_point"} (strings; other fields such as canonical_solution are not needed).
    k: the k of pass@k to report (default [1, 10, 100]; each only where every problem has at
        least k completions).
    timeout: wall time per program in seconds (default 10).
    unsafe_no_sandbox: run without a sandbox where bubblewrap cannot run (only for code you
        trust; default False: refuse).
    workers: programs run at once (default: the machine's cores).
    return_samples: also return "samples", one record per completion (task_id, completion,
        passed, status, reason, sandbox), as `evals score code --out` writes.
Returns:
    pass_at_<k>: x100; n_problems; n_samples; samples_per_problem {min, max}; statuses (counts
    of passed, failed, error, timeout, ..., invalid); sandbox ("bwrap" or "none").
Examples:
    >>> code = evaluate.load("tasks/code/code.py")
    >>> problem = {"task_id": "t/0", "prompt": "def one():\\n", "entry_point": "one",
    ...            "test": "def check(f):\\n    assert f() == 1"}
    >>> result = code.compute(predictions=[["    return 1", "    return 2"]], references=[problem])
    >>> result["pass_at_1"], result["statuses"]
    (50.0, {'passed': 1, 'failed': 1})
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Code(evaluate.Metric):
    """pass@k of HumanEval-format completions in the sandbox (``evals.score.code_result``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": {
                        "task_id": datasets.Value("string"),
                        "prompt": datasets.Value("string"),
                        "test": datasets.Value("string"),
                        "entry_point": datasets.Value("string"),
                    },
                }
            ),
            codebase_urls=["https://github.com/openai/human-eval"],
            reference_urls=["https://arxiv.org/abs/2107.03374"],
        )

    def _compute(
        self,
        predictions,
        references,
        k=(1, 10, 100),
        timeout=None,
        unsafe_no_sandbox=False,
        workers=None,
        return_samples=False,
    ):
        pairs = []
        for problem, completions in zip(references, predictions, strict=True):
            if not completions:
                raise DataError(f"problem {problem['task_id']!r} has no completion")
            pairs += [(problem, completion) for completion in completions]
        limits = code_limits(timeout)
        sandbox = find_sandbox(allow_unsafe=bool(unsafe_no_sandbox))
        ks = [k] if isinstance(k, int) else list(k)
        result, records = code_result(pairs, sandbox, limits, ks, workers)
        return {**result, "samples": records} if return_samples else result
