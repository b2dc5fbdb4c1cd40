"""``python -m grading batch``: grade a whole class, resumably."""

from __future__ import annotations

import argparse
import fcntl
import signal
import sys
import time
from pathlib import Path

from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT, DEFAULT_LAB

NAME = "batch"
HELP = "grade every submission of a class (folder of clones or roster CSV)"
DESCRIPTION = """\
Grade every submission of a class, each in its own process and working copy,
and write OUT/<student>/ (reports, results.json, grade.log) and the gradebook
(OUT/gradebook.csv, OUT/index.html).

SUBMISSIONS is one of:
  - a folder with one clone per student (the folder name is the student id);
  - a roster CSV with the columns student, repository (a path or a git URL)
    and, optionally, deadline: an ISO date-time (the last commit before it is
    graded) or a commit sha. The students' clones are never modified;
  - OUT/batch-plan.json of an earlier batch.

A batch can be stopped at any time: finished students are kept and skipped
by the next run (--force grades everyone again, --only ID one student). A
submission that fails or runs past --timeout is recorded in
OUT/<student>/status.json and the batch goes on.

With --executor slurm, one Slurm job array is submitted (one task per
submission, inside 'singularity exec IMAGE' with --image); when it has ended,
'python -m grading collect OUT' writes the gradebook.

Examples:
  python -m grading batch clones/ --jobs 2 --out grades
  python -m grading batch roster.csv --out grades --only alice
  python -m grading batch roster.csv --out /shared/grades \\
      --executor slurm --image grader.sif
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``batch``."""
    parser.add_argument(
        "submissions",
        type=Path,
        metavar="SUBMISSIONS",
        help="folder of clones, roster CSV, or batch-plan.json",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("grades"),
        metavar="DIR",
        help="batch folder (default: ./grades)",
    )
    parser.add_argument(
        "--lab",
        default=DEFAULT_LAB,
        help="lab id of the rubric (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=1,
        metavar="N",
        help="submissions graded at the same time (default: 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_BATCH_TIMEOUT,
        metavar="S",
        help="seconds per submission before it is stopped (default: %(default)g)",
    )
    parser.add_argument(
        "--force", action="store_true", help="grade again the students already graded"
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="where bubblewrap cannot run, grade anyway without isolation (the "
        "results say so); without it the batch refuses to start there",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ID",
        help="grade only this student (again); may be repeated",
    )
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="grade again the students whose grading failed or timed out",
    )
    parser.add_argument(
        "--executor",
        choices=("local", "slurm"),
        default="local",
        help="run here (default) or submit a Slurm job array",
    )
    parser.add_argument(
        "--image", metavar="SIF", help="Singularity image the Slurm tasks run in"
    )
    parser.add_argument("--partition", help="Slurm partition")
    parser.add_argument(
        "--max-parallel", type=int, metavar="M", help="most Slurm tasks running at once"
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="with --executor slurm: wait for the job and collect",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (one line per submission instead)",
    )
    parser.add_argument("--task-index", type=int, default=None, help=argparse.SUPPRESS)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _stop(signum, frame):
    raise KeyboardInterrupt  # scancel or kill: stop like Ctrl-C


