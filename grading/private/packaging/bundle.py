"""The grader bundle: what the student workflow needs to run the hidden tests.

The student workflow checks the bundle out with a read-only token, so a
student who edits the workflow can read all of it. It holds:

- the public part of the grader and ``grading/hidden/`` (the hidden suites of
  every lab, the artifact checks, the runner): everything under ``grading/``
  but ``grading/private/``;
- what those need to run: the course package ``dl_in_iot_course/`` (stubs,
  ``misc/``; the protected files are restored from it) and the pinned
  ``requirements.txt``;
- the full rubric of every lab, rewritten without comments and without
  instructor-only keys (:mod:`.rubrics`);
- the files of ``grading/private/packaging/grader_bundle/`` at the top level
  (its README);
- ``.course/bundle.json``: what was released, when, from which commit, and
  the blob sha of every file.

Never the reference solutions or anything else under ``grading/private/``:
the folder rule of :mod:`.files` leaves them out and :mod:`.guard` refuses a
bundle that holds one of their lines. One bundle serves the whole course.
The bundle is a git repository of its own; releasing into an earlier bundle
adds a commit on top of its history, so that ``git push`` to the private
bundle repository is a fast-forward.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import grading
from grading.util.paths import PRIVATE_DIR, REPO_ROOT

from . import guard, repo
from .files import BUNDLE_EXCLUDES, ReleaseError, collect_files, packaging_dir
from .rubrics import BUNDLE_HEADER, bundle_rubric, write_rubrics

#: Files copied to the top of the bundle (its README).
BUNDLE_TEMPLATE_DIR = PRIVATE_DIR / "packaging" / "grader_bundle"
#: Course files the hidden tests need (files or directories).
BUNDLE_COURSE_PATHS = (
    "dl_in_iot_course",
    "requirements.txt",
    "requirements-structured.txt",
    "ai_edge_torch",
)
#: The record that marks a folder as a grader bundle.
BUNDLE_RECORD = ".course/bundle.json"
#: Fields of the record that decide whether a new release changes the bundle.
_SAME = ("course", "bundle_version", "files")


def bundle_files(source: Path = REPO_ROOT) -> dict[str, Path]:
    """Map each path of the grader bundle to the file it is copied from.

    Parameters
    ----------
    source : Path
        The instructor repository.

    Returns
    -------
    dict
        ``{"<path in the bundle>": <source file>}``, without the rubrics and
        the record.
    """
    return collect_files(
        source,
        course_paths=BUNDLE_COURSE_PATHS,
        optional=("requirements-structured.txt", "ai_edge_torch"),
        excludes=BUNDLE_EXCLUDES,
        top_level=packaging_dir(source, BUNDLE_TEMPLATE_DIR),
    )


def is_bundle(folder: Path) -> bool:
    """Return True when ``folder`` is a git repository holding a grader bundle."""
    return (folder / ".git").is_dir() and (folder / BUNDLE_RECORD).is_file()


def _prepare(out: Path, force: bool) -> bool:
    """Empty ``out`` for the bundle; return True when its history is kept."""
    if out.is_dir() and is_bundle(out):
        repo.clear_work_tree(out)
        return True
    repo.empty_out_folder(out, force)
    return False


def release_bundle(
    out: Path,
    *,
    source: Path = REPO_ROOT,
    force: bool = False,
    course: str = "",
    version: str | None = None,
    released_at: dt.datetime | None = None,
    progress=None,
    avoid: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """Write the grader bundle to ``out`` as a git repository.

    Parameters
    ----------
    out : Path
        Target folder: absent, empty, an earlier bundle (updated with a new
        commit on top of its history), or, with ``force``, anything else
        (its content is replaced and a new history starts).
    source : Path
        The instructor repository to release from.
    force : bool
        Replace a non-empty ``out`` that is not a bundle.
    course : str
        Course name recorded in ``.course/bundle.json``.
    version : str, optional
        Version recorded; the grader version by default.
    released_at : datetime, optional
        Time of the release and of its commit; now by default.
    progress : callable, optional
        Called with one line of text per stage.
    avoid : tuple of Path
        Folders ``out`` must not overlap (the student template's).

    Returns
    -------
    dict
        The ``.course/bundle.json`` record, plus ``"commit"`` (the sha of
        the bundle's last commit), ``"changed"`` (False when the bundle was
        already up to date and no commit was made) and ``"path"``.

    Raises
    ------
    ReleaseError
        If ``out`` cannot be used, a needed file is missing, a line of a
        reference solution would be released, or git fails.
    """
    say = progress or (lambda _msg: None)
    out = Path(out).resolve()
    source = Path(source).resolve()
    repo.check_out_folder(out, source, [Path(p).resolve() for p in avoid])
    kept = _prepare(out, force)
    released_at = (released_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)

    say(
        f"release: collecting the grader bundle (public and hidden parts) from {source}"
    )
    repo.copy_files(bundle_files(source), out)
    write_rubrics(source, out, bundle_rubric, BUNDLE_HEADER)
    guard.refuse_leaks(out, guard.reference_secrets(source), "grader bundle")
    record = {
        "course": course,
        "bundle_version": version or grading.__version__,
        "released_at": released_at.isoformat(),
        "source_commit": repo.source_commit(source),
        "files": repo.file_record(out),
    }
    previous = _previous_record(out) if kept else None
    if previous and all(previous.get(k) == record[k] for k in _SAME):
        record = previous  # same content: the bundle stays as it is
    repo.write_record(out, "bundle.json", record)
    verb = "Update" if kept else "Release"
    commit = repo.commit_all(
        out,
        released_at,
        f"course: {verb} the grader bundle {record['bundle_version']}",
        "The public grader, the hidden suites of every lab, the artifact\n"
        "checks, the course package and the full rubrics. No reference\n"
        "solutions.",
    )
    changed = commit is not None
    if commit is None:
        commit = repo.git(out, "rev-parse", "HEAD").strip()
        say(f"release: grader bundle in {out} is up to date (commit {commit[:10]})")
    else:
        say(f"release: grader bundle written to {out} (commit {commit[:10]})")
    return {**record, "commit": commit, "changed": changed, "path": str(out)}


def _previous_record(out: Path) -> dict[str, Any] | None:
    try:
        text = repo.git(out, "show", f"HEAD:{BUNDLE_RECORD}")
        data = json.loads(text)
    except (ReleaseError, ValueError):
        return None
    return data if isinstance(data, dict) else None
