"""Bounded reading of an untrusted repository: limits, refusals, git output.

The repository is untrusted input, so every read of the history reader is
bounded (:class:`Limits`, from ``[history.limits]`` of the rubric): the
number of commits is counted first with a command that stops at the limit,
the output of ``git log`` and ``git ls-tree`` is read in chunks and refused
past a byte budget, the number of file changes and the bytes git would have
to diff for line counts are checked before it diffs anything, every git call
has a time limit, and files over ``diff_file_mb`` are not diffed
(``core.bigFileThreshold``). So the time spent grows at most linearly with
what is read, and anything over a limit is refused with a
:class:`TooLarge` that names the limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import git

_CHUNK = 1 << 16


class TooLarge(Exception):
    """A reading limit was reached; the message names the limit.

    Parameters
    ----------
    limit : str
        Name of the limit (``max_commits``, ``max_log_mb``, ``max_seconds``).
    message : str
        One sentence for the student and the instructor.
    """

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class Limits:
    """How much of a repository the reader reads before it refuses.

    Parameters
    ----------
    max_commits : int
        Commits reachable from ``HEAD``; more are refused unread.
    max_log_mb : float
        Megabytes of ``git log`` (and of ``git ls-tree``) output; more are refused.
    max_changes : int
        File changes over all commits (each is diffed for its line counts).
    max_diff_mb : float
        Megabytes of blobs that computing the line counts would diff.
    max_seconds : float
        Wall time of one git call; a call that takes longer is stopped.
    diff_file_mb : float
        Files larger than this are not diffed (their line counts are unknown).
    message_chars : int
        Characters of a commit message that the rules read.
    """

    max_commits: int = 5_000
    max_log_mb: float = 16.0
    max_changes: int = 30_000
    max_diff_mb: float = 32.0
    max_seconds: float = 10.0
    diff_file_mb: float = 1.0
    message_chars: int = 4096

    @property
    def max_log_bytes(self) -> int:
        """``max_log_mb`` in bytes."""
        return int(self.max_log_mb * 1024 * 1024)

    @property
    def max_diff_bytes(self) -> int:
        """``max_diff_mb`` in bytes."""
        return int(self.max_diff_mb * 1024 * 1024)

    @property
    def diff_file_bytes(self) -> int:
        """``diff_file_mb`` in bytes."""
        return int(self.diff_file_mb * 1024 * 1024)

    @classmethod
    def from_config(cls, cfg: dict) -> Limits:
        """Read ``[history.limits]`` (the field names; defaults where absent)."""
        raw = cfg.get("limits", {}) or {}
        return cls(
            max_commits=int(raw.get("max_commits", cls.max_commits)),
            max_log_mb=float(raw.get("max_log_mb", cls.max_log_mb)),
            max_changes=int(raw.get("max_changes", cls.max_changes)),
            max_diff_mb=float(raw.get("max_diff_mb", cls.max_diff_mb)),
            max_seconds=float(raw.get("max_seconds", cls.max_seconds)),
            diff_file_mb=float(raw.get("diff_file_mb", cls.diff_file_mb)),
            message_chars=int(raw.get("message_chars", cls.message_chars)),
        )


def bounded_output(
    repo: git.Repo, command: str, args: list[str], limits: Limits, what: str
) -> bytes:
    """Run ``git COMMAND ARGS`` and return its output, within the limits.

    Raises
    ------
    TooLarge
        When the output passes ``limits.max_log_bytes`` or the command runs
        longer than ``limits.max_seconds``; the command is stopped at once.
    git.GitCommandError
        When git fails.
    """
    handle = getattr(repo.git, command)(*args, as_process=True)
    proc = handle.proc
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        proc.kill()

    timer = threading.Timer(limits.max_seconds, stop)
    timer.start()
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := proc.stdout.read(_CHUNK):
            size += len(chunk)
            if size > limits.max_log_bytes:
                proc.kill()
                raise TooLarge(
                    "max_log_mb",
                    f"{what} is larger than the {limits.max_log_mb:g} MB the "
                    "grader reads (limit max_log_mb)",
                )
            chunks.append(chunk)
        errors = proc.stderr.read(_CHUNK)
        status = proc.wait()
    finally:
        timer.cancel()
        proc.stdout.close()
        proc.stderr.close()
        proc.wait()
    if expired.is_set():
        raise TooLarge(
            "max_seconds",
            f"reading {what} took longer than the {limits.max_seconds:g} s "
            "the grader allows (limit max_seconds)",
        )
    if status != 0:
        raise git.GitCommandError(
            [command, *args[:1]], status, errors.decode("utf-8", "replace")
        )
    return b"".join(chunks)


def count_commits(repo: git.Repo, rev: str, limit: int) -> int:
    """Return the number of commits reachable from ``rev``, at most ``limit + 1``.

    ``git rev-list --max-count`` stops at the limit, so a repository of a
    million commits costs no more than one just over the limit.
    """
    out = repo.git.rev_list("--count", f"--max-count={limit + 1}", rev)
    return int(out.strip() or 0)