def run(args: argparse.Namespace) -> int:
    """Run the batch; 0 if all graded, 1 if some failed, 2 on bad input."""
    from grading.private import cohort as batch

    signal.signal(signal.SIGTERM, _stop)

    out = args.out.resolve()
    try:
        subs = batch.load_submissions(args.submissions)
        if args.task_index is not None:
            return _run_task(args, subs, out)
        out.mkdir(parents=True, exist_ok=True)
        todo, skipped = batch.select(
            subs, out, force=args.force, only=args.only, retry_failed=args.retry_failed
        )
    except batch.BatchError as exc:
        _say(f"batch: {exc}")
        return 2
    if args.executor == "slurm":
        return _run_slurm(args, todo, out)
    refused = _sandbox_refusal(args)
    if refused:
        _say(refused)
        return 2
    lock_file = open(out / ".batch.lock", "w")  # noqa: SIM115 - held for the run
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        _say(
            f"batch: another batch is writing to {out}; "
            "wait for it or use another --out"
        )
        return 2
    batch.clean_stale(out)
    batch.write_plan(subs, out, lab=args.lab, timeout=args.timeout, executor="local")
    _say(
        f"batch: {len(subs)} submission(s), {len(todo)} to grade, "
        f"{len(skipped)} already done (--force to grade again); {args.jobs} at a time"
    )
    start = time.monotonic()
    try:
        outcomes = batch.run_batch(
            todo,
            out,
            jobs=args.jobs,
            lab=args.lab,
            timeout=args.timeout,
            extra_args=_extra_args(args),
            progress=not args.no_progress,
            on_outcome=None
            if not args.no_progress
            else (lambda o: _say(f"{o.student}: {o.status} in {o.seconds:.1f} s")),
        )
    except KeyboardInterrupt:
        _say(
            "batch: interrupted; finished students are kept, run the same "
            "command again to go on"
        )
        return 130
    finally:
        batch.clean_stale(out)
    files = batch.write_gradebook(out)
    failed = [o for o in outcomes if o.status != "graded"]
    _say(
        f"batch: graded {len(outcomes) - len(failed)}, failed {len(failed)}, skipped "
        f"{len(skipped)} in {time.monotonic() - start:.1f} s"
    )
    for path in files:
        print(f"Gradebook: {path}")
    return 1 if failed else 0


def _extra_args(args: argparse.Namespace) -> list[str]:
    return ["--unsafe-no-sandbox"] if args.unsafe_no_sandbox else []


def _sandbox_refusal(args: argparse.Namespace) -> str:
    """Why the batch refuses to run students' code here, or ``""``."""
    from grading.sandbox import sandbox_status

    state = sandbox_status()
    if state.available or args.unsafe_no_sandbox:
        return ""
    return (
        f"batch: {state.reason}. The grader does not run students' code "
        "without its sandbox: install bubblewrap, run the batch where it works "
        "(docs/threat-model.md lists the container flags), or pass "
        "--unsafe-no-sandbox to grade without isolation."
    )


def _run_task(args: argparse.Namespace, subs, out: Path) -> int:
    """Grade the one submission of a Slurm array task."""
    from grading.private import cohort as batch

    if not 0 <= args.task_index < len(subs):
        _say(
            f"batch: task index {args.task_index} is outside the plan "
            f"(0-{len(subs) - 1})"
        )
        return 2
    sub = subs[args.task_index]
    if not args.force and batch.is_done(out, sub.student):
        _say(f"batch: {sub.student} is already graded; skipping")
        return 0
    try:
        outcome = batch.grade_one(
            sub, out, lab=args.lab, timeout=args.timeout, extra_args=_extra_args(args)
        )
    except KeyboardInterrupt:
        _say(f"batch: {sub.student}: stopped before the grading finished")
        return 130
    _say(
        f"batch: {sub.student}: {outcome.status} in {outcome.seconds:.1f} s "
        f"{outcome.message.splitlines()[0] if outcome.message else ''}"
    )
    return 0 if outcome.status == "graded" else 1


def _run_slurm(args: argparse.Namespace, todo, out: Path) -> int:
    from grading.private import cohort as batch
    from grading.private.cohort import slurm

    try:
        record = slurm.submit(
            todo,
            out,
            lab=args.lab,
            timeout=args.timeout,
            image=args.image,
            max_parallel=args.max_parallel,
            partition=args.partition,
            wait=args.wait,
        )
    except batch.BatchError as exc:
        _say(f"batch: {exc}")
        return 2
    _say(
        f"batch: submitted Slurm job array {record['job_id']} with "
        f"{record['tasks']} task(s); logs in {out / 'slurm' / 'logs'}"
    )
    if not args.wait:
        print(f"When the job has ended, run: python -m grading collect {out}")
        return 0
    counts = slurm.collect(out, progress=_say)
    for path in counts["files"]:
        print(f"Gradebook: {path}")
    return 0 if counts["failed"] + counts["missing"] == 0 else 1
