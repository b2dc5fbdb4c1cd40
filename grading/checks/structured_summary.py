"""Check ``structured_summary``: the structured-pruning part of the summary.

A thin entry over its readers:
:func:`grading.summary.structured_report.analyze_structured` locates and
reads the summary with the word lists of the rubric's
``[summary.structured]`` table and judges the model files committed with Git
LFS; :func:`grading.summary.structured_feedback.findings_of` turns that
report into findings (ids ``structured_summary.<name>``, listed there).
``details`` is the summary file and what its text shows.
"""

from __future__ import annotations

import time

from grading.checks import CheckContext, CheckResult
from grading.summary.structured_feedback import findings_of
from grading.summary.structured_report import analyze_structured

NAME = "structured_summary"
FINDING_PREFIXES = ("structured_summary",)


def run(ctx: CheckContext) -> CheckResult:
    """Read the structured part of the summary of ``ctx.submission``."""
    started = time.monotonic()
    rules = ctx.rubric.section("summary").get("structured", {})
    if not rules:
        return CheckResult(seconds=time.monotonic() - started)
    report = analyze_structured(ctx.submission, ctx.rubric.summary_dir, rules)
    findings = findings_of(report, ctx.rubric, ctx.lab)
    return CheckResult(findings, report.to_dict(), time.monotonic() - started)
