"""The size limits of the grader's code, and the helpers that exist once.

No module of ``grading/`` reaches 600 lines and no function is over 100
(from its first decorator to its last line). The helpers named in
:data:`SINGLE` are defined once in ``grading/``: a second copy is a second
place to fix. The hidden suites are the exception the rules allow: they run
inside the sandbox without ``grading`` on their path, so they keep small
writers of their own and are left out of the single-helper scan.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRADING = Path(__file__).resolve().parents[2] / "grading"
MAX_MODULE_LINES = 600  # a module must stay below this
MAX_FUNCTION_LINES = 100  # a function may have this many
#: Helper name -> the one module (relative to grading/) that defines it.
SINGLE = {
    "write_atomic": "util/io.py",
    "run_git": "util/git.py",
    "run_git_bytes": "util/git.py",
}
#: Left out of the single-helper scan (see the module docstring).
SUITES = "hidden/suites/"


def modules() -> list[tuple[str, str, ast.Module]]:
    found = []
    for path in sorted(GRADING.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found.append((path.relative_to(GRADING).as_posix(), text, ast.parse(text)))
    return found


def functions(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return node.end_lineno - first + 1


@pytest.fixture(scope="module")
def code():
    return modules()


def test_the_scan_sees_the_grader(code):
    names = {rel for rel, _text, _tree in code}
    assert {"pipeline/engine.py", "util/io.py", "util/git.py"} <= names
    assert len(names) > 100


def test_no_module_reaches_600_lines(code):
    long = {
        rel: n
        for rel, text, _tree in code
        if (n := len(text.splitlines())) >= MAX_MODULE_LINES
    }
    assert not long, f"split these modules (lines): {long}"


def test_no_function_is_over_100_lines(code):
    long = {
        f"{rel}:{node.lineno} {node.name}": n
        for rel, _text, tree in code
        for node in functions(tree)
        if (n := function_lines(node)) > MAX_FUNCTION_LINES
    }
    assert not long, f"split these functions (lines): {long}"


def test_single_helpers_are_defined_once(code):
    where: dict[str, list[str]] = {name: [] for name in SINGLE}
    for rel, _text, tree in code:
        if rel.startswith(SUITES):
            continue
        for node in functions(tree):
            if node.name in where:
                where[node.name].append(f"{rel}:{node.lineno}")
    for name, home in SINGLE.items():
        assert [w.split(":")[0] for w in where[name]] == [home], (
            f"{name} must be defined once, in grading/{home}: {where[name]}"
        )


def test_the_function_length_counts_decorators():
    tree = ast.parse("@a\n@b\ndef f():\n    x = 1\n    return x\n")
    assert function_lines(next(functions(tree))) == 5
