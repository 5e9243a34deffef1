"""Functional correctness of generated code: the programs that test a candidate, and pass@k.

- **HumanEval** (Chen et al., 2021): the problem's ``prompt`` (signature and docstring), the
  model's ``completion`` (the body), the problem's ``test`` (``def check(candidate)``) and
  ``check(entry_point)``: the original harness's program, which the sandbox runs split in two
  (:func:`humaneval_case`: the solution in a process of its own, the checks in the harness's).
- **MBPP** (Austin et al., 2021): the candidate's code, the task's ``test_setup_code`` and its
  ``test_list`` asserts. The setup code comes after the solution: tasks 367 and 927 build
  objects from classes the solution defines, and no task's setup is needed by the solution
  itself (all 974 reference solutions pass this way: ``tests/sandbox/test_fidelity.py``).

pass@k from n samples of which c pass is the unbiased estimator of Chen et al. (2021),
``1 − C(n−c, k) / C(n, k)``, computed as a running product so that large n does not overflow.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import numpy as np

from evals.sandbox import Program


def humaneval_program(prompt: str, completion: str, test: str, entry_point: str) -> str:
    """The script that tests one HumanEval-format completion."""
    return f"{prompt}{completion}\n\n{test}\n\ncheck({entry_point})\n"


def humaneval_case(prompt: str, completion: str, test: str, entry_point: str) -> Program:
    """:func:`humaneval_program` split for the sandbox: prompt + completion is the solution (its
    own process); the test and ``check(entry_point)`` run in the harness, after the prompt (so
    the helpers the test calls, such as HumanEval/32's ``poly``, are the problem's own)."""
    return Program(
        f"{prompt}{completion}\n",
        f"{test}\n\ncheck({entry_point})\n",
        _trusted(prompt),
        (entry_point,),
    )


def _trusted(prompt: str) -> str:
    """The prompt as code that runs alone: as is, or with ``pass`` as the unfinished function's
    body (a prompt without a docstring); "" when neither parses (the solution's helpers are
    used then, as the original harness uses them)."""
    for context in (prompt, f"{prompt.rstrip()}\n    pass\n"):
        try:
            ast.parse(context)
        except (SyntaxError, ValueError):
            continue
        return context
    return ""


def mbpp_program(code: str, test_list: Sequence[str], test_setup_code: str = "") -> str:
    """The script that tests one MBPP-format solution (setup after the solution)."""
    setup = f"{test_setup_code}\n" if test_setup_code.strip() else ""
    return f"{code}\n\n{setup}" + "\n".join(test_list) + "\n"


def mbpp_case(
    code: str, test_list: Sequence[str], test_setup_code: str = "", entry: Sequence[str] = ()
) -> Program:
    """:func:`mbpp_program` split for the sandbox: the code is the solution; the setup and the
    asserts run in the harness (objects the setup builds from the solution's classes, as tasks
    367 and 927 do, stay in the solution's process and are used through handles). ``entry``:
    the function under test where its name is a built-in's (MBPP 126's ``sum``; see
    :func:`mbpp_entry`), which the tests otherwise keep as the built-in."""
    setup = f"{test_setup_code}\n" if test_setup_code.strip() else ""
    return Program(f"{code}\n", setup + "\n".join(test_list) + "\n", entry=tuple(entry))


def mbpp_entry(reference: str, test_list: Sequence[str]) -> tuple[str, ...]:
    """The functions the reference solution defines that the asserts call: what the tests take
    from a solution even where the name is a built-in's."""
    try:
        defined = {
            n.name
            for n in ast.parse(reference).body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        tests = ast.parse("\n".join(test_list))
    except (SyntaxError, ValueError):
        return ()
    called = {
        n.func.id
        for n in ast.walk(tests)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    return tuple(sorted(defined & called))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (0..1) for one problem from ``n`` samples of which ``c`` pass."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def stub_of(code: str) -> str:
    """The code with every top-level function's body replaced by ``return None``: a solution
    with the right names and signatures that computes nothing (a baseline, and a wrong solution
    the tests must reject)."""
    tree = ast.parse(code)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.body = [ast.Return(value=ast.Constant(value=None))]
    return ast.unparse(tree)
