"""``python -m grading demo``: the whole product on the embedded default data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.pipeline.options import DEFAULT_BATCH_TIMEOUT

NAME = "demo"
HELP = "run labs 03 and 02, release the template, grade an example (offline)"
DESCRIPTION = """\
Show the whole product on the embedded default data set, offline, in a few
minutes:

  1. run lab 03 and lab 02 with the reference solutions
     (python -m grading lab ... --reference);
  2. release the student template (python -m grading release);
  3. turn a clone of it into an example submission: the reference code over
     the stubs, summaries written from the metrics and model sizes of step 1
     (and, for lab 02, this machine's CPU and RAM), five commits in the
     course convention;
  4. grade it as lab 03 and as lab 02 (hidden tests, summary, git history);
  5. write the gradebooks, and print where the reports are.

Everything goes to --out (default build/demo). A second run reuses the lab
results of the first (delete OUT/lab-results or OUT/lab02-results to run a
lab again).
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``demo``."""
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("build/demo"),
        metavar="DIR",
        help="folder for everything the demo writes (default: %(default)s)",
    )
    parser.add_argument(
        "--lab-results",
        type=Path,
        metavar="DIR",
        help="reuse the results folder of an earlier lab 03 run",
    )
    parser.add_argument(
        "--lab02-results",
        type=Path,
        metavar="DIR",
        help="reuse the results folder of an earlier lab 02 run",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_BATCH_TIMEOUT,
        metavar="S",
        help="seconds allowed to grade the example (default: %(default)g)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 on success, 1 with the failing stage named otherwise."""
    from grading.private.cohort import BatchError
    from grading.private.packaging import ReleaseError
    from grading.private.walkthrough import DemoError, run_demo

    try:
        paths = run_demo(
            args.out,
            lab_results=args.lab_results,
            lab02_results=args.lab02_results,
            timeout=args.timeout,
        )
    except (DemoError, ReleaseError, BatchError, OSError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    print()
    print(f"Student report (HTML):     {paths['report']}")
    print(f"Instructor report (HTML):  {paths['instructor_report']}")
    print(f"Gradebook:                 {paths['gradebook']}")
    print(f"Gradebook page (HTML):     {paths['index']}")
    print(f"Lab 02 report (HTML):      {paths['report_l02']}")
    print(f"Lab 02 gradebook:          {paths['gradebook_l02']}")
    print(f"Student template (git):    {paths['template']}")
    print(f"Example submission (git):  {paths['submission']}")
    return 0
