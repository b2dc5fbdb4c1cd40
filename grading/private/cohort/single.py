"""Grade one submission of a batch into ``OUT/<student>/``, atomically.

The result folder is built under ``OUT/.partial`` and renamed into place
only when complete, so a batch killed at any moment loses nothing that
finished and leaves nothing half-written. A time limit is never a score:
when the grader's ``results.json`` says that a limit stopped some checks
(top-level ``status`` ``timeout``, or an item with status ``timeout``), the
outcome is ``timeout`` and ``status.json`` says so beside the results.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT
from grading.pipeline.rubric import default_lab
from grading.private.cohort import child
from grading.private.cohort.clone import prepare_working_copy
from grading.private.cohort.roster import BatchError, Submission
from grading.private.cohort.status import Outcome, write_status
from grading.util.io import write_json


def timed_out_items(results: dict[str, Any]) -> list[str]:
    """Return the titles of the items a time limit kept from being checked."""
    items = results.get("items") if isinstance(results.get("items"), list) else []
    return [
        str(item.get("title") or item.get("id") or "?")
        for item in items
        if isinstance(item, dict) and item.get("status") == "timeout"
    ]


def _read_results(result_dir: Path) -> tuple[str, str, dict[str, Any]]:
    """Return (status, message, results) of a grading that wrote results.json."""
    try:
        results = json.loads((result_dir / "results.json").read_text("utf-8"))
        if not isinstance(results, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        return "error", f"results.json is unreadable: {exc}", {}
    items = timed_out_items(results)
    if results.get("status") == "timeout" or items:
        what = f" ({'; '.join(items)})" if items else ""
        return (
            "timeout",
            f"a time limit stopped some checks{what}: they could not be checked, "
            "which is not a score",
            results,
        )
    return "graded", "", results


def _publish(result_dir: Path, final: Path) -> None:
    """Move a complete result folder to ``final``, replacing an older one."""
    trash = None
    if final.exists():
        trash = final.with_name(f".old-{final.name}-{os.getpid()}-{time.time_ns()}")
        os.rename(final, trash)
    os.rename(result_dir, final)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def _record(
    sub: Submission,
    result_dir: Path,
    log_path: Path,
    outcome: Outcome,
    revision: str,
    lab: str,
    scale: float,
) -> None:
    """Write ``grade.log``, ``submission.json`` and, on failure, ``status.json``."""
    result_dir.mkdir(parents=True, exist_ok=True)
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
            "seconds": outcome.seconds,
            "attempt": outcome.attempts,
            "time_scale": scale,
            "graded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    if outcome.status == "graded":
        return
    results = result_dir / "results.json"
    if results.exists() and outcome.status != "timeout":
        results.rename(result_dir / "results.incomplete.json")
    extra = {"attempts": outcome.attempts} if outcome.attempts > 1 else {}
    write_status(
        result_dir,
        sub.student,
        outcome.status,
        outcome.message,
        outcome.seconds,
        **extra,
    )


@dataclass(frozen=True)
class _Run:
    """How one grading runs: lab, limits, ``grade`` options, CPUs, start time."""

    lab: str
    timeout: float
    extra_args: list[str]
    scale: float
    cpus: set[int] | None
    start: float


def _grade_in(
    sub: Submission,
    scratch: Path,
    result_dir: Path,
    log_path: Path,
    run: _Run,
) -> tuple[str, str, str, dict[str, Any]]:
    """Make the working copy and run the grader; return (status, why, sha, results)."""
    work = scratch / "submission"
    try:
        revision = prepare_working_copy(sub, work)
    except (BatchError, OSError, subprocess.SubprocessError) as exc:
        return "error", f"could not make a working copy: {exc}", "", {}
    extra = list(run.extra_args)
    extra += child.limit_args(run.timeout, run.lab, extra, run.scale)
    command = child.grade_command(work, result_dir, sub.student, run.lab, extra)
    remaining = run.timeout - (time.monotonic() - run.start)
    status, message = child.run_grade(
        command, log_path, result_dir, remaining, run.cpus, run.timeout
    )
    if status != "graded":
        return status, message, revision, {}
    status, message, results = _read_results(result_dir)
    return status, message, revision, results


def grade_one(
    sub: Submission,
    out: Path,
    *,
    lab: str | None = None,
    timeout: float = DEFAULT_BATCH_TIMEOUT,
    extra_args: Iterable[str] = (),
    cpus: set[int] | None = None,
    scale: float = 1.0,
    attempt: int = 1,
) -> Outcome:
    """Grade one submission into ``OUT/<student>/``, atomically.

    The grading runs in a child process (its own process group, killed with
    its children on timeout) in a scratch working copy under ``OUT/.work``.
    Its output folder is built under ``OUT/.partial`` and renamed into place
    only when complete, with ``grade.log`` (the child's output),
    ``submission.json`` (source, deadline, commit graded, attempt) and, when
    the grading did not complete, ``status.json`` (see
    :mod:`grading.private.cohort.status`).

    Parameters
    ----------
    lab : str, optional
        Lab id of the rubric (:func:`grading.pipeline.rubric.default_lab`
        when None).
    timeout : float
        Seconds for the whole grading (already scaled for a regrade).
    extra_args : iterable of str
        Further ``grade`` options, as the instructor gave them.
    cpus : set of int, optional
        CPUs to pin the grading to.
    scale : float
        Factor on the hidden tests' time limits (2 for the regrade of a
        timed-out submission).
    attempt : int
        1 for the first grading, 2 for the regrade.

    Returns
    -------
    Outcome
    """
    start = time.monotonic()
    lab = lab or default_lab()
    out = Path(out).resolve()
    for name in (".partial", ".work"):
        (out / name).mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{sub.student}-", dir=out / ".partial"))
    scratch = Path(tempfile.mkdtemp(prefix=f"{sub.student}-", dir=out / ".work"))
    result_dir, log_path = stage / "result", stage / "grade.log"
    run = _Run(lab, float(timeout), list(extra_args), scale, cpus, start)
    try:
        status, message, revision, results = _grade_in(
            sub, scratch, result_dir, log_path, run
        )
        if child.STOPPING.is_set():  # interrupted, not failed: the next run
            return Outcome(sub.student, "interrupted", time.monotonic() - start)
        outcome = Outcome(
            sub.student,
            status,
            round(time.monotonic() - start, 2),
            message,
            results.get("score") if status == "graded" else None,
            results.get("max_score") if results else None,
            attempt,
        )
        _record(sub, result_dir, log_path, outcome, revision, lab, scale)
        _publish(result_dir, out / sub.student)
        return outcome
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
