"""``python -m grading batch``: grade a whole class, resumably."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT
from grading.pipeline.rubric import default_lab

NAME = "batch"
#: Options batch does not know are grade's: checked, then passed to each grading.
PASS_THROUGH = True
HELP = "grade every submission of a class (folder of clones or roster CSV)"
DESCRIPTION = """\
Grade every submission of a class, each in its own process and working copy,
and write OUT/<student>/ (reports, results.json, grade.log) and the gradebook
(OUT/gradebook.csv, OUT/index.html). At the end, every pair of submissions
is compared (OUT/similarity.json and a section of index.html; instructor
only; --no-similarity skips it).

SUBMISSIONS is one of:
  - a folder with one clone per student (the folder name is the student id);
  - a roster CSV with the columns student, repository (a path or a git URL)
    and, optionally, deadline: an ISO date-time (the last commit before it is
    graded) or a commit sha. The students' clones are never modified;
  - OUT/batch-plan.json of an earlier batch.

A student id must be letters, digits and . _ @ + - (starting with a letter or
a digit, at most 100 characters). A folder or roster row with any other id
(a leading dash or dot, spaces, letters outside ASCII) is not graded and is
listed in the gradebook with the reason; the rest of the class is graded.

A batch can be stopped at any time: finished students are kept and skipped
by the next run (--force grades everyone again, --only ID one student). A
submission that fails is recorded in OUT/<student>/status.json and the batch
goes on. A time limit is never a score: every submission that timed out is
graded again at the end, one at a time, with every time limit doubled; what
still times out is listed as needing attention, with no total.

Options that batch does not know are options of 'grade' (for example
--memory-mb=4096): they are checked, then passed to every grading. Put them
after SUBMISSIONS.

With --executor slurm, one Slurm job array is submitted (one task per
submission, inside 'singularity exec IMAGE' with --image); when it has ended,
'python -m grading collect OUT' writes the gradebook.

Exit status: 0 when every submission is graded; N (1-100) when N are not
graded (failed, timed out, or not usable; 100 means 100 or more); 101 when
the batch could not start (unusable input, another batch in OUT); 102 when
the batch itself failed (a bug); 130 when interrupted. (2 is argparse's: a
malformed command line.)

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
        default=default_lab(),
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
    parser.add_argument(
        "--no-similarity",
        action="store_true",
        help="skip the similarity step at the end (see 'similarity --help')",
    )
    parser.add_argument("--task-index", type=int, default=None, help=argparse.SUPPRESS)


def _stop(signum, frame):
    raise KeyboardInterrupt  # scancel or kill: stop like Ctrl-C


def run(args: argparse.Namespace) -> int:
    """Run the batch; the exit status says how many were not graded."""
    from grading.private.cohort.session import BatchRequest
    from grading.private.cohort.session import run as run_session

    signal.signal(signal.SIGTERM, _stop)
    request = BatchRequest(
        submissions=args.submissions,
        out=args.out,
        lab=args.lab,
        jobs=args.jobs,
        timeout=args.timeout,
        force=args.force,
        only=args.only,
        retry_failed=args.retry_failed,
        executor=args.executor,
        image=args.image,
        partition=args.partition,
        max_parallel=args.max_parallel,
        wait=args.wait,
        progress=not args.no_progress,
        task_index=args.task_index,
        similarity=not args.no_similarity,
        grade_args=[*_extra_args(args), *getattr(args, "passthrough", [])],
    )
    refused = _sandbox_refusal(args)
    if refused and args.executor == "local" and args.task_index is None:
        print(refused, file=sys.stderr)
        return 2
    return run_session(request)


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
