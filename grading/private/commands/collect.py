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
OUT/index.html). Then, as batch does at its end, every pair of graded
submissions is compared (OUT/similarity.json and a section of index.html;
instructor only; --no-similarity skips it). Tasks still queued or running
are reported; run collect again when they end. Safe to run any number of
times (fingerprints are kept in OUT/.similarity-cache/).

Exit status: 0 when every submission is graded; N (1-100) when N are not
(failed, timed out, without a result, still running, or not usable); 101
when OUT is not the folder of a batch.
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``collect``."""
    parser.add_argument(
        "out", type=Path, metavar="DIR", help="the batch's --out folder"
    )
    parser.add_argument(
        "--no-similarity",
        action="store_true",
        help="skip the similarity step at the end (see 'similarity --help')",
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
    if not args.no_similarity:
        similarity(args.out)
    for path in counts["files"]:
        print(f"Gradebook: {path}")
    left = ("failed", "missing", "pending", "not_graded")
    return count_status(sum(counts[key] for key in left))


def similarity(out: Path) -> None:
    """Run the similarity step on the lab of the batch's plan; never raises."""
    from grading.pipeline.rubric import default_lab
    from grading.private.cohort import PLAN_NAME
    from grading.private.similarity import default_jobs, run_for_batch
    from grading.util.io import read_json

    plan, _ = read_json(out / PLAN_NAME)
    lab = plan.get("lab") if isinstance(plan, dict) else None
    run_for_batch(
        out,
        lab=lab if isinstance(lab, str) and lab else default_lab(),
        jobs=default_jobs(),
        progress=False,
    )
