"""Retry once when code fails only because a fresh clone lacks a folder.

A correct module that, at import or while it builds a model, opens a file in
a folder the student never committed (``logs/run.log``, ``build/results``)
works on the student's machine and fails on every fresh clone, the grader's
included. An instructor would create the folder and run it again; so does
this: when a failure of the first run is a ``FileNotFoundError`` for a path
inside the working copy whose folder does not exist there, the folders are
created and the hidden tests run once more. That run is scored, and a
finding ``hidden.fresh_clone`` tells the student which folder to commit or
create in code.

The deduction, if any, is rubric data: list ``hidden.fresh_clone`` among the
checks of an item with the weight it should have (it fails when a retry was
needed). By default no item lists it, and it only informs.

The runner calls :func:`retry` with a function that repeats its sandboxed
run; nothing here runs student code itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grading.pipeline.findings import Finding
from grading.util.io import read_untrusted, read_untrusted_json, write_atomic

CHECK = "hidden.fresh_clone"
#: The message of a FileNotFoundError (``[Errno 2] ...: 'path'``).
_MISSING = re.compile(r"No such file or directory: '([^'\n]{1,300})'")
#: At most this many folders are created.
MAX_FOLDERS = 5
#: Largest manifest or results file read (the recorder's own are far smaller).
MAX_FILE_BYTES = 4 * 1024 * 1024


def _texts(data: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """Every failure message and evidence of a run (tests and manifest)."""
    texts = []
    results = data.get("results") if isinstance(data.get("results"), dict) else {}
    for outcome in results.values():
        if isinstance(outcome, dict) and outcome.get("outcome") != "passed":
            texts += [str(outcome.get("message", "")), str(outcome.get("evidence", ""))]
    errors = [manifest.get("import_error")]
    variants = manifest.get("variants") if isinstance(manifest, dict) else None
    if isinstance(variants, dict):
        errors += [v.get("error") for v in variants.values() if isinstance(v, dict)]
    for error in errors:
        if isinstance(error, dict):
            texts += [str(error.get("message", "")), str(error.get("evidence", ""))]
    return texts


def missing_folders(
    workcopy: Path, texts: list[str], seen_as: Path | None = None
) -> list[str]:
    """Folders inside ``workcopy`` that failed writes needed and that are absent.

    Parameters
    ----------
    workcopy : Path
        The working copy the code ran in (its current folder).
    texts : list of str
        Failure messages of the run.
    seen_as : Path, optional
        Where the code saw the working copy, when the sandbox mounts it
        elsewhere (absolute paths under it are mapped back).

    Returns
    -------
    list of str
        Folders relative to the working copy (posix), at most
        :data:`MAX_FOLDERS`, none inside ``.git`` or outside the copy.
    """
    root = Path(workcopy).resolve()
    found: list[str] = []
    for text in texts:
        for raw in _MISSING.findall(text):
            path = Path(raw)
            if seen_as is not None and path.is_relative_to(seen_as):
                path = root / path.relative_to(seen_as)
            target = (path if path.is_absolute() else root / path).parent
            try:
                target = target.resolve()
                rel = target.relative_to(root)
            except (OSError, ValueError):
                continue  # outside the working copy: not a fresh-clone problem
            if not rel.parts or rel.parts[0] == ".git" or target.exists():
                continue
            name = rel.as_posix()
            if name not in found:
                found.append(name)
    return found[:MAX_FOLDERS]


def _load(path: Path) -> dict[str, Any]:
    return read_untrusted_json(path, MAX_FILE_BYTES)


def _take(path: Path) -> bytes | None:
    """Read a file the child wrote, then remove it; never follow a link.

    A link, a FIFO, a device or a file over :data:`MAX_FILE_BYTES` is removed
    unread (the child made it; the first run could not have used it either).
    """
    content = read_untrusted(Path(path), MAX_FILE_BYTES)
    try:
        os.unlink(path)
    except OSError:
        pass  # missing, or a folder: the next run's recorder replaces or fails
    return content


def _put_back(path: Path, content: bytes) -> None:
    """Restore a file by replacing whatever is there now (a link is not followed)."""
    try:
        write_atomic(Path(path), content)
    except OSError:
        pass


def _finding(folders: list[str], item: str) -> Finding:
    shown = ", ".join(f"{f}/" for f in folders)
    first = folders[0]
    return Finding(
        check=CHECK,
        item=item,
        passed=False,
        message=f"On a fresh clone of your repository your code could not write "
        f"into {shown}: the folder is not in the repository. The grader created "
        "it and ran the tests again; that run is the one graded.",
        hint=f"Create the folder in your code before writing into it "
        f"(Path({first!r}).mkdir(parents=True, exist_ok=True)), or commit it "
        f"with an empty file in it (git add {first}/.gitkeep).",
        evidence="\n".join(folders),
        code="fresh_clone_folder",
        data={"folders": folders},
    )


def retry(
    item: str,
    workcopy: Path,
    artifacts: Path,
    results_path: Path,
    first: tuple[Any, dict[str, Any]],
    run_again: Callable[[], Any],
    seen_as: Path | None = None,
) -> tuple[Any, dict[str, Any], list[Finding]]:
    """Rerun once with the missing folders created, when that is the failure.

    Parameters
    ----------
    item : str
        Rubric item the finding feeds (``""`` when no item lists
        ``hidden.fresh_clone``).
    workcopy : Path
        The working copy (folders are created in it).
    artifacts : Path
        The artifacts folder (its ``manifest.json`` is read, then cleared for
        the second run).
    results_path : Path
        The per-test results file of the run.
    first : tuple
        ``(sandbox result, results data)`` of the first run.
    run_again : callable
        Repeats the sandboxed run and returns its sandbox result.
    seen_as : Path, optional
        The working copy's path as the code saw it (the contract's ``workcopy``).

    Returns
    -------
    tuple
        ``(result, data, findings)``: the run to score and the findings to
        add (one when a retry happened; a passed one when an item lists the
        check and none was needed).
    """
    result, data = first
    manifest = _load(Path(artifacts) / "manifest.json")
    folders = missing_folders(workcopy, _texts(data, manifest), seen_as)
    if not folders:
        if item:
            passed = Finding(
                check=CHECK,
                item=item,
                passed=True,
                message="Passed: the code runs on a fresh clone.",
            )
            return result, data, [passed]
        return result, data, []
    try:
        for folder in folders:
            (Path(workcopy) / folder).mkdir(parents=True, exist_ok=True)
    except OSError:
        return result, data, []  # cannot create it: the first run stands
    saved = {
        path: _take(path)
        for path in (Path(artifacts) / "manifest.json", Path(results_path))
    }
    try:
        second = run_again()
    except OSError:
        for path, content in saved.items():  # the first run stands
            if content is not None:
                _put_back(path, content)
        return result, data, []
    return second, _load(Path(results_path)), [_finding(folders, item)]
