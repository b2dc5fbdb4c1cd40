"""Restore what the student must not change, before their code runs.

Two kinds of protection, both read from the lab rubric:

``protected = ["dl_in_iot_course/misc/**", "dl_in_iot_course/__init__.py"]``
    Whole files (glob patterns relative to the repository root). Each file of
    the instructor's copy that matches is put back into the working copy when
    it differs or is missing; files the student added under a protected
    pattern are removed.

``protected_functions = ["<file>::<Class>.<method>", "<file>::<function>"]``
    Template functions inside files the student edits (the experiment
    module). Each is compared with the instructor's stub by its syntax tree
    (comments, formatting and docstrings do not count) and replaced by the
    instructor's source when it differs.

Every restoration yields a finding with the raw difference for the
instructor and a plain message for the student. Nothing here runs or imports
student code.
"""

from __future__ import annotations

import ast
import difflib
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.util.globs import glob_regex

_IGNORED_PARTS = ("__pycache__",)
_IGNORED_SUFFIXES = (".pyc", ".pyo")
_DIFF_LIMIT = 4000


def _match(rel: str, pattern: str) -> bool:
    """True if the relative posix path ``rel`` matches the glob ``pattern``."""
    return bool(glob_regex(pattern).match(rel))


def _literal_prefix(pattern: str) -> str:
    """Return the leading folders of ``pattern`` that hold no wildcard."""
    parts = pattern.split("/")
    literal = []
    for part in parts[:-1]:
        if any(ch in part for ch in "*?["):
            break
        literal.append(part)
    return "/".join(literal)


def _files(root: Path, patterns: list[str]) -> list[str]:
    """Return the relative posix paths of regular files under ``root`` that
    match one of ``patterns``.

    Only the folders named by the patterns' literal prefixes are walked, so a
    virtual environment or a data set beside them costs nothing.
    """
    out: set[str] = set()
    if not root.is_dir():
        return []
    for start in sorted({_literal_prefix(p) for p in patterns}):
        base = root / start if start else root
        if not base.is_dir() or base.is_symlink():
            continue
        for path in base.rglob("*"):
            if any(part in _IGNORED_PARTS for part in path.parts):
                continue
            if (
                path.suffix in _IGNORED_SUFFIXES
                or path.is_symlink()
                or not path.is_file()
            ):
                continue
            rel = path.relative_to(root).as_posix()
            if any(_match(rel, p) for p in patterns):
                out.add(rel)
    return sorted(out)


def _diff(old: str, new: str, name: str) -> str:
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


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _pair(
    check: str, rel: str, student_msg: str, code: str, diff: str, data: dict[str, Any]
) -> list[Finding]:
    """A student-view notice and an instructor-view finding with the diff."""
    return [
        Finding(
            check=check,
            item="",
            passed=None,
            message=student_msg,
            hint="Keep the course files as given; put your work only where the "
            "README asks for it.",
            evidence=rel,
            code=code,
            audience="student",
            data=dict(data),
        ),
        Finding(
            check=check,
            item="",
            passed=None,
            message=f"The submission had modified {rel}; the instructor's version "
            "was used for grading.",
            evidence=diff,
            code=code,
            audience="instructor",
            data=dict(data),
        ),
    ]


def restore_files(
    workcopy: Path, patterns: list[str], instructor_root: Path
) -> list[Finding]:
    """Put the instructor's version of protected files into ``workcopy``.

    Parameters
    ----------
    workcopy : Path
        The working copy (modified in place).
    patterns : list of str
        Globs relative to the repository root (``"pkg/misc/**"``).
    instructor_root : Path
        The instructor's repository.

    Returns
    -------
    list of Finding
        Two per restored, re-created or removed file (student and instructor
        view).
    """
    findings: list[Finding] = []
    if not patterns:
        return findings
    instructor = set(_files(instructor_root, patterns))
    student = set(_files(workcopy, patterns))
    for rel in sorted(instructor | student):
        target = workcopy / rel
        if rel not in instructor:
            text = (_read(target) or b"").decode("utf-8", errors="replace")
            try:
                target.unlink()
            except OSError:
                continue
            findings += _pair(
                "sandbox.protected_file",
                rel,
                f"{rel} is not part of the course files in this protected folder; it "
                "was left out when your code was tested.",
                "protected_added",
                _diff(text, "", rel),
                {"path": rel, "action": "removed"},
            )
            continue
        want = _read(instructor_root / rel)
        if want is None:
            continue
        have = _read(target) if target.is_file() and not target.is_symlink() else None
        if have == want:
            continue
        action = "recreated" if have is None else "restored"
        try:
            if target.is_symlink() or target.is_dir():
                if target.is_dir() and not target.is_symlink():
                    import shutil

                    shutil.rmtree(target)
                else:
                    target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(want)
        except OSError:
            continue
        if have is None:
            message = (
                f"{rel} was missing from your repository; the course's "
                "version was used when your code was tested."
            )
        else:
            message = (
                f"{rel} is a course file that must not be changed; your "
                "changes to it were reset to the course's version before "
                "your code was tested."
            )
        findings += _pair(
            "sandbox.protected_file",
            rel,
            message,
            f"protected_{action}",
            _diff(
                (have or b"").decode("utf-8", errors="replace"),
                want.decode("utf-8", errors="replace"),
                rel,
            ),
            {"path": rel, "action": action},
        )
    return findings


