"""``python -m grading collect``: gradebook of a Slurm batch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "collect"
HELP = "merge the results of a Slurm batch into the gradebook"
DESCRIPTION = """\
Read OUT/batch-plan.json of a batch submitted with --executor slurm, record
every task that ended without a result in OUT/<student>/status.json (with the
end of its Slurm log), and write the gradebook (OUT/gradebook.csv,
OUT/index.html). Tasks still queued or running are reported; run collect
again when they end. Safe to run any number of times.
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``collect``."""
    parser.add_argument(
        "out", type=Path, metavar="DIR", help="the batch's --out folder"
    )


def run(args: argparse.Namespace) -> int:
    """Collect; 0 if all graded, 1 if some failed or pend, 2 on bad input."""
    from grading.private.cohort import BatchError
    from grading.private.cohort.slurm import collect

    try:
        counts = collect(args.out, progress=lambda s: print(s, file=sys.stderr))
    except (BatchError, ValueError, OSError) as exc:
        print(f"collect: {exc}", file=sys.stderr)
        return 2
    print(
        f"collect: graded {counts['graded']}, failed {counts['failed']}, "
        f"no result {counts['missing']}, still running {counts['pending']}",
        file=sys.stderr,
    )
    for path in counts["files"]:
        print(f"Gradebook: {path}")
    return 0 if counts["failed"] + counts["missing"] + counts["pending"] == 0 else 1
