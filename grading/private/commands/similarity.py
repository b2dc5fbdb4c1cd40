"""``python -m grading similarity``: which submissions to read side by side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grading.pipeline.rubric import default_lab

NAME = "similarity"
HELP = "compare every pair of submissions of a class (instructor only)"
DESCRIPTION = """\
Compare every pair of submissions of a lab and write similarity.json
(highest score first): code (token-level winnowing fingerprints; every
template version is boilerplate, similarity to the reference solution is
reported apart), identical long-precision numbers of the summaries (except
what the seeded embedded default gives everyone), near-identical images,
near-duplicate answers and identical committed model files. Thresholds and
weights are the [similarity] section of the lab's rubric.

GRADES_OR_CLONES is one of:
  - the grades folder of a batch: each student's graded commit is read from
    <student>/submission.json (the clones are only read, never checked
    out); similarity.json is written there and index.html gets a section
    with the flagged pairs and their evidence;
  - a folder with one clone (or plain folder) per student: give --out.

Fingerprints are kept in OUT/.similarity-cache/ (keyed by commit, rubric,
templates and code), so a second run only fingerprints what changed.
Nothing of this reaches a student's report. Exit code 0 when the
comparison ran (flagged pairs or not), 2 on bad input. See
docs/similarity.md.

Examples:
  python -m grading similarity grades
  python -m grading similarity clones/ --out grades --jobs 2
  python -m grading similarity grades --json | jq '.pairs[0]'
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``similarity``."""
    parser.add_argument(
        "path",
        type=Path,
        metavar="GRADES_OR_CLONES",
        help="a batch's grades folder, or a folder of clones",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where similarity.json goes (default: the grades folder)",
    )
    parser.add_argument(
        "--lab",
        default=default_lab(),
        help="lab id of the rubric (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="processes computing fingerprints (default: the CPUs)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print similarity.json instead of the table"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="fingerprint everything again (default: reuse OUT/.similarity-cache)",
    )


def _table(result: dict) -> str:
    lines = []
    flagged = [p for p in result["pairs"] if p["flagged"]]
    lines.append(
        f"{result['submissions']} submissions, {result['pairs_compared']} pairs "
        f"compared in {result['seconds']['total']:.1f} s; {len(flagged)} flagged"
    )
    width = max([len(p["a"]) + len(p["b"]) for p in flagged] + [10]) + 5
    for pair in flagged:
        strong = ", ".join(
            f"{name} {score:.2f}" for name, score in pair["signals"].items() if score
        )
        who = f"{pair['a']} and {pair['b']}"
        lines.append(f"  {who:<{width}} {pair['score']:.2f}  {strong}")
        for evidence in pair["evidence"]:
            lines.append(f"      {evidence['signal']}: {evidence['summary']}")
    for entry in result["reference"]:
        if entry["flagged"]:
            lines.append(
                f"  {entry['student']} and the reference solution "
                f"{entry['score']:.2f}: {entry['evidence'][0]['summary']}"
            )
    for warning in result["warnings"]:
        lines.append(f"warning: {warning}")
    unread = [s for s in result["students"] if s["problems"]]
    for student in unread[:20]:
        lines.append(f"note: {student['student']}: {student['problems'][0]}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the comparison; 0 when it ran, 2 on bad input."""
    from grading.pipeline.rubric import RubricError
    from grading.private import similarity
    from grading.private.similarity.settings import SettingsError
    from grading.private.similarity.sources import is_grades_folder

    path = args.path
    if path.is_dir() and args.out is None and not is_grades_folder(path):
        print(
            f"similarity: {path} is a folder of clones, not a batch's grades folder; "
            "give --out DIR for similarity.json",
            file=sys.stderr,
        )
        return 2
    out = args.out or path
    jobs = args.jobs if args.jobs is not None else similarity.default_jobs()
    from grading.private.similarity.cache import CACHE_DIR

    try:
        result = similarity.detect(
            path,
            lab=args.lab,
            jobs=max(1, jobs),
            progress=not args.no_progress,
            cache_dir=None if args.no_cache else out / CACHE_DIR,
        )
    except (
        similarity.SourceError,
        SettingsError,
        RubricError,
        FileNotFoundError,
    ) as exc:
        print(f"similarity: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    written = similarity.write(result, out)
    if any(
        (child / "results.json").is_file() for child in out.iterdir() if child.is_dir()
    ):
        from grading.report import write_gradebook

        write_gradebook(out)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(_table(result))
        print(f"Similarity: {written}")
    return 0
