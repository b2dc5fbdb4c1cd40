"""Verb ``summary``: read a lab summary as an instructor would."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from grading.checks.summary import findings_of
from grading.pipeline.options import DEFAULT_LAB
from grading.pipeline.rubric import Rubric, RubricError, load_rubric
from grading.summary import METRIC_KEYS, analyze

NAME = "summary"
HELP = "read a lab summary: metrics, confusion matrices, deflation, answers, warnings"
DESCRIPTION = """\
Read the summary of a submission the way the summary rubric items do, and
show what was found: the metrics of every variant, the confusion-matrix
images (checked against the repository), the ZIP deflation and compressed
size of every model, where the answer to each question is, and plausibility
warnings for the instructor (these deduct nothing).

PATH is a submission folder (the summary is looked up in the lab's summary
folder, e.g. summaries/l03_pruning_clustering/, whatever its file name) or a
summary file (.md, .ipynb, .pdf, ...). A PDF or image-only summary is sent to
manual review. The exit code is 0 when a summary was read, 1 when none was
found or it could not be parsed, 2 on usage errors.

examples:
  python -m grading summary .
  python -m grading summary summaries/l03_pruning_clustering/summary.md --json
"""


def register(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``summary``."""
    parser.add_argument(
        "path", metavar="PATH", help="submission folder or summary file"
    )
    parser.add_argument(
        "--lab",
        default=DEFAULT_LAB,
        help="lab id or rubric .toml with a [summary] section (default: %(default)s)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary JSON instead of the readable report",
    )


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(
        " ".join(text.split()),
        width=88,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
    )


def _num(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render(result: dict, rubric: Rubric) -> str:
    """Return the summary JSON as a readable report for a terminal."""
    lines = []
    if result["file"] is None:
        lines.append("No summary found.")
    else:
        lines.append(
            f"Summary: {result['file']} ({result['format']}"
            + (f", {result['encoding']}" if result.get("encoding") else "")
            + ")"
        )
    for problem in result["problems"]:
        lines.append(_wrap(f"! {problem['message']}"))
    if result.get("manual_review"):
        lines.append(_wrap(f"Manual review: {result['manual_review']}."))
    expected = result["variants_expected"]
    readable = result["variants_found"] or any(
        q["found"] for q in result["questions"].values()
    )
    if result["file"] is not None and (not result.get("manual_review") or readable):
        if result.get("manual_review"):
            lines.append("")
            lines.append("Read from the text of the file, for reference only:")
        lines.append("")
        lines.append(
            f"Variants found: {len(result['variants_found'])} of {len(expected)}"
        )
        head = (
            f"  {'variant':<20}{'acc':>7}{'prec':>7}{'sens':>7}{'gmean':>7}{'ms':>8}"
            f"{'deflated':>10}{'zip size':>12}  confusion matrix"
        )
        lines.append(head)
        for variant in expected:
            row = result["metrics"].get(variant, {})
            zipped = result["deflation"].get(variant, {})
            cm = result["confusion_matrices"].get(variant)
            cm_text = (
                "-"
                if cm is None
                else (
                    "ok " + cm["ref"]
                    if cm["exists"]
                    else f"{cm['problem']}: {cm['ref']}"
                )
            )
            percent = zipped.get("percent")
            size = zipped.get("size_bytes")
            lines.append(
                f"  {variant:<20}"
                + "".join(f"{_num(row.get(k)):>7}" for k in METRIC_KEYS[:4])
                + f"{_num(row.get('inference_ms'), 1):>8}"
                + f"{'-' if percent is None else f'{percent:.1f} %':>10}"
                + f"{'-' if size is None else f'{size / 1e6:.2f} MB':>12}  {cm_text}"
            )
        lines.append("")
        lines.append("Questions:")
        for qid, answer in result["questions"].items():
            if answer["found"]:
                lines.append(
                    _wrap(
                        f"{qid}: line {answer['line']}, {answer['words']} words"
                        f" - {answer['heading']}"
                    )
                )
                lines.append(_wrap(answer["excerpt"][:240], "      "))
            else:
                lines.append(f"  {qid}: not found")
    if result["warnings"]:
        lines.append("")
        lines.append("Warnings for the instructor (no deduction):")
        for warning in result["warnings"]:
            lines.append(_wrap(f"- [{warning['code']}] {warning['message']}"))
    findings = findings_of(result, rubric)
    scored = [
        f
        for f in findings
        if f.check
        in ("summary.metrics", "summary.deflation", "summary.confusion_matrices")
    ]
    if scored:
        lines.append("")
        lines.append("Rubric findings:")
        for finding in scored:
            mark = {True: "ok  ", False: "FAIL", None: "?   "}[finding.passed]
            lines.append(_wrap(f"{mark} {finding.check}: {finding.message}"))
            if finding.hint and finding.passed is False:
                lines.append(_wrap(f"hint: {finding.hint}", "       "))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Analyse the summary at ``args.path`` and print the result."""
    path = Path(args.path)
    if not path.exists() and not path.is_symlink():
        print(
            f"error: {path} does not exist; give a submission folder or a summary file",
            file=sys.stderr,
        )
        return 2
    try:
        rubric = load_rubric(args.lab)
    except RubricError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rubric.has_section("summary"):
        print(
            f"error: the rubric {rubric.path} has no [summary] section",
            file=sys.stderr,
        )
        return 2
    result = analyze(path, rubric)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(render(result, rubric))
    unread = result["file"] is None or any(
        p["code"] in ("empty", "binary", "unreadable", "too_large")
        for p in result["problems"]
    )
    return 1 if unread else 0
