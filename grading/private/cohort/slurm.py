"""Grade a class on a Slurm cluster: one job array, one task per submission.

``python -m grading batch SUBMISSIONS --executor slurm --out OUT`` writes the
plan (``OUT/batch-plan.json``) and a job script (``OUT/slurm/grade.sbatch``)
and submits it with ``sbatch``. Each array task runs the same code as a local
batch for one submission (``python -m grading batch OUT/batch-plan.json
--task-index $SLURM_ARRAY_TASK_ID``), inside ``singularity exec IMAGE`` when
an image is given. ``OUT`` must be on a file system that every node sees.
``python -m grading collect OUT`` then records the tasks that left nothing
and writes the gradebook.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from grading.private.cohort import (
    PLAN_NAME,
    REPO_ROOT,
    BatchError,
    Submission,
    has_failed,
    is_done,
    is_url,
    write_gradebook,
    write_plan,
)
from grading.util.io import write_json

JOB_FILE = "job.json"


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
) -> str:
    """Return the ``sbatch`` script of a job array grading ``count`` submissions.

    Parameters
    ----------
    out : Path
        The batch folder (shared by all nodes).
    count : int
        Number of submissions in the plan; tasks are ``0 .. count-1``.
    lab, timeout : str, float
        Passed to each task; Slurm's time limit is the timeout plus a margin.
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
    """
    out = Path(out).resolve()
    logs = out / "slurm" / "logs"
    minutes = max(2, math.ceil(timeout / 60) + 5)
    array = f"0-{count - 1}" + (f"%{max_parallel}" if max_parallel else "")
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name=grade-{lab}",
        f"#SBATCH --array={array}",
        f"#SBATCH --output={logs}/%A_%a.log",
        f"#SBATCH --time={minutes}",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --ntasks=1",
    ]
    if partition:
        lines.append(f"#SBATCH --partition={partition}")
    if memory_mb:
        lines.append(f"#SBATCH --mem={int(memory_mb)}M")
    task = [
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
    ]
    if image:
        bind = [str(out), *(binds or [])]
        prefix = [
            "singularity",
            "exec",
            "--cleanenv",
            "--no-home",
            "--bind",
            ",".join(dict.fromkeys(bind)),
            image,
            "python",
        ]
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
) -> dict[str, Any]:
    """Write the plan and the job script, and submit one job array.

    Parameters
    ----------
    subs : list of Submission
        Submissions to grade (the plan keeps them in this order; task ``i``
        grades ``subs[i]``).
    wait : bool
        Block until every task has ended (``sbatch --wait``).

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
    out = Path(out).resolve()
    (out / "slurm" / "logs").mkdir(parents=True, exist_ok=True)
    plan = write_plan(subs, out, lab=lab, timeout=timeout, executor="slurm")
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


def collect(out: Path, *, progress=print) -> dict[str, Any]:
    """Merge the results of a Slurm batch into the gradebook.

    Every task of the plan that ended without leaving ``OUT/<student>/`` gets
    a ``status.json`` saying so (with the end of its Slurm log); tasks still
    queued or running are reported and left alone.

    Returns
    -------
    dict
        Counts ``{"graded", "failed", "missing", "pending", "files"}``.
    """
    out = Path(out).resolve()
    plan_path = out / PLAN_NAME
    if not plan_path.is_file():
        raise BatchError(
            f"{plan_path} is missing: is {out} the --out folder of a batch?"
        )
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    subs = [Submission(**entry) for entry in plan["submissions"]]
    job: dict[str, Any] = {}
    job_file = out / "slurm" / JOB_FILE
    if job_file.is_file():
        job = json.loads(job_file.read_text(encoding="utf-8"))
    queued = _queued_tasks(str(job.get("job_id", "")))
    counts = {"graded": 0, "failed": 0, "missing": 0, "pending": 0}
    for index, sub in enumerate(subs):
        if is_done(out, sub.student):
            counts["graded"] += 1
        elif has_failed(out, sub.student):
            counts["failed"] += 1
        elif queued and index in queued:
            counts["pending"] += 1
        else:
            counts["missing"] += 1
            log = out / "slurm" / "logs" / f"{job.get('job_id', '*')}_{index}.log"
            tail = ""
            if log.is_file():
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-10:])
            status = "timeout" if "TIME LIMIT" in tail else "error"
            write_json(
                out / sub.student / "status.json",
                {
                    "student": sub.student,
                    "status": status,
                    "message": f"the Slurm task {index} left no result (log: {log})"
                    + (f":\n{tail}" if tail else ""),
                    "seconds": 0.0,
                },
            )
    if counts["pending"]:
        progress(
            f"collect: {counts['pending']} task(s) still queued or running; "
            "run collect again when they end"
        )
    files = write_gradebook(out)
    counts["files"] = [str(p) for p in files]
    return counts
