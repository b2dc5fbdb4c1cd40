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

Exit status: 0 when every submission is graded; N (1-100) when N are not
(failed, timed out, without a result, still running, or not usable); 101
when OUT is not the folder of a batch.
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``collect``."""
    parser.add_argument(
        "out", type=Path, metavar="DIR", help="the batch's --out folder"
    )


def run(args: argparse.Namespace) -> int:
    """Collect; the exit status says how many are not graded (see --help)."""
    from grading.private.cohort import BatchError
    from grading.private.cohort.session import EXIT_UNUSABLE, count_status
    from grading.private.cohort.slurm import collect

    try:
        counts = collect(args.out, progress=lambda s: print(s, file=sys.stderr))
    except (BatchError, ValueError, OSError) as exc:
        print(f"collect: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(
        f"collect: graded {counts['graded']}, failed {counts['failed']}, "
        f"no result {counts['missing']}, still running {counts['pending']}, "
        f"not graded {counts['not_graded']}",
        file=sys.stderr,
    )
    for path in counts["files"]:
        print(f"Gradebook: {path}")
    left = ("failed", "missing", "pending", "not_graded")
    return count_status(sum(counts[key] for key in left))
