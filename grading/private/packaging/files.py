"""Which files of the instructor repository a released repository gets.

The folder a file lives in decides who gets it, never a list of file names:

- the student template gets the public part of the grader (everything under
  ``grading/`` but ``grading/hidden/`` and ``grading/private/``);
- the grader bundle gets the public part and ``grading/hidden/``;
- nothing under ``grading/private/`` is ever released.

Both also get course files (the course package, the pinned requirements) and
the files of their own folder under ``grading/private/packaging/`` at their
top level. Caches and what the instructor repository's ``.gitignore``
excludes are never copied.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from grading.util.git import GitError, run_git
from grading.util.paths import REPO_ROOT

#: The private part of the grader: never in any released repository.
PRIVATE = "grading/private"
#: The hidden part: in the grader bundle, never in the student template.
HIDDEN = "grading/hidden"
#: Rubrics are written by :mod:`.rubrics`, never copied as they are.
LABS = "grading/labs"

#: Folders of the grader each released repository leaves out.
TEMPLATE_EXCLUDES = (HIDDEN, PRIVATE)
BUNDLE_EXCLUDES = (PRIVATE,)

_SKIP_NAMES = {
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    ".DS_Store",
}
_SKIP_SUFFIXES = (".pyc", ".pyo")


class ReleaseError(RuntimeError):
    """A release could not be written; the message says what to do."""


def under(rel: str, folders: Iterable[str]) -> bool:
    """Return True when the POSIX path ``rel`` is one of ``folders`` or inside one."""
    return any(rel == f or rel.startswith(f + "/") for f in folders)


def walk_files(root: Path, base: Path) -> Iterable[tuple[Path, str]]:
    """Yield ``(path, path relative to base)`` of the files under ``root``.

    Caches and bytecode are skipped; ``root`` may be a single file.
    """
    if root.is_file():
        yield root, root.relative_to(base).as_posix()
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_NAMES)
        for name in sorted(filenames):
            if name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES):
                continue
            path = Path(dirpath) / name
            yield path, path.relative_to(base).as_posix()


def ignored_by_git(source: Path, names: list[str]) -> set[str]:
    """Return the names among ``names`` that the repository's .gitignore excludes."""
    if not (source / ".git").exists() or not names:
        return set()
    try:
        out = run_git(
            ["-C", str(source), "check-ignore", "--no-index", "--stdin", "-z"],
            input="\0".join(names) + "\0",
            timeout=60,
            ok_codes=(0, 1),  # 1: none of the names is ignored
        )
    except GitError:
        return set()
    return {name for name in out.split("\0") if name}


def collect_files(
    source: Path,
    *,
    course_paths: Iterable[str],
    optional: Iterable[str],
    excludes: Iterable[str],
    top_level: Path | None,
) -> dict[str, Path]:
    """Map each path of a released repository to the file it is copied from.

    Parameters
    ----------
    source : Path
        The instructor repository.
    course_paths : iterable of str
        Files or folders copied as they are (relative to ``source``).
    optional : iterable of str
        Those of ``course_paths`` that may be missing.
    excludes : iterable of str
        Folders of ``grading/`` left out (:data:`TEMPLATE_EXCLUDES`,
        :data:`BUNDLE_EXCLUDES`); ``grading/private`` always is.
    top_level : Path, optional
        A folder whose files go to the top of the released repository.

    Returns
    -------
    dict
        ``{"<released path>": <source file>}``, without the rubrics.

    Raises
    ------
    ReleaseError
        When a needed course file is missing.
    """
    excludes = (*excludes, PRIVATE, LABS)
    optional = set(optional)
    files: dict[str, Path] = {}
    for rel in course_paths:
        path = source / rel
        if not path.exists():
            if rel in optional:
                continue
            raise ReleaseError(
                f"{path} is missing; the release needs it. Is {source} the "
                "instructor repository?"
            )
        for file, name in walk_files(path, source):
            files[name] = file
    for file, name in walk_files(source / "grading", source):
        if not under(name, excludes):
            files[name] = file
    rels = [str(p.relative_to(source)) for p in files.values()]
    ignored = ignored_by_git(source, rels)
    files = {
        name: path
        for name, path in files.items()
        if str(path.relative_to(source)) not in ignored
    }
    if top_level is not None and top_level.is_dir():
        for file, name in walk_files(top_level, top_level):
            files[name] = file
    return files


def packaging_dir(source: Path, folder: Path) -> Path:
    """Return ``folder`` (a path under this repository) inside ``source``."""
    return source / folder.relative_to(REPO_ROOT)
