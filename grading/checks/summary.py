"""Check ``summary``: read the lab summary and turn it into findings.

A thin entry over :mod:`grading.summary`: :func:`grading.summary.analyze`
reads the summary, :func:`grading.summary.feedback.findings_of` decides what
each observation means for the rubric items whose ``checks`` name
``summary.*``. ``details`` is the summary JSON (``docs/summary-checks.md``).
"""

from __future__ import annotations

import time

from grading.checks import CheckContext, CheckResult
from grading.pipeline.findings import Finding
from grading.summary import analyze
from grading.summary.feedback import findings_of
from grading.util.text import cap

NAME = "summary"


def _note(code: str, message: str) -> Finding:
    return Finding(
        check="summary.file",
        item="",
        passed=None,
        message=message,
        code=code,
        audience="instructor",
    )


def run(ctx: CheckContext) -> CheckResult:
    """Read the summary of ``ctx.submission`` and return findings and its JSON."""
    start = time.perf_counter()
    if not ctx.rubric.has_section("summary"):
        note = _note(
            "no_lab_data",
            f"The rubric of {ctx.lab} has no [summary] section, so the summary "
            "was not checked.",
        )
        return CheckResult([note], {}, time.perf_counter() - start)
    try:
        result = analyze(ctx.submission, ctx.rubric)
        findings, details = findings_of(result, ctx.rubric), result.to_dict()
    except Exception as exc:  # noqa: BLE001 - never lose a grading run to a summary
        details = {"error": f"{exc.__class__.__name__}: {cap(str(exc), 300)}"}
        findings = [
            _note(
                "grader_error",
                f"The summary check failed on this submission "
                f"({exc.__class__.__name__}); the summary items need a person.",
            )
        ]
    return CheckResult(findings, details, time.perf_counter() - start)
