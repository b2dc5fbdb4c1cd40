"""The last check of a release: no line of what stays private is in it.

A release is refused when a *secret line* occurs anywhere in its files, as a
whole line or inside a longer one, whatever the spacing. The secret lines:

- of the reference solutions (``grading/private/reference/``), for every
  release: the lines inside the bodies of its Python functions (code
  without its trailing comment, and comment lines; not docstrings, not
  ``def`` lines, which the stubs share) and
  every line of its other files;
- of the hidden suites (``grading/hidden/suites/``), for the student
  template, the same way.

A line counts when it has at least :data:`MIN_LINE` characters after its
whitespace is collapsed, is not an import, and is not public anyway: not in
the course package or the summary guide that students get, not inside a
one-line string of the hidden suites (the calls a task asks for, which the
feedback quotes as "expected ..."), and, for the hidden suites, not in the
public part of the grader (shared idioms such as ``except (TypeError,
ValueError):``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from grading.util.paths import HIDDEN_DIR, REFERENCE_DIR, REPO_ROOT, SUITES_DIR

from .files import TEMPLATE_EXCLUDES, ReleaseError, under, walk_files

#: Shorter lines (after collapsing whitespace) are too common to count.
MIN_LINE = 25
#: Files larger than this are read only in their first part.
MAX_SCAN_BYTES = 4_000_000

#: What every student has: lines found there are never secret.
PUBLIC_COURSE = ("dl_in_iot_course", "summaries")

_IMPORT = re.compile(r"^(from \S+ )?import \S")


def normal(text: str) -> str:
    """Collapse every run of whitespace in ``text`` to one space."""
    return " ".join(text.split())


def _text(path: Path) -> str:
    try:
        return path.read_bytes()[:MAX_SCAN_BYTES].decode("utf-8", "replace")
    except OSError:
        return ""


def _body_line_numbers(tree: ast.AST) -> set[int]:
    """Line numbers inside function bodies, without docstrings."""
    numbers: set[int] = set()
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(
                getattr(first, "value", None), ast.Constant
            ):
                docstrings.update(range(first.lineno, (first.end_lineno or 0) + 1))
            start = body[0].lineno
            numbers.update(range(start, (node.end_lineno or start) + 1))
    return numbers - docstrings


def _candidate_lines(path: Path) -> list[tuple[int, str]]:
    """``(line number, line)`` of ``path`` that may hold a solution."""
    text = _text(path)
    lines = text.splitlines()
    if path.suffix == ".py":
        try:
            keep = _body_line_numbers(ast.parse(text))
        except (SyntaxError, ValueError):
            keep = set(range(1, len(lines) + 1))
        return [(n, lines[n - 1]) for n in sorted(keep) if n <= len(lines)]
    return list(enumerate(lines, start=1))


def _without_comment(line: str) -> str:
    """Return a line of code without its trailing comment (a comment-only
    line is kept whole): a shared idiom such as ``except Exception:  # noqa``
    is not a solution, whatever its comment says."""
    code, hashmark, _comment = line.partition("  #")
    return code if hashmark and code.strip() else line


def _one_line_strings(folder: Path) -> str:
    """Every one-line string literal of the Python files under ``folder``."""
    found = []
    for path, _rel in walk_files(folder, folder):
        if path.suffix != ".py":
            continue
        try:
            tree = ast.parse(_text(path))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if "\n" not in node.value.strip():
                    found.append(normal(node.value))
    return "\n".join(found)


def _lines_of(source: Path, names: Iterable[str], skip: Iterable[str] = ()) -> set[str]:
    """Normalised lines of the files under ``source/NAME``, but those under ``skip``."""
    found: set[str] = set()
    for name in names:
        root = source / name
        if not root.exists():
            continue
        for path, rel in walk_files(root, source):
            if not under(rel, skip):
                found.update(normal(line) for line in _text(path).splitlines())
    return found


def secret_lines(folder: Path, public: set[str], quoted: str = "") -> dict[str, str]:
    """Return the secret lines of the files under ``folder``.

    Parameters
    ----------
    folder : Path
        A folder whose solution lines must not be released.
    public : set of str
        Normalised lines that are public anyway.
    quoted : str
        Text whose substrings are public (the hidden suites' one-line strings).

    Returns
    -------
    dict
        ``{"<normalised line>": "<file>:<line number>"}``, the first place
        each line was seen.
    """
    found: dict[str, str] = {}
    if not folder.exists():
        return found
    for path, rel in walk_files(folder, folder.parent):
        for number, line in _candidate_lines(path):
            text = normal(_without_comment(line) if path.suffix == ".py" else line)
            if len(text) < MIN_LINE or text in public or _IMPORT.match(text):
                continue
            if text in quoted:
                continue
            found.setdefault(text, f"{rel}:{number}")
    return found


def reference_secrets(source: Path = REPO_ROOT) -> dict[str, str]:
    """Secret lines of the reference solutions (kept out of every release)."""
    public = _lines_of(source, PUBLIC_COURSE)
    suites = source / SUITES_DIR.relative_to(REPO_ROOT)
    reference = source / REFERENCE_DIR.relative_to(REPO_ROOT)
    return secret_lines(reference, public, _one_line_strings(suites))


def hidden_secrets(source: Path = REPO_ROOT) -> dict[str, str]:
    """Secret lines of the hidden suites (kept out of the student template)."""
    public = _lines_of(source, (*PUBLIC_COURSE, "grading"), skip=TEMPLATE_EXCLUDES)
    hidden = source / HIDDEN_DIR.relative_to(REPO_ROOT)
    suites = source / SUITES_DIR.relative_to(REPO_ROOT)
    return secret_lines(suites if suites.exists() else hidden, public)


def leaks(out: Path, secret: dict[str, str]) -> list[str]:
    """Return one ``"<file> holds line <where>: ..."`` per secret line in ``out``."""
    texts = {}
    for path, rel in walk_files(out, out):
        if rel == ".git" or rel.startswith(".git/"):
            continue
        texts[rel] = normal(_text(path))
    blob = "\0".join(texts.values())
    found = []
    for line, where in secret.items():
        if line not in blob:
            continue
        for rel, text in texts.items():
            if line in text:
                found.append(f"{rel} holds line {where}: {line[:80]!r}")
    return sorted(found)


def refuse_leaks(out: Path, secret: dict[str, str], what: str) -> None:
    """Raise :class:`ReleaseError` when ``out`` holds a line of ``secret``."""
    found = leaks(out, secret)
    if found:
        shown = "; ".join(found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        raise ReleaseError(
            f"refusing to release the {what}: {shown}{more}. Change or move that "
            "text, then release again"
        )
