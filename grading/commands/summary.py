"""Verb ``summary``: read a lab summary as an instructor would."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from grading.pipeline.rubric import Rubric, RubricError, default_lab, load_rubric
from grading.summary import METRIC_KEYS, SummaryResult, analyze
from grading.summary.feedback import findings_of

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
manual review, and so is one over the limits of the rubric's [summary]
(max_text_bytes, max_binary_bytes, max_parse_steps): the problem names the
limit. The exit code is 0 when a summary was read, 1 when none was found or
it could not be read, 2 on usage errors.

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
        default=default_lab(),
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


def _variant_rows(result: SummaryResult) -> list[str]:
    lines = [
        f"  {'variant':<20}{'acc':>7}{'prec':>7}{'sens':>7}{'gmean':>7}{'ms':>8}"
        f"{'deflated':>10}{'zip size':>12}  confusion matrix"
    ]
    for variant in result.variants_expected:
        row = result.metrics.get(variant)
        zipped = result.deflation.get(variant)
        cm = result.confusion_matrices.get(variant)
        cm_text = (
            "-"
            if cm is None
            else ("ok " + cm.ref if cm.exists else f"{cm.problem}: {cm.ref}")
        )
        percent = zipped.percent if zipped else None
        size = zipped.size_bytes if zipped else None
        lines.append(
            f"  {variant:<20}"
            + "".join(
                f"{_num(row.get(k) if row else None):>7}" for k in METRIC_KEYS[:4]
            )
            + f"{_num(row.inference_ms if row else None, 1):>8}"
            + f"{'-' if percent is None else f'{percent:.1f} %':>10}"
            + f"{'-' if size is None else f'{size / 1e6:.2f} MB':>12}  {cm_text}"
        )
    return lines


def _answers(result: SummaryResult) -> list[str]:
    lines = ["", "Questions:"]
    for qid, answer in result.questions.items():
        if answer.found:
            where = f"{qid}: line {answer.line}, {answer.words} words"
            lines.append(_wrap(f"{where} - {answer.heading}"))
            lines.append(_wrap(answer.excerpt[:240], "      "))
        else:
            lines.append(f"  {qid}: not found")
    return lines


def _findings(result: SummaryResult, rubric: Rubric) -> list[str]:
    scored = [
        f
        for f in findings_of(result, rubric)
        if f.check
        in ("summary.metrics", "summary.deflation", "summary.confusion_matrices")
    ]
    if not scored:
        return []
    lines = ["", "Rubric findings:"]
    for finding in scored:
        mark = {True: "ok  ", False: "FAIL", None: "?   "}[finding.passed]
        lines.append(_wrap(f"{mark} {finding.check}: {finding.message}"))
        if finding.hint and finding.passed is False:
            lines.append(_wrap(f"hint: {finding.hint}", "       "))
    return lines


def render(result: SummaryResult, rubric: Rubric) -> str:
    """Return a read summary as a readable report for a terminal."""
    if result.file is None:
        lines = ["No summary found."]
    else:
        encoding = f", {result.encoding}" if result.encoding else ""
        lines = [f"Summary: {result.file} ({result.format}{encoding})"]
    lines += [_wrap(f"! {problem.message}") for problem in result.problems]
    if result.manual_review:
        lines.append(_wrap(f"Manual review: {result.manual_review}."))
    readable = result.variants_found or any(a.found for a in result.questions.values())
    if result.file is not None and (not result.manual_review or readable):
        if result.manual_review:
            lines += ["", "Read from the text of the file, for reference only:"]
        found = len(result.variants_found)
        lines += ["", f"Variants found: {found} of {len(result.variants_expected)}"]
        lines += _variant_rows(result)
        lines += _answers(result)
    if result.warnings:
        lines += ["", "Warnings for the instructor (no deduction):"]
        lines += [_wrap(f"- [{w.code}] {w.message}") for w in result.warnings]
    return "\n".join(lines + _findings(result, rubric))


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
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render(result, rubric))
    unread = result.file is None or result.has_problem(
        "empty", "binary", "unreadable", "too_large", "too_complex", "bad_notebook"
    )
    return 1 if unread else 0
