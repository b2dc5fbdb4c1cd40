"""Protected template functions: keep the functions of the template as given.

The rubric's ``protected_functions = ["<file>::<Class>.<method>", ...]``
names template functions inside files the student edits (the experiment
module). Each is compared by its syntax tree (comments, formatting and
docstrings do not count) with the template the student started from: our
stub, or, for a fork of the original course, the fingerprint of that
version's function (``grading/versions/templates.toml``). A changed or
deleted one is replaced by the instructor's source, made self-contained:
names it needs that the student's module lacks are imported inside it.
Nothing here runs or imports student code.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.versions.fingerprint import UNREADABLE

_DIFF_LIMIT = 4000


def capped_diff(old: str, new: str, name: str) -> str:
    """Unified diff from the student's text to the instructor's, capped."""
    text = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"submission/{name}",
            tofile=f"instructor/{name}",
        )
    )
    if len(text) > _DIFF_LIMIT:
        text = text[:_DIFF_LIMIT] + "\n[... diff cut ...]\n"
    return text


def _strip_docstring(node: ast.AST) -> ast.AST:
    body = getattr(node, "body", None)
    if (
        isinstance(body, list)
        and body
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:] or [ast.Pass()]
        node.body = body  # type: ignore[attr-defined]
    return node


def _signature(node: ast.AST) -> str:
    """AST dump of a function without docstring and positions."""
    import copy

    clone = _strip_docstring(copy.deepcopy(node))
    return ast.dump(clone, annotate_fields=True, include_attributes=False)


def _find(tree: ast.Module, qualname: str) -> tuple[ast.AST | None, ast.AST | None]:
    """Return (function node, its parent) for ``Class.method`` or ``func``."""
    parent: ast.AST = tree
    parts = qualname.split(".")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        found = None
        for child in getattr(parent, "body", []):
            if getattr(child, "name", None) != part:
                continue
            if last and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found = child
            elif not last and isinstance(child, ast.ClassDef):
                found = child
        if found is None:
            return None, parent if index == len(parts) - 1 else None
        if last:
            return found, parent
        parent = found
    return None, None


def _source_span(node: ast.AST) -> tuple[int, int]:
    """First and last line (1-based, inclusive) of a definition with decorators."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno or node.lineno


def _segment(lines: list[str], node: ast.AST) -> str:
    first, last = _source_span(node)
    return "".join(lines[first - 1 : last])


def _reindent(source: str, indent: str) -> str:
    return textwrap.indent(
        textwrap.dedent(source), indent, lambda line: line.strip() != ""
    )


def _imports_of(tree: ast.Module) -> dict[str, str]:
    """``name -> import statement`` of the top-level imports of a module."""
    found: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for alias in node.names:
            if alias.name == "*":
                continue
            name = (alias.asname or alias.name).split(".")[0]
            if isinstance(node, ast.Import):
                one = ast.Import(names=[alias])
            else:
                one = ast.ImportFrom(
                    module=node.module, names=[alias], level=node.level
                )
            found.setdefault(name, ast.unparse(one))
    return found


def portable_source(
    want_src: str, want_tree: ast.Module, have_tree: ast.Module
) -> tuple[str, list[str], list[str]]:
    """Make the instructor's function run inside the student's module.

    The function may need names the student's module does not bind (our
    template imports ``tf_keras``; the original course's modules import only
    ``tensorflow as tf``). Each such name that the instructor's module
    imports is imported inside the function, first thing after its
    docstring, so the function needs nothing its new module lacks.

    Returns
    -------
    tuple
        ``(source, added imports, names still missing)``: the dedented
        source, the import statements added, and names it needs that no
        import provides (the instructor is told).
    """
    from grading.versions.fingerprint import bound_names, free_names

    source = textwrap.dedent(want_src)
    node = ast.parse(source).body[0]
    missing = sorted(free_names(node) - bound_names(have_tree))
    imports = _imports_of(want_tree)
    added = [imports[name] for name in missing if name in imports]
    unresolved = [name for name in missing if name not in imports]
    if not added:
        return source, [], unresolved
    body = node.body  # type: ignore[attr-defined]
    lines = source.splitlines(keepends=True)
    first = body[0]
    indent = lines[first.lineno - 1][: first.col_offset]
    at = first.end_lineno if _is_docstring(first) else first.lineno - 1
    block = [f"{indent}{stmt}  # added by the grader\n" for stmt in added]
    lines[at:at] = block
    return "".join(lines), added, unresolved


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _unchanged(
    have_node: ast.AST | None, want_node: ast.AST, recorded: dict[str, Any] | None
) -> bool:
    """True when the student's function is the template's own.

    ``recorded`` is the function's entry in the template version's facts
    (a fork of the original course): the student's function is compared
    with that version's fingerprint. Without it (our own template) it is
    compared with the instructor's stub.
    """
    if have_node is None:
        return False
    if recorded is not None:
        from grading.versions.fingerprint import fingerprint

        return fingerprint(have_node) == recorded.get("fingerprint")
    return _signature(have_node) == _signature(want_node)


