"""Grade a class on a Slurm cluster: one job array, one task per submission.

``python -m grading batch SUBMISSIONS --executor slurm --out OUT`` writes the
plan (``OUT/batch-plan.json``) and a job script (``OUT/slurm/grade.sbatch``)
and submits it with ``sbatch``. Each array task runs the same code as a local
batch for one submission (``python -m grading batch OUT/batch-plan.json
--task-index $SLURM_ARRAY_TASK_ID``), inside ``singularity exec IMAGE`` when
an image is given. ``OUT`` must be on a file system that every node sees.
``python -m grading collect OUT`` then records the tasks that left nothing
and writes the gradebook.

A task whose grading times out grades it again at once, with every time
limit doubled: a task already has its own CPUs, which is what the local
batch's regrade at the end gets by running alone. Slurm's time limit of a
task covers both attempts.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grading.pipeline.options import REGRADE_TIME_FACTOR
from grading.private.cohort.loop import write_gradebook_safely
from grading.private.cohort.roster import (
    PLAN_NAME,
    BatchError,
    Rejected,
    Submission,
    is_url,
    read_plan,
    write_plan,
)
from grading.private.cohort.single import grade_one
from grading.private.cohort.status import (
    Outcome,
    has_failed,
    is_done,
    write_not_graded,
    write_status,
)
from grading.util.io import write_json
from grading.util.paths import REPO_ROOT

JOB_FILE = "job.json"
#: Minutes Slurm adds to a task's limit for start-up and the container.
SLURM_MARGIN_MIN = 5


def task_minutes(timeout: float) -> int:
    """Return Slurm's ``--time`` of a task: a grading and its regrade, plus margin."""
    seconds = timeout * (1 + REGRADE_TIME_FACTOR)
    return max(2, math.ceil(seconds / 60) + SLURM_MARGIN_MIN)


def _task_command(
    out: Path, lab: str, timeout: float, grade_args: list[str]
) -> list[str]:
    """Return the arguments after the interpreter of one array task."""
    return [
        "-m",
        "grading",
        "batch",
        str(out / PLAN_NAME),
        "--out",
        str(out),
        "--lab",
        lab,
        "--timeout",
        f"{timeout:g}",
        "--task-index",
        "$SLURM_ARRAY_TASK_ID",
        *grade_args,
    ]


def _header(
    out: Path,
    count: int,
    lab: str,
    timeout: float,
    *,
    max_parallel: int | None,
    partition: str | None,
    memory_mb: int | None,
) -> list:
    array = f"0-{count - 1}" + (f"%{max_parallel}" if max_parallel else "")
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name=grade-{lab}",
        f"#SBATCH --array={array}",
        f"#SBATCH --output={out / 'slurm' / 'logs'}/%A_%a.log",
        f"#SBATCH --time={task_minutes(timeout)}",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --ntasks=1",
    ]
    if partition:
        lines.append(f"#SBATCH --partition={partition}")
    if memory_mb:
        lines.append(f"#SBATCH --mem={int(memory_mb)}M")
    return lines


