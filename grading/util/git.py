"""Run git without prompts, hooks or signing, with a clear error.

Every git command of the grader goes through :func:`run_git` (or
:func:`run_git_bytes` for binary output): no terminal or password prompt (an
untrusted clone URL cannot hang a batch), no hooks (an untrusted repository's
hooks never run), no commit signing, and a time limit. The hidden suites,
which cannot import ``grading`` in the sandbox, run no git at all.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
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
    """A git command failed; the message names the command and its error.

    ``stderr`` holds git's own error output (``""`` when git did not run).
    """

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


def _run(
    args: list[str],
    cwd: Path | None,
    *,
    env: dict[str, str] | None,
    timeout: float,
    config: Mapping[str, str] | None,
    input: str | bytes | None,
    text: bool,
    ok_codes: tuple[int, ...],
) -> subprocess.CompletedProcess:
    full_env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        **(env or {}),
    }
    extra = [
        part
        for key, value in (config or {}).items()
        for part in ("-c", f"{key}={value}")
    ]
    where = f" in {cwd}" if cwd else ""
    try:
        out = subprocess.run(
            ["git", *SAFE_OPTIONS, *extra, *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            text=text,
            env=full_env,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed; install git and run again") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(
            f"git {' '.join(args[:2])} did not finish in {timeout:g} s{where}"
        ) from exc
    if out.returncode not in ok_codes:
        err = out.stderr if text else out.stderr.decode("utf-8", "replace")
        err = err.strip()
        raise GitError(f"git {' '.join(args[:2])} failed{where}: {err[-500:]}", err)
    return out


def run_git(
    args: list[str],
    cwd: Path | None = None,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    config: Mapping[str, str] | None = None,
    input: str | None = None,
    ok_codes: tuple[int, ...] = (0,),
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
    config : mapping, optional
        Settings passed as ``-c KEY=VALUE`` after :data:`SAFE_OPTIONS`
        (``safe.directory`` for a repository another user owns,
        ``core.quotepath``).
    input : str, optional
        Text given to git on its standard input.
    ok_codes : tuple of int
        Exit codes that are not a failure (``git check-ignore`` exits 1 when
        nothing is ignored).

    Raises
    ------
    GitError
        When git is missing, fails or times out.
    """
    out = _run(
        args,
        cwd,
        env=env,
        timeout=timeout,
        config=config,
        input=input,
        text=True,
        ok_codes=ok_codes,
    )
    return out.stdout.strip()


def run_git_bytes(
    args: list[str],
    cwd: Path | None = None,
    *,
    timeout: float = 600,
    config: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> bytes:
    """Run ``git ARGS`` like :func:`run_git` and return its raw output.

    For output that is binary or NUL-separated (``cat-file --batch``,
    ``ls-tree -z``): nothing is decoded or stripped. The parameters are
    those of :func:`run_git`.

    Raises
    ------
    GitError
        When git is missing, fails or times out.
    """
    out = _run(
        args,
        cwd,
        env=None,
        timeout=timeout,
        config=config,
        input=input,
        text=False,
        ok_codes=(0,),
    )
    return out.stdout


def git_blob_sha(data: bytes) -> str:
    """Return the git blob sha1 of ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
