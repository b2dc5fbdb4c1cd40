"""Run untrusted student code: working copy, bubblewrap, limits, clean env.

The grader never imports student code. Everything a submission provides runs
in a child process started by :func:`run_sandboxed`, which gives it

- a working copy of the submission (:func:`make_working_copy`), with the files
  the student must not change restored from the instructor's copy
  (:func:`restore_protected`);
- bubblewrap: new user, PID, mount, IPC, UTS and network namespaces, no
  capabilities, a fresh ``/proc``, a private ``/tmp``, nothing of the host's
  file system but the read-only runtime and the folders given as
  :class:`Mount`, and the whole process tree ended with the run; as root the
  child is ``nobody`` outside its namespaces too;
- wall-time, CPU-time, address-space, file-size, process-count and core-dump
  limits;
- a scrubbed environment built from an allow-list (no tokens, no cloud
  credentials, no ``GITHUB_*``), a fresh ``HOME`` and ``TMPDIR``;
- captured output with a size cap (head and tail are kept).

Where bubblewrap cannot run, :func:`run_sandboxed` refuses (it raises
:class:`SandboxUnavailable`) unless told ``unsafe=True``.
:func:`pytest_argv` builds the command that runs pytest there so that the
submission's own pytest configuration, ``conftest.py``, ``sitecustomize.py``,
``usercustomize.py`` and ``.pth`` files have no effect, and :func:`copy_out`
copies what a run wrote without following its links. The guarantees and
their limits are in ``docs/threat-model.md`` and ``docs/grading.md``.

Modules by concern: ``workcopy`` (the working copy, copying out),
``isolation`` (bubblewrap and what the child sees), ``process`` (start,
wait, end), ``limits``, ``watch`` (output, CPU time, stragglers), ``launch``
and ``launcher`` (pytest in the child), ``protected`` (restored course
files), ``environment`` (installed versions). Every public name is
importable from ``grading.sandbox``.
"""

from grading.sandbox.isolation import (
    SANDBOX_USER,
    Mount,
    SandboxUnavailable,
    grant_access,
)
from grading.sandbox.isolation import status as sandbox_status
from grading.sandbox.launch import (
    INTEGRITY_PREFIX,
    PYTEST_PLUGINS,
    empty_ini,
    integrity_report,
    pytest_argv,
)
from grading.sandbox.limits import CPU_GRACE, MAX_FILE_BYTES
from grading.sandbox.process import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    OUTPUT_CAP_BYTES,
    SandboxResult,
    describe,
    run_sandboxed,
    scrubbed_env,
)
from grading.sandbox.protected import restore_protected
from grading.sandbox.watch import KILL_GRACE
from grading.sandbox.workcopy import (
    MAX_COPY_FILE_BYTES,
    SKIP_DIRS,
    copy_out,
    make_working_copy,
)

__all__ = [
    "CPU_GRACE",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "INTEGRITY_PREFIX",
    "KILL_GRACE",
    "MAX_COPY_FILE_BYTES",
    "MAX_FILE_BYTES",
    "Mount",
    "OUTPUT_CAP_BYTES",
    "PYTEST_PLUGINS",
    "SANDBOX_USER",
    "SKIP_DIRS",
    "SandboxResult",
    "SandboxUnavailable",
    "copy_out",
    "describe",
    "empty_ini",
    "grant_access",
    "integrity_report",
    "make_working_copy",
    "pytest_argv",
    "restore_protected",
    "run_sandboxed",
    "sandbox_status",
    "scrubbed_env",
]
