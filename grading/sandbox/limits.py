"""The limits of a sandboxed child, set between fork and exec.

Address space (``RLIMIT_AS``), file size, core dumps, processes and threads
of the child's user (``RLIMIT_NPROC``) and, where asked, CPU time
(``RLIMIT_CPU``: SIGXCPU at the limit, SIGKILL :data:`CPU_GRACE` seconds of
CPU later). bubblewrap and everything it starts inherit them.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

#: Largest file the child may write (RLIMIT_FSIZE), in bytes.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Seconds the child may run past its CPU limit before SIGKILL (it gets
#: SIGXCPU at the limit).
CPU_GRACE = 5


def nproc_limit(ids: tuple[int, int] | None) -> int:
    """Process/thread limit for the child.

    RLIMIT_NPROC counts every thread of every process of the child's real
    user on the host, not just the child's: other gradings running at the
    same time as the same user and TensorFlow's thread pools count too. The
    limit is therefore what that user runs now plus 4096 for this child, so
    a fork bomb is stopped without starving concurrent runs.
    """
    uid = ids[0] if ids is not None else os.getuid()
    if ids is None:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
        if soft != resource.RLIM_INFINITY:
            return 0  # keep the limit the grader already has
    try:
        import psutil

        running = 0
        for process in psutil.process_iter():
            try:
                if process.uids().real == uid:
                    running += process.num_threads()
            except psutil.Error:
                continue
    except Exception:  # noqa: BLE001 - psutil races with exiting processes
        return 4096 if ids is not None else 0
    return running + 4096


@dataclass(frozen=True)
class Limits:
    """The limits of one child: MiB of address space (0: none), processes
    and threads of its user (0: keep the grader's), CPU seconds (None: none)."""

    memory_mb: int
    nproc: int
    cpu_seconds: int | None

    def apply(self) -> None:
        """Set the limits in the child (between fork and exec)."""
        if self.memory_mb and self.memory_mb > 0:
            limit = int(self.memory_mb) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        if self.cpu_seconds:
            soft = max(1, int(self.cpu_seconds))
            resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + CPU_GRACE))
        if self.nproc > 0:
            try:
                resource.setrlimit(resource.RLIMIT_NPROC, (self.nproc, self.nproc))
            except (ValueError, OSError):
                pass
        os.umask(0o022)
