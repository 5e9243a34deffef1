"""Functional correctness of generated code: the programs that test a candidate, and pass@k.

- **HumanEval** (Chen et al., 2021): the problem's ``prompt`` (signature and docstring), the
  model's ``completion`` (the body), the problem's ``test`` (``def check(candidate)``) and
  ``check(entry_point)``, run as one script: exactly the original harness's program.
- **MBPP** (Austin et al., 2021): the candidate's code, the task's ``test_setup_code`` and its
  ``test_list`` asserts. The setup code comes after the solution: tasks 367 and 927 build
  objects from classes the solution defines, and no task's setup is needed by the solution
  itself (all 974 reference solutions pass this way: ``tests/test_code_fidelity.py``).

pass@k from n samples of which c pass is the unbiased estimator of Chen et al. (2021),
``1 − C(n−c, k) / C(n, k)``, computed as a running product so that large n does not overflow.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import numpy as np


def humaneval_program(prompt: str, completion: str, test: str, entry_point: str) -> str:
    """The script that tests one HumanEval-format completion."""
    return f"{prompt}{completion}\n\n{test}\n\ncheck({entry_point})\n"


def mbpp_program(code: str, test_list: Sequence[str], test_setup_code: str = "") -> str:
    """The script that tests one MBPP-format solution (setup after the solution)."""
    setup = f"{test_setup_code}\n" if test_setup_code.strip() else ""
    return f"{code}\n\n{setup}" + "\n".join(test_list) + "\n"


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
