"""The sandbox's guarantees hold when the grader is not root.

As root, the isolation and sandbox tests run again as an unprivileged test
user in a copy of the tree (``tests/hostile/as_user.py``), with an
interpreter that user can run: this one if other users can read it, else the
one named by ``GRADING_TEST_USER_PYTHON``, else a virtual environment of
Debian's ``/usr/bin/python3`` with the pinned requirements that the test makes
under the test user's 0700 home (a few minutes the first time, then kept).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from grading.sandbox import isolation, sandbox_status

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
from as_user import ensure_user, run_as_user, venv_in_home  # noqa: E402

pytestmark = pytest.mark.slow


def _python_for_the_user() -> str | None:
    candidates = [os.environ.get("GRADING_TEST_USER_PYTHON", ""), sys.executable]
    for python in filter(None, candidates):
        real = Path(os.path.realpath(python))
        if real.exists() and isolation._reachable(real, 65534, 65534):
            return python
    return None


#: Hostile cases graded again by an unprivileged grader: the escapes that
#: root's rights made possible (remount, /proc, classmates, forged originals).
UNPRIVILEGED_CASES = (
    "remount_and_write",
    "host_proc_secrets",
    "read_classmates",
    "forge_original",
)


def _user_python() -> str:
    """An interpreter the test user can run (skip, or fail in CI, if none)."""
    python = _python_for_the_user()
    if python is None:
        # This interpreter is under a home other users cannot read (pyenv
        # under /root): make the test user its own virtual environment of
        # Debian's Python under its 0700 home (kept for later runs).
        if not Path("/usr/bin/python3").exists():
            message = (
                "no interpreter the test user can run: set "
                "GRADING_TEST_USER_PYTHON to a Python with the requirements "
                "that other users can read"
            )
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        python = str(venv_in_home(ensure_user()))
    return python


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
@pytest.mark.skipif(not sandbox_status().available, reason=sandbox_status().reason)
def test_isolation_holds_for_an_unprivileged_grader():
    result = run_as_user(
        _user_python(),
        ["-q", "-x", "tests/engine/test_isolation.py", "tests/engine/test_sandbox.py"],
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.corpus
@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
@pytest.mark.skipif(not sandbox_status().available, reason=sandbox_status().reason)
def test_hostile_cases_fail_for_an_unprivileged_grader():
    """The escape cases earn nothing and leave nothing behind without root."""
    result = run_as_user(
        _user_python(),
        ["-q", "-x", "-m", "corpus or not corpus", "tests/hostile/test_hostile.py"],
        timeout=1800,
        env={"HOSTILE_CASES": ",".join(UNPRIVILEGED_CASES)},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
