"""``python -m grading release``: write the student template and the grader bundle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "release"
HELP = "write the student template and the grader bundle as git repositories"
DESCRIPTION = """\
Write two git repositories:

--out: the student template, one initial commit: the course package with its
stubs and lab READMEs, summaries/README.md, requirements.txt, the workflow
that grades every push, the public part of the grader and
.course/template.json (the record the history check uses to find where a
student's own work starts). Push it to an empty GitHub repository and mark it
as a template.

--bundle-out (default: OUT-grader-bundle next to it): the grader bundle, what
the student workflow needs to run the hidden tests: the public grader, the
hidden suites of every lab and the artifact checks, the course package and
the full rubrics. Push it to a PRIVATE repository and give the student
repositories a fine-grained token that reads only that one (docs/delivery.md).
Releasing into an earlier bundle adds a commit on top of its history.

Reference solutions and everything else under grading/private/ stay here;
the release refuses to write a line of a reference solution.

  python -m grading release --out ../lab-template --bundle-out ../grader-bundle
  cd ../lab-template && git remote add origin git@github.com:ORG/lab-template.git
  git push -u origin main
  cd ../grader-bundle && git remote add origin git@github.com:ORG/grader-bundle.git
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
        "--bundle-out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of the grader bundle: absent, empty or an earlier bundle "
        "(default: OUT-grader-bundle)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the content of a non-empty --out (or --bundle-out that "
        "is not a bundle)",
    )
    parser.add_argument(
        "--course", default=None, help="course name recorded in .course/*.json"
    )
    parser.add_argument(
        "--template-version",
        default=None,
        metavar="VERSION",
        help="version recorded in the template and the bundle (default: grader's)",
    )


def run(args: argparse.Namespace) -> int:
    """Release both; return 0, or 1 with a message on failure."""
    from grading.private.packaging import (
        COURSE_NAME,
        ReleaseError,
        release,
        release_bundle,
    )

    out = args.out.resolve()
    bundle_out = (
        args.bundle_out or out.with_name(out.name + "-grader-bundle")
    ).resolve()
    say = lambda line: print(line, file=sys.stderr)  # noqa: E731
    course = args.course or COURSE_NAME
    try:
        record = release(
            out,
            force=args.force,
            course=course,
            template_version=args.template_version,
            progress=say,
            avoid=(bundle_out,),
        )
        bundle = release_bundle(
            bundle_out,
            force=args.force,
            course=course,
            version=args.template_version,
            progress=say,
            avoid=(out,),
        )
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    print(
        f"Student template: {record['path']} ({len(record['files'])} files, "
        f"commit {record['commit'][:10]})"
    )
    state = "new commit" if bundle["changed"] else "unchanged"
    print(
        f"Grader bundle: {bundle['path']} ({len(bundle['files'])} files, "
        f"commit {bundle['commit'][:10]}, {state}); push it to a private "
        "repository"
    )
    return 0
