"""Run untrusted student code: working copy, child process, limits, clean env.

The grader never imports student code. Everything a submission provides runs
in a child process started by :func:`run_sandboxed`, which gives it

- a working copy of the submission (:func:`make_working_copy`), with the files
  the student must not change restored from the instructor's copy
  (:func:`restore_protected`);
- its own session and process group, a wall-time limit that kills the whole
  process tree, an address-space limit and file-size, process-count and
  core-dump limits;
- a scrubbed environment built from an allow-list (no tokens, no cloud
  credentials, no ``GITHUB_*``), a fresh ``HOME`` and ``TMPDIR``;
- an unprivileged user (``nobody``) when the grader runs as root and that user
  can reach the interpreter and the working copy;
- captured output with a size cap (head and tail are kept).

:func:`pytest_argv` builds the command that runs pytest there so that the
submission's own pytest configuration, ``conftest.py``, ``sitecustomize.py``,
``usercustomize.py`` and ``.pth`` files have no effect. The guarantees and their
limits are written down in ``docs/grading.md``.

The package is split by concern: :mod:`~grading.sandbox.workcopy` (the
working copy), :mod:`~grading.sandbox.isolation` (user, file system and
network isolation), :mod:`~grading.sandbox.process` (start, limits, wait,
kill, capture), :mod:`~grading.sandbox.launch` and
:mod:`~grading.sandbox.launcher` (pytest in the child),
:mod:`~grading.sandbox.protected` (restored course files) and
:mod:`~grading.sandbox.environment` (installed versions). Every public name
is importable from ``grading.sandbox``.
"""

from grading.sandbox.isolation import (
    SANDBOX_USER,
    filesystem_isolation_available,
    grant_access,
    network_isolation_available,
)
from grading.sandbox.launch import (
    INTEGRITY_PREFIX,
    PYTEST_PLUGINS,
    empty_ini,
    integrity_report,
    pytest_argv,
)
from grading.sandbox.process import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    KILL_GRACE,
    MAX_FILE_BYTES,
    OUTPUT_CAP_BYTES,
    SandboxResult,
    describe,
    run_sandboxed,
    scrubbed_env,
)
from grading.sandbox.protected import restore_protected
from grading.sandbox.workcopy import (
    MAX_COPY_FILE_BYTES,
    SKIP_DIRS,
    make_working_copy,
)

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "INTEGRITY_PREFIX",
    "KILL_GRACE",
    "MAX_COPY_FILE_BYTES",
    "MAX_FILE_BYTES",
    "OUTPUT_CAP_BYTES",
    "PYTEST_PLUGINS",
    "SANDBOX_USER",
    "SKIP_DIRS",
    "SandboxResult",
    "describe",
    "empty_ini",
    "filesystem_isolation_available",
    "grant_access",
    "integrity_report",
    "make_working_copy",
    "network_isolation_available",
    "pytest_argv",
    "restore_protected",
    "run_sandboxed",
    "scrubbed_env",
]
