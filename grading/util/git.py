"""Run git without prompts, hooks or signing, with a clear error.

Every git command of the grader goes through :func:`run_git`: no terminal or
password prompt (an untrusted clone URL cannot hang a batch), no hooks (an
untrusted repository's hooks never run), no commit signing, and a time limit.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

#: Options that make git safe to run on untrusted repositories and in batch.
SAFE_OPTIONS = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "advice.detachedHead=false",
)


class GitError(RuntimeError):
    """A git command failed; the message names the command and its error."""


def run_git(
    args: list[str],
    cwd: Path | None = None,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> str:
    """Run ``git ARGS`` and return its standard output, stripped.

    Parameters
    ----------
    args : list of str
        Arguments after ``git``.
    cwd : Path, optional
        Folder to run in.
    env : dict, optional
        Variables added to the environment (author identity, dates).
    timeout : float
        Seconds before the command is stopped.

    Raises
    ------
    GitError
        When git is missing, fails or times out.
    """
    full_env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        **(env or {}),
    }
    where = f" in {cwd}" if cwd else ""
    try:
        out = subprocess.run(
            ["git", *SAFE_OPTIONS, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed; install git and run again") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(
            f"git {' '.join(args[:2])} did not finish in {timeout:g} s{where}"
        ) from exc
    if out.returncode != 0:
        raise GitError(
            f"git {' '.join(args[:2])} failed{where}: {out.stderr.strip()[-500:]}"
        )
    return out.stdout.strip()


def git_blob_sha(data: bytes) -> str:
    """Return the git blob sha1 of ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