def _function_findings(
    rel: str,
    qualname: str,
    action: str,
    diff: str,
    version: str,
    unresolved: list[str],
) -> list[Finding]:
    """The student notice and the instructor diff of one restored function."""
    where = f"the template version {version}" if version else "the template"
    note = (
        f" The replacement needs {', '.join(unresolved)}, which the module "
        "does not define; its tests may fail for that reason."
        if unresolved
        else ""
    )
    data = {"path": rel, "function": qualname, "version": version}
    return [
        Finding(
            check="sandbox.protected_function",
            item="",
            passed=None,
            message=f"{qualname} in {rel} is part of the course template and "
            "must not be changed; it was reset to the template's version "
            "before your code was tested.",
            hint="Implement only the methods the README asks for; leave the "
            "template methods as given.",
            evidence=f"{rel}::{qualname}",
            code=f"protected_function_{action}",
            audience="student",
            data=data,
        ),
        Finding(
            check="sandbox.protected_function",
            item="",
            passed=None,
            message=f"{rel}::{qualname} differed from {where} and was {action} "
            f"for grading with the instructor's equivalent.{note}",
            evidence=diff,
            code=f"protected_function_{action}",
            audience="instructor",
            data={**data, "unresolved": unresolved},
        ),
    ]


def _unparsable(rel: str, exc: Exception) -> Finding:
    return Finding(
        check="sandbox.protected_function",
        item="",
        passed=None,
        message=f"{rel} does not parse (line {getattr(exc, 'lineno', '?')}), "
        "so its protected template functions could not be checked.",
        evidence=str(exc),
        code="protected_unparsable",
        audience="instructor",
        data={"path": rel},
    )


def _restore_one(
    have_text: str,
    want_text: str,
    want_tree: ast.Module,
    qualname: str,
    recorded: dict[str, Any] | None,
) -> tuple[str, str, str, str, list[str]] | None:
    """Put one function back; ``(text, action, old, new, unresolved)`` or None."""
    want_node, _ = _find(want_tree, qualname)
    if want_node is None:
        return None
    have_tree = ast.parse(have_text)
    have_node, parent = _find(have_tree, qualname)
    if _unchanged(have_node, want_node, recorded):
        return None
    want_src, _, unresolved = portable_source(
        _segment(want_text.splitlines(keepends=True), want_node), want_tree, have_tree
    )
    lines = have_text.splitlines(keepends=True)
    if have_node is not None:
        first, last = _source_span(have_node)
        head = lines[first - 1]
        new_src = _reindent(want_src, head[: len(head) - len(head.lstrip())])
        old_src = "".join(lines[first - 1 : last])
        action = "restored"
    elif isinstance(parent, ast.ClassDef):
        first = last = parent.end_lineno or parent.lineno
        body_line = lines[parent.body[0].lineno - 1] if parent.body else "    "
        indent = body_line[: len(body_line) - len(body_line.lstrip())] or "    "
        new_src = "\n" + _reindent(want_src, indent)
        old_src = ""
        first += 1
        action = "recreated"
    else:
        return None  # class or module-level function gone: tests report it
    if not new_src.endswith("\n"):
        new_src += "\n"
    lines[first - 1 : last] = [new_src]
    return "".join(lines), action, old_src, new_src, unresolved


def restore_functions(
    workcopy: Path,
    specs: list[str],
    instructor_root: Path,
    template: dict[str, Any] | None = None,
    version: str = "",
) -> list[Finding]:
    """Replace modified template functions by the instructor's source.

    Parameters
    ----------
    workcopy : Path
        The working copy (modified in place).
    specs : list of str
        ``"<file>::<qualname>"`` entries, the file relative to the root.
    instructor_root : Path
        The instructor's repository.
    template : dict, optional
        The facts of the submission's template version of the lab when it
        is a version of the original course (``functions``: fingerprints per
        qualified name, see ``grading/versions/templates.toml``). A function
        that version does not have is not protected; one whose fingerprint
        is the version's is left alone; any other is replaced by the
        instructor's equivalent (with the imports it needs added inside
        it). Without it, functions are compared with the instructor's stub.
    version : str
        Id of that version, for the findings.

    Returns
    -------
    list of Finding
        Two per restored function; one informational finding when a file
        cannot be parsed (the hidden tests then report the import error).
    """
    findings: list[Finding] = []
    recorded_all = (template or {}).get("functions") if template else None
    by_file: dict[str, list[str]] = {}
    for spec in specs or []:
        rel, _, qualname = spec.partition("::")
        if rel and qualname:
            by_file.setdefault(rel, []).append(qualname)
    for rel in sorted(by_file):
        try:
            want_text = (instructor_root / rel).read_text(encoding="utf-8")
            want_tree = ast.parse(want_text)
        except (OSError, SyntaxError, ValueError):
            continue  # the instructor's copy lacks it: nothing to protect
        have_path = workcopy / rel
        try:
            have_text = have_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # missing file: the hidden tests report it
        changed = False
        for qualname in sorted(by_file[rel]):
            recorded = None
            if isinstance(recorded_all, dict):
                recorded = recorded_all.get(qualname)
                if not isinstance(recorded, dict):
                    continue  # not a function of that version's template
            try:
                done = _restore_one(have_text, want_text, want_tree, qualname, recorded)
            except UNREADABLE as exc:
                findings.append(_unparsable(rel, exc))
                break
            if done is None:
                continue
            have_text, action, old_src, new_src, unresolved = done
            changed = True
            diff = capped_diff(old_src, new_src, f"{rel}::{qualname}")
            findings += _function_findings(
                rel, qualname, action, diff, version, unresolved
            )
        if changed:
            try:
                have_path.write_text(have_text, encoding="utf-8")
            except OSError:
                pass
    return findings
