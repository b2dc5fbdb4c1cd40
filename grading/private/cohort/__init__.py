"""Grade a whole class: one process and one working copy per submission.

A batch reads its submissions from a folder of clones, a roster CSV or a plan
written by an earlier batch, grades each one with ``python -m grading grade``
in a child process with a time limit, and writes ``OUT/<student>/``
atomically: a finished student is never half-written, so a killed batch loses
nothing that finished and the next run goes on where it stopped. A failure or
a timeout is recorded in ``OUT/<student>/status.json`` and the batch goes on.
The batch ends with the gradebook (``OUT/gradebook.csv``, ``OUT/index.html``).

The student's clone is never modified: each submission is cloned (or copied)
into a scratch working copy, checked out at the deadline commit if the roster
gives one, and graded there.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grading.pipeline.options import (
    DEFAULT_BATCH_TIMEOUT,
    DEFAULT_LAB,
    DEFAULT_TESTS_TIMEOUT,
)
from grading.util.git import GitError, run_git
from grading.util.io import write_json
from grading.util.paths import REPO_ROOT

DEFAULT_TIMEOUT = DEFAULT_BATCH_TIMEOUT
PLAN_NAME = "batch-plan.json"

_STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_URL_RE = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.IGNORECASE)
_STUDENT_COLUMNS = (
    "student",
    "student_id",
    "id",
    "login",
    "github_username",
    "username",
    "user",
)
_REPO_COLUMNS = (
    "repository",
    "repo",
    "path",
    "url",
    "repository_url",
    "clone_url",
    "submission",
)
_DEADLINE_COLUMNS = ("deadline", "commit", "deadline_commit", "revision", "rev")


class BatchError(ValueError):
    """The batch input is unusable; the message names the file and the fix."""


@dataclass
class Submission:
    """One student's submission.

    Parameters
    ----------
    student : str
        Student id, used as the folder name of the results.
    source : str
        Local path (a git clone or a plain folder) or a git URL.
    deadline : str
        ``""`` for the current HEAD, an ISO 8601 date-time (the last commit
        before it is graded) or a git revision (a commit sha, a tag).
    """

    student: str
    source: str
    deadline: str = ""


@dataclass
class Outcome:
    """What happened to one submission in a batch."""

    student: str
    status: str  # graded, error, timeout, interrupted
    seconds: float = 0.0
    message: str = ""
    score: float | None = None
    max_score: float | None = None


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------


def is_url(source: str) -> bool:
    """Return True if ``source`` looks like a git URL rather than a path."""
    return bool(_URL_RE.match(source))


def check_student_id(student: str, where: str) -> str:
    """Return ``student`` stripped, or raise :class:`BatchError` if unsafe as a name."""
    student = student.strip()
    if not _STUDENT_RE.match(student):
        raise BatchError(
            f"{where}: student id {student!r} is not usable as a folder name; use "
            "letters, digits and . _ @ + - (not starting with a dot)"
        )
    return student


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower().replace(" ", "_") for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def read_roster(path: Path) -> list[Submission]:
    """Read a roster CSV: student id, repository path or URL, optional deadline.

    Parameters
    ----------
    path : Path
        CSV file. With a header row, columns are found by name (``student``,
        ``repository``/``path``/``url``, ``deadline``/``commit``); without
        one, the first three columns are taken in that order. Relative paths
        are relative to the CSV's folder. Empty lines and lines starting with
        ``#`` are skipped.

    Returns
    -------
    list of Submission

    Raises
    ------
    BatchError
        On a row without a student or repository, an unsafe student id, or a
        student listed twice.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read the roster: {exc}") from exc
    rows = [
        (n, row)
        for n, row in enumerate(csv.reader(text.splitlines()), 1)
        if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise BatchError(f"{path}: the roster is empty")
    header = rows[0][1]
    s_col = _pick(header, _STUDENT_COLUMNS)
    r_col = _pick(header, _REPO_COLUMNS)
    d_col = _pick(header, _DEADLINE_COLUMNS)
    if s_col is not None and r_col is not None:
        rows = rows[1:]
    else:
        s_col, r_col, d_col = 0, 1, 2
    subs: list[Submission] = []
    seen: set[str] = set()
    for number, row in rows:
        where = f"{path}, line {number}"
        student, source, deadline = (_cell(row, c) for c in (s_col, r_col, d_col))
        if not student or not source:
            raise BatchError(
                f"{where}: needs a student id and a repository path or URL"
            )
        student = check_student_id(student, where)
        if student in seen:
            raise BatchError(f"{where}: student {student!r} is listed twice")
        seen.add(student)
        if not is_url(source):
            source = str((path.parent / Path(source).expanduser()).resolve())
        subs.append(Submission(student, source, deadline))
    return subs


def load_submissions(path: Path) -> list[Submission]:
    """Read the submissions of a batch from a folder, a roster CSV or a plan.

    Parameters
    ----------
    path : Path
        A folder whose sub-folders are the students' clones (named by student
        id), a roster CSV (see :func:`read_roster`), or a ``batch-plan.json``
        written by an earlier batch.

    Returns
    -------
    list of Submission
        Sorted by student id for a folder; in file order otherwise.
    """
    path = Path(path)
    if not path.exists():
        raise BatchError(
            f"{path} does not exist; give a folder of clones or a roster CSV"
        )
    if path.is_dir():
        subs = []
        for child in sorted(path.iterdir()):
            if not child.is_dir() or child.name.startswith("."):
                continue
            student = check_student_id(child.name, str(child))
            subs.append(Submission(student, str(child.resolve())))
        if not subs:
            raise BatchError(
                f"{path} has no sub-folders; put one clone per student in it"
            )
        return subs
    if path.suffix.lower() == ".json":
        try:
            plan = json.loads(path.read_text(encoding="utf-8"))
            return [Submission(**entry) for entry in plan["submissions"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BatchError(f"{path}: not a batch plan: {exc}") from exc
    return read_roster(path)


def write_plan(subs: list[Submission], out: Path, **extra: Any) -> Path:
    """Write ``OUT/batch-plan.json`` (the submissions and options) atomically."""
    data = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **extra,
        "submissions": [asdict(s) for s in subs],
    }
    path = out / PLAN_NAME
    write_json(path, data)
    return path


# ---------------------------------------------------------------------------
# One submission
# ---------------------------------------------------------------------------


def _git(args: list[str], cwd: Path | None = None, timeout: float = 600) -> str:
    try:
        return run_git(args, cwd, timeout=timeout)
    except GitError as exc:
        raise BatchError(str(exc)) from exc


def _parse_deadline(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def prepare_working_copy(sub: Submission, dest: Path) -> str:
    """Put a working copy of ``sub`` at ``dest``; return the commit graded.

    The student's clone is only read: a git repository (or URL) is cloned,
    then checked out at the deadline (the last commit before an ISO date-time,
    or the given revision); a plain folder is copied.

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
        if sub.deadline:
            raise BatchError(
                f"{source} is not a git repository, so the deadline "
                f"{sub.deadline!r} cannot be applied"
            )
        shutil.copytree(
            local,
            dest,
            symlinks=True,
            ignore=shutil.ignore_patterns(".venv", "__pycache__"),
        )
        return ""
    _git(["clone", "--quiet", "--no-checkout", source, str(dest)])
    try:
        branch = _git(["symbolic-ref", "--short", "-q", "HEAD"], cwd=dest)
    except BatchError:
        branch = "main"
    revision = "HEAD"
    if sub.deadline:
        when = _parse_deadline(sub.deadline)
        if when is not None:
            revision = _git(
                ["rev-list", "-1", f"--before={when.isoformat()}", "HEAD"], cwd=dest
            )
            if not revision:
                raise BatchError(
                    f"{source} has no commit before the deadline {sub.deadline}"
                )
        else:
            revision = sub.deadline
    try:
        sha = _git(
            ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], cwd=dest
        )
    except BatchError as exc:
        raise BatchError(
            f"{source}: no commit {revision!r} to grade "
            "(an empty repository, or a wrong deadline commit)"
        ) from exc
    _git(["checkout", "--quiet", "--force", "-B", branch or "main", sha], cwd=dest)
    return sha


_RUNNING: dict[int, subprocess.Popen] = {}
_RUNNING_LOCK = threading.Lock()
_STOPPING = threading.Event()


def _kill_group(proc: subprocess.Popen) -> None:
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
        _STOPPING.set()
        procs = list(_RUNNING.values())
    for proc in procs:
        _kill_group(proc)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def is_done(out: Path, student: str) -> bool:
    """Return True if ``OUT/<student>`` holds a finished grading, not a failure."""
    folder = out / student
    return (folder / "results.json").is_file() and not (folder / "status.json").exists()


def has_failed(out: Path, student: str) -> bool:
    """Return True if ``OUT/<student>/status.json`` records a failure."""
    return (out / student / "status.json").is_file()


def grade_command(
    work: Path, result_dir: Path, student: str, lab: str, extra: Iterable[str] = ()
) -> list[str]:
    """Return the command that grades one working copy.

    ``python -m grading grade`` with this interpreter, unless the environment
    variable ``GRADING_GRADE_COMMAND`` gives another command prefix (split
    like a shell would), e.g. ``"nice -n 10 python3 -m grading grade"``; the
    tests use it to stand in a fake grader.
    """
    prefix = os.environ.get("GRADING_GRADE_COMMAND", "").strip()
    head = shlex.split(prefix) if prefix else [sys.executable, "-m", "grading", "grade"]
    return [
        *head,
        str(work),
        "--lab",
        lab,
        "--out",
        str(result_dir),
        "--student",
        student,
        *extra,
    ]


def sandbox_timeout_args(
    batch_timeout: float, lab: str, extra_args: Iterable[str] = ()
) -> list[str]:
    """Return ``grade`` arguments that keep the sandbox inside the batch limit.

    When the per-submission ``batch_timeout`` leaves less room than the lab's
    hidden-test limit (``[hidden_tests] timeout`` of the rubric), the sandbox
    gets three quarters of it, so the student's run times out inside
    ``grade`` (which keeps the other checks and writes results) instead of
    the batch killing the whole grading. An explicit ``--timeout`` in
    ``extra_args`` wins.

    Returns
    -------
    list of str
        ``["--timeout", "<seconds>"]`` or ``[]``.
    """
    if "--timeout" in list(extra_args):
        return []
    try:
        from grading.pipeline.rubric import load_rubric

        section = load_rubric(lab).section("hidden_tests")
        limit = float(section.get("timeout", DEFAULT_TESTS_TIMEOUT))
    except Exception:  # noqa: BLE001 - an unknown lab is reported by grade itself
        limit = DEFAULT_TESTS_TIMEOUT
    room = max(10.0, 0.75 * float(batch_timeout))
    return ["--timeout", f"{room:g}"] if room < limit else []


def grade_one(
    sub: Submission,
    out: Path,
    *,
    lab: str = DEFAULT_LAB,
    timeout: float = DEFAULT_TIMEOUT,
    extra_args: Iterable[str] = (),
    cpus: set[int] | None = None,
) -> Outcome:
    """Grade one submission into ``OUT/<student>/``, atomically.

    The grading runs in a child process (its own process group, killed with
    its children on timeout) in a scratch working copy under ``OUT/.work``.
    Its output folder is built under ``OUT/.partial`` and renamed into place
    only when complete, with ``grade.log`` (the child's output),
    ``submission.json`` (source, deadline, commit graded) and, on failure,
    ``status.json`` (``{"student", "status": "error"|"timeout", "message",
    "seconds"}``).

    Returns
    -------
    Outcome
    """
    start = time.monotonic()
    out = Path(out).resolve()
    for name in (".partial", ".work"):
        (out / name).mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{sub.student}-", dir=out / ".partial"))
    scratch = Path(tempfile.mkdtemp(prefix=f"{sub.student}-", dir=out / ".work"))
    result_dir = stage / "result"
    log_path = stage / "grade.log"
    status, message, revision = "graded", "", ""
    try:
        try:
            revision = prepare_working_copy(sub, scratch / "submission")
        except (BatchError, OSError, subprocess.SubprocessError) as exc:
            status, message = "error", f"could not make a working copy: {exc}"
        if status == "graded":
            status, message = _run_grader(
                sub,
                scratch / "submission",
                result_dir,
                log_path,
                lab,
                timeout,
                start,
                [*extra_args, *sandbox_timeout_args(timeout, lab, extra_args)],
                cpus,
            )
        if _STOPPING.is_set():  # interrupted, not failed: leave it to the next run
            return Outcome(sub.student, "interrupted", time.monotonic() - start)
        result_dir.mkdir(parents=True, exist_ok=True)
        seconds = round(time.monotonic() - start, 2)
        if log_path.exists():
            shutil.move(str(log_path), result_dir / "grade.log")
        write_json(
            result_dir / "submission.json",
            {
                "student": sub.student,
                "source": sub.source,
                "deadline": sub.deadline,
                "commit": revision,
                "lab": lab,
                "seconds": seconds,
                "graded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
        )
        score = max_score = None
        if status == "graded":
            try:
                results = json.loads((result_dir / "results.json").read_text("utf-8"))
                score, max_score = results.get("score"), results.get("max_score")
            except (OSError, ValueError, AttributeError) as exc:
                status, message = "error", f"results.json is unreadable: {exc}"
        if status != "graded":
            partial = result_dir / "results.json"
            if partial.exists():
                partial.rename(result_dir / "results.incomplete.json")
            write_json(
                result_dir / "status.json",
                {
                    "student": sub.student,
                    "status": status,
                    "message": message,
                    "seconds": seconds,
                },
            )
        _publish(result_dir, out / sub.student)
        return Outcome(sub.student, status, seconds, message, score, max_score)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)


def _run_grader(
    sub: Submission,
    work: Path,
    result_dir: Path,
    log_path: Path,
    lab: str,
    timeout: float,
    start: float,
    extra_args: Iterable[str],
    cpus: set[int] | None = None,
) -> tuple[str, str]:
    """Run ``grade`` in a child process; return (status, message).

    With ``cpus``, the child (and everything it starts) is pinned to those
    CPUs, so parallel gradings do not fight over the same cores.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH", "")])]
    )
    env.setdefault("TF_USE_LEGACY_KERAS", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = grade_command(work, result_dir, sub.student, lab, extra_args)
    remaining = max(1.0, timeout - (time.monotonic() - start))
    with open(log_path, "wb") as log:
        # cwd is the instructor repository, so that "-m grading" never imports
        # the public grader copy inside a student's repository.
        proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
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
            code = proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return "timeout", (
                f"grading took longer than {timeout:g} s and was "
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
        return "error", (f"the grader exited with code {code}:\n{_tail(log_path)}")
    if not (result_dir / "results.json").is_file():
        return "error", "the grader finished without writing results.json"
    return "graded", ""


def _publish(result_dir: Path, final: Path) -> None:
    """Move a complete result folder to ``final``, replacing an older one."""
    trash = None
    if final.exists():
        trash = final.with_name(f".old-{final.name}-{os.getpid()}-{time.time_ns()}")
        os.rename(final, trash)
    os.rename(result_dir, final)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


# ---------------------------------------------------------------------------
# Many submissions
# ---------------------------------------------------------------------------


def select(
    subs: list[Submission],
    out: Path,
    *,
    force: bool = False,
    only: Iterable[str] = (),
    retry_failed: bool = False,
) -> tuple[list[Submission], list[Submission]]:
    """Split submissions into (to grade, to skip).

    Finished students are skipped unless ``force``; failed ones unless
    ``retry_failed``; ``only`` grades just the named students, always.
    """
    only = set(only)
    if only:
        unknown = only - {s.student for s in subs}
        if unknown:
            raise BatchError(f"not in the submissions: {', '.join(sorted(unknown))}")
        return [s for s in subs if s.student in only], [
            s for s in subs if s.student not in only
        ]
    todo, skip = [], []
    for sub in subs:
        if force:
            todo.append(sub)
        elif is_done(out, sub.student):
            skip.append(sub)
        elif has_failed(out, sub.student) and not retry_failed:
            skip.append(sub)
        else:
            todo.append(sub)
    return todo, skip


def run_batch(
    subs: list[Submission],
    out: Path,
    *,
    jobs: int = 1,
    lab: str = DEFAULT_LAB,
    timeout: float = DEFAULT_TIMEOUT,
    extra_args: Iterable[str] = (),
    progress: bool = True,
    on_outcome: Callable[[Outcome], None] | None = None,
    pin_cpus: bool = True,
) -> list[Outcome]:
    """Grade ``subs`` with ``jobs`` processes at a time, with a progress bar.

    Parameters
    ----------
    subs : list of Submission
        What to grade (already selected, see :func:`select`).
    out : Path
        The batch folder.
    jobs : int
        Submissions graded at the same time.
    progress : bool
        Show a tqdm progress bar with an ETA on stderr.
    pin_cpus : bool
        With several jobs and at least as many CPUs, give each running
        grading its own CPUs (see :func:`cpu_slots`).

    Returns
    -------
    list of Outcome
        In completion order. On Ctrl-C the running gradings are stopped and
        ``KeyboardInterrupt`` propagates; finished students stay written.
    """
    from tqdm import tqdm

    outcomes: list[Outcome] = []
    failed = 0
    _STOPPING.clear()
    bar = tqdm(
        total=len(subs),
        unit="sub",
        desc="grading",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        slots = cpu_slots(jobs) if pin_cpus else []
        free: queue.Queue = queue.Queue()
        for slot in slots:
            free.put(slot)

        def graded(sub: Submission) -> Outcome:
            slot = free.get() if slots else None
            try:
                return grade_one(
                    sub, out, lab=lab, timeout=timeout, extra_args=extra_args, cpus=slot
                )
            finally:
                if slot is not None:
                    free.put(slot)

        futures = {pool.submit(graded, sub): sub for sub in subs}
        for future in as_completed(futures):
            sub = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # a bug here must not stop the class
                outcome = Outcome(sub.student, "error", 0.0, f"batch error: {exc!r}")
                write_json(
                    out / sub.student / "status.json",
                    {
                        "student": sub.student,
                        "status": "error",
                        "message": outcome.message,
                        "seconds": 0.0,
                    },
                )
            outcomes.append(outcome)
            if outcome.status != "graded":
                failed += 1
                first = outcome.message.splitlines()[0] if outcome.message else ""
                bar.write(f"{sub.student}: {outcome.status}: {first}")
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
            if on_outcome:
                on_outcome(outcome)
    except KeyboardInterrupt:
        kill_running()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    return outcomes


def cpu_slots(jobs: int) -> list[set[int]]:
    """Split the CPUs this process may use into ``jobs`` disjoint sets.

    TensorFlow sizes its thread pools by the CPUs it may run on; pinning each
    parallel grading to its own share keeps two gradings from each starting
    a thread per core and thrashing. Returns ``[]`` (no pinning) for one job,
    more jobs than CPUs, or where affinity is not supported.
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []
    if jobs < 2 or jobs > len(cpus):
        return []
    return [set(cpus[i::jobs]) for i in range(jobs)]


def clean_stale(out: Path) -> None:
    """Remove scratch folders left by a batch that was killed."""
    for name in (".partial", ".work"):
        shutil.rmtree(out / name, ignore_errors=True)
    for old in out.glob(".old-*"):
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------
# Gradebook
# ---------------------------------------------------------------------------


def write_gradebook(out: Path) -> list[Path]:
    """Write ``OUT/gradebook.csv`` and ``OUT/index.html``.

    The CSV is written first, so a failure of the class page still leaves
    the gradebook; the failure is printed and the batch goes on.

    Returns
    -------
    list of Path
        The files written.
    """
    from grading.report import write_gradebook as report_gradebook

    try:
        return list(report_gradebook(out).values())
    except Exception as exc:  # noqa: BLE001 - a batch must end with its CSV
        print(f"batch: the class page could not be written ({exc!r})", file=sys.stderr)
        return [p for p in (out / "gradebook.csv", out / "index.html") if p.exists()]