def job_script(
    out: Path,
    count: int,
    *,
    lab: str,
    timeout: float,
    image: str | None = None,
    python: str | None = None,
    max_parallel: int | None = None,
    partition: str | None = None,
    memory_mb: int | None = None,
    binds: list[str] | None = None,
    grade_args: list[str] | None = None,
) -> str:
    """Return the ``sbatch`` script of a job array grading ``count`` submissions.

    Parameters
    ----------
    out : Path
        The batch folder (shared by all nodes).
    count : int
        Number of submissions in the plan; tasks are ``0 .. count-1``.
    lab, timeout : str, float
        Passed to each task; Slurm's time limit covers a grading and its
        regrade (:func:`task_minutes`).
    image : str, optional
        A Singularity image (``.sif``): the task runs ``singularity exec``.
    python : str, optional
        Python of the tasks without an image (this interpreter by default).
    max_parallel : int, optional
        Most tasks running at once (``--array=0-N%M``).
    partition : str, optional
        Slurm partition.
    memory_mb : int, optional
        Memory per task.
    binds : list of str, optional
        Extra folders to bind into the container (the students' clones).
    grade_args : list of str, optional
        Options of ``grade`` every task passes on.
    """
    out = Path(out).resolve()
    lines = _header(
        out,
        count,
        lab,
        timeout,
        max_parallel=max_parallel,
        partition=partition,
        memory_mb=memory_mb,
    )
    task = _task_command(out, lab, timeout, list(grade_args or []))
    if image:
        bind = ",".join(dict.fromkeys([str(out), *(binds or [])]))
        prefix = ["singularity", "exec", "--cleanenv", "--no-home"]
        prefix += ["--bind", bind, image, "python"]
        cd = ""
    else:
        prefix = [python or sys.executable]
        cd = f"cd {shlex.quote(str(REPO_ROOT))}\n"
        lines.append(
            f"export PYTHONPATH={shlex.quote(str(REPO_ROOT))}"
            "${PYTHONPATH:+:$PYTHONPATH}"
        )
    quoted = " ".join(
        shlex.quote(a) if not a.startswith("$") else f'"{a}"' for a in prefix + task
    )
    wrapper = os.environ.get("GRADING_GRADE_COMMAND", "").strip()
    if wrapper:  # the tasks grade the same way as this submitting shell
        lines.append(f"export GRADING_GRADE_COMMAND={shlex.quote(wrapper)}")
    lines += [
        "set -u",
        "export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2",
        'echo "task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID on $(hostname)"',
        f"{cd}exec {quoted}",
    ]
    return "\n".join(lines) + "\n"


def _check_submittable(subs: list[Submission], image: str | None) -> None:
    if not subs:
        raise BatchError(
            "nothing to submit: every submission is already graded "
            "(use --force to grade again)"
        )
    if shutil.which("sbatch") is None:
        raise BatchError(
            "sbatch is not on PATH: run this on a Slurm login node, "
            "or use --executor local"
        )
    if image and not Path(image).is_file():
        raise BatchError(
            f"--image {image} does not exist; build it with "
            "'singularity build grader.sif Singularity.def'"
        )


def submit(
    subs: list[Submission],
    out: Path,
    *,
    lab: str,
    timeout: float,
    image: str | None = None,
    max_parallel: int | None = None,
    partition: str | None = None,
    memory_mb: int | None = None,
    wait: bool = False,
    grade_args: list[str] | None = None,
    rejected: list[Rejected] | None = None,
) -> dict[str, Any]:
    """Write the plan and the job script, and submit one job array.

    Parameters
    ----------
    subs : list of Submission
        Submissions to grade (the plan keeps them in this order; task ``i``
        grades ``subs[i]``).
    wait : bool
        Block until every task has ended (``sbatch --wait``).
    grade_args : list of str, optional
        Options of ``grade`` for every grading.
    rejected : list of Rejected, optional
        Submissions not graded (unusable ids), kept in the plan and listed in
        ``OUT/not-graded.json``.

    Returns
    -------
    dict
        ``{"job_id", "tasks", "script", "plan"}``, also written to
        ``OUT/slurm/job.json``.

    Raises
    ------
    BatchError
        If ``sbatch`` is missing or refuses the job.
    """
    _check_submittable(subs, image)
    out = Path(out).resolve()
    (out / "slurm" / "logs").mkdir(parents=True, exist_ok=True)
    write_not_graded(out, list(rejected or []))
    plan = write_plan(
        subs,
        out,
        list(rejected or []),
        lab=lab,
        timeout=timeout,
        executor="slurm",
        grade_args=list(grade_args or []),
    )
    binds = sorted({str(Path(s.source).parent) for s in subs if not is_url(s.source)})
    script = out / "slurm" / "grade.sbatch"
    script.write_text(
        job_script(
            out,
            len(subs),
            lab=lab,
            timeout=timeout,
            image=image,
            max_parallel=max_parallel,
            partition=partition,
            memory_mb=memory_mb,
            binds=binds,
            grade_args=list(grade_args or []),
        ),
        encoding="utf-8",
    )
    command = ["sbatch", "--parsable", *(["--wait"] if wait else []), str(script)]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=out)
    job_id = proc.stdout.strip().split(";")[0] if proc.stdout.strip() else ""
    if not job_id:
        raise BatchError(
            f"sbatch refused the job (exit {proc.returncode}): {proc.stderr.strip()}"
        )
    record = {
        "job_id": job_id,
        "tasks": len(subs),
        "script": str(script),
        "plan": str(plan),
        "sbatch_exit": proc.returncode,
    }
    write_json(out / "slurm" / JOB_FILE, record)
    return record


