"""The working copy of one submission, at its deadline.

The student's clone is only read: a git repository (or URL) is cloned into a
scratch folder and checked out there at the deadline (the last commit before
an ISO date-time, or the given revision); a plain folder is copied. Nothing
from the roster reaches git as an option: sources come after ``--``, and a
revision is checked with ``--end-of-options``.

Git LFS: the checkout never runs LFS's smudge filter (``GIT_LFS_SKIP_SMUDGE``),
so a working copy is the same whether ``git lfs`` is installed or not; the
model files stay pointers. Then :func:`fetch_lfs_objects` fetches their
objects into the clone's ``.git/lfs`` where ``git lfs`` and the network
allow, so that the summary check can verify each object against its pointer
(:mod:`grading.summary.lfs`); it never follows a repository's own
``.lfsconfig`` (a student could point it at any server).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from grading.private.cohort.roster import BatchError, Submission, is_url
from grading.util.git import GitError, run_git

#: Longest a git command of the working copy may take, seconds.
GIT_TIMEOUT = 600
#: Largest total size of the LFS objects fetched for one submission, bytes,
#: and the longest the fetch may take, seconds.
LFS_FETCH_LIMIT, LFS_TIMEOUT = 512 * 1024 * 1024, 300.0
#: No LFS filter runs during the checkout, and nothing prompts.
GIT_ENV = {"GIT_LFS_SKIP_SMUDGE": "1", "GIT_TERMINAL_PROMPT": "0"}


def _git(args: list[str], cwd: Path | None = None) -> str:
    try:
        return run_git(args, cwd, env=GIT_ENV, timeout=GIT_TIMEOUT)
    except GitError as exc:
        raise BatchError(str(exc)) from exc


def fetch_lfs_objects(dest: Path) -> str:
    """Fetch the LFS objects of the clone's checkout, where allowed.

    Parameters
    ----------
    dest : Path
        A clone made by :func:`prepare_working_copy`.

    Returns
    -------
    str
        What was done, one line: ``no LFS files``, ``fetched N object(s)``
        or ``not fetched: <why>`` (``git lfs`` missing, no network, a
        repository ``.lfsconfig``, over :data:`LFS_FETCH_LIMIT`). Never
        raises: the summary check then judges the pointers alone.
    """
    if (dest / ".lfsconfig").exists():
        return "not fetched: the repository's .lfsconfig is not followed"
    try:
        listing = json.loads(
            run_git(["lfs", "ls-files", "--json"], dest, env=GIT_ENV, timeout=60)
        )
        files = [f for f in listing.get("files") or [] if isinstance(f, dict)]
    except (GitError, ValueError, AttributeError, TypeError) as exc:
        return f"not fetched: {str(exc)[:200]}"
    if not files:
        return "no LFS files"
    total = sum(f.get("size") for f in files if isinstance(f.get("size"), int))
    if total > LFS_FETCH_LIMIT:
        return (
            f"not fetched: {total} bytes of LFS objects, over the limit of "
            f"{LFS_FETCH_LIMIT} bytes"
        )
    try:
        run_git(
            ["lfs", "fetch", "origin", "HEAD"], dest, env=GIT_ENV, timeout=LFS_TIMEOUT
        )
    except GitError as exc:
        return f"not fetched: {str(exc)[:200]}"
    return f"fetched {len(files)} object(s)"


def _parse_deadline(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _revision(sub: Submission, dest: Path) -> str:
    """Return the revision to grade in the clone at ``dest``."""
    if not sub.deadline:
        return "HEAD"
    when = _parse_deadline(sub.deadline)
    if when is None:
        if sub.deadline.startswith("-"):
            raise BatchError(
                f"{sub.source}: the deadline {sub.deadline!r} is neither an ISO "
                "date-time nor a commit"
            )
        return sub.deadline
    revision = _git(
        ["rev-list", "-1", f"--before={when.isoformat()}", "HEAD"], cwd=dest
    )
    if not revision:
        raise BatchError(
            f"{sub.source} has no commit before the deadline {sub.deadline}"
        )
    return revision


def _copy_folder(sub: Submission, local: Path, dest: Path) -> str:
    if sub.deadline:
        raise BatchError(
            f"{sub.source} is not a git repository, so the deadline "
            f"{sub.deadline!r} cannot be applied"
        )
    shutil.copytree(
        local,
        dest,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", "__pycache__"),
    )
    return ""


def prepare_working_copy(sub: Submission, dest: Path) -> str:
    """Put a working copy of ``sub`` at ``dest``; return the commit graded.

    Returns
    -------
    str
        The commit sha checked out, or ``""`` for a plain folder.

    Raises
    ------
    BatchError
        If the source is missing, cannot be cloned, or has no commit before
        the deadline.
    """
    source = sub.source
    local = None if is_url(source) else Path(source)
    if local is not None and not local.exists():
        raise BatchError(f"{source} does not exist")
    is_git = local is None or (local / ".git").exists() or (local / "HEAD").is_file()
    if not is_git:
        return _copy_folder(sub, local, dest)
    _git(["clone", "--quiet", "--no-checkout", "--", source, str(dest)])
    try:
        branch = _git(["symbolic-ref", "--short", "-q", "HEAD"], cwd=dest)
    except BatchError:
        branch = "main"
    revision = _revision(sub, dest)
    try:
        sha = _git(
            [
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                f"{revision}^{{commit}}",
            ],
            cwd=dest,
        )
    except BatchError as exc:
        raise BatchError(
            f"{source}: no commit {revision!r} to grade "
            "(an empty repository, or a wrong deadline commit)"
        ) from exc
    _git(["checkout", "--quiet", "--force", "-B", branch or "main", sha], cwd=dest)
    fetch_lfs_objects(dest)
    return sha