# --------------------------------------------------------------------------
# Protected functions
# --------------------------------------------------------------------------


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


def restore_functions(
    workcopy: Path, specs: list[str], instructor_root: Path
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

    Returns
    -------
    list of Finding
        Two per restored function; one informational finding when a file
        cannot be parsed (the hidden tests then report the import error).
    """
    findings: list[Finding] = []
    by_file: dict[str, list[str]] = {}
    for spec in specs or []:
        rel, _, qualname = spec.partition("::")
        if rel and qualname:
            by_file.setdefault(rel, []).append(qualname)
    for rel in sorted(by_file):
        want_path = instructor_root / rel
        have_path = workcopy / rel
        try:
            want_text = want_path.read_text(encoding="utf-8")
            want_tree = ast.parse(want_text)
        except (OSError, SyntaxError, ValueError):
            continue  # the instructor's copy lacks it: nothing to protect
        try:
            have_text = have_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # missing file: the hidden tests report it
        changed = []
        # Re-parse after each replacement so line numbers stay valid.
        for qualname in sorted(by_file[rel]):
            try:
                have_tree = ast.parse(have_text)
            except (SyntaxError, ValueError) as exc:
                findings.append(
                    Finding(
                        check="sandbox.protected_function",
                        item="",
                        passed=None,
                        message=f"{rel} does not parse (line "
                        f"{getattr(exc, 'lineno', '?')}), "
                        "so its protected template functions could not be checked.",
                        evidence=str(exc),
                        code="protected_unparsable",
                        audience="instructor",
                        data={"path": rel},
                    )
                )
                break
            want_node, _ = _find(want_tree, qualname)
            if want_node is None:
                continue
            want_src = _segment(want_text.splitlines(keepends=True), want_node)
            have_node, parent = _find(have_tree, qualname)
            lines = have_text.splitlines(keepends=True)
            if have_node is not None:
                if _signature(have_node) == _signature(want_node):
                    continue
                first, last = _source_span(have_node)
                indent = lines[first - 1][
                    : len(lines[first - 1]) - len(lines[first - 1].lstrip())
                ]
                old_src = "".join(lines[first - 1 : last])
                new_src = _reindent(want_src, indent)
                if not new_src.endswith("\n"):
                    new_src += "\n"
                lines[first - 1 : last] = [new_src]
                action = "restored"
            elif parent is not None and isinstance(parent, ast.ClassDef):
                last = parent.end_lineno or parent.lineno
                body_line = lines[parent.body[0].lineno - 1] if parent.body else "    "
                indent = body_line[: len(body_line) - len(body_line.lstrip())] or "    "
                old_src = ""
                new_src = "\n" + _reindent(want_src, indent)
                if not new_src.endswith("\n"):
                    new_src += "\n"
                lines[last:last] = [new_src]
                action = "recreated"
            else:
                continue  # class or module-level function gone: tests report it
            have_text = "".join(lines)
            changed.append(qualname)
            findings += [
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
                    data={"path": rel, "function": qualname},
                ),
                Finding(
                    check="sandbox.protected_function",
                    item="",
                    passed=None,
                    message=f"{rel}::{qualname} differed from the instructor's stub "
                    f"and was {action} for grading.",
                    evidence=_diff(old_src, new_src, f"{rel}::{qualname}"),
                    code=f"protected_function_{action}",
                    audience="instructor",
                    data={"path": rel, "function": qualname},
                ),
            ]
        if changed:
            try:
                have_path.write_text(have_text, encoding="utf-8")
            except OSError:
                pass
    return findings


def restore_protected(
    workcopy: Path,
    protected: Sequence[str],
    functions: Sequence[str],
    instructor_root: Path,
) -> list[Finding]:
    """Restore protected files and template functions in ``workcopy``.

    Parameters
    ----------
    workcopy : Path
        The working copy made by :func:`grading.sandbox.make_working_copy`.
    protected : sequence of str
        Globs of course files (the rubric's ``protected``).
    functions : sequence of str
        ``"<file>::<qualified name>"`` of template functions (the rubric's
        ``protected_functions``).
    instructor_root : Path
        The instructor's repository, normally
        ``Path(grading.__file__).parents[1]``.

    Returns
    -------
    list of Finding
        Informational findings (``item=""``), sorted by path; a student-view
        notice and an instructor-view diff per restoration.
    """
    workcopy = Path(workcopy)
    instructor_root = Path(instructor_root)
    findings = restore_files(workcopy, list(protected), instructor_root)
    findings += restore_functions(workcopy, list(functions), instructor_root)
    return findings
