"""The programs that test an MBPP-format solution, the functions its asserts take from the
solution, and the stub baseline: pure text, checked by running trusted code in this process
(fast, so mutation testing reaches them; the real sandbox over all 974 MBPP tasks is
tests/sandbox/test_fidelity.py's)."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from evals.metrics.code import mbpp_case, mbpp_entry, mbpp_program, stub_of

CODE = "def add(a, b):\n    return a + b"
TESTS = ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]
CLASS_CODE = "class Box:\n    def __init__(self, v):\n        self.v = v"
CLASS_SETUP = "b = Box(4)"
CLASS_TESTS = ["assert b.v == 4"]


def _runs(script: str) -> bool:
    try:
        exec(compile(script, "<test>", "exec"), {})
    except Exception:  # a failed assert or a name the stub lacks: the program fails
        return False
    return True


def test_an_mbpp_program_is_the_code_then_the_asserts_one_a_line() -> None:
    script = mbpp_program(CODE, TESTS)
    assert script == f"{CODE}\n\n" + "\n".join(TESTS) + "\n"
    assert _runs(script)
    assert not _runs(mbpp_program(CODE.replace("a + b", "a - b"), TESTS))


def test_the_setup_comes_after_the_solution_and_a_blank_setup_adds_nothing() -> None:
    script = mbpp_program(CLASS_CODE, CLASS_TESTS, CLASS_SETUP)
    assert script.index(CLASS_CODE) < script.index(CLASS_SETUP) < script.index(CLASS_TESTS[0])
    assert script.endswith(f"{CLASS_SETUP}\n{CLASS_TESTS[0]}\n")
    assert _runs(script)  # the setup builds from the solution's class: it must come after it
    assert mbpp_program(CODE, TESTS, "  \n") == mbpp_program(CODE, TESTS)


def test_an_mbpp_case_splits_the_solution_from_setup_and_asserts() -> None:
    case = mbpp_case(CLASS_CODE, CLASS_TESTS, CLASS_SETUP, ("Box",))
    assert case.solution == f"{CLASS_CODE}\n"
    assert case.tests == f"{CLASS_SETUP}\n{CLASS_TESTS[0]}\n"
    assert case.context == ""
    assert case.entry == ("Box",)
    assert _runs(case.script)
    plain = mbpp_case(CODE, TESTS)
    assert plain.tests == "\n".join(TESTS) + "\n"  # a blank setup adds no line
    assert plain.entry == ()
    assert mbpp_case(CODE, TESTS, " ").tests == plain.tests


def test_the_entry_is_what_the_solution_defines_and_the_asserts_call() -> None:
    reference = (
        "import math\n"
        "def helper(x):\n    return x\n"
        "def sum(xs):\n    return math.fsum(xs)\n"
        "async def fetch():\n    return 1\n"
        "class Pair:\n    pass\n"
    )
    tests = ["assert sum([1, 2]) == 3", "assert fetch() is not None", "assert Pair() and len([1])"]
    # helper is defined but never called by the asserts; len is called but not defined
    assert mbpp_entry(reference, tests) == ("Pair", "fetch", "sum")
    assert mbpp_entry(reference, ["assert obj.sum([1]) == 1"]) == ()  # a method call is not a name
    assert mbpp_entry("def f(:\n", TESTS) == ()
    assert mbpp_entry(CODE, ["assert add(1,"]) == ()
    assert mbpp_entry("x = 1\0", TESTS) == ()  # ast.parse's ValueError (a null byte)


@pytest.mark.parametrize(
    ("code", "names"),
    [
        (CODE, {"add"}),
        (
            "import os\nLIMIT = 3\ndef f(x):\n    return x * LIMIT\nasync def g():\n    return 2",
            {"f", "g"},
        ),
    ],
)
def test_a_stub_keeps_every_name_and_signature_and_computes_nothing(
    code: str, names: set[str]
) -> None:
    stub = stub_of(code)
    tree = ast.parse(stub)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert {f.name for f in functions} == names
    original = {
        n.name: ast.dump(n.args)
        for n in ast.parse(code).body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for f in functions:
        assert ast.dump(f.args) == original[f.name]
        assert len(f.body) == 1 and isinstance(f.body[0], ast.Return)
        body = f.body[0].value
        assert isinstance(body, ast.Constant) and body.value is None
    other = [
        ast.dump(n)
        for n in ast.parse(code).body
        if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    assert [
        ast.dump(n) for n in tree.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ] == other
    scope: dict[str, Any] = {}
    exec(compile(stub, "<stub>", "exec"), scope)
    if "f" in scope:
        assert scope["f"](2) is None
    assert not _runs(mbpp_program(stub_of(CODE), TESTS))


@pytest.mark.parametrize(
    ("prompt", "context"),
    [
        ('def f(x):\n    """Twice x."""\n', 'def f(x):\n    """Twice x."""\n'),  # runs as is
        ("def f(x):\n\n\n", "def f(x):\n    pass\n"),  # no docstring: `pass` as the body
        ("def f(x:\n", ""),  # neither parses: no context, the solution's helpers are used
    ],
)
def test_a_humaneval_case_runs_the_prompt_as_trusted_context(prompt: str, context: str) -> None:
    from evals.metrics.code import humaneval_case

    case = humaneval_case(prompt, "    return 2 * x\n", "def check(c):\n    assert c(2) == 4", "f")
    assert case.context == context
    assert case.solution == f"{prompt}    return 2 * x\n\n"
    assert case.tests == "def check(c):\n    assert c(2) == 4\n\ncheck(f)\n"
    assert case.entry == ("f",)
