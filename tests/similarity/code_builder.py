"""Build a student's lab module from the stub and the student's method bodies.

A fixture ``fixtures/code/<student>.txt`` holds sections:

- ``## <top>``: code put after the stub's imports (helpers, imports);
- ``## Class.method``: the body that replaces the stub's body of that method
  (the template's ``def`` line is kept);
- ``## Class.method+``: a new member put after that method.

The disguises a copier applies are functions here too: renaming
identifiers (token by token, so strings and comments are left alone),
reordering the methods of every class, and adding comments.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STUB = (
    REPO / "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
)
REFERENCE = (
    REPO
    / "grading/private/reference/l03_pruning_clustering"
    / "pruning_clustering_experiments.py"
)
MODULE_PATH = (
    "dl_in_iot_course/l03_pruning_clustering/pruning_clustering_experiments.py"
)
CODE_DIR = Path(__file__).parent / "fixtures" / "code"


def sections(text: str) -> dict[str, str]:
    """Split a fixture into ``{section name: text}``."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^## (\S+)\s*$", line)
        if match:
            current = match.group(1)
            found[current] = []
        elif current is not None:
            found[current].append(line)
    return {name: "\n".join(lines).rstrip() + "\n" for name, lines in found.items()}


def _methods(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    return found


def fill_stub(parts: dict[str, str], stub: str | None = None) -> str:
    """Return the stub with the student's bodies, members and top code."""
    text = stub if stub is not None else STUB.read_text(encoding="utf-8")
    lines = text.splitlines()
    methods = _methods(ast.parse(text))
    edits = []  # (first line index, last line index exclusive, new lines)
    for name, body in parts.items():
        if name == "<top>":
            continue
        if name.endswith("+"):
            node = methods[name[:-1]]
            edits.append((node.end_lineno, node.end_lineno, ["", *body.splitlines()]))
            continue
        node = methods[name]
        first = node.body[0]
        start = first.lineno - 1
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            start = first.end_lineno  # keep the template's docstring
        # keep the template's own lines before the first TODO comment
        for index in range(node.lineno, node.end_lineno):
            if lines[index].strip().startswith("# TODO"):
                start = index
                break
        edits.append((start, node.end_lineno, body.splitlines()))
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = new
    if "<top>" in parts:
        tree = ast.parse("\n".join(lines))
        last_import = max(
            n.end_lineno
            for n in tree.body
            if isinstance(n, ast.Import | ast.ImportFrom)
        )
        lines[last_import:last_import] = ["", *parts["<top>"].splitlines()]
    return "\n".join(lines) + "\n"


def student_module(name: str) -> str:
    """Return the lab module of the fixture student ``name``."""
    return fill_stub(sections((CODE_DIR / f"{name}.txt").read_text(encoding="utf-8")))


def rename_identifiers(source: str, mapping: dict[str, str]) -> str:
    """Rename every NAME token found in ``mapping`` (not strings, not comments)."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = []
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string in mapping:
            tok = tok._replace(string=mapping[tok.string])
        out.append(tok)
    return tokenize.untokenize(out)


def reorder_methods(source: str) -> str:
    """Reverse the order of the methods of every class (moving their text)."""
    lines = source.splitlines()
    tree = ast.parse(source)
    for node in sorted(
        (n for n in tree.body if isinstance(n, ast.ClassDef)),
        key=lambda n: -n.lineno,
    ):
        items = [i for i in node.body if isinstance(i, ast.FunctionDef)]
        if len(items) < 2:
            continue
        start = min(d.lineno for i in items for d in [i, *i.decorator_list]) - 1
        end = max(i.end_lineno for i in items)
        blocks = []
        for item in items:
            first = min([item.lineno, *(d.lineno for d in item.decorator_list)]) - 1
            blocks.append(lines[first : item.end_lineno])
        new: list[str] = []
        for block in reversed(blocks):
            new += [*block, ""]
        lines[start:end] = new[:-1]
    return "\n".join(lines) + "\n"


def add_comments(source: str, every: int = 3) -> str:
    """Put a comment line above every ``every``-th indented statement."""
    out = []
    count = 0
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped and line != stripped and not stripped.startswith(("#", ")", "]")):
            count += 1
            if count % every == 0 and not out[-1].rstrip().endswith(("(", ",", "[")):
                indent = line[: len(line) - len(stripped)]
                out.append(f"{indent}# step {count}: see the lab README for details")
        out.append(line)
    return "\n".join(out) + "\n"
