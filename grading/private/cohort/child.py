"""One grading in a child ``grade`` process, with a time limit and CPU slots.

The child runs in its own process group (killed with everything it started
when the limit passes or the batch stops), from the instructor repository
(so ``-m grading`` never imports a grader copy inside a submission), with
its output in ``grade.log``.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from grading.pipeline.options import DEFAULT_TEST_TIMEOUT, DEFAULT_TESTS_TIMEOUT
from grading.util.paths import REPO_ROOT

_RUNNING: dict[int, subprocess.Popen] = {}
_RUNNING_LOCK = threading.Lock()
#: Set while the batch stops (Ctrl-C, SIGTERM): gradings end as interrupted.
STOPPING = threading.Event()


def kill_group(proc: subprocess.Popen) -> None:
    """End the process group of ``proc``: SIGTERM, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def kill_running() -> None:
    """Stop every grading process this module started (on Ctrl-C)."""
    with _RUNNING_LOCK:
        STOPPING.set()
        procs = list(_RUNNING.values())
    for proc in procs:
        kill_group(proc)


def tail(path: Path, lines: int = 15) -> str:
    """Return the last ``lines`` lines of a text file, or ``""``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def grade_command(
    work: Path, result_dir: Path, student: str, lab: str, extra: Iterable[str] = ()
) -> list[str]:
    """Return the command that grades one working copy.

    ``python -m grading grade`` with this interpreter, unless the environment
    variable ``GRADING_GRADE_COMMAND`` gives another command prefix (split
    like a shell would), e.g. ``"nice -n 10 python3 -m grading grade"``; the
    tests use it to stand in a fake grader. Paths are absolute and the
    student id is a checked one (:func:`grading.private.cohort.roster.id_problem`),
    so neither can be read as an option.
    """
    prefix = os.environ.get("GRADING_GRADE_COMMAND", "").strip()
    head = shlex.split(prefix) if prefix else [sys.executable, "-m", "grading", "grade"]
    return [
        *head,
        str(Path(work).resolve()),
        "--lab",
        lab,
        "--out",
        str(Path(result_dir).resolve()),
        f"--student={student}",
        *extra,
    ]


def option_value(args: list[str], name: str) -> float | None:
    """Return the last value of option ``name`` in ``args`` as a float, or None."""
    value = None
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def _rubric_limits(lab: str) -> tuple[float, float]:
    """Return the lab's (whole hidden-test run, one test) limits, seconds."""
    try:
        from grading.pipeline.rubric import load_rubric

        section = load_rubric(lab).section("hidden_tests")
        return (
            float(section.get("timeout", DEFAULT_TESTS_TIMEOUT)),
            float(section.get("test_timeout", DEFAULT_TEST_TIMEOUT)),
        )
    except Exception:  # noqa: BLE001 - an unknown lab is reported by grade itself
        return DEFAULT_TESTS_TIMEOUT, DEFAULT_TEST_TIMEOUT


def limit_args(
    batch_timeout: float, lab: str, extra_args: Iterable[str] = (), scale: float = 1.0
) -> list[str]:
    """Return ``grade`` options that set its time limits inside the batch's.

    The hidden tests' limits are the rubric's (``[hidden_tests] timeout`` and
    ``test_timeout``) or the instructor's ``--timeout``/``--test-timeout`` in
    ``extra_args``, times ``scale``. When ``batch_timeout`` (the limit of the
    whole grading, already scaled) leaves less room than the hidden-test
    limit, the sandbox gets three quarters of it, so the student's run times
    out inside ``grade`` (which keeps the other checks and writes results)
    instead of the batch killing the whole grading; this holds for an
    explicit ``--timeout`` too, since a longer one could never finish.

    Returns
    -------
    list of str
        Options to put after ``extra_args`` (the last occurrence wins), or
        ``[]`` when grade's own limits already fit.
    """
    extra = list(extra_args)
    rubric_total, rubric_test = _rubric_limits(lab)
    total = option_value(extra, "--timeout")
    total = (rubric_total if total is None else total) * scale
    room = max(10.0, 0.75 * float(batch_timeout))
    args: list[str] = []
    if room < total:
        args += ["--timeout", f"{room:g}"]
    elif scale != 1.0:
        args += ["--timeout", f"{total:g}"]
    if scale != 1.0:
        test = option_value(extra, "--test-timeout") or rubric_test
        args += ["--test-timeout", f"{test * scale:g}"]
    return args


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH", "")])]
    )
    env.setdefault("TF_USE_LEGACY_KERAS", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def run_grade(
    command: list[str],
    log_path: Path,
    result_dir: Path,
    limit: float,
    cpus: set[int] | None = None,
    nominal: float | None = None,
) -> tuple[str, str]:
    """Run one ``grade`` command in a child process; return (status, message).

    Parameters
    ----------
    command : list of str
        From :func:`grade_command`.
    log_path : Path
        Where the child's output goes.
    result_dir : Path
        The child's ``--out``; ``results.json`` must be there when it ends.
    limit : float
        Seconds before the whole process group is killed.
    cpus : set of int, optional
        CPUs the child (and everything it starts) is pinned to, so parallel
        gradings do not fight over the same cores.
    nominal : float, optional
        The limit to name in the message (the whole grading's, of which
        ``limit`` is what was left when the child started).

    Returns
    -------
    tuple
        ``("graded", "")``, ``("timeout", why)`` or ``("error", why)``.
    """
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if cpus:
            try:  # the child has one thread yet; what it starts inherits this
                os.sched_setaffinity(proc.pid, cpus)
            except (OSError, AttributeError):
                pass
        with _RUNNING_LOCK:
            _RUNNING[proc.pid] = proc
        try:
            code = proc.wait(timeout=max(1.0, limit))
        except subprocess.TimeoutExpired:
            kill_group(proc)
            return "timeout", (
                f"grading took longer than {nominal or limit:g} s and was "
                "stopped; the submission may hang or be very slow"
            )
        finally:
            with _RUNNING_LOCK:
                _RUNNING.pop(proc.pid, None)
            # Nothing of the grading may outlive it (a student's stray child).
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    if code != 0:
        return "error", f"the grader exited with code {code}:\n{tail(log_path)}"
    if not (result_dir / "results.json").is_file():
        return "error", "the grader finished without writing results.json"
    return "graded", ""
