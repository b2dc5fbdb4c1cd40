"""``python -m grading release``: write the student template repository."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "release"
HELP = "write the student template as a new git repository (no hidden tests)"
DESCRIPTION = """\
Write the student template to --out as a new git repository with one initial
commit: the course package with its stubs and lab READMEs, summaries/README.md,
requirements.txt, the workflow that grades every push, the public part of the
grader and .course/template.json (the record the history check uses to find
where a student's own work starts).

Hidden tests, reference solutions and the instructor-only verbs stay here.
Push the result to an empty GitHub repository and mark it as a template:

  python -m grading release --out ../lab03-template
  cd ../lab03-template && git remote add origin git@github.com:ORG/lab03.git
  git push -u origin main
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``release``."""
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder of the new template repository (absent or empty)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the content of a non-empty --out folder",
    )
    parser.add_argument(
        "--course", default=None, help="course name recorded in .course/template.json"
    )
    parser.add_argument(
        "--template-version",
        default=None,
        metavar="VERSION",
        help="version recorded in the template (default: grader's)",
    )


def run(args: argparse.Namespace) -> int:
    """Release the template; return 0, or 1 with a message on failure."""
    from grading.private.packaging import COURSE_NAME, ReleaseError, release

    try:
        record = release(
            args.out,
            force=args.force,
            course=args.course or COURSE_NAME,
            template_version=args.template_version,
            progress=lambda line: print(line, file=sys.stderr),
        )
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    print(
        f"Student template: {record['path']} ({len(record['files'])} files, "
        f"commit {record['commit'][:10]})"
    )
    return 0
