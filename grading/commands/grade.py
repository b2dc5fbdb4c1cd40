"""``python -m grading grade``: grade one submission."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.pipeline.options import DEFAULT_MEMORY_MB, GradeOptions

NAME = "grade"
HELP = "grade one submission folder and write results.json, Gradescope and JUnit"
DESCRIPTION = """\
Grade one submission (normally a git clone of a student's repository).

Runs the checks of the lab's rubric (hidden tests on the code in a sandbox,
the summary, the git history), scores them and writes into OUT:

  results.json               full results (schema in docs/ARCHITECTURE.md)
  gradescope/results.json    Gradescope autograder format (student view)
  junit.xml                  one test case per rubric item
  report.html, report.md     reports, when the report package is installed

OUT defaults to SUBMISSION-grade/ beside the submission; the grader never
writes inside the submission. Progress goes to stderr, the score to stdout.

The student's code runs only under bubblewrap (docs/threat-model.md). Where
bubblewrap cannot run, the code items are not graded and the results say
why, unless --unsafe-no-sandbox is given.

Exit status: 0 when grading completed, whatever the score; 1 when the grader
could not run (missing submission, unknown lab, unwritable OUT, missing
packages), with the reason on stderr.
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``grade``."""
    parser.add_argument(
        "submission",
        type=Path,
        metavar="SUBMISSION",
        help="folder of the submission (a git clone)",
    )
    parser.add_argument(
        "--lab",
        metavar="LAB",
        help="lab id, e.g. l03_pruning_clustering (detected when "
        "omitted, from the summaries/ folder and edited modules)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: SUBMISSION-grade/ beside it)",
    )
    parser.add_argument(
        "--student",
        metavar="ID",
        help="student id in reports (default: the folder name)",
    )
    parser.add_argument(
        "--base",
        metavar="REV",
        help="git revision the student started from (the history "
        "check looks only at commits after it)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="wall-time limit of the sandboxed test run",
    )
    parser.add_argument(
        "--test-timeout",
        type=float,
        metavar="SECONDS",
        help="wall-time limit of one hidden test (default: the rubric's)",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        metavar="MB",
        help="address-space limit of the sandboxed test run "
        f"(default {DEFAULT_MEMORY_MB}; TensorFlow reserves a lot of virtual memory)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=GradeOptions.threads,
        metavar="N",
        help="threads each thread pool of the student's run may use "
        "(TensorFlow, OpenMP; default: %(default)s); 0 leaves one per core. "
        "'batch --jobs N' passes each grading its share of the cores",
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="where bubblewrap cannot run, run the student's code anyway, "
        "without isolation (for the student's own workflow; results say so). "
        "Without it the code items are not graded there",
    )
    parser.add_argument(
        "--keep-workdir",
        action="store_true",
        help="keep the scratch folder (working copy, logs) for "
        "debugging; its path is printed",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress lines on stderr"
    )


def run(args: argparse.Namespace) -> int:
    """Grade ``args.submission``; return 0 unless the grader could not run."""
    from grading.pipeline.engine import GradingError, grade

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"grade: {line}", file=sys.stderr, flush=True)

    options = GradeOptions(
        base=args.base,
        timeout=args.timeout,
        test_timeout=args.test_timeout,
        memory_mb=args.memory_mb,
        threads=max(0, args.threads),
        keep_workdir=args.keep_workdir,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
    )
    try:
        results = grade(
            args.submission,
            args.lab,
            args.out,
            student=args.student,
            options=options,
            progress=progress,
        )
    except GradingError as exc:
        print(f"grade: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("grade: interrupted", file=sys.stderr)
        return 130
    waiting = sum(item["status"] == "manual" for item in results["items"])
    line = (
        f"{results['student']}: {results['score']:g}/{results['max_score']:g} "
        f"({results['lab']}, {results['status']}"
    )
    if waiting:
        line += f", {waiting} item(s) wait for manual review"
    print(line + ")")
    return 0
