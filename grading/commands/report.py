"""Verb ``report``: merge manual decisions, re-render reports and the gradebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "report"
HELP = "re-render reports and the gradebook of a grades folder, with manual decisions"
DESCRIPTION = """\
Re-render every submission's reports (report.html, report.md,
report-instructor.html) and the class gradebook (gradebook.csv, index.html)
of GRADES_DIR, which holds one folder per submission with its results.json.

With --overrides FILE, the reviewer's decisions are merged first: each names a
submission (its folder name), a rubric item id, points, a comment and the
reviewer. The file is TOML:

    [[decision]]
    submission = "alice"
    item = "question_1"
    points = 1
    comment = "Compares all three methods with numbers."
    reviewer = "jk"

or CSV with the header submission,item,points,comment,reviewer.
Every decision is checked before anything is written: an unknown submission
or item, or points over the item's maximum, stops with the line named and
changes nothing. Decided points are marked as coming from a person in every
report and the totals are recomputed.

With --accept-suggestions --reviewer NAME, the points the grader suggests
for the items awaiting a person that it pre-assessed (the answers to the
questions, checked against the student's own numbers) are confirmed as
NAME's decisions, all of them or only those of --item ITEM (repeatable).
They are recorded like any override (results.json and the audit,
GRADES_DIR/decisions-audit.jsonl); items already decided are kept, and a
decisions file given with --overrides wins for the items it names. A
suggestion is shown to the student only once confirmed (unless the rubric's
[summary.assess] reveal = "always").

Exit status: 0 on success, 1 when the decisions are invalid, 2 when
GRADES_DIR is not a folder.
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``report`` to its sub-parser."""
    parser.add_argument(
        "grades_dir",
        metavar="GRADES_DIR",
        type=Path,
        help="folder with one sub-folder per graded submission",
    )
    parser.add_argument(
        "--overrides",
        metavar="FILE",
        type=Path,
        help="decisions file (TOML or CSV) to merge before rendering",
    )
    parser.add_argument(
        "--accept-suggestions",
        action="store_true",
        help="confirm the suggested points of the pre-assessed items awaiting a person",
    )
    parser.add_argument(
        "--reviewer",
        metavar="NAME",
        default="",
        help="who confirms the suggestions (required with --accept-suggestions)",
    )
    parser.add_argument(
        "--item",
        metavar="ITEM",
        action="append",
        default=None,
        help="confirm only this rubric item's suggestions (repeatable)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    """Merge the decisions, re-render, and print where the outputs are."""
    from grading.report.overrides import OverrideError, print_progress, rerender

    grades_dir: Path = args.grades_dir
    if not grades_dir.is_dir():
        print(
            f"error: {grades_dir} is not a folder; pass the folder that 'grade' or "
            "'batch' wrote (one sub-folder per submission)",
            file=sys.stderr,
        )
        return 2
    if args.overrides is not None and not args.overrides.is_file():
        print(f"error: decisions file {args.overrides} does not exist", file=sys.stderr)
        return 1
    extra = None
    if args.accept_suggestions:
        from grading.report.suggestions import suggested_decisions

        def extra(loaded):
            return suggested_decisions(loaded, args.reviewer, args.item)
    elif args.item or args.reviewer:
        print(
            "error: --item and --reviewer go with --accept-suggestions",
            file=sys.stderr,
        )
        return 1
    try:
        counts = rerender(
            grades_dir,
            args.overrides,
            progress=None if args.quiet else print_progress,
            extra=extra,
        )
    except OverrideError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        if args.overrides is not None or args.accept_suggestions:
            source = " and ".join(
                ([str(args.overrides)] if args.overrides is not None else [])
                + (["the confirmed suggestions"] if args.accept_suggestions else [])
            )
            print(
                f"merged {counts['decisions']} decision(s) into "
                f"{counts['changed']} submission(s) from {source}"
            )
        print(
            f"re-rendered the reports of {counts['reports']} submission(s)"
            + (
                f"; {counts['skipped']} folder(s) without usable results.json are "
                "listed as errors in the gradebook"
                if counts["skipped"]
                else ""
            )
        )
        print(f"gradebook: {grades_dir / 'gradebook.csv'}")
        print(f"overview:  {grades_dir / 'index.html'}")
    return 0