def run_task(
    sub: Submission,
    out: Path,
    *,
    lab: str,
    timeout: float,
    grade_args: list[str],
    say: Callable[[str], None] = print,
) -> Outcome:
    """Grade the submission of one array task; regrade it at once on a timeout.

    Returns
    -------
    Outcome
        Of the regrade when there was one (``attempts == 2``).
    """
    outcome = grade_one(sub, out, lab=lab, timeout=timeout, extra_args=grade_args)
    if outcome.status != "timeout":
        return outcome
    factor = REGRADE_TIME_FACTOR
    say(f"batch: {sub.student}: timed out; grading again with every limit x{factor:g}")
    return grade_one(
        sub,
        out,
        lab=lab,
        timeout=timeout * factor,
        extra_args=grade_args,
        scale=factor,
        attempt=2,
    )


def _queued_tasks(job_id: str) -> set[int] | None:
    """Return the array indices of ``job_id`` still queued or running, or None."""
    if not job_id or shutil.which("squeue") is None:
        return None
    proc = subprocess.run(
        ["squeue", "--noheader", "--array", "--jobs", job_id, "--format=%K"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return set()  # the job is gone from the queue
    indices = set()
    for token in proc.stdout.split():
        if token.isdigit():
            indices.add(int(token))
    return indices


def _record_missing(out: Path, sub: Submission, index: int, job_id: str) -> None:
    """Write the ``status.json`` of a task that ended without a result."""
    log = out / "slurm" / "logs" / f"{job_id or '*'}_{index}.log"
    tail = ""
    if log.is_file():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-10:])
    status = "timeout" if "TIME LIMIT" in tail else "error"
    write_status(
        out / sub.student,
        sub.student,
        status,
        f"the Slurm task {index} left no result (log: {log})"
        + (f":\n{tail}" if tail else ""),
    )


def collect(out: Path, *, progress=print) -> dict[str, Any]:
    """Merge the results of a Slurm batch into the gradebook.

    Every task of the plan that ended without leaving ``OUT/<student>/`` gets
    a ``status.json`` saying so (with the end of its Slurm log; ``timeout``
    when Slurm's time limit ended it); tasks still queued or running are
    reported and left alone.

    Returns
    -------
    dict
        Counts ``{"graded", "failed", "missing", "pending", "not_graded",
        "files"}``.
    """
    out = Path(out).resolve()
    plan_path = out / PLAN_NAME
    if not plan_path.is_file():
        raise BatchError(
            f"{plan_path} is missing: is {out} the --out folder of a batch?"
        )
    roster = read_plan(plan_path)
    job: dict[str, Any] = {}
    job_file = out / "slurm" / JOB_FILE
    if job_file.is_file():
        job = json.loads(job_file.read_text(encoding="utf-8"))
    job_id = str(job.get("job_id", ""))
    queued = _queued_tasks(job_id)
    counts = {"graded": 0, "failed": 0, "missing": 0, "pending": 0}
    counts["not_graded"] = len(roster.rejected)
    for index, sub in enumerate(roster.submissions):
        if is_done(out, sub.student):
            counts["graded"] += 1
        elif has_failed(out, sub.student):
            counts["failed"] += 1
        elif queued and index in queued:
            counts["pending"] += 1
        else:
            counts["missing"] += 1
            _record_missing(out, sub, index, job_id)
    write_not_graded(out, roster.rejected)
    if counts["pending"]:
        progress(
            f"collect: {counts['pending']} task(s) still queued or running; "
            "run collect again when they end"
        )
    files = write_gradebook_safely(out)
    counts["files"] = [str(p) for p in files]
    return counts
