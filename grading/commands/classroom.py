"""``python -m grading classroom``: the score in GitHub Classroom's format."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "classroom"
HELP = "print a results.json as GitHub Classroom's base64 autograding result"
DESCRIPTION = """\
Print the base64 JSON that GitHub Classroom's autograding reporter reads from
a step output named "result": one test per automatically scored rubric item
with its partial score, messages for students only, no test source. The
student workflow runs:

  echo "result=$(python -m grading classroom OUT/results.json)" >> "$GITHUB_OUTPUT"

With --json the decoded JSON is printed instead (to read it yourself).
With --status only how the run ended is printed: graded, error or timeout
(a time limit stopped it, at the top or for one item); the workflow reruns a
timeout once and reports a second one to Classroom as an error, not a failure.
With --student-copy DEST nothing is printed: the student copy of RESULTS_JSON
is written to DEST (no instructor-only findings, and the suggested points of
the answers only where the rubric shows them to students); the workflow
uploads and prints only that copy.
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``classroom``."""
    parser.add_argument(
        "results",
        nargs="?",
        type=Path,
        metavar="RESULTS_JSON",
        help="results.json written by 'grade'",
    )
    parser.add_argument(
        "--error",
        metavar="MESSAGE",
        help="print an 'error' result with this message instead",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the JSON itself, not base64"
    )
    parser.add_argument(
        "--status",
        action="store_true",
        help="print only how the run ended: graded, error or timeout",
    )
    parser.add_argument(
        "--student-copy",
        type=Path,
        metavar="DEST",
        help="write the student copy of RESULTS_JSON to DEST instead",
    )


def run(args: argparse.Namespace) -> int:
    """Print the result. A missing or unreadable file gives an 'error' result."""
    from grading.report.classroom import (
        classroom_error,
        classroom_result,
        encode_classroom,
        run_status,
    )

    if args.error is not None:
        result = classroom_error(args.error)
    elif args.results is None:
        print("classroom: give RESULTS_JSON or --error MESSAGE")
        return 2
    else:
        try:
            data = json.loads(args.results.read_text(encoding="utf-8"))
            if args.student_copy is not None:
                return _write_student_copy(data, args.student_copy)
            if args.status:
                print(run_status(data))
                return 0
            result = classroom_result(data)
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            if args.student_copy is not None:
                print(
                    f"classroom: could not read {args.results}: {exc}", file=sys.stderr
                )
                return 1
            if args.status:
                print("error")
                return 0
            result = classroom_error(f"could not read {args.results}: {exc}")
    print(json.dumps(result, indent=2) if args.json else encode_classroom(result))
    return 0


def _write_student_copy(data: object, dest: Path) -> int:
    """Write the student copy of ``data`` to ``dest``; 1 when it is no object."""
    from grading.report.student_copy import student_copy
    from grading.util.io import write_json

    if not isinstance(data, dict):
        print(
            "classroom: RESULTS_JSON is no JSON object: no student copy",
            file=sys.stderr,
        )
        return 1
    write_json(dest, student_copy(data))
    return 0
