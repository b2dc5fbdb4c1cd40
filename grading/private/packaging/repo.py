"""The git side of a release: the output folder, the file record, the commit."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from grading.util.git import GitError, git_blob_sha, run_git

from .files import ReleaseError

AUTHOR_NAME = "Course Staff"
AUTHOR_EMAIL = "course-staff@users.noreply.github.com"


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``cwd``; a failure becomes a :class:`ReleaseError`."""
    try:
        return run_git(list(args), cwd, env=env, timeout=120)
    except GitError as exc:
        raise ReleaseError(str(exc)) from exc


def source_commit(source: Path) -> str:
    """Return the commit the instructor repository is at, or ``"unknown"``."""
    try:
        return run_git(["rev-parse", "HEAD"], source, timeout=30).strip()
    except GitError:
        return "unknown"


def check_out_folder(out: Path, source: Path, keep: Iterable[Path] = ()) -> None:
    """Refuse an output folder that is, or lies inside, the instructor's files.

    ``keep`` are further folders the output must not be (another output of
    the same release).
    """
    protected = [source / p for p in ("grading", "dl_in_iot_course", "summaries")]
    if out == source or any(out.is_relative_to(p) for p in protected):
        raise ReleaseError(
            f"{out} would overwrite the instructor repository; pick another folder"
        )
    for other in keep:
        if out == other or out.is_relative_to(other) or other.is_relative_to(out):
            raise ReleaseError(
                f"{out} and {other} overlap; the template and the grader bundle "
                "need folders of their own"
            )
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} exists and is not a folder")


def empty_out_folder(out: Path, force: bool) -> None:
    """Make ``out`` an empty folder, replacing its content only with ``force``."""
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise ReleaseError(
                f"{out} is not empty; pass --force to replace its content, "
                "or choose another folder"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def clear_work_tree(out: Path) -> None:
    """Remove everything in ``out`` but its ``.git`` folder."""
    for path in out.iterdir():
        if path.name == ".git":
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def copy_files(files: dict[str, Path], out: Path) -> None:
    """Copy ``{"<path in out>": <source file>}`` into ``out``."""
    for name, src in sorted(files.items()):
        dest = out / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)


def file_record(out: Path) -> dict[str, str]:
    """Return ``{"<path>": "<git blob sha1>"}`` of the files of ``out`` but ``.git``."""
    record = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        record[rel] = git_blob_sha(path.read_bytes())
    return record


def write_record(out: Path, name: str, record: dict) -> None:
    """Write ``record`` as ``out/.course/<name>``."""
    course_dir = out / ".course"
    course_dir.mkdir(exist_ok=True)
    (course_dir / name).write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )


def commit_all(out: Path, when: dt.datetime, subject: str, body: str) -> str | None:
    """Commit everything in ``out`` (a new repository unless it is one already).

    Returns
    -------
    str or None
        The sha of the new commit, or None when nothing changed since the
        last commit of an existing repository.
    """
    stamp = when.isoformat()
    env = {
        "GIT_AUTHOR_NAME": AUTHOR_NAME,
        "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
        "GIT_COMMITTER_NAME": AUTHOR_NAME,
        "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    if not (out / ".git").is_dir():
        git(out, "init", "--quiet", "--initial-branch=main")
    git(out, "add", "--all", "--force")
    if _has_commits(out) and not git(out, "status", "--porcelain"):
        return None
    git(out, "commit", "--quiet", "--no-verify", "-m", subject, "-m", body, env=env)
    return git(out, "rev-parse", "HEAD").strip()


def _has_commits(out: Path) -> bool:
    try:
        run_git(["rev-parse", "--verify", "--quiet", "HEAD"], out, timeout=30)
    except GitError:
        return False
    return True
