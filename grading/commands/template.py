"""``python -m grading template``: which template version a submission started from."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "template"
HELP = "tell which template version (ours or the original course's) a repo started from"
DESCRIPTION = """\
Identify the template version a submission started from, the way 'grade'
does: from the record of our released template, from the history of a fork
of the original course (the newest version commit it contains), from a
first commit with a version's files, or else from the lab's files (blob ids
and function fingerprints). Prints the version, how it was found, the
evidence, and what that version's README asks (the requirements the rubric
grades only where they are asked). The versions are data in
grading/versions/templates.toml.

Exit code 0 when one version fits, 1 when several remain or none matched,
2 on usage errors.
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``template``."""
    parser.add_argument("submission", type=Path, help="the student's repository")
    parser.add_argument(
        "--lab",
        default=None,
        help="lab id (default: detected as 'grade' does)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    """Print the identification of ``args.submission``."""
    from grading.pipeline.detect import NoLabError, detect_lab
    from grading.pipeline.rubric import RubricError, load_rubric
    from grading.versions import ask_description
    from grading.versions.identify import identify

    if not args.submission.is_dir():
        print(f"template: error: {args.submission} is not a folder")
        return 2
    try:
        lab = args.lab or detect_lab(args.submission)[0]
        rubric = load_rubric(lab)
    except (RubricError, NoLabError) as exc:
        print(f"template: error: {exc}")
        return 2
    found = identify(args.submission, rubric.lab, rubric.student_module)
    if args.json:
        print(json.dumps(found.to_dict(), indent=2))
    else:
        template = found.template
        print(f"lab:        {rubric.lab}")
        print(f"version:    {found.version} ({template.label if template else '?'})")
        print(f"found from: {found.method}")
        if not found.certain:
            print(f"candidates: {', '.join(found.candidates)} (graded on what all ask)")
        asks = "; ".join(ask_description(a) for a in found.asks or ()) or "nothing"
        print(f"asks:       {asks}")
        for line in found.evidence:
            print(f"  - {line}")
    return 0 if found.certain else 1
