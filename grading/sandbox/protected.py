"""Restore what the student must not change, before their code runs.

Two kinds of protection, both read from the lab rubric:

``protected = ["dl_in_iot_course/misc/**", "dl_in_iot_course/__init__.py"]``
    Whole files (glob patterns relative to the repository root). Each file of
    the instructor's copy that matches is put back into the working copy when
    it differs or is missing; files the student added under a protected
    pattern are removed.

``protected_functions = ["<file>::<Class>.<method>", "<file>::<function>"]``
    Template functions inside files the student edits (the experiment
    module). Each is compared by its syntax tree (comments, formatting and
    docstrings do not count) with the template the student started from:
    our stub, or, for a fork of the original course, the fingerprint of that
    version's function (``grading/versions/templates.toml``). A changed one
    is replaced by the instructor's source, made self-contained: names it
    needs that the student's module lacks are imported inside it.

Every restoration yields a finding with the raw difference for the
instructor and a plain message for the student. Nothing here runs or imports
student code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.sandbox.protected_functions import capped_diff, restore_functions
from grading.util.git import git_blob_sha
from grading.util.globs import glob_regex

_IGNORED_PARTS = ("__pycache__",)
_IGNORED_SUFFIXES = (".pyc", ".pyo")


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


def _version_file(rel: str, action: str) -> Finding:
    """The instructor note for a course file of the student's own version."""
    return Finding(
        check="sandbox.protected_file",
        item="",
        passed=None,
        message=f"{rel} is the file of the submission's template version, "
        f"unchanged; the grader's course file was used instead ({action}).",
        evidence=rel,
        code="protected_version_file",
        audience="instructor",
        data={"path": rel, "action": action},
    )


def _is_versions_own(
    rel: str, have: bytes | None, own: dict[str, list[str]] | None
) -> bool:
    """True when the student's copy of ``rel`` is their template version's."""
    if own is None:
        return False
    if have is None:
        return rel not in own  # the version never had it
    return git_blob_sha(have) in (own.get(rel) or [])


def _put_back(target: Path, want: bytes) -> bool:
    """Write the instructor's bytes at ``target`` (replacing a link or folder)."""
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
        return False
    return True


def restore_files(
    workcopy: Path,
    patterns: list[str],
    instructor_root: Path,
    own: dict[str, list[str]] | None = None,
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
    own : dict, optional
        For a fork of the original course: ``path -> blob ids`` of these
        files in the student's template version (``protected_files`` in
        ``grading/versions/templates.toml``). A file the student left as
        their version has it (or that the version never had) is replaced
        without a notice to the student; only changes of their own are
        reported to them.

    Returns
    -------
    list of Finding
        Two per restored, re-created or removed file (student and instructor
        view); one instructor note per file of the student's own version.
    """
    findings: list[Finding] = []
    if not patterns:
        return findings
    instructor = set(_files(instructor_root, patterns))
    student = set(_files(workcopy, patterns))
    for rel in sorted(instructor | student):
        target = workcopy / rel
        if rel not in instructor:
            content = _read(target)
            text = (content or b"").decode("utf-8", errors="replace")
            try:
                target.unlink()
            except OSError:
                continue
            if _is_versions_own(rel, content, own) and content is not None:
                findings.append(_version_file(rel, "removed"))
                continue
            findings += _pair(
                "sandbox.protected_file",
                rel,
                f"{rel} is not part of the course files in this protected folder; it "
                "was left out when your code was tested.",
                "protected_added",
                capped_diff(text, "", rel),
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
        if not _put_back(target, want):
            continue
        if _is_versions_own(rel, have, own):
            findings.append(_version_file(rel, action))
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
            capped_diff(
                (have or b"").decode("utf-8", errors="replace"),
                want.decode("utf-8", errors="replace"),
                rel,
            ),
            {"path": rel, "action": action},
        )
    return findings


def restore_protected(
    workcopy: Path,
    protected: Sequence[str],
    functions: Sequence[str],
    instructor_root: Path,
    template: dict[str, Any] | None = None,
    version: str = "",
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
    template : dict, optional
        The lab facts of the submission's template version when it is one
        of the original course: its ``protected_files`` (see
        :func:`restore_files`) and ``functions`` (see
        :func:`restore_functions`).
    version : str
        Id of that version, for the findings.

    Returns
    -------
    list of Finding
        Informational findings (``item=""``), sorted by path; a student-view
        notice and an instructor-view diff per restoration.
    """
    workcopy = Path(workcopy)
    instructor_root = Path(instructor_root)
    own = (template or {}).get("protected_files") if template else None
    findings = restore_files(
        workcopy,
        list(protected),
        instructor_root,
        own if isinstance(own, dict) else None,
    )
    findings += restore_functions(
        workcopy, list(functions), instructor_root, template, version
    )
    return findings
